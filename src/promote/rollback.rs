//! Going back: `deckhand rollback ENV [vN]` restores the environment's file
//! and the files it names as they were at an earlier release's commit,
//! keeping the schema revision recorded now (a rollback never runs a
//! migration, and never moves the schema backwards).
//!
//! [`target`] and [`schema`] are pure; [`prepare`] reads the history, the
//! cluster's recorded revision and the files at both commits.

use super::PromoteError;
use super::gate::schema_is_older;
use crate::ecs::Ecs;
use crate::history::{ROLLBACK_TRAILER, Recorded};
use crate::source::write::FileChange;
use crate::source::{RepoLocation, Snapshot, short_sha};
use crate::spec::edit::set_scalar;
use crate::spec::locate::FieldPath;
use crate::spec::{self, Environment};
use std::collections::BTreeSet;

/// The release to go back to: `asked` (which must have succeeded), else the
/// newest that succeeded before the current one (`history[0]`) with another
/// image than `current_image` (what the environment runs).
pub fn target<'a>(
    environment: &str,
    history: &'a [Recorded],
    current_image: &str,
    asked: Option<&str>,
) -> Result<&'a Recorded, PromoteError> {
    let found = match asked {
        Some(id) => super::gate::succeeded(environment, history, id)?,
        None => history
            .iter()
            .skip(1)
            .find(|r| r.release.result == "succeeded" && r.release.image != current_image)
            .ok_or_else(|| PromoteError::NothingToRollBackTo {
                environment: environment.to_owned(),
                image: current_image.to_owned(),
            })?,
    };
    if found.release.commit.is_none() {
        return Err(PromoteError::NoCommit {
            environment: environment.to_owned(),
            id: found.id.clone(),
        });
    }
    Ok(found)
}

/// Whether `target`'s schema may be rolled back to: its image will run
/// against the revision recorded now, which must not be newer unless the
/// user accepts it. Returns the revision the restored file keeps.
pub fn schema(
    environment: &str,
    target: &Recorded,
    recorded: Option<&str>,
    accept: bool,
) -> Result<Option<String>, PromoteError> {
    if let (Some(recorded), Some(theirs)) = (recorded, target.release.revision.as_deref())
        && schema_is_older(theirs, recorded)
        && !accept
    {
        return Err(PromoteError::SchemaNewer {
            environment: environment.to_owned(),
            id: target.id.clone(),
            release_revision: theirs.to_owned(),
            recorded: recorded.to_owned(),
        });
    }
    Ok(recorded
        .map(str::to_owned)
        .or_else(|| target.release.revision.clone()))
}

/// A rollback ready to be written.
#[derive(Debug, Clone)]
pub struct Rollback {
    /// The environment.
    pub environment: String,
    /// The release rolled back from (the newest), if any.
    pub from: Option<Recorded>,
    /// The release rolled back to.
    pub to: Recorded,
    /// The image rolled back from (what the environment runs now).
    pub from_image: String,
    /// The files that change, with their new content.
    pub files: Vec<FileChange>,
    /// The environment as it will be (validated).
    pub env: Environment,
    /// What the user should know.
    pub warnings: Vec<String>,
    /// Why (`--reason`).
    pub reason: Option<String>,
}

impl Rollback {
    /// The commit message, with the trailer that makes its release a
    /// `rollback`.
    pub fn message(&self) -> String {
        let r = &self.to.release;
        let from_id = self
            .from
            .as_ref()
            .map(|f| f.id.clone())
            .unwrap_or_else(|| "-".into());
        let mut body = format!(
            "Image: {} (was {})\nFiles as of commit {}",
            r.image,
            self.from_image,
            r.commit.as_deref().map(short_sha).unwrap_or("-")
        );
        if let Some(revision) = self.env.migration.as_ref().map(|m| &m.revision) {
            body += &format!(", schema revision kept at {revision}");
        }
        body += ".\n";
        if let Some(reason) = &self.reason {
            body += &format!("Reason: {reason}\n");
        }
        format!(
            "Roll back {env} to {to}\n\n{body}\n{ROLLBACK_TRAILER}: {env} {from_id} -> {to}\n",
            env = self.environment,
            to = self.to.id,
        )
    }
}

/// The files `env` (as loaded from some commit) is made of.
fn files_of(env: &Environment) -> BTreeSet<String> {
    let mut files = BTreeSet::from([env.file.clone()]);
    for service in &env.services {
        files.insert(service.template_path.clone());
        if let Some(sd) = &service.service_definition {
            files.insert(sd.path.clone());
        }
    }
    files
}

/// What `deckhand rollback` needs to know, read from ECS and the repo.
pub struct Request<'a> {
    /// The config repo (for the older commit).
    pub location: &'a RepoLocation,
    /// The snapshot of the branch now.
    pub head: &'a Snapshot,
    /// The environment as the branch has it.
    pub env: &'a Environment,
    /// `vN`, when given.
    pub asked: Option<&'a str>,
    /// `--accept-schema`.
    pub accept_schema: bool,
    /// `--reason`.
    pub reason: Option<String>,
}

/// Pick the release, check the schema, and compute the files as of its
/// commit with the revision recorded now.
pub async fn prepare<E: Ecs>(ecs: &E, request: Request<'_>) -> Result<Rollback, PromoteError> {
    let env = request.env;
    let live = crate::live::fetch(ecs, env).await?;
    let running = super::running_images(env, &live);
    let current_image = match running.len() {
        1 => running.into_iter().next().unwrap_or_default(),
        _ => env.image.clone(),
    };
    let (history, to) = super::pick_from_history(ecs, &env.name, |history| {
        target(&env.name, history, &current_image, request.asked).cloned()
    })
    .await?;
    let keep = schema(
        &env.name,
        &to,
        live.recorded_revision.as_deref(),
        request.accept_schema,
    )?;
    let commit = to.release.commit.clone().unwrap_or_default();
    let failed = |source: spec::SpecError| PromoteError::OldCommit {
        environment: env.name.clone(),
        id: to.id.clone(),
        commit: commit.clone(),
        source: Box::new(source),
    };
    let location = request.location.clone();
    let name = env.name.clone();
    let at = commit.clone();
    let (old_snapshot, old_env) = tokio::task::spawn_blocking(move || {
        let snapshot = Snapshot::open_at(&location, Some(&at))?;
        let env = spec::load(&snapshot, &name)?;
        Ok::<_, spec::SpecError>((snapshot, env))
    })
    .await
    .expect("snapshot task panicked")
    .map_err(failed)?;
    let files = restored_files(request.head, &old_snapshot, &old_env, keep.as_deref()).map_err(
        |e| match e {
            Restore::Read(e) => failed(spec::SpecError::Source(e)),
            Restore::Edit(file, source) => PromoteError::Edit { file, source },
        },
    )?;
    let edited = files.iter().find(|f| f.path == old_env.file).map_or_else(
        || old_snapshot.read(&old_env.file).unwrap_or_default(),
        |f| f.content.clone(),
    );
    let restored = spec::load_text(&old_snapshot, &env.name, &edited).map_err(failed)?;
    let mut warnings = Vec::new();
    warnings.extend(shared_files(request.head, &env.name, &files));
    Ok(Rollback {
        environment: env.name.clone(),
        from: history.first().cloned(),
        to,
        from_image: current_image,
        files,
        env: restored,
        warnings,
        reason: request.reason,
    })
}

/// Why a file could not be restored.
enum Restore {
    /// Reading it at the old commit failed.
    Read(crate::source::SourceError),
    /// Its revision could not be set.
    Edit(String, crate::spec::edit::EditError),
}

/// The files of `old_env` as the old commit has them, the environment file
/// with `keep` as its migration revision; only those that differ from the
/// branch's.
fn restored_files(
    head: &Snapshot,
    old: &Snapshot,
    old_env: &Environment,
    keep: Option<&str>,
) -> Result<Vec<FileChange>, Restore> {
    let mut files = Vec::new();
    for path in files_of(old_env) {
        let mut content = old.read(&path).map_err(Restore::Read)?;
        if path == old_env.file
            && let (Some(revision), Some(_)) = (keep, &old_env.migration)
        {
            let field = FieldPath::keys(&["migration", "revision"]);
            content = set_scalar(&content, &field, revision)
                .map_err(|source| Restore::Edit(path.clone(), source))?;
        }
        if head.read(&path).ok().as_deref() != Some(content.as_str()) {
            files.push(FileChange { path, content });
        }
    }
    Ok(files)
}

/// Files the rollback changes that other environments of the branch name
/// too: they change there as well.
fn shared_files(head: &Snapshot, environment: &str, files: &[FileChange]) -> Vec<String> {
    let changed: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut out = Vec::new();
    for other in head.environment_names().unwrap_or_default() {
        if other == environment {
            continue;
        }
        let Ok(env) = spec::load(head, &other) else {
            continue;
        };
        let shared: Vec<String> = files_of(&env)
            .into_iter()
            .filter(|f| changed.contains(f.as_str()))
            .collect();
        if !shared.is_empty() {
            out.push(format!(
                "{} {} used by {other} too: the rollback changes {} there as well (its next plan shows it)",
                shared.join(", "),
                if shared.len() == 1 { "is" } else { "are" },
                if shared.len() == 1 { "it" } else { "them" },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Release, ReleaseKind};

    fn recorded(id: &str, image: &str, result: &str, revision: &str) -> Recorded {
        Recorded {
            id: id.into(),
            release: Release {
                kind: ReleaseKind::Release,
                started: "2026-12-01T10:00:00Z".into(),
                finished: "2026-12-01T10:05:00Z".into(),
                commit: Some(format!("{id}0000000000000000")),
                image: format!("registry/shop:{image}"),
                revision: Some(revision.into()),
                migrated: false,
                result: result.into(),
                reason: None,
                by: "ci".into(),
            },
        }
    }

    fn history() -> Vec<Recorded> {
        vec![
            recorded("v5", "e5", "succeeded", "3"),
            recorded("v4", "e5", "succeeded", "3"),
            recorded("v3", "d4", "rolled-back", "3"),
            recorded("v2", "c3", "succeeded", "2"),
            recorded("v1", "b2", "succeeded", "1"),
        ]
    }

    #[test]
    fn the_default_target_is_the_newest_success_with_another_image() {
        let h = history();
        // v4 redeployed the same image (a config change): skipped, as is v3.
        let t = target("production", &h, "registry/shop:e5", None).unwrap();
        assert_eq!(t.id, "v2");
        assert_eq!(
            target("production", &h, "registry/shop:e5", Some("v1"))
                .unwrap()
                .id,
            "v1"
        );
        let e = target("production", &h, "registry/shop:e5", Some("v3")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("production v3 did not succeed (rolled-back)"),
            "{e}"
        );
        let e = target("production", &h, "registry/shop:e5", Some("v8")).unwrap_err();
        assert!(
            e.to_string().starts_with("production has no release v8"),
            "{e}"
        );
        let e = target("production", &h[..2], "registry/shop:e5", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "production has no release that succeeded with another image than registry/shop:e5 to roll back to: name one with `deckhand rollback production vN` (see `deckhand history --env production`)"
        );
    }

    #[test]
    fn an_older_schema_needs_accept_schema_and_the_recorded_revision_is_kept() {
        let h = history();
        let v2 = &h[3];
        let e = schema("production", v2, Some("3"), false).unwrap_err();
        assert!(
            e.to_string().starts_with("production v2 ran schema revision 2, older than the recorded 3: its image would run against the newer schema"),
            "{e}"
        );
        assert!(e.to_string().contains("--accept-schema"), "{e}");
        assert_eq!(
            schema("production", v2, Some("3"), true)
                .unwrap()
                .as_deref(),
            Some("3")
        );
        assert_eq!(
            schema("production", &h[1], Some("3"), false)
                .unwrap()
                .as_deref(),
            Some("3")
        );
        assert_eq!(
            schema("production", v2, None, false).unwrap().as_deref(),
            Some("2")
        );
    }

    #[test]
    fn a_release_without_a_commit_cannot_be_restored() {
        let mut h = history();
        h[3].release.commit = None;
        let e = target("production", &h, "registry/shop:e5", None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("production v2 was released from a plain directory"),
            "{e}"
        );
    }
}
