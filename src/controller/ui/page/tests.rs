//! The pages on fixtures: what a reader sees for each state.

use super::*;
use crate::controller::state::{MigrationLog, ProgressEvent, ReleaseProgress};
use crate::controller::view::{LiveView, PendingView, ServiceView, Wanted};
use crate::history::{Recorded, Release, ReleaseKind};
use crate::plan::Diff;

const NOW: i64 = 1_796_000_000;
const SHA: &str = "3f9c2e1aa5b6c7d8e9f00112233445566778899a";
const NEXT: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3";

fn service(name: &str, image: &str, running: i32) -> ServiceView {
    ServiceView {
        name: name.into(),
        task_definition: format!("shop-{name}:7"),
        image: Some(format!("registry.example/shop:{image}")),
        running,
        desired: 2,
        pending: 2 - running,
        rollout: if running == 2 {
            "COMPLETED"
        } else {
            "IN_PROGRESS"
        }
        .into(),
        rollout_reason: None,
        commit: Some(SHA.into()),
        quiesced_from: None,
    }
}

fn status(name: &str, result: ResultKind) -> EnvironmentStatus {
    EnvironmentStatus {
        environment: name.into(),
        commit_applied: Some(SHA.into()),
        commit_seen: Some(SHA.into()),
        last_result: Some(result),
        last_reconcile_at: Some(iso(NOW - 30)),
        in_sync: Some(matches!(result, ResultKind::InSync)),
        wanted: Some(Wanted {
            cluster: format!("shop-{name}"),
            region: None,
            image: "registry.example/shop:3f9c2e1".into(),
            revision: Some("20261101000000".into()),
            ignored: vec![],
            warnings: vec![],
            signed_by: None,
        }),
        live: Some(LiveView {
            revision: Some("20261101000000".into()),
            services: vec![
                service("web", "3f9c2e1", 2),
                service("worker", "3f9c2e1", 2),
            ],
            missing: vec![],
        }),
        recent_releases: Some(vec![Recorded {
            id: "v3".into(),
            release: Release {
                kind: ReleaseKind::Release,
                started: iso(NOW - 3700),
                finished: iso(NOW - 3600),
                commit: Some(SHA.into()),
                image: "registry.example/shop:3f9c2e1".into(),
                revision: Some("20261101000000".into()),
                migrated: true,
                result: "succeeded".into(),
                reason: None,
                by: "deckhand@ci-1".into(),
            },
        }]),
        ..Default::default()
    }
}

fn board(environments: Vec<EnvironmentStatus>) -> Board {
    let commits = [CommitInfo {
        sha: SHA.into(),
        summary: "Bump shop to 3f9c2e1".into(),
        author: "Ada Lovelace".into(),
        time: NOW - 7200,
    }]
    .into_iter()
    .map(|c| (c.sha.clone(), c))
    .collect();
    Board {
        ready: true,
        repo: RepoStatus {
            commit: Some(SHA.into()),
            error: None,
        },
        environments,
        commits,
        generation: 7,
        replica: None,
    }
}

fn out_of_sync() -> EnvironmentStatus {
    let mut s = status("production", ResultKind::OutOfSync);
    s.commit_seen = Some(NEXT.into());
    s.reason = Some("commit not applied yet: register …; migrate … (sync.auto is false)".into());
    if let Some(w) = &mut s.wanted {
        w.image = "registry.example/shop:9a8b7c6".into();
        w.revision = Some("20261201000000".into());
    }
    s.pending = Some(PendingView {
        drift: false,
        held_by: Some("sync.auto is false"),
        steps: vec![
            "register task definition shop-production-web for web".into(),
            "migrate schema 20261101000000 → 20261201000000".into(),
        ],
        diffs: vec![Diff {
            kind: crate::plan::DiffKind::TaskDefinition,
            service: "web".into(),
            unified: "--- live\n+++ desired\n@@ -3,1 +3,1 @@\n-  \"image\": \"registry.example/shop:3f9c2e1\",\n+  \"image\": \"registry.example/shop:9a8b7c6\",\n   \"name\": \"app\"\n".into(),
        }],
    });
    s
}

#[test]
fn the_overview_shows_every_environment_with_its_state_commit_image_and_schema() {
    let b = board(vec![status("staging", ResultKind::InSync), out_of_sync()]);
    let html = overview(&b, NOW);
    assert!(
        html.contains("2 environments: 1 in sync, 1 out of sync"),
        "{html}"
    );
    let staging = html
        .lines()
        .find(|l| l.contains("id=\"env-staging\""))
        .expect("a row for staging");
    assert!(staging.contains("<a href=\"/environments/staging\">staging</a>"));
    assert!(staging.contains("<span class=\"badge in-sync\">in sync</span>"));
    assert!(
        staging.contains(
            "<code title=\"3f9c2e1aa5b6c7d8e9f00112233445566778899a\">3f9c2e1aa5b6</code>"
        )
    );
    assert!(staging.contains("Bump shop to 3f9c2e1") && staging.contains("Ada Lovelace"));
    assert!(staging.contains(">2 hours ago</time>"), "{staging}");
    assert!(
        staging.contains("data-label=\"Image\">3f9c2e1</td>"),
        "{staging}"
    );
    assert!(staging.contains("succeeded</span> <time"), "{staging}");
    let production = html
        .lines()
        .find(|l| l.contains("id=\"env-production\""))
        .expect("a row for production");
    assert!(production.contains("badge out-of-sync\">out of sync"));
    assert!(
        production.contains("<p class=\"why\">2 steps wait to be applied (sync.auto is false)</p>"),
        "{production}"
    );
    // What runs, and where it is going.
    assert!(production.contains("3f9c2e1 <span aria-hidden=\"true\">→</span><span class=\"sr\"> to </span> <strong>9a8b7c6</strong>"), "{production}");
    assert!(production.contains("<strong>20261201000000</strong>"));
}

#[test]
fn an_out_of_sync_environment_shows_its_steps_and_colored_diffs() {
    let b = board(vec![out_of_sync()]);
    let html = environment(&b, "production", NOW).expect("known");
    assert!(html.contains("<h2 id=\"plan-h\">Pending plan</h2>"));
    assert!(html.contains("<li>migrate schema 20261101000000 → 20261201000000</li>"));
    assert!(html.contains("<span class=\"del\">-  &quot;image&quot;: &quot;registry.example/shop:3f9c2e1&quot;,</span>"), "{html}");
    assert!(html.contains("<span class=\"add\">+  &quot;image&quot;: &quot;registry.example/shop:9a8b7c6&quot;,</span>"));
    assert!(html.contains("<span class=\"file\">+++ desired</span>"));
    assert!(html.contains("<dt>Latest commit</dt><dd><code title=\"9a8b7c6"));
    // The services as they run, and the history.
    assert!(html.contains("<th scope=\"row\" data-label=\"Service\">web</th><td data-label=\"Task definition\"><code>shop-web:7</code></td><td data-label=\"Running / desired\" class=\"counts\">2 / 2</td>"), "{html}");
    assert!(html.contains("20261101000000 (migrated)"));
    assert!(html.contains("deckhand@ci-1"));
    assert_eq!(environment(&b, "nope", NOW), None);
}

#[test]
fn ignored_fields_and_rules_that_match_nothing_are_shown() {
    let mut s = status("staging", ResultKind::InSync);
    let wanted = s.wanted.as_mut().unwrap();
    wanted.ignored = vec![crate::plan::Ignored {
        service: "web".into(),
        kind: crate::spec::ignore::Target::TaskDefinition,
        pointer: "/containerDefinitions/app/environment/NEW_RELIC_APP_NAME".into(),
        rule: 0,
    }];
    wanted.signed_by = Some("Ada <ada@example.com>".into());
    wanted.warnings = vec![
        "environments/staging.yaml: ignore[1].taskDefinition: /x matches nothing <in git or live>"
            .into(),
    ];
    let html = environment(&board(vec![s]), "staging", NOW).unwrap();
    assert!(html.contains("<dt>Ignored</dt><dd>kept at their live value: web <code>/containerDefinitions/app/environment/NEW_RELIC_APP_NAME</code></dd>"), "{html}");
    assert!(
        html.contains("<dt>Signed by</dt><dd>Ada &lt;ada@example.com&gt;</dd>"),
        "{html}"
    );
    assert!(html.contains("<dt>Warning</dt><dd>environments/staging.yaml: ignore[1].taskDefinition: /x matches nothing &lt;in git or live&gt;</dd>"), "{html}");
}

#[test]
fn drift_is_named_as_drift() {
    let mut s = out_of_sync();
    s.pending.as_mut().unwrap().drift = true;
    let html = environment(&board(vec![s]), "production", NOW).unwrap();
    assert!(html.contains("Drift: ECS was changed outside git"));
    assert!(!html.contains("Pending plan"));
}

#[test]
fn a_release_in_progress_is_shown_step_by_step_and_then_its_migration_log() {
    let mut s = out_of_sync();
    s.release = Some(ReleaseProgress {
        commit: Some(NEXT.into()),
        started: iso(NOW - 20),
        finished: None,
        result: None,
        events: vec![
            ProgressEvent {
                elapsed_seconds: 0,
                step: "preflight".into(),
                message: "1 image, 2 roles found".into(),
            },
            ProgressEvent {
                elapsed_seconds: 4,
                step: "migrate".into(),
                message: "started arn:aws:ecs:…/task/abc (bin/rails db:migrate)".into(),
            },
        ],
    });
    let b = board(vec![s.clone()]);
    assert_eq!(sync_state(&s), SyncState::Releasing);
    let html = environment(&b, "production", NOW).unwrap();
    assert!(html.contains("badge releasing\">releasing"));
    assert!(html.contains("<h2 id=\"release-h\">Release in progress</h2>"));
    assert!(
        html.contains(
            "<details id=\"release-events-running\" open=\"\"><summary>2 events</summary>"
        )
    );
    assert!(html.contains(
        "<li><span class=\"elapsed\">4s</span> <span class=\"step\">migrate</span> started"
    ));
    assert!(overview(&b, NOW).contains("badge releasing"));

    let release = s.release.as_mut().unwrap();
    release.finished = Some(iso(NOW));
    release.result = Some("failed at migrate".into());
    s.last_migration = Some(MigrationLog {
        revision: "20261201000000".into(),
        task: "arn:aws:ecs:us-east-1:1:task/shop/abc123".into(),
        succeeded: false,
        finished: iso(NOW),
        lines: vec!["PG::DuplicateTable: relation <users> exists".into()],
    });
    let html = environment(&board(vec![s]), "production", NOW).unwrap();
    assert!(html.contains("Last release by this controller"));
    assert!(
        html.contains("<details id=\"release-events\"><summary>2 events</summary>"),
        "collapsed once done"
    );
    assert!(html.contains("<span class=\"result bad\">failed at migrate</span>"));
    assert!(html.contains("task <code>abc123</code>"));
    assert!(html.contains("PG::DuplicateTable: relation &lt;users&gt; exists"));
}

#[test]
fn every_value_is_escaped() {
    let mut s = status("staging", ResultKind::Failed);
    s.reason = Some("<script>alert(1)</script>".into());
    s.consecutive_failures = 3;
    let mut b = board(vec![s]);
    b.commits.get_mut(SHA).unwrap().summary = "<img src=x onerror=alert(1)>".into();
    let html = overview(&b, NOW) + &environment(&b, "staging", NOW).unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("badge failing\">failing"));
    assert!(html.contains("data-label=\"Failures in a row\">3</td>"));
}

#[test]
fn states_and_ages_in_words() {
    let mut s = status("staging", ResultKind::OutOfSync);
    assert_eq!(sync_state(&s), SyncState::OutOfSync);
    s.consecutive_failures = 1; // a failed commit waiting for a new one
    assert_eq!(sync_state(&s), SyncState::Failing);
    s.last_result = Some(ResultKind::Suspended);
    assert_eq!(sync_state(&s), SyncState::Suspended);
    s.last_result = None;
    assert_eq!(sync_state(&s), SyncState::Waiting);
    assert_eq!(age(5), "just now");
    assert_eq!(age(60), "1 minute ago");
    assert_eq!(age(7200), "2 hours ago");
    assert_eq!(age(3 * 86400), "3 days ago");
}

#[test]
fn the_shell_links_only_its_own_assets_and_marks_the_generation() {
    let b = board(vec![]);
    let html = shell("Environments", &b, &overview(&b, NOW), "1.0-abc");
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert!(
        html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(html.contains("<main id=\"main\" tabindex=\"-1\" data-generation=\"7\">"));
    assert!(html.contains("<script src=\"/assets/ui.js?v=1.0-abc\" defer></script>"));
    let after = |attr: &str| html.split(attr).skip(1).collect::<Vec<_>>();
    for url in after("src=\"").into_iter().chain(after("href=\"")) {
        assert!(url.starts_with('/') || url.starts_with('#'), "{url}");
    }
    assert!(
        !html.contains("style=") && !html.contains("<script>"),
        "inline code is refused by the CSP"
    );
}

#[test]
fn the_header_shows_the_config_commit_or_why_it_cannot_be_fetched() {
    let mut b = board(vec![]);
    let fetched = shell("Environments", &b, "", "v");
    assert!(
        fetched.contains("config at <code>3f9c2e1aa5b6</code>"),
        "{fetched}"
    );
    b.repo.error = Some("https://git.example/deploy.git: authentication <refused>".into());
    let failing = shell("Environments", &b, "", "v");
    assert!(
        failing.contains("<span class=\"badge failing\">fetch failing</span> <span class=\"why\">https://git.example/deploy.git: authentication &lt;refused&gt;</span>"),
        "{failing}"
    );
}

#[test]
fn an_environment_of_another_replica_names_it_and_the_header_names_this_one() {
    use crate::controller::replicas::Ownership;
    use crate::controller::state::ReplicaOf;
    let mut s = status("production", ResultKind::InSync);
    s.replica = Some(ReplicaOf {
        holder: Some("ip-10-0-2-9:1:<b>".into()),
        here: false,
    });
    assert_eq!(sync_state(&s), SyncState::Elsewhere);
    let mut b = board(vec![s]);
    b.replica = Some(Ownership {
        me: "ip-10-0-1-7:1:a1".into(),
        table: "deckhand-locks".into(),
        replicas: vec!["ip-10-0-1-7:1:a1".into(), "ip-10-0-2-9:1:<b>".into()],
        held: (0..16).collect(),
        holders: Default::default(),
    });
    let page = super::overview::overview(&b, NOW);
    assert!(page.contains("on another replica"), "{page}");
    assert!(
        page.contains("reconciled by replica ip-10-0-2-9:1:&lt;b&gt;"),
        "escaped: {page}"
    );
    let shell = super::shell("x", &b, "", "v");
    assert!(
        shell.contains("replica <code>ip-10-0-1-7:1:a1</code> of 2, holding 16 of 32 shards"),
        "{shell}"
    );
}

#[test]
fn a_hold_and_a_freeze_are_shown_with_the_way_out() {
    let mut s = out_of_sync();
    s.hold = Some(crate::guard::Hold {
        image: "registry.example/shop:bad<1>".into(),
        since: iso(NOW - 600),
        by: "ada@laptop".into(),
    });
    s.freeze = Some(crate::guard::Freeze {
        until: "2026-12-24T00:00:00Z".into(),
        by: "bob@laptop".into(),
        reason: "holiday <freeze>".into(),
    });
    let html = environment(&board(vec![s]), "production", NOW).unwrap();
    assert!(html.contains("<dt>Hold</dt>"), "{html}");
    assert!(html.contains("<code>bad&lt;1&gt;</code>"), "{html}");
    assert!(
        html.contains("<code>deckhand release-hold production</code>"),
        "{html}"
    );
    assert!(
        html.contains(
            "frozen</span> until 2026-12-24T00:00:00Z by bob@laptop: holiday &lt;freeze&gt;"
        ),
        "{html}"
    );
}
