//! The controller's policies, each a small owner of one decision:
//!
//! - [`Failures`]: after a failure, when to try the environment again. The
//!   error's class decides ([`ErrorClass`]): a user error or a terminal one
//!   waits for a new commit; a retryable one backs off exponentially
//!   (capped). Success or a new commit resets the count.
//! - [`sync_decision`]: whether an out-of-sync environment is applied, by its
//!   `sync` policy and whether the difference is drift. Pure.

use crate::ecs::ErrorClass;
use crate::source::short_sha;
use crate::spec::SyncPolicy;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Backoff settings.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First retry delay.
    pub base: Duration,
    /// Longest retry delay.
    pub max: Duration,
}

#[derive(Debug, Clone)]
struct Failure {
    commit: Option<String>,
    count: u32,
    wait_for_commit: bool,
    retry_at: Instant,
    reason: String,
}

/// What to do with an environment now, given its last failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Reconcile.
    Go,
    /// This commit failed for good: wait for a new one.
    WaitForCommit(String),
    /// Backing off: try again after `remaining`.
    BackOff {
        /// Why, in words.
        reason: String,
        /// Until the next try.
        remaining: Duration,
    },
}

/// Failures by environment.
#[derive(Debug)]
pub struct Failures {
    backoff: Backoff,
    by_environment: Mutex<HashMap<String, Failure>>,
}

impl Failures {
    /// No failures yet.
    pub fn new(backoff: Backoff) -> Self {
        Failures {
            backoff,
            by_environment: Mutex::default(),
        }
    }

    /// May `environment` be reconciled at `commit` now?
    pub fn gate(&self, environment: &str, commit: Option<&str>) -> Gate {
        let mut failures = self.by_environment.lock().expect("failures");
        let Some(f) = failures.get(environment) else {
            return Gate::Go;
        };
        if f.commit.as_deref() != commit {
            // A new commit starts afresh.
            failures.remove(environment);
            return Gate::Go;
        }
        if f.wait_for_commit {
            return Gate::WaitForCommit(format!(
                "commit {} failed ({}); waiting for a new commit",
                commit.map(short_sha).unwrap_or("(working directory)"),
                f.reason
            ));
        }
        let now = Instant::now();
        if now < f.retry_at {
            return Gate::BackOff {
                reason: format!("backing off after failure {}: {}", f.count, f.reason),
                remaining: f.retry_at - now,
            };
        }
        Gate::Go
    }

    /// Record a failure of class `class`; returns the delay before the next
    /// try (None: wait for a new commit).
    pub fn record(
        &self,
        environment: &str,
        commit: Option<&str>,
        reason: &str,
        class: ErrorClass,
    ) -> Option<Duration> {
        let mut failures = self.by_environment.lock().expect("failures");
        let count = failures
            .get(environment)
            .filter(|f| f.commit.as_deref() == commit)
            .map_or(1, |f| f.count + 1);
        let exponent = count.saturating_sub(1).min(16);
        let delay = self
            .backoff
            .base
            .saturating_mul(1 << exponent)
            .min(self.backoff.max);
        let wait_for_commit = class != ErrorClass::Retryable;
        failures.insert(
            environment.to_owned(),
            Failure {
                commit: commit.map(str::to_owned),
                count,
                wait_for_commit,
                retry_at: Instant::now() + delay,
                reason: reason.to_owned(),
            },
        );
        (!wait_for_commit).then_some(delay)
    }

    /// The environment reconciled fine: forget its failures.
    pub fn clear(&self, environment: &str) {
        self.by_environment
            .lock()
            .expect("failures")
            .remove(environment);
    }

    /// Consecutive failures of the current commit.
    pub fn count(&self, environment: &str) -> u32 {
        self.by_environment
            .lock()
            .expect("failures")
            .get(environment)
            .map_or(0, |f| f.count)
    }
}

/// Whether an out-of-sync environment is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncDecision {
    /// Apply the plan.
    Apply,
    /// Only report it, saying which setting holds it back.
    Report(&'static str),
}

/// Decide by the `sync` policy: `auto: false` never applies; drift (live
/// changed outside git) is reverted only with `selfHeal`.
pub fn sync_decision(policy: &SyncPolicy, drift: bool) -> SyncDecision {
    if !policy.auto {
        SyncDecision::Report("sync.auto is false")
    } else if drift && !policy.self_heal {
        SyncDecision::Report("sync.selfHeal is false")
    } else {
        SyncDecision::Apply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures() -> Failures {
        Failures::new(Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn retryable_failures_back_off_exponentially_up_to_the_cap() {
        let f = failures();
        let delays: Vec<_> = (0..5)
            .map(|_| f.record("staging", Some("c1"), "throttled", ErrorClass::Retryable))
            .collect();
        let secs = [10, 20, 40, 60, 60].map(|s| Some(Duration::from_secs(s)));
        assert_eq!(delays, secs);
        assert!(matches!(
            f.gate("staging", Some("c1")),
            Gate::BackOff { .. }
        ));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(f.gate("staging", Some("c1")), Gate::Go);
        assert_eq!(f.count("staging"), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_terminal_failure_waits_for_a_new_commit_which_starts_afresh() {
        let f = failures();
        assert_eq!(
            f.record(
                "staging",
                Some("c1"),
                "migrate: exit 1",
                ErrorClass::Terminal
            ),
            None
        );
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(matches!(
            f.gate("staging", Some("c1")),
            Gate::WaitForCommit(_)
        ));
        assert_eq!(f.gate("staging", Some("c2")), Gate::Go);
        assert_eq!(f.count("staging"), 0);
    }

    #[test]
    fn sync_policy_decides_what_is_applied() {
        let policy = |auto, self_heal| SyncPolicy {
            auto,
            self_heal,
            suspend: false,
            windows: Vec::new(),
        };
        assert_eq!(
            sync_decision(&policy(true, true), true),
            SyncDecision::Apply
        );
        assert_eq!(
            sync_decision(&policy(true, false), false),
            SyncDecision::Apply
        );
        assert_eq!(
            sync_decision(&policy(true, false), true),
            SyncDecision::Report("sync.selfHeal is false")
        );
        assert_eq!(
            sync_decision(&policy(false, true), false),
            SyncDecision::Report("sync.auto is false")
        );
    }
}
