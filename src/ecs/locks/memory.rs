//! An in-memory lock table for the tests, with the DynamoDB table's
//! conditions.

use super::{Claim, LeaseRecord, LockTable, Tenure, seconds};
use crate::ecs::calls::CallCounter;
use crate::ecs::error::AwsError;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// An in-memory lock table with the real one's conditions, on tokio's clock
/// (paused time moves its expiries), counting calls by the DynamoDB
/// operation each would be.
pub struct MemoryLockTable {
    items: std::sync::Mutex<std::collections::BTreeMap<String, LeaseRecord>>,
    calls: Arc<CallCounter>,
    epoch: tokio::time::Instant,
    /// Set: every call fails as unreachable.
    pub down: std::sync::atomic::AtomicBool,
    /// Set: the lease is taken over by this holder just before the next
    /// renewal is answered (a takeover between two calls of its holder).
    pub taken_before_renewal: std::sync::Mutex<Option<(String, String)>>,
}

impl Default for MemoryLockTable {
    fn default() -> Self {
        MemoryLockTable {
            items: Default::default(),
            calls: Default::default(),
            epoch: tokio::time::Instant::now(),
            down: Default::default(),
            taken_before_renewal: Default::default(),
        }
    }
}

impl MemoryLockTable {
    /// The leases held now.
    pub fn records(&self) -> Vec<LeaseRecord> {
        self.items
            .lock()
            .expect("table lock")
            .values()
            .cloned()
            .collect()
    }

    /// Hand `id` to `holder` behind its holder's back (a takeover, as when
    /// the holder was paused past its expiry).
    pub fn steal(&self, id: &str, holder: &str) {
        let mut items = self.items.lock().expect("table lock");
        let expires = self.clock() + 3600;
        put(&mut items, id, holder, expires);
    }

    fn call(&self, operation: &'static str) -> Result<(), AwsError> {
        self.calls.record(operation);
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(AwsError::Unreachable {
                service: "DynamoDB",
                endpoint: "memory".into(),
                detail: "down".into(),
                cause: None,
            });
        }
        Ok(())
    }

    fn clock(&self) -> u64 {
        1_000_000 + self.epoch.elapsed().as_secs()
    }
}

/// Write `id` as `holder`'s until `expires`, one more on its fence (the
/// fence written).
fn put(
    items: &mut std::collections::BTreeMap<String, LeaseRecord>,
    id: &str,
    holder: &str,
    expires: u64,
) -> u64 {
    let fence = items.get(id).map_or(1, |r| r.fence + 1);
    items.insert(
        id.to_owned(),
        LeaseRecord {
            id: id.to_owned(),
            holder: holder.to_owned(),
            expires,
            fence,
        },
    );
    fence
}

impl LockTable for MemoryLockTable {
    fn name(&self) -> &str {
        "memory"
    }

    fn calls(&self) -> Arc<CallCounter> {
        self.calls.clone()
    }

    fn now(&self) -> u64 {
        self.clock()
    }

    fn acquire<'a>(
        &'a self,
        id: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, AwsError>> {
        Box::pin(async move {
            self.call("UpdateItem")?;
            let now = self.clock();
            let mut items = self.items.lock().expect("table lock");
            if let Some(r) = items.get(id)
                && r.holder != holder
                && r.expires >= now
            {
                return Ok(Claim::Refused(r.clone()));
            }
            let fence = put(&mut items, id, holder, now + seconds(ttl));
            Ok(Claim::Granted { fence })
        })
    }

    fn renew<'a>(
        &'a self,
        tenure: Tenure<'a>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AwsError>> {
        let Tenure { id, holder, fence } = tenure;
        Box::pin(async move {
            self.call("UpdateItem")?;
            let thief = self
                .taken_before_renewal
                .lock()
                .expect("takeover lock")
                .take();
            if let Some((item, thief)) = thief {
                self.steal(&item, &thief);
            }
            let now = self.clock();
            let mut items = self.items.lock().expect("table lock");
            match items.get_mut(id) {
                Some(r) if r.holder == holder && r.fence == fence => {
                    r.expires = now + seconds(ttl);
                    Ok(true)
                }
                _ => Ok(false),
            }
        })
    }

    fn release<'a>(&'a self, tenure: Tenure<'a>) -> BoxFuture<'a, Result<(), AwsError>> {
        let Tenure { id, holder, fence } = tenure;
        Box::pin(async move {
            self.call("DeleteItem")?;
            let mut items = self.items.lock().expect("table lock");
            if items
                .get(id)
                .is_some_and(|r| r.holder == holder && r.fence == fence)
            {
                items.remove(id);
            }
            Ok(())
        })
    }

    fn announce<'a>(
        &'a self,
        id: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            self.call("UpdateItem")?;
            let expires = self.clock() + seconds(ttl);
            put(
                &mut self.items.lock().expect("table lock"),
                id,
                holder,
                expires,
            );
            Ok(())
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<LeaseRecord>, AwsError>> {
        Box::pin(async move {
            self.call("Scan")?;
            Ok(self.records())
        })
    }
}
