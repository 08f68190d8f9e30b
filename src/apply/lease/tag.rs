//! The cluster-tag lease (the default, without `--lock-table`): at most one
//! release per environment at a time, without any state store but ECS itself.
//!
//! The lease is a cluster tag `deckhand:<env>:lease` = `<owner> <expires-unix>`,
//! where owner is `host:pid:nonce`. To acquire: read the cluster's tags; if a
//! live lease of someone else is there, fail; else write ours, wait a settle
//! period, read again, and hold the lease only if our value survived (a
//! concurrent writer overwrote one of the two; the survivor wins). A holder
//! renews the expiry while it works and removes the tag when done.
//!
//! A lease is stale, and may be taken over, when it has expired, or when its
//! owner is a process on this host that no longer exists (a deckhand killed
//! with SIGKILL does not block the next run on the same machine).
//!
//! Limits: ECS tags have no conditional write, so this is not a strict mutex:
//! two deckhands whose read-then-write gaps overlap by more than the settle
//! period (a process paused for seconds between two calls) could both proceed.
//! The migration has its own guard against running twice (see `migrate`).

use super::{LeaseError, LeaseHeld, hostname};
use crate::ecs::locks::unix_now;
use crate::ecs::{AwsError, Ecs};
use std::time::Duration;

/// How long to wait after writing before checking that our write survived.
pub const SETTLE: Duration = Duration::from_millis(1500);

/// A held tag lease. Call [`TagLease::release`] when done.
pub struct TagLease<'a, E: Ecs> {
    ecs: &'a E,
    environment: String,
    cluster: String,
    cluster_arn: String,
    key: String,
    owner: String,
    ttl: Duration,
}

/// Parse `owner expires`.
fn parse(value: &str) -> Option<(String, u64)> {
    let (owner, expires) = value.rsplit_once(' ')?;
    Some((owner.to_owned(), expires.parse().ok()?))
}

/// `environment`'s lease is `owner`'s until `expires` (unix seconds).
fn held(environment: &str, owner: String, expires: u64) -> LeaseError {
    LeaseError::Held(LeaseHeld {
        environment: environment.to_owned(),
        owner,
        expires_in: expires.saturating_sub(unix_now()),
    })
}

/// Is this owner a process of this host that is gone?
fn owner_is_dead_here(owner: &str) -> bool {
    let mut parts = owner.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    host == hostname()
        && pid
            .parse::<u32>()
            .is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

impl<'a, E: Ecs> TagLease<'a, E> {
    /// Claim the lease of `environment` on `cluster` for `owner` (see
    /// [`own_owner`](super::own_owner)): fail at once when someone else holds it, else write
    /// ours. The claim is held only after [`SETTLE`] has passed and
    /// [`TagLease::confirm`] found our value still there; the caller may do
    /// read-only or harmless work in between.
    pub async fn claim(
        ecs: &'a E,
        environment: &str,
        cluster: &str,
        owner: String,
        ttl: Duration,
    ) -> Result<TagLease<'a, E>, LeaseError> {
        let key = crate::tags::lease(environment);
        let state = ecs.describe_cluster(cluster).await?;
        if let Some((holder, expires)) = state.tags.get(&key).and_then(|v| parse(v))
            && holder != owner
            && expires > unix_now()
            && !owner_is_dead_here(&holder)
        {
            return Err(held(environment, holder, expires));
        }
        let lease = TagLease {
            ecs,
            environment: environment.to_owned(),
            cluster: cluster.to_owned(),
            cluster_arn: state.arn,
            key,
            owner,
            ttl,
        };
        lease.write().await?;
        Ok(lease)
    }

    /// After [`SETTLE`]: is our claim the one that survived?
    pub async fn confirm(self) -> Result<TagLease<'a, E>, LeaseError> {
        let state = self.ecs.describe_cluster(&self.cluster).await?;
        match state.tags.get(&self.key).and_then(|v| parse(v)) {
            Some((holder, _)) if holder == self.owner => Ok(self),
            Some((holder, expires)) => Err(held(&self.environment, holder, expires)),
            None => Err(held(&self.environment, "a concurrent deckhand".into(), 0)),
        }
    }

    async fn write(&self) -> Result<(), AwsError> {
        let value = format!("{} {}", self.owner, unix_now() + self.ttl.as_secs());
        self.ecs
            .tag_resource(&self.cluster_arn, &[(self.key.clone(), value)])
            .await
    }

    /// Extend the expiry (call at least every ttl/2 while working).
    pub async fn renew(&self) -> Result<(), AwsError> {
        self.write().await
    }

    /// Remove the lease, and the cluster tags `keys` in the same call (only
    /// if it is still ours).
    pub async fn release(self, keys: &[String]) -> Result<(), AwsError> {
        let state = self.ecs.describe_cluster(&self.cluster).await?;
        let ours = state
            .tags
            .get(&self.key)
            .and_then(|v| parse(v))
            .is_some_and(|(holder, _)| holder == self.owner);
        if ours {
            let mut remove = vec![self.key.clone()];
            remove.extend(keys.iter().filter(|k| state.tags.contains_key(*k)).cloned());
            self.ecs.untag_resource(&self.cluster_arn, &remove).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_values_round_trip() {
        assert_eq!(
            parse("host-a:123:ab12 1700000000"),
            Some(("host-a:123:ab12".into(), 1_700_000_000))
        );
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn a_dead_local_owner_is_stale_and_a_live_one_is_not() {
        let me = format!("{}:{}:x", hostname(), std::process::id());
        assert!(!owner_is_dead_here(&me));
        // PIDs above the kernel's pid_max never exist.
        assert!(owner_is_dead_here(&format!("{}:4294967:x", hostname())));
        assert!(!owner_is_dead_here("some-other-host:1:x"));
    }
}
