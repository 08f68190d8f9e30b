//! `deckhand history`: the environment's releases, newest first (recorded in ECS).

use super::{CommandError, Context, Outcome, print_report};
use crate::cli::ReportArgs;
use crate::ecs::EcsClient;
use crate::history::{self, Recorded};
use clap::Args;
use serde::Serialize;
use std::fmt;

// `history`'s arguments (its help is on `cli::Command::History`).
#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// At most this many releases.
    #[arg(long, default_value = "20")]
    pub limit: usize,
}

/// An environment's releases, newest first: a table as text, or JSON.
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// The environment.
    pub environment: String,
    /// Its releases, newest first, each with its id (`v7`) and kind.
    pub releases: Vec<Recorded>,
}

impl fmt::Display for HistoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&history::text(&self.environment, &self.releases))
    }
}

/// Print the releases.
pub async fn exec(args: HistoryArgs, _context: Context) -> Result<Outcome, CommandError> {
    let ReportArgs { repo, env, format } = args.report;
    let (_, env) = repo.load(env.env).await?;
    let ecs = EcsClient::connect_to(&env.reach()).await?;
    let releases = history::list(&ecs, &env.name, args.limit).await?;
    let report = HistoryReport {
        environment: env.name,
        releases,
    };
    print_report(&report, format)?;
    Ok(Outcome::Done)
}
