//! `deckhand init`: a config repo written from a cluster's live services.

use super::{CommandError, Context, Outcome, print};
use crate::adopt;
use crate::ecs::{AwsClient, EcsClient};
use clap::Args;
use std::path::PathBuf;

// `init`'s arguments (its help is on `cli::Command::Init`).
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The ECS cluster.
    #[arg(long)]
    pub cluster: String,
    /// Name of the environment to write (environments/NAME.yaml).
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
    /// Only these services (default: every service of the cluster).
    #[arg(long = "service", value_name = "SVC")]
    pub services: Vec<String>,
    /// The config repo directory to write into (made if missing).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// AWS region of the cluster (default: the standard AWS config); written into the spec.
    #[arg(long)]
    pub region: Option<String>,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
}

/// Read the cluster, write the files, say what is next.
pub async fn exec(args: InitArgs, _context: Context) -> Result<Outcome, CommandError> {
    let InitArgs {
        cluster,
        env,
        services,
        repo,
        region,
        force,
    } = args;
    let ecs = EcsClient::connect(region.as_deref()).await?;
    let adopted = adopt::read(&ecs, &cluster, &services).await?;
    let files = adopt::files(&env, &cluster, ecs.region().as_deref(), &adopted)?;
    let written = adopt::write(&repo, &files, force)?;
    let mut text = String::new();
    for path in &written {
        text += &format!("wrote {}\n", path.display());
    }
    text += &format!(
        "Adopted {} service(s) of cluster {cluster}. Next: deckhand plan --repo {} --env {env} (it shows no changes), then commit the files.\n",
        adopted.len(),
        repo.display()
    );
    print(&text)?;
    Ok(Outcome::Done)
}
