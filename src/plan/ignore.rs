//! Ignore rules applied: an ignored field of the desired definition takes
//! the value the live one has (or is left out where the live one has none),
//! so it is neither a difference nor overwritten by a release. Pure.
//!
//! Pointers walk JSON objects by key and lists by the `name` (or, for tags,
//! the `key`) of their items, as `spec::ignore` checked them.

use super::{Ignored, PlanError};
use crate::servicedef::ServiceDefinition;
use crate::spec::Environment;
use crate::spec::ignore::{Pointer, Target};
use crate::taskdef::model::TaskDefinitionSpec;
use serde_json::{Map, Value};

/// What one pointer found when it was applied to one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome<'r> {
    /// The rule's index.
    pub rule: usize,
    /// The pointer.
    pub pointer: &'r Pointer,
    /// Which side has the field.
    pub presence: Presence,
    /// Whether git and live differ there (after normalization): a
    /// difference the rule hides.
    pub differs: bool,
    /// For a pointer into a container: whether either side has it.
    pub container: Option<bool>,
}

/// Apply `pointers` (rule index, pointer) to `desired`, taking `live`'s
/// values. `normalize` is the definition's normalization, to tell a real
/// difference from a spelling of the same value; `managed` says whether the
/// desired side manages the field at all (a service definition manages only
/// the top-level fields its file declares).
pub fn apply<'r>(
    desired: &mut Value,
    live: &Value,
    pointers: &[(usize, &'r Pointer)],
    normalize: impl Fn(Value) -> Value,
    managed: impl Fn(&Value, &Pointer) -> bool,
) -> Vec<Outcome<'r>> {
    if pointers.is_empty() {
        return Vec::new();
    }
    let (shown_desired, shown_live) = (normalize(desired.clone()), normalize(live.clone()));
    let before = desired.clone();
    let mut outcomes = Vec::with_capacity(pointers.len());
    for &(rule, pointer) in pointers {
        let segments = pointer.segments();
        let container = pointer.container().map(|_| {
            lookup(&before, &segments[..2]).is_some() || lookup(live, &segments[..2]).is_some()
        });
        let is_managed = managed(&before, pointer);
        let presence = if is_managed {
            adopt(desired, live, segments)
        } else {
            Presence {
                desired: false,
                live: lookup(live, segments).is_some(),
            }
        };
        outcomes.push(Outcome {
            rule,
            pointer,
            presence,
            differs: is_managed
                && lookup(&shown_desired, segments) != lookup(&shown_live, segments),
            container,
        });
    }
    outcomes
}

/// `rendered` with `env`'s task-definition rules for `service` applied
/// against `live`, and what each pointer found.
pub fn task_definition<'e>(
    env: &'e Environment,
    service: &str,
    rendered: TaskDefinitionSpec,
    live: &TaskDefinitionSpec,
) -> (TaskDefinitionSpec, Vec<Outcome<'e>>) {
    let pointers = pointers(env, service, Target::TaskDefinition);
    if pointers.is_empty() {
        return (rendered, Vec::new());
    }
    let mut desired = serde_json::to_value(&rendered).expect("a task definition serializes");
    let live = serde_json::to_value(live).expect("a task definition serializes");
    let outcomes = apply(
        &mut desired,
        &live,
        &pointers,
        super::normalize::normalize,
        |_, _| true,
    );
    let adopted = serde_json::from_value(desired)
        .expect("fields taken from a live task definition read back as one");
    (adopted, outcomes)
}

/// `definition` with `env`'s service-definition rules for `service` applied
/// against the `live` service (its tags included), and what each found. A
/// top-level field the file leaves out is not managed, so not taken either.
pub fn service_definition<'e>(
    env: &'e Environment,
    service: &str,
    definition: &ServiceDefinition,
    live: &crate::ecs::Service,
) -> (ServiceDefinition, Vec<Outcome<'e>>) {
    let pointers = pointers(env, service, Target::ServiceDefinition);
    if pointers.is_empty() {
        return (definition.clone(), Vec::new());
    }
    let mut desired = serde_json::to_value(definition).expect("a service definition serializes");
    let mut described =
        serde_json::to_value(&*live.definition).expect("a service definition serializes");
    let tags: Vec<Value> = live
        .tags
        .iter()
        .filter(|(k, _)| !super::service_definition::is_reserved_tag(k))
        .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
        .collect();
    if let Value::Object(map) = &mut described {
        map.insert("tags".to_owned(), Value::Array(tags));
    }
    let normalize = |value: Value| match value {
        Value::Object(map) => Value::Object(super::service_definition::normalize(map)),
        other => other,
    };
    let declared = |desired: &Value, pointer: &Pointer| {
        pointer
            .segments()
            .first()
            .is_some_and(|top| desired.get(top).is_some())
    };
    let outcomes = apply(&mut desired, &described, &pointers, normalize, declared);
    let adopted = serde_json::from_value(desired)
        .expect("fields taken from a described service read back as a definition");
    (adopted, outcomes)
}

/// The (rule, pointer) pairs of `env` for `service` into `target`.
fn pointers<'e>(env: &'e Environment, service: &str, target: Target) -> Vec<(usize, &'e Pointer)> {
    env.ignore
        .iter()
        .filter(|rule| rule.applies_to(service))
        .flat_map(|rule| rule.pointers(target).iter().map(move |p| (rule.index, p)))
        .collect()
}

/// What the rules found across the services of a plan: the differences they
/// hide, and for each pointer whether it matched anything anywhere.
#[derive(Debug, Default)]
pub struct Tally {
    /// The differences hidden, in plan order.
    pub ignored: Vec<Ignored>,
    /// Per (rule, target, pointer): matched on some side of some service;
    /// for a container pointer, whether some service has the container.
    seen: Vec<Seen>,
}

#[derive(Debug)]
struct Seen {
    rule: usize,
    target: Target,
    pointer: Pointer,
    services: Vec<String>,
    matched: bool,
    container: Option<bool>,
}

impl Tally {
    /// Note `outcomes` of `service`'s `target`.
    pub fn record(&mut self, service: &str, target: Target, outcomes: &[Outcome<'_>]) {
        for outcome in outcomes {
            let matched = outcome.presence.desired || outcome.presence.live;
            let index = self.seen.iter().position(|s| {
                s.rule == outcome.rule && s.target == target && s.pointer == *outcome.pointer
            });
            match index {
                Some(i) => {
                    let seen = &mut self.seen[i];
                    seen.services.push(service.to_owned());
                    seen.matched |= matched;
                    // The same pointer: a container pointer on both sides, or on neither.
                    seen.container = seen.container.zip(outcome.container).map(|(a, b)| a || b);
                }
                None => self.seen.push(Seen {
                    rule: outcome.rule,
                    target,
                    pointer: outcome.pointer.clone(),
                    services: vec![service.to_owned()],
                    matched,
                    container: outcome.container,
                }),
            }
            if outcome.differs {
                self.ignored.push(Ignored {
                    service: service.to_owned(),
                    kind: target,
                    pointer: outcome.pointer.to_string(),
                    rule: outcome.rule,
                });
            }
        }
    }

    /// A pointer into a container that no service has on either side is an
    /// error; one that matched nothing else is a warning.
    pub fn verdict(&self, env: &Environment) -> Result<Vec<String>, PlanError> {
        let mut warnings = Vec::new();
        for seen in &self.seen {
            let services = seen.services.join(", ");
            if seen.container == Some(false) {
                return Err(PlanError::IgnoredContainerMissing {
                    file: env.file.clone(),
                    rule: seen.rule,
                    pointer: seen.pointer.to_string(),
                    container: seen.pointer.container().unwrap_or_default().to_owned(),
                    services: seen.services.clone(),
                });
            }
            if !seen.matched {
                warnings.push(format!(
                    "{}: ignore[{}].{}: {} matches nothing in git or live ({services}); check the name, or remove the pointer",
                    env.file,
                    seen.rule,
                    seen.target.key(),
                    seen.pointer
                ));
            }
        }
        Ok(warnings)
    }
}

/// Which side has the field a pointer names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// The definition from git has it.
    pub desired: bool,
    /// The live definition has it.
    pub live: bool,
}

/// The value at `segments`, if there is one.
pub fn lookup<'v>(value: &'v Value, segments: &[String]) -> Option<&'v Value> {
    segments
        .iter()
        .try_fold(value, |node, segment| child(node, segment))
}

/// The item or field `segment` names in `node`.
fn child<'v>(node: &'v Value, segment: &str) -> Option<&'v Value> {
    match node {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => items.iter().find(|item| is_named(item, segment)),
        _ => None,
    }
}

fn child_mut<'v>(node: &'v mut Value, segment: &str) -> Option<&'v mut Value> {
    match node {
        Value::Object(map) => map.get_mut(segment),
        Value::Array(items) => items.iter_mut().find(|item| is_named(item, segment)),
        _ => None,
    }
}

/// Whether a list item is the one called `name` (by `name`, or `key` for tags).
fn is_named(item: &Value, name: &str) -> bool {
    ["name", "key"]
        .iter()
        .any(|k| item.get(k).and_then(Value::as_str) == Some(name))
}

/// Make `desired` hold at `segments` what `live` holds there: the live
/// value copied in, or the desired one removed where live has none. A list
/// item that only live has is not made up field by field: a pointer into it
/// changes nothing (the whole item is ignored only by a pointer to it).
pub fn adopt(desired: &mut Value, live: &Value, segments: &[String]) -> Presence {
    let found = lookup(live, segments);
    let presence = Presence {
        desired: lookup(desired, segments).is_some(),
        live: found.is_some(),
    };
    match found {
        Some(value) => put(desired, live, segments, value.clone()),
        None => remove(desired, segments),
    }
    presence
}

/// Set `value` at `segments` in `desired`, creating the objects and lists
/// on the way as `live` has them.
fn put(desired: &mut Value, live: &Value, segments: &[String], value: Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut node = desired;
    let mut live_node = live;
    for segment in parents {
        let Some(live_child) = child(live_node, segment) else {
            return;
        };
        let exists = child(node, segment).is_some();
        if !exists {
            match node {
                // A missing field is made empty, of the live kind.
                Value::Object(map) => {
                    let empty = match live_child {
                        Value::Array(_) => Value::Array(Vec::new()),
                        _ => Value::Object(Map::new()),
                    };
                    map.insert(segment.clone(), empty);
                }
                // A missing list item is not made up.
                _ => return,
            }
        }
        node = child_mut(node, segment).expect("present or just inserted");
        live_node = live_child;
    }
    match node {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => match items.iter_mut().find(|item| is_named(item, last)) {
            Some(item) => *item = value,
            None => items.push(value),
        },
        _ => {}
    }
}

/// Remove what `segments` names from `desired`, if it is there.
fn remove(desired: &mut Value, segments: &[String]) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut node = desired;
    for segment in parents {
        match child_mut(node, segment) {
            Some(next) => node = next,
            None => return,
        }
    }
    match node {
        Value::Object(map) => {
            map.remove(last);
        }
        Value::Array(items) => items.retain(|item| !is_named(item, last)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segs(pointer: &str) -> Vec<String> {
        pointer[1..].split('/').map(str::to_owned).collect()
    }

    fn td(env: Value) -> Value {
        json!({"family": "web", "containerDefinitions": [
            {"name": "app", "image": "shop:2", "environment": env},
            {"name": "agent", "image": "agent:1"}
        ]})
    }

    #[test]
    fn a_live_variable_is_kept_and_a_changed_one_takes_the_live_value() {
        let mut desired = td(json!([{"name": "A", "value": "git"}, {"name": "B", "value": "1"}]));
        let live = td(json!([{"name": "A", "value": "injected"}, {"name": "B", "value": "0"}]));
        let p = adopt(
            &mut desired,
            &live,
            &segs("/containerDefinitions/app/environment/A"),
        );
        assert_eq!(
            p,
            Presence {
                desired: true,
                live: true
            }
        );
        assert_eq!(
            desired["containerDefinitions"][0]["environment"],
            json!([{"name": "A", "value": "injected"}, {"name": "B", "value": "1"}])
        );
    }

    #[test]
    fn a_variable_only_live_has_is_added_and_one_only_git_has_is_removed() {
        let mut desired = td(json!([{"name": "B", "value": "1"}]));
        let live = td(json!([{"name": "NEW_RELIC_APP_NAME", "value": "shop"}]));
        adopt(
            &mut desired,
            &live,
            &segs("/containerDefinitions/app/environment/NEW_RELIC_APP_NAME"),
        );
        let p = adopt(
            &mut desired,
            &live,
            &segs("/containerDefinitions/app/environment/B"),
        );
        assert_eq!(
            p,
            Presence {
                desired: true,
                live: false
            }
        );
        assert_eq!(
            desired["containerDefinitions"][0]["environment"],
            json!([{"name": "NEW_RELIC_APP_NAME", "value": "shop"}])
        );
    }

    #[test]
    fn a_missing_list_is_created_as_live_has_it() {
        let mut desired = json!({"containerDefinitions": [{"name": "app", "image": "shop:2"}]});
        let live = td(json!([{"name": "X", "value": "1"}]));
        adopt(
            &mut desired,
            &live,
            &segs("/containerDefinitions/app/environment/X"),
        );
        assert_eq!(
            desired["containerDefinitions"][0]["environment"],
            json!([{"name": "X", "value": "1"}])
        );
    }

    #[test]
    fn a_container_only_live_has_is_kept_whole_but_not_made_up_from_a_field() {
        let mut desired = json!({"containerDefinitions": [{"name": "app", "image": "shop:2"}]});
        let live = td(json!([]));
        let before = desired.clone();
        let p = adopt(
            &mut desired,
            &live,
            &segs("/containerDefinitions/agent/image"),
        );
        assert_eq!(
            p,
            Presence {
                desired: false,
                live: true
            }
        );
        assert_eq!(desired, before, "no half container is made up");
        adopt(&mut desired, &live, &segs("/containerDefinitions/agent"));
        assert_eq!(
            desired["containerDefinitions"][1],
            json!({"name": "agent", "image": "agent:1"})
        );
    }

    #[test]
    fn tags_are_found_by_key_and_nothing_matches_nothing() {
        let mut desired = json!({"tags": [{"key": "team", "value": "a"}]});
        let live = json!({"tags": [{"key": "team", "value": "b"}]});
        adopt(&mut desired, &live, &segs("/tags/team"));
        assert_eq!(desired, live);
        let p = adopt(&mut desired, &live, &segs("/tags/other"));
        assert_eq!(
            p,
            Presence {
                desired: false,
                live: false
            }
        );
        assert_eq!(desired, live);
    }
}
