//! Requests sent to ECS, counted by operation: what ECS throttles, what the
//! benchmarks report and what `/metrics` exports. Each retry attempt counts.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Requests by operation.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl CallCounter {
    /// A copy of the counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().expect("call counter lock").clone()
    }

    /// Count one request of `operation`.
    pub fn record(&self, operation: &str) {
        *self
            .counts
            .lock()
            .expect("call counter lock")
            .entry(operation.to_owned())
            .or_default() += 1;
    }
}
