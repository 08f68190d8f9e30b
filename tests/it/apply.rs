//! `deckhand apply` against the emulator: the seed teams' release flows and
//! how each failure leaves ECS.

use crate::support::fixture::Fixture;
use crate::support::{Call, emulator};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};

const OLD_IMAGE: &str = "shop:3f9c2e1";
const NEW_IMAGE: &str = "shop:9a8b7c6";
const OLD_REVISION: &str = "20261101000000";
const NEW_REVISION: &str = "20261120093000";

fn release_commit(fx: &Fixture, image: &str, revision: &str) -> String {
    fx.edit_spec(|t| t.replace(OLD_IMAGE, image).replace(OLD_REVISION, revision))
}

fn task_rule(fx: &Fixture, rule: Value) {
    let mut rule = rule;
    rule["commandContains"] = json!(fx.id);
    emulator().request("POST", "/_deckhand/task-rules", Some(&rule));
}

/// The mutating calls, as `Operation service` (or `Operation` alone).
fn mutations(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.is_mutating() && c.status == 200)
        .map(|c| {
            let p = &c.params;
            match c.operation.as_str() {
                "UpdateService" => {
                    let mut s = format!("UpdateService {}", p["service"].as_str().unwrap_or(""));
                    if let Some(n) = p["desiredCount"].as_i64() {
                        s += &format!(" count={n}");
                    }
                    if p["taskDefinition"].is_string() {
                        s += " td";
                    }
                    s
                }
                "RegisterTaskDefinition" => {
                    format!("Register {}", p["family"].as_str().unwrap_or(""))
                }
                "TagResource" => format!(
                    "Tag {}",
                    p["tags"]
                        .as_array()
                        .map(|t| t
                            .iter()
                            .map(|t| t["key"].as_str().unwrap_or("").to_owned())
                            .collect::<Vec<_>>()
                            .join(","))
                        .unwrap_or_default()
                ),
                "UntagResource" => format!("Untag {}", p["tagKeys"][0].as_str().unwrap_or("")),
                other => other.to_owned(),
            }
        })
        .collect()
}

fn position(list: &[String], prefix: &str) -> usize {
    list.iter()
        .position(|s| s.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {list:#?}"))
}

#[test]
fn a_release_with_a_migration_runs_in_the_safe_order_and_then_is_a_no_op() {
    let fx = Fixture::seeded("release");
    let commit = release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    let run = fx.apply(&[]);
    run.expect_code(0);
    run.stdout_has("Applied 6 step(s)");

    let m = mutations(&fx.calls());
    let quiesce = position(&m, "UpdateService worker count=0");
    let run_task = position(&m, "RunTask");
    let revision = position(&m, &format!("Tag deckhand:{}:schema-revision", fx.id));
    let web = position(&m, "UpdateService web td");
    let restore = position(&m, "UpdateService worker count=2 td");
    // The services are updated together (in either order), and only after
    // the migration succeeded and its revision was recorded.
    assert!(
        quiesce < run_task && run_task < revision && revision < web && revision < restore,
        "{m:#?}"
    );
    assert_eq!(m.iter().filter(|s| *s == "RunTask").count(), 1);
    // web, worker, the migration — and the release's history record, last.
    assert_eq!(
        m.iter().filter(|s| s.starts_with("Register")).count(),
        4,
        "web, worker, migrate: {m:#?}"
    );
    assert!(
        m.last().unwrap().starts_with("Untag deckhand:"),
        "the lease is released last: {m:#?}"
    );
    assert!(m.contains(&"Tag deckhand:commit".to_owned()), "{m:#?}");
    // Progress was shown.
    run.stderr_has("schema revision 20261120093000 applied (exit code 0)");
    run.stderr_has("has reached a steady state");

    // ECS now equals git: a plan shows nothing and a second apply changes nothing.
    assert_eq!(fx.plan_json()["changed"], false);
    let before = fx.calls().len();
    fx.apply(&[]).expect_code(0);
    let after: Vec<Call> = fx.calls()[before..].to_vec();
    assert!(
        after.iter().all(|c| !c.is_mutating()),
        "{:?}",
        mutations(&after)
    );
    // Both services carry the applied commit.
    assert_every_service_carries(&fx, &commit);
}

/// `deckhand status` names `commit` on every service.
#[track_caller]
fn assert_every_service_carries(fx: &Fixture, commit: &str) {
    let status: Value = serde_json::from_str(
        &fx.run("status", &["--format", "json"])
            .expect_code(0)
            .stdout,
    )
    .unwrap();
    for service in status["services"].as_array().unwrap() {
        assert_eq!(service["commit"], commit, "{status:#}");
    }
}

#[test]
fn an_image_only_release_neither_quiesces_nor_migrates() {
    let fx = Fixture::seeded("imageonly");
    release_commit(&fx, NEW_IMAGE, OLD_REVISION);
    fx.apply(&[]).expect_code(0);
    let m = mutations(&fx.calls());
    assert!(
        !m.iter().any(|s| s == "RunTask" || s.contains("count=0")),
        "{m:#?}"
    );
    assert_eq!(
        m.iter().filter(|s| s.starts_with("UpdateService")).count(),
        2,
        "{m:#?}"
    );
    assert_eq!(fx.plan_json()["changed"], false);
}

#[test]
fn a_failed_migration_updates_no_service_and_restores_the_workers() {
    let fx = Fixture::seeded("migfail");
    task_rule(
        &fx,
        json!({"exitCode": 1, "stoppedReason": "Essential container in task exited"}),
    );
    release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    let run = fx.apply(&[]);
    run.expect_code(1);
    run.stderr_has("migration to schema revision 20261120093000 failed");
    run.stderr_has("exit code 1");

    let m = mutations(&fx.calls());
    assert!(
        !m.iter().any(|s| s.ends_with(" td") || s.contains(" td ")),
        "no service got a new task definition: {m:#?}"
    );
    assert!(
        position(&m, "UpdateService worker count=2") > position(&m, "RunTask"),
        "{m:#?}"
    );
    assert!(
        !m.iter()
            .any(|s| s.starts_with(&format!("Tag deckhand:{}:schema-revision", fx.id))),
        "{m:#?}"
    );
    // The revision is still the old one, and the plan still wants the migration.
    let plan = fx.plan_json();
    let migrate = crate::support::fixture::step(&plan, "migrate");
    assert_eq!(migrate["revision"]["from"], OLD_REVISION);
    // Workers are back at 2: the plan quiesces them from 2 again.
    let quiesce = crate::support::fixture::step(&plan, "quiesce");
    assert_eq!(quiesce["desiredCount"]["from"], 2);
}

#[test]
fn a_migration_that_runs_past_its_timeout_is_stopped_and_fails() {
    let fx = Fixture::seeded("migtimeout");
    task_rule(&fx, json!({"exitCode": 0, "runSeconds": -1}));
    fx.edit_spec(|t| {
        t.replace("timeout: 10m\n  quiesce", "timeout: 2s\n  quiesce")
            .replace(OLD_REVISION, NEW_REVISION)
    });
    let run = fx.apply(&[]);
    run.expect_code(1);
    run.stderr_has("timed out after 2s");
    let m = mutations(&fx.calls());
    assert!(position(&m, "StopTask") > position(&m, "RunTask"), "{m:#?}");
}

#[test]
fn a_circuit_breaker_rollback_is_a_failure_and_services_return_to_their_definitions() {
    let fx = Fixture::seeded("rollback");
    release_commit(&fx, "shop:crash-9a8b7c6", OLD_REVISION);
    let run = fx.apply(&[]);
    run.expect_code(1);
    run.stderr_has("rollout failed");
    assert!(
        run.stderr.to_lowercase().contains("circuit breaker"),
        "{}",
        run.stderr
    );
    run.stderr_has("rolled back to their previous task definitions: web, worker");
    let m = mutations(&fx.calls());
    assert!(
        !m.contains(&"Tag deckhand:commit".to_owned()),
        "no commit tag on a failed rollout: {m:#?}"
    );
    // Still out of sync, on the old image.
    let plan = fx.plan_json();
    assert_eq!(plan["changed"], true);
    let diff = plan["diffs"][0]["unified"].as_str().unwrap();
    assert!(
        diff.contains(&format!(
            "-      \"image\": \"123456789012.dkr.ecr.us-east-1.amazonaws.com/{OLD_IMAGE}\""
        )),
        "{diff}"
    );
}

#[test]
fn apply_without_a_terminal_or_yes_refuses_and_changes_nothing() {
    let fx = Fixture::seeded("noyes");
    release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    let run = fx.run("apply", &[]);
    run.expect_code(1);
    run.stderr_has("refusing to apply without --yes");
    assert!(fx.calls().iter().all(|c| !c.is_mutating()));
}

#[test]
fn throttling_on_every_operation_does_not_stop_a_release() {
    let fx = Fixture::seeded("throttleall");
    release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    emulator()
        .fault(json!({"accessKey": fx.key, "operation": "*", "kind": "throttle", "every": 3}));
    fx.apply(&[]).expect_code(0);
    let throttled = fx.calls().iter().filter(|c| c.status == 400).count();
    assert!(throttled > 3, "faults were injected: {throttled}");
    emulator().request(
        "DELETE",
        &format!("/_deckhand/faults?accessKey={}", fx.key),
        None,
    );
    assert_eq!(fx.plan_json()["changed"], false);
}

/// `deckhand apply --yes` in the background, returned once it has started the migration task.
fn apply_until_the_migration_starts(fx: &Fixture) -> std::process::Child {
    let child = fx
        .command("apply", &["--yes"], &[("DECKHAND_POLL_INTERVAL", "200ms")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fx.calls().iter().any(|c| c.operation == "RunTask") {
        assert!(Instant::now() < deadline, "RunTask never came");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

#[test]
fn a_deckhand_killed_during_the_migration_converges_with_one_migration() {
    let fx = Fixture::seeded("kill9");
    task_rule(&fx, json!({"exitCode": 0, "runSeconds": 6}));
    release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    let mut child = apply_until_the_migration_starts(&fx);
    std::thread::sleep(Duration::from_millis(500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let run = fx.apply(&[]);
    run.expect_code(0);
    run.stderr_has("already running");
    assert_eq!(fx.count("RunTask"), 1);
    assert_eq!(
        fx.plan_json()["changed"],
        false,
        "converged, worker restored"
    );
}

#[test]
fn two_concurrent_applies_make_one_release() {
    let fx = Fixture::seeded("concurrent");
    release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    let spawn = || {
        fx.command("apply", &["--yes"], &[("DECKHAND_POLL_INTERVAL", "200ms")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code().unwrap(), b.status.code().unwrap()];
    assert!(
        codes.contains(&0),
        "{codes:?}\n{}\n{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let m = mutations(&fx.calls());
    assert_eq!(m.iter().filter(|s| *s == "RunTask").count(), 1, "{m:#?}");
    // One registration per family over both: the one that stood down
    // registered nothing (its lease claim is all it wrote).
    for service in ["-web", "-worker"] {
        let registrations = m
            .iter()
            .filter(|s| s.starts_with("Register ") && s.ends_with(service))
            .count();
        assert_eq!(registrations, 1, "{m:#?}");
    }
    assert_eq!(
        m.iter()
            .filter(|s| s.starts_with("UpdateService web td"))
            .count(),
        1,
        "{m:#?}"
    );
    if codes.contains(&1) {
        let loser = if codes[0] == 1 { &a } else { &b };
        assert!(String::from_utf8_lossy(&loser.stderr).contains("another deckhand is releasing"));
    }
    assert_eq!(fx.plan_json()["changed"], false);
}

#[test]
fn with_log_format_json_progress_and_logs_are_json_lines() {
    let fx = Fixture::seeded("jsonlogs");
    release_commit(&fx, NEW_IMAGE, OLD_REVISION);
    let run = fx.run_with_env(
        "apply",
        &["--yes", "--log-format", "json", "-v"],
        &[("DECKHAND_POLL_INTERVAL", "200ms")],
    );
    run.expect_code(0);
    let lines: Vec<Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["step"] == "rollout" && l["elapsedSeconds"].is_u64()),
        "{}",
        run.stderr
    );
    // -v logs the ECS calls made, by operation.
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "ECS calls"),
        "{}",
        run.stderr
    );
}

/// The worker's Application Auto Scaling target, as the emulator has it.
fn worker_scaling(fx: &Fixture) -> Value {
    let answer = emulator().autoscaling(
        &fx.key,
        "DescribeScalableTargets",
        &json!({"ServiceNamespace": "ecs", "ResourceIds": [format!("service/{}/worker", fx.id)]}),
    );
    answer["ScalableTargets"][0]["SuspendedState"].clone()
}

#[test]
fn an_autoscaled_worker_stays_suspended_through_the_migration_and_gets_its_state_back() {
    let fx = Fixture::seeded("autoscaled");
    // The team suspends scheduled scaling themselves: that must survive a release.
    let theirs = json!({
        "DynamicScalingInSuspended": false,
        "DynamicScalingOutSuspended": false,
        "ScheduledScalingSuspended": true
    });
    fx.autoscale("worker", theirs.clone());
    task_rule(&fx, json!({"exitCode": 0, "runSeconds": 3}));
    release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    let plan = fx.run("plan", &[]);
    plan.stdout_has("quiesce worker: desiredCount 2 → 0 (its autoscaling suspended");
    let mut child = apply_until_the_migration_starts(&fx);
    // While the migration runs, no autoscaler can bring the worker back.
    assert_eq!(
        worker_scaling(&fx),
        json!({
            "DynamicScalingInSuspended": true,
            "DynamicScalingOutSuspended": true,
            "ScheduledScalingSuspended": true
        })
    );
    assert!(child.wait().unwrap().success());
    assert_eq!(worker_scaling(&fx), theirs, "exactly their state is back");
    assert_eq!(fx.plan_json()["changed"], false);

    // A failed migration gives it back too.
    // Rules match the first that fits: this marker does not contain the id.
    let failing = format!("fail{}", fx.key);
    emulator().task_rule(json!({"commandContains": failing, "exitCode": 1}));
    fx.edit_spec(|t| {
        t.replace(NEW_REVISION, "20261201000000").replace(
            &format!("db:migrate, {}]", fx.id),
            &format!("db:migrate, {failing}]"),
        )
    });
    fx.apply(&[]).expect_code(1);
    assert_eq!(
        worker_scaling(&fx),
        theirs,
        "restored after a failed migration"
    );
}

/// Which deckhand tags the calls left on each resource (by its ARN's last
/// segment): the last TagResource or UntagResource of each key wins.
fn tags_left(calls: &[Call]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut state: std::collections::BTreeMap<(String, String), bool> = Default::default();
    for c in calls.iter().filter(|c| c.status == 200) {
        let resource = c.params["resourceArn"]
            .as_str()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_owned();
        let keys = |v: &Value, field: Option<&str>| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| match field {
                    Some(f) => t[f].as_str(),
                    None => t.as_str(),
                })
                .map(str::to_owned)
                .collect()
        };
        match c.operation.as_str() {
            "TagResource" => {
                for k in keys(&c.params["tags"], Some("key")) {
                    state.insert((resource.clone(), k), true);
                }
            }
            "UntagResource" => {
                for k in keys(&c.params["tagKeys"], None) {
                    state.insert((resource.clone(), k), false);
                }
            }
            _ => {}
        }
    }
    let mut left: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for ((resource, key), present) in state {
        if present {
            left.entry(resource).or_default().push(key);
        }
    }
    left
}

#[test]
fn a_first_release_killed_after_its_first_update_is_finished_by_the_next_apply() {
    // As after `init`: no deckhand:commit anywhere. Rollouts take 5 s, so
    // the kill lands while the release waits for them.
    let fx = Fixture::seeded("firstkill");
    fx.rollout_seconds(5.0);
    let commit = release_commit(&fx, NEW_IMAGE, NEW_REVISION);
    let mut child = fx
        .command("apply", &["--yes"], &[("DECKHAND_POLL_INTERVAL", "200ms")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !fx
        .calls()
        .iter()
        .any(|c| c.operation == "UpdateService" && c.params["taskDefinition"].is_string())
    {
        assert!(
            Instant::now() < deadline,
            "no UpdateService to a new definition"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let left = tags_left(&fx.calls());
    let cluster_tags = left.get(&fx.id).cloned().unwrap_or_default();
    assert!(
        cluster_tags.iter().any(|k| k.ends_with(":release")),
        "the killed release is marked in progress: {left:?}"
    );

    let run = fx.apply(&[]);
    run.expect_code(0);
    run.stderr_has("carrying on the release started");
    assert_eq!(fx.count("RunTask"), 1, "the migration ran once");
    let left = tags_left(&fx.calls());
    for service in ["web", "worker"] {
        let tags = left.get(service).cloned().unwrap_or_default();
        assert!(
            tags.contains(&"deckhand:commit".to_owned()),
            "{service}: {left:?}"
        );
        assert!(
            !tags
                .iter()
                .any(|k| k.contains("quiesced-from") || k.contains("suspended-from")),
            "{service} still marked: {left:?}"
        );
    }
    let cluster_tags = left.get(&fx.id).cloned().unwrap_or_default();
    assert!(
        !cluster_tags
            .iter()
            .any(|k| k.ends_with(":lease") || k.ends_with(":release")),
        "lease or in-progress mark left: {cluster_tags:?}"
    );
    assert_every_service_carries(&fx, &commit);
    // The release is in the history, once, as the one the killed run began.
    let history: Value = serde_json::from_str(
        &fx.run("history", &["--format", "json"])
            .expect_code(0)
            .stdout,
    )
    .unwrap();
    let releases = history["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 1, "{history:#}");
    assert_eq!(releases[0]["result"], "succeeded", "{history:#}");
    assert_eq!(releases[0]["commit"], commit.as_str(), "{history:#}");
    assert_eq!(fx.plan_json()["changed"], false);
}
