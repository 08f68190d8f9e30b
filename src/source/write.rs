//! Commits deckhand writes to the config repo (`promote`, `rollback`): new
//! contents for a few files on top of the commit they were computed from.
//!
//! A local repository gets the commit on its checked-out branch, its work
//! tree and index updated for those files only (other staged or unstaged
//! work is left as it is); a file with uncommitted changes is refused. A git
//! URL gets the commit pushed to its branch, fast-forward only: a branch
//! that moved since the fetch is [`WriteError::Moved`], and the caller
//! fetches, computes its change again and retries. Nothing is ever forced.
//!
//! Blocking I/O (libgit2); async callers run it in `spawn_blocking`.

use super::sign::{CommitSigner, SignError};
use super::{RepoLocation, auth, cache_path, is_git_url, open_local, short_sha};
use git2::{Oid, Repository, Signature};
use std::cell::RefCell;
use std::rc::Rc;

/// The author (and committer) of deckhand's commits when neither
/// `--git-author` nor `DECKHAND_GIT_AUTHOR` says and the repository's git
/// config names nobody.
pub const DEFAULT_AUTHOR: &str = "deckhand <deckhand@localhost>";

/// One file's new content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Repo-relative path.
    pub path: String,
    /// Its whole new text.
    pub content: String,
}

/// A commit to write.
#[derive(Debug, Clone)]
pub struct NewCommit {
    /// The commit the changes were computed from (the snapshot's).
    pub parent: String,
    /// The message, trailers included.
    pub message: String,
    /// `Name <email>`; None = the repository's git config, else
    /// [`DEFAULT_AUTHOR`].
    pub author: Option<String>,
    /// The key that signs it (`--sign-with`); None = unsigned.
    pub signer: Option<std::sync::Arc<CommitSigner>>,
    /// What changes.
    pub files: Vec<FileChange>,
}

/// Where the commit went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its SHA.
    pub commit: String,
    /// The branch it is on.
    pub branch: String,
    /// Whether it was pushed to a git URL (else committed locally).
    pub pushed: bool,
}

/// "commit 5be2f0c1d9a3 pushed to main" / "… committed on main".
impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "commit {} {} {}",
            short_sha(&self.commit),
            if self.pushed {
                "pushed to"
            } else {
                "committed on"
            },
            self.branch
        )
    }
}

/// Why a commit could not be written. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The config repo is a plain directory.
    #[error(
        "{repo} is a plain directory, not a git repository: deckhand writes its change as a commit; make it a git repository (git init) or pass the git URL"
    )]
    NotGit {
        /// The path.
        repo: String,
    },
    /// The local repository has no branch checked out.
    #[error(
        "{repo}: no branch is checked out (detached HEAD): check out the branch the environments are released from"
    )]
    Detached {
        /// The path.
        repo: String,
    },
    /// `--ref` names another branch than the checked-out one.
    #[error(
        "{repo}: --ref {asked} is not the checked-out branch {branch}: a local repository gets the commit on its checked-out branch; check {asked} out, or leave --ref out"
    )]
    OtherBranch {
        /// The path.
        repo: String,
        /// `--ref`.
        asked: String,
        /// The checked-out branch.
        branch: String,
    },
    /// A file to change has uncommitted changes.
    #[error("{path} has uncommitted changes: commit or stash them first; deckhand changed nothing")]
    Uncommitted {
        /// The file.
        path: String,
    },
    /// The branch moved since the change was computed.
    #[error(
        "the branch {branch} moved since {} was read (someone pushed): read it again and retry",
        short_sha(.read)
    )]
    Moved {
        /// The branch.
        branch: String,
        /// The commit that was read.
        read: String,
    },
    /// `--git-author` is not `Name <email>`.
    #[error(
        "git author {given:?} is not `Name <email>`: e.g. --git-author \"Release Bot <release@example.com>\""
    )]
    BadAuthor {
        /// What was given.
        given: String,
    },
    /// The server refused the push (branch protection, permissions, …).
    #[error("{url}: the push of {branch} was refused: {why}")]
    Refused {
        /// The repo URL.
        url: String,
        /// The branch.
        branch: String,
        /// What the server said.
        why: String,
    },
    /// A git operation failed.
    #[error("{context}: {source}")]
    Git {
        /// What was being done.
        context: String,
        /// libgit2's error.
        #[source]
        source: git2::Error,
    },
    /// The commit could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Writing a work-tree file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> WriteError {
    let context = context.into();
    move |source| WriteError::Git { context, source }
}

/// `Name <email>` (`--git-author`, `DECKHAND_GIT_AUTHOR`) as a signature
/// made now; checked before anything is read.
pub fn parse_author(given: &str) -> Result<Signature<'static>, WriteError> {
    let bad = || WriteError::BadAuthor {
        given: given.to_owned(),
    };
    let (name, rest) = given.split_once('<').ok_or_else(bad)?;
    let email = rest.trim_end().strip_suffix('>').ok_or_else(bad)?.trim();
    let name = name.trim();
    if name.is_empty() || email.is_empty() || email.contains(['<', '>']) || !email.contains('@') {
        return Err(bad());
    }
    Signature::now(name, email).map_err(|_| bad())
}

/// The author given, else the repository's git config, else [`DEFAULT_AUTHOR`].
fn signature(repo: &Repository, author: Option<&str>) -> Result<Signature<'static>, WriteError> {
    match author {
        Some(given) => parse_author(given),
        None => match repo.signature() {
            Ok(sig) => Ok(sig.to_owned()),
            Err(_) => parse_author(DEFAULT_AUTHOR),
        },
    }
}

/// Write `commit` to the repo `loc` names.
pub fn write(loc: &RepoLocation, commit: &NewCommit) -> Result<Written, WriteError> {
    if is_git_url(&loc.repo) {
        push(loc, commit)
    } else {
        commit_locally(loc, commit)
    }
}

/// The tree of `parent` with `files` replaced.
fn updated_tree(
    repo: &Repository,
    parent: &git2::Commit<'_>,
    files: &[FileChange],
) -> Result<Oid, WriteError> {
    let mut update = git2::build::TreeUpdateBuilder::new();
    for file in files {
        let blob = repo
            .blob(file.content.as_bytes())
            .map_err(git(format!("{}: writing the blob", file.path)))?;
        update.upsert(&file.path, blob, git2::FileMode::Blob);
    }
    let tree = parent.tree().map_err(git("reading the parent tree"))?;
    update
        .create_updated(repo, &tree)
        .map_err(git("building the new tree"))
}

fn commit_locally(loc: &RepoLocation, commit: &NewCommit) -> Result<Written, WriteError> {
    let repo = open_local(&loc.repo).map_err(|_| WriteError::NotGit {
        repo: loc.repo.clone(),
    })?;
    let branch = checked_out_branch(&repo, loc)?;
    let tip = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(git(format!("{}: reading {branch}", loc.repo)))?;
    if tip.id().to_string() != commit.parent {
        return Err(WriteError::Moved {
            branch,
            read: commit.parent.clone(),
        });
    }
    refuse_uncommitted(&repo, &commit.files)?;
    let tree = updated_tree(&repo, &tip, &commit.files)?;
    let tree = repo.find_tree(tree).map_err(git("reading the new tree"))?;
    let context = format!("{}: committing on {branch}", loc.repo);
    let oid = create(&repo, commit, &tree, &tip, &context)?;
    // Only if the branch still points where it was read (no force).
    repo.reference_matching(
        &format!("refs/heads/{branch}"),
        oid,
        true,
        tip.id(),
        "deckhand: commit",
    )
    .map_err(|e| match e.code() {
        git2::ErrorCode::Modified => WriteError::Moved {
            branch: branch.clone(),
            read: commit.parent.clone(),
        },
        _ => git(format!("{}: moving {branch}", loc.repo))(e),
    })?;
    if let Some(workdir) = repo.workdir() {
        // The files were unchanged: writing the new text and staging it is
        // checking the new commit out, for them alone.
        let mut index = repo.index().map_err(git("reading the index"))?;
        for file in &commit.files {
            let path = workdir.join(&file.path);
            std::fs::write(&path, &file.content).map_err(|source| WriteError::Io {
                path: path.display().to_string(),
                source,
            })?;
            index
                .add_path(std::path::Path::new(&file.path))
                .map_err(git(format!("{}: staging", file.path)))?;
        }
        index.write().map_err(git("writing the index"))?;
    }
    Ok(Written {
        commit: oid.to_string(),
        branch,
        pushed: false,
    })
}

/// The branch checked out in the local repository, which must be the one
/// `--ref` names, if it names one.
fn checked_out_branch(repo: &Repository, loc: &RepoLocation) -> Result<String, WriteError> {
    let head = repo
        .head()
        .map_err(git(format!("{}: reading HEAD", loc.repo)))?;
    let branch = match head.shorthand() {
        Ok(name) if head.is_branch() => name.to_owned(),
        _ => {
            return Err(WriteError::Detached {
                repo: loc.repo.clone(),
            });
        }
    };
    if let Some(asked) = &loc.git_ref
        && asked != &branch
        && asked != &format!("refs/heads/{branch}")
    {
        return Err(WriteError::OtherBranch {
            repo: loc.repo.clone(),
            asked: asked.clone(),
            branch,
        });
    }
    Ok(branch)
}

/// A file to change must have no uncommitted changes in the work tree.
fn refuse_uncommitted(repo: &Repository, files: &[FileChange]) -> Result<(), WriteError> {
    if repo.is_bare() {
        return Ok(());
    }
    for file in files {
        let status = repo
            .status_file(std::path::Path::new(&file.path))
            .unwrap_or(git2::Status::CURRENT);
        if !(status.is_empty() || status == git2::Status::CURRENT) {
            return Err(WriteError::Uncommitted {
                path: file.path.clone(),
            });
        }
    }
    Ok(())
}

/// Write the commit object of `commit` (tree `tree`, on `parent`), signed
/// when it has a signer; no reference is moved. `context` words a git error.
fn create(
    repo: &Repository,
    commit: &NewCommit,
    tree: &git2::Tree<'_>,
    parent: &git2::Commit<'_>,
    context: &str,
) -> Result<Oid, WriteError> {
    let sig = signature(repo, commit.author.as_deref())?;
    let Some(signer) = &commit.signer else {
        return repo
            .commit(None, &sig, &sig, &commit.message, tree, &[parent])
            .map_err(git(context));
    };
    let content = repo
        .commit_create_buffer(&sig, &sig, &commit.message, tree, &[parent])
        .map_err(git(context))?;
    let armored = signer.sign(&content)?;
    let content = std::str::from_utf8(&content).expect("a commit of UTF-8 text is UTF-8");
    repo.commit_signed(content, &armored, None)
        .map_err(git(context))
}

/// The branch of the cached clone that `--ref` (or the remote's default
/// branch) names.
fn remote_branch(repo: &Repository, git_ref: Option<&str>) -> Option<String> {
    match git_ref {
        Some(r) => {
            let name = r.strip_prefix("refs/heads/").unwrap_or(r);
            repo.find_reference(&format!("refs/remotes/origin/{name}"))
                .ok()
                .map(|_| name.to_owned())
        }
        None => repo
            .find_reference("refs/remotes/origin/HEAD")
            .ok()
            .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_owned))
            .and_then(|t| t.strip_prefix("refs/remotes/origin/").map(str::to_owned))
            .or_else(|| {
                ["main", "master"].into_iter().map(str::to_owned).find(|b| {
                    repo.find_reference(&format!("refs/remotes/origin/{b}"))
                        .is_ok()
                })
            }),
    }
}

fn push(loc: &RepoLocation, commit: &NewCommit) -> Result<Written, WriteError> {
    let url = &loc.repo;
    let repo = Repository::open_bare(cache_path(&loc.cache_dir, url))
        .map_err(git(format!("{url}: opening the cached clone")))?;
    let branch =
        remote_branch(&repo, loc.git_ref.as_deref()).ok_or_else(|| WriteError::Refused {
            url: url.clone(),
            branch: loc.git_ref.clone().unwrap_or_else(|| "HEAD".into()),
            why: "that is not a branch of the remote (a tag or a commit cannot be pushed to)"
                .into(),
        })?;
    let parent = Oid::from_str(&commit.parent)
        .and_then(|oid| repo.find_commit(oid))
        .map_err(git(format!("{url}: reading {}", commit.parent)))?;
    let tree = updated_tree(&repo, &parent, &commit.files)?;
    let tree = repo.find_tree(tree).map_err(git("reading the new tree"))?;
    let oid = create(&repo, commit, &tree, &parent, &format!("{url}: committing"))?;
    let mut remote = repo
        .find_remote("origin")
        .map_err(git(format!("{url}: the cache has no origin")))?;
    let attempts = Rc::new(RefCell::new(auth::Attempts::default()));
    let rejected: Rc<RefCell<Option<String>>> = Rc::default();
    let mut callbacks = auth::callbacks(&loc.auth, url, attempts);
    let seen = rejected.clone();
    callbacks.push_update_reference(move |_, status| {
        if let Some(why) = status {
            *seen.borrow_mut() = Some(why.to_owned());
        }
        Ok(())
    });
    let mut options = git2::PushOptions::new();
    options.remote_callbacks(callbacks);
    // No `+`: the server takes it only as a fast-forward.
    let refspec = format!("{oid}:refs/heads/{branch}");
    let pushed = remote.push(&[refspec.as_str()], Some(&mut options));
    let rejection = rejected.borrow().clone();
    match (pushed, rejection) {
        (Ok(()), None) => {}
        (Err(e), _) if is_not_fast_forward(&e) => {
            return Err(WriteError::Moved {
                branch,
                read: commit.parent.clone(),
            });
        }
        (Ok(()), Some(why)) if why.contains("fast-forward") || why.contains("fetch first") => {
            return Err(WriteError::Moved {
                branch,
                read: commit.parent.clone(),
            });
        }
        (Ok(()), Some(why)) => {
            return Err(WriteError::Refused {
                url: url.clone(),
                branch,
                why,
            });
        }
        (Err(source), _) => {
            return Err(WriteError::Git {
                context: format!("{url}: pushing {branch}"),
                source,
            });
        }
    }
    // The cache knows its own push: the next read sees the commit at once.
    let _ = repo.reference(
        &format!("refs/remotes/origin/{branch}"),
        oid,
        true,
        "deckhand: pushed",
    );
    Ok(Written {
        commit: oid.to_string(),
        branch,
        pushed: true,
    })
}

/// libgit2's local and smart transports say a push was not a fast-forward
/// with this class and code.
fn is_not_fast_forward(e: &git2::Error) -> bool {
    e.code() == git2::ErrorCode::NotFastForward
        || (e.class() == git2::ErrorClass::Reference && e.message().contains("fast-forward"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{GitAuth, Snapshot};
    use std::path::Path;
    use std::process::Command;

    fn run_git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A bare repository with one commit on main, and a work clone of it.
    fn remote() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("config.git");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        run_git(
            dir.path(),
            &["init", "-q", "--bare", bare.to_str().unwrap()],
        );
        run_git(&bare, &["symbolic-ref", "HEAD", "refs/heads/main"]);
        run_git(&work, &["init", "-q", "-b", "main"]);
        std::fs::write(work.join("a.yaml"), "image: one\n").unwrap();
        run_git(&work, &["add", "-A"]);
        run_git(&work, &["commit", "-q", "-m", "first"]);
        run_git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
        let url = format!("file://{}", bare.display());
        (dir, url)
    }

    fn location(dir: &Path, url: &str) -> RepoLocation {
        RepoLocation {
            repo: url.to_owned(),
            git_ref: None,
            cache_dir: dir.join("cache"),
            auth: GitAuth::default(),
            trust: None,
        }
    }

    fn change(parent: &str, text: &str) -> NewCommit {
        NewCommit {
            parent: parent.to_owned(),
            message: "Promote\n\nDeckhand-Promote: a v1 -> b\n".into(),
            author: Some("Release Bot <release@example.com>".into()),
            signer: None,
            files: vec![FileChange {
                path: "a.yaml".into(),
                content: text.into(),
            }],
        }
    }

    #[test]
    fn a_push_is_fast_forward_only_and_a_moved_branch_is_said_to_have_moved() {
        let (dir, url) = remote();
        let loc = location(dir.path(), &url);
        let read = Snapshot::open(&loc).unwrap();
        let parent = read.commit().unwrap().to_owned();
        // Someone pushes after deckhand read the branch.
        let work = dir.path().join("work");
        std::fs::write(work.join("b.yaml"), "x: 1\n").unwrap();
        run_git(&work, &["add", "-A"]);
        run_git(&work, &["commit", "-q", "-m", "theirs"]);
        run_git(&work, &["push", "-q", &url, "main"]);
        let theirs = run_git(&work, &["rev-parse", "HEAD"]);

        match write(&loc, &change(&parent, "image: two\n")) {
            Err(WriteError::Moved { branch, read }) => {
                assert_eq!((branch.as_str(), read.as_str()), ("main", parent.as_str()))
            }
            other => panic!("expected Moved, got {other:?}"),
        }
        let bare = dir.path().join("config.git");
        assert_eq!(
            run_git(&bare, &["rev-parse", "main"]),
            theirs,
            "nothing forced"
        );

        // Read again, written on top of theirs.
        let again = Snapshot::open(&loc).unwrap();
        let written = write(&loc, &change(again.commit().unwrap(), "image: two\n")).unwrap();
        assert!(written.pushed);
        assert_eq!(run_git(&bare, &["rev-parse", "main"]), written.commit);
        assert_eq!(run_git(&bare, &["rev-parse", "main~1"]), theirs);
        assert_eq!(run_git(&bare, &["show", "main:a.yaml"]), "image: two");
        assert_eq!(
            run_git(&bare, &["show", "main:b.yaml"]),
            "x: 1",
            "their file kept"
        );
        assert_eq!(
            run_git(&bare, &["log", "-1", "--format=%an <%ae>", "main"]),
            "Release Bot <release@example.com>"
        );
    }

    /// An allowed-signers file with the test key, for `git verify-commit`
    /// and for deckhand's own check.
    fn allowed_signers(dir: &Path) -> (std::path::PathBuf, crate::source::trust::Trust) {
        let text = format!(
            "release@example.com {}",
            crate::source::sign::tests::TEST_KEY_PUB
        );
        let path = dir.join("allowed_signers");
        std::fs::write(&path, &text).unwrap();
        let trust = crate::source::trust::Trust::parse("allowed_signers", &text).unwrap();
        (path, trust)
    }

    #[test]
    fn a_signed_commit_verifies_with_git_and_with_deckhand_pushed_or_local() {
        let signer = std::sync::Arc::new(
            CommitSigner::parse("key", crate::source::sign::tests::TEST_KEY).unwrap(),
        );
        let (dir, url) = remote();
        let (signers, trust) = allowed_signers(dir.path());
        let verify = |repo: &Path, rev: &str| {
            run_git(
                repo,
                &[
                    "-c",
                    &format!("gpg.ssh.allowedSignersFile={}", signers.display()),
                    "verify-commit",
                    rev,
                ],
            )
        };

        // Pushed to a git URL.
        let loc = location(dir.path(), &url);
        let read = Snapshot::open(&loc).unwrap();
        let mut commit = change(read.commit().unwrap(), "image: two\n");
        commit.signer = Some(signer.clone());
        let written = write(&loc, &commit).unwrap();
        let bare = dir.path().join("config.git");
        verify(&bare, &written.commit);
        let repo = Repository::open_bare(&bare).unwrap();
        assert_eq!(
            crate::source::trust::check(&trust, &repo, &written.commit).unwrap(),
            "release@example.com"
        );

        // Committed locally: the branch moves, the work tree follows.
        let work = dir.path().join("work");
        let local = location(dir.path(), work.to_str().unwrap());
        let head = run_git(&work, &["rev-parse", "HEAD"]);
        let mut commit = change(&head, "image: three\n");
        commit.signer = Some(signer);
        let written = write(&local, &commit).unwrap();
        assert_eq!(run_git(&work, &["rev-parse", "HEAD"]), written.commit);
        assert_eq!(run_git(&work, &["rev-parse", "HEAD~1"]), head);
        verify(&work, "HEAD");
        assert_eq!(
            std::fs::read_to_string(work.join("a.yaml")).unwrap(),
            "image: three\n"
        );
        assert_eq!(run_git(&work, &["status", "--porcelain"]), "");
        let repo = Repository::open(&work).unwrap();
        assert!(crate::source::trust::check(&trust, &repo, &written.commit).is_ok());
        // An unsigned one is not.
        let unsigned = write(&local, &change(&written.commit, "image: four\n")).unwrap();
        assert!(crate::source::trust::check(&trust, &repo, &unsigned.commit).is_err());
    }

    #[test]
    fn authors_are_name_and_email() {
        assert!(parse_author("Release Bot <release@example.com>").is_ok());
        for bad in [
            "release@example.com",
            "Bot <>",
            "<a@b>",
            "Bot <a@b",
            "Bot <nobody>",
        ] {
            let Err(e) = parse_author(bad) else {
                panic!("{bad} was taken")
            };
            assert!(
                e.to_string().contains("is not `Name <email>`"),
                "{bad}: {e}"
            );
        }
    }
}
