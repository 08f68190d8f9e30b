//! The status model of the controller: per environment, the last result,
//! what runs, what would change, a release as it happens; and the config
//! repo's. What `/status`, the web UI and the metrics show.

use super::view::{LiveView, PendingView, Wanted};
use serde::Serialize;

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
    pub recent_releases: Option<Vec<crate::history::Recorded>>,
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
    /// The hold a `rollback --now` put, while it stands.
    pub hold: Option<crate::guard::Hold>,
    /// The freeze in force, if any.
    pub freeze: Option<crate::guard::Freeze>,
    /// The deny window open now, if any: which, and until when.
    pub window: Option<WindowView>,
    /// For an environment with `promotion.from`: what `promote` would do
    /// now ("staging v12 can go to production", or the gate that blocks it).
    pub promotion: Option<PromotionView>,
    /// With a lock table: the replica that reconciles this environment (as
    /// this one last saw the table), and whether it is this one.
    pub replica: Option<ReplicaOf>,
}

/// An environment's promotion candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionView {
    /// The environment it takes releases from.
    pub from: String,
    /// What `promote` would do now, in words.
    pub candidate: String,
}

/// An open deny window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowView {
    /// The window, in words.
    pub window: String,
    /// When it closes (RFC 3339).
    pub until: String,
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
