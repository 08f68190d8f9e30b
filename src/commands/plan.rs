//! `deckhand plan`: the spec against live ECS, read-only.

use super::{CommandError, Context, Outcome, print};
use crate::cli::{EnvArgs, RepoArgs, TrustArgs};
use crate::ecs::AwsClient;
use crate::report::{self, Format};
use clap::Args;

// `plan`'s arguments (its help is on `cli::Command::Plan`).
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 2 when there are changes (0: none, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Print the plan; with `--detailed-exitcode`, changes are exit 2.
pub async fn exec(mut args: PlanArgs, context: Context) -> Result<Outcome, CommandError> {
    args.repo.trust = args.trust.load()?;
    let planned = args.repo.planned(args.env.env).await?;
    tracing::info!(calls = ?planned.ecs.calls().snapshot(), "ECS calls");
    let color = args.format == Format::Text && context.color;
    print(&report::render(&planned.plan, args.format, color))?;
    Ok(if args.detailed_exitcode && planned.plan.changed {
        Outcome::Changes
    } else {
        Outcome::Done
    })
}
