//! What the controller knows and shows, shared between the reconcile loops
//! and the HTTP server: per-environment status (the model is in
//! [`super::status`]), readiness, the remembered commits, the replica's
//! shards, and the metrics ([`super::metrics`]). Every lock is held only to
//! copy or update a value, and every change bumps a generation number (the
//! UI's ETag).

use super::metrics::{self, Metrics, Scraped};
use super::replicas::Ownership;
pub use super::status::*;
use super::view::Observation;
use crate::apply::progress::ProgressSink;
use crate::ecs::CallCounter;
use crate::source::CommitInfo;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Everything shared.
#[derive(Debug, Default)]
pub struct ControllerState {
    environments: Mutex<BTreeMap<String, EnvironmentStatus>>,
    repo: Mutex<RepoStatus>,
    metrics: Mutex<Metrics>,
    ready: AtomicBool,
    ecs_calls: Mutex<Vec<Arc<CallCounter>>>,
    commits: Mutex<BTreeMap<String, CommitInfo>>,
    generation: AtomicU64,
    replica: Mutex<Option<Ownership>>,
    lock_calls: Mutex<Option<Arc<CallCounter>>>,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

impl ControllerState {
    /// Mark ready (after the first successful fetch).
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
        self.changed();
    }

    /// A number that grows with every change of what is shown.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Update the status of `environment` (created on first use).
    fn update(&self, environment: &str, edit: impl FnOnce(&mut EnvironmentStatus)) {
        {
            let mut envs = self.environments.lock().expect("status lock");
            let status = envs.entry(environment.to_owned()).or_default();
            status.environment = environment.to_owned();
            edit(status);
        }
        self.changed();
    }

    /// Remember a config commit's author, time and message.
    pub fn add_commit(&self, info: CommitInfo) {
        self.commits
            .lock()
            .expect("commits lock")
            .insert(info.sha.clone(), info);
        self.changed();
    }

    /// A remembered commit.
    pub fn commit_info(&self, sha: &str) -> Option<CommitInfo> {
        self.commits.lock().expect("commits lock").get(sha).cloned()
    }

    /// What a reconcile of `environment` saw.
    pub fn observe(&self, environment: &str, seen: Observation) {
        self.update(environment, |s| {
            s.wanted = Some(seen.wanted);
            s.live = Some(seen.live);
            s.pending = seen.pending;
        });
    }

    /// The hold and the freeze in force on `environment`, as its cluster's
    /// tags said at the last reconcile.
    pub fn set_guards(
        &self,
        environment: &str,
        hold: Option<crate::guard::Hold>,
        freeze: Option<crate::guard::Freeze>,
        window: Option<super::status::WindowView>,
    ) {
        self.update(environment, |s| {
            s.hold = hold;
            s.freeze = freeze;
            s.window = window;
        });
    }

    /// What `promote` into `environment` would do now.
    pub fn set_promotion(
        &self,
        environment: &str,
        promotion: Option<super::status::PromotionView>,
    ) {
        self.update(environment, |s| s.promotion = promotion);
    }

    /// One environment's status as last seen (a copy).
    pub fn environment(&self, environment: &str) -> Option<EnvironmentStatus> {
        self.environments
            .lock()
            .expect("status lock")
            .get(environment)
            .cloned()
    }

    /// A release of `environment` at `commit` starts.
    pub fn release_started(&self, environment: &str, commit: Option<&str>) {
        self.update(environment, |s| {
            s.release = Some(ReleaseProgress {
                commit: commit.map(str::to_owned),
                started: rfc3339(SystemTime::now()),
                ..Default::default()
            });
        });
    }

    /// The release of `environment` ended with `result`; None forgets it
    /// (the apply found nothing to do).
    pub fn release_finished(&self, environment: &str, result: Option<String>) {
        self.update(environment, |s| match result {
            Some(result) => {
                if let Some(release) = &mut s.release {
                    release.finished = Some(rfc3339(SystemTime::now()));
                    release.result = Some(result);
                }
            }
            None => s.release = None,
        });
    }

    /// The progress sink of `environment`'s release.
    pub fn recorder(self: &Arc<Self>, environment: &str) -> Arc<dyn ProgressSink> {
        Arc::new(Recorder {
            state: self.clone(),
            environment: environment.to_owned(),
        })
    }

    /// Ready to serve?
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Record a fetch.
    pub fn set_repo(&self, repo: RepoStatus) {
        *self.repo.lock().expect("repo lock") = repo;
        self.changed();
    }

    /// The repo status.
    pub fn repo(&self) -> RepoStatus {
        self.repo.lock().expect("repo lock").clone()
    }

    /// Count the calls of another ECS client in `/metrics`.
    pub fn track_calls(&self, counter: Arc<CallCounter>) {
        self.ecs_calls.lock().expect("calls lock").push(counter);
    }

    /// Count the lock table's requests in the metrics.
    pub fn track_lock_calls(&self, counter: Arc<CallCounter>) {
        *self.lock_calls.lock().expect("calls lock") = Some(counter);
    }

    /// What this replica holds and sees in the lock table.
    pub fn set_ownership(&self, ownership: Ownership) {
        let mut replica = self.replica.lock().expect("replica lock");
        if replica.as_ref() != Some(&ownership) {
            *replica = Some(ownership);
            drop(replica);
            self.changed();
        }
    }

    /// The replica's view, with a lock table.
    pub fn ownership(&self) -> Option<Ownership> {
        self.replica.lock().expect("replica lock").clone()
    }

    /// Record which replica reconciles `environment`.
    pub fn set_replica_of(&self, environment: &str, replica: ReplicaOf) {
        let same = self
            .environments
            .lock()
            .expect("status lock")
            .get(environment)
            .is_some_and(|s| s.replica.as_ref() == Some(&replica));
        if !same {
            self.update(environment, |s| {
                // What this replica saw of an environment another one now
                // reconciles grows stale: forget it (the history is read
                // again if the environment comes back).
                if !replica.here {
                    s.wanted = None;
                    s.live = None;
                    s.pending = None;
                    s.recent_releases = None;
                }
                s.replica = Some(replica);
            });
        }
    }

    /// The latest releases of `environment`, read from ECS.
    pub fn set_releases(&self, environment: &str, releases: Vec<crate::history::Recorded>) {
        self.update(environment, |s| s.recent_releases = Some(releases));
    }

    /// Whether the releases of `environment` were read yet.
    pub fn has_releases(&self, environment: &str) -> bool {
        self.environments
            .lock()
            .expect("status lock")
            .get(environment)
            .is_some_and(|s| s.recent_releases.is_some())
    }

    /// Record the end of a reconcile.
    pub fn record(
        &self,
        environment: &str,
        commit: Option<&str>,
        result: ResultKind,
        reason: Option<String>,
        took: Duration,
        consecutive_failures: u32,
    ) {
        self.update(environment, |status| {
            status.commit_seen = commit.map(str::to_owned);
            if matches!(result, ResultKind::InSync | ResultKind::Applied) {
                status.commit_applied = commit.map(str::to_owned);
            }
            status.last_result = Some(result);
            status.last_reconcile_at = Some(rfc3339(SystemTime::now()));
            status.in_sync = match result {
                ResultKind::InSync | ResultKind::Applied => Some(true),
                ResultKind::OutOfSync | ResultKind::Failed => Some(false),
                ResultKind::Suspended | ResultKind::BackingOff => status.in_sync,
            };
            status.reason = reason;
            status.consecutive_failures = consecutive_failures;
        });
        self.metrics
            .lock()
            .expect("metrics lock")
            .reconciled(environment, result, took);
    }

    /// Count a migration by result (`succeeded`, `failed`).
    pub fn record_migration(&self, result: &'static str) {
        self.metrics.lock().expect("metrics lock").migration(result);
    }

    /// Count a webhook delivery by result (`accepted`, `rejected`).
    pub fn record_webhook(&self, result: &'static str) {
        self.metrics.lock().expect("metrics lock").webhook(result);
    }

    /// Every remembered commit, by SHA.
    pub fn commits(&self) -> BTreeMap<String, CommitInfo> {
        self.commits.lock().expect("commits lock").clone()
    }

    /// Every environment's status.
    pub fn environments(&self) -> Vec<EnvironmentStatus> {
        self.environments
            .lock()
            .expect("status lock")
            .values()
            .cloned()
            .collect()
    }

    /// Everything as Prometheus text (for `/metrics`).
    pub fn prometheus(&self) -> String {
        let mut calls: BTreeMap<String, u64> = BTreeMap::new();
        for counter in self.ecs_calls.lock().expect("calls lock").iter() {
            for (op, n) in counter.snapshot() {
                *calls.entry(op).or_default() += n;
            }
        }
        let lock_calls = self
            .lock_calls
            .lock()
            .expect("calls lock")
            .as_ref()
            .map(|c| c.snapshot().into_iter().collect());
        // Counted under the lock: a scrape copies no environment.
        let (in_sync, out_of_sync, reconciled_here, guarded) = {
            let envs = self.environments.lock().expect("status lock");
            let count = |wanted| envs.values().filter(|e| e.in_sync == Some(wanted)).count();
            let here: Vec<(String, bool)> = envs
                .values()
                .filter_map(|e| e.replica.as_ref().map(|r| (e.environment.clone(), r.here)))
                .collect();
            let guarded: Vec<metrics::Guarded> = envs
                .values()
                .map(|e| metrics::Guarded {
                    environment: e.environment.clone(),
                    held: e.hold.is_some(),
                    frozen: e.freeze.is_some(),
                    window_open: e.window.is_some(),
                })
                .collect();
            (count(true), count(false), here, guarded)
        };
        let scraped = Scraped {
            ecs_calls: calls,
            lock_calls,
            ownership: self.ownership(),
            reconciled_here,
            in_sync,
            out_of_sync,
            guarded,
            ready: self.is_ready(),
        };
        metrics::render(&self.metrics.lock().expect("metrics lock"), scraped)
    }
}

/// Feeds one environment's release progress into the state.
struct Recorder {
    state: Arc<ControllerState>,
    environment: String,
}

impl ProgressSink for Recorder {
    fn event(&self, elapsed_seconds: u64, step: &str, message: &str) {
        self.state.update(&self.environment, |s| {
            if let Some(release) = &mut s.release {
                if release.events.len() >= RELEASE_EVENTS {
                    release.events.remove(0);
                }
                release.events.push(ProgressEvent {
                    elapsed_seconds,
                    step: step.to_owned(),
                    message: message.to_owned(),
                });
            }
        });
    }

    fn migration_log(&self, revision: &str, task: &str, succeeded: bool, lines: &[String]) {
        self.state.update(&self.environment, |s| {
            s.last_migration = Some(MigrationLog {
                revision: revision.to_owned(),
                task: task.to_owned(),
                succeeded,
                finished: rfc3339(SystemTime::now()),
                lines: lines.to_vec(),
            });
        });
    }
}

/// `# HELP` and `# TYPE` lines of a metric family.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_moved_to_another_replica_forgets_what_was_seen_here() {
        let state = ControllerState::default();
        state.set_releases("staging", Vec::new());
        state.set_replica_of(
            "staging",
            ReplicaOf {
                holder: Some("me".into()),
                here: true,
            },
        );
        assert!(state.has_releases("staging"));
        state.set_replica_of(
            "staging",
            ReplicaOf {
                holder: Some("other:1:x".into()),
                here: false,
            },
        );
        assert!(
            !state.has_releases("staging"),
            "read again if it comes back"
        );
        let s = state.environments().remove(0);
        assert!(s.live.is_none() && s.pending.is_none() && s.wanted.is_none());
        let text = state.prometheus();
        assert!(
            !text.contains("deckhand_environment_reconciled_here"),
            "only with a lock table"
        );
        state.set_ownership(Ownership {
            me: "me".into(),
            ..Ownership::default()
        });
        assert!(
            state
                .prometheus()
                .contains("deckhand_environment_reconciled_here{environment=\"staging\"} 0")
        );
    }

    #[test]
    fn metrics_are_prometheus_text_with_counts() {
        let state = ControllerState::default();
        state.record(
            "staging",
            Some("abc"),
            ResultKind::Applied,
            None,
            Duration::from_millis(300),
            0,
        );
        state.record(
            "staging",
            Some("abc"),
            ResultKind::InSync,
            None,
            Duration::from_millis(50),
            0,
        );
        state.record_migration("succeeded");
        let text = state.prometheus();
        assert!(
            text.contains(
                "deckhand_reconciles_total{environment=\"staging\",result=\"applied\"} 1"
            )
        );
        assert!(text.contains("deckhand_reconcile_duration_seconds_bucket{le=\"0.1\"} 1"));
        assert!(text.contains("deckhand_reconcile_duration_seconds_bucket{le=\"0.5\"} 2"));
        assert!(text.contains("deckhand_reconcile_duration_seconds_count 2"));
        assert!(text.contains("deckhand_migrations_total{result=\"succeeded\"} 1"));
        assert!(text.contains("deckhand_environments{state=\"in-sync\"} 1"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').expect("name value");
            value.parse::<f64>().expect("a number");
        }
    }

    #[test]
    fn status_keeps_the_last_applied_commit_when_a_later_one_fails() {
        let state = ControllerState::default();
        state.record(
            "prod",
            Some("c1"),
            ResultKind::Applied,
            None,
            Duration::ZERO,
            0,
        );
        state.record(
            "prod",
            Some("c2"),
            ResultKind::Failed,
            Some("boom".into()),
            Duration::ZERO,
            1,
        );
        let s = &state.environments()[0];
        assert_eq!(s.commit_applied.as_deref(), Some("c1"));
        assert_eq!(s.commit_seen.as_deref(), Some("c2"));
        assert_eq!(s.in_sync, Some(false));
        assert_eq!(s.consecutive_failures, 1);
    }
}
