//! Reconcile one environment at one commit: load the spec (cached per commit),
//! read live ECS, plan, and apply when the sync policy allows. Level-triggered:
//! it computes from current state only, never from why it was woken. Returns
//! what happened and when to look again; the loop in `controller` owns *when*.
//!
//! Failures are classified so a broken commit is not hammered: a bad spec or a
//! failed migration is terminal for that commit (nothing is retried until a
//! new commit arrives); anything else backs off exponentially (capped), and a
//! new commit starts afresh.

use super::state::{ControllerState, ResultKind};
use crate::apply::progress::Progress;
use crate::apply::{self, ApplyError, ApplyOptions, ApplyOutcome};
use crate::live::{self, COMMIT_TAG, Ecs, LiveEnvironment};
use crate::plan::{self, Step};
use crate::report::describe_step;
use crate::source::{RepoLocation, Snapshot, short_sha};
use crate::spec::{self, Environment};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Timing settings of reconciles.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Between two reconciles of an environment.
    pub interval: Duration,
    /// Poll interval of the waits inside a release.
    pub poll_interval: Duration,
    /// First retry delay after a failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

/// What a reconcile found, and when to look again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The result.
    pub result: ResultKind,
    /// Why (out of sync, failure), if not in sync.
    pub reason: Option<String>,
    /// When to reconcile again.
    pub next: Duration,
}

#[derive(Debug, Clone)]
struct Failure {
    commit: Option<String>,
    count: u32,
    terminal: bool,
    retry_at: Instant,
    reason: String,
}

/// Reconciles environments; shared by the loops.
pub struct Reconciler {
    location: RepoLocation,
    settings: Settings,
    state: Arc<ControllerState>,
    clients: tokio::sync::Mutex<HashMap<Option<String>, Ecs>>,
    specs: Mutex<HashMap<String, (String, Arc<Environment>)>>,
    failures: Mutex<HashMap<String, Failure>>,
}

impl Reconciler {
    /// A reconciler reading `location`.
    pub fn new(location: RepoLocation, settings: Settings, state: Arc<ControllerState>) -> Self {
        Reconciler {
            location,
            settings,
            state,
            clients: tokio::sync::Mutex::default(),
            specs: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    /// One ECS client per region, kept for the life of the controller (so
    /// task definitions are described once per ARN, ever).
    async fn client(&self, region: Option<&str>) -> Ecs {
        let mut clients = self.clients.lock().await;
        if let Some(ecs) = clients.get(&region.map(str::to_owned)) {
            return ecs.clone();
        }
        let ecs = Ecs::connect(region).await;
        self.state.track_calls(ecs.calls_handle());
        clients.insert(region.map(str::to_owned), ecs.clone());
        ecs
    }

    /// The spec of `environment` at `commit`, loaded once per commit.
    async fn spec(
        &self,
        environment: &str,
        commit: Option<&str>,
    ) -> Result<Arc<Environment>, String> {
        if let Some(commit) = commit
            && let Some((cached, env)) = self.specs.lock().expect("spec cache").get(environment)
            && cached == commit
        {
            return Ok(env.clone());
        }
        let location = self.location.clone();
        let name = environment.to_owned();
        let at = commit.map(str::to_owned);
        let loaded = tokio::task::spawn_blocking(move || {
            let snapshot =
                Snapshot::open_at(&location, at.as_deref()).map_err(|e| e.to_string())?;
            spec::load(&snapshot, &name).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("loading the spec panicked: {e}"))??;
        let env = Arc::new(loaded);
        if let Some(commit) = commit {
            self.specs
                .lock()
                .expect("spec cache")
                .insert(environment.to_owned(), (commit.to_owned(), env.clone()));
        }
        Ok(env)
    }

    fn failure_of(&self, environment: &str, commit: Option<&str>) -> Option<Failure> {
        let mut failures = self.failures.lock().expect("failures");
        match failures.get(environment) {
            Some(f) if f.commit.as_deref() == commit => Some(f.clone()),
            Some(_) => {
                // A new commit starts afresh.
                failures.remove(environment);
                None
            }
            None => None,
        }
    }

    fn fail(
        &self,
        environment: &str,
        commit: Option<&str>,
        reason: String,
        terminal: bool,
    ) -> Verdict {
        let mut failures = self.failures.lock().expect("failures");
        let count = failures
            .get(environment)
            .filter(|f| f.commit.as_deref() == commit)
            .map_or(1, |f| f.count + 1);
        let exponent = count.saturating_sub(1).min(16);
        let delay = self
            .settings
            .backoff_base
            .saturating_mul(1 << exponent)
            .min(self.settings.backoff_max);
        failures.insert(
            environment.to_owned(),
            Failure {
                commit: commit.map(str::to_owned),
                count,
                terminal,
                retry_at: Instant::now() + delay,
                reason: reason.clone(),
            },
        );
        Verdict {
            result: ResultKind::Failed,
            reason: Some(reason),
            next: if terminal {
                self.settings.interval
            } else {
                delay
            },
        }
    }

    /// Consecutive failures of the current commit.
    pub fn failure_count(&self, environment: &str) -> u32 {
        self.failures
            .lock()
            .expect("failures")
            .get(environment)
            .map_or(0, |f| f.count)
    }

    /// Reconcile `environment` at `commit`.
    pub async fn reconcile(&self, environment: &str, commit: Option<&str>) -> Verdict {
        let interval = self.settings.interval;
        let ok = |result, reason: Option<String>| Verdict {
            result,
            reason,
            next: interval,
        };
        let failure = self.failure_of(environment, commit);
        if let Some(f) = &failure {
            if f.terminal {
                return ok(
                    ResultKind::OutOfSync,
                    Some(format!(
                        "commit {} failed ({}); waiting for a new commit",
                        commit.map(short_sha).unwrap_or("(working directory)"),
                        f.reason
                    )),
                );
            }
            let now = Instant::now();
            if now < f.retry_at {
                return Verdict {
                    result: ResultKind::BackingOff,
                    reason: Some(format!(
                        "backing off after failure {}: {}",
                        f.count, f.reason
                    )),
                    next: f.retry_at - now,
                };
            }
        }
        let env = match self.spec(environment, commit).await {
            Ok(env) => env,
            Err(e) => return self.fail(environment, commit, e, true),
        };
        if env.sync.suspend {
            return ok(ResultKind::Suspended, Some("sync.suspend is true".into()));
        }
        let ecs = self.client(env.region.as_deref()).await;
        let live = match live::fetch(&ecs, &env).await {
            Ok(live) => live,
            Err(e) => return self.fail(environment, commit, e.to_string(), false),
        };
        let plan = match plan::plan(&env, commit, &live) {
            Ok(plan) => plan,
            Err(e) => return self.fail(environment, commit, e.to_string(), false),
        };
        if !plan.changed {
            self.failures.lock().expect("failures").remove(environment);
            return ok(ResultKind::InSync, None);
        }
        let summary: Vec<String> = plan.steps.iter().map(describe_step).collect();
        let drift = is_drift(&live, commit);
        let why = if drift {
            format!("drift (live changed outside git): {}", summary.join("; "))
        } else {
            format!("commit not applied yet: {}", summary.join("; "))
        };
        if !env.sync.auto {
            return ok(
                ResultKind::OutOfSync,
                Some(format!("{why} (sync.auto is false)")),
            );
        }
        if drift && !env.sync.self_heal {
            return ok(
                ResultKind::OutOfSync,
                Some(format!("{why} (sync.selfHeal is false)")),
            );
        }
        let migrates = plan.steps.iter().any(|s| matches!(s, Step::Migrate { .. }));
        let options = ApplyOptions {
            commit: commit.map(str::to_owned),
            poll_interval: self.settings.poll_interval,
            lease_ttl: apply::lease::DEFAULT_TTL,
        };
        tracing::info!(steps = summary.len(), drift, "applying");
        match apply::apply(&ecs, &env, &plan, &options, &Progress::quiet()).await {
            Ok(ApplyOutcome::NoChanges) => ok(ResultKind::InSync, None),
            Ok(ApplyOutcome::Released { .. }) => {
                if migrates {
                    self.state.record_migration("succeeded");
                }
                self.failures.lock().expect("failures").remove(environment);
                ok(ResultKind::Applied, None)
            }
            Err(e) => {
                let terminal = matches!(e, ApplyError::MigrationFailed { .. });
                if terminal {
                    self.state.record_migration("failed");
                }
                let reason = first_line(&e.to_string());
                self.fail(
                    environment,
                    commit,
                    format!("{}: {reason}", e.step()),
                    terminal,
                )
            }
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

/// Was `commit` already applied to every live service? Then the difference
/// is drift (someone changed ECS), not a new commit to roll out.
fn is_drift(live: &LiveEnvironment, commit: Option<&str>) -> bool {
    let Some(commit) = commit else { return false };
    !live.services.is_empty()
        && live
            .services
            .values()
            .all(|s| s.tags.get(COMMIT_TAG).map(String::as_str) == Some(commit))
}
