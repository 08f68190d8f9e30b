//! Replicas (`controller --lock-table`): controllers sharing a lock table
//! share the environments, each reconciled by one replica at a time.
//!
//! Environments are hashed onto [`SHARDS`] shards; a replica reconciles the
//! environments of the shards it holds a lease on (`shard/NN` items), and
//! skips the others. Every round (a third of the lease TTL) a replica makes
//! one consistent Scan of the table and renews its membership
//! (`replica/<id>`); [`moves`] (pure) then decides which of its shards to
//! renew, which free or expired ones to take, and which to give up so every
//! live replica holds its fair share (⌈shards / replicas⌉). DynamoDB calls per
//! round: 2 + one per held shard, whatever the number of environments.
//!
//! A replica that dies stops renewing: its shards expire after one TTL and
//! are taken by the others on their next round, which reconcile those
//! environments at once (a migration in flight is adopted by `startedBy`).
//! A replica whose renewals fail stops reconciling a shard once the shard's
//! lease may have expired (its local deadline). Releases are excluded by
//! their own per-environment lease in the same table, which the CLI takes
//! too; so a shard moving in the middle of a release is safe.
//!
//! A webhook reaches one replica. When it brings that replica a new commit,
//! the replica [announces](Replica::announce) it on the `repo` item (one
//! UpdateItem, its fence counting up); every other replica sees the fence
//! grow in its next round's Scan and fetches at once, so the environments it
//! holds get the commit within a round instead of an interval.

use crate::apply::lease::surely_held_for;
use crate::ecs::{AwsError, Claim, LeaseRecord, LockTable, Tenure};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Shards environments are hashed onto. Every replica must agree on it.
pub const SHARDS: u32 = 32;
/// The item a replica bumps when a webhook brought it a new commit.
pub const REPO_ID: &str = "repo";
/// How long the `repo` item outlives its last announcement (DynamoDB's TTL
/// then deletes it).
const ANNOUNCEMENT_TTL: Duration = Duration::from_secs(24 * 3600);

/// The shard of an environment (FNV-1a of its name).
pub fn shard_of(environment: &str) -> u32 {
    let hash = environment.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % SHARDS
}

fn shard_id(shard: u32) -> String {
    format!("shard/{shard:02}")
}

fn member_id(holder: &str) -> String {
    format!("replica/{holder}")
}

/// A replica's preference for a shard (rendezvous hashing): replicas racing
/// for free shards try them in different orders.
fn preference(holder: &str, shard: u32) -> u32 {
    shard_of(&format!("{holder}#{shard}")) ^ shard.wrapping_mul(0x9e37_79b9)
}

/// What one round does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moves {
    /// Held shards to keep: (shard, fence).
    pub renew: Vec<(u32, u64)>,
    /// Free or expired shards to take.
    pub take: Vec<u32>,
    /// Held shards beyond the fair share: (shard, fence).
    pub give_up: Vec<(u32, u64)>,
    /// The live replicas, this one included.
    pub replicas: BTreeSet<String>,
}

/// Decide a round from the table's records, as `me` at `now` (unix seconds).
pub fn moves(records: &[LeaseRecord], me: &str, now: u64) -> Moves {
    let mut replicas: BTreeSet<String> = records
        .iter()
        .filter(|r| r.id.starts_with("replica/") && r.live_at(now))
        .map(|r| r.holder.clone())
        .collect();
    replicas.insert(me.to_owned());
    let share = SHARDS.div_ceil(replicas.len() as u32) as usize;
    let shards: BTreeMap<u32, &LeaseRecord> = records
        .iter()
        .filter_map(|r| {
            let n = r.id.strip_prefix("shard/")?.parse::<u32>().ok()?;
            (n < SHARDS).then_some((n, r))
        })
        .collect();
    let mut mine: Vec<(u32, u64)> = shards
        .iter()
        .filter(|(_, r)| r.holder == me)
        .map(|(n, r)| (*n, r.fence))
        .collect();
    mine.sort_by_key(|(n, _)| std::cmp::Reverse(preference(me, *n)));
    let give_up = mine.split_off(mine.len().min(share));
    let mut free: Vec<u32> = (0..SHARDS)
        .filter(|n| {
            shards
                .get(n)
                .is_none_or(|r| r.holder != me && !r.live_at(now))
        })
        .collect();
    free.sort_by_key(|n| std::cmp::Reverse(preference(me, *n)));
    free.truncate(share.saturating_sub(mine.len()));
    Moves {
        renew: mine,
        take: free,
        give_up,
        replicas,
    }
}

/// What this replica holds and sees, for the loops, `/status` and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ownership {
    /// This replica.
    pub me: String,
    /// The lock table.
    pub table: String,
    /// The live replicas, this one included.
    pub replicas: Vec<String>,
    /// The shards this replica holds.
    pub held: Vec<u32>,
    /// Every shard's live holder, as last seen.
    pub holders: BTreeMap<u32, String>,
}

impl Ownership {
    /// Who reconciles `environment` (as last seen).
    pub fn holder_of(&self, environment: &str) -> Option<&str> {
        self.holders.get(&shard_of(environment)).map(String::as_str)
    }
}

/// A held shard: its tenure and until when it is surely ours.
#[derive(Debug, Clone, Copy)]
struct Held {
    fence: u64,
    until: Instant,
}

/// This replica's leases on a lock table.
pub struct Replica {
    table: Arc<dyn LockTable>,
    me: String,
    ttl: Duration,
    held: Mutex<BTreeMap<u32, Held>>,
    member: Mutex<Option<u64>>,
    /// The `repo` item's fence at the last round (0: no item; None: no
    /// round yet).
    announcements: Mutex<Option<u64>>,
    ownership: watch::Sender<Ownership>,
}

impl Replica {
    /// Our tenure `fence` of item `id`.
    fn tenure<'a>(&'a self, id: &'a str, fence: u64) -> Tenure<'a> {
        Tenure {
            id,
            holder: &self.me,
            fence,
        }
    }

    /// A replica named `me` (its lease holder name) on `table`.
    pub fn new(table: Arc<dyn LockTable>, me: String, ttl: Duration) -> Replica {
        let ownership = watch::Sender::new(Ownership {
            me: me.clone(),
            table: table.name().to_owned(),
            ..Ownership::default()
        });
        Replica {
            table,
            me,
            ttl,
            held: Mutex::default(),
            member: Mutex::default(),
            announcements: Mutex::default(),
            ownership,
        }
    }

    /// How often rounds run.
    pub fn every(&self) -> Duration {
        self.ttl / 3
    }

    /// Watch what this replica holds (changes when it changes).
    pub fn watch(&self) -> watch::Receiver<Ownership> {
        self.ownership.subscribe()
    }

    /// Who reconciles `environment`, as this replica last saw the table.
    pub fn holder_of(&self, environment: &str) -> Option<String> {
        self.ownership
            .borrow()
            .holder_of(environment)
            .map(str::to_owned)
    }

    /// What this replica holds and sees now.
    pub fn ownership(&self) -> Ownership {
        self.ownership.borrow().clone()
    }

    /// Does this replica reconcile `environment` now? Only while its shard's
    /// lease is surely held (renewed within the TTL less a margin).
    pub fn reconciles(&self, environment: &str) -> bool {
        self.held
            .lock()
            .expect("held shards lock")
            .get(&shard_of(environment))
            .is_some_and(|h| Instant::now() < h.until)
    }

    fn deadline(&self, sent: Instant) -> Instant {
        sent + surely_held_for(self.ttl)
    }

    /// Tell the other replicas that a webhook brought this one a new commit
    /// (they fetch on their next round).
    pub async fn announce(&self) -> Result<(), AwsError> {
        self.table
            .announce(REPO_ID, &self.me, ANNOUNCEMENT_TTL)
            .await
    }

    /// One round: scan, renew membership, renew/take/give up shards. True
    /// when another replica announced a commit since the last round.
    pub async fn round(&self) -> Result<bool, AwsError> {
        let sent = Instant::now();
        let records = self.table.list().await?;
        let announced = self.announced(&records);
        let now = self.table.now();
        let plan = moves(&records, &self.me, now);
        match self
            .table
            .acquire(&member_id(&self.me), &self.me, self.ttl)
            .await?
        {
            Claim::Granted { fence } => *self.member.lock().expect("member lock") = Some(fence),
            Claim::Refused(_) => {}
        }
        let mut held: BTreeMap<u32, Held> = BTreeMap::new();
        for (shard, fence) in &plan.renew {
            if self
                .table
                .renew(self.tenure(&shard_id(*shard), *fence), self.ttl)
                .await?
            {
                held.insert(
                    *shard,
                    Held {
                        fence: *fence,
                        until: self.deadline(sent),
                    },
                );
            }
        }
        for (shard, fence) in &plan.give_up {
            self.table
                .release(self.tenure(&shard_id(*shard), *fence))
                .await?;
        }
        for shard in &plan.take {
            let taken = Instant::now();
            if let Claim::Granted { fence } = self
                .table
                .acquire(&shard_id(*shard), &self.me, self.ttl)
                .await?
            {
                held.insert(
                    *shard,
                    Held {
                        fence,
                        until: self.deadline(taken),
                    },
                );
            }
        }
        let mut holders: BTreeMap<u32, String> = records
            .iter()
            .filter(|r| r.live_at(now))
            .filter_map(|r| Some((r.id.strip_prefix("shard/")?.parse().ok()?, r.holder.clone())))
            .filter(|(_, holder): &(u32, String)| holder != &self.me)
            .collect();
        for shard in held.keys() {
            holders.insert(*shard, self.me.clone());
        }
        let ownership = Ownership {
            me: self.me.clone(),
            table: self.table.name().to_owned(),
            replicas: plan.replicas.into_iter().collect(),
            held: held.keys().copied().collect(),
            holders,
        };
        *self.held.lock().expect("held shards lock") = held;
        self.ownership.send_if_modified(|current| {
            let changed = *current != ownership;
            *current = ownership;
            changed
        });
        Ok(announced)
    }

    /// Has another replica announced a commit since the last round? (Not on
    /// the first round: a replica fetches when it starts anyway.)
    fn announced(&self, records: &[LeaseRecord]) -> bool {
        let repo = records.iter().find(|r| r.id == REPO_ID);
        let fence = repo.map_or(0, |r| r.fence);
        let mut seen = self.announcements.lock().expect("announcements lock");
        let grown = seen.is_some_and(|last| fence != last && fence != 0);
        *seen = Some(fence);
        grown && repo.is_some_and(|r| r.holder != self.me)
    }

    /// Give up every shard and the membership (at shutdown), so the other
    /// replicas take over on their next round instead of after a TTL.
    pub async fn leave(&self) {
        let held = std::mem::take(&mut *self.held.lock().expect("held shards lock"));
        for (shard, h) in held {
            if let Err(e) = self
                .table
                .release(self.tenure(&shard_id(shard), h.fence))
                .await
            {
                tracing::warn!("giving up shard {shard} failed (it expires by itself): {e}");
            }
        }
        let member = self.member.lock().expect("member lock").take();
        if let Some(fence) = member
            && let Err(e) = self
                .table
                .release(self.tenure(&member_id(&self.me), fence))
                .await
        {
            tracing::warn!("leaving the lock table failed (the entry expires by itself): {e}");
        }
        self.ownership.send_modify(|o| {
            o.held.clear();
            o.holders.retain(|_, holder| holder != &self.me);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::locks::MemoryLockTable;

    fn shard(n: u32, holder: &str, expires: u64) -> LeaseRecord {
        LeaseRecord {
            id: shard_id(n),
            holder: holder.into(),
            expires,
            fence: 1,
        }
    }

    fn member(holder: &str, expires: u64) -> LeaseRecord {
        LeaseRecord {
            id: member_id(holder),
            holder: holder.into(),
            expires,
            fence: 1,
        }
    }

    #[test]
    fn environments_spread_over_the_shards() {
        let mut counts = vec![0; SHARDS as usize];
        for i in 0..1000 {
            counts[shard_of(&format!("env-{i}")) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (15..=50).contains(&c)), "{counts:?}");
        assert_eq!(shard_of("staging"), shard_of("staging"));
    }

    #[test]
    fn a_lone_replica_takes_every_shard() {
        let m = moves(&[], "a", 100);
        assert_eq!(m.take.len(), SHARDS as usize);
        assert!(m.renew.is_empty() && m.give_up.is_empty());
    }

    #[test]
    fn a_new_replica_makes_the_holder_give_up_half() {
        let mut records: Vec<_> = (0..SHARDS).map(|n| shard(n, "a", 200)).collect();
        records.push(member("a", 200));
        records.push(member("b", 200));
        let a = moves(&records, "a", 100);
        assert_eq!(a.renew.len(), 16);
        assert_eq!(a.give_up.len(), 16);
        assert!(a.take.is_empty());
        // b finds nothing free until a gave up.
        assert!(moves(&records, "b", 100).take.is_empty());
        let given: BTreeSet<u32> = a.give_up.iter().map(|(n, _)| *n).collect();
        records.retain(|r| !given.iter().any(|n| r.id == shard_id(*n)));
        let b = moves(&records, "b", 100);
        assert_eq!(b.take.iter().copied().collect::<BTreeSet<_>>(), given);
    }

    #[test]
    fn a_dead_replicas_shards_are_free_once_expired() {
        let mut records: Vec<_> = (0..SHARDS).map(|n| shard(n, "dead", 150)).collect();
        records.push(member("dead", 150));
        assert!(moves(&records, "b", 100).take.is_empty());
        let later = moves(&records, "b", 151);
        assert_eq!(later.take.len(), SHARDS as usize);
        assert_eq!(later.replicas, BTreeSet::from(["b".to_owned()]));
        // Two survivors each aim for half.
        records.push(member("c", 300));
        assert_eq!(moves(&records, "b", 151).take.len(), 16);
    }

    #[test]
    fn three_replicas_split_the_shards_and_every_shard_is_held() {
        let mut records = vec![member("a", 500), member("b", 500), member("c", 500)];
        for me in ["a", "b", "c"] {
            for n in moves(&records, me, 100).take {
                if !records.iter().any(|r| r.id == shard_id(n)) {
                    records.push(shard(n, me, 500));
                }
            }
        }
        // A second round fills what the first one's races left.
        for me in ["a", "b", "c"] {
            for n in moves(&records, me, 100).take {
                if !records.iter().any(|r| r.id == shard_id(n)) {
                    records.push(shard(n, me, 500));
                }
            }
        }
        let held = |me: &str| {
            records
                .iter()
                .filter(|r| r.id.starts_with("shard/") && r.holder == me)
                .count()
        };
        assert_eq!(held("a") + held("b") + held("c"), SHARDS as usize);
        for me in ["a", "b", "c"] {
            assert!(held(me) <= 11, "{me} holds {}", held(me));
        }
    }

    /// Replicas a, b and c on one in-memory table, with a 30 s TTL.
    fn three_replicas() -> (Arc<MemoryLockTable>, Vec<Replica>) {
        let table: Arc<MemoryLockTable> = Arc::new(MemoryLockTable::default());
        let replicas = ["a", "b", "c"]
            .iter()
            .map(|me| Replica::new(table.clone(), (*me).into(), Duration::from_secs(30)))
            .collect();
        (table, replicas)
    }

    #[tokio::test(start_paused = true)]
    async fn replicas_on_one_table_converge_and_a_leaver_hands_over() {
        let (table, replicas) = three_replicas();
        for _ in 0..4 {
            for r in &replicas {
                r.round().await.unwrap();
            }
        }
        let held: Vec<usize> = replicas.iter().map(|r| r.ownership().held.len()).collect();
        assert_eq!(held.iter().sum::<usize>(), SHARDS as usize, "{held:?}");
        assert!(held.iter().all(|&n| n <= 11), "{held:?}");
        // Each environment is reconciled by exactly one replica.
        for i in 0..100 {
            let env = format!("env-{i}");
            let n = replicas.iter().filter(|r| r.reconciles(&env)).count();
            assert_eq!(n, 1, "{env}");
        }
        // Steady state: 1 Scan + 1 membership + one renewal per held shard.
        let before = table.calls().snapshot();
        replicas[0].round().await.unwrap();
        let after = table.calls().snapshot();
        let delta =
            |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
        assert_eq!(delta("Scan"), 1);
        assert_eq!(delta("UpdateItem"), 1 + held[0] as u64);
        // c leaves: a and b take its shards on their next rounds.
        replicas[2].leave().await;
        assert!(!replicas[2].reconciles("env-1"));
        for _ in 0..2 {
            for r in &replicas[..2] {
                r.round().await.unwrap();
            }
        }
        let held: Vec<usize> = replicas[..2]
            .iter()
            .map(|r| r.ownership().held.len())
            .collect();
        assert_eq!(held, [16, 16]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_replica_that_cannot_renew_stops_reconciling_before_its_lease_expires() {
        let table: Arc<MemoryLockTable> = Arc::new(MemoryLockTable::default());
        let ttl = Duration::from_secs(30);
        let a = Replica::new(table.clone(), "a".into(), ttl);
        a.round().await.unwrap();
        assert!(a.reconciles("staging"));
        table.down.store(true, std::sync::atomic::Ordering::SeqCst);
        tokio::time::advance(Duration::from_secs(20)).await;
        assert!(a.round().await.is_err());
        assert!(a.reconciles("staging"), "still surely held at 20 s");
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(!a.reconciles("staging"), "past the TTL less its margin");
    }

    #[tokio::test(start_paused = true)]
    async fn a_commit_announced_by_one_replica_wakes_the_others_once() {
        let (table, replicas) = three_replicas();
        let rounds = async || {
            let mut woken = Vec::new();
            for r in &replicas {
                woken.push(r.round().await.unwrap());
            }
            woken
        };
        assert_eq!(rounds().await, [false; 3], "nothing announced yet");
        replicas[0].announce().await.unwrap();
        assert_eq!(
            rounds().await,
            [false, true, true],
            "the others fetch; the announcer already has the commit"
        );
        assert_eq!(rounds().await, [false; 3], "once per announcement");
        // The shards never see the notice.
        let held: usize = replicas.iter().map(|r| r.ownership().held.len()).sum();
        assert_eq!(held, SHARDS as usize);
        // Two announcements between rounds wake once; one by b wakes a and c.
        replicas[0].announce().await.unwrap();
        replicas[1].announce().await.unwrap();
        assert_eq!(rounds().await, [true, false, true]);
        // A replica that starts later is not woken by an old notice.
        let late = Replica::new(table.clone(), "d".into(), Duration::from_secs(30));
        assert!(!late.round().await.unwrap());
        assert!(!late.round().await.unwrap());
    }
}
