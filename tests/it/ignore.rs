//! Ignore rules against the emulator: a field another tool owns is neither
//! drift nor overwritten by a release, and a rule that matches nothing says so.

use crate::plan::actions;
use crate::service_definition::with_a_created_web;
use crate::support::emulator;
use crate::support::fixture::Fixture;
use serde_json::{Value, json};

const AGENT_VARIABLE: &str = "/containerDefinitions/app/environment/NEW_RELIC_APP_NAME";

/// A fixture whose running web definition has `NEW_RELIC_APP_NAME`, as an
/// APM agent injects it at deploy time; git does not have it.
fn with_an_injected_variable(test: &str) -> Fixture {
    let fx = Fixture::new(test);
    let id = fx.id.clone();
    fx.seed(Some("20261101000000"), |seed| {
        let web = &mut seed["services"][0];
        assert_eq!(web["name"], "web");
        web["taskDefinition"]["containerDefinitions"][0]["environment"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "NEW_RELIC_APP_NAME", "value": format!("shop ({id})")}));
    });
    fx
}

fn ignore_rule(fx: &Fixture, rule: &str) {
    fx.edit_spec(|t| {
        t.replace(
            "\nnotifications:",
            &format!("\nignore:\n{rule}\nnotifications:"),
        )
    });
}

fn web_environment(fx: &Fixture) -> Vec<Value> {
    let services = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["web"]}),
    );
    let arn = services["services"][0]["taskDefinition"].clone();
    let described = emulator().ecs(
        &fx.key,
        "DescribeTaskDefinition",
        &json!({"taskDefinition": arn}),
    );
    described["taskDefinition"]["containerDefinitions"][0]["environment"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn an_injected_variable_is_drift_without_a_rule_and_kept_by_a_release_with_one() {
    let fx = with_an_injected_variable("ignore-td");
    let plan = fx.plan_json();
    assert_eq!(
        plan["steps"][0]["action"], "register-task-definition",
        "{plan:#}"
    );

    ignore_rule(
        &fx,
        &format!("  - service: web\n    taskDefinition: [{AGENT_VARIABLE}]"),
    );
    let plan = fx.plan_json();
    assert!(
        !actions(&plan)
            .iter()
            .any(|a| a.starts_with("register-task-definition")),
        "{plan:#}"
    );
    assert_eq!(
        plan["ignored"],
        json!([{"service": "web", "kind": "taskDefinition", "pointer": AGENT_VARIABLE, "rule": 0}])
    );
    let text = fx.run("plan", &[]);
    text.stdout_has("(1 difference ignored)")
        .stdout_has(&format!("web taskDefinition {AGENT_VARIABLE} (ignore[0])"));

    // A release registers a new definition: the agent's value stays.
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:9a8b7c6"));
    let before = fx.calls().len();
    fx.apply(&[]).expect_code(0);
    let registered: Vec<Value> = fx.calls()[before..]
        .iter()
        .filter(|c| {
            c.operation == "RegisterTaskDefinition"
                && c.params["family"].as_str().unwrap().ends_with("-web")
        })
        .map(|c| c.params.clone())
        .collect();
    assert_eq!(registered.len(), 1, "web's definition is registered once");
    let app = &registered[0]["containerDefinitions"][0];
    assert!(
        app["image"].as_str().unwrap().ends_with("shop:9a8b7c6"),
        "{app:#}"
    );
    let expected = json!({"name": "NEW_RELIC_APP_NAME", "value": format!("shop ({})", fx.id)});
    assert!(
        app["environment"].as_array().unwrap().contains(&expected),
        "{app:#}"
    );
    assert!(web_environment(&fx).contains(&expected));
    assert_eq!(fx.plan_json()["changed"], false, "nothing left to do");
}

#[test]
fn a_rule_on_a_container_nobody_has_is_refused_and_an_unmatched_one_warned() {
    let fx = Fixture::seeded("ignore-refuse");
    ignore_rule(
        &fx,
        "  - service: \"*\"\n    taskDefinition: [/containerDefinitions/app/secrets/DD_API_KEY]",
    );
    let run = fx.run("plan", &[]);
    run.expect_code(0);
    run.stdout_has("warning: environments/").stdout_has("ignore[0].taskDefinition: /containerDefinitions/app/secrets/DD_API_KEY matches nothing in git or live (web, worker)");

    fx.edit_spec(|t| {
        t.replace(
            "service: \"*\"\n    taskDefinition: [/containerDefinitions/app/secrets/DD_API_KEY]",
            "service: web\n    taskDefinition: [/containerDefinitions/datadog-agent/environment/DD_VERSION]",
        )
    });
    let before = fx.calls().len();
    let run = fx.apply(&[]);
    run.expect_code(1);
    run.stderr_has("ignore[0]: /containerDefinitions/datadog-agent/environment/DD_VERSION names container 'datadog-agent'");
    let mutations = fx.mutations_since(before);
    assert!(mutations.is_empty(), "{mutations:?}");
}

#[test]
fn ignored_service_fields_are_neither_drift_nor_sent() {
    let fx = with_a_created_web("ignore-sd");
    // The platform team changes the grace period and tags the service.
    emulator().ecs(
        "AKPLATFORMTEAM",
        "UpdateService",
        &json!({"cluster": fx.id, "service": "web", "healthCheckGracePeriodSeconds": 120}),
    );
    let arn = format!("arn:aws:ecs:us-east-1:123456789012:service/{}/web", fx.id);
    emulator().ecs(
        "AKPLATFORMTEAM",
        "TagResource",
        &json!({"resourceArn": arn, "tags": [{"key": "cost-center", "value": "finance-42"}]}),
    );
    let plan = fx.plan_json();
    assert_eq!(
        plan["steps"][0]["serviceDefinition"], true,
        "drift: {plan:#}"
    );

    ignore_rule(
        &fx,
        "  - service: web\n    serviceDefinition:\n      - /healthCheckGracePeriodSeconds\n      - /tags/cost-center",
    );
    let plan = fx.plan_json();
    assert!(
        actions(&plan)
            .iter()
            .all(|a| a.starts_with("record-commit")),
        "{plan:#}"
    );
    assert_eq!(plan["ignored"].as_array().unwrap().len(), 2, "{plan:#}");

    // A change in git to another field is sent without the ignored ones.
    let path = fx.repo().join("service-definitions/web.json");
    let mut web: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    web["enableExecuteCommand"] = json!(false);
    fx.write(
        "service-definitions/web.json",
        &serde_json::to_string_pretty(&web).unwrap(),
    );
    fx.commit("no exec");
    let before = fx.calls().len();
    fx.apply(&[]).expect_code(0);
    let calls = fx.calls();
    let update = calls[before..]
        .iter()
        .find(|c| c.operation == "UpdateService" && c.params["service"] == "web")
        .expect("web is updated");
    assert_eq!(update.params["enableExecuteCommand"], false);
    assert!(
        update.params.get("healthCheckGracePeriodSeconds").is_none(),
        "{:#}",
        update.params
    );
    assert!(
        !calls[before..]
            .iter()
            .any(|c| c.operation == "UntagResource"
                && c.params["tagKeys"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("cost-center"))),
        "cost-center is not removed"
    );
    let described = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["web"], "include": ["TAGS"]}),
    );
    let web = &described["services"][0];
    assert_eq!(web["healthCheckGracePeriodSeconds"], 120);
    assert!(
        web["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "cost-center", "value": "finance-42"}))
    );
    assert_eq!(fx.plan_json()["changed"], false);
}

#[test]
fn the_controller_leaves_an_ignored_field_alone_and_repairs_it_without_the_rule() {
    let fx = with_an_injected_variable("ignore-ctl");
    let rule = format!("  - service: web\n    taskDefinition: [{AGENT_VARIABLE}]");
    ignore_rule(&fx, &rule);
    let before = fx.calls().len();
    let out = fx.controller_once();
    assert!(
        fx.mutations_since(before).is_empty(),
        "a difference only in an ignored field is neither a release nor drift: {:?}\n{out}",
        fx.mutations_since(before)
    );
    let expected = json!({"name": "NEW_RELIC_APP_NAME", "value": format!("shop ({})", fx.id)});
    assert!(web_environment(&fx).contains(&expected));

    // Without the rule, the same difference is applied like any other.
    fx.edit_spec(|t| t.replace(&format!("\nignore:\n{rule}\n"), "\n"));
    let before = fx.calls().len();
    fx.controller_once();
    assert!(
        fx.mutations_since(before)
            .contains(&"RegisterTaskDefinition".to_owned()),
        "{:?}",
        fx.mutations_since(before)
    );
    assert!(!web_environment(&fx).contains(&expected));
}
