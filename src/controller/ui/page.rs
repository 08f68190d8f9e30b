//! The web UI's pages as HTML: pure functions of what the controller knows
//! ([`Board`]) and the time now. Every value is escaped; nothing here reads
//! ECS or git, and no secret reaches it (diffs are masked by the planner, log
//! lines by `apply::explain`).
//!
//! A page is a shell (head, header) around `<main>`; the script re-fetches
//! only `<main>` (`?part=main`), so the same HTML serves readers with and
//! without JavaScript.

use crate::controller::state::{EnvironmentStatus, RepoStatus, ResultKind};
use crate::controller::view::ServiceView;
use crate::source::{CommitInfo, short_sha};
use std::collections::BTreeMap;
use std::fmt::Write as _;

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
        }
    }
}

/// The state of `s`: pure.
pub fn sync_state(s: &EnvironmentStatus) -> SyncState {
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
    match (state, &s.pending, &s.held_by) {
        (SyncState::InSync | SyncState::Waiting, _, _) => None,
        (SyncState::OutOfSync, Some(p), Some(setting)) => Some(format!(
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
    if let Some(r) = s.recent_releases.as_ref().and_then(|r| r.first()) {
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
<p class=\"repo\">{repo}</p>
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

/// `<main>` of `/`: one row per environment.
pub fn overview(board: &Board, now: i64) -> String {
    let mut out = String::from("<h1>Environments</h1>\n");
    if board.environments.is_empty() {
        out += "<p>No environment reconciled yet.</p>\n";
        return out;
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &board.environments {
        *counts.entry(sync_state(s).label()).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = write!(
        out,
        "<div class=\"table-wrap\">\n<table class=\"cards\">\n<caption>{} environment{}: {}</caption>\n<thead><tr><th scope=\"col\">Environment</th><th scope=\"col\">State</th><th scope=\"col\">Applied commit</th><th scope=\"col\">Image</th><th scope=\"col\">Schema</th><th scope=\"col\">Last release</th><th scope=\"col\">Failures in a row</th></tr></thead>\n<tbody>\n",
        board.environments.len(),
        if board.environments.len() == 1 {
            ""
        } else {
            "s"
        },
        summary.join(", ")
    );
    for s in &board.environments {
        let state = sync_state(s);
        let why = why(s, state)
            .map(|r| format!("<p class=\"why\">{}</p>", esc(&r)))
            .unwrap_or_default();
        let wanted = s.wanted.as_ref();
        let _ = writeln!(
            out,
            "<tr id=\"env-{id}\" class=\"{class}\"><th scope=\"row\" data-label=\"Environment\"><a href=\"/environments/{href}\">{name}</a></th><td data-label=\"State\">{badge}{why}</td><td data-label=\"Applied commit\">{commit}</td><td data-label=\"Image\">{image}</td><td data-label=\"Schema\">{schema}</td><td data-label=\"Last release\">{release}</td><td data-label=\"Failures in a row\">{failures}</td></tr>",
            id = esc(&s.environment),
            class = state.class(),
            href = esc(&s.environment),
            name = esc(&s.environment),
            badge = badge(state),
            commit = applied_commit(s)
                .map(|c| commit(board, &c, now))
                .unwrap_or_else(|| NOT_RELEASED.into()),
            image = towards(
                live_image(s).as_deref().map(tag),
                wanted.map(|w| tag(&w.image))
            ),
            schema = towards(
                s.live.as_ref().and_then(|l| l.revision.as_deref()),
                wanted.and_then(|w| w.revision.as_deref())
            ),
            release = last_release(s, now),
            failures = s.consecutive_failures,
        );
    }
    out += "</tbody>\n</table>\n</div>\n";
    out
}

fn rollout(v: &ServiceView) -> String {
    let class = match v.rollout.as_str() {
        "COMPLETED" | "STEADY" => "ok",
        "FAILED" => "bad",
        _ => "busy",
    };
    let reason = v
        .rollout_reason
        .as_deref()
        .map(|r| format!("<p class=\"why\">{}</p>", esc(r)))
        .unwrap_or_default();
    format!(
        "<span class=\"result {class}\">{}</span>{reason}",
        esc(&v.rollout.to_lowercase().replace('_', " "))
    )
}

fn diff(unified: &str) -> String {
    let mut out = String::from("<pre class=\"diff\"><code>");
    for line in unified.lines() {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            "file"
        } else if line.starts_with('+') {
            "add"
        } else if line.starts_with('-') {
            "del"
        } else if line.starts_with('@') {
            "hunk"
        } else {
            "ctx"
        };
        // Block spans make the lines (a newline as well would double them).
        let _ = write!(out, "<span class=\"{class}\">{}</span>", esc(line));
    }
    out += "</code></pre>";
    out
}

/// `<main>` of `/environments/NAME`; None for an unknown environment.
pub fn environment(board: &Board, name: &str, now: i64) -> Option<String> {
    let s = board.environments.iter().find(|s| s.environment == name)?;
    let state = sync_state(s);
    let mut out = format!(
        "<nav aria-label=\"Breadcrumb\"><a href=\"/\">Environments</a> / <span aria-current=\"page\">{}</span></nav>\n<h1>{} {}</h1>\n",
        esc(name),
        esc(name),
        badge(state)
    );
    if let Some(reason) = why(s, state) {
        let _ = writeln!(out, "<p class=\"why\">{}</p>", esc(&reason));
    }
    // Facts.
    out += "<dl class=\"facts\">\n";
    let mut fact = |term: &str, value: String| {
        let _ = writeln!(out, "<div><dt>{term}</dt><dd>{value}</dd></div>");
    };
    if let Some(w) = &s.wanted {
        fact(
            "Cluster",
            format!(
                "<code>{}</code>{}",
                esc(&w.cluster),
                w.region
                    .as_deref()
                    .map(|r| format!(" in {}", esc(r)))
                    .unwrap_or_default()
            ),
        );
    }
    fact(
        "Applied commit",
        applied_commit(s)
            .map(|c| commit(board, &c, now))
            .unwrap_or_else(|| NOT_RELEASED.into()),
    );
    if let Some(seen) = &s.commit_seen
        && applied_commit(s).as_deref() != Some(seen.as_str())
    {
        fact("Latest commit", commit(board, seen, now));
    }
    fact(
        "Image",
        towards(
            live_image(s).as_deref(),
            s.wanted.as_ref().map(|w| w.image.as_str()),
        ),
    );
    fact(
        "Schema revision",
        towards(
            s.live.as_ref().and_then(|l| l.revision.as_deref()),
            s.wanted.as_ref().and_then(|w| w.revision.as_deref()),
        ),
    );
    fact(
        "Last reconcile",
        s.last_reconcile_at
            .as_deref()
            .map(|t| time_of(t, now))
            .unwrap_or_else(|| "not yet".into()),
    );
    fact("Failures in a row", s.consecutive_failures.to_string());
    out += "</dl>\n";

    // A release as it happens.
    if let Some(r) = &s.release {
        let running = r.finished.is_none();
        let _ = write!(
            out,
            "<section aria-labelledby=\"release-h\">\n<h2 id=\"release-h\">{}</h2>\n<p>Commit {} · started {}{}</p>\n<details id=\"release-events{}\"><summary>{} event{}</summary>\n<ol class=\"events\">\n",
            if running {
                "Release in progress"
            } else {
                "Last release by this controller"
            },
            r.commit
                .as_deref()
                .map(|c| format!("<code>{}</code>", esc(short_sha(c))))
                .unwrap_or_else(|| "(directory)".into()),
            time_of(&r.started, now),
            r.result
                .as_deref()
                .map(|result| format!(
                    " · <span class=\"result {}\">{}</span>",
                    if result == "succeeded" { "ok" } else { "bad" },
                    esc(result)
                ))
                .unwrap_or_default(),
            if running { "-running\" open=\"" } else { "" },
            r.events.len(),
            if r.events.len() == 1 { "" } else { "s" },
        );
        for e in &r.events {
            let _ = writeln!(
                out,
                "<li><span class=\"elapsed\">{}s</span> <span class=\"step\">{}</span> {}</li>",
                e.elapsed_seconds,
                esc(&e.step),
                esc(&e.message)
            );
        }
        out += "</ol>\n</details>\n</section>\n";
    }

    // What would change.
    if let Some(p) = &s.pending {
        let _ = write!(
            out,
            "<section aria-labelledby=\"plan-h\">\n<h2 id=\"plan-h\">{}</h2>\n{}<ol class=\"steps\">\n",
            if p.drift {
                "Drift: ECS was changed outside git"
            } else {
                "Pending plan"
            },
            if p.drift {
                "<p>The commit was applied, and ECS no longer matches it. Applying the commit again would:</p>\n"
            } else {
                "<p>Applying the latest commit would:</p>\n"
            }
        );
        for step in &p.steps {
            let _ = writeln!(out, "<li>{}</li>", esc(step));
        }
        out += "</ol>\n";
        for d in &p.diffs {
            let _ = write!(
                out,
                "<details open id=\"diff-{id}\"><summary>Task definition of {svc} <span class=\"muted\">(− live, + git)</span></summary>\n{diff}\n</details>\n",
                id = esc(&d.service),
                svc = esc(&d.service),
                diff = diff(&d.unified)
            );
        }
        out += "</section>\n";
    }

    // What runs.
    out += "<section aria-labelledby=\"services-h\">\n<h2 id=\"services-h\">Services</h2>\n";
    match &s.live {
        None => out += "<p>Not read from ECS yet.</p>\n",
        Some(live) => {
            out += "<div class=\"table-wrap\">\n<table class=\"cards\">\n<caption>What each service runs in ECS</caption>\n<thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Task definition</th><th scope=\"col\">Running / desired</th><th scope=\"col\">Pending</th><th scope=\"col\">Rollout</th><th scope=\"col\">Image</th><th scope=\"col\">Commit</th></tr></thead>\n<tbody>\n";
            for v in &live.services {
                let quiesced = v
                    .quiesced_from
                    .map(|n| format!(" <span class=\"muted\">(quiesced from {n})</span>"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "<tr id=\"svc-{id}\"><th scope=\"row\" data-label=\"Service\">{name}</th><td data-label=\"Task definition\"><code>{td}</code></td><td data-label=\"Running / desired\" class=\"counts\">{running} / {desired}{quiesced}</td><td data-label=\"Pending\">{pending}</td><td data-label=\"Rollout\">{rollout}</td><td data-label=\"Image\"><code>{image}</code></td><td data-label=\"Commit\">{commit}</td></tr>",
                    id = esc(&v.name),
                    name = esc(&v.name),
                    td = esc(&v.task_definition),
                    running = v.running,
                    desired = v.desired,
                    pending = v.pending,
                    rollout = rollout(v),
                    image = esc(v.image.as_deref().map(tag).unwrap_or("?")),
                    commit = v
                        .commit
                        .as_deref()
                        .map(|c| format!("<code title=\"{}\">{}</code>", esc(c), esc(short_sha(c))))
                        .unwrap_or_else(|| "<span class=\"muted\">none</span>".into()),
                );
            }
            for name in &live.missing {
                let _ = writeln!(
                    out,
                    "<tr><th scope=\"row\" data-label=\"Service\">{}</th><td colspan=\"6\">does not exist in the cluster yet</td></tr>",
                    esc(name)
                );
            }
            out += "</tbody>\n</table>\n</div>\n";
        }
    }
    out += "</section>\n";

    // What happened.
    out += "<section aria-labelledby=\"history-h\">\n<h2 id=\"history-h\">Release history</h2>\n";
    match s.recent_releases.as_deref() {
        None | Some([]) => out += "<p>No release recorded.</p>\n",
        Some(releases) => {
            out += "<div class=\"table-wrap\">\n<table class=\"cards\">\n<caption>Newest first, from the history kept in ECS</caption>\n<thead><tr><th scope=\"col\">Finished</th><th scope=\"col\">Result</th><th scope=\"col\">Commit</th><th scope=\"col\">Image</th><th scope=\"col\">Schema</th><th scope=\"col\">By</th></tr></thead>\n<tbody>\n";
            for r in releases {
                let revision = match (&r.revision, r.migrated) {
                    (Some(rev), true) => format!("{} (migrated)", esc(rev)),
                    (Some(rev), false) => esc(rev),
                    (None, _) => "none".into(),
                };
                let _ = writeln!(
                    out,
                    "<tr><td data-label=\"Finished\">{finished}</td><td data-label=\"Result\"><span class=\"result {class}\">{result}</span>{reason}</td><td data-label=\"Commit\">{commit}</td><td data-label=\"Image\"><code>{image}</code></td><td data-label=\"Schema\">{revision}</td><td data-label=\"By\">{by}</td></tr>",
                    finished = time_of(&r.finished, now),
                    class = if r.result == "succeeded" { "ok" } else { "bad" },
                    result = esc(&r.result),
                    reason = r
                        .reason
                        .as_deref()
                        .map(|w| format!("<p class=\"why\">{}</p>", esc(w)))
                        .unwrap_or_default(),
                    commit = r
                        .commit
                        .as_deref()
                        .map(|c| commit(board, c, now))
                        .unwrap_or_else(|| "none".into()),
                    image = esc(tag(&r.image)),
                    by = esc(&r.by),
                );
            }
            out += "</tbody>\n</table>\n</div>\n";
        }
    }
    out += "</section>\n";

    if let Some(m) = &s.last_migration {
        let _ = write!(
            out,
            "<section aria-labelledby=\"migration-h\">\n<h2 id=\"migration-h\">Last migration</h2>\n<p>Revision <code>{}</code> · <span class=\"result {}\">{}</span> · {} · task <code>{}</code></p>\n",
            esc(&m.revision),
            if m.succeeded { "ok" } else { "bad" },
            if m.succeeded { "exited 0" } else { "failed" },
            time_of(&m.finished, now),
            esc(m.task.rsplit('/').next().unwrap_or(&m.task)),
        );
        if m.lines.is_empty() {
            out += "<p class=\"muted\">No log lines (no awslogs configuration, or the log is empty).</p>\n";
        } else {
            out += "<pre class=\"log\"><code>";
            for line in &m.lines {
                let _ = writeln!(out, "{}", esc(line));
            }
            out += "</code></pre>\n";
        }
        out += "</section>\n";
    }
    Some(out)
}

/// `<main>` of a 404.
pub fn not_found(name: &str) -> String {
    format!(
        "<h1>No environment {}</h1>\n<p>The controller does not reconcile an environment of that name. <a href=\"/\">All environments</a></p>\n",
        esc(name)
    )
}

#[cfg(test)]
mod tests;
