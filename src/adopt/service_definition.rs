//! The service definition `init` writes for an adopted service: what
//! DescribeServices reports, cut down to what a person keeps in git. Pure.
//!
//! ECS's defaults are dropped with the planner's own normalization
//! ([`crate::plan::service_definition::normalize`], one list of rules), so
//! the file and the plan agree on what a default is. The planner compares only
//! the fields a file declares, so a field left out here can never show as a
//! change. Three things are not the normalization's to decide:
//!
//! - ECS requires `enable` and `rollback` together in a circuit breaker and in
//!   `alarms`: one that is kept (not all defaults) is kept whole, so the file
//!   stays valid CreateService and UpdateService input.
//! - `role` is written as ECS reports it (an ARN: a role name loses its path),
//!   except ECS's service-linked role, which ECS sets by itself and refuses on
//!   awsvpc services.
//! - Tags are the user's only: deckhand's `deckhand:*` and AWS's `aws:*` are
//!   never written.

use crate::plan::service_definition::{is_reserved_tag, normalize};
use crate::servicedef::ServiceDefinition;
use crate::taskdef::model::Tag;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Objects that ECS takes only whole (`enable` and `rollback` are both
/// required): kept as described when normalization leaves anything of them.
const KEPT_WHOLE: &[[&str; 2]] = &[
    ["deploymentConfiguration", "deploymentCircuitBreaker"],
    ["deploymentConfiguration", "alarms"],
];

/// The definition to write for a service ECS describes as `live`, with
/// `tags` (all of the service's; only the user's are written).
pub fn declared(live: &ServiceDefinition, tags: &BTreeMap<String, String>) -> ServiceDefinition {
    let described = match serde_json::to_value(live).expect("a service definition serializes") {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut kept = normalize(described.clone());
    for [parent, child] in KEPT_WHOLE {
        if let Some(Value::Object(into)) = kept.get_mut(*parent)
            && into.contains_key(*child)
            && let Some(whole) = described.get(*parent).and_then(|p| p.get(*child))
        {
            into.insert((*child).to_owned(), whole.clone());
        }
    }
    kept.remove("tags");
    let mut declared: ServiceDefinition =
        serde_json::from_value(Value::Object(kept)).expect("fields of a definition");
    declared.role = live
        .role
        .clone()
        .filter(|role| !crate::servicedef::is_service_linked_role(role));
    let user_tags: Vec<Tag> = tags
        .iter()
        .filter(|(key, _)| !is_reserved_tag(key))
        .map(|(key, value)| Tag {
            key: Some(key.clone()),
            value: Some(value.clone()),
        })
        .collect();
    declared.tags = (!user_tags.is_empty()).then_some(user_tags);
    declared
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::service_definition::compare;
    use crate::servicedef::parse_service_definition;
    use serde_json::json;

    fn definition(json: Value) -> ServiceDefinition {
        parse_service_definition(&json.to_string()).unwrap()
    }

    /// The service with a service-linked role, alarms off and another
    /// circuit breaker, grace period and ECS Exec.
    fn described() -> ServiceDefinition {
        crate::servicedef::testing::described(json!({
            "role": "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            "enableExecuteCommand": true,
            "healthCheckGracePeriodSeconds": 0,
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": true, "rollback": false},
                "alarms": {"alarmNames": [], "enable": false, "rollback": false}
            }
        }))
    }

    fn tags() -> BTreeMap<String, String> {
        [
            ("team", "shop"),
            ("deckhand:commit", "abc"),
            ("aws:cloudformation:stack-name", "s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn ecs_defaults_the_service_linked_role_and_reserved_tags_are_left_out() {
        let written = serde_json::to_value(declared(&described(), &tags())).unwrap();
        assert_eq!(
            written,
            json!({
                "loadBalancers": [{"targetGroupArn": "arn:tg/web", "containerName": "app", "containerPort": 3000}],
                "launchType": "FARGATE",
                "deploymentConfiguration": {
                    "deploymentCircuitBreaker": {"enable": true, "rollback": false}
                },
                "networkConfiguration": {"awsvpcConfiguration": {
                    "subnets": ["subnet-a", "subnet-b"],
                    "securityGroups": ["sg-1"]
                }},
                "tags": [{"key": "team", "value": "shop"}],
                "enableExecuteCommand": true
            })
        );
    }

    #[test]
    fn what_is_written_plans_as_unchanged_against_what_it_was_read_from() {
        let live = described();
        let cmp = compare(&declared(&live, &tags()), &live, &tags());
        assert!(cmp.is_empty(), "{cmp:#?}");
    }

    #[test]
    fn what_is_written_is_a_valid_service_definition_file() {
        let text = crate::json::pretty(&declared(&described(), &tags()));
        assert!(text.ends_with("}\n"), "{text}");
        let read = parse_service_definition(&text).unwrap();
        assert_eq!(read, declared(&described(), &tags()));
        crate::ecs::servicedef::to_sdk(&read).unwrap();
    }

    #[test]
    fn alarms_in_use_are_kept_whole() {
        let mut live = serde_json::to_value(described()).unwrap();
        live["deploymentConfiguration"]["alarms"] =
            json!({"alarmNames": ["web-5xx"], "enable": true, "rollback": false});
        let live: ServiceDefinition = serde_json::from_value(live).unwrap();
        let written = serde_json::to_value(declared(&live, &BTreeMap::new())).unwrap();
        assert_eq!(
            written["deploymentConfiguration"]["alarms"],
            json!({"alarmNames": ["web-5xx"], "enable": true, "rollback": false})
        );
        assert!(written.get("tags").is_none(), "{written}");
    }

    #[test]
    fn a_load_balancer_role_of_its_own_is_kept_as_its_arn() {
        let role = "arn:aws:iam::123456789012:role/ecs/shop-elb";
        let live = ServiceDefinition {
            role: Some(role.into()),
            launch_type: Some("EC2".into()),
            ..Default::default()
        };
        let written = declared(&live, &BTreeMap::new());
        assert_eq!(written.role.as_deref(), Some(role));
        assert!(compare(&written, &live, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn a_service_of_defaults_only_gets_an_empty_definition() {
        let live = definition(json!({
            "deploymentController": {"type": "ECS"},
            "schedulingStrategy": "REPLICA",
            "enableExecuteCommand": false,
            "deploymentConfiguration": {
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": false, "rollback": false}
            }
        }));
        assert_eq!(
            crate::json::pretty(&declared(&live, &BTreeMap::new())),
            "{}\n"
        );
    }
}
