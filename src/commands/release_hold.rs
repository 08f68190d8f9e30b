//! `deckhand release-hold ENV`: lift the hold `rollback --now` put, so the
//! controller applies the branch's commits again.

use super::{CommandError, Context, Outcome, print};
use crate::apply::notify::{Notifier, ReleaseEvent};
use crate::cli::RepoArgs;
use crate::ecs::EcsClient;
use crate::guard;
use clap::Args;

// `release-hold`'s arguments (its help is on `cli::Command::ReleaseHold`).
#[derive(Debug, Args)]
pub struct ReleaseHoldArgs {
    /// The environment.
    pub env: String,
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// Untag the hold; say what it was.
pub async fn exec(args: ReleaseHoldArgs, _context: Context) -> Result<Outcome, CommandError> {
    let (_, env) = args.repo.load(args.env).await?;
    let ecs = EcsClient::connect_to(&env.reach()).await?;
    match guard::lift::<guard::Hold>(&ecs, &env.cluster, &env.name).await? {
        Some(hold) => {
            print(&format!(
                "Released the hold on {} (held since {} by {} on image {}): the controller applies its commits again.\n",
                env.name, hold.since, hold.by, hold.image
            ))?;
            Notifier::new(&env, None, super::promote::repo_url(&args.repo).as_deref())
                .send(&ReleaseEvent::Hold {
                    image: hold.image,
                    put: false,
                })
                .await;
        }
        None => print(&format!("{} has no hold.\n", env.name))?,
    }
    Ok(Outcome::Done)
}
