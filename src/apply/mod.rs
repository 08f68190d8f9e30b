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
pub mod progress;
mod rollback;
pub mod verdict;
pub mod wait;

use crate::ecs::{CreateServiceRequest, Ecs, EcsError, ErrorClass, UpdateServiceRequest};
use crate::live::{self, ReleaseId};
use crate::plan::{self, Finish, Plan, PlanError, Step};
use crate::spec::Environment;
use crate::tags;
use fence::Fenced;
use lease::{Lease, LeaseError, Locks};
use notify::{Notifier, ReleaseEvent};
use progress::Progress;
use rollback::Updated;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use verdict::RolloutWatch;
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
    Ecs(#[from] EcsError),
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
        source: EcsError,
    },
    /// Quiesced services did not stop in time.
    #[error("quiesce failed: {0}; the migration did not run and the services were restored")]
    QuiesceTimeout(String),
    /// An interrupted release had already ended in failure before deckhand
    /// stopped; finishing it recorded that result and changed nothing else.
    #[error(
        "the release started {started} by {by} had already ended {result}{} before that deckhand stopped; its result is now complete (the next apply is a new release)",
        .reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
    )]
    EndedBefore {
        started: String,
        by: String,
        /// Its recorded result (`failed:<step>`, `rolled-back`).
        result: String,
        reason: Option<String>,
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

impl ApplyError {
    /// The step that failed, for notifications.
    pub fn step(&self) -> &'static str {
        match self {
            ApplyError::MigrationFailed { .. } | ApplyError::MigrationInterrupted { .. } => {
                "migrate"
            }
            ApplyError::QuiesceTimeout(_) => "quiesce",
            ApplyError::Preflight { .. } => "preflight",
            ApplyError::RolloutFailed { .. } => "rollout",
            ApplyError::Lease(_) | ApplyError::Ecs(EcsError::LeaseLost { .. }) => "lease",
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
            ApplyError::EndedBefore { result, .. } if result == "failed:migrate" => {
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
        }
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
                ApplyError::RolloutFailed { migrated, .. } => {
                    (format!("failed:{}", e.step()), Some(first), *migrated)
                }
                _ => (format!("failed:{}", e.step()), Some(first), false),
            }
        }
    };
    crate::history::Release {
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
            Step::RegisterTaskDefinition {
                service,
                task_definition,
                ..
            } => Some((service.clone(), task_definition.as_ref())),
            Step::Migrate { run, .. } => Some(("migration".to_owned(), &run.task_definition)),
            _ => None,
        })
        .collect()
}

/// Preflight of what `plan` registers or runs: before the lease, before any
/// mutation. Plans that register nothing (a count change) need none.
async fn preflight<E: Ecs>(ecs: &E, plan: &Plan, progress: &Progress) -> Result<(), ApplyError> {
    let definitions = definitions_to_check(plan);
    if definitions.is_empty() {
        return Ok(());
    }
    let (needs, report) = crate::preflight::run(ecs, &definitions).await?;
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
pub async fn apply<E: Ecs>(
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
    let claim = Lease::claim(
        ecs,
        &env.name,
        &env.cluster,
        &options.owner,
        options.lease_ttl,
        &options.locks,
    )
    .await?;
    // While a tag claim settles: read live again (another release may have
    // just finished) and plan afresh. Only reads: a claim that is lost has
    // changed nothing but its own overwritten lease tag. (A table lease is
    // held at once.)
    let (prepared, ()) = tokio::join!(
        prepare(ecs, env, planned, options, progress),
        tokio::time::sleep(claim.settle())
    );
    let Prepared { plan, cluster_arn } = match prepared {
        Ok(Some(prepared)) => prepared,
        Ok(None) => {
            release_claim(claim).await;
            progress.say("plan", "no changes: ECS matches the spec");
            return Ok(ApplyOutcome::NoChanges);
        }
        Err(e) => {
            release_claim(claim).await;
            return Err(e);
        }
    };
    let lease = claim.confirm().await?;
    // Every change from here on asks the lease first.
    let fenced = Fenced::new(ecs, &lease);
    let in_progress = [env.release_tag()];
    let finishing = plan.steps.iter().find_map(|step| match step {
        Step::FinishRelease {
            release,
            commit,
            finish,
            recorded,
            ..
        } => Some((release, commit.as_deref(), *finish, recorded.as_deref())),
        _ => None,
    });
    let id = match finishing {
        // Its result is recorded: write it on the cluster, remove its tag and lease.
        Some((release, commit, Finish::Record, Some(record))) => {
            progress.say(
                "finish",
                format!(
                    "the release started {} by {} had ended {} before that deckhand stopped",
                    release.started, release.by, record.result
                ),
            );
            let written = fenced
                .tag_resource(
                    &cluster_arn,
                    &[(
                        env.last_release_tag(),
                        last_release_value(&record.result, commit),
                    )],
                )
                .await;
            if let Err(e) = written {
                release_claim(lease).await;
                return Err(e.into());
            }
            release_claim_with(lease, ecs, &cluster_arn, &in_progress).await;
            return match record.result.as_str() {
                "succeeded" => Ok(ApplyOutcome::Released {
                    steps: plan.steps.iter().map(Step::to_string).collect(),
                    migrated: false,
                }),
                result => Err(ApplyError::EndedBefore {
                    started: release.started.clone(),
                    by: release.by.clone(),
                    result: result.to_owned(),
                    reason: record.reason.clone(),
                }),
            };
        }
        // This apply is that release, carried on.
        Some((release, _, Finish::Continue, _)) => {
            progress.say(
                "finish",
                format!(
                    "carrying on the release started {} by {}, which did not end",
                    release.started, release.by
                ),
            );
            release.clone()
        }
        superseded => {
            let id = ReleaseId {
                started: humantime::format_rfc3339_seconds(started).to_string(),
                by: options.owner.clone(),
            };
            let mut begun = Ok(());
            if let Some((release, commit, ..)) = superseded {
                let record = interrupted_record(release, commit, options.commit.as_deref());
                begun = crate::history::record(&fenced, &env.name, &record).await;
                progress.say(
                    "finish",
                    format!(
                        "the release started {} by {} did not end; recorded as interrupted",
                        release.started, release.by
                    ),
                );
            }
            // Before the first change: the mark that survives a crash.
            if begun.is_ok() {
                let value = id.in_progress_tag(options.commit.as_deref());
                begun = fenced
                    .tag_resource(&cluster_arn, &[(env.release_tag(), value)])
                    .await;
            }
            if let Err(e) = begun {
                release_claim(lease).await;
                return Err(e.into());
            }
            id
        }
    };
    let result = {
        let every = lease.renew_every();
        let renew = async {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = lease.renew().await {
                    tracing::warn!("renewing the release lease failed: {e}");
                }
            }
        };
        let notifier = Notifier::new(env, options.commit.as_deref(), options.repo_url.as_deref());
        let release = async {
            let registered = register(&fenced, &plan, progress).await?;
            Release {
                ecs: &fenced,
                env,
                plan: &plan,
                registered: &registered,
                options,
                id: &id,
                progress,
                notifier: &notifier,
            }
            .run()
            .await
        };
        tokio::select! {
            result = release => result,
            () = renew => unreachable!("the heartbeat never ends"),
        }
    };
    // Lost track of the migration, or ECS failed in a way that may pass (a
    // 500, throttling, the network, a lease lost): the release has not
    // ended, as after a crash. Its in-progress tag stays and the next apply
    // carries it on (finding the migration task, awaiting it or taking its
    // result), so it is recorded once, with the result it comes to.
    let interrupted = match &result {
        Err(ApplyError::MigrationInterrupted { .. }) => true,
        Err(ApplyError::Ecs(e)) => e.class() == ErrorClass::Retryable,
        _ => false,
    };
    if interrupted {
        release_claim(lease).await;
        return result;
    }
    // The history record, then the result for `deckhand status`
    // (`<result> <commit> <time>`), then the in-progress tag goes with the
    // lease: stopped in between, the next apply finds the record and only
    // finishes the bookkeeping.
    let outcome = match &result {
        Ok(_) => "succeeded".to_owned(),
        Err(e) => format!("failed:{}", e.step()),
    };
    let record = release_record(env, options, &id, &result);
    if let Err(e) = crate::history::record(&fenced, &env.name, &record).await {
        tracing::warn!("recording the release in the history failed: {e}");
    }
    let value = last_release_value(&outcome, options.commit.as_deref());
    if let Err(e) = fenced
        .tag_resource(&cluster_arn, &[(env.last_release_tag(), value)])
        .await
    {
        tracing::warn!("recording the release result failed: {e}");
    }
    release_claim_with(lease, ecs, &cluster_arn, &in_progress).await;
    result
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
) -> Result<BTreeMap<String, String>, EcsError> {
    let registrations = plan.steps.iter().filter_map(|step| match step {
        Step::RegisterTaskDefinition {
            service,
            family,
            task_definition,
        } => Some(async move {
            let td = ecs.register_task_definition(task_definition).await?;
            progress.say("register", format!("{family} for {service}: {}", td.arn));
            Ok::<_, EcsError>((service.clone(), td.arn.clone()))
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

impl<E: Ecs> Release<'_, E> {
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

    /// The steps in order; returns whether a migration ran.
    async fn steps(&self) -> Result<bool, ApplyError> {
        let cluster = &self.env.cluster;
        // 1. What differs was registered once the lease was held.
        let registered = self.registered;
        // 2. Create missing services.
        let mut watches = Vec::new();
        let mut arns: BTreeMap<String, String> = BTreeMap::new();
        for step in &self.plan.steps {
            if let Step::CreateService {
                service,
                request,
                service_arn,
            } = step
            {
                let arn = registered[service].clone();
                self.ecs
                    .create_service(&CreateServiceRequest {
                        task_definition: arn.clone(),
                        ..(**request).clone()
                    })
                    .await?;
                self.progress.say("create", step.to_string());
                arns.insert(service.clone(), service_arn.clone());
                watches.push(RolloutWatch {
                    service: service.clone(),
                    deployment: None,
                    task_definition: arn,
                    desired_count: Some(request.desired_count),
                });
            }
        }
        // 3 + 4. Quiesce, migrate.
        let migrated = self.quiesce_and_migrate().await?;
        let restore_counts: BTreeMap<&str, i32> = self
            .plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Migrate { run, .. } => Some(run),
                _ => None,
            })
            .flat_map(|run| run.quiesced.iter())
            .map(|q| (q.service.as_str(), q.restore_to))
            .collect();
        // 5. Update services, all at once (ECS's UpdateService bucket allows
        // a burst of 50).
        let mut updated = Vec::new();
        let mut markers: BTreeSet<String> =
            restore_counts.keys().map(|s| (*s).to_owned()).collect();
        let mut resume: BTreeMap<String, crate::ecs::ScalingSuspension> = BTreeMap::new();
        let updates: Vec<_> = self
            .plan
            .steps
            .iter()
            .filter(|step| matches!(step, Step::UpdateService { .. }))
            .map(|step| async move {
                let Step::UpdateService {
                    service,
                    task_definition,
                    desired_count,
                    current,
                    ..
                } = step
                else {
                    unreachable!("filtered to updates")
                };
                let arn = registered
                    .get(service)
                    .cloned()
                    .unwrap_or_else(|| current.task_definition.clone());
                let deployment = self
                    .ecs
                    .update_service(&UpdateServiceRequest {
                        cluster: cluster.clone(),
                        service: service.clone(),
                        task_definition: task_definition.then(|| arn.clone()),
                        desired_count: desired_count.map(|c| c.to),
                    })
                    .await;
                (step, arn, deployment)
            })
            .collect();
        let mut first_error = None;
        for (step, arn, deployment) in futures_util::future::join_all(updates).await {
            let Step::UpdateService {
                service,
                task_definition,
                desired_count,
                current,
                service_arn,
                clears_marker,
                resume_scaling,
            } = step
            else {
                unreachable!("filtered to updates")
            };
            if let Some(state) = resume_scaling {
                resume.insert(service.clone(), *state);
            }
            let deployment = match deployment {
                Ok(deployment) => deployment,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            self.progress.say("update", step.to_string());
            arns.insert(service.clone(), service_arn.clone());
            if *clears_marker {
                markers.insert(service.clone());
            }
            let previous_count = restore_counts
                .get(service.as_str())
                .copied()
                .unwrap_or(current.desired_count);
            updated.push(Updated {
                service: service.clone(),
                previous_task_definition: task_definition.then(|| current.task_definition.clone()),
                previous_count: desired_count.map(|_| previous_count),
            });
            watches.push(RolloutWatch {
                service: service.clone(),
                deployment: if *task_definition { deployment } else { None },
                task_definition: arn,
                desired_count: desired_count.map(|c| c.to).or(Some(current.desired_count)),
            });
        }
        if let Some(e) = first_error {
            return Err(e.into());
        }
        // 6. Wait for the rollouts.
        let results = wait::rollouts(
            self.ecs,
            cluster,
            &watches,
            self.env.deploy.timeout,
            self.polling(),
            self.progress,
            "rollout",
        )
        .await?;
        let mut failures: Vec<(String, String)> = Vec::new();
        for (service, health) in &results {
            let Some(why) = health.failure() else {
                continue;
            };
            let definition = watches
                .iter()
                .find(|w| &w.service == service)
                .map_or("", |w| w.task_definition.as_str());
            let why = match explain::rollout_failure(self.ecs, cluster, service, definition).await {
                Some(tasks) => format!("{why}; {tasks}"),
                None => why.to_owned(),
            };
            failures.push((service.clone(), why));
        }
        // Services that run again get their autoscaling back, then lose the markers.
        for watch in &watches {
            if let Some(state) = resume.get(&watch.service) {
                self.ecs
                    .set_scaling(cluster, &watch.service, *state)
                    .await?;
            }
            if markers.contains(&watch.service) {
                self.ecs
                    .untag_resource(&arns[&watch.service], &marker_keys())
                    .await?;
            }
        }
        for step in &self.plan.steps {
            if let Step::ResumeScaling {
                service,
                to,
                service_arn,
            } = step
            {
                self.ecs.set_scaling(cluster, service, *to).await?;
                self.ecs
                    .untag_resource(service_arn, &[tags::SCALING_SUSPENDED_FROM.into()])
                    .await?;
                self.progress.say("resume", step.to_string());
            }
        }
        if !failures.is_empty() {
            let rolled_back = if self.env.deploy.rollback {
                Some(self.roll_back(&updated).await?)
            } else {
                None
            };
            return Err(ApplyError::RolloutFailed {
                failures,
                rolled_back,
                migrated,
            });
        }
        // 7. Record the commit on every service that now runs it (all at once).
        if let Some(commit) = &self.options.commit {
            let tags = [(tags::COMMIT.to_owned(), commit.clone())];
            let writes = watches
                .iter()
                .map(|watch| self.ecs.tag_resource(&arns[&watch.service], &tags));
            futures_util::future::join_all(writes)
                .await
                .into_iter()
                .collect::<Result<Vec<()>, _>>()?;
            for step in &self.plan.steps {
                if let Step::RecordCommit {
                    service_arn,
                    clears_marker,
                    commit: change,
                    ..
                } = step
                {
                    if *clears_marker {
                        self.ecs.untag_resource(service_arn, &marker_keys()).await?;
                    }
                    self.ecs
                        .tag_resource(service_arn, &[(tags::COMMIT.into(), change.to.clone())])
                        .await?;
                    self.progress.say("record", step.to_string());
                }
            }
        }
        Ok(migrated)
    }
}

#[cfg(test)]
mod tests;
