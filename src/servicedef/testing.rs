//! Test fixtures: a service definition as DescribeServices shows it.

use super::{ServiceDefinition, parse_service_definition};
use serde_json::{Value, json};

/// A Fargate service `web` behind a load balancer as DescribeServices shows
/// it, with every default ECS fills in and lists in another order than a
/// file would have them; `changes` are merged in (objects key by key).
pub fn described(changes: Value) -> ServiceDefinition {
    let mut described = json!({
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "role": "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/ecsServiceRole",
        "deploymentController": {"type": "ECS"},
        "schedulingStrategy": "REPLICA",
        "propagateTags": "NONE",
        "enableECSManagedTags": false,
        "enableExecuteCommand": false,
        "healthCheckGracePeriodSeconds": 60,
        "placementConstraints": [],
        "placementStrategy": [],
        "serviceRegistries": [],
        "deploymentConfiguration": {
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "strategy": "ROLLING"
        },
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-b", "subnet-a"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED"
        }},
        "loadBalancers": [{"targetGroupArn": "arn:tg/web", "containerName": "app", "containerPort": 3000}]
    });
    merge(&mut described, changes);
    parse_service_definition(&described.to_string()).expect("a service definition")
}

fn merge(into: &mut Value, changes: Value) {
    match (into, changes) {
        (Value::Object(into), Value::Object(changes)) => {
            for (key, value) in changes {
                merge(into.entry(key).or_insert(Value::Null), value);
            }
        }
        (into, changes) => *into = changes,
    }
}
