//! `deckhand freeze ENV... --for D --reason R` and `deckhand unfreeze
//! ENV...`: stop (and let go again) every release of the environments, as
//! a tag on each cluster that every deckhand sees (see [`crate::guard`]).

use super::{CommandError, Context, Outcome, print};
use crate::apply::notify::{Notifier, ReleaseEvent};
use crate::cli::RepoArgs;
use crate::ecs::EcsClient;
use crate::guard::{self, Freeze};
use clap::Args;
use std::time::{Duration, SystemTime};

/// The longest freeze.
const MAX_FREEZE: Duration = Duration::from_secs(90 * 24 * 3600);

// `freeze`'s arguments (its help is on `cli::Command::Freeze`).
#[derive(Debug, Args)]
pub struct FreezeArgs {
    /// The environments.
    #[arg(required = true, value_name = "ENV")]
    pub envs: Vec<String>,
    /// How long, e.g. 2h or 3d (at most 90 days).
    #[arg(long = "for", value_name = "DURATION")]
    pub duration: Option<String>,
    /// Why: shown by status, the web UI and every release it stops.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
}

// `unfreeze`'s arguments (its help is on `cli::Command::Unfreeze`).
#[derive(Debug, Args)]
pub struct UnfreezeArgs {
    /// The environments.
    #[arg(required = true, value_name = "ENV")]
    pub envs: Vec<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// Why a freeze was refused before anything changed.
#[derive(Debug, thiserror::Error)]
pub enum FreezeError {
    /// No `--reason`, or an empty one.
    #[error(
        "a freeze needs a reason: add --reason \"...\" (e.g. --reason \"incident 4711\"); it is shown wherever the freeze stops a release"
    )]
    NoReason,
    /// No `--for`.
    #[error("a freeze needs a length: add --for DURATION, e.g. --for 2h or --for 3d")]
    NoDuration,
    /// `--for` is not a duration, or too long.
    #[error("--for {given}: {why}; write e.g. 2h, 3d (at most 90d)")]
    BadDuration {
        /// What was given.
        given: String,
        /// What is wrong.
        why: String,
    },
}

/// Check the arguments, load every environment, then tag each cluster.
pub async fn freeze(args: FreezeArgs, _context: Context) -> Result<Outcome, CommandError> {
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or(FreezeError::NoReason)?;
    let given = args.duration.ok_or(FreezeError::NoDuration)?;
    let duration = humantime::parse_duration(&given).map_err(|e| FreezeError::BadDuration {
        given: given.clone(),
        why: e.to_string(),
    })?;
    if duration.is_zero() || duration > MAX_FREEZE {
        return Err(FreezeError::BadDuration {
            given,
            why: "a freeze lasts more than zero and at most 90 days".into(),
        }
        .into());
    }
    let envs = args.repo.load_all(args.envs).await?;
    let now = SystemTime::now();
    let freeze = Freeze {
        until: guard::rfc3339(now + duration),
        by: guard::actor(),
        reason: reason.to_owned(),
    };
    for env in &envs {
        let ecs = EcsClient::connect_to(&env.reach()).await?;
        guard::put(&ecs, &env.cluster, &env.name, &freeze).await?;
        Notifier::new(env, None, super::promote::repo_url(&args.repo).as_deref())
            .send(&ReleaseEvent::Freeze {
                put: Some(format!(
                    "{} by {}: {}",
                    freeze.until, freeze.by, freeze.reason
                )),
            })
            .await;
        print(&format!(
            "Froze {} until {} (in {}): {}\n",
            env.name,
            freeze.until,
            guard::left(now + duration, now),
            freeze.reason
        ))?;
    }
    Ok(Outcome::Done)
}

/// Untag each cluster's freeze; say what it was.
pub async fn unfreeze(args: UnfreezeArgs, _context: Context) -> Result<Outcome, CommandError> {
    let envs = args.repo.load_all(args.envs).await?;
    for env in &envs {
        let ecs = EcsClient::connect_to(&env.reach()).await?;
        match guard::lift::<guard::Freeze>(&ecs, &env.cluster, &env.name).await? {
            Some(f) => {
                print(&format!(
                    "Unfroze {} (frozen until {} by {}: {}).\n",
                    env.name, f.until, f.by, f.reason
                ))?;
                Notifier::new(env, None, super::promote::repo_url(&args.repo).as_deref())
                    .send(&ReleaseEvent::Freeze { put: None })
                    .await;
            }
            None => print(&format!("{} was not frozen.\n", env.name))?,
        }
    }
    Ok(Outcome::Done)
}
