//! The release lease: at most one release per environment at a time.
//!
//! Two kinds, chosen by [`Locks`]:
//! - [`tag`] (the default): a cluster tag, claimed, settled and confirmed;
//!   needs nothing but ECS, but is not a strict mutex;
//! - [`table`] (`--lock-table`): an item of a DynamoDB table written with
//!   conditional writes; strict, and shared by the CLI and every controller
//!   replica.
//!
//! A held [`Lease`] knows until when it is surely ours: the time its last
//! successful write was sent, plus the TTL, minus a safety margin for clock
//! drift. Past that, or once a renewal found the lease taken over,
//! [`Lease::check`] fails, and every mutating call of a release asks it first
//! ([`super::fence`]): a deckhand paused past its lease stops instead of
//! acting on authority it no longer has.

pub mod table;
pub mod tag;

use crate::ecs::locks::unix_now;
use crate::ecs::{AwsError, Ecs, LockTable};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use table::TableLease;
use tag::TagLease;
use tokio::time::Instant;

/// How long a tag lease lives without renewal.
pub const DEFAULT_TTL: Duration = Duration::from_secs(120);
/// How long a table lease lives without renewal: renewals are cheap and
/// strict, and a dead replica's environments move after about this long.
pub const TABLE_TTL: Duration = Duration::from_secs(30);

/// Where release leases live.
#[derive(Clone, Default)]
pub enum Locks {
    /// Cluster tags.
    #[default]
    Tags,
    /// A lock table.
    Table(Arc<dyn LockTable>),
}

impl Locks {
    /// The lease TTL when none is given: [`DEFAULT_TTL`] for tags,
    /// [`TABLE_TTL`] for a table.
    pub fn default_ttl(&self) -> Duration {
        match self {
            Locks::Tags => DEFAULT_TTL,
            Locks::Table(_) => TABLE_TTL,
        }
    }
}

impl std::fmt::Debug for Locks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Locks::Tags => f.write_str("Tags"),
            Locks::Table(table) => write!(f, "Table({})", table.name()),
        }
    }
}

/// Another deckhand holds the lease.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "another deckhand is releasing environment '{environment}' (lease held by {owner}, expires in {expires_in}s); nothing was changed — try again when it is done"
)]
pub struct LeaseHeld {
    /// The environment.
    pub environment: String,
    /// Who holds it.
    pub owner: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// Errors acquiring the lease.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// Held by someone else.
    #[error(transparent)]
    Held(#[from] LeaseHeld),
    /// ECS or the lock table failed.
    #[error(transparent)]
    Ecs(#[from] AwsError),
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// This process's lease owner: `host:pid:nonce`.
pub fn own_owner() -> String {
    let nonce = format!(
        "{:x}",
        unix_now() ^ u64::from(std::process::id()).rotate_left(17)
    );
    format!("{}:{}:{nonce}", hostname(), std::process::id())
}

/// How sure we are that the lease is ours.
#[derive(Debug)]
struct Authority {
    /// Surely ours until then.
    until: Instant,
    /// Why it is not ours any more.
    lost: Option<String>,
}

enum Kind<'a, E: Ecs> {
    Tag(TagLease<'a, E>),
    Table(TableLease),
}

/// A claimed or held release lease of one environment.
pub struct Lease<'a, E: Ecs> {
    kind: Kind<'a, E>,
    environment: String,
    ttl: Duration,
    authority: Mutex<Authority>,
}

/// How long after a successful write a lease of `ttl` is surely still ours:
/// the TTL less a quarter kept in hand for clock drift between deckhands.
/// Release leases and a replica's shards alike.
pub fn surely_held_for(ttl: Duration) -> Duration {
    ttl.saturating_sub(ttl / 4)
}

impl<'a, E: Ecs> Lease<'a, E> {
    /// Claim `environment`'s lease for `owner`: fail at once when someone
    /// else holds it. A tag claim is held only after [`Lease::settle`] and
    /// [`Lease::confirm`]; a table claim is held at once.
    pub async fn claim(
        ecs: &'a E,
        environment: &str,
        cluster: &str,
        owner: &str,
        ttl: Duration,
        locks: &Locks,
    ) -> Result<Lease<'a, E>, LeaseError> {
        let sent = Instant::now();
        let kind = match locks {
            Locks::Tags => {
                Kind::Tag(TagLease::claim(ecs, environment, cluster, owner.to_owned(), ttl).await?)
            }
            Locks::Table(table) => {
                Kind::Table(TableLease::acquire(table.clone(), environment, owner, ttl).await?)
            }
        };
        Ok(Lease {
            kind,
            environment: environment.to_owned(),
            ttl,
            authority: Mutex::new(Authority {
                until: sent + surely_held_for(ttl),
                lost: None,
            }),
        })
    }

    /// How long the claim must settle before [`Lease::confirm`].
    pub fn settle(&self) -> Duration {
        match self.kind {
            Kind::Tag(_) => tag::SETTLE,
            Kind::Table(_) => Duration::ZERO,
        }
    }

    /// Hold the claim: a tag claim is held if our tag survived.
    pub async fn confirm(self) -> Result<Lease<'a, E>, LeaseError> {
        let Lease {
            kind,
            environment,
            ttl,
            authority,
        } = self;
        let kind = match kind {
            Kind::Tag(lease) => Kind::Tag(lease.confirm().await?),
            table => table,
        };
        Ok(Lease {
            kind,
            environment,
            ttl,
            authority,
        })
    }

    /// Extend the lease. A table lease found taken over is lost for good.
    pub async fn renew(&self) -> Result<(), AwsError> {
        let sent = Instant::now();
        let ours = match &self.kind {
            Kind::Tag(lease) => lease.renew().await.map(|()| true)?,
            Kind::Table(lease) => lease.renew().await?,
        };
        let mut authority = self.authority.lock().expect("lease authority lock");
        if ours {
            authority.until = sent + surely_held_for(self.ttl);
        } else {
            authority.lost = Some("the lock table names another holder".into());
        }
        Ok(())
    }

    /// Is the lease surely ours now? Asked before every change to ECS.
    pub fn check(&self) -> Result<(), AwsError> {
        let authority = self.authority.lock().expect("lease authority lock");
        let reason = match &authority.lost {
            Some(reason) => reason.clone(),
            None if Instant::now() >= authority.until => format!(
                "not renewed within {}s; another deckhand may have taken it",
                surely_held_for(self.ttl).as_secs()
            ),
            None => return Ok(()),
        };
        Err(AwsError::LeaseLost {
            environment: self.environment.clone(),
            reason,
        })
    }

    /// Before a step that must never run twice (a migration): with a lock
    /// table, renew now and check the answer; with tags, check.
    pub async fn confirm_now(&self) -> Result<(), AwsError> {
        if let Kind::Table(_) = self.kind {
            self.renew().await?;
        }
        self.check()
    }

    /// How often to renew.
    pub fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Renew every [`Lease::renew_every`] while the release works; never
    /// ends (race it against the release). A failed renewal is logged; the
    /// fence stops the release once the lease is no longer surely ours.
    pub async fn heartbeat(&self) {
        loop {
            tokio::time::sleep(self.renew_every()).await;
            if let Err(e) = self.renew().await {
                tracing::warn!("renewing the release lease failed: {e}");
            }
        }
    }

    /// Give the lease up (only if it is still ours).
    pub async fn release(self) -> Result<(), AwsError> {
        match self.kind {
            Kind::Tag(lease) => lease.release(&[]).await,
            Kind::Table(lease) => lease.release().await,
        }
    }

    /// Give the lease up and remove the cluster tags `keys` with it (only
    /// if it is still ours): a tag lease in one UntagResource, so nothing is
    /// left of a release between the two.
    pub async fn release_with(
        self,
        ecs: &E,
        cluster_arn: &str,
        keys: &[String],
    ) -> Result<(), AwsError> {
        let authority = self.check();
        match self.kind {
            Kind::Tag(lease) => lease.release(keys).await,
            Kind::Table(lease) => {
                if authority.is_ok() && !keys.is_empty() {
                    ecs.untag_resource(cluster_arn, keys).await?;
                }
                lease.release().await?;
                authority
            }
        }
    }
}
