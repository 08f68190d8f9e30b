//! `deckhand apply`: show the plan, confirm, carry it out.

use super::setup::Planned;
use super::{CommandError, Context, Outcome, confirm, print};
use crate::apply::progress::Progress;
use crate::apply::{self, ApplyOptions, ApplyOutcome};
use crate::cli::{EnvArgs, LeaseArgs, PollArgs, RepoArgs, TrustArgs};
use crate::ecs::AwsClient;
use crate::report::{self, Format};
use clap::Args;

// `apply`'s arguments (its help is on `cli::Command::Apply`).
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Skip the preflight checks (images, roles, secrets, log groups), e.g. for a
    /// registry these credentials cannot read.
    #[arg(long, env = "DECKHAND_NO_PREFLIGHT")]
    pub no_preflight: bool,
    #[command(flatten)]
    pub poll: PollArgs,
    #[command(flatten)]
    pub lease: LeaseArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Print the plan, ask (unless `--yes`), release, and say what was done.
pub async fn exec(mut args: ApplyArgs, context: Context) -> Result<Outcome, CommandError> {
    args.repo.trust = args.trust.load()?;
    let (locks, lease_ttl) = args.lease.locks().await?;
    let Planned {
        snapshot,
        env,
        ecs,
        live,
        plan,
    } = args.repo.planned(args.env.env).await?;
    print(&report::render(&plan, Format::Text, context.color))?;
    if !plan.changed {
        return Ok(Outcome::Done);
    }
    blocked(&env, &live, &plan, snapshot.commit())?;
    if !args.yes {
        confirm(
            "apply",
            &format!("Apply these {} step(s) to {}?", plan.steps.len(), env.name),
        )?;
    }
    let options = ApplyOptions {
        preflight: !args.no_preflight,
        repo_url: crate::source::is_git_url(&args.repo.repo).then(|| args.repo.repo.clone()),
        locks,
        lease_ttl,
        kind: snapshot.release_kind(),
        ..ApplyOptions::new(
            snapshot.commit().map(str::to_owned),
            args.poll.poll_interval,
        )
    };
    let progress = Progress::new(context.json_logs);
    let outcome = apply::apply(&ecs, &env, &plan, &options, &progress).await;
    tracing::info!(calls = ?ecs.calls().snapshot(), "ECS calls");
    match outcome? {
        ApplyOutcome::NoChanges => print("No changes: ECS matches the spec.\n")?,
        ApplyOutcome::Released { steps, .. } => print(&format!(
            "Applied {} step(s) to {}.\n",
            steps.len(),
            env.name
        ))?,
    }
    Ok(Outcome::Done)
}

/// A freeze in force or an open deny window stops a release (not drift
/// repair, not the completion of an interrupted release): exit 1, nothing
/// changed. A hold binds the controller only; here it is a warning.
fn blocked(
    env: &crate::spec::Environment,
    live: &crate::live::LiveEnvironment,
    plan: &crate::plan::Plan,
    commit: Option<&str>,
) -> Result<(), CommandError> {
    use crate::guard::{self, Guards, Verdict};
    let (hold, freeze) = guard::read(&live.cluster_tags, &env.name);
    if let Some(hold) = hold.filter(|h| h.image == env.image) {
        tracing::warn!(
            "{} is held on {} (rolled back from it since {} by {}): applying it anyway, as asked",
            env.name,
            hold.image,
            hold.since,
            hold.by
        );
    }
    let guards = Guards {
        hold: None,
        freeze: freeze.as_ref(),
        windows: &env.sync.windows,
    };
    let releasing = guard::is_release(plan, guard::is_drift(live, commit));
    match guard::judge(
        &env.name,
        &env.image,
        guards,
        releasing,
        std::time::SystemTime::now(),
    ) {
        Verdict::Blocked(why) => Err(CommandError::Blocked(format!("{why}; nothing was changed"))),
        Verdict::Go { .. } => Ok(()),
    }
}
