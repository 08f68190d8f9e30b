//! The lock-table lease (`--lock-table`): an environment's release lease as
//! the item `env/<name>` of a DynamoDB table, taken and renewed by
//! conditional writes ([`crate::ecs::locks`]), so it is strict: of two
//! deckhands (CLI or controller replicas) racing for it, exactly one holds it,
//! without a settle wait.

use super::{LeaseError, LeaseHeld};
use crate::ecs::{AwsError, Claim, LockTable, Tenure};
use std::sync::Arc;
use std::time::Duration;

/// The item id of an environment's release lease.
pub fn environment_id(environment: &str) -> String {
    format!("env/{environment}")
}

/// A held table lease: our tenure `fence` of the item.
pub struct TableLease {
    table: Arc<dyn LockTable>,
    id: String,
    holder: String,
    fence: u64,
    ttl: Duration,
}

impl TableLease {
    /// Take `environment`'s lease for `holder`, or say who has it.
    pub async fn acquire(
        table: Arc<dyn LockTable>,
        environment: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<TableLease, LeaseError> {
        let id = environment_id(environment);
        match table.acquire(&id, holder, ttl).await? {
            Claim::Granted { fence } => Ok(TableLease {
                table,
                id,
                holder: holder.to_owned(),
                fence,
                ttl,
            }),
            Claim::Refused(current) => Err(LeaseError::Held(LeaseHeld {
                environment: environment.to_owned(),
                expires_in: current.expires.saturating_sub(table.now()),
                owner: current.holder,
            })),
        }
    }

    /// Our tenure of the item.
    fn tenure(&self) -> Tenure<'_> {
        Tenure {
            id: &self.id,
            holder: &self.holder,
            fence: self.fence,
        }
    }

    /// Extend the lease; false when it is no longer ours.
    pub async fn renew(&self) -> Result<bool, AwsError> {
        self.table.renew(self.tenure(), self.ttl).await
    }

    /// Give it up (only our tenure: a successor's is left alone).
    pub async fn release(self) -> Result<(), AwsError> {
        self.table.release(self.tenure()).await
    }
}
