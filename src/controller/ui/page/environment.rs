//! `<main>` of `/environments/NAME`: the facts, a release as it happens, the
//! pending plan with its diffs, the services as they run, the release history
//! and the last migration's log.

use super::{
    Board, NOT_RELEASED, applied_commit, badge, commit, esc, live_image, sync_state, tag, time_of,
    towards, why,
};
use crate::controller::state::EnvironmentStatus;
use crate::controller::view::ServiceView;
use crate::plan::DiffKind;
use crate::source::short_sha;
use std::fmt::Write as _;

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
    facts(&mut out, board, s, now);
    release(&mut out, s, now);
    pending(&mut out, s);
    services(&mut out, s);
    history(&mut out, board, s, now);
    migration(&mut out, s, now);
    Some(out)
}

/// The facts: cluster, commits, image, schema, last reconcile, failures.
fn facts(out: &mut String, board: &Board, s: &EnvironmentStatus, now: i64) {
    *out += "<dl class=\"facts\">\n";
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
        if !w.ignored.is_empty() {
            let fields: Vec<String> = w
                .ignored
                .iter()
                .map(|i| format!("{} <code>{}</code>", esc(&i.service), esc(&i.pointer)))
                .collect();
            fact(
                "Ignored",
                format!("kept at their live value: {}", fields.join(", ")),
            );
        }
        for warning in &w.warnings {
            fact("Warning", esc(warning));
        }
        if let Some(by) = &w.signed_by {
            fact("Signed by", esc(by));
        }
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
    guards(&mut fact, s, now);
    *out += "</dl>\n";
}

/// The facts of what stops releases, and of promotion: the hold, the
/// promotion candidate, an open deny window, the freeze.
fn guards(fact: &mut impl FnMut(&str, String), s: &EnvironmentStatus, now: i64) {
    if let Some(hold) = &s.hold {
        fact(
            "Hold",
            format!(
                "<span class=\"result bad\">held</span> since {} by {}: commits with <code>{}</code> are not applied until <code>deckhand release-hold {}</code> or a commit with another image",
                time_of(&hold.since, now),
                esc(&hold.by),
                esc(tag(&hold.image)),
                esc(&s.environment)
            ),
        );
    }
    if let Some(p) = &s.promotion {
        fact(
            "Promotion",
            format!(
                "from <strong>{}</strong>: {}",
                esc(&p.from),
                esc(&p.candidate)
            ),
        );
    }
    if let Some(w) = &s.window {
        fact(
            "Deploy window",
            format!(
                "<span class=\"result bad\">paused</span> {} is open until {}: releases wait",
                esc(&w.window),
                esc(&w.until)
            ),
        );
    }
    if let Some(freeze) = &s.freeze {
        fact(
            "Freeze",
            format!(
                "<span class=\"result bad\">frozen</span> until {} by {}: {}",
                esc(&freeze.until),
                esc(&freeze.by),
                esc(&freeze.reason)
            ),
        );
    }
}

/// A release as it happens (or the last one this controller made).
fn release(out: &mut String, s: &EnvironmentStatus, now: i64) {
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
        *out += "</ol>\n</details>\n</section>\n";
    }
}

/// What would change: the pending plan.
fn pending(out: &mut String, s: &EnvironmentStatus) {
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
        *out += "</ol>\n";
        for d in &p.diffs {
            let _ = write!(
                out,
                "<details open id=\"diff-{id}\"><summary>{kind} of {svc} <span class=\"muted\">(− live, + git)</span></summary>\n{diff}\n</details>\n",
                id = match d.kind {
                    DiffKind::TaskDefinition => esc(&d.service),
                    DiffKind::ServiceDefinition => format!("service-{}", esc(&d.service)),
                    DiffKind::Autoscaling => format!("autoscaling-{}", esc(&d.service)),
                },
                kind = d.kind.title(),
                svc = esc(&d.service),
                diff = diff(&d.unified)
            );
        }
        *out += "</section>\n";
    }
}

/// What runs: the services.
fn services(out: &mut String, s: &EnvironmentStatus) {
    *out += "<section aria-labelledby=\"services-h\">\n<h2 id=\"services-h\">Services</h2>\n";
    match &s.live {
        None => *out += "<p>Not read from ECS yet.</p>\n",
        Some(live) => {
            *out += "<div class=\"table-wrap\">\n<table class=\"cards\">\n<caption>What each service runs in ECS</caption>\n<thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Task definition</th><th scope=\"col\">Running / desired</th><th scope=\"col\">Pending</th><th scope=\"col\">Rollout</th><th scope=\"col\">Image</th><th scope=\"col\">Commit</th></tr></thead>\n<tbody>\n";
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
            *out += "</tbody>\n</table>\n</div>\n";
        }
    }
    *out += "</section>\n";
}

/// What happened: the release history.
fn history(out: &mut String, board: &Board, s: &EnvironmentStatus, now: i64) {
    *out += "<section aria-labelledby=\"history-h\">\n<h2 id=\"history-h\">Release history</h2>\n";
    match s.recent_releases.as_deref() {
        None | Some([]) => *out += "<p>No release recorded.</p>\n",
        Some(releases) => {
            *out += "<div class=\"table-wrap\">\n<table class=\"cards\">\n<caption>Newest first, from the history kept in ECS</caption>\n<thead><tr><th scope=\"col\">Release</th><th scope=\"col\">Finished</th><th scope=\"col\">Result</th><th scope=\"col\">Commit</th><th scope=\"col\">Image</th><th scope=\"col\">Schema</th><th scope=\"col\">By</th></tr></thead>\n<tbody>\n";
            for crate::history::Recorded { id, release: r } in releases {
                let revision = match (&r.revision, r.migrated) {
                    (Some(rev), true) => format!("{} (migrated)", esc(rev)),
                    (Some(rev), false) => esc(rev),
                    (None, _) => "none".into(),
                };
                let _ = writeln!(
                    out,
                    "<tr><td data-label=\"Release\">{id}{kind}</td><td data-label=\"Finished\">{finished}</td><td data-label=\"Result\"><span class=\"result {class}\">{result}</span>{reason}</td><td data-label=\"Commit\">{commit}</td><td data-label=\"Image\"><code>{image}</code></td><td data-label=\"Schema\">{revision}</td><td data-label=\"By\">{by}</td></tr>",
                    id = esc(id),
                    kind = match r.kind {
                        crate::history::ReleaseKind::Release => String::new(),
                        kind => format!(" <span class=\"muted\">{}</span>", kind.as_str()),
                    },
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
            *out += "</tbody>\n</table>\n</div>\n";
        }
    }
    *out += "</section>\n";
}

/// The last migration's log.
fn migration(out: &mut String, s: &EnvironmentStatus, now: i64) {
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
            *out += "<p class=\"muted\">No log lines (no awslogs configuration, or the log is empty).</p>\n";
        } else {
            *out += "<pre class=\"log\"><code>";
            for line in &m.lines {
                let _ = writeln!(out, "{}", esc(line));
            }
            *out += "</code></pre>\n";
        }
        *out += "</section>\n";
    }
}
