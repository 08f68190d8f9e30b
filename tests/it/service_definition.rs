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
    fx.apply(&[]).expect_code(0);

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

/// A fixture whose `web` service has `service-definitions/web.json`, created
/// by deckhand from it (so ECS describes back what CreateService was given).
pub(crate) fn with_a_created_web(test: &str) -> Fixture {
    let fx = Fixture::new(test);
    let seeded = fx.seed(Some("20261101000000"), |seed| {
        seed["services"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["name"] == "worker");
    });
    let mut web = worker_definition(&seeded);
    web["loadBalancers"][0]["targetGroupArn"] = json!(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
    );
    fx.write(
        "service-definitions/web.json",
        &serde_json::to_string_pretty(&web).unwrap(),
    );
    let family = format!("    family: {}-web\n", fx.id);
    fx.edit_spec(|t| {
        t.replace(
            &family,
            &format!("{family}    serviceDefinition: service-definitions/web.json\n"),
        )
    });
    fx.apply(&[]).expect_code(0);
    // The first release also marks the cluster as released by deckhand: the
    // next one records the commit on the seeded worker too.
    fx.apply(&[]).expect_code(0);
    fx
}

fn edit_web_definition(fx: &Fixture, edit: impl FnOnce(&mut Value)) {
    let path = fx.repo().join("service-definitions/web.json");
    let mut web: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut web);
    fx.write(
        "service-definitions/web.json",
        &serde_json::to_string_pretty(&web).unwrap(),
    );
    fx.commit("edit web's service definition");
}

#[test]
fn a_created_service_plans_as_unchanged_and_an_edit_in_git_is_one_update_service() {
    let fx = with_a_created_web("svcdef-edit");
    // ECS's defaults and spellings in what it describes back are no change.
    let plan = fx.plan_json();
    assert_eq!(plan["changed"], false, "{plan:#}");

    edit_web_definition(&fx, |web| {
        web["healthCheckGracePeriodSeconds"] = json!(90);
        web["deploymentConfiguration"]["deploymentCircuitBreaker"] =
            json!({"enable": false, "rollback": false});
        web["tags"] = json!([{"key": "team", "value": "storefront"}]);
    });
    let plan = fx.plan_json();
    // web is updated; worker only gets the new commit recorded.
    assert_eq!(
        plan["steps"][0],
        json!({"action": "update-service", "service": "web", "taskDefinition": false,
               "desiredCount": null, "serviceDefinition": true}),
        "{plan:#}"
    );
    assert_eq!(plan["steps"][1]["action"], "record-commit", "{plan:#}");
    let diff = &plan["diffs"][0];
    assert_eq!(diff["kind"], "serviceDefinition");
    assert!(
        diff["unified"]
            .as_str()
            .unwrap()
            .contains("+  \"healthCheckGracePeriodSeconds\": 90"),
        "{diff:#}"
    );

    let before = fx.calls().len();
    fx.apply(&[]).expect_code(0);
    let calls = fx.calls();
    let updates: Vec<&Value> = calls[before..]
        .iter()
        .filter(|c| c.operation == "UpdateService" && c.status == 200)
        .map(|c| &c.params)
        .collect();
    assert_eq!(updates.len(), 1, "one UpdateService for the service");
    assert_eq!(updates[0]["healthCheckGracePeriodSeconds"], 90);
    assert!(updates[0].get("taskDefinition").is_none());

    let described = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["web"], "include": ["TAGS"]}),
    );
    let web = &described["services"][0];
    assert_eq!(web["healthCheckGracePeriodSeconds"], 90);
    assert_eq!(
        web["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"],
        false
    );
    let tags = web["tags"].as_array().unwrap();
    assert!(
        tags.contains(&json!({"key": "team", "value": "storefront"})),
        "{tags:?}"
    );
    assert!(
        !tags.contains(&json!({"key": "team", "value": "payments"})),
        "{tags:?}"
    );
    assert_eq!(fx.plan_json()["changed"], false);
}

#[test]
fn a_console_edit_of_a_declared_field_is_drift() {
    let fx = with_a_created_web("svcdef-drift");
    emulator().ecs(
        &fx.key,
        "UpdateService",
        &json!({"cluster": fx.id, "service": "web", "enableExecuteCommand": false}),
    );
    let plan = fx.plan_json();
    assert_eq!(plan["changed"], true, "{plan:#}");
    assert_eq!(plan["steps"][0]["serviceDefinition"], true);
    assert!(
        plan["diffs"][0]["unified"]
            .as_str()
            .unwrap()
            .contains("+  \"enableExecuteCommand\": true"),
        "{plan:#}"
    );
}

#[test]
fn a_field_update_service_cannot_change_is_refused_and_nothing_changes() {
    let fx = with_a_created_web("svcdef-launch");
    edit_web_definition(&fx, |web| web["launchType"] = json!("EC2"));
    let before = fx.calls().len();
    let run = fx.apply(&[]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("service-definitions/web.json")
            && run.stderr.contains("`launchType`")
            && run.stderr.contains("capacityProviderStrategy"),
        "{}",
        run.stderr
    );
    let mutations = fx.mutations_since(before);
    assert!(mutations.is_empty(), "{mutations:?}");
    fx.run("plan", &[]).expect_code(1);
}

fn web_task_definition(fx: &Fixture) -> Value {
    let services = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["web"]}),
    );
    services["services"][0]["taskDefinition"].clone()
}

/// `web` switched to BLUE_GREEN with a bake time, in git, and released.
fn blue_green_web(test: &str, bake_minutes: i64) -> Fixture {
    let fx = with_a_created_web(test);
    edit_web_definition(&fx, |web| {
        web["deploymentConfiguration"]["strategy"] = json!("BLUE_GREEN");
        web["deploymentConfiguration"]["bakeTimeInMinutes"] = json!(bake_minutes);
        // A load-balanced blue/green service shifts traffic between two target groups.
        web["loadBalancers"][0]["advancedConfiguration"] = json!({
            "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123456789abcdef",
            "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef",
            "roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers"
        });
    });
    fx.apply(&[]).expect_code(0);
    fx
}

#[test]
fn a_blue_green_release_is_judged_by_its_service_deployment_through_the_bake_time() {
    let fx = blue_green_web("svcdef-bg", 5);
    let before_definition = web_task_definition(&fx);
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:9a8b7c6"));
    let plan = fx.run("plan", &[]);
    plan.stdout_has("update service web: new task definition (BLUE_GREEN: at least 5m");
    let before = fx.calls().len();
    let run = fx.apply(&[]);
    run.expect_code(0);
    run.stderr_has("web:").stderr_has("stage BAKE_TIME");
    let described = fx.calls()[before..]
        .iter()
        .filter(|c| c.operation == "DescribeServiceDeployments")
        .count();
    assert!(
        described > 0,
        "the rollout was judged by its service deployment"
    );
    assert_ne!(
        web_task_definition(&fx),
        before_definition,
        "web runs the new image"
    );
}

#[test]
fn a_failing_blue_green_release_is_a_rollback_not_a_success() {
    let fx = blue_green_web("svcdef-bgfail", 1);
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:crash-1"));
    let run = fx.apply(&[]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("rolled the deployment back") || run.stderr.contains("rolled back"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_blue_green_rollout_past_its_timeout_is_stopped_with_rollback() {
    let fx = blue_green_web("svcdef-bgslow", 0);
    // Tasks that take a minute to start: the rollout outlasts the timeout.
    fx.rollout_seconds(60.0);
    fx.edit_spec(|t| {
        t.replace("shop:3f9c2e1", "shop:9a8b7c6").replace(
            "  timeout: 10m\n  rollback: true",
            "  timeout: 3s\n  rollback: true",
        )
    });
    let before = fx.calls().len();
    let run = fx.apply(&[]);
    run.expect_code(1);
    // web's deployment is stopped (worker, rolling, times out too).
    let stops: Vec<Value> = fx.calls()[before..]
        .iter()
        .filter(|c| c.operation == "StopServiceDeployment")
        .filter(|c| {
            c.params["serviceDeploymentArn"]
                .as_str()
                .is_some_and(|arn| arn.contains("/web/"))
        })
        .map(|c| c.params.clone())
        .collect();
    assert_eq!(stops.len(), 1, "{}", run.stderr);
    assert_eq!(stops[0]["stopType"], "ROLLBACK");
    run.stderr_has("timed out");
}

#[test]
fn a_service_express_mode_manages_is_refused_by_name_and_nothing_changes() {
    let fx = Fixture::new("sd-express");
    fx.seed(Some("20261101000000"), |request| {
        request["services"][0]["expressMode"] = json!(true);
    });
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:4a5b6c7"));
    for (command, extra) in [("plan", &[][..]), ("apply", &["--yes"][..])] {
        let run = fx.run(command, extra);
        run.expect_code(1);
        assert!(
            run.stderr
                .contains("service 'web' is managed by Amazon ECS Express Mode"),
            "{command}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("aws ecs update-express-gateway-service"),
            "{command}: {}",
            run.stderr
        );
    }
    let mutating = fx.mutations_since(0);
    assert!(mutating.is_empty(), "{mutating:?}");
}
