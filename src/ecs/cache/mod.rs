//! Task definitions by ARN, for as long as they are in use. Definitions are
//! immutable, so one DescribeTaskDefinition per ARN is enough — as long as
//! the cache holds the fleet's whole working set (a controller of 1000
//! environments × 10 services reads 10 000 every cycle) and lets go of what
//! no service runs any more.
//!
//! Two generations: hits and inserts go to the current one; every
//! [`SWEEP`] the current becomes the previous and the previous is dropped,
//! so a definition unused for two sweeps is forgotten, whatever the fleet's
//! size. Entries are kept packed (deflated JSON, a fraction of the parsed
//! size) and unpacked on each hit.

mod packed;

use super::types::TaskDefinition;
use packed::Packed;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an unused definition survives (between one and two of these).
pub const SWEEP: Duration = Duration::from_secs(15 * 60);
/// A safety bound on one generation.
const MAX_ENTRIES: usize = 200_000;

/// One definition, compactly.
struct Compact {
    family_revision: Box<str>,
    spec: Packed,
}

struct Generations {
    current: HashMap<Box<str>, Compact>,
    previous: HashMap<Box<str>, Compact>,
    swept: Instant,
}

/// The cache (shared by clones of a client).
pub struct TaskDefinitionCache {
    inner: Mutex<Generations>,
}

impl Default for TaskDefinitionCache {
    fn default() -> Self {
        TaskDefinitionCache {
            inner: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }
}

impl TaskDefinitionCache {
    fn sweep(&self, g: &mut Generations) {
        if g.swept.elapsed() >= SWEEP || g.current.len() >= MAX_ENTRIES {
            g.previous = std::mem::take(&mut g.current);
            g.swept = Instant::now();
        }
    }

    /// The definition of `arn`, if cached.
    pub fn get(&self, arn: &str) -> Option<Arc<TaskDefinition>> {
        let mut g = self.inner.lock().expect("task definition cache lock");
        self.sweep(&mut g);
        if !g.current.contains_key(arn) {
            let (key, entry) = g.previous.remove_entry(arn)?;
            g.current.insert(key, entry);
        }
        let entry = g.current.get(arn)?;
        let spec = entry.spec.unpack()?;
        Some(Arc::new(TaskDefinition {
            arn: arn.to_owned(),
            family_revision: entry.family_revision.to_string(),
            spec,
        }))
    }

    /// Remember `td`.
    pub fn insert(&self, td: &TaskDefinition) {
        let Some(spec) = Packed::new(&td.spec) else {
            return;
        };
        let mut g = self.inner.lock().expect("task definition cache lock");
        self.sweep(&mut g);
        g.current.insert(
            td.arn.as_str().into(),
            Compact {
                family_revision: td.family_revision.as_str().into(),
                spec,
            },
        );
    }

    /// Definitions held.
    #[cfg(test)]
    fn held(&self) -> usize {
        let g = self.inner.lock().expect("task definition cache lock");
        g.current.len() + g.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::model::TaskDefinitionSpec;

    fn definition(revision: u32) -> TaskDefinition {
        let spec: TaskDefinitionSpec =
            serde_json::from_str(crate::testkit::TEMPLATE).expect("the test template parses");
        TaskDefinition {
            arn: format!("arn:aws:ecs:us-east-1:123456789012:task-definition/web:{revision}"),
            family_revision: format!("web:{revision}"),
            spec,
        }
    }

    #[test]
    fn a_definition_comes_back_as_it_went_in() {
        let cache = TaskDefinitionCache::default();
        let td = definition(7);
        cache.insert(&td);
        assert_eq!(*cache.get(&td.arn).unwrap(), td);
        assert!(
            cache
                .get("arn:aws:ecs:us-east-1:123456789012:task-definition/web:8")
                .is_none()
        );
    }

    #[test]
    fn the_working_set_survives_sweeps_and_unused_definitions_go() {
        let cache = TaskDefinitionCache::default();
        // More definitions than any fixed limit would have held.
        for r in 0..5000 {
            cache.insert(&definition(r));
        }
        let sweep = |cache: &TaskDefinitionCache| {
            cache.inner.lock().unwrap().swept -= SWEEP;
        };
        sweep(&cache);
        // Only the first half is still in use.
        for r in 0..2500 {
            assert!(cache.get(&definition(r).arn).is_some(), "{r}");
        }
        sweep(&cache);
        assert!(cache.get(&definition(0).arn).is_some());
        assert_eq!(cache.held(), 2500, "the unused half is forgotten");
        assert!(cache.get(&definition(4999).arn).is_none());
    }
}
