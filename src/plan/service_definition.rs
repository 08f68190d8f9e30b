//! A service definition compared with the service ECS runs: pure.
//!
//! Only the fields the file declares are compared and changed: a field it
//! leaves out is left as the service has it (as `desiredCount` left out of
//! the spec leaves the count alone), so a short file manages what it says and
//! a full one (describe-services output, an ecspresso file) manages all.
//! Both sides are CreateService-shaped JSON and go through [`RULES`], each
//! naming the ECS behaviour it undoes, so a definition described back plans
//! as unchanged. Tags are compared apart from the rest: they change with
//! TagResource/UntagResource, and deckhand's own `deckhand:*` tags (and
//! AWS's `aws:*`) are never the file's to set or remove.

use super::normalize::{drop_empty, sort_keys};
use crate::servicedef::ServiceDefinition;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A named normalization rule (see the task-definition rules in `normalize`).
pub struct Rule {
    /// Short name, for tests and docs.
    pub name: &'static str,
    /// What ECS does that this rule undoes.
    pub why: &'static str,
    apply: fn(&mut Map<String, Value>),
}

/// The rules, applied in this order.
pub const RULES: &[Rule] = &[
    Rule {
        name: "role-name",
        why: "CreateService takes a role name or ARN; DescribeServices reports the ARN (`roleArn`)",
        apply: role_name,
    },
    Rule {
        name: "deployment-configuration-defaults",
        why: "ECS reports maximumPercent 200, minimumHealthyPercent 100, a disabled circuit breaker, disabled alarms and the ROLLING strategy when none was given",
        apply: deployment_configuration_defaults,
    },
    Rule {
        name: "lifecycle-hook-defaults",
        why: "ECS reports targetType AWS_LAMBDA and timeoutConfiguration {timeoutInMinutes: 1440, action: ROLLBACK} for a deployment lifecycle hook given without them (the API reference's defaults)",
        apply: lifecycle_hook_defaults,
    },
    Rule {
        name: "service-defaults",
        why: "ECS reports deploymentController ECS, schedulingStrategy REPLICA, propagateTags NONE, platformVersion LATEST, healthCheckGracePeriodSeconds 0, assignPublicIp DISABLED, availabilityZoneRebalancing ENABLED (for services created since 2025) and false for enableECSManagedTags and enableExecuteCommand when none was given",
        apply: service_defaults,
    },
    Rule {
        name: "capacity-provider-defaults",
        why: "ECS reports base 0 and weight 0 for a capacity provider given without them",
        apply: capacity_provider_defaults,
    },
    Rule {
        name: "sort-unordered-lists",
        why: "ECS does not keep the order of subnets, security groups, load balancers, registries, capacity providers and alarm names",
        apply: sort_unordered_lists,
    },
    Rule {
        name: "empty-is-absent",
        why: "ECS reports `[]` for lists that were not given (loadBalancers, serviceRegistries, placementConstraints …)",
        apply: empty_is_absent,
    },
];

/// What an existing service needs to match its service definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// The declared fields that differ (camelCase), in the file's order.
    pub fields: Vec<String>,
    /// Those fields as the file sets them: what UpdateService sends.
    pub update: Option<ServiceDefinition>,
    /// Those fields as the service has them: what a rollback sends back.
    pub previous: Option<ServiceDefinition>,
    /// The tags to change.
    pub tags: TagChanges,
    /// `--- live` / `+++ desired` of the declared fields, normalized.
    pub live: Value,
    /// The declared fields, normalized.
    pub desired: Value,
}

impl Comparison {
    /// Nothing differs.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.tags.is_empty()
    }
}

/// Tags to put (new or changed values) and keys to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Key and value, sorted by key.
    pub put: Vec<(String, String)>,
    /// Keys, sorted.
    pub remove: Vec<String>,
}

impl TagChanges {
    /// No tag changes.
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.remove.is_empty()
    }
}

/// Compare `desired` (the file) with `live` (DescribeServices) and the
/// service's `live_tags`.
pub fn compare(
    desired: &ServiceDefinition,
    live: &ServiceDefinition,
    live_tags: &BTreeMap<String, String>,
) -> Comparison {
    let mut written = object(desired);
    let desired_tags = written.remove("tags");
    let mut described = object(live);
    described.remove("tags");
    let normalized_desired = normalize(written.clone());
    let normalized_live = normalize(described.clone());
    let mut fields = Vec::new();
    let (mut shown_desired, mut shown_live) = (Map::new(), Map::new());
    for key in written.keys() {
        let want = normalized_desired.get(key);
        let have = normalized_live.get(key);
        if let Some(want) = want {
            shown_desired.insert(key.clone(), want.clone());
        }
        if let Some(have) = have {
            shown_live.insert(key.clone(), have.clone());
        }
        if want != have {
            fields.push(key.clone());
        }
    }
    let only = |from: &Map<String, Value>| -> Option<ServiceDefinition> {
        if fields.is_empty() {
            return None;
        }
        let picked: Map<String, Value> = fields
            .iter()
            .filter_map(|f| Some((f.clone(), from.get(f)?.clone())))
            .collect();
        Some(serde_json::from_value(Value::Object(picked)).expect("fields of a definition"))
    };
    let mut desired_shown = Value::Object(shown_desired);
    let mut live_shown = Value::Object(shown_live);
    sort_keys(&mut desired_shown);
    sort_keys(&mut live_shown);
    Comparison {
        update: only(&written),
        previous: only(&described),
        fields,
        tags: desired_tags.map_or_else(TagChanges::default, |tags| tag_changes(&tags, live_tags)),
        live: live_shown,
        desired: desired_shown,
    }
}

/// Whether deckhand leaves this tag key alone (its own, or AWS's).
pub fn is_reserved_tag(key: &str) -> bool {
    key.starts_with("deckhand:") || key.starts_with("aws:")
}

fn tag_changes(desired: &Value, live: &BTreeMap<String, String>) -> TagChanges {
    let wanted: BTreeMap<String, String> = desired
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let key = t.get("key")?.as_str()?.to_owned();
            let value = t.get("value").and_then(Value::as_str).unwrap_or_default();
            (!is_reserved_tag(&key)).then(|| (key, value.to_owned()))
        })
        .collect();
    TagChanges {
        put: wanted
            .iter()
            .filter(|(k, v)| live.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: live
            .keys()
            .filter(|k| !is_reserved_tag(k) && !wanted.contains_key(*k))
            .cloned()
            .collect(),
    }
}

fn object(definition: &ServiceDefinition) -> Map<String, Value> {
    match serde_json::to_value(definition).expect("a service definition serializes") {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Normalize a CreateService-shaped object with [`RULES`].
pub fn normalize(mut definition: Map<String, Value>) -> Map<String, Value> {
    for rule in RULES {
        (rule.apply)(&mut definition);
    }
    definition
}

/// Remove `key` from `map` when it holds `default`.
fn drop_default(map: &mut Map<String, Value>, key: &str, default: &Value) {
    if map.get(key) == Some(default) {
        map.remove(key);
    }
}

fn role_name(map: &mut Map<String, Value>) {
    if let Some(Value::String(role)) = map.get_mut("role")
        && role.starts_with("arn:")
        && let Some((_, name)) = role.rsplit_once('/')
    {
        *role = name.to_owned();
    }
}

fn deployment_configuration_defaults(map: &mut Map<String, Value>) {
    let Some(Value::Object(config)) = map.get_mut("deploymentConfiguration") else {
        return;
    };
    drop_default(config, "maximumPercent", &json!(200));
    drop_default(config, "minimumHealthyPercent", &json!(100));
    drop_default(config, "strategy", &json!("ROLLING"));
    if let Some(Value::Object(breaker)) = config.get_mut("deploymentCircuitBreaker") {
        drop_default(breaker, "enable", &json!(false));
        drop_default(breaker, "rollback", &json!(false));
    }
    if let Some(Value::Object(alarms)) = config.get_mut("alarms") {
        drop_default(alarms, "enable", &json!(false));
        drop_default(alarms, "rollback", &json!(false));
    }
}

fn lifecycle_hook_defaults(map: &mut Map<String, Value>) {
    let hooks = map
        .get_mut("deploymentConfiguration")
        .and_then(|d| d.get_mut("lifecycleHooks"))
        .and_then(Value::as_array_mut);
    for hook in hooks.into_iter().flatten().filter_map(Value::as_object_mut) {
        drop_default(hook, "targetType", &json!("AWS_LAMBDA"));
        if let Some(Value::Object(timeout)) = hook.get_mut("timeoutConfiguration") {
            drop_default(timeout, "timeoutInMinutes", &json!(1440));
            drop_default(timeout, "action", &json!("ROLLBACK"));
        }
    }
}

fn service_defaults(map: &mut Map<String, Value>) {
    drop_default(map, "deploymentController", &json!({"type": "ECS"}));
    drop_default(map, "schedulingStrategy", &json!("REPLICA"));
    drop_default(map, "propagateTags", &json!("NONE"));
    drop_default(map, "platformVersion", &json!("LATEST"));
    drop_default(map, "healthCheckGracePeriodSeconds", &json!(0));
    drop_default(map, "enableECSManagedTags", &json!(false));
    drop_default(map, "enableExecuteCommand", &json!(false));
    drop_default(map, "availabilityZoneRebalancing", &json!("ENABLED"));
    if let Some(Value::Object(network)) = map.get_mut("networkConfiguration")
        && let Some(Value::Object(vpc)) = network.get_mut("awsvpcConfiguration")
    {
        drop_default(vpc, "assignPublicIp", &json!("DISABLED"));
    }
}

fn capacity_provider_defaults(map: &mut Map<String, Value>) {
    for item in map
        .get_mut("capacityProviderStrategy")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
    {
        drop_default(item, "base", &json!(0));
        drop_default(item, "weight", &json!(0));
    }
}

fn sort_unordered_lists(map: &mut Map<String, Value>) {
    let sort = |list: Option<&mut Value>| {
        if let Some(Value::Array(items)) = list {
            items.sort_by_key(Value::to_string);
        }
    };
    for key in [
        "loadBalancers",
        "serviceRegistries",
        "capacityProviderStrategy",
    ] {
        sort(map.get_mut(key));
    }
    if let Some(vpc) = map
        .get_mut("networkConfiguration")
        .and_then(|n| n.get_mut("awsvpcConfiguration"))
    {
        sort(vpc.get_mut("subnets"));
        sort(vpc.get_mut("securityGroups"));
    }
    if let Some(alarms) = map
        .get_mut("deploymentConfiguration")
        .and_then(|d| d.get_mut("alarms"))
    {
        sort(alarms.get_mut("alarmNames"));
    }
}

fn empty_is_absent(map: &mut Map<String, Value>) {
    let mut value = Value::Object(std::mem::take(map));
    drop_empty(&mut value);
    if let Value::Object(done) = value {
        *map = done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicedef::parse_service_definition;

    fn definition(json: Value) -> ServiceDefinition {
        parse_service_definition(&json.to_string()).unwrap()
    }

    /// What ECS describes for `web.json` below: defaults filled in, the role
    /// as an ARN, lists in another order.
    fn described() -> ServiceDefinition {
        crate::servicedef::testing::described(json!({}))
    }

    fn written() -> Value {
        json!({
            "launchType": "FARGATE",
            "role": "ecsServiceRole",
            "healthCheckGracePeriodSeconds": 60,
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"]}},
            "loadBalancers": [{"targetGroupArn": "arn:tg/web", "containerName": "app", "containerPort": 3000}],
            "enableExecuteCommand": false
        })
    }

    #[test]
    fn a_definition_described_back_with_ecs_defaults_is_unchanged() {
        let cmp = compare(&definition(written()), &described(), &BTreeMap::new());
        assert!(cmp.is_empty(), "{cmp:#?}");
    }

    #[test]
    fn a_changed_field_is_the_only_one_sent_and_its_live_value_is_kept_for_a_rollback() {
        let mut file = written();
        file["healthCheckGracePeriodSeconds"] = json!(120);
        file["enableExecuteCommand"] = json!(true);
        let cmp = compare(&definition(file), &described(), &BTreeMap::new());
        assert_eq!(
            cmp.fields,
            ["healthCheckGracePeriodSeconds", "enableExecuteCommand"]
        );
        let update = serde_json::to_value(cmp.update.unwrap()).unwrap();
        assert_eq!(
            update,
            json!({"healthCheckGracePeriodSeconds": 120, "enableExecuteCommand": true})
        );
        let previous = serde_json::to_value(cmp.previous.unwrap()).unwrap();
        assert_eq!(
            previous,
            json!({"healthCheckGracePeriodSeconds": 60, "enableExecuteCommand": false})
        );
        assert_eq!(cmp.live["healthCheckGracePeriodSeconds"], 60);
        assert_eq!(cmp.desired["healthCheckGracePeriodSeconds"], 120);
    }

    #[test]
    fn fields_the_file_leaves_out_are_not_compared() {
        let cmp = compare(
            &definition(json!({"launchType": "FARGATE"})),
            &described(),
            &BTreeMap::new(),
        );
        assert!(cmp.is_empty(), "{cmp:#?}");
    }

    #[test]
    fn a_circuit_breaker_turned_off_in_the_console_is_a_difference() {
        let mut live = serde_json::to_value(described()).unwrap();
        live["deploymentConfiguration"]["deploymentCircuitBreaker"] =
            json!({"enable": false, "rollback": false});
        let live = serde_json::from_value(live).unwrap();
        let cmp = compare(&definition(written()), &live, &BTreeMap::new());
        assert_eq!(cmp.fields, ["deploymentConfiguration"]);
    }

    #[test]
    fn tags_are_put_and_removed_but_deckhand_and_aws_tags_are_left_alone() {
        let mut file = written();
        file["tags"] =
            json!([{"key": "team", "value": "payments"}, {"key": "tier", "value": "web"}]);
        let live_tags: BTreeMap<String, String> = [
            ("team", "shop"),
            ("tier", "web"),
            ("old", "x"),
            ("deckhand:commit", "abc"),
            ("aws:cloudformation:stack-name", "s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let cmp = compare(&definition(file), &described(), &live_tags);
        assert!(cmp.fields.is_empty());
        assert_eq!(cmp.tags.put, [("team".to_owned(), "payments".to_owned())]);
        assert_eq!(cmp.tags.remove, ["old"]);
    }

    #[test]
    fn without_tags_in_the_file_the_services_tags_are_left_alone() {
        let live_tags = BTreeMap::from([("team".to_owned(), "shop".to_owned())]);
        let cmp = compare(&definition(written()), &described(), &live_tags);
        assert!(cmp.tags.is_empty());
    }

    /// A blue/green file's hooks as written (ecspresso's shape, corpus file
    /// 14) and as ECS describes them back, with the hook defaults filled in.
    fn hooks(described: bool) -> ServiceDefinition {
        let mut hook = json!({
            "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:before-install",
            "lifecycleStages": ["PRE_SCALE_UP"],
            "roleArn": "arn:aws:iam::123456789012:role/ecs-blue-green"
        });
        if described {
            hook["targetType"] = json!("AWS_LAMBDA");
            hook["timeoutConfiguration"] = json!({"timeoutInMinutes": 1440, "action": "ROLLBACK"});
        }
        definition(json!({"deploymentConfiguration": {
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": 1,
            "lifecycleHooks": [hook]
        }}))
    }

    #[test]
    fn lifecycle_hooks_described_back_with_ecs_defaults_are_unchanged() {
        let cmp = compare(&hooks(false), &hooks(true), &BTreeMap::new());
        assert!(cmp.is_empty(), "{cmp:#?}");
    }

    #[test]
    fn a_lifecycle_hook_timeout_other_than_the_default_is_a_difference() {
        let mut file = serde_json::to_value(hooks(false)).unwrap();
        file["deploymentConfiguration"]["lifecycleHooks"][0]["timeoutConfiguration"] =
            json!({"timeoutInMinutes": 30, "action": "ROLLBACK"});
        let file = serde_json::from_value(file).unwrap();
        let cmp = compare(&file, &hooks(true), &BTreeMap::new());
        assert_eq!(cmp.fields, ["deploymentConfiguration"]);
    }

    #[test]
    fn every_rule_is_named_and_explained() {
        for rule in RULES {
            assert!(
                !rule.name.is_empty() && rule.why.len() > 20,
                "{}",
                rule.name
            );
        }
    }
}
