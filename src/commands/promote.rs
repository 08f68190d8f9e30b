//! `deckhand promote FROM TO`: FROM's release into TO's environment file, as
//! one commit (see [`crate::promote`]).

use super::{CommandError, Context, Outcome, confirm, print};
use crate::apply::notify::{Notifier, ReleaseEvent};
use crate::cli::{CommitArgs, RepoArgs};
use crate::ecs::EcsClient;
use crate::promote::{self, PromoteError};
use crate::source::Snapshot;
use crate::source::write::{self, FileChange, NewCommit, WriteError, Written};
use crate::spec::{self, Environment};
use clap::Args;

// `promote`'s arguments (its help is on `cli::Command::Promote`).
#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The environment the release comes from.
    pub from: String,
    /// The environment it goes to.
    pub to: String,
    /// This release of FROM (`v12`, from `deckhand history`) instead of the newest that succeeded and runs.
    #[arg(long, value_name = "vN")]
    pub release: Option<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Print the change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the commit without asking.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub commit: CommitArgs,
}

/// Prepare, show, confirm, write; once more from a fresh fetch when the
/// branch moved in between.
pub async fn exec(args: PromoteArgs, _context: Context) -> Result<Outcome, CommandError> {
    let identity = args.commit.identity()?;
    if args.from == args.to {
        return Err(PromoteError::SameEnvironment {
            environment: args.from.clone(),
        }
        .into());
    }
    let mut confirmed = args.yes || args.dry_run;
    for attempt in 0..2 {
        let (parent, to, promotion) = prepare(&args).await?;
        if !present(&args, &promotion)? {
            return Ok(Outcome::Done);
        }
        if !confirmed {
            confirm(
                "promote",
                &format!("Commit this change to {}?", promotion.file),
            )?;
            confirmed = true;
        }
        let commit = NewCommit {
            parent,
            message: promotion.message(),
            author: identity.author.clone(),
            signer: identity.signer.clone(),
            files: vec![FileChange {
                path: promotion.file.clone(),
                content: promotion.after.clone(),
            }],
        };
        let location = args.repo.location();
        let written = tokio::task::spawn_blocking(move || write::write(&location, &commit))
            .await
            .expect("commit task panicked");
        match written {
            Ok(w) => {
                notify(&args, &to, &promotion, &w).await;
                print(&format!(
                    "Promoted {} {} to {}: {w}.\n",
                    promotion.from, promotion.release.id, promotion.to
                ))?;
                return Ok(Outcome::Done);
            }
            Err(WriteError::Moved { branch, .. }) if attempt == 0 => {
                tracing::warn!("{branch} moved while promoting: reading it again");
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the second attempt returns")
}

/// Read the repo (fetching a URL), load FROM and TO, and prepare the
/// promotion: the commit it goes on, TO as the branch has it, and the change.
async fn prepare(
    args: &PromoteArgs,
) -> Result<(String, Environment, promote::Promotion), CommandError> {
    let snapshot = args.repo.snapshot().await?;
    let Some(parent) = snapshot.commit().map(str::to_owned) else {
        return Err(WriteError::NotGit {
            repo: args.repo.repo.clone(),
        }
        .into());
    };
    let (snapshot, from, to) = load_both(snapshot, &args.from, &args.to).await?;
    let from_ecs = EcsClient::connect_to(&from.reach()).await?;
    let to_ecs = EcsClient::connect_to(&to.reach()).await?;
    let promotion = promote::prepare(
        &from_ecs,
        &to_ecs,
        &snapshot,
        &from,
        &to,
        args.release.as_deref(),
        std::time::SystemTime::now(),
    )
    .await?;
    for warning in &promotion.warnings {
        tracing::warn!("{warning}");
    }
    Ok((parent, to, promotion))
}

/// Show the change; false when there is nothing more to do (TO already has
/// the release, or a dry run).
fn present(args: &PromoteArgs, promotion: &promote::Promotion) -> Result<bool, CommandError> {
    let r = &promotion.release.release;
    if promotion.unchanged() {
        print(&format!(
            "{} already has {} {}'s image{}: nothing to promote.\n",
            promotion.to,
            promotion.from,
            promotion.release.id,
            if r.revision.is_some() {
                " and schema revision"
            } else {
                ""
            }
        ))?;
        return Ok(false);
    }
    print(&format!(
        "Promote {} {} to {}: image {}{}\n{}",
        promotion.from,
        promotion.release.id,
        promotion.to,
        r.image,
        r.revision
            .as_deref()
            .map(|rev| format!(", schema revision {rev}"))
            .unwrap_or_default(),
        promotion.diff()
    ))?;
    if args.dry_run {
        print("Dry run: nothing was written.\n")?;
        return Ok(false);
    }
    Ok(true)
}

/// Tell TO's notification targets, with TO as the commit makes it.
async fn notify(args: &PromoteArgs, to: &Environment, promotion: &promote::Promotion, w: &Written) {
    let r = &promotion.release.release;
    let mut shown = to.clone();
    shown.image = r.image.clone();
    if let (Some(m), Some(revision)) = (&mut shown.migration, &r.revision) {
        m.revision = revision.clone();
    }
    Notifier::new(&shown, Some(&w.commit), repo_url(&args.repo).as_deref())
        .send(&ReleaseEvent::Promoted {
            from: promotion.from.clone(),
            release: promotion.release.id.clone(),
        })
        .await;
}

/// FROM and TO loaded from one snapshot.
async fn load_both(
    snapshot: Snapshot,
    from: &str,
    to: &str,
) -> Result<(Snapshot, Environment, Environment), CommandError> {
    let (from, to) = (from.to_owned(), to.to_owned());
    tokio::task::spawn_blocking(move || {
        let from = spec::load(&snapshot, &from)?;
        let to = spec::load(&snapshot, &to)?;
        Ok((snapshot, from, to))
    })
    .await
    .expect("spec task panicked")
}

/// The config repo's URL, for commit links in notifications.
pub(super) fn repo_url(repo: &RepoArgs) -> Option<String> {
    crate::source::is_git_url(&repo.repo).then(|| repo.repo.clone())
}
