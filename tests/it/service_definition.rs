//! Service definitions against the emulator: what a user writes in
//! `service-definitions/*.json` is what ECS gets.

use crate::support::emulator;
use crate::support::fixture::Fixture;
use serde_json::{Value, json};

/// A worker service definition using the fields new users reach for first.
fn worker_definition(seeded: &Value) -> Value {
    json!({
        "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": seeded["subnets"],
            "securityGroups": seeded["securityGroups"],
            "assignPublicIp": "DISABLED"
        }},
        "loadBalancers": [{
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/worker/0123456789abcdef",
            "containerName": "app",
            "containerPort": 3000
        }],
        "healthCheckGracePeriodSeconds": 45,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "maximumPercent": 150,
            "minimumHealthyPercent": 50
        },
        "enableExecuteCommand": true,
        "propagateTags": "SERVICE",
        "tags": [{"key": "team", "value": "payments"}]
    })
}

#[test]
fn a_new_service_is_created_with_every_field_of_its_service_definition() {
    let fx = Fixture::new("svcdef-create");
    let seeded = fx.seed(Some("20261101000000"), |seed| {
        seed["services"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["name"] == "web");
    });
    fx.write(
        "service-definitions/worker.json",
        &serde_json::to_string_pretty(&worker_definition(&seeded)).unwrap(),
    );
    fx.edit_spec(|t| {
        t.replace(
            "    command: [bundle, exec, sidekiq]\n",
            "    command: [bundle, exec, sidekiq]\n    serviceDefinition: service-definitions/worker.json\n",
        )
    });
    fx.run_with_env("apply", &["--yes"], &[("DECKHAND_POLL_INTERVAL", "200ms")])
        .expect_code(0);

    let described = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["worker"], "include": ["TAGS"]}),
    );
    let worker = &described["services"][0];
    assert_eq!(worker["launchType"], "FARGATE");
    assert_eq!(worker["desiredCount"], 2);
    assert_eq!(
        worker["loadBalancers"][0]["targetGroupArn"],
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/worker/0123456789abcdef"
    );
    assert_eq!(worker["loadBalancers"][0]["containerPort"], 3000);
    assert_eq!(worker["healthCheckGracePeriodSeconds"], 45);
    let deployment = &worker["deploymentConfiguration"];
    assert_eq!(
        deployment["deploymentCircuitBreaker"],
        json!({"enable": true, "rollback": true})
    );
    assert_eq!(deployment["maximumPercent"], 150);
    assert_eq!(deployment["minimumHealthyPercent"], 50);
    assert_eq!(worker["enableExecuteCommand"], true);
    assert_eq!(worker["propagateTags"], "SERVICE");
    assert!(
        worker["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "team", "value": "payments"})),
        "{worker:#}"
    );
    assert_eq!(
        worker["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
        seeded["subnets"]
    );
}
