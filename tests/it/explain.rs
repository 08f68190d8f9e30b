//! Why a release failed, against the emulator: a failing migration shows
//! the last lines of its CloudWatch log (secrets masked); a rollout whose
//! image cannot be pulled names CannotPullContainerError; and the history
//! lists exactly the releases that ran, read afresh from ECS.

use crate::support::{Fixture, emulator};
use serde_json::{Value, json};

const OLD_IMAGE: &str = "shop:3f9c2e1";

#[test]
fn a_failing_migration_shows_the_end_of_its_log() {
    let fx = Fixture::seeded("migration-log");
    let mut lines: Vec<String> = (1..=30).map(|i| format!("migrating step {i}")).collect();
    lines.push("connecting to postgres://shop:hunter2@db.internal/shop".into());
    lines
        .push("PG::DuplicateTable: ERROR:  relation \"index_orders_on_sku\" already exists".into());
    emulator().task_rule(json!({
        "commandContains": fx.id, "exitCode": 1,
        "stoppedReason": "Essential container in task exited", "logLines": lines,
    }));
    fx.edit_spec(|t| {
        t.replace(OLD_IMAGE, "shop:9a8b7c6")
            .replace("20261101000000", "20261120093000")
    });
    let run = fx.apply(&[]);
    run.expect_code(1);
    let err = &run.stderr;
    assert!(err.contains("the migration's last log lines:"), "{err}");
    assert!(
        err.contains(
            "| PG::DuplicateTable: ERROR:  relation \"index_orders_on_sku\" already exists"
        ),
        "{err}"
    );
    assert!(
        err.contains("| connecting to postgres://shop:***@db.internal/shop"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "a secret was printed:\n{err}");
    // The last 20 of 32 lines: step 13 is the first shown, step 12 is not.
    assert!(err.contains("| migrating step 13\n"), "{err}");
    assert!(!err.contains("| migrating step 12\n"), "{err}");
}

#[test]
fn a_rollout_whose_image_cannot_be_pulled_says_so() {
    let fx = Fixture::seeded("cannot-pull");
    // Without preflight (say, an image in a registry deckhand cannot see),
    // ECS tries the tag, fails to pull it, and the circuit breaker stops it.
    fx.edit_spec(|t| t.replace(OLD_IMAGE, "shop:missing-3d2c1b0"));
    let run = fx.apply(&["--no-preflight"]);
    run.expect_code(1);
    let err = &run.stderr;
    assert!(err.contains("rollout failed"), "{err}");
    assert!(err.contains("latest events: "), "{err}");
    assert!(err.contains("tasks stopped: app: CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:missing-3d2c1b0: not found (×"), "{err}");
}

#[test]
fn history_lists_the_releases_that_ran_from_any_machine() {
    let fx = Fixture::seeded("history");
    // 1. a release that succeeds
    let good = fx.edit_spec(|t| t.replace(OLD_IMAGE, "shop:9a8b7c6"));
    fx.apply(&[]).expect_code(0);
    // 2. a no-op: nothing recorded
    fx.apply(&[]).expect_code(0);
    // 3. a release whose migration fails
    emulator().task_rule(json!({"commandContains": fx.id, "exitCode": 1, "stoppedReason": "Essential container in task exited"}));
    let bad = fx.edit_spec(|t| t.replace("20261101000000", "20261120093000"));
    fx.apply(&[]).expect_code(1);

    // A fresh machine: another cache dir, nothing but ECS.
    let fresh = fx.scratch("fresh-cache");
    let run = fx.run(
        "history",
        &["--format", "json", "--cache-dir", fresh.to_str().unwrap()],
    );
    run.expect_code(0);
    let history: Value = serde_json::from_str(&run.stdout).unwrap();
    let releases = history["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 2, "{:#}", history);
    assert_eq!(releases[0]["commit"], json!(bad));
    assert_eq!(releases[0]["result"], "failed:migrate");
    assert_eq!(releases[0]["revision"], "20261120093000");
    assert_eq!(releases[0]["migrated"], false);
    assert!(
        releases[0]["reason"]
            .as_str()
            .unwrap()
            .contains("exit code 1")
    );
    assert_eq!(releases[1]["commit"], json!(good));
    assert_eq!(releases[1]["result"], "succeeded");
    assert!(
        releases[1]["image"]
            .as_str()
            .unwrap()
            .ends_with("shop:9a8b7c6")
    );
    assert!(releases[0]["started"].as_str().unwrap() >= releases[1]["finished"].as_str().unwrap());
    // Ids count up per environment; both came from ordinary commits.
    assert_eq!(
        (releases[0]["id"].as_str(), releases[1]["id"].as_str()),
        (Some("v2"), Some("v1"))
    );
    assert!(
        releases.iter().all(|r| r["kind"] == "release"),
        "{history:#}"
    );

    let text = fx.run("history", &["--limit", "1"]);
    text.expect_code(0);
    assert_eq!(text.stdout.lines().count(), 2, "{}", text.stdout);
    text.stdout_has("failed:migrate");
    assert!(
        text.stdout
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("v2     release "),
        "{}",
        text.stdout
    );
}
