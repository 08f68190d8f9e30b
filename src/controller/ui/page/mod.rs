//! The web UI's pages as HTML: pure functions of what the controller knows
//! ([`Board`]) and the time now. Every value is escaped; nothing here reads
//! ECS or git, and no secret reaches it (diffs are masked by the planner, log
//! lines by `apply::explain`).
//!
//! A page is a shell (head, header) around `<main>`; the script re-fetches
//! only `<main>` (`?part=main`), so the same HTML serves readers with and
//! without JavaScript. Here: the shell, the shared pieces (states, commits,
//! times, escaping); [`overview`] and [`environment`] are the two `<main>`s.

use crate::controller::replicas::Ownership;
use crate::controller::state::{EnvironmentStatus, RepoStatus, ResultKind};
use crate::controller::view::PendingView;
use crate::source::{CommitInfo, short_sha};
use std::collections::BTreeMap;

/// Everything a page shows.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// Ready (first fetch done)?
    pub ready: bool,
    /// The config repo's fetch state.
    pub repo: RepoStatus,
    /// Every environment, by name.
    pub environments: Vec<EnvironmentStatus>,
    /// Config commits known by SHA.
    pub commits: BTreeMap<String, CommitInfo>,
    /// The change counter (the pages' ETag).
    pub generation: u64,
    /// With a lock table: this replica's shards and the live replicas.
    pub replica: Option<Ownership>,
}

/// How an environment stands, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Not reconciled yet.
    Waiting,
    /// ECS matches git.
    InSync,
    /// ECS differs and nothing is applying it.
    OutOfSync,
    /// The last reconciles failed.
    Failing,
    /// `sync.suspend`.
    Suspended,
    /// A release is running now.
    Releasing,
    /// Another replica reconciles it (a lock table's shards).
    Elsewhere,
}

impl SyncState {
    /// How it is written (and its CSS class).
    pub fn label(self) -> &'static str {
        match self {
            SyncState::Waiting => "waiting",
            SyncState::InSync => "in sync",
            SyncState::OutOfSync => "out of sync",
            SyncState::Failing => "failing",
            SyncState::Suspended => "suspended",
            SyncState::Releasing => "releasing",
            SyncState::Elsewhere => "on another replica",
        }
    }

    fn class(self) -> &'static str {
        match self {
            SyncState::Waiting => "waiting",
            SyncState::InSync => "in-sync",
            SyncState::OutOfSync => "out-of-sync",
            SyncState::Failing => "failing",
            SyncState::Suspended => "suspended",
            SyncState::Releasing => "releasing",
            SyncState::Elsewhere => "elsewhere",
        }
    }
}

/// The state of `s`: pure.
pub fn sync_state(s: &EnvironmentStatus) -> SyncState {
    if s.replica.as_ref().is_some_and(|r| !r.here) {
        return SyncState::Elsewhere;
    }
    if s.release.as_ref().is_some_and(|r| r.finished.is_none()) {
        return SyncState::Releasing;
    }
    match s.last_result {
        None => SyncState::Waiting,
        Some(ResultKind::InSync | ResultKind::Applied) => SyncState::InSync,
        Some(ResultKind::Suspended) => SyncState::Suspended,
        Some(ResultKind::Failed | ResultKind::BackingOff) => SyncState::Failing,
        Some(ResultKind::OutOfSync) if s.consecutive_failures > 0 => SyncState::Failing,
        Some(ResultKind::OutOfSync) => SyncState::OutOfSync,
    }
}

/// No commit recorded on the services.
const NOT_RELEASED: &str = "<span class=\"muted\">not released by deckhand yet</span>";

/// The commit running in ECS: the last one applied, else the one every
/// service is tagged with.
fn applied_commit(s: &EnvironmentStatus) -> Option<String> {
    if let Some(c) = &s.commit_applied {
        return Some(c.clone());
    }
    let services = &s.live.as_ref()?.services;
    let first = services.first()?.commit.clone()?;
    services
        .iter()
        .all(|v| v.commit.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Why the environment is not in sync, in a line: a plan held back by a
/// setting is summed up (the plan itself is listed on its page).
fn why(s: &EnvironmentStatus, state: SyncState) -> Option<String> {
    if state == SyncState::Elsewhere {
        let holder = s.replica.as_ref().and_then(|r| r.holder.as_deref());
        return Some(match holder {
            Some(holder) => format!("reconciled by replica {holder}; its page shows it"),
            None => "its shard is moving between replicas".into(),
        });
    }
    match (state, &s.pending) {
        (SyncState::InSync | SyncState::Waiting, _) => None,
        (
            SyncState::OutOfSync,
            Some(
                p @ PendingView {
                    held_by: Some(setting),
                    ..
                },
            ),
        ) => Some(format!(
            "{} step{} {} ({setting})",
            p.steps.len(),
            if p.steps.len() == 1 { "" } else { "s" },
            if p.drift {
                "would revert drift"
            } else {
                "wait to be applied"
            }
        )),
        _ => s.reason.clone(),
    }
}

/// HTML-escape `text`.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "3 minutes ago" from seconds.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..60 => return "just now".into(),
        60..3600 => (s / 60, "minute"),
        3600..86400 => (s / 3600, "hour"),
        _ => (s / 86400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

fn unix(rfc3339: &str) -> Option<i64> {
    humantime::parse_rfc3339(rfc3339)
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

fn iso(unix: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// A `<time>` the script keeps current.
fn time(at: i64, now: i64) -> String {
    format!(
        "<time datetime=\"{}\" data-age>{}</time>",
        iso(at),
        age(now - at)
    )
}

fn time_of(rfc3339: &str, now: i64) -> String {
    match unix(rfc3339) {
        Some(t) => time(t, now),
        None => esc(rfc3339),
    }
}

/// The tag (or digest) of an image reference.
fn tag(image: &str) -> &str {
    let name = image.rsplit('/').next().unwrap_or(image);
    match name.split_once('@') {
        Some((_, digest)) => digest,
        None => name.split_once(':').map_or("latest", |(_, t)| t),
    }
}

fn badge(state: SyncState) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        state.class(),
        state.label()
    )
}

/// A commit as `<code>sha</code> summary — author, age`.
fn commit(board: &Board, sha: &str, now: i64) -> String {
    let short = esc(short_sha(sha));
    match board.commits.get(sha) {
        Some(info) => format!(
            "<code title=\"{}\">{short}</code> <span class=\"summary\">{}</span> <span class=\"muted\">{}, {}</span>",
            esc(sha),
            esc(&info.summary),
            esc(&info.author),
            time(info.time, now)
        ),
        None => format!("<code title=\"{}\">{short}</code>", esc(sha)),
    }
}

/// The live image(s) of the services: one, or "mixed".
fn live_image(s: &EnvironmentStatus) -> Option<String> {
    let services = &s.live.as_ref()?.services;
    let mut images: Vec<&str> = services.iter().filter_map(|v| v.image.as_deref()).collect();
    images.dedup();
    match images.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        _ => Some("mixed".into()),
    }
}

/// `live → wanted` when they differ, else `live`.
fn towards(live: Option<&str>, wanted: Option<&str>) -> String {
    let shown = |v: Option<&str>| v.map(esc).unwrap_or_else(|| "none".into());
    match (live, wanted) {
        (l, Some(w)) if l != Some(w) => format!(
            "{} <span aria-hidden=\"true\">→</span><span class=\"sr\"> to </span> <strong>{}</strong>",
            shown(l),
            esc(w)
        ),
        (l, _) => shown(l),
    }
}

fn last_release(s: &EnvironmentStatus, now: i64) -> String {
    if let Some(r) = s
        .recent_releases
        .as_ref()
        .and_then(|r| r.first())
        .map(|r| &r.release)
    {
        return format!(
            "<span class=\"result {}\">{}</span> {}",
            if r.result == "succeeded" { "ok" } else { "bad" },
            esc(&r.result),
            time_of(&r.finished, now)
        );
    }
    match &s.release {
        Some(r) => match (&r.result, &r.finished) {
            (Some(result), Some(finished)) => format!(
                "<span class=\"result {}\">{}</span> {}",
                if result == "succeeded" { "ok" } else { "bad" },
                esc(result),
                time_of(finished, now)
            ),
            _ => "running".into(),
        },
        None => "<span class=\"muted\">none recorded</span>".into(),
    }
}

/// The page around `main`.
pub fn shell(title: &str, board: &Board, main: &str, asset_version: &str) -> String {
    let repo = match (&board.repo.commit, &board.repo.error) {
        (_, Some(error)) => format!(
            "<span class=\"badge failing\">fetch failing</span> <span class=\"why\">{}</span>",
            esc(error)
        ),
        (Some(c), None) => format!("config at <code>{}</code>", esc(short_sha(c))),
        (None, None) if board.ready => "config from a directory".into(),
        (None, None) => "waiting for the first fetch".into(),
    };
    let replica = board.replica.as_ref().map_or_else(String::new, |o| {
        format!(
            " · replica <code>{}</code> of {}, holding {} of {} shards",
            esc(&o.me),
            o.replicas.len(),
            o.held.len(),
            crate::controller::replicas::SHARDS
        )
    });
    format!(
        "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<meta name=\"color-scheme\" content=\"light dark\">
<title>{title} · deckhand</title>
<link rel=\"icon\" href=\"/assets/favicon.svg?v={v}\" type=\"image/svg+xml\">
<link rel=\"stylesheet\" href=\"/assets/ui.css?v={v}\">
<script src=\"/assets/ui.js?v={v}\" defer></script>
</head>
<body>
<a class=\"skip\" href=\"#main\">Skip to content</a>
<header class=\"top\">
<a class=\"brand\" href=\"/\">deckhand</a>
<p class=\"repo\">{repo}{replica}</p>
<p id=\"live\" class=\"live muted\" role=\"status\"></p>
</header>
<main id=\"main\" tabindex=\"-1\" data-generation=\"{generation}\">
{main}</main>
</body>
</html>
",
        title = esc(title),
        v = esc(asset_version),
        generation = board.generation,
    )
}

/// `<main>` of a 404.
pub fn not_found(name: &str) -> String {
    format!(
        "<h1>No environment {}</h1>\n<p>The controller does not reconcile an environment of that name. <a href=\"/\">All environments</a></p>\n",
        esc(name)
    )
}

mod environment;
mod overview;

pub use environment::environment;
pub use overview::overview;

#[cfg(test)]
mod tests;
