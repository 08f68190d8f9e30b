//! `deckhand verify`: could ECS run the environment? Images, roles, secrets,
//! log groups, and the target groups and hook functions of service
//! definitions (read-only).

use super::{CommandError, Context, Outcome, print};
use crate::cli::{EnvArgs, RepoArgs};
use crate::ecs::{AwsClient, EcsClient};
use crate::preflight;
use crate::spec::render;
use clap::Args;

// `verify`'s arguments (its help is on `cli::Command::Verify`).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub env: EnvArgs,
}

/// One line per warning and problem; `ok:` when every check passes.
pub async fn exec(args: VerifyArgs, _context: Context) -> Result<Outcome, CommandError> {
    let (_, env) = args.repo.load(args.env.env).await?;
    let ecs = EcsClient::connect_to(&env.reach()).await?;
    let rendered = render::definitions(&env);
    let definitions: Vec<(String, &crate::taskdef::model::TaskDefinitionSpec)> = rendered
        .iter()
        .map(|r| {
            let label = r.service.clone().unwrap_or_else(|| "migration".into());
            (label, &r.task_definition)
        })
        .collect();
    let services: Vec<(String, &crate::servicedef::ServiceDefinition)> = env
        .services
        .iter()
        .filter_map(|s| Some((s.name.clone(), &*s.service_definition.as_ref()?.definition)))
        .collect();
    let (needs, report) = preflight::run(&ecs, &definitions, &services).await?;
    tracing::info!(calls = ?ecs.calls().snapshot(), "AWS calls");
    let mut text = String::new();
    for warning in &report.warnings {
        text += &format!("warning: {warning}\n");
    }
    for problem in &report.problems {
        text += &format!("{problem}\n");
    }
    if report.passed() {
        text += &format!("ok: {}: {} exist\n", env.name, needs.summary());
    }
    print(&text)?;
    if report.passed() {
        Ok(Outcome::Done)
    } else {
        Err(CommandError::VerifyFailed(report.problems.len()))
    }
}
