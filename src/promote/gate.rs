//! Which release `promote` takes and whether it may go: pure functions of
//! the source environment's history and what it runs, the target's spec and
//! recorded schema revision, and the time.

use super::PromoteError;
use crate::history::{Recorded, id_number};
use crate::spec::Environment;
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

/// The release of `from` to promote: `asked` (`--release vN`, which must
/// have succeeded), or the newest that succeeded and is what every service
/// of `from` runs now (`running`: the images its services run).
pub fn candidate<'a>(
    from: &str,
    history: &'a [Recorded],
    running: &BTreeSet<String>,
    asked: Option<&str>,
) -> Result<&'a Recorded, PromoteError> {
    if let Some(id) = asked {
        return succeeded(from, history, id);
    }
    let runs_one_image = running.len() == 1;
    history
        .iter()
        .filter(|r| r.release.result == "succeeded")
        .find(|r| runs_one_image && running.contains(&r.release.image))
        .ok_or_else(|| PromoteError::NothingToPromote {
            environment: from.to_owned(),
            running: running.iter().cloned().collect(),
            newest: history
                .first()
                .map(|r| (r.id.clone(), r.release.result.clone())),
        })
}

/// Release `id` (`v12`) of `environment`'s history, which must have
/// succeeded: what `--release` of promote and the `vN` of rollback name.
pub fn succeeded<'a>(
    environment: &str,
    history: &'a [Recorded],
    id: &str,
) -> Result<&'a Recorded, PromoteError> {
    let release = id_number(id)
        .and_then(|_| history.iter().find(|r| r.id == id))
        .ok_or_else(|| PromoteError::NoSuchRelease {
            environment: environment.to_owned(),
            id: id.to_owned(),
            known: history.iter().take(5).map(|r| r.id.clone()).collect(),
        })?;
    if release.release.result != "succeeded" {
        return Err(PromoteError::NotSucceeded {
            environment: environment.to_owned(),
            id: id.to_owned(),
            result: release.release.result.clone(),
        });
    }
    Ok(release)
}

/// Whether schema revision `a` is older than `b`: as numbers when both are
/// (Rails and Django timestamps, counters), else as text.
pub fn schema_is_older(a: &str, b: &str) -> bool {
    match (a.parse::<u128>(), b.parse::<u128>()) {
        (Ok(a), Ok(b)) => a < b,
        _ => a < b,
    }
}

/// The gates of `to` for `release` of `from`: a freeze in force, then
/// `promotion.from`, the soak time, and a schema that would go backwards
/// (`to_revision` is what `to` recorded).
pub fn check(
    from: &str,
    to: &Environment,
    release: &Recorded,
    to_revision: Option<&str>,
    to_freeze: Option<&crate::guard::Freeze>,
    now: SystemTime,
) -> Result<(), PromoteError> {
    if let Some(freeze) = to_freeze.filter(|f| f.active(now)) {
        return Err(PromoteError::Frozen(crate::guard::frozen_message(
            &to.name, freeze, now,
        )));
    }
    if let Some(allowed) = &to.promotion.from
        && allowed != from
    {
        return Err(PromoteError::NotFromThere {
            to: to.name.clone(),
            allowed: allowed.clone(),
            from: from.to_owned(),
        });
    }
    if let Some(soak) = to.promotion.soak
        && let Ok(finished) = humantime::parse_rfc3339(&release.release.finished)
        && finished + soak > now
    {
        let left = (finished + soak)
            .duration_since(now)
            .unwrap_or_default()
            .as_secs();
        return Err(PromoteError::Soaking {
            from: from.to_owned(),
            to: to.name.clone(),
            id: release.id.clone(),
            soak,
            until: finished + soak,
            left: Duration::from_secs(left),
        });
    }
    if let (Some(recorded), Some(theirs)) = (to_revision, release.release.revision.as_deref())
        && schema_is_older(theirs, recorded)
    {
        return Err(PromoteError::SchemaBackwards {
            from: from.to_owned(),
            to: to.name.clone(),
            id: release.id.clone(),
            release_revision: theirs.to_owned(),
            to_revision: recorded.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Release, ReleaseKind};

    const NOW: u64 = 1_796_000_000;

    fn at(secs: u64) -> String {
        humantime::format_rfc3339_seconds(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .to_string()
    }

    fn recorded(id: &str, image: &str, result: &str, finished: u64) -> Recorded {
        Recorded {
            id: id.into(),
            release: Release {
                kind: ReleaseKind::Release,
                started: at(finished - 60),
                finished: at(finished),
                commit: Some("a1b2c3d4e5f6a7b8".into()),
                image: format!("registry/shop:{image}"),
                revision: Some("20261120093000".into()),
                migrated: true,
                result: result.into(),
                reason: None,
                by: "ci".into(),
            },
        }
    }

    fn history() -> Vec<Recorded> {
        vec![
            recorded("v4", "d4", "failed:rollout", NOW - 100),
            recorded("v3", "c3", "succeeded", NOW - 3_600),
            recorded("v2", "b2", "failed:migrate", NOW - 7_200),
            recorded("v1", "a1", "succeeded", NOW - 86_400),
        ]
    }

    fn running(tags: &[&str]) -> BTreeSet<String> {
        tags.iter().map(|t| format!("registry/shop:{t}")).collect()
    }

    #[test]
    fn the_candidate_is_the_newest_success_that_every_service_runs() {
        let h = history();
        // v4 failed and was rolled back: staging runs v3's image.
        assert_eq!(
            candidate("staging", &h, &running(&["c3"]), None)
                .unwrap()
                .id,
            "v3"
        );
        // Still on v1's image (v3 was undone by hand): v1.
        assert_eq!(
            candidate("staging", &h, &running(&["a1"]), None)
                .unwrap()
                .id,
            "v1"
        );
        // Services on two images (a release half done): nothing to promote.
        let mixed = candidate("staging", &h, &running(&["c3", "d4"]), None).unwrap_err();
        assert!(
            mixed
                .to_string()
                .contains("staging runs no release that succeeded"),
            "{mixed}"
        );
        // Running an image no successful release had.
        assert!(candidate("staging", &h, &running(&["d4"]), None).is_err());
    }

    #[test]
    fn an_asked_release_must_exist_and_have_succeeded() {
        let h = history();
        let any = running(&["zz"]);
        assert_eq!(candidate("staging", &h, &any, Some("v1")).unwrap().id, "v1");
        let failed = candidate("staging", &h, &any, Some("v2")).unwrap_err();
        assert_eq!(
            failed.to_string(),
            "staging v2 did not succeed (failed:migrate): only a release that succeeded can be promoted; pick one with `deckhand history --env staging`"
        );
        for unknown in ["v9", "9", "latest", "v0"] {
            let e = candidate("staging", &h, &any, Some(unknown)).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with(&format!("staging has no release {unknown}")),
                "{e}"
            );
            assert!(e.to_string().contains("v4, v3, v2, v1"), "{e}");
        }
    }

    fn env(name: &str, from: Option<&str>, soak: Option<u64>) -> Environment {
        let mut env = crate::testkit::environment("registry/shop:x", Some("20261101000000"));
        env.name = name.into();
        env.promotion.from = from.map(str::to_owned);
        env.promotion.soak = soak.map(Duration::from_secs);
        env
    }

    #[test]
    fn the_gates_are_the_source_the_soak_and_the_schema() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
        let v3 = &history()[1];
        let open = env("production", Some("staging"), Some(1_800));
        assert!(check("staging", &open, v3, Some("20261101000000"), None, now).is_ok());

        let other = env("production", Some("qa"), None);
        let e = check("staging", &other, v3, None, None, now).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "production takes releases from qa only (promotion.from), not from staging"
            ),
            "{e}"
        );

        let soaking = env("production", None, Some(7_200));
        let e = check("staging", &soaking, v3, None, None, now).unwrap_err();
        assert!(
            e.to_string().contains(&format!(
                "staging v3 has run for less than 2h (promotion.soak of production): it may be promoted from {} (in 1h)",
                at(NOW + 3_600)
            )),
            "{e}"
        );

        let ahead = env("production", None, None);
        let e = check("staging", &ahead, v3, Some("20261201000000"), None, now).unwrap_err();
        assert!(
            e.to_string().starts_with("production's schema is at revision 20261201000000, newer than staging v3's 20261120093000"),
            "{e}"
        );
        // A freeze in force on the target stops it first; an expired one does not.
        let freeze = crate::guard::Freeze {
            until: at(NOW + 60),
            by: "ada@laptop".into(),
            reason: "audit".into(),
        };
        let e = check("staging", &open, v3, None, Some(&freeze), now).unwrap_err();
        assert!(
            e.to_string().starts_with("production is frozen until "),
            "{e}"
        );
        let over = crate::guard::Freeze {
            until: at(NOW - 60),
            ..freeze
        };
        assert!(check("staging", &open, v3, None, Some(&over), now).is_ok());
        // Same or older recorded schema: fine.
        assert!(check("staging", &ahead, v3, Some("20261120093000"), None, now).is_ok());
    }

    #[test]
    fn revisions_compare_as_numbers_when_they_are() {
        assert!(schema_is_older("9", "10"));
        assert!(!schema_is_older("20261201000000", "20261120093000"));
        assert!(schema_is_older("0041_add_index", "0042_drop_column"));
    }
}
