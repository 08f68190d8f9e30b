//! Ignore rules (`ignore:`): fields of the task and service definitions that
//! another tool owns, such as a variable an APM agent injects or the load
//! balancer wiring a platform team keeps.
//!
//! A rule names a service (or `"*"`) and JSON Pointers (RFC 6901) into its
//! task definition (RegisterTaskDefinition JSON) and service definition
//! (CreateService JSON). Lists whose items have a `name` (containers,
//! environment variables, secrets, port mappings, volumes …) are entered by
//! that name, and tags by their `key`, never by index: an index would point
//! at another item once the list is reordered. Other lists can be ignored
//! only as a whole.
//!
//! This module parses a pointer and checks it against the model's own JSON
//! Schema (the same types that read the files), so a misspelled key is an
//! error with the nearest field, before any AWS call. Keeping the live value
//! is the planner's (`plan::ignore`).

use super::schema::variants;
use crate::servicedef::ServiceDefinition;
use crate::taskdef::model::TaskDefinitionSpec;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::sync::LazyLock;

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// Its index in `ignore:`, for messages (`ignore[0]`).
    pub index: usize,
    /// The service it is for; None = every service (`"*"`).
    pub service: Option<String>,
    /// Pointers into the task definition.
    pub task_definition: Vec<Pointer>,
    /// Pointers into the service definition.
    pub service_definition: Vec<Pointer>,
}

impl IgnoreRule {
    /// Whether the rule is for `service`.
    pub fn applies_to(&self, service: &str) -> bool {
        self.service.as_deref().is_none_or(|s| s == service)
    }

    /// The pointers into `target`.
    pub fn pointers(&self, target: Target) -> &[Pointer] {
        match target {
            Target::TaskDefinition => &self.task_definition,
            Target::ServiceDefinition => &self.service_definition,
        }
    }
}

/// Which definition a pointer addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    /// The task definition.
    TaskDefinition,
    /// The service definition.
    ServiceDefinition,
}

impl Target {
    /// The rule's key for it.
    pub fn key(self) -> &'static str {
        match self {
            Target::TaskDefinition => "taskDefinition",
            Target::ServiceDefinition => "serviceDefinition",
        }
    }
}

/// A JSON Pointer, parsed: `/containerDefinitions/app/environment/X`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pointer {
    text: String,
    segments: Vec<String>,
}

impl Pointer {
    /// Parse RFC 6901 syntax: `/`-separated, `~0` for `~` and `~1` for `/`.
    pub fn parse(text: &str) -> Result<Pointer, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(if text.is_empty() {
                "the pointer is empty".to_owned()
            } else {
                format!("'{text}' does not start with '/'")
            });
        };
        let mut segments = Vec::new();
        for raw in rest.split('/') {
            if raw.is_empty() {
                return Err(format!("'{text}' has an empty segment"));
            }
            let mut segment = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    segment.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => segment.push('~'),
                    Some('1') => segment.push('/'),
                    _ => {
                        return Err(format!(
                            "'{text}': '~' must be followed by 0 (for ~) or 1 (for /)"
                        ));
                    }
                }
            }
            segments.push(segment);
        }
        Ok(Pointer {
            text: text.to_owned(),
            segments,
        })
    }

    /// The segments, unescaped.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The container a task-definition pointer enters, if any.
    pub fn container(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [first, name, ..] if first == "containerDefinitions" => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Pointer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Why a pointer cannot be a rule: what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Check `pointer` against `target`'s model: each key a field, lists entered
/// by name only, and not a field the release owns. `containers` are the
/// release containers of the services the rule is for (their `image` and
/// `command` are the release's).
pub fn check(target: Target, pointer: &Pointer, containers: &[&str]) -> Result<(), Refusal> {
    owned_by_release(target, pointer, containers)?;
    let root = match target {
        Target::TaskDefinition => &*TASK_DEFINITION_SCHEMA,
        Target::ServiceDefinition => &*SERVICE_DEFINITION_SCHEMA,
    };
    let mut node = root;
    let mut at = String::new();
    for segment in pointer.segments() {
        let here = if at.is_empty() { "the definition" } else { &at };
        node = step(root, node, segment).map_err(|why| why.refusal(target, here, segment))?;
        at.push('/');
        at.push_str(segment);
    }
    Ok(())
}

/// The fields a release sets, which an ignore rule would turn into a no-op.
fn owned_by_release(target: Target, pointer: &Pointer, containers: &[&str]) -> Result<(), Refusal> {
    let segments = pointer.segments();
    match target {
        Target::TaskDefinition => {
            let owned = match segments {
                [c, _, field] if c == "containerDefinitions" => {
                    (field == "image" || field == "command").then(|| field.clone())
                }
                [c] if c == "containerDefinitions" => Some("image".to_owned()),
                [c, name] if c == "containerDefinitions" && containers.contains(&name.as_str()) => {
                    Some("image".to_owned())
                }
                _ => None,
            };
            match owned {
                Some(field) => Err(Refusal {
                    message: format!(
                        "{pointer} would ignore the container's `{field}`, which every release sets"
                    ),
                    hint: format!(
                        "a release is the image and command of the spec; point at the fields another tool owns instead, e.g. /containerDefinitions/{}/environment/NEW_RELIC_APP_NAME",
                        containers.first().copied().unwrap_or("app")
                    ),
                }),
                None => Ok(()),
            }
        }
        Target::ServiceDefinition => match segments.first().map(String::as_str) {
            Some("desiredCount") => Err(Refusal {
                message: "desiredCount cannot be ignored".to_owned(),
                hint: "leave desiredCount out of the service in the spec: deckhand then never changes the live count (e.g. for autoscaling)".to_owned(),
            }),
            Some("taskDefinition") => Err(Refusal {
                message: "taskDefinition cannot be ignored: it is what a release changes".to_owned(),
                hint: "ignore fields inside it with `taskDefinition:` pointers of this rule".to_owned(),
            }),
            _ => Ok(()),
        },
    }
}

static TASK_DEFINITION_SCHEMA: LazyLock<Value> =
    LazyLock::new(|| schemars::schema_for!(TaskDefinitionSpec).to_value());
static SERVICE_DEFINITION_SCHEMA: LazyLock<Value> =
    LazyLock::new(|| schemars::schema_for!(ServiceDefinition).to_value());

/// Why a segment does not lead anywhere.
enum Dead {
    /// No such field; the known ones.
    UnknownField(Vec<String>),
    /// A list whose items have no name.
    UnnamedList,
    /// A value with no fields.
    Scalar,
}

impl Dead {
    fn refusal(self, target: Target, at: &str, segment: &str) -> Refusal {
        match self {
            Dead::UnknownField(known) => {
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                let hint = match crate::spec::diagnostic::closest(segment, &names) {
                    Some(near) => format!(
                        "did you mean `{near}`? (the {} field names, camelCase as in the JSON)",
                        target.key()
                    ),
                    None => format!("the fields here are: {}", names.join(", ")),
                };
                Refusal {
                    message: format!("{at} has no field `{segment}`"),
                    hint,
                }
            }
            Dead::UnnamedList => Refusal {
                message: format!(
                    "{at} is a list whose items have no name, so `{segment}` cannot address one of them"
                ),
                hint: format!(
                    "ignore the whole list ({at}); lists of named items (containers, environment, secrets, port mappings) are entered by name, tags by key"
                ),
            },
            Dead::Scalar => Refusal {
                message: format!("{at} is a single value and has no field `{segment}`"),
                hint: format!("end the pointer at {at}"),
            },
        }
    }
}

/// The schema `segment` leads to from `node`.
fn step<'s>(root: &'s Value, node: &'s Value, segment: &str) -> Result<&'s Value, Dead> {
    let mut known: Option<Vec<String>> = None;
    let mut unnamed_list = false;
    for variant in variants(root, node) {
        if let Some(properties) = variant.get("properties").and_then(Value::as_object) {
            if let Some(next) = properties.get(segment) {
                return Ok(next);
            }
            known
                .get_or_insert_default()
                .extend(properties.keys().cloned());
        }
        if let Some(map) = variant
            .get("additionalProperties")
            .filter(|v| v.is_object())
        {
            return Ok(map);
        }
        if let Some(items) = variant.get("items") {
            let keyed = variants(root, items).iter().any(|item| {
                item.get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| p.contains_key("name") || p.contains_key("key"))
            });
            if keyed {
                return Ok(items);
            }
            unnamed_list = true;
        }
    }
    Err(match (known, unnamed_list) {
        (Some(fields), _) => Dead::UnknownField(fields),
        (None, true) => Dead::UnnamedList,
        (None, false) => Dead::Scalar,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(pointer: &str) -> Result<(), Refusal> {
        check(
            Target::TaskDefinition,
            &Pointer::parse(pointer).unwrap(),
            &["app"],
        )
    }

    fn sd(pointer: &str) -> Result<(), Refusal> {
        check(
            Target::ServiceDefinition,
            &Pointer::parse(pointer).unwrap(),
            &["app"],
        )
    }

    #[test]
    fn parses_rfc_6901_escapes() {
        let p = Pointer::parse("/tags/team~1cost~0center").unwrap();
        assert_eq!(p.segments(), ["tags", "team/cost~center"]);
        assert_eq!(p.as_str(), "/tags/team~1cost~0center");
    }

    #[test]
    fn refuses_bad_syntax() {
        for (text, words) in [
            ("", "empty"),
            ("loadBalancers", "does not start with '/'"),
            ("/a//b", "empty segment"),
            ("/a~2", "'~' must be followed"),
            ("/", "empty segment"),
        ] {
            let err = Pointer::parse(text).unwrap_err();
            assert!(err.contains(words), "{text}: {err}");
        }
    }

    #[test]
    fn accepts_fields_of_the_task_definition_with_named_items() {
        for ok in [
            "/containerDefinitions/app/environment/NEW_RELIC_APP_NAME",
            "/containerDefinitions/app/secrets/DATABASE_URL",
            "/containerDefinitions/app/portMappings/http",
            "/containerDefinitions/datadog-agent",
            "/containerDefinitions/app/dockerLabels/com.datadoghq.tags.version",
            "/containerDefinitions/app/logConfiguration/options",
            "/containerDefinitions/app/environment",
            "/volumes/data",
            "/tags/team",
            "/cpu",
        ] {
            td(ok).unwrap_or_else(|r| panic!("{ok}: {}", r.message));
        }
    }

    #[test]
    fn accepts_fields_of_the_service_definition() {
        for ok in [
            "/loadBalancers",
            "/networkConfiguration/awsvpcConfiguration/securityGroups",
            "/tags/cost-center",
            "/deploymentConfiguration/maximumPercent",
            "/healthCheckGracePeriodSeconds",
        ] {
            sd(ok).unwrap_or_else(|r| panic!("{ok}: {}", r.message));
        }
    }

    #[test]
    fn a_misspelled_field_names_the_nearest() {
        let r = td("/containerDefinitions/app/enviroment/X").unwrap_err();
        assert_eq!(
            r.message,
            "/containerDefinitions/app has no field `enviroment`"
        );
        assert!(r.hint.contains("did you mean `environment`?"), "{}", r.hint);
        let r = sd("/loadBalancer").unwrap_err();
        assert!(r.hint.contains("`loadBalancers`"), "{}", r.hint);
    }

    #[test]
    fn a_list_without_names_is_ignored_whole() {
        let r = sd("/loadBalancers/0").unwrap_err();
        assert!(r.message.contains("have no name"), "{}", r.message);
        assert!(r.hint.contains("/loadBalancers"), "{}", r.hint);
    }

    #[test]
    fn a_scalar_has_no_fields() {
        let r = td("/cpu/units").unwrap_err();
        assert!(r.message.contains("single value"), "{}", r.message);
    }

    #[test]
    fn the_release_fields_cannot_be_ignored() {
        for (pointer, words) in [
            ("/containerDefinitions/app/image", "`image`"),
            ("/containerDefinitions/sidecar/command", "`command`"),
            ("/containerDefinitions/app", "`image`"),
            ("/containerDefinitions", "`image`"),
        ] {
            let r = td(pointer).unwrap_err();
            assert!(r.message.contains(words), "{pointer}: {}", r.message);
        }
        assert!(
            sd("/desiredCount")
                .unwrap_err()
                .hint
                .contains("leave desiredCount out")
        );
        assert!(sd("/taskDefinition").is_err());
    }
}
