//! `deckhand render`: the task definitions deckhand would register, as JSON.

use super::{CommandError, Context, Outcome, print_json};
use crate::cli::{EnvArgs, RepoArgs};
use crate::spec::render;
use clap::Args;

// `render`'s arguments (its help is on `cli::Command::Render`).
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub env: EnvArgs,
}

/// One JSON object: each service's definition by service name, the
/// migration's by its family.
pub async fn exec(args: RenderArgs, _context: Context) -> Result<Outcome, CommandError> {
    let (_, env) = args.repo.load(args.env.env).await?;
    let rendered: serde_json::Map<String, serde_json::Value> = render::definitions(&env)
        .into_iter()
        .map(|r| {
            let key = r.service.unwrap_or(r.family);
            let value = serde_json::to_value(r.task_definition).expect("serializes");
            (key, value)
        })
        .collect();
    print_json(&rendered)?;
    Ok(Outcome::Done)
}
