//! Where a config repo's files come from: a plain directory, a local git
//! repository, or a git URL cloned once into the cache directory and fetched
//! afterwards.
//!
//! A [`Snapshot`] is one immutable view of the repo: for git, the tree of one
//! resolved commit (read straight from the object database, so uncommitted
//! edits and concurrent fetches cannot tear it); for a plain directory, the
//! files as they are. Every path handed to [`Snapshot::read`] is first checked
//! by [`Snapshot::resolve`] to stay inside the repo, symlinks included.
//!
//! This module does blocking I/O (libgit2); async callers run it in
//! `spawn_blocking`.

pub mod auth;
pub mod sign;
pub mod trust;
pub mod write;

pub use auth::GitAuth;
use git2::{FetchOptions, ObjectType, Oid, Repository, RepositoryOpenFlags};
use std::cell::RefCell;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Errors reading the config repo.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The path is absolute, climbs out of the repo, or a symlink leads out.
    #[error("{path}: {reason}")]
    OutsideRepo { path: String, reason: String },
    /// The file does not exist in the snapshot.
    #[error("{path}: no such file in the config repo{at}", at = at_commit(.commit))]
    NotFound {
        path: String,
        commit: Option<String>,
    },
    /// Reading a file of a plain-directory repo failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A git operation failed.
    #[error("{context}: {source}")]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },
    /// The git server refused what deckhand signed in with (or its host key).
    #[error("{url}: {advice}")]
    GitAuth {
        /// The repo URL.
        url: String,
        /// What was refused and what to do.
        advice: String,
        /// libgit2's error (shown with `-v`).
        #[source]
        source: git2::Error,
    },
    /// A file is not UTF-8 text.
    #[error("{path}: not UTF-8 text")]
    NotText { path: String },
    /// A file was expected, and the path is a directory.
    #[error("{path} is a directory, not a file")]
    IsDirectory { path: String },
    /// `--trust`: the commit is not signed by a trusted key.
    #[error(transparent)]
    Untrusted(#[from] trust::Untrusted),
}

fn at_commit(commit: &Option<String>) -> String {
    commit
        .as_deref()
        .map(|c| format!(" at commit {}", short_sha(c)))
        .unwrap_or_default()
}

/// The first 12 characters of a commit SHA, for messages.
pub fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> SourceError {
    let context = context.into();
    move |source| SourceError::Git { context, source }
}

/// How to find the config repo: what `--repo`, `--ref` and `--cache-dir` said.
#[derive(Debug, Clone)]
pub struct RepoLocation {
    /// A local path, or a git URL.
    pub repo: String,
    /// Branch, tag or commit; None = the default (see the contract).
    pub git_ref: Option<String>,
    /// Where git URLs are cloned.
    pub cache_dir: PathBuf,
    /// How to sign in to the git server.
    pub auth: GitAuth,
    /// `--trust`: only commits signed by these keys are read.
    pub trust: Option<std::sync::Arc<trust::Trust>>,
}

/// A config commit as people know it: its first line, author and time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    /// The full SHA.
    pub sha: String,
    /// The first line of its message.
    pub summary: String,
    /// The author's name.
    pub author: String,
    /// When it was committed (seconds since the Unix epoch).
    pub time: i64,
}

/// One immutable view of the config repo.
pub struct Snapshot {
    /// The resolved commit SHA; None for a plain directory.
    commit: Option<String>,
    content: Content,
    /// Non-fatal remarks for the user (e.g. uncommitted changes ignored).
    pub warnings: Vec<String>,
    /// Who signed the commit, when `--trust` checked it.
    signer: Option<String>,
}

enum Content {
    Dir(PathBuf),
    Git { repo: Repository, tree: Oid },
}

/// Is `repo` a git URL rather than a local path?
pub fn is_git_url(repo: &str) -> bool {
    ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .any(|p| repo.starts_with(p))
        || (repo.contains('@') && repo.contains(':') && !Path::new(repo).exists())
}

impl Snapshot {
    /// Open the repo described by `loc`: fetch (or clone) a URL, resolve the ref.
    pub fn open(loc: &RepoLocation) -> Result<Snapshot, SourceError> {
        let head = resolve_head(loc)?;
        let mut snapshot = Snapshot::open_at(loc, head.commit.as_deref())?;
        snapshot.warnings = head.warnings;
        Ok(snapshot)
    }

    /// Open `commit` (already fetched by [`resolve_head`]) without fetching;
    /// None reads a plain directory as it is.
    pub fn open_at(loc: &RepoLocation, commit: Option<&str>) -> Result<Snapshot, SourceError> {
        let Some(commit) = commit else {
            if loc.trust.is_some() {
                return Err(trust::Untrusted::PlainDirectory {
                    repo: loc.repo.clone(),
                }
                .into());
            }
            let root =
                PathBuf::from(&loc.repo)
                    .canonicalize()
                    .map_err(|source| SourceError::Io {
                        path: loc.repo.clone(),
                        source,
                    })?;
            return Ok(Snapshot {
                commit: None,
                content: Content::Dir(root),
                warnings: Vec::new(),
                signer: None,
            });
        };
        let repo = if is_git_url(&loc.repo) {
            Repository::open_bare(cache_path(&loc.cache_dir, &loc.repo))
                .map_err(git(format!("{}: opening the cached clone", loc.repo)))?
        } else {
            open_local(&loc.repo).map_err(git(format!("{}: opening the repository", loc.repo)))?
        };
        let oid = Oid::from_str(commit).map_err(git(format!("{commit}: not a commit id")))?;
        let signer = match &loc.trust {
            Some(trust) => Some(trust::check(trust, &repo, commit)?),
            None => None,
        };
        let mut snapshot = Snapshot::from_commit(repo, oid, Vec::new())?;
        snapshot.signer = signer;
        Ok(snapshot)
    }

    fn from_commit(
        repo: Repository,
        commit: Oid,
        warnings: Vec<String>,
    ) -> Result<Snapshot, SourceError> {
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(git(format!("reading commit {commit}")))?
            .id();
        Ok(Snapshot {
            commit: Some(commit.to_string()),
            content: Content::Git { repo, tree },
            warnings,
            signer: None,
        })
    }

    /// The commit SHA this snapshot reads, or None for a plain directory.
    pub fn commit(&self) -> Option<&str> {
        self.commit.as_deref()
    }

    /// Who signed the commit (the principals of the SSH key, or the OpenPGP
    /// key's user id), when `--trust` checked it; None without `--trust`.
    pub fn signer(&self) -> Option<&str> {
        self.signer.as_deref()
    }

    /// Who wrote the commit this snapshot reads, when and why; None for a
    /// plain directory.
    pub fn commit_info(&self) -> Option<CommitInfo> {
        let (Content::Git { repo, .. }, Some(sha)) = (&self.content, &self.commit) else {
            return None;
        };
        let commit = repo.find_commit(Oid::from_str(sha).ok()?).ok()?;
        Some(CommitInfo {
            sha: sha.clone(),
            summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .into_owned(),
            author: String::from_utf8_lossy(commit.author().name_bytes()).into_owned(),
            time: commit.time().seconds(),
        })
    }

    /// What the commit this snapshot reads is, by its trailers: a release,
    /// or a commit `promote` or `rollback` wrote. A plain directory is a
    /// release.
    pub fn release_kind(&self) -> crate::history::ReleaseKind {
        let message = match (&self.content, &self.commit) {
            (Content::Git { repo, .. }, Some(sha)) => Oid::from_str(sha)
                .and_then(|oid| repo.find_commit(oid))
                .map(|c| String::from_utf8_lossy(c.message_bytes()).into_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        crate::history::ReleaseKind::of_commit_message(&message)
    }

    /// Check that `path` (as written in a spec) stays inside the repo, following
    /// symlinks, and return its normalized repo-relative form.
    pub fn resolve(&self, path: &str) -> Result<String, SourceError> {
        let outside = |reason: &str| SourceError::OutsideRepo {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        if path.is_empty() {
            return Err(outside("empty path"));
        }
        if Path::new(path).is_absolute() || path.starts_with('/') || path.starts_with('\\') {
            return Err(outside(
                "absolute paths are not allowed; write it relative to the repo root",
            ));
        }
        let lexical = normalize_lexically(path)
            .ok_or_else(|| outside("the path climbs out of the repo with '..'"))?;
        match &self.content {
            Content::Dir(root) => {
                let full = root.join(&lexical);
                match full.canonicalize() {
                    Ok(real) if real.starts_with(root) => Ok(lexical),
                    Ok(_) => Err(outside("a symlink leads out of the repo")),
                    // Missing files are reported by `read`, with the path.
                    Err(_) => Ok(lexical),
                }
            }
            Content::Git { repo, tree } => resolve_in_tree(repo, *tree, &lexical, 0)
                .map_err(|reason| outside(&reason))
                .map(|p| p.unwrap_or(lexical)),
        }
    }

    /// Read a repo-relative file (resolve it first) as UTF-8 text.
    pub fn read(&self, path: &str) -> Result<String, SourceError> {
        let resolved = self.resolve(path)?;
        let not_found = || SourceError::NotFound {
            path: path.to_owned(),
            commit: self.commit.clone(),
        };
        let bytes = match &self.content {
            Content::Dir(root) => match std::fs::read(root.join(&resolved)) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
                Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => {
                    return Err(SourceError::IsDirectory {
                        path: path.to_owned(),
                    });
                }
                Err(source) => {
                    return Err(SourceError::Io {
                        path: path.to_owned(),
                        source,
                    });
                }
            },
            Content::Git { repo, tree } => {
                let tree = repo.find_tree(*tree).map_err(git("reading tree"))?;
                let entry = tree
                    .get_path(Path::new(&resolved))
                    .map_err(|_| not_found())?;
                let object = entry
                    .to_object(repo)
                    .map_err(git(format!("reading {path}")))?;
                match object.into_blob() {
                    Ok(blob) => blob.content().to_vec(),
                    Err(object) if object.kind() == Some(git2::ObjectType::Tree) => {
                        return Err(SourceError::IsDirectory {
                            path: path.to_owned(),
                        });
                    }
                    Err(_) => return Err(not_found()),
                }
            }
        };
        String::from_utf8(bytes).map_err(|_| SourceError::NotText {
            path: path.to_owned(),
        })
    }

    /// The environment names: stems of `environments/*.yaml`, sorted.
    pub fn environment_names(&self) -> Result<Vec<String>, SourceError> {
        let mut names: Vec<String> = match &self.content {
            Content::Dir(root) => {
                let dir = root.join("environments");
                match std::fs::read_dir(&dir) {
                    Ok(entries) => entries
                        .filter_map(|e| e.ok())
                        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                        .collect(),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                    Err(source) => {
                        return Err(SourceError::Io {
                            path: "environments".into(),
                            source,
                        });
                    }
                }
            }
            Content::Git { repo, tree } => {
                let tree = repo.find_tree(*tree).map_err(git("reading tree"))?;
                match tree.get_path(Path::new("environments")) {
                    Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                        let sub = repo
                            .find_tree(entry.id())
                            .map_err(git("reading environments/"))?;
                        sub.iter()
                            .filter_map(|e| e.name().ok().map(str::to_owned))
                            .collect()
                    }
                    _ => Vec::new(),
                }
            }
        }
        .into_iter()
        .filter_map(|f| f.strip_suffix(".yaml").map(str::to_owned))
        .filter(|n| !n.is_empty() && !n.starts_with('.'))
        .collect();
        names.sort();
        Ok(names)
    }
}

/// The commit a location points at now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The commit SHA; None for a plain directory.
    pub commit: Option<String>,
    /// Non-fatal remarks (uncommitted changes ignored).
    pub warnings: Vec<String>,
}

fn open_local(path: &str) -> Result<Repository, git2::Error> {
    // Only a directory that is itself the top of a git work tree (or a bare
    // repo) is read as git; a plain folder nested in some other repo is not.
    Repository::open_ext(
        path,
        RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
}

/// Fetch a URL into the cache (clone the first time) and resolve the ref to a
/// commit; for a local repo, resolve the ref; for a plain directory, None.
pub fn resolve_head(loc: &RepoLocation) -> Result<Head, SourceError> {
    if is_git_url(&loc.repo) {
        let repo = fetch_into_cache(&loc.repo, &loc.cache_dir, &loc.auth)?;
        let commit = resolve_remote_ref(&repo, loc.git_ref.as_deref())?;
        return Ok(Head {
            commit: Some(commit.to_string()),
            warnings: Vec::new(),
        });
    }
    if !Path::new(&loc.repo).is_dir() {
        return Err(SourceError::NotFound {
            path: loc.repo.clone(),
            commit: None,
        });
    }
    match open_local(&loc.repo) {
        Ok(repo) => {
            let spec = loc.git_ref.as_deref().unwrap_or("HEAD");
            let commit = repo
                .revparse_single(spec)
                .and_then(|o| o.peel_to_commit())
                .map_err(git(format!("{}: resolving ref '{spec}'", loc.repo)))?
                .id();
            let mut warnings = Vec::new();
            if loc.git_ref.is_none() && has_uncommitted_changes(&repo) {
                warnings.push(format!(
                    "{}: uncommitted changes are ignored; reading commit {}",
                    loc.repo,
                    short_sha(&commit.to_string())
                ));
            }
            Ok(Head {
                commit: Some(commit.to_string()),
                warnings,
            })
        }
        Err(_) if loc.git_ref.is_some() => Err(SourceError::OutsideRepo {
            path: loc.repo.clone(),
            reason: "--ref needs a git repository, and this is a plain directory".into(),
        }),
        Err(_) => Ok(Head {
            commit: None,
            warnings: Vec::new(),
        }),
    }
}

/// Collapse `.` and `..` without touching the filesystem; None if `..` climbs out.
fn normalize_lexically(path: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// Follow symlinks stored in a git tree. Returns the final path (None when no
/// link was involved), or why the path leaves the repo.
fn resolve_in_tree(
    repo: &Repository,
    tree: Oid,
    path: &str,
    depth: u32,
) -> Result<Option<String>, String> {
    if depth > 16 {
        return Err("too many levels of symlinks".into());
    }
    let Ok(tree) = repo.find_tree(tree) else {
        return Ok(None);
    };
    let parts: Vec<&str> = path.split('/').collect();
    for i in 1..=parts.len() {
        let prefix = parts[..i].join("/");
        let Ok(entry) = tree.get_path(Path::new(&prefix)) else {
            return Ok(None); // missing: reported by `read`
        };
        if entry.filemode() == 0o120000 {
            let target = entry
                .to_object(repo)
                .ok()
                .and_then(|o| o.into_blob().ok())
                .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                .unwrap_or_default();
            if target.starts_with('/') {
                return Err("a symlink leads out of the repo".into());
            }
            let parent = parts[..i - 1].join("/");
            let rest = parts[i..].join("/");
            let joined = [parent.as_str(), target.as_str(), rest.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            let next = normalize_lexically(&joined)
                .ok_or_else(|| "a symlink leads out of the repo".to_string())?;
            return resolve_in_tree(repo, tree.id(), &next, depth + 1)
                .map(|p| Some(p.unwrap_or(next)));
        }
    }
    Ok(None)
}

fn has_uncommitted_changes(repo: &Repository) -> bool {
    if repo.is_bare() {
        return false;
    }
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).include_ignored(false);
    repo.statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false)
}

/// The cache folder of one URL: readable, unique, filesystem-safe.
fn cache_path(cache_dir: &Path, url: &str) -> PathBuf {
    let safe: String = url
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache_dir.join("repos").join(safe)
}

/// Clone `url` into the cache as a bare repo the first time, fetch afterwards.
pub fn fetch_into_cache(
    url: &str,
    cache_dir: &Path,
    auth: &GitAuth,
) -> Result<Repository, SourceError> {
    let path = cache_path(cache_dir, url);
    let repo = match Repository::open_bare(&path) {
        Ok(repo) => repo,
        Err(_) => {
            std::fs::create_dir_all(&path).map_err(|source| SourceError::Io {
                path: path.display().to_string(),
                source,
            })?;
            let repo = Repository::init_bare(&path)
                .map_err(git(format!("creating cache {}", path.display())))?;
            repo.remote("origin", url)
                .map_err(git(format!("{url}: adding remote")))?;
            repo
        }
    };
    {
        let mut remote = repo
            .find_remote("origin")
            .map_err(git(format!("{url}: cache has no origin")))?;
        let attempts = Rc::new(RefCell::new(auth::Attempts::default()));
        let mut options = FetchOptions::new();
        options.remote_callbacks(auth::callbacks(auth, url, attempts.clone()));
        options.prune(git2::FetchPrune::On);
        remote
            .fetch(
                &[
                    "+refs/heads/*:refs/remotes/origin/*",
                    "+refs/tags/*:refs/tags/*",
                ],
                Some(&mut options),
                None,
            )
            .map_err(|source| {
                let tried = attempts.borrow();
                match auth::refusal(auth, &tried) {
                    Some(advice) => SourceError::GitAuth {
                        url: url.to_owned(),
                        advice,
                        source,
                    },
                    None => SourceError::Git {
                        context: format!("{url}: fetch"),
                        source,
                    },
                }
            })?;
        // Remember the remote's default branch for a later `--ref`-less resolve.
        if let Ok(head) = remote.default_branch()
            && let Some(branch) = head
                .as_str()
                .ok()
                .and_then(|h| h.strip_prefix("refs/heads/"))
        {
            let target = format!("refs/remotes/origin/{branch}");
            let _ = repo.reference_symbolic(
                "refs/remotes/origin/HEAD",
                &target,
                true,
                "deckhand: remote default branch",
            );
        }
    }
    Ok(repo)
}

/// Resolve `--ref` in a fetched cache repo: a branch, a tag, or a commit.
fn resolve_remote_ref(repo: &Repository, git_ref: Option<&str>) -> Result<Oid, SourceError> {
    let candidates: Vec<String> = match git_ref {
        None => vec![
            "refs/remotes/origin/HEAD".into(),
            "refs/remotes/origin/main".into(),
            "refs/remotes/origin/master".into(),
        ],
        Some(r) => vec![
            format!("refs/remotes/origin/{r}"),
            format!("refs/tags/{r}"),
            r.to_owned(),
        ],
    };
    for candidate in &candidates {
        if let Ok(commit) = repo
            .revparse_single(candidate)
            .and_then(|o| o.peel_to_commit())
        {
            return Ok(commit.id());
        }
    }
    Err(SourceError::NotFound {
        path: format!(
            "ref '{}' (no such branch, tag or commit in the remote)",
            git_ref.unwrap_or("HEAD")
        ),
        commit: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_normalization_rejects_escapes() {
        assert_eq!(
            normalize_lexically("a/./b/../c.json").as_deref(),
            Some("a/c.json")
        );
        assert_eq!(normalize_lexically("../x"), None);
        assert_eq!(normalize_lexically("a/../../x"), None);
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_git_url("https://example.com/org/config.git"));
        assert!(is_git_url("file:///tmp/config.git"));
        assert!(is_git_url("git@github.com:org/config.git"));
        assert!(!is_git_url("./config"));
        assert!(!is_git_url("/srv/config"));
    }
}
