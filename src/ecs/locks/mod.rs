//! Leases in a DynamoDB table (`--lock-table`): one item per lease, changed
//! only by conditional writes, so of two writers racing for a lease exactly
//! one succeeds.
//!
//! An item is `{id: S, holder: S, expires: N, fence: N}`: `expires` is unix
//! seconds (and the table's TTL attribute, so leases of environments that
//! are gone clean themselves up); `fence` grows by one with every
//! acquisition of the item, so `(holder, fence)` names one tenure.
//!
//! - acquire: UpdateItem `SET holder, expires ADD fence 1` when the item is
//!   absent, expired, or already this holder's; refused, it returns the
//!   current item (ReturnValuesOnConditionCheckFailure), so the error names
//!   the holder without a second read;
//! - renew: UpdateItem `SET expires` only while holder and fence are ours;
//! - release: DeleteItem only while holder and fence are ours;
//! - list: one strongly consistent Scan (the table holds only leases, a few
//!   dozen small items).
//!
//! [`dynamo::DynamoLockTable`] is the real client; `memory::MemoryLockTable`
//! (tests) keeps the same conditions in memory, on tokio's clock so tests can
//! pause time.
mod dynamo;
#[cfg(test)]
mod memory;

pub use dynamo::{Created, DynamoLockTable};
#[cfg(test)]
pub use memory::MemoryLockTable;

use super::calls::CallCounter;
use super::error::AwsError;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One lease as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRecord {
    /// What is leased: `env/<name>`, `shard/<n>`, `replica/<id>`; or
    /// `repo`, a notice (see the controller's replicas).
    pub id: String,
    /// Who holds it (`host:pid:nonce`).
    pub holder: String,
    /// Until when (unix seconds).
    pub expires: u64,
    /// The tenure number.
    pub fence: u64,
}

impl LeaseRecord {
    /// Whether the lease is still in force at `now` (unix seconds).
    pub fn live_at(&self, now: u64) -> bool {
        self.expires >= now
    }
}

/// The answer to an acquire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours, with this fence.
    Granted {
        /// The tenure number.
        fence: u64,
    },
    /// Someone else's, still in force.
    Refused(LeaseRecord),
}

/// One holder's tenure of an item: what renewing and releasing name.
#[derive(Clone, Copy, Debug)]
pub struct Tenure<'a> {
    /// The item.
    pub id: &'a str,
    /// Who holds it.
    pub holder: &'a str,
    /// The tenure number it was granted with.
    pub fence: u64,
}

/// The lease operations deckhand makes on a lock table.
pub trait LockTable: Send + Sync {
    /// The table's name.
    fn name(&self) -> &str;

    /// Requests made so far, by operation.
    fn calls(&self) -> Arc<CallCounter>;

    /// The table's clock: unix seconds now.
    fn now(&self) -> u64;

    /// Take `id` for `holder` for `ttl`, unless someone else holds it.
    fn acquire<'a>(
        &'a self,
        id: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, AwsError>>;

    /// Extend our tenure by `ttl` from now; false when it is
    /// no longer ours (taken over, or deleted).
    fn renew<'a>(
        &'a self,
        tenure: Tenure<'a>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AwsError>>;

    /// Give up our tenure (nothing when it is not ours).
    fn release<'a>(&'a self, tenure: Tenure<'a>) -> BoxFuture<'a, Result<(), AwsError>>;

    /// Write `id` as `holder`'s for `ttl` whoever held it, counting one
    /// more on its fence: a notice to the other readers of the table, not a
    /// lease.
    fn announce<'a>(
        &'a self,
        id: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), AwsError>>;

    /// Every lease in the table, expired ones included.
    fn list(&self) -> BoxFuture<'_, Result<Vec<LeaseRecord>, AwsError>>;
}

/// Wall-clock unix seconds: what lease expiries are written in.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Seconds of a TTL, at least one.
fn seconds(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}
