//! Freezes and deny windows against the emulator: a freeze set by one
//! process stops the releases of every other (apply, promote into it, the
//! controller) until `unfreeze`; bad freezes are refused with nothing set;
//! a deny window holds a release back and the controller releases it when
//! the window closes.

use crate::support::fixture::Fixture;
use std::time::{Duration, SystemTime};

const NEW: &str = "shop:9a8b7c6";

fn deckhand_in_repo(fx: &Fixture, args: &[&str]) -> crate::support::fixture::Run {
    let repo = fx.repo();
    let mut all = args.to_vec();
    all.extend_from_slice(&["--repo", repo.to_str().unwrap()]);
    fx.deckhand(&all)
}

#[test]
fn a_freeze_set_by_one_process_stops_every_release_until_unfrozen() {
    let fx = Fixture::seeded("freeze");
    // Refused, and nothing set: no reason, no length, a bad length.
    for (args, says) in [
        (
            vec!["freeze", fx.id.as_str(), "--for", "2h"],
            "a freeze needs a reason",
        ),
        (
            vec!["freeze", fx.id.as_str(), "--for", "2h", "--reason", "  "],
            "a freeze needs a reason",
        ),
        (
            vec!["freeze", fx.id.as_str(), "--reason", "x"],
            "a freeze needs a length",
        ),
        (
            vec!["freeze", fx.id.as_str(), "--for", "soon", "--reason", "x"],
            "--for soon:",
        ),
        (
            vec!["freeze", fx.id.as_str(), "--for", "100d", "--reason", "x"],
            "at most 90 days",
        ),
        (
            vec!["freeze", "nowhere", "--for", "2h", "--reason", "x"],
            "nowhere",
        ),
    ] {
        let run = deckhand_in_repo(&fx, &args);
        run.expect_code(1);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    assert!(
        fx.calls().iter().all(|c| !c.is_mutating()),
        "nothing was set"
    );

    let run = deckhand_in_repo(
        &fx,
        &[
            "freeze",
            &fx.id,
            "--for",
            "2h",
            "--reason",
            "incident #4711, DB failover",
        ],
    );
    run.expect_code(0);
    run.stdout_has(&format!("Froze {} until ", fx.id));

    // Another process: a new commit is not released.
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", NEW));
    let run = fx.apply(&[]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(&format!("{} is frozen until ", fx.id))
            && run
                .stderr
                .contains(": incident #4711, DB failover; releases wait"),
        "{}",
        run.stderr
    );
    let before = fx.count("UpdateService");
    let out = fx.controller_once();
    assert!(out.contains("is frozen until"), "{out}");
    assert_eq!(
        fx.count("UpdateService"),
        before,
        "the controller released nothing"
    );

    let run = deckhand_in_repo(&fx, &["unfreeze", &fx.id]);
    run.expect_code(0);
    run.stdout_has("incident #4711, DB failover");
    fx.apply(&[]).expect_code(0);
    let run = deckhand_in_repo(&fx, &["unfreeze", &fx.id]);
    run.stdout_has("was not frozen");
}

#[test]
fn a_deny_window_holds_a_release_back_until_it_closes() {
    let fx = Fixture::seeded("window");
    let now = SystemTime::now();
    let from = humantime::format_rfc3339_seconds(now - Duration::from_secs(3600));
    let until = humantime::format_rfc3339_seconds(now + Duration::from_secs(20));
    fx.edit_spec(|t| {
        t.replace("shop:3f9c2e1", NEW).replace(
            "deploy:\n",
            &format!(
                "sync:\n  windows:\n    - {{kind: deny, from: {from}, until: {until}}}\n\ndeploy:\n"
            ),
        )
    });
    let run = fx.apply(&[]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "deny window from {from} until {until} is open until {until}"
    ));
    let before = fx.count("UpdateService");
    let out = fx.controller_once();
    assert!(
        out.contains("releases wait and go out when it closes"),
        "{out}"
    );
    assert_eq!(fx.count("UpdateService"), before);

    // Closed: the controller releases what waited.
    while SystemTime::now() < humantime::parse_rfc3339(&until.to_string()).unwrap() {
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = fx.controller_once();
    assert!(out.contains("applied"), "{out}");
    assert!(fx.count("UpdateService") > before);
}
