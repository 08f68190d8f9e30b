//! `<main>` of `/`: every environment in one table (a card per row on a phone).

use super::{
    Board, NOT_RELEASED, applied_commit, badge, commit, esc, last_release, live_image, sync_state,
    tag, towards, why,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;

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
