//! `deckhand init` against the emulator: a config repo written from what a
//! cluster runs (task-definition templates and each service's service
//! definition), which plans as no change, and is never overwritten unforced.

use crate::support::Fixture;
use serde_json::{Value, json};
use std::path::Path;

fn init(fx: &Fixture, repo: &Path, extra: &[&str]) -> crate::support::fixture::Run {
    let mut args = vec![
        "init",
        "--cluster",
        &fx.id,
        "--env",
        &fx.id,
        "--repo",
        repo.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    fx.deckhand(&args)
}

fn plan_of(fx: &Fixture, repo: &Path) -> crate::support::fixture::Run {
    fx.plan_detailed(repo, &fx.aws_env())
}

#[test]
fn init_writes_a_repo_that_plans_as_no_change() {
    let fx = Fixture::seeded("init");
    // The worker is autoscaled: its count is left to the scaler.
    fx.autoscale("worker", serde_json::Value::Null);
    let repo = fx.scratch("adopted");
    let run = init(&fx, &repo, &[]);
    run.expect_code(0);
    run.stdout_has("Adopted 2 service(s)");
    // Reading the cluster changed nothing in ECS.
    assert!(
        fx.calls()
            .iter()
            .all(|c| !c.is_mutating() || c.operation == "RegisterScalableTarget"),
        "{:?}",
        fx.calls()
    );
    let spec = std::fs::read_to_string(repo.join(format!("environments/{}.yaml", fx.id))).unwrap();
    // Web and worker differ only by command: one template.
    let templates: Vec<_> = std::fs::read_dir(repo.join("task-definitions"))
        .unwrap()
        .collect();
    assert_eq!(templates.len(), 1, "{spec}");
    assert!(spec.contains("# migration:"), "{spec}");
    assert!(spec.contains("command: [bundle, exec, sidekiq]"), "{spec}");
    assert!(spec.contains("desiredCount: 2"), "{spec}");
    assert!(
        spec.contains("# desiredCount is left to Application Auto Scaling"),
        "{spec}"
    );
    for service in ["web", "worker"] {
        let path = format!("service-definitions/{}-{service}.json", fx.id);
        assert!(
            spec.contains(&format!("    serviceDefinition: {path}\n")),
            "{spec}"
        );
        assert!(repo.join(&path).exists(), "{path}");
    }
    let validate = fx.deckhand(&["validate", "--repo", repo.to_str().unwrap()]);
    validate.expect_code(0);
    let plan = plan_of(&fx, &repo);
    plan.expect_code(0);
    plan.stdout_has("No changes");
}

#[test]
fn init_never_overwrites_without_force() {
    let fx = Fixture::seeded("init-force");
    let repo = fx.scratch("adopted");
    init(&fx, &repo, &["--service", "web"]).expect_code(0);
    let spec_path = repo.join(format!("environments/{}.yaml", fx.id));
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    assert!(!spec.contains("worker:"), "{spec}");
    std::fs::write(&spec_path, "# my edits\n").unwrap();
    let again = init(&fx, &repo, &[]);
    again.expect_code(1);
    again.stderr_has("already exist").stderr_has("--force");
    assert_eq!(std::fs::read_to_string(&spec_path).unwrap(), "# my edits\n");
    init(&fx, &repo, &["--force"]).expect_code(0);
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    assert!(spec.contains("worker:"), "{spec}");
    plan_of(&fx, &repo).expect_code(0);
}

#[test]
fn init_of_a_missing_service_or_cluster_says_what_there_is() {
    let fx = Fixture::seeded("init-missing");
    let repo = fx.scratch("adopted");
    let run = init(&fx, &repo, &["--service", "api"]);
    run.expect_code(1);
    run.stderr_has("service 'api' is not in cluster")
        .stderr_has("web, worker");
    let run = fx.deckhand(&[
        "init",
        "--cluster",
        "no-such-cluster",
        "--env",
        "x",
        "--repo",
        repo.to_str().unwrap(),
    ]);
    run.expect_code(1);
    run.stderr_has("cluster 'no-such-cluster' not found");
    assert!(
        std::fs::read_dir(&repo).unwrap().next().is_none(),
        "nothing written"
    );
}

fn plan_json(fx: &Fixture, repo: &Path) -> Value {
    let run = fx.deckhand(&[
        "plan",
        "--repo",
        repo.to_str().unwrap(),
        "--env",
        &fx.id,
        "--format",
        "json",
    ]);
    serde_json::from_str(&run.expect_code(0).stdout).expect("plan prints JSON")
}

#[test]
fn init_writes_each_services_definition_which_plans_as_no_change_until_edited() {
    let fx = Fixture::new("init-svcdef");
    let target_group =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";
    fx.seed(Some("20261101000000"), |seed| {
        let web = &mut seed["services"][0];
        assert_eq!(web["name"], "web");
        web["loadBalancers"] =
            json!([{"targetGroupArn": target_group, "containerName": "app", "containerPort": 3000}]);
        web["healthCheckGracePeriodSeconds"] = json!(60);
        web["enableExecuteCommand"] = json!(true);
        web["propagateTags"] = json!("SERVICE");
        web["tags"] = json!({"team": "shop", "deckhand:web:note": "deckhand's own"});
    });
    let repo = fx.scratch("adopted");
    init(&fx, &repo, &[]).expect_code(0);

    let path = repo.join(format!("service-definitions/{}-web.json", fx.id));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with("}\n") && text.contains("\n  \""),
        "pretty: {text}"
    );
    let web: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        web["loadBalancers"],
        json!([{"targetGroupArn": target_group, "containerName": "app", "containerPort": 3000}])
    );
    assert_eq!(
        web["deploymentConfiguration"],
        json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true}})
    );
    assert_eq!(web["enableExecuteCommand"], true);
    assert_eq!(web["healthCheckGracePeriodSeconds"], 60);
    assert_eq!(web["propagateTags"], "SERVICE");
    assert_eq!(web["launchType"], "FARGATE");
    // The user's tags only; ECS's defaults and its service-linked role are left out.
    assert_eq!(web["tags"], json!([{"key": "team", "value": "shop"}]));
    for left_out in [
        "role",
        "platformVersion",
        "schedulingStrategy",
        "deploymentController",
        "enableECSManagedTags",
        "placementConstraints",
        "serviceRegistries",
    ] {
        assert!(web.get(left_out).is_none(), "{left_out} in {text}");
    }
    assert!(
        web["networkConfiguration"]["awsvpcConfiguration"]
            .get("assignPublicIp")
            .is_none(),
        "{text}"
    );

    let plan = plan_json(&fx, &repo);
    assert_eq!(plan["changed"], false, "{plan:#}");

    let mut edited = web.clone();
    edited["healthCheckGracePeriodSeconds"] = json!(120);
    std::fs::write(&path, serde_json::to_string_pretty(&edited).unwrap()).unwrap();
    let plan = plan_json(&fx, &repo);
    let update = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["action"] == "update-service" && s["service"] == "web")
        .unwrap_or_else(|| panic!("no update-service of web in {plan:#}"));
    assert_eq!(update["serviceDefinition"], true, "{plan:#}");
    assert_eq!(update["taskDefinition"], false, "{plan:#}");
    assert!(
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["service"] != "worker"),
        "{plan:#}"
    );
}

#[test]
fn init_does_not_adopt_a_service_express_mode_manages() {
    let fx = Fixture::new("init-express");
    fx.seed(None, |request| {
        request["services"][1]["expressMode"] = json!(true);
    });
    let repo = fx.scratch("adopted");
    let run = init(&fx, &repo, &[]);
    run.expect_code(1);
    run.stderr_has("'worker' is managed by Amazon ECS Express Mode");
    assert!(!repo.join("environments").exists(), "nothing written");
}
