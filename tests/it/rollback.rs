//! `deckhand rollback` against the emulator and a real git repository: a
//! commit that restores an earlier release's files with the schema
//! revision kept, refused for an older schema without `--accept-schema`;
//! `--now` applies at once under a hold that the controller keeps across
//! restarts until `release-hold` or a commit with another image.

use crate::support::fixture::{Fixture, git};
use serde_json::Value;

const V1: &str = "shop:9a8b7c6";
const V2: &str = "shop:b4d1dea";
const R1: &str = "20261120093000";
const R2: &str = "20261125000000";

/// Staging released v1 (image V1, revision R1), then v2 (V2, R2); returns
/// v1's commit.
fn two_releases(test: &str) -> (Fixture, String) {
    let fx = Fixture::seeded(test);
    let v1 = fx.edit_spec(|t| t.replace("shop:3f9c2e1", V1).replace("20261101000000", R1));
    fx.apply(&[]).expect_code(0);
    fx.edit_spec(|t| t.replace(V1, V2).replace(R1, R2));
    fx.apply(&[]).expect_code(0);
    (fx, v1)
}

fn rollback(fx: &Fixture, args: &[&str]) -> crate::support::fixture::Run {
    let repo = fx.repo();
    let mut all = vec!["rollback", &fx.id, "--repo", repo.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut vars = fx.aws_env();
    vars.push(("DECKHAND_POLL_INTERVAL", "200ms".into()));
    fx.deckhand_with(&all, &vars)
}

fn history(fx: &Fixture) -> Vec<Value> {
    let run = fx.run("history", &["--format", "json"]);
    run.expect_code(0);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    v["releases"].as_array().unwrap().clone()
}

/// The image each service runs, as ECS describes it.
fn live_images(fx: &Fixture) -> Vec<String> {
    let ecs = |op: &str, body: Value| crate::support::emulator().ecs(&fx.key, op, &body);
    let services = ecs(
        "DescribeServices",
        serde_json::json!({"cluster": fx.id, "services": ["web", "worker"]}),
    );
    services["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let td = ecs(
                "DescribeTaskDefinition",
                serde_json::json!({"taskDefinition": s["taskDefinition"]}),
            );
            td["taskDefinition"]["containerDefinitions"][0]["image"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn rollback_restores_the_files_keeps_the_schema_and_refuses_an_older_one_unasked() {
    let (fx, v1_commit) = two_releases("rollback");
    let before = git(&fx.repo(), &["rev-parse", "HEAD"]);
    // v1 ran R1, older than the recorded R2.
    let run = rollback(&fx, &["--yes"]);
    run.expect_code(1);
    run.stderr_has(&format!("{} v1 ran schema revision {R1}, older than the recorded {R2}: its image would run against the newer schema" , fx.id));
    run.stderr_has("--accept-schema");
    assert_eq!(
        git(&fx.repo(), &["rev-parse", "HEAD"]),
        before,
        "nothing written"
    );

    let run = rollback(
        &fx,
        &["--accept-schema", "--reason", "500s after v2", "--yes"],
    );
    run.expect_code(0);
    run.stdout_has(&format!("Rolled {} back to v1: commit ", fx.id));
    // The file as of v1's commit, with the revision recorded now.
    let file = fx.spec_path();
    let at_v1 = git(
        &fx.repo(),
        &["show", &format!("{v1_commit}:environments/{}.yaml", fx.id)],
    );
    let now = std::fs::read_to_string(&file).unwrap();
    assert_eq!(now.trim_end(), at_v1.replace(R1, R2).trim_end());
    let message = git(&fx.repo(), &["log", "-1", "--format=%B"]);
    assert!(message.contains("Reason: 500s after v2"), "{message}");
    assert!(
        message.contains(&format!("Deckhand-Rollback: {} v2 -> v1", fx.id)),
        "{message}"
    );

    fx.apply(&[]).expect_code(0);
    let releases = history(&fx);
    assert_eq!(releases[0]["kind"], "rollback", "{releases:#?}");
    assert_eq!(releases[0]["result"], "succeeded");
    assert_eq!(
        releases[0]["migrated"], false,
        "a rollback runs no migration"
    );
    assert_eq!(releases[0]["revision"], R2);
    assert!(
        live_images(&fx).iter().all(|i| i.ends_with(V1)),
        "{:?}",
        live_images(&fx)
    );

    // Unknown releases are named as such.
    let run = rollback(&fx, &["v9", "--yes"]);
    run.expect_code(1);
    run.stderr_has(&format!("{} has no release v9", fx.id));
}

#[test]
fn rollback_now_holds_the_bad_image_across_controller_restarts_until_released() {
    let (fx, _) = two_releases("rollback-now");
    let bad = git(&fx.repo(), &["rev-parse", "HEAD"]);
    let run = rollback(&fx, &["--now", "--accept-schema", "--yes"]);
    run.expect_code(0);
    run.stdout_has(&format!("Applied the rollback of {} to v1", fx.id));
    assert!(live_images(&fx).iter().all(|i| i.ends_with(V1)));
    assert_eq!(history(&fx)[0]["kind"], "rollback");

    // As if the rollback commit had never landed: the branch renders the bad image.
    git(&fx.repo(), &["reset", "-q", "--hard", &bad]);
    for _ in 0..2 {
        // Twice: a restarted controller reads the hold from the cluster again.
        let out = fx.controller_once();
        assert!(out.contains("held since"), "{out}");
        assert!(
            out.contains(&format!("deckhand release-hold {}", fx.id)),
            "{out}"
        );
        assert!(
            live_images(&fx).iter().all(|i| i.ends_with(V1)),
            "not re-applied"
        );
    }
    let run = fx.deckhand(&[
        "release-hold",
        &fx.id,
        "--repo",
        fx.repo().to_str().unwrap(),
    ]);
    run.expect_code(0);
    run.stdout_has(&format!("Released the hold on {}", fx.id));
    let out = fx.controller_once();
    assert!(out.contains("applied"), "{out}");
    assert!(
        live_images(&fx).iter().all(|i| i.ends_with(V2)),
        "{:?}",
        live_images(&fx)
    );
    let run = fx.deckhand(&[
        "release-hold",
        &fx.id,
        "--repo",
        fx.repo().to_str().unwrap(),
    ]);
    run.stdout_has("has no hold");
}

#[test]
fn a_commit_with_another_image_ends_the_hold() {
    let (fx, _) = two_releases("rollback-lift");
    rollback(&fx, &["--now", "--accept-schema", "--yes"]).expect_code(0);
    // The rollback commit landed: it renders v1's image, not the held one.
    let out = fx.controller_once();
    assert!(!out.contains("held since"), "{out}");
    let cluster = crate::support::emulator().ecs(
        &fx.key,
        "DescribeClusters",
        &serde_json::json!({"clusters": [fx.id], "include": ["TAGS"]}),
    );
    let tags = cluster["clusters"][0]["tags"].as_array().unwrap();
    assert!(
        !tags
            .iter()
            .any(|t| t["key"] == format!("deckhand:{}:hold", fx.id)),
        "{tags:?}"
    );
}
