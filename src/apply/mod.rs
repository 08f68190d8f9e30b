//! `apply`: carry out a plan's steps against ECS, in order, safely.
//!
//! register task definitions → create services → quiesce → migrate (once,
//! gated on its exit code) → update services → wait for the rollouts →
//! (roll back on failure) → tag the services with the commit.
//!
//! Guarantees, each backed by a test against the emulator:
//! - a no-op apply makes zero mutating ECS calls (the plan is made before the
//!   lease is taken);
//! - one release per environment at a time ([`lease`]);
//! - a failed or timed-out migration leaves every service on its old task
//!   definition, restores quiesced services, and does not record the revision;
//! - a migration runs once per revision: a migration task of the environment
//!   for the revision (found by `startedBy`, running or stopped) is awaited or
//!   taken as done instead of started again (`migrate`), and the recorded
//!   revision is only written after exit code 0;
//! - a quiesced service is never left at 0: its pre-quiesce count is kept in a
//!   service tag, so an apply killed mid-release is restored by the next one;
//! - a failed rollout (circuit breaker, timeout) is a failure; with
//!   `deploy.rollback` every service updated in this apply goes back to the
//!   task definition it ran before. Migrations are not undone;
//! - a release marks itself in progress on the cluster before its first
//!   change and removes the mark with its lease; a release killed after any
//!   ECS call, or whose call answered a 500 after it took effect, is finished
//!   by the next apply (`finish-release`) and recorded once: the unit tests
//!   check every call of six scenarios (`tests.rs`).
//!
//! The release runs on any [`Ecs`]; every judgement of what ECS reports is a
//! pure function in [`verdict`].

pub mod explain;
pub mod fence;
pub mod lease;
mod migrate;
pub mod notify;
mod one_off;
mod phases;
pub mod progress;
mod record;
mod rollback;
mod smoke;
pub mod verdict;
pub mod wait;

use crate::ecs::{AwsError, Ecs, ErrorClass, Lookups};
use crate::live::{self, ReleaseId};
use crate::plan::{self, Plan, PlanError, Step};
use crate::plan::{Migrate, RegisterTaskDefinition};
use crate::spec::Environment;
use crate::tags;
use fence::Fenced;
use lease::{Lease, LeaseError, Locks};
use notify::{Notifier, ReleaseEvent};
use progress::Progress;
use record::Begun;
use std::collections::BTreeMap;
use std::time::Duration;
use wait::Polling;

/// How to run a release.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The config commit being applied (tagged on updated services).
    pub commit: Option<String>,
    /// Poll interval of every wait.
    pub poll_interval: Duration,
    /// Lease time-to-live.
    pub lease_ttl: Duration,
    /// Who takes the lease (`host:pid:nonce`, see [`lease::own_owner`]).
    pub owner: String,
    /// Run the preflight checks first (`apply --no-preflight` turns them off).
    pub preflight: bool,
    /// The config repo's git URL, for commit links in notifications.
    pub repo_url: Option<String>,
    /// Where the release lease lives (cluster tags, or `--lock-table`).
    pub locks: Locks,
    /// What the commit is: written by people, `promote` or `rollback`
    /// (recorded in the history).
    pub kind: crate::history::ReleaseKind,
}

impl ApplyOptions {
    /// Options for this process: its own lease owner, the default lease TTL.
    pub fn new(commit: Option<String>, poll_interval: Duration) -> ApplyOptions {
        ApplyOptions {
            commit,
            poll_interval,
            lease_ttl: lease::DEFAULT_TTL,
            owner: lease::own_owner(),
            preflight: true,
            repo_url: None,
            locks: Locks::Tags,
            kind: crate::history::ReleaseKind::Release,
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// ECS already matched the spec.
    NoChanges,
    /// The plan's steps were carried out.
    Released {
        /// Steps done, in words.
        steps: Vec<String>,
        /// Whether a migration ran.
        migrated: bool,
    },
}

/// Why a release failed. Every variant leaves ECS in a described state.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// ECS failed (after the SDK's retries).
    #[error(transparent)]
    Ecs(#[from] AwsError),
    /// No plan is possible.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Another deckhand is releasing this environment.
    #[error(transparent)]
    Lease(#[from] lease::LeaseHeld),
    /// The migration failed or timed out; no service got the new task definition.
    #[error(
        "migration to schema revision {revision} failed: {reason}{}\n  no service was updated; quiesced services were restored; the recorded revision is unchanged",
        log_excerpt(.log)
    )]
    MigrationFailed {
        revision: String,
        reason: String,
        /// The last lines of the migration container's log (masked).
        log: Vec<String>,
    },
    /// Preflight found that ECS could not run the release; nothing changed.
    #[error(
        "preflight failed: {} problem{}; nothing was changed\n{}",
        .problems.len(),
        if .problems.len() == 1 { "" } else { "s" },
        .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    Preflight {
        /// One line per missing thing and place.
        problems: Vec<String>,
    },
    /// ECS failed while the migration may still be running: nothing is
    /// restored (old workers must not run against a half-migrated schema).
    #[error(
        "lost track of the migration to schema revision {revision}: {source}\n  quiesced services stay at 0; the next apply finds the migration task (by startedBy) and carries on"
    )]
    MigrationInterrupted {
        revision: String,
        #[source]
        source: AwsError,
    },
    /// Quiesced services did not stop in time.
    #[error("quiesce failed: {0}; the migration did not run and the services were restored")]
    QuiesceTimeout(String),
    /// An interrupted release had already ended in failure before deckhand
    /// stopped; finishing it recorded that result and changed nothing else.
    #[error(
        "the release started {} by {} had already ended {}{} before that deckhand stopped; its result is now complete (the next apply is a new release)",
        .record.started,
        .record.by,
        .record.result,
        .record.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
    )]
    EndedBefore {
        /// Its history record (result `failed:<step>` or `rolled-back`).
        record: Box<crate::history::Release>,
    },
    /// The smoke test did not exit 0 (or timed out).
    #[error("smoke test failed: {reason}{}{}",
        log_excerpt(.log),
        match .rolled_back {
            Some(services) if !services.is_empty() => format!("\n  rolled back to their previous task definitions: {}{}", services.join(", "), if *.migrated { "\n  the migration was not rolled back (schemas do not go backwards)" } else { "" }),
            Some(_) => "\n  nothing to roll back (this run updated no service)".to_owned(),
            None => "\n  not rolled back (deploy.rollback is false)".to_owned(),
        })]
    SmokeTestFailed {
        /// Why: the exit code or the timeout.
        reason: String,
        /// The last lines of its log (masked).
        log: Vec<String>,
        /// Services put back (None: rollback disabled).
        rolled_back: Option<Vec<String>>,
        /// Whether a migration ran in this release.
        migrated: bool,
    },
    /// One or more rollouts failed.
    #[error("rollout failed: {}{}", .failures.iter().map(|(s, r)| format!("{s}: {r}")).collect::<Vec<_>>().join("; "),
        match .rolled_back {
            Some(services) if !services.is_empty() => format!("\n  rolled back to their previous task definitions: {}{}", services.join(", "), if *.migrated { "\n  the migration was not rolled back (schemas do not go backwards)" } else { "" }),
            _ => "\n  not rolled back (deploy.rollback is false)".to_owned(),
        })]
    RolloutFailed {
        /// Service and why.
        failures: Vec<(String, String)>,
        /// Services put back (None: rollback disabled).
        rolled_back: Option<Vec<String>>,
        /// Whether a migration ran in this release.
        migrated: bool,
    },
}

/// The migration's step name (in results: `failed:migrate`).
const MIGRATE: &str = "migrate";

impl ApplyError {
    /// The step that failed, for notifications.
    pub fn step(&self) -> &'static str {
        match self {
            ApplyError::MigrationFailed { .. } | ApplyError::MigrationInterrupted { .. } => MIGRATE,
            ApplyError::QuiesceTimeout(_) => "quiesce",
            ApplyError::Preflight { .. } => "preflight",
            ApplyError::RolloutFailed { .. } => "rollout",
            ApplyError::SmokeTestFailed { .. } => "smoke-test",
            ApplyError::Lease(_) | ApplyError::Ecs(AwsError::LeaseLost { .. }) => "lease",
            ApplyError::Plan(_) => "plan",
            ApplyError::Ecs(_) => "ecs",
            ApplyError::EndedBefore { .. } => "finish-release",
        }
    }

    /// How to treat this failure: a failed migration is terminal for its
    /// commit; a plan that cannot be made is the spec's fault; the rest is
    /// retried with backoff.
    pub fn class(&self) -> ErrorClass {
        match self {
            ApplyError::MigrationFailed { .. } => ErrorClass::Terminal,
            // A release whose migration failed, finished later: the same.
            ApplyError::EndedBefore { record } if record.failed_step() == Some(MIGRATE) => {
                ErrorClass::Terminal
            }
            ApplyError::Plan(_) => ErrorClass::User,
            ApplyError::Ecs(e) => e.class(),
            // An image may be pushed, a secret created, without a new commit.
            ApplyError::MigrationInterrupted { .. }
            | ApplyError::Preflight { .. }
            | ApplyError::Lease(_)
            | ApplyError::QuiesceTimeout(_)
            | ApplyError::EndedBefore { .. }
            | ApplyError::RolloutFailed { .. } => ErrorClass::Retryable,
            // The same commit would fail the same test: wait for a new one.
            ApplyError::SmokeTestFailed { .. } => ErrorClass::Terminal,
        }
    }
}

/// The log lines of a failed migration, indented under the error.
fn log_excerpt(log: &[String]) -> String {
    if log.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = log.iter().map(|l| format!("    | {l}")).collect();
    format!("\n  the migration's last log lines:\n{}", lines.join("\n"))
}

/// The definitions a plan would register or run, by service.
pub fn definitions_to_check(
    plan: &Plan,
) -> Vec<(String, &crate::taskdef::model::TaskDefinitionSpec)> {
    plan.steps
        .iter()
        .filter_map(|step| match step {
            Step::RegisterTaskDefinition(RegisterTaskDefinition {
                service,
                task_definition,
                ..
            }) => Some((service.clone(), task_definition.as_ref())),
            Step::Migrate(Migrate { run, .. }) => {
                Some(("migration".to_owned(), &run.task_definition))
            }
            _ => None,
        })
        .collect()
}

/// Preflight of what `plan` registers or runs: before the lease, before any
/// mutation. Plans that register nothing (a count change) need none.
async fn preflight<E: Ecs + Lookups>(
    ecs: &E,
    plan: &Plan,
    progress: &Progress,
) -> Result<(), ApplyError> {
    let definitions = definitions_to_check(plan);
    if definitions.is_empty() {
        return Ok(());
    }
    let (needs, report) = crate::preflight::run(ecs, &definitions, &[]).await?;
    for warning in &report.warnings {
        progress.say("preflight", warning);
    }
    if !report.passed() {
        return Err(ApplyError::Preflight {
            problems: report.problems,
        });
    }
    progress.say("preflight", format!("{} found", needs.summary()));
    Ok(())
}

impl From<LeaseError> for ApplyError {
    fn from(e: LeaseError) -> Self {
        match e {
            LeaseError::Held(h) => ApplyError::Lease(h),
            LeaseError::Ecs(e) => ApplyError::Ecs(e),
        }
    }
}

/// Carry out `env`'s changes. `planned` is the plan the user saw: when it
/// has no steps nothing is touched; otherwise the lease is taken and the plan
/// is made again from fresh live state, under the lease.
pub async fn apply<E: Ecs + Lookups>(
    ecs: &E,
    env: &Environment,
    planned: &Plan,
    options: &ApplyOptions,
    progress: &Progress,
) -> Result<ApplyOutcome, ApplyError> {
    if !planned.changed {
        progress.say("plan", "no changes: ECS matches the spec");
        return Ok(ApplyOutcome::NoChanges);
    }
    if options.preflight {
        preflight(ecs, planned, progress).await?;
    }
    let started = std::time::SystemTime::now();
    let Some((claim, Prepared { plan, cluster_arn })) =
        claim_and_prepare(ecs, env, planned, options, progress).await?
    else {
        progress.say("plan", "no changes: ECS matches the spec");
        return Ok(ApplyOutcome::NoChanges);
    };
    let lease = claim.confirm().await?;
    // Every change from here on asks the lease first.
    let fenced = Fenced::new(ecs, &lease);
    let in_progress = [env.release_tag()];
    let id = match record::begin(
        &fenced,
        env,
        &plan,
        options,
        progress,
        &cluster_arn,
        started,
    )
    .await
    {
        Ok(Begun::Release(id)) => id,
        Ok(Begun::Finished(result)) => {
            release_claim_with(lease, ecs, &cluster_arn, &in_progress).await;
            return result;
        }
        Err(e) => {
            release_claim(lease).await;
            return Err(e.into());
        }
    };
    let result = tokio::select! {
        result = release(&fenced, env, &plan, options, &id, progress) => result,
        () = lease.heartbeat() => unreachable!("the heartbeat never ends"),
    };
    if !record::ended(&result) {
        release_claim(lease).await;
        return result;
    }
    record::end(&fenced, env, options, &id, &result, &cluster_arn).await;
    release_claim_with(lease, ecs, &cluster_arn, &in_progress).await;
    result
}

/// Claim the environment's lease and, while a tag claim settles, read live
/// again (another release may have just finished) and plan afresh. Only
/// reads: a claim that is lost has changed nothing but its own overwritten
/// lease tag. (A table lease is held at once.) None: nothing is left to do,
/// and the claim is released.
async fn claim_and_prepare<'a, E: Ecs + Lookups>(
    ecs: &'a E,
    env: &Environment,
    planned: &Plan,
    options: &'a ApplyOptions,
    progress: &Progress,
) -> Result<Option<(Lease<'a, E>, Prepared)>, ApplyError> {
    let claim = Lease::claim(
        ecs,
        &env.name,
        &env.cluster,
        &options.owner,
        options.lease_ttl,
        &options.locks,
    )
    .await?;
    let (prepared, ()) = tokio::join!(
        prepare(ecs, env, planned, options, progress),
        tokio::time::sleep(claim.settle())
    );
    match prepared {
        Ok(Some(prepared)) => Ok(Some((claim, prepared))),
        Ok(None) => {
            release_claim(claim).await;
            Ok(None)
        }
        Err(e) => {
            release_claim(claim).await;
            Err(e)
        }
    }
}

/// Register what differs and carry the release out, once the lease is held.
async fn release<E: Ecs + Lookups>(
    ecs: &E,
    env: &Environment,
    plan: &Plan,
    options: &ApplyOptions,
    id: &ReleaseId,
    progress: &Progress,
) -> Result<ApplyOutcome, ApplyError> {
    let registered = register(ecs, plan, progress).await?;
    let notifier = Notifier::new(env, options.commit.as_deref(), options.repo_url.as_deref());
    Release {
        ecs,
        env,
        plan,
        registered: &registered,
        options,
        id,
        progress,
        notifier: &notifier,
    }
    .run()
    .await
}

/// Give the lease up and remove `keys` (the in-progress tag) from the
/// cluster with it; a failure is logged (the next apply finishes it).
async fn release_claim_with<E: Ecs>(
    lease: Lease<'_, E>,
    ecs: &E,
    cluster_arn: &str,
    keys: &[String],
) {
    if let Err(e) = lease.release_with(ecs, cluster_arn, keys).await {
        tracing::warn!("releasing the lease failed (the next apply finishes it): {e}");
    }
}

async fn release_claim<E: Ecs>(lease: Lease<'_, E>) {
    if let Err(e) = lease.release().await {
        tracing::warn!("releasing the lease failed (it expires by itself): {e}");
    }
}

/// The fresh plan and the cluster's ARN.
struct Prepared {
    plan: Plan,
    cluster_arn: String,
}

/// Plan again from fresh live state (reads only).
async fn prepare<E: Ecs>(
    ecs: &E,
    env: &Environment,
    planned: &Plan,
    options: &ApplyOptions,
    progress: &Progress,
) -> Result<Option<Prepared>, ApplyError> {
    let live = live::fetch(ecs, env).await?;
    let plan = plan::plan(env, options.commit.as_deref(), &live)?;
    if !plan.changed {
        return Ok(None);
    }
    if plan.steps != planned.steps {
        progress.say(
            "plan",
            "ECS changed since the plan was shown; applying the fresh plan",
        );
    }
    Ok(Some(Prepared {
        plan,
        cluster_arn: live.cluster_arn,
    }))
}

/// Register the plan's task definitions that differ, all at once (ECS's
/// RegisterTaskDefinition bucket allows a burst of 20), once the lease is
/// held. Returns their ARNs by service.
async fn register<E: Ecs>(
    ecs: &E,
    plan: &Plan,
    progress: &Progress,
) -> Result<BTreeMap<String, String>, AwsError> {
    let registrations = plan.steps.iter().filter_map(|step| match step {
        Step::RegisterTaskDefinition(RegisterTaskDefinition {
            service,
            family,
            task_definition,
        }) => Some(async move {
            let td = ecs.register_task_definition(task_definition).await?;
            progress.say("register", format!("{family} for {service}: {}", td.arn));
            Ok::<_, AwsError>((service.clone(), td.arn.clone()))
        }),
        _ => None,
    });
    futures_util::future::join_all(registrations)
        .await
        .into_iter()
        .collect()
}

/// The tags that mark a service deckhand quiesced.
fn marker_keys() -> [String; 2] {
    [
        tags::QUIESCED_FROM.to_owned(),
        tags::SCALING_SUSPENDED_FROM.to_owned(),
    ]
}

struct Release<'a, E: Ecs> {
    ecs: &'a E,
    env: &'a Environment,
    plan: &'a Plan,
    /// Task definitions registered for the plan, by service.
    registered: &'a BTreeMap<String, String>,
    options: &'a ApplyOptions,
    /// Who started the release and when (its migration task carries it).
    id: &'a ReleaseId,
    progress: &'a Progress,
    notifier: &'a Notifier,
}

impl<E: Ecs + Lookups> Release<'_, E> {
    fn polling(&self) -> Polling {
        Polling {
            interval: self.options.poll_interval,
        }
    }

    async fn run(&self) -> Result<ApplyOutcome, ApplyError> {
        let steps: Vec<String> = self.plan.steps.iter().map(Step::to_string).collect();
        self.notifier
            .send(&ReleaseEvent::Started {
                steps: steps.clone(),
            })
            .await;
        match self.steps().await {
            Ok(migrated) => {
                self.progress
                    .say("done", format!("released {} step(s)", steps.len()));
                self.notifier
                    .send(&ReleaseEvent::Succeeded {
                        steps: steps.clone(),
                    })
                    .await;
                Ok(ApplyOutcome::Released { steps, migrated })
            }
            Err(e) => {
                if let ApplyError::RolloutFailed {
                    failures,
                    rolled_back: Some(services),
                    ..
                } = &e
                {
                    self.notifier
                        .send(&ReleaseEvent::RolledBack {
                            reason: failures
                                .iter()
                                .map(|(s, r)| format!("{s}: {r}"))
                                .collect::<Vec<_>>()
                                .join("; "),
                            services: services.clone(),
                        })
                        .await;
                }
                let log = match &e {
                    ApplyError::MigrationFailed { log, .. } => log.clone(),
                    _ => Vec::new(),
                };
                self.notifier
                    .send(&ReleaseEvent::Failed {
                        step: e.step().into(),
                        reason: e.to_string(),
                        log,
                    })
                    .await;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests;
