//! `deckhand rollback ENV [vN]`: the environment's files as of an earlier
//! release, as one commit; with `--now` also applied at once under a hold
//! (see [`crate::promote::rollback`] and [`crate::guard`]).

use super::{CommandError, Context, Outcome, confirm, print};
use crate::apply::notify::{Notifier, ReleaseEvent};
use crate::apply::progress::Progress;
use crate::apply::{self, ApplyOptions, ApplyOutcome};
use crate::cli::{CommitArgs, CommitIdentity, LeaseArgs, PollArgs, RepoArgs};
use crate::ecs::EcsClient;
use crate::guard::{self, Hold};
use crate::history::ReleaseKind;
use crate::promote::rollback::{self, Request, Rollback};
use crate::source::short_sha;
use crate::source::write::{self, NewCommit, WriteError, Written};
use clap::Args;

// `rollback`'s arguments (its help is on `cli::Command::Rollback`).
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The environment.
    pub env: String,
    /// The release to go back to (`v11`, from `deckhand history`); default: the newest that
    /// succeeded before the current one with another image.
    #[arg(value_name = "vN")]
    pub release: Option<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Roll back to a release that ran an older schema revision (its image then runs against
    /// the newer schema).
    #[arg(long)]
    pub accept_schema: bool,
    /// Also apply the rollback now and hold the environment: the controller does not apply
    /// commits with the image rolled back from until `release-hold` or another image.
    #[arg(long)]
    pub now: bool,
    /// Why, for the commit message.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub commit: CommitArgs,
    #[command(flatten)]
    pub poll: PollArgs,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

/// What the attempts have done so far (a second attempt, after the branch
/// moved, does none of it again).
#[derive(Debug, Default)]
struct Done {
    confirmed: bool,
    held: bool,
    applied: bool,
}

/// Prepare, show, confirm; with `--now` hold and apply; write the commit
/// (once more from a fresh fetch when the branch moved).
pub async fn exec(args: RollbackArgs, context: Context) -> Result<Outcome, CommandError> {
    let identity = args.commit.identity()?;
    let mut done = Done {
        confirmed: args.yes,
        ..Done::default()
    };
    for attempt in 0..2 {
        let first = attempt == 0;
        if let Some(outcome) = attempt_rollback(&args, &identity, context, first, &mut done).await?
        {
            return Ok(outcome);
        }
    }
    unreachable!("the second attempt returns")
}

/// One attempt; None when the branch moved while it wrote, and the
/// rollback must be read again.
async fn attempt_rollback(
    args: &RollbackArgs,
    identity: &CommitIdentity,
    context: Context,
    first: bool,
    done: &mut Done,
) -> Result<Option<Outcome>, CommandError> {
    let (snapshot, env) = args.repo.load(args.env.clone()).await?;
    let Some(parent) = snapshot.commit().map(str::to_owned) else {
        return Err(WriteError::NotGit {
            repo: args.repo.repo.clone(),
        }
        .into());
    };
    let ecs = EcsClient::connect_to(&env.reach()).await?;
    let location = args.repo.location();
    let plan = rollback::prepare(
        &ecs,
        Request {
            location: &location,
            head: &snapshot,
            env: &env,
            asked: args.release.as_deref(),
            accept_schema: args.accept_schema,
            reason: args.reason.clone(),
        },
    )
    .await?;
    for warning in &plan.warnings {
        tracing::warn!("{warning}");
    }
    if !present(args, &plan, first, done)? {
        return Ok(Some(Outcome::Done));
    }
    let notifier = |commit: Option<&str>| {
        Notifier::new(
            &plan.env,
            commit,
            super::promote::repo_url(&args.repo).as_deref(),
        )
    };
    if args.now && !done.held {
        hold(&ecs, &plan, &notifier(None)).await?;
        done.held = true;
    }
    let written = match commit_rollback(identity, &location, &plan, parent).await {
        Ok(written) => written,
        Err(WriteError::Moved { branch, .. }) if first => {
            tracing::warn!("{branch} moved while rolling back: reading it again");
            if args.now && !done.applied {
                apply_now(args, &ecs, &plan, None, context).await?;
                done.applied = true;
            }
            return Ok(None);
        }
        // With --now, the rollback and the hold stand without the commit.
        Err(e) if args.now => {
            tracing::error!("the rollback commit was not written: {e}");
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(w) = &written {
        print(&format!(
            "Rolled {} back to {}: {w}.\n",
            plan.environment, plan.to.id
        ))?;
    }
    let event = ReleaseEvent::Rollback {
        release: plan.to.id.clone(),
        reason: plan.reason.clone(),
    };
    notifier(written.as_ref().map(|w| w.commit.as_str()))
        .send(&event)
        .await;
    if args.now && !done.applied {
        apply_now(args, &ecs, &plan, written.as_ref(), context).await?;
    }
    Ok(Some(Outcome::Done))
}

/// Show what will happen (the first time), and confirm; false when there
/// is nothing to roll back.
fn present(
    args: &RollbackArgs,
    plan: &Rollback,
    first: bool,
    done: &mut Done,
) -> Result<bool, CommandError> {
    if first {
        print(&summary(plan))?;
    }
    if plan.files.is_empty() && !args.now {
        print(&format!(
            "{}'s files already are as of {}: nothing to roll back.\n",
            plan.environment, plan.to.id
        ))?;
        return Ok(false);
    }
    if !done.confirmed {
        confirm(
            "roll back",
            &format!("Roll {} back to {}?", plan.environment, plan.to.id),
        )?;
        done.confirmed = true;
    }
    Ok(true)
}

/// Write the rollback's commit; None when no file changes (`--now` of an
/// environment whose files already are as of the release).
async fn commit_rollback(
    identity: &CommitIdentity,
    location: &crate::source::RepoLocation,
    plan: &Rollback,
    parent: String,
) -> Result<Option<Written>, WriteError> {
    if plan.files.is_empty() {
        return Ok(None);
    }
    let commit = NewCommit {
        parent,
        message: plan.message(),
        author: identity.author.clone(),
        signer: identity.signer.clone(),
        files: plan.files.clone(),
    };
    let location = location.clone();
    tokio::task::spawn_blocking(move || write::write(&location, &commit))
        .await
        .expect("commit task panicked")
        .map(Some)
}

/// What will happen, before it does.
fn summary(plan: &Rollback) -> String {
    let mut out = format!(
        "Roll {} back {}to {}: image {} (was {})",
        plan.environment,
        plan.from
            .as_ref()
            .map(|f| format!("from {} ", f.id))
            .unwrap_or_default(),
        plan.to.id,
        plan.to.release.image,
        plan.from_image,
    );
    if let Some(m) = &plan.env.migration {
        out += &format!(", schema revision kept at {}", m.revision);
    }
    out += "\n";
    for file in &plan.files {
        out += &format!(
            "  restores {} as of commit {}\n",
            file.path,
            short_sha(plan.to.release.commit.as_deref().unwrap_or("-"))
        );
    }
    out
}

/// Hold the environment on the image rolled back from, and say so.
async fn hold(ecs: &EcsClient, plan: &Rollback, notifier: &Notifier) -> Result<(), CommandError> {
    let hold = Hold {
        image: plan.from_image.clone(),
        since: guard::rfc3339(std::time::SystemTime::now()),
        by: guard::actor(),
    };
    guard::put(ecs, &plan.env.cluster, &plan.environment, &hold).await?;
    notifier
        .send(&ReleaseEvent::Hold {
            image: hold.image.clone(),
            put: true,
        })
        .await;
    tracing::info!(
        "held {}: commits with {} are not applied until `deckhand release-hold {}` or a commit with another image",
        plan.environment,
        hold.image,
        plan.environment
    );
    Ok(())
}

/// Apply the rolled-back environment now, under the release lease.
async fn apply_now(
    args: &RollbackArgs,
    ecs: &EcsClient,
    plan: &Rollback,
    written: Option<&Written>,
    context: Context,
) -> Result<(), CommandError> {
    let (locks, lease_ttl) = args.lease.locks().await?;
    let live = crate::live::fetch(ecs, &plan.env).await?;
    let commit = written.map(|w| w.commit.clone());
    let steps = crate::plan::plan(&plan.env, commit.as_deref(), &live)?;
    let options = ApplyOptions {
        locks,
        lease_ttl,
        kind: ReleaseKind::Rollback,
        repo_url: crate::source::is_git_url(&args.repo.repo).then(|| args.repo.repo.clone()),
        ..ApplyOptions::new(commit, args.poll.poll_interval)
    };
    let progress = Progress::new(context.json_logs);
    match apply::apply(ecs, &plan.env, &steps, &options, &progress).await? {
        ApplyOutcome::NoChanges => print(&format!(
            "{} already runs {}'s definitions.\n",
            plan.environment, plan.to.id
        ))?,
        ApplyOutcome::Released { steps, .. } => print(&format!(
            "Applied the rollback of {} to {} ({} step(s)); {} is held.\n",
            plan.environment,
            plan.to.id,
            steps.len(),
            plan.environment
        ))?,
    }
    Ok(())
}
