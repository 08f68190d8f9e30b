//! How a plan is shown: text for the terminal (diffs colored on a TTY only),
//! JSON in the contract's shape for scripts, Markdown to paste as a PR comment.
//!
//! Each format is a small type implementing `Display`; nothing here decides
//! anything, it only formats a [`Plan`].

use crate::plan::{CapacityChange, CountChange, Finish, Plan, ServiceChange, Step};
use crate::plan::{
    CreateService, FinishRelease, Migrate, Quiesce, RecordCommit, RegisterTaskDefinition,
    ResumeScaling, UpdateAutoscaling, UpdateService,
};
use crate::source::short_sha;
use std::fmt;

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// The contract's JSON object.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Render `plan` in `format`.
pub fn render(plan: &Plan, format: Format, color: bool) -> String {
    match format {
        Format::Text => TextReport { plan, color }.to_string(),
        Format::Json => crate::json::pretty(plan),
        Format::Markdown => MarkdownReport { plan }.to_string(),
    }
}

/// The terminal report.
pub struct TextReport<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// ANSI colors for diffs.
    pub color: bool,
}

fn commit_label(plan: &Plan) -> String {
    let signed = plan
        .signed_by
        .as_deref()
        .map(|s| format!(", signed by {s}"))
        .unwrap_or_default();
    plan.commit
        .as_deref()
        .map(|c| format!("commit {}{signed}", short_sha(c)))
        .unwrap_or_else(|| "working directory (no commit)".into())
}

fn count(c: &CountChange) -> String {
    format!("{} → {}", c.from, c.to)
}

/// One line per step, in words.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::RegisterTaskDefinition(RegisterTaskDefinition {
                service, family, ..
            }) => write!(f, "register task definition {family} for {service}"),
            Step::CreateService(CreateService {
                service, request, ..
            }) => write!(
                f,
                "create service {service} with desiredCount {}",
                request.desired_count
            ),
            Step::Quiesce(Quiesce {
                service,
                desired_count,
                suspend_scaling,
                ..
            }) => write!(
                f,
                "quiesce {service}: desiredCount {}{}",
                count(desired_count),
                if suspend_scaling.is_some() {
                    " (its autoscaling suspended until the migration is done)"
                } else {
                    ""
                }
            ),
            Step::Migrate(Migrate {
                revision,
                register_task_definition,
                ..
            }) => write!(
                f,
                "migrate schema {} → {}{}",
                revision.from.as_deref().unwrap_or("(none recorded)"),
                revision.to,
                if *register_task_definition {
                    " (registers a new migration task definition)"
                } else {
                    ""
                }
            ),
            Step::UpdateService(update) => update.fmt(f),
            Step::UpdateAutoscaling(scaling) => scaling.fmt(f),
            Step::FinishRelease(finish) => finish.fmt(f),
            Step::ResumeScaling(ResumeScaling { service, .. }) => {
                write!(f, "resume the autoscaling of service {service}")
            }
            Step::SmokeTest(crate::plan::SmokeTest {
                service, command, ..
            }) => write!(
                f,
                "smoke test on {service}'s new task definition: {} (must exit 0)",
                command.join(" ")
            ),
            Step::RecordCommit(RecordCommit {
                service, commit, ..
            }) => write!(
                f,
                "record commit {} on service {service}",
                short_sha(&commit.to)
            ),
        }
    }
}

impl fmt::Display for UpdateService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.task_definition {
            parts.push("new task definition".to_owned());
        }
        if let Some(c) = &self.desired_count {
            parts.push(format!("desiredCount {}", count(c)));
        }
        if self.service_definition {
            parts.push("service definition".to_owned());
        }
        write!(f, "update service {}: {}", self.service, parts.join(", "))?;
        match &self.estimate {
            Some(estimate) => write!(f, " ({estimate})"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for UpdateAutoscaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = |c: &CapacityChange| match c.from {
            Some(from) => format!("{from} → {}", c.to),
            None => c.to.to_string(),
        };
        let mut parts = Vec::new();
        if let Some(min) = &self.min_capacity {
            parts.push(format!("minCapacity {}", range(min)));
        }
        if let Some(max) = &self.max_capacity {
            parts.push(format!("maxCapacity {}", range(max)));
        }
        if !self.put.is_empty() {
            let names: Vec<&str> = self.put.iter().map(|p| p.name.as_str()).collect();
            parts.push(format!("put policy {}", names.join(", ")));
        }
        if !self.delete.is_empty() {
            parts.push(format!("delete policy {}", self.delete.join(", ")));
        }
        write!(f, "autoscaling of {}: {}", self.service, parts.join("; "))
    }
}

impl fmt::Display for FinishRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "finish the release of {} started {} by {}, which did not end: ",
            self.commit.as_deref().unwrap_or("a directory"),
            self.release.started,
            self.release.by
        )?;
        match self.finish {
            Finish::Record => write!(
                f,
                "it is recorded ({}); remove its lease and record its result",
                self.recorded.as_ref().map_or("?", |r| r.result.as_str())
            ),
            Finish::Continue => f.write_str("carry it to its end and record it in the history"),
            Finish::Supersede => {
                f.write_str("record it as interrupted (another commit supersedes it)")
            }
        }
    }
}

impl fmt::Display for TextReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.plan;
        writeln!(
            f,
            "Plan for {} (cluster {}, {})",
            plan.environment,
            plan.cluster,
            commit_label(plan)
        )?;
        writeln!(f)?;
        let width = plan
            .services
            .iter()
            .map(|s| s.service.len())
            .max()
            .unwrap_or(0)
            .max(7);
        for step in &plan.steps {
            if let Step::Migrate(Migrate { .. }) = step {
                writeln!(f, "* {:<width$}  {}", "schema", step)?;
            }
        }
        for s in &plan.services {
            let (mark, what) = match s.change {
                ServiceChange::Unchanged => ("=", "no change".to_owned()),
                ServiceChange::Update => ("~", format!("update: {}", s.reasons.join(", "))),
                ServiceChange::Create => ("+", s.reasons.join(", ")),
                ServiceChange::Record => ("~", s.reasons.join(", ")),
            };
            let quiesce = s
                .quiesce
                .map(|q| format!("; quiesced {} during the migration", count(&q)))
                .unwrap_or_default();
            writeln!(
                f,
                "{mark} {:<width$}  {what}{quiesce}{}",
                s.service,
                ignored_note(plan.ignored_in(&s.service))
            )?;
        }
        writeln!(f)?;
        ignored_section(f, plan)?;
        if !plan.changed {
            return writeln!(f, "No changes: ECS matches the spec.");
        }
        writeln!(f, "Steps, in order:")?;
        for (i, step) in plan.steps.iter().enumerate() {
            writeln!(f, "  {}. {}", i + 1, step)?;
        }
        for diff in &plan.diffs {
            writeln!(f)?;
            writeln!(f, "{} of {}:", diff.kind.title(), diff.service)?;
            for line in diff.unified.lines() {
                match self.color.then(|| diff_color(line)).flatten() {
                    Some(code) => writeln!(f, "\x1b[{code}m{line}\x1b[0m")?,
                    None => writeln!(f, "{line}")?,
                }
            }
        }
        Ok(())
    }
}

/// The ANSI color of a unified-diff line: added, removed, hunk header.
fn diff_color(line: &str) -> Option<&'static str> {
    match line.chars().next() {
        Some('+') if !line.starts_with("+++") => Some("32"),
        Some('-') if !line.starts_with("---") => Some("31"),
        Some('@') => Some("36"),
        _ => None,
    }
}

/// The Markdown report (for a PR comment).
pub struct MarkdownReport<'a> {
    /// The plan.
    pub plan: &'a Plan,
}

impl fmt::Display for MarkdownReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.plan;
        writeln!(
            f,
            "### deckhand plan: `{}` ({})",
            plan.environment,
            commit_label(plan)
        )?;
        writeln!(f)?;
        for warning in &plan.warnings {
            writeln!(f, "> **Warning:** {}", md_escape(warning))?;
            writeln!(f)?;
        }
        if !plan.changed {
            return writeln!(
                f,
                "**No changes.** ECS cluster `{}` matches the spec.",
                plan.cluster
            );
        }
        writeln!(f, "| service | change |")?;
        writeln!(f, "|---|---|")?;
        for s in &plan.services {
            let what = match s.change {
                ServiceChange::Unchanged => "no change".to_owned(),
                ServiceChange::Update | ServiceChange::Create | ServiceChange::Record => {
                    s.reasons.join(", ")
                }
            };
            let quiesce = s
                .quiesce
                .map(|q| format!(" (quiesced {} during the migration)", count(&q)))
                .unwrap_or_default();
            writeln!(
                f,
                "| `{}` | {}{}{} |",
                s.service,
                md_escape(&what),
                quiesce,
                ignored_note(plan.ignored_in(&s.service))
            )?;
        }

        writeln!(f)?;
        writeln!(f, "**Steps**")?;
        writeln!(f)?;
        for (i, step) in plan.steps.iter().enumerate() {
            writeln!(f, "{}. {}", i + 1, md_escape(&step.to_string()))?;
        }
        for diff in &plan.diffs {
            writeln!(f)?;
            writeln!(
                f,
                "<details><summary>{} of <code>{}</code></summary>",
                diff.kind.title(),
                diff.service
            )?;
            writeln!(f)?;
            writeln!(f, "```diff")?;
            write!(f, "{}", diff.unified)?;
            writeln!(f, "```")?;
            writeln!(f)?;
            writeln!(f, "</details>")?;
        }
        Ok(())
    }
}

/// The warnings about ignore rules, and what they hide.
fn ignored_section(f: &mut fmt::Formatter<'_>, plan: &Plan) -> fmt::Result {
    for warning in &plan.warnings {
        writeln!(f, "warning: {warning}")?;
    }
    if plan.ignored.is_empty() {
        return Ok(());
    }
    writeln!(f, "Ignored (kept at their live value by `ignore:`):")?;
    for i in &plan.ignored {
        writeln!(
            f,
            "  {} {} {} (ignore[{}])",
            i.service,
            i.kind.key(),
            i.pointer,
            i.rule
        )?;
    }
    writeln!(f)
}

/// ` (2 differences ignored)`, or nothing.
fn ignored_note(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (1 difference ignored)".to_owned(),
        n => format!(" ({n} differences ignored)"),
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}
