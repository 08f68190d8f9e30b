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
//! - a migration runs once per revision: an in-flight migration task of the
//!   environment (found by `startedBy`) is awaited instead of started again,
//!   and the recorded revision is only written after exit code 0;
//! - a quiesced service is never left at 0: its pre-quiesce count is kept in a
//!   service tag, so an apply killed mid-release is restored by the next one;
//! - a failed rollout (circuit breaker, timeout) is a failure; with
//!   `deploy.rollback` every service updated in this apply goes back to the
//!   task definition it ran before. Migrations are not undone.

pub mod lease;
mod migrate;
pub mod notify;
pub mod progress;
pub mod wait;

use crate::live::{self, COMMIT_TAG, Ecs, EcsError, LiveEnvironment, QUIESCED_FROM_TAG};
use crate::plan::{self, Plan, PlanError, Step};
use crate::report::describe_step;
use crate::spec::{Environment, render};
use lease::{Lease, LeaseError};
use notify::{Notifier, ReleaseEvent};
use progress::Progress;
use std::collections::HashMap;
use std::time::Duration;
use wait::{Polling, RolloutResult, RolloutWatch};

/// How to run a release.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The config commit being applied (tagged on updated services).
    pub commit: Option<String>,
    /// Poll interval of every wait.
    pub poll_interval: Duration,
    /// Lease time-to-live.
    pub lease_ttl: Duration,
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
        "migration to schema revision {revision} failed: {reason}\n  no service was updated; quiesced services were restored; the recorded revision is unchanged"
    )]
    MigrationFailed { revision: String, reason: String },
    /// Quiesced services did not stop in time.
    #[error("quiesce failed: {0}; the migration did not run and the services were restored")]
    QuiesceTimeout(String),
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
            ApplyError::MigrationFailed { .. } => "migrate",
            ApplyError::QuiesceTimeout(_) => "quiesce",
            ApplyError::RolloutFailed { .. } => "rollout",
            ApplyError::Lease(_) => "lease",
            ApplyError::Plan(_) => "plan",
            ApplyError::Ecs(_) => "ecs",
        }
    }
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
pub async fn apply(
    ecs: &Ecs,
    env: &Environment,
    planned: &Plan,
    options: &ApplyOptions,
    progress: &Progress,
) -> Result<ApplyOutcome, ApplyError> {
    if !planned.changed {
        progress.say("plan", "no changes: ECS matches the spec");
        return Ok(ApplyOutcome::NoChanges);
    }
    let lease = Lease::acquire(ecs, &env.name, &env.cluster, options.lease_ttl).await?;
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
        async {
            // Re-read under the lease: another release may have just finished.
            let live = live::fetch(ecs, env).await?;
            let plan = plan::plan(env, options.commit.as_deref(), &live)?;
            if !plan.changed {
                progress.say("plan", "no changes: ECS matches the spec");
                return Ok(ApplyOutcome::NoChanges);
            }
            if plan.steps != planned.steps {
                progress.say(
                    "plan",
                    "ECS changed since the plan was shown; applying the fresh plan",
                );
            }
            let notifier = Notifier::new(env, options.commit.as_deref());
            let release = Release {
                ecs,
                env,
                live: &live,
                plan: &plan,
                options,
                progress,
                notifier: &notifier,
            };
            tokio::select! {
                result = release.run() => result,
                () = renew => unreachable!("the heartbeat never ends"),
            }
        }
        .await
    };
    // The result, for `deckhand status`: `<result> <commit> <time>`.
    if let Ok(ApplyOutcome::Released { .. }) | Err(_) = &result {
        let outcome = match &result {
            Ok(_) => "succeeded".to_owned(),
            Err(e) => format!("failed:{}", e.step()),
        };
        let value = format!(
            "{outcome} {} {}",
            options
                .commit
                .as_deref()
                .map(crate::source::short_sha)
                .unwrap_or("-"),
            humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        );
        if let Err(e) = ecs
            .tag(lease.cluster_arn(), &[(env.last_release_tag(), value)])
            .await
        {
            tracing::warn!("recording the release result failed: {e}");
        }
    }
    if let Err(e) = lease.release().await {
        tracing::warn!("releasing the lease failed (it expires by itself): {e}");
    }
    result
}

struct Release<'a> {
    ecs: &'a Ecs,
    env: &'a Environment,
    live: &'a LiveEnvironment,
    plan: &'a Plan,
    options: &'a ApplyOptions,
    progress: &'a Progress,
    notifier: &'a Notifier,
}

/// A service updated in this release, and what it ran before.
struct Updated {
    service: String,
    previous_task_definition: Option<String>,
    previous_count: Option<i32>,
    task_definition_changed: bool,
}

impl Release<'_> {
    fn polling(&self) -> Polling {
        Polling {
            interval: self.options.poll_interval,
        }
    }

    async fn run(&self) -> Result<ApplyOutcome, ApplyError> {
        let steps: Vec<String> = self.plan.steps.iter().map(describe_step).collect();
        self.notifier
            .send(&ReleaseEvent::Started {
                steps: steps.clone(),
            })
            .await;
        match self.steps().await {
            Ok(()) => {
                self.progress
                    .say("done", format!("released {} step(s)", steps.len()));
                self.notifier
                    .send(&ReleaseEvent::Succeeded {
                        steps: steps.clone(),
                    })
                    .await;
                Ok(ApplyOutcome::Released { steps })
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
                self.notifier
                    .send(&ReleaseEvent::Failed {
                        step: e.step().into(),
                        reason: e.to_string(),
                    })
                    .await;
                Err(e)
            }
        }
    }

    async fn steps(&self) -> Result<(), ApplyError> {
        let cluster = &self.env.cluster;
        // 1. Register what differs; everything else keeps its live ARN.
        let mut task_definitions: HashMap<String, String> = self
            .live
            .services
            .iter()
            .map(|(name, s)| (name.clone(), s.task_definition.arn.clone()))
            .collect();
        for step in &self.plan.steps {
            if let Step::RegisterTaskDefinition { service, family } = step {
                let spec = self.env.service(service).expect("planned services exist");
                let arn = self
                    .ecs
                    .register_task_definition(&render::service_task_definition(self.env, spec))
                    .await?;
                self.progress
                    .say("register", format!("{family} for {service}: {arn}"));
                task_definitions.insert(service.clone(), arn);
            }
        }
        // 2. Create missing services.
        let mut watches = Vec::new();
        for step in &self.plan.steps {
            if let Step::CreateService { service } = step {
                let spec = self.env.service(service).expect("planned services exist");
                let input = spec.create.as_ref().expect("planned creations have input");
                let arn = &task_definitions[service];
                let count = spec.desired_count.unwrap_or(0);
                self.ecs
                    .create_service(cluster, service, arn, count, &input.json)
                    .await?;
                self.progress
                    .say("create", format!("{service} with desiredCount {count}"));
                watches.push(RolloutWatch {
                    service: service.clone(),
                    deployment: None,
                    task_definition: arn.clone(),
                    desired_count: Some(count),
                });
            }
        }
        // 3 + 4. Quiesce, migrate.
        let migrated = self.quiesce_and_migrate().await?;
        // 5. Update services.
        let mut updated = Vec::new();
        for step in &self.plan.steps {
            let Step::UpdateService {
                service,
                task_definition,
                desired_count,
            } = step
            else {
                continue;
            };
            let live = &self.live.services[service];
            let arn = &task_definitions[service];
            let deployment = self
                .ecs
                .update_service(
                    cluster,
                    service,
                    task_definition.then_some(arn.as_str()),
                    desired_count.map(|c| c.to),
                )
                .await?;
            self.progress.say(
                "update",
                format!(
                    "{service}: {}",
                    describe_step(step).split(": ").nth(1).unwrap_or("")
                ),
            );
            updated.push(Updated {
                service: service.clone(),
                previous_task_definition: Some(live.task_definition.arn.clone()),
                previous_count: live.quiesced_from.or(Some(live.desired_count)),
                task_definition_changed: *task_definition,
            });
            watches.push(RolloutWatch {
                service: service.clone(),
                deployment: if *task_definition { deployment } else { None },
                task_definition: arn.clone(),
                desired_count: desired_count.map(|c| c.to).or(Some(live.desired_count)),
            });
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
        let failures: Vec<(String, String)> = results
            .iter()
            .filter_map(|(s, r)| match r {
                RolloutResult::Failed(why) => Some((s.clone(), why.clone())),
                RolloutResult::Completed => None,
            })
            .collect();
        // Services that were quiesced and are now restored lose the marker.
        for watch in &watches {
            let live = self.live.services.get(&watch.service);
            if live.is_some_and(|l| l.quiesced_from.is_some())
                || self.quiesced_services().contains(&watch.service)
            {
                self.ecs
                    .untag(
                        &self.service_arn(&watch.service),
                        &[QUIESCED_FROM_TAG.into()],
                    )
                    .await?;
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
        // 7. Record the commit on the services whose rollout completed.
        if let Some(commit) = &self.options.commit {
            for watch in &watches {
                self.ecs
                    .tag(
                        &self.service_arn(&watch.service),
                        &[(COMMIT_TAG.into(), commit.clone())],
                    )
                    .await?;
            }
        }
        Ok(())
    }

    fn service_arn(&self, service: &str) -> String {
        self.live
            .services
            .get(service)
            .map(|s| s.arn.clone())
            .unwrap_or_else(|| {
                // Created in this release: ECS service ARNs are predictable.
                self.live
                    .cluster_arn
                    .replace(":cluster/", ":service/")
                    .to_string()
                    + "/"
                    + service
            })
    }

    fn quiesced_services(&self) -> Vec<String> {
        self.plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Quiesce { service, .. } => Some(service.clone()),
                _ => None,
            })
            .collect()
    }

    /// Put every service updated in this release back on what it ran before,
    /// and wait for that. Returns the services rolled back.
    async fn roll_back(&self, updated: &[Updated]) -> Result<Vec<String>, EcsError> {
        let mut watches = Vec::new();
        for u in updated {
            let Some(previous) = &u.previous_task_definition else {
                continue;
            };
            let deployment = self
                .ecs
                .update_service(
                    &self.env.cluster,
                    &u.service,
                    u.task_definition_changed.then_some(previous.as_str()),
                    u.previous_count,
                )
                .await?;
            self.progress
                .say("rollback", format!("{}: back to {previous}", u.service));
            watches.push(RolloutWatch {
                service: u.service.clone(),
                deployment: if u.task_definition_changed {
                    deployment
                } else {
                    None
                },
                task_definition: previous.clone(),
                desired_count: u.previous_count,
            });
        }
        let results = wait::rollouts(
            self.ecs,
            &self.env.cluster,
            &watches,
            self.env.deploy.timeout,
            self.polling(),
            self.progress,
            "rollback",
        )
        .await?;
        for (service, result) in &results {
            if let RolloutResult::Failed(why) = result {
                self.progress.say(
                    "rollback",
                    format!("{service}: rollback did not complete: {why}"),
                );
            }
        }
        Ok(watches.into_iter().map(|w| w.service).collect())
    }
}
