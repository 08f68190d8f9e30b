//! Fetching the config repo: its head as the controller knows it, and the
//! environments it holds.

use super::state::{ControllerState, RepoStatus};
use crate::source::{self, RepoLocation, Snapshot, short_sha};

/// The config repo's head as the controller last fetched it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RepoHead {
    /// Nothing fetched yet.
    #[default]
    NotFetched,
    /// A plain directory: no commit, read afresh every time.
    Directory,
    /// A git commit.
    Commit(String),
}

impl RepoHead {
    /// The commit, for a git repo that was fetched.
    pub fn commit(&self) -> Option<&str> {
        match self {
            RepoHead::Commit(commit) => Some(commit),
            RepoHead::NotFetched | RepoHead::Directory => None,
        }
    }
}

/// Fetch the config repo's head and record it in `state`; None when the
/// fetch failed (the last head stands, and the failure is shown).
pub async fn fetch(location: &RepoLocation, state: &ControllerState) -> Option<RepoHead> {
    let loc = location.clone();
    let result = tokio::task::spawn_blocking(move || source::resolve_head(&loc))
        .await
        .expect("fetch task panicked");
    match result {
        Ok(head) => {
            state.set_repo(RepoStatus {
                commit: head.commit.clone(),
                error: None,
            });
            state.set_ready();
            Some(match head.commit {
                Some(commit) => RepoHead::Commit(commit),
                None => RepoHead::Directory,
            })
        }
        Err(e) => {
            let last = state.repo().commit;
            tracing::warn!(
                "fetching the config repo failed; still reconciling {}: {e}",
                last.as_deref()
                    .map(short_sha)
                    .unwrap_or("nothing (no commit fetched yet)")
            );
            state.set_repo(RepoStatus {
                commit: last,
                error: Some(e.to_string()),
            });
            None
        }
    }
}

/// The environments to reconcile at `commit`: the ones named, else all of
/// the repo's (none when they cannot be listed; said in the log).
pub async fn environment_names(
    location: &RepoLocation,
    commit: Option<String>,
    only: &[String],
) -> Vec<String> {
    if !only.is_empty() {
        return only.to_vec();
    }
    let loc = location.clone();
    tokio::task::spawn_blocking(move || {
        Snapshot::open_at(&loc, commit.as_deref()).and_then(|s| s.environment_names())
    })
    .await
    .expect("listing environments panicked")
    .unwrap_or_else(|e| {
        tracing::warn!("listing environments failed: {e}");
        Vec::new()
    })
}
