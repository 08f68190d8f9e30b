//! The smoke test against the emulator: a one-off task on web's new task
//! definition after the rollouts; exit 0 and the release succeeds, exit 1
//! and it fails as `failed:smoke-test` with the services rolled back and
//! the schema kept.

use crate::support::emulator;
use crate::support::fixture::Fixture;
use serde_json::{Value, json};

const NEW: &str = "shop:9a8b7c6";
const REVISION: &str = "20261120093000";

/// The spec with a smoke test running `marker` (the emulator's task rules
/// match it), and a new image and revision.
fn release_with_smoke_test(fx: &Fixture, marker: &str) {
    fx.edit_spec(|t| {
        t.replace("shop:3f9c2e1", NEW)
            .replace("20261101000000", REVISION)
            .replace(
                "deploy:\n",
                &format!("smokeTest:\n  command: [bin/rails, runner, \"{marker}\"]\n  timeout: 1m\n\ndeploy:\n"),
            )
    });
}

fn newest_release(fx: &Fixture) -> Value {
    let run = fx.run("history", &["--format", "json", "--limit", "1"]);
    run.expect_code(0);
    serde_json::from_str::<Value>(&run.stdout).unwrap()["releases"][0].clone()
}

#[test]
fn a_passing_smoke_test_runs_once_on_the_new_definition_after_the_rollouts() {
    let fx = Fixture::seeded("smoke-pass");
    let marker = format!("Smoke.pass-{}", fx.id);
    emulator().task_rule(
        json!({"commandContains": marker, "exitCode": 0, "logLines": ["smoke: 3 checks passed"]}),
    );
    release_with_smoke_test(&fx, &marker);
    let plan = fx.run("plan", &["--format", "json"]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let actions: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.last(), Some(&"smoke-test"), "{actions:?}");

    let run = fx.apply(&[]);
    run.expect_code(0);
    run.stderr_has("smoke-test");
    run.stderr_has("exited 0: the release passed its smoke test");
    let calls = fx.calls();
    let run_tasks: Vec<&Value> = calls
        .iter()
        .filter(|c| c.operation == "RunTask")
        .map(|c| &c.params)
        .collect();
    assert_eq!(run_tasks.len(), 2, "the migration and one smoke test");
    let smoke = run_tasks[1];
    assert_eq!(smoke["startedBy"], format!("deckhand-smoke/{}", fx.id));
    // On web's new task definition, after every UpdateService.
    let last_update = calls
        .iter()
        .rposition(|c| c.operation == "UpdateService")
        .unwrap();
    let smoke_at = calls
        .iter()
        .rposition(|c| c.operation == "RunTask")
        .unwrap();
    assert!(smoke_at > last_update);
    let web = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["web"]}),
    );
    assert_eq!(
        smoke["taskDefinition"],
        web["services"][0]["taskDefinition"]
    );
    assert_eq!(newest_release(&fx)["result"], "succeeded");

    // A later no-op runs nothing.
    let before = fx.count("RunTask");
    fx.apply(&[]).expect_code(0);
    assert_eq!(fx.count("RunTask"), before);
}

#[test]
fn a_failing_smoke_test_fails_the_release_and_rolls_the_services_back() {
    let fx = Fixture::seeded("smoke-fail");
    let marker = format!("Smoke.fail-{}", fx.id);
    emulator().task_rule(json!({"commandContains": marker, "exitCode": 1, "stoppedReason": "Essential container in task exited",
                     "logLines": ["smoke: GET /health → 502", "password=hunter2"]}));
    let web = |fx: &Fixture| {
        emulator().ecs(
            &fx.key,
            "DescribeServices",
            &json!({"cluster": fx.id, "services": ["web"]}),
        )["services"][0]["taskDefinition"]
            .clone()
    };
    let before = web(&fx);
    release_with_smoke_test(&fx, &marker);
    let run = fx.apply(&[]);
    run.expect_code(1);
    run.stderr_has("smoke test failed: task ");
    run.stderr_has("stopped with exit code 1");
    assert!(
        run.stderr
            .contains("rolled back to their previous task definitions: web, worker")
            || run
                .stderr
                .contains("rolled back to their previous task definitions: worker, web"),
        "{}",
        run.stderr
    );
    run.stderr_has("the migration was not rolled back");
    run.stderr_has("smoke: GET /health → 502");
    assert!(
        !run.stderr.contains("hunter2"),
        "secrets masked: {}",
        run.stderr
    );
    assert_eq!(web(&fx), before, "web runs its previous task definition");
    let release = newest_release(&fx);
    assert_eq!(release["result"], "failed:smoke-test", "{release:#}");
    assert_eq!(release["migrated"], true);
    // The schema stays: recorded revision is the new one.
    let cluster = emulator().ecs(
        &fx.key,
        "DescribeClusters",
        &json!({"clusters": [fx.id], "include": ["TAGS"]}),
    );
    let tags = cluster["clusters"][0]["tags"].as_array().unwrap();
    assert!(
        tags.iter().any(
            |t| t["key"] == format!("deckhand:{}:schema-revision", fx.id) && t["value"] == REVISION
        ),
        "{tags:?}"
    );
}
