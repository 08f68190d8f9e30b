//! `deckhand validate`: check environment specs and the files they name, no AWS access.

use super::setup::environment_names;
use super::{CommandError, Context, Outcome, print};
use crate::cli::RepoArgs;
use crate::source::SourceError;
use crate::spec;
use clap::Args;

// `validate`'s arguments (its help is on `cli::Command::Validate`).
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Environments to check (default: all of environments/*.yaml).
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
}

/// One `ok:` line per valid environment on stdout, one `error:` per invalid one on stderr.
pub async fn exec(args: ValidateArgs, _context: Context) -> Result<Outcome, CommandError> {
    let snapshot = args.repo.snapshot().await?;
    let envs = args.envs;
    let (failures, lines) = tokio::task::spawn_blocking(move || {
        let names = environment_names(&snapshot, envs)?;
        let mut failures = 0;
        let mut lines = Vec::new();
        for name in names {
            match spec::load(&snapshot, &name) {
                Ok(env) => lines.push(format!(
                    "ok: {} ({}, {} service{})",
                    env.file,
                    env.cluster,
                    env.services.len(),
                    if env.services.len() == 1 { "" } else { "s" }
                )),
                Err(e) => {
                    failures += 1;
                    eprintln!("error: {e}");
                }
            }
        }
        Ok::<_, SourceError>((failures, lines))
    })
    .await
    .expect("validate task panicked")?;
    print(&lines.iter().map(|l| format!("{l}\n")).collect::<String>())?;
    if failures > 0 {
        return Err(CommandError::InvalidEnvironments(failures));
    }
    Ok(Outcome::Done)
}
