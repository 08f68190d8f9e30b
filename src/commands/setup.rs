//! Typed arguments turned into built objects, in one place: the repo's
//! location and snapshot, the environments loaded from it, an environment
//! planned against live ECS, and where release leases live.

use super::CommandError;
use crate::apply::lease::Locks;
use crate::cli::{LeaseArgs, RepoArgs};
use crate::ecs::{DynamoLockTable, EcsClient};
use crate::live::{self, LiveEnvironment};
use crate::plan::{self, Plan};
use crate::source::{GitAuth, RepoLocation, Snapshot, SourceError};
use crate::spec::{self, Environment};
use std::path::PathBuf;

impl RepoArgs {
    /// Where the config repo is, and how to sign in to it.
    pub fn location(&self) -> RepoLocation {
        RepoLocation {
            repo: self.repo.clone(),
            git_ref: self.git_ref.clone(),
            cache_dir: self.cache_dir.clone().unwrap_or_else(default_cache_dir),
            auth: GitAuth::from_env(self.git_ssh_key.clone(), self.git_known_hosts.clone()),
            trust: self.trust.clone(),
        }
    }

    /// Open the repo snapshot (blocking git work off the async threads).
    pub async fn snapshot(&self) -> Result<Snapshot, SourceError> {
        let location = self.location();
        let snapshot = tokio::task::spawn_blocking(move || Snapshot::open(&location))
            .await
            .expect("snapshot task panicked")?;
        for warning in &snapshot.warnings {
            tracing::warn!("{warning}");
        }
        Ok(snapshot)
    }

    /// The snapshot and environment `env` loaded from it.
    pub async fn load(&self, env: String) -> Result<(Snapshot, Environment), CommandError> {
        let snapshot = self.snapshot().await?;
        let (snapshot, env) = tokio::task::spawn_blocking(move || {
            let env = spec::load(&snapshot, &env);
            (snapshot, env)
        })
        .await
        .expect("spec task panicked");
        Ok((snapshot, env?))
    }

    /// Every environment named (or all of `environments/*.yaml`), loaded.
    pub async fn load_all(&self, envs: Vec<String>) -> Result<Vec<Environment>, CommandError> {
        let snapshot = self.snapshot().await?;
        tokio::task::spawn_blocking(move || {
            environment_names(&snapshot, envs)?
                .iter()
                .map(|name| spec::load(&snapshot, name).map_err(CommandError::from))
                .collect()
        })
        .await
        .expect("spec task panicked")
    }

    /// Environment `env` planned against live ECS.
    pub async fn planned(&self, env: String) -> Result<Planned, CommandError> {
        let (snapshot, env) = self.load(env).await?;
        let ecs = EcsClient::connect_to(&env.reach()).await?;
        let live = live::fetch(&ecs, &env).await?;
        let plan = plan::plan(&env, snapshot.commit(), &live)?;
        Ok(Planned {
            snapshot,
            env,
            ecs,
            live,
            plan,
        })
    }
}

/// An environment planned against live ECS: everything `plan`, `apply` and
/// `status` start from.
pub struct Planned {
    /// The repo snapshot it was loaded from.
    pub snapshot: Snapshot,
    /// The environment.
    pub env: Environment,
    /// The ECS client of its region.
    pub ecs: EcsClient,
    /// What ECS runs.
    pub live: LiveEnvironment,
    /// The plan.
    pub plan: Plan,
}

impl LeaseArgs {
    /// Where release leases live, and their TTL.
    pub async fn locks(&self) -> Result<(Locks, std::time::Duration), CommandError> {
        let locks = match &self.lock_table {
            Some(name) => Locks::Table(std::sync::Arc::new(
                DynamoLockTable::connect(name, None).await?,
            )),
            None => Locks::Tags,
        };
        let ttl = self.lease_ttl.unwrap_or_else(|| locks.default_ttl());
        Ok((locks, ttl))
    }
}

/// The environments named, or all of `environments/*.yaml` (at least one).
pub fn environment_names(
    snapshot: &Snapshot,
    envs: Vec<String>,
) -> Result<Vec<String>, SourceError> {
    let names = if envs.is_empty() {
        snapshot.environment_names()?
    } else {
        envs
    };
    if names.is_empty() {
        return Err(SourceError::NotFound {
            path: "environments/*.yaml".into(),
            commit: snapshot.commit().map(str::to_owned),
        });
    }
    Ok(names)
}

/// `$XDG_CACHE_HOME/deckhand` (or the platform's user cache dir).
fn default_cache_dir() -> PathBuf {
    directories::BaseDirs::new()
        .map(|d| d.cache_dir().join("deckhand"))
        .unwrap_or_else(|| std::env::temp_dir().join("deckhand-cache"))
}
