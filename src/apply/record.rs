//! What a release writes about itself, and how one that did not end is
//! finished: its in-progress mark on the cluster (before its first change),
//! its history record and its result on the cluster (at its end); a release
//! a stopped deckhand left is carried on, superseded (recorded as
//! interrupted) or, when its record was written, only completed.

use super::progress::Progress;
use super::{ApplyError, ApplyOptions, ApplyOutcome};
use crate::ecs::{AwsError, Ecs, ErrorClass};
use crate::live::ReleaseId;
use crate::plan::{Finish, FinishRelease, Plan, Step};
use crate::spec::Environment;

/// What beginning a release came to.
pub(super) enum Begun {
    /// A release to carry out, as `ReleaseId` (this run's, or the
    /// interrupted one's it carries on).
    Release(ReleaseId),
    /// An interrupted release whose result was recorded is now complete:
    /// nothing else is to be done, and this is what it came to.
    Finished(Result<ApplyOutcome, ApplyError>),
}

/// Begin the release `plan` describes, under a held lease: finish an
/// interrupted one first, and mark this one in progress before its first
/// change.
pub(super) async fn begin<E: Ecs>(
    ecs: &E,
    env: &Environment,
    plan: &Plan,
    options: &ApplyOptions,
    progress: &Progress,
    cluster_arn: &str,
    started: std::time::SystemTime,
) -> Result<Begun, AwsError> {
    let finishing = plan.steps.iter().find_map(|step| match step {
        Step::FinishRelease(finish) => Some(finish),
        _ => None,
    });
    match finishing {
        Some(
            finish @ FinishRelease {
                finish: Finish::Record,
                recorded: Some(record),
                ..
            },
        ) => {
            let outcome = finish_recorded(ecs, env, plan, finish, record, progress, cluster_arn);
            Ok(Begun::Finished(outcome.await?))
        }
        Some(FinishRelease {
            release,
            finish: Finish::Continue,
            ..
        }) => {
            progress.say(
                "finish",
                format!(
                    "carrying on the release started {} by {}, which did not end",
                    release.started, release.by
                ),
            );
            Ok(Begun::Release(release.clone()))
        }
        superseded => {
            if let Some(FinishRelease {
                release, commit, ..
            }) = superseded
            {
                let record =
                    interrupted_record(release, commit.as_deref(), options.commit.as_deref());
                crate::history::record(ecs, &env.name, &record).await?;
                progress.say(
                    "finish",
                    format!(
                        "the release started {} by {} did not end; recorded as interrupted",
                        release.started, release.by
                    ),
                );
            }
            let id = ReleaseId {
                started: humantime::format_rfc3339_seconds(started).to_string(),
                by: options.owner.clone(),
            };
            // Before the first change: the mark that survives a crash.
            let value = id.in_progress_tag(options.commit.as_deref());
            ecs.tag_resource(cluster_arn, &[(env.release_tag(), value)])
                .await?;
            Ok(Begun::Release(id))
        }
    }
}

/// A release that recorded its result and stopped before it removed its
/// mark: its result is written on the cluster, and is the outcome.
async fn finish_recorded<E: Ecs>(
    ecs: &E,
    env: &Environment,
    plan: &Plan,
    finish: &FinishRelease,
    record: &crate::history::Release,
    progress: &Progress,
    cluster_arn: &str,
) -> Result<Result<ApplyOutcome, ApplyError>, AwsError> {
    let release = &finish.release;
    progress.say(
        "finish",
        format!(
            "the release started {} by {} had ended {} before that deckhand stopped",
            release.started, release.by, record.result
        ),
    );
    let value = last_release_value(&record.result, finish.commit.as_deref());
    ecs.tag_resource(cluster_arn, &[(env.last_release_tag(), value)])
        .await?;
    Ok(match record.result.as_str() {
        "succeeded" => Ok(ApplyOutcome::Released {
            steps: plan.steps.iter().map(Step::to_string).collect(),
            migrated: false,
        }),
        _ => Err(ApplyError::EndedBefore {
            record: Box::new(record.clone()),
        }),
    })
}

/// Did the release end? Not when it lost track of its migration, or when
/// ECS failed in a way that may pass (a 500, throttling, the network, a
/// lease lost): as after a crash, its in-progress mark stays and the next
/// apply carries it on (finding the migration task, awaiting it or taking
/// its result), so it is recorded once, with the result it comes to.
pub(super) fn ended(result: &Result<ApplyOutcome, ApplyError>) -> bool {
    match result {
        Err(ApplyError::MigrationInterrupted { .. }) => false,
        Err(ApplyError::Ecs(e)) => e.class() != ErrorClass::Retryable,
        _ => true,
    }
}

/// Record the end of release `id`: the history record, then the result for
/// `deckhand status` (`<result> <commit> <time>`). The in-progress mark goes
/// with the lease after this: stopped in between, the next apply finds the
/// record and only completes the rest. Failures are logged.
pub(super) async fn end<E: Ecs>(
    ecs: &E,
    env: &Environment,
    options: &ApplyOptions,
    id: &ReleaseId,
    result: &Result<ApplyOutcome, ApplyError>,
    cluster_arn: &str,
) {
    let outcome = match result {
        Ok(_) => "succeeded".to_owned(),
        Err(e) => format!("failed:{}", e.step()),
    };
    let record = release_record(env, options, id, result);
    if let Err(e) = crate::history::record(ecs, &env.name, &record).await {
        tracing::warn!("recording the release in the history failed: {e}");
    }
    let value = last_release_value(&outcome, options.commit.as_deref());
    if let Err(e) = ecs
        .tag_resource(cluster_arn, &[(env.last_release_tag(), value)])
        .await
    {
        tracing::warn!("recording the release result failed: {e}");
    }
}

/// The history record of a release that ran.
fn release_record(
    env: &Environment,
    options: &ApplyOptions,
    id: &ReleaseId,
    result: &Result<ApplyOutcome, ApplyError>,
) -> crate::history::Release {
    let time = |t| humantime::format_rfc3339_seconds(t).to_string();
    let (outcome, reason, migrated) = match result {
        Ok(ApplyOutcome::Released { migrated, .. }) => ("succeeded".to_owned(), None, *migrated),
        Ok(ApplyOutcome::NoChanges) => ("succeeded".to_owned(), None, false),
        Err(e) => {
            let first = e.to_string().lines().next().unwrap_or_default().to_owned();
            match e {
                ApplyError::RolloutFailed {
                    rolled_back: Some(services),
                    migrated,
                    ..
                } if !services.is_empty() => ("rolled-back".to_owned(), Some(first), *migrated),
                ApplyError::RolloutFailed { migrated, .. }
                | ApplyError::SmokeTestFailed { migrated, .. } => {
                    (format!("failed:{}", e.step()), Some(first), *migrated)
                }
                _ => (format!("failed:{}", e.step()), Some(first), false),
            }
        }
    };
    crate::history::Release {
        kind: options.kind,
        started: id.started.clone(),
        finished: time(std::time::SystemTime::now()),
        commit: options.commit.clone(),
        image: env.image.clone(),
        revision: env.migration.as_ref().map(|m| m.revision.clone()),
        migrated,
        result: outcome,
        reason,
        by: id.by.clone(),
    }
}

/// The history record of a release that stopped and that another commit
/// supersedes: what it did is not known, only that it did not end.
fn interrupted_record(
    id: &ReleaseId,
    commit: Option<&str>,
    superseded_by: Option<&str>,
) -> crate::history::Release {
    crate::history::Release {
        kind: crate::history::ReleaseKind::Release,
        started: id.started.clone(),
        finished: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        commit: commit.map(str::to_owned),
        image: "-".into(),
        revision: None,
        migrated: false,
        result: "interrupted".into(),
        reason: Some(format!(
            "the deckhand releasing it stopped before it ended; commit {} superseded it",
            superseded_by.map(crate::source::short_sha).unwrap_or("-")
        )),
        by: id.by.clone(),
    }
}

/// `<result> <commit> <time>`: the cluster's last-release tag.
fn last_release_value(result: &str, commit: Option<&str>) -> String {
    format!(
        "{result} {} {}",
        commit.map(crate::source::short_sha).unwrap_or("-"),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now())
    )
}
