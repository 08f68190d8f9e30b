//! `deckhand promote` against the emulator and real git repositories: one
//! commit that changes only TO's image and schema revision, comments and
//! layout kept, released by `apply` as a `promotion`; every gate refuses
//! with exit 1 and writes nothing; a git URL gets the commit pushed.

use crate::support::emulator;
use crate::support::fixture::{Fixture, git};
use serde_json::{Value, json};
use std::time::Duration;

const OLD: &str = "shop:3f9c2e1";
const NEW: &str = "shop:9a8b7c6";
const NEW_REVISION: &str = "20261120093000";

/// A fixture whose environment (staging) released NEW with NEW_REVISION as
/// v1, and a production environment (still on OLD) that takes releases
/// from it; returns production's name.
pub(crate) fn staging_released(test: &str) -> (Fixture, String) {
    let fx = Fixture::seeded(test);
    // Not containing the fixture's id: task rules matching it stay staging's.
    let production = format!("prod-{}", fx.id.replace('-', ""));
    fx.add_environment(&production);
    let file = format!("environments/{production}.yaml");
    let text = std::fs::read_to_string(fx.repo().join(&file)).unwrap();
    fx.write(
        &file,
        &format!(
            "# Production: releases come from staging only.\n{text}\npromotion:\n  from: {}   # the only source\n",
            fx.id
        ),
    );
    fx.commit("production");
    fx.seed_environment(&production, Some("20261101000000"), |_| {});
    fx.edit_spec(|t| t.replace(OLD, NEW).replace("20261101000000", NEW_REVISION));
    let run = fx.apply(&[]);
    run.expect_code(0);
    (fx, production)
}

pub(crate) fn promote(fx: &Fixture, args: &[&str]) -> crate::support::fixture::Run {
    let repo = fx.repo();
    let mut all = vec!["promote", "--repo", repo.to_str().unwrap()];
    all.extend_from_slice(args);
    fx.deckhand(&all)
}

fn head(fx: &Fixture) -> String {
    git(&fx.repo(), &["rev-parse", "HEAD"])
}

#[test]
fn promote_commits_only_the_image_and_revision_and_apply_releases_it_as_a_promotion() {
    let (fx, production) = staging_released("promote");
    let file = format!("environments/{production}.yaml");
    let before = std::fs::read_to_string(fx.repo().join(&file)).unwrap();

    let dry = promote(&fx, &[&fx.id, &production, "--dry-run"]);
    dry.expect_code(0);
    dry.stdout_has(&format!(
        "-image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/{OLD}"
    ));
    dry.stdout_has(&format!(
        "+image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/{NEW}"
    ));
    dry.stdout_has(&format!("+  revision: \"{NEW_REVISION}\""));
    dry.stdout_has("Dry run: nothing was written.");
    let unchanged = head(&fx);

    let run = promote(
        &fx,
        &[
            &fx.id,
            &production,
            "--yes",
            "--git-author",
            "Release Bot <release@example.com>",
        ],
    );
    run.expect_code(0);
    run.stdout_has(&format!("Promoted {} v1 to {production}: commit ", fx.id));
    let commit = head(&fx);
    assert_ne!(commit, unchanged);
    // Exactly two lines of one file changed; comments and layout kept.
    let after = std::fs::read_to_string(fx.repo().join(&file)).unwrap();
    let expected = before
        .replace(OLD, NEW)
        .replace("\"20261101000000\"", &format!("\"{NEW_REVISION}\""));
    assert_eq!(after, expected);
    assert_eq!(
        git(&fx.repo(), &["diff", "--name-only", "HEAD~1", "HEAD"]),
        file
    );
    assert_eq!(
        git(&fx.repo(), &["status", "--porcelain"]),
        "",
        "work tree and index follow"
    );
    let message = git(&fx.repo(), &["log", "-1", "--format=%an <%ae>%n%B"]);
    assert!(
        message.starts_with("Release Bot <release@example.com>\n"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Deckhand-Promote: {} v1 -> {production}", fx.id)),
        "{message}"
    );

    // Released like any commit, recorded as a promotion.
    let apply = fx.deckhand(&[
        "apply",
        "--yes",
        "--repo",
        fx.repo().to_str().unwrap(),
        "--env",
        &production,
    ]);
    apply.expect_code(0);
    let history = fx.deckhand(&[
        "history",
        "--format",
        "json",
        "--repo",
        fx.repo().to_str().unwrap(),
        "--env",
        &production,
    ]);
    history.expect_code(0);
    let history: Value = serde_json::from_str(&history.stdout).unwrap();
    let newest = &history["releases"][0];
    assert_eq!(
        (
            newest["id"].as_str(),
            newest["kind"].as_str(),
            newest["result"].as_str()
        ),
        (Some("v1"), Some("promotion"), Some("succeeded")),
        "{history:#}"
    );
    assert_eq!(newest["revision"], NEW_REVISION);

    // Again: production has it already.
    let again = promote(&fx, &[&fx.id, &production, "--yes"]);
    again.expect_code(0);
    again.stdout_has("nothing to promote");
    assert_eq!(head(&fx), commit);
}

#[test]
fn every_gate_refuses_with_exit_1_and_writes_nothing() {
    let (fx, production) = staging_released("promote-gates");
    // v2 of staging fails its migration.
    emulator().task_rule(json!({"commandContains": fx.id, "exitCode": 1}));
    fx.edit_spec(|t| t.replace(NEW_REVISION, "20261125000000"));
    fx.apply(&[]).expect_code(1);
    let start = head(&fx);

    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![fx.id.clone(), fx.id.clone()],
            format!("cannot promote {} to itself", fx.id),
        ),
        (vec![fx.id.clone(), "nowhere".into()], "nowhere".into()),
        (
            vec![
                fx.id.clone(),
                production.clone(),
                "--release".into(),
                "v9".into(),
            ],
            format!("{} has no release v9 (the newest: v2, v1)", fx.id),
        ),
        (
            vec![
                fx.id.clone(),
                production.clone(),
                "--release".into(),
                "v2".into(),
            ],
            format!("{} v2 did not succeed (failed:migrate)", fx.id),
        ),
        (
            vec![production.clone(), fx.id.clone()],
            format!("{production} runs no release that succeeded"),
        ),
    ];
    for (args, expected) in cases {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.push("--yes");
        let run = promote(&fx, &all);
        run.expect_code(1);
        assert!(run.stderr.contains(&expected), "{args:?}: {}", run.stderr);
    }

    // production's schema is ahead of staging v1's.
    fx.deckhand(&[
        "apply",
        "--yes",
        "--repo",
        fx.repo().to_str().unwrap(),
        "--env",
        &production,
    ]);
    let cluster = emulator().ecs(
        &fx.key,
        "DescribeClusters",
        &json!({"clusters": [production]}),
    );
    let arn = cluster["clusters"][0]["clusterArn"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator().ecs(
        &fx.key,
        "TagResource",
        &json!({"resourceArn": arn, "tags": [{"key": format!("deckhand:{production}:schema-revision"), "value": "20261201000000"}]}),
    );
    let run = promote(&fx, &[&fx.id, &production, "--release", "v1", "--yes"]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "{production}'s schema is at revision 20261201000000, newer than {} v1's {NEW_REVISION}",
        fx.id
    ));

    // A frozen production takes no promotion.
    let repo = fx.repo();
    fx.deckhand(&[
        "freeze",
        &production,
        "--for",
        "1h",
        "--reason",
        "audit",
        "--repo",
        repo.to_str().unwrap(),
    ])
    .expect_code(0);
    let run = promote(&fx, &[&fx.id, &production, "--yes"]);
    run.expect_code(1);
    run.stderr_has(&format!("{production} is frozen until "))
        .stderr_has("nothing was promoted");
    fx.deckhand(&["unfreeze", &production, "--repo", repo.to_str().unwrap()])
        .expect_code(0);

    // production takes releases from its promotion.from only.
    let file = format!("environments/{production}.yaml");
    let text = std::fs::read_to_string(fx.repo().join(&file)).unwrap();
    fx.write(
        &file,
        &text.replace(&format!("from: {}", fx.id), "from: qa"),
    );
    fx.commit("production from qa");
    let run = promote(&fx, &[&fx.id, &production, "--yes"]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "{production} takes releases from qa only (promotion.from), not from {}",
        fx.id
    ));
    assert_eq!(
        git(
            &fx.repo(),
            &["rev-list", "--count", &format!("{start}..HEAD")]
        ),
        "1",
        "only the test's own commit"
    );
}

#[test]
fn promote_pushes_to_a_git_url_fast_forward_and_refuses_an_uncommitted_file() {
    let (fx, production) = staging_released("promote-push");
    let bare = fx.scratch("config.git");
    git(&bare, &["init", "-q", "--bare"]);
    git(
        &fx.repo(),
        &["push", "-q", bare.to_str().unwrap(), "HEAD:refs/heads/main"],
    );
    git(&bare, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    let url = format!("file://{}", bare.display());
    let run = fx.deckhand(&["promote", &fx.id, &production, "--repo", &url, "--yes"]);
    run.expect_code(0);
    run.stdout_has("pushed to main");
    let message = git(&bare, &["log", "-1", "--format=%B", "main"]);
    assert!(
        message.starts_with(&format!("Promote {} v1 to {production}", fx.id)),
        "{message}"
    );
    let changed = git(&bare, &["diff", "--name-only", "main~1", "main"]);
    assert_eq!(changed, format!("environments/{production}.yaml"));

    // The controller following that repository releases the promotion.
    let mut vars = fx.aws_env();
    vars.push(("DECKHAND_POLL_INTERVAL", "200ms".into()));
    let run = fx.deckhand_with(
        &["controller", "--once", "--repo", &url, "--env", &production],
        &vars,
    );
    assert!(
        run.stdout.contains(&format!("{production}: applied")),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let history = fx.deckhand(&[
        "history",
        "--format",
        "json",
        "--repo",
        &url,
        "--env",
        &production,
    ]);
    let history: Value = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(history["releases"][0]["kind"], "promotion", "{history:#}");

    // A local repository whose file has uncommitted changes: refused.
    let file = fx.repo().join(format!("environments/{production}.yaml"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}# an edit in progress\n")).unwrap();
    let before = head(&fx);
    let run = promote(&fx, &[&fx.id, &production, "--yes"]);
    run.expect_code(1);
    run.stderr_has("has uncommitted changes: commit or stash them first");
    assert_eq!(head(&fx), before);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .ends_with("# an edit in progress\n")
    );
}

#[test]
fn the_controller_shows_each_environments_promotion_candidate() {
    let (fx, production) = staging_released("promote-status");
    let controller =
        crate::controller::Running::start(&fx, &["--env", &production, "--interval", "1s"], &[]);
    let candidate = |controller: &crate::controller::Running| {
        let status = controller.status_json();
        status["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["environment"] == production.as_str())
            .and_then(|e| e["promotion"]["candidate"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let can_go = format!(
        "{} v1 can go to {production}: deckhand promote {} {production}",
        fx.id, fx.id
    );
    controller.wait_for(Duration::from_secs(30), "the candidate", || {
        candidate(&controller) == can_go
    });
    let (_, page) = controller.get(&format!("/environments/{production}"));
    assert!(page.contains("<dt>Promotion</dt>"), "{page}");

    promote(&fx, &[&fx.id, &production, "--yes"]).expect_code(0);
    let already = format!("{production} already has {} v1", fx.id);
    controller.wait_for(Duration::from_secs(60), "the promotion released", || {
        candidate(&controller) == already
    });
}
