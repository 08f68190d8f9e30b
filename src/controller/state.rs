//! What the controller knows and shows: per-environment status (for
//! `/status` and the web UI: the last result, what runs, what would change, a
//! release as it happens), readiness, and the metrics rendered in the
//! Prometheus text format (for `/metrics`). Shared between the reconcile loops
//! and the HTTP server; every lock is held only to copy or update a value, and
//! every change bumps a generation number (the UI's ETag).

use super::replicas::Ownership;
use super::view::{LiveView, Observation, PendingView, Wanted};
use crate::apply::progress::ProgressSink;
use crate::ecs::CallCounter;
use crate::source::CommitInfo;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The result of one reconcile, as shown and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultKind {
    /// ECS already matched the spec.
    InSync,
    /// A release was carried out.
    Applied,
    /// Out of sync and not applied (sync.auto false, drift without selfHeal, a failed commit waiting).
    OutOfSync,
    /// `sync.suspend`.
    Suspended,
    /// Skipped: backing off after a failure.
    BackingOff,
    /// The reconcile failed.
    Failed,
}

impl ResultKind {
    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultKind::InSync => "in-sync",
            ResultKind::Applied => "applied",
            ResultKind::OutOfSync => "out-of-sync",
            ResultKind::Suspended => "suspended",
            ResultKind::BackingOff => "backing-off",
            ResultKind::Failed => "failed",
        }
    }
}

/// One environment's status, as `/status` shows it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentStatus {
    /// Environment name.
    pub environment: String,
    /// The config commit last applied (or found in sync).
    pub commit_applied: Option<String>,
    /// The config commit the last reconcile read.
    pub commit_seen: Option<String>,
    /// Result of the last reconcile.
    pub last_result: Option<ResultKind>,
    /// When it finished (RFC 3339).
    pub last_reconcile_at: Option<String>,
    /// Whether ECS matches the spec (None before the first reconcile).
    pub in_sync: Option<bool>,
    /// Why not, or what failed.
    pub reason: Option<String>,
    /// Failed reconciles of the current commit in a row.
    pub consecutive_failures: u32,
    /// The latest releases, newest first (from the history in ECS).
    pub recent_releases: Option<Vec<crate::history::Release>>,
    /// What the spec of the commit last read asks for.
    pub wanted: Option<Wanted>,
    /// What ECS ran at the last reconcile.
    pub live: Option<LiveView>,
    /// What an apply would do now (None when in sync).
    pub pending: Option<PendingView>,
    /// The release in progress, or the last one this controller carried out.
    pub release: Option<ReleaseProgress>,
    /// The end of the last migration's log this controller saw.
    pub last_migration: Option<MigrationLog>,
    /// With a lock table: the replica that reconciles this environment (as
    /// this one last saw the table), and whether it is this one.
    pub replica: Option<ReplicaOf>,
}

/// Which replica reconciles an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaOf {
    /// Its lease holder name (`host:pid:nonce`); None while its shard is free.
    pub holder: Option<String>,
    /// Whether it is this replica.
    pub here: bool,
}

/// A release as it happens, step by step.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseProgress {
    /// The config commit being released.
    pub commit: Option<String>,
    /// When it started (RFC 3339).
    pub started: String,
    /// When it ended; None while it runs.
    pub finished: Option<String>,
    /// `succeeded` or what failed, once it ended.
    pub result: Option<String>,
    /// What happened, oldest first (the latest [`RELEASE_EVENTS`] kept).
    pub events: Vec<ProgressEvent>,
}

/// One progress event of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressEvent {
    /// Seconds since the release started.
    pub elapsed_seconds: u64,
    /// The step (`preflight`, `register`, `migrate`, `update`, …).
    pub step: String,
    /// What happened.
    pub message: String,
}

/// Events kept per release.
pub const RELEASE_EVENTS: usize = 300;

/// The end of a migration task's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationLog {
    /// The schema revision it applied.
    pub revision: String,
    /// The task ARN.
    pub task: String,
    /// Whether it exited 0.
    pub succeeded: bool,
    /// When deckhand saw it stop (RFC 3339).
    pub finished: String,
    /// The last log lines, secrets masked.
    pub lines: Vec<String>,
}

/// The config repo as last fetched.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoStatus {
    /// The last commit fetched successfully.
    pub commit: Option<String>,
    /// The last fetch error, while the repo is unreachable.
    pub error: Option<String>,
}

/// Reconcile duration buckets, in seconds.
const BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0];

#[derive(Debug, Default)]
struct Metrics {
    reconciles: BTreeMap<(String, ResultKind), u64>,
    buckets: Vec<u64>,
    duration_sum: f64,
    duration_count: u64,
    migrations: BTreeMap<&'static str, u64>,
    webhooks: BTreeMap<&'static str, u64>,
}

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
    pub fn set_releases(&self, environment: &str, releases: Vec<crate::history::Release>) {
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
        let mut m = self.metrics.lock().expect("metrics lock");
        *m.reconciles
            .entry((environment.to_owned(), result))
            .or_default() += 1;
        if m.buckets.is_empty() {
            m.buckets = vec![0; BUCKETS.len()];
        }
        let secs = took.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                m.buckets[i] += 1;
            }
        }
        m.duration_sum += secs;
        m.duration_count += 1;
    }

    /// Count a migration by result (`succeeded`, `failed`).
    pub fn record_migration(&self, result: &'static str) {
        self.bump(|m| &mut m.migrations, result);
    }

    /// Count a webhook delivery by result (`accepted`, `rejected`).
    pub fn record_webhook(&self, result: &'static str) {
        self.bump(|m| &mut m.webhooks, result);
    }

    fn bump(
        &self,
        counter: fn(&mut Metrics) -> &mut BTreeMap<&'static str, u64>,
        key: &'static str,
    ) {
        *counter(&mut self.metrics.lock().expect("metrics lock"))
            .entry(key)
            .or_default() += 1;
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

    /// `/metrics` in the Prometheus text exposition format.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let m = self.metrics.lock().expect("metrics lock");
        family(
            &mut out,
            "deckhand_reconciles_total",
            "counter",
            "Reconciles by environment and result.",
        );
        for ((env, result), n) in &m.reconciles {
            sample(
                &mut out,
                "deckhand_reconciles_total",
                &format!(
                    "environment=\"{}\",result=\"{}\"",
                    escape(env),
                    result.as_str()
                ),
                *n as f64,
            );
        }
        family(
            &mut out,
            "deckhand_reconcile_duration_seconds",
            "histogram",
            "How long reconciles take, releases included.",
        );
        for (i, le) in BUCKETS.iter().enumerate() {
            let n = m.buckets.get(i).copied().unwrap_or(0);
            sample(
                &mut out,
                "deckhand_reconcile_duration_seconds_bucket",
                &format!("le=\"{le}\""),
                n as f64,
            );
        }
        sample(
            &mut out,
            "deckhand_reconcile_duration_seconds_bucket",
            "le=\"+Inf\"",
            m.duration_count as f64,
        );
        sample(
            &mut out,
            "deckhand_reconcile_duration_seconds_sum",
            "",
            m.duration_sum,
        );
        sample(
            &mut out,
            "deckhand_reconcile_duration_seconds_count",
            "",
            m.duration_count as f64,
        );
        for (name, help, counts, keys) in [
            (
                "deckhand_migrations_total",
                "Migrations by result.",
                &m.migrations,
                ["succeeded", "failed"],
            ),
            (
                "deckhand_webhooks_total",
                "Webhook deliveries by result.",
                &m.webhooks,
                ["accepted", "rejected"],
            ),
        ] {
            family(&mut out, name, "counter", help);
            for key in keys {
                let n = counts.get(key).copied().unwrap_or(0);
                sample(&mut out, name, &format!("result=\"{key}\""), n as f64);
            }
        }
        drop(m);
        family(
            &mut out,
            "deckhand_ecs_calls_total",
            "counter",
            "ECS API requests by operation (retries included).",
        );
        let mut calls: BTreeMap<String, u64> = BTreeMap::new();
        for counter in self.ecs_calls.lock().expect("calls lock").iter() {
            for (op, n) in counter.snapshot() {
                *calls.entry(op).or_default() += n;
            }
        }
        for (op, n) in calls {
            sample(
                &mut out,
                "deckhand_ecs_calls_total",
                &format!("operation=\"{op}\""),
                n as f64,
            );
        }
        if let Some(counter) = self.lock_calls.lock().expect("calls lock").as_ref() {
            family(
                &mut out,
                "deckhand_lock_table_calls_total",
                "counter",
                "DynamoDB lock table requests by operation (retries included).",
            );
            for (op, n) in counter.snapshot() {
                sample(
                    &mut out,
                    "deckhand_lock_table_calls_total",
                    &format!("operation=\"{op}\""),
                    n as f64,
                );
            }
        }
        if let Some(ownership) = self.ownership() {
            family(
                &mut out,
                "deckhand_replica_shards_held",
                "gauge",
                "Shards of the lock table this replica holds (it reconciles their environments).",
            );
            sample(
                &mut out,
                "deckhand_replica_shards_held",
                &format!("replica=\"{}\"", escape(&ownership.me)),
                ownership.held.len() as f64,
            );
            family(
                &mut out,
                "deckhand_replicas",
                "gauge",
                "Live replicas on the lock table, as this one last saw it.",
            );
            sample(
                &mut out,
                "deckhand_replicas",
                "",
                ownership.replicas.len() as f64,
            );
            family(
                &mut out,
                "deckhand_environment_reconciled_here",
                "gauge",
                "1 for the environments this replica reconciles, 0 for the others.",
            );
            let envs = self.environments.lock().expect("status lock");
            for env in envs.values() {
                if let Some(replica) = &env.replica {
                    sample(
                        &mut out,
                        "deckhand_environment_reconciled_here",
                        &format!("environment=\"{}\"", escape(&env.environment)),
                        f64::from(u8::from(replica.here)),
                    );
                }
            }
        }
        family(
            &mut out,
            "deckhand_environments",
            "gauge",
            "Environments by sync state.",
        );
        // Counted under the lock: a scrape copies no environment.
        let counts = {
            let envs = self.environments.lock().expect("status lock");
            let count = |wanted| envs.values().filter(|e| e.in_sync == Some(wanted)).count();
            [("in-sync", count(true)), ("out-of-sync", count(false))]
        };
        for (state, n) in counts {
            sample(
                &mut out,
                "deckhand_environments",
                &format!("state=\"{state}\""),
                n as f64,
            );
        }
        family(
            &mut out,
            "deckhand_ready",
            "gauge",
            "1 after the first successful fetch of the config repo.",
        );
        sample(
            &mut out,
            "deckhand_ready",
            "",
            f64::from(u8::from(self.is_ready())),
        );
        out
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
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// One sample line; `labels` without braces, may be empty.
fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

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
