//! Each CLI command in a file of its own: its arguments (clap types) and an
//! `exec(args, context)` that calls the pipeline (read the repo snapshot,
//! load the spec, read live ECS, plan, apply) and prints a report. Shared
//! argument groups are in [`crate::cli`]; [`setup`] turns typed arguments
//! into built objects. Output goes to stdout through the reports; logs go to
//! stderr.

pub mod apply;
pub mod completions;
pub mod controller;
pub mod freeze;
pub mod history;
pub mod iam_policy;
pub mod init;
pub mod lock_table;
pub mod plan;
pub mod promote;
pub mod release_hold;
pub mod render;
pub mod rollback;
pub mod schema;
pub mod setup;
pub mod status;
pub mod validate;
pub mod verify;

use crate::adopt::AdoptError;
use crate::apply::ApplyError;
use crate::cli::{Command, StatusFormat};
use crate::controller::ControllerError;
use crate::ecs::AwsError;
use crate::plan::PlanError;
use crate::source::SourceError;
use crate::spec::SpecError;
use serde::Serialize;
use std::fmt::Display;
use std::io::Write;

/// What a successful command means for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Done,
    /// `plan --detailed-exitcode` found changes: exit 2.
    Changes,
}

/// Why a command failed (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The repo could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// ECS failed.
    #[error(transparent)]
    Ecs(#[from] AwsError),
    /// No plan is possible.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Writing output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// The controller stopped with an error.
    #[error(transparent)]
    Controller(#[from] ControllerError),
    /// The release failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// `verify` found problems.
    #[error("verify found {count} problem{}: the release could not run as it is", if *.0 == 1 { "" } else { "s" }, count = .0)]
    VerifyFailed(usize),
    /// `init` wrote nothing.
    #[error(transparent)]
    Adopt(#[from] AdoptError),
    /// A command that asks (`apply`, `promote`, …) without --yes where
    /// nobody can answer.
    #[error(
        "refusing to {0} without --yes: stdin is not a terminal, so nobody can confirm; nothing was changed"
    )]
    NotConfirmed(&'static str),
    /// The user said no.
    #[error("{0} cancelled; nothing was changed")]
    Cancelled(&'static str),
    /// A promotion was refused.
    #[error(transparent)]
    Promote(Box<crate::promote::PromoteError>),
    /// The `--trust` file cannot be used.
    #[error(transparent)]
    TrustFile(#[from] crate::source::trust::TrustFileError),
    /// The `--sign-with` key cannot be used.
    #[error(transparent)]
    SigningKey(#[from] crate::source::sign::SignError),
    /// A freeze was refused.
    #[error(transparent)]
    Freeze(#[from] freeze::FreezeError),
    /// A freeze or a deny window stops the release.
    #[error("{0}")]
    Blocked(String),
    /// A commit could not be written.
    #[error(transparent)]
    Write(#[from] crate::source::write::WriteError),
    /// Several environments failed validation.
    #[error("{count} {} invalid", if *.0 == 1 { "environment is" } else { "environments are" }, count = .0)]
    InvalidEnvironments(usize),
}

/// Settings shared by every command.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// `--log-format json`: progress as JSON lines too.
    pub json_logs: bool,
    /// ANSI colors on stdout (`--color`, `NO_COLOR`, a terminal).
    pub color: bool,
}

/// Run one command.
pub async fn run(command: Command, context: Context) -> Result<Outcome, CommandError> {
    match command {
        Command::Validate(args) => validate::exec(args, context).await,
        Command::Plan(args) => plan::exec(args, context).await,
        Command::Apply(args) => apply::exec(args, context).await,
        Command::Controller(args) => controller::exec(args, context).await,
        Command::LockTable(args) => lock_table::exec(args, context).await,
        Command::Status(args) => status::exec(args, context).await,
        Command::Render(args) => render::exec(args, context).await,
        Command::Schema => schema::exec(context),
        Command::Verify(args) => verify::exec(args, context).await,
        Command::History(args) => history::exec(args, context).await,
        Command::Promote(args) => promote::exec(args, context).await,
        Command::Rollback(args) => rollback::exec(args, context).await,
        Command::ReleaseHold(args) => release_hold::exec(args, context).await,
        Command::Freeze(args) => freeze::freeze(args, context).await,
        Command::Unfreeze(args) => freeze::unfreeze(args, context).await,
        Command::Init(args) => init::exec(args, context).await,
        Command::IamPolicy(args) => iam_policy::exec(args, context).await,
        Command::Completions(args) => completions::exec(args, context),
    }
}

/// Ask `question` on the terminal and go on only on `yes`; refuse when
/// nobody can answer. `verb` names the command in the refusal.
fn confirm(verb: &'static str, question: &str) -> Result<(), CommandError> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::NotConfirmed(verb));
    }
    eprint!("{question} Type 'yes' to continue: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CommandError::Cancelled(verb))
    }
}

/// Write `text` to stdout.
fn print(text: &str) -> Result<(), std::io::Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// `value` as pretty JSON and a newline.
fn print_json(value: &impl Serialize) -> Result<(), std::io::Error> {
    print(&crate::json::pretty(value))
}

/// A report in the format asked for: its `Display` as text, or its JSON.
fn print_report<R: Display + Serialize>(
    report: &R,
    format: StatusFormat,
) -> Result<(), std::io::Error> {
    match format {
        StatusFormat::Json => print_json(report),
        StatusFormat::Text => print(&report.to_string()),
    }
}

impl From<crate::promote::PromoteError> for CommandError {
    fn from(e: crate::promote::PromoteError) -> Self {
        CommandError::Promote(Box::new(e))
    }
}
