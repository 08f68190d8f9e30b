//! The reconcile against the in-memory fake ECS, on paused time: what the
//! controller does after each kind of failure.

use super::clients::Connect;
use super::reconcile::{Reconciler, Settings, Verdict};
use super::state::{ControllerState, ResultKind};
use crate::ecs::fake::{Behaviour, FakeEcs};
use crate::source::{RepoLocation, Snapshot};
use crate::spec::{self, render};
use std::sync::Arc;
use std::time::Duration;

/// Every region gets the same fake.
struct FakeConnect(FakeEcs);

impl Connect for FakeConnect {
    type Ecs = FakeEcs;
    async fn connect(
        &self,
        _reach: &crate::ecs::session::Reach,
    ) -> Result<FakeEcs, crate::ecs::AwsError> {
        Ok(self.0.clone())
    }
}

const SPEC: &str = "cluster: shop-staging
image: shop:IMAGE
taskDefinition: task-definitions/app.json
migration:
  revision: \"r2\"
  command: [bin/rails, db:migrate]
  quiesce: [worker]
services:
  web: {command: [bin/rails, server], desiredCount: 2}
  worker: {command: [bundle, exec, sidekiq], desiredCount: 2}
";

/// A config directory whose spec asks for `shop:2` at r2, and ECS running
/// `shop:1` at r1.
fn fixture(behaviour: Behaviour) -> (tempfile::TempDir, Reconciler<FakeConnect>, FakeEcs) {
    fixture_with(behaviour, Default::default())
}

/// [`fixture`], with release leases in `locks`.
fn fixture_with(
    behaviour: Behaviour,
    locks: crate::apply::lease::Locks,
) -> (tempfile::TempDir, Reconciler<FakeConnect>, FakeEcs) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("environments")).unwrap();
    std::fs::create_dir_all(dir.path().join("task-definitions")).unwrap();
    std::fs::write(
        dir.path().join("task-definitions/app.json"),
        crate::testkit::TEMPLATE,
    )
    .unwrap();
    let spec_file = dir.path().join("environments/staging.yaml");
    let location = RepoLocation {
        repo: dir.path().display().to_string(),
        git_ref: None,
        cache_dir: dir.path().join(".cache"),
        auth: Default::default(),
        trust: None,
    };
    std::fs::write(&spec_file, SPEC.replace("IMAGE", "1")).unwrap();
    let old = spec::load(&Snapshot::open(&location).unwrap(), "staging").unwrap();
    let fake = FakeEcs::default();
    fake.add_cluster(&old.cluster, &[(&old.revision_tag(), "r1")]);
    for s in &old.services {
        let td = render::service_task_definition(&old, s);
        fake.add_service(&old.cluster, &s.name, &td, 2, &[]);
    }
    fake.with(|s| s.behaviour = behaviour);
    std::fs::write(&spec_file, SPEC.replace("IMAGE", "2")).unwrap();
    let settings = Settings {
        interval: Duration::from_secs(60),
        poll_interval: Duration::from_secs(1),
        backoff_base: Duration::from_secs(10),
        backoff_max: Duration::from_secs(300),
        lease_ttl: locks.default_ttl(),
        locks,
    };
    let reconciler = Reconciler::new(
        location,
        settings,
        Arc::new(ControllerState::default()),
        FakeConnect(fake.clone()),
    );
    (dir, reconciler, fake)
}

/// Reconcile `times` times, waiting as each verdict asks.
async fn cycles(reconciler: &Reconciler<FakeConnect>, times: usize) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for _ in 0..times {
        let verdict = reconciler.reconcile("staging", None).await;
        tokio::time::advance(verdict.next).await;
        verdicts.push(verdict);
    }
    verdicts
}

fn run_tasks(fake: &FakeEcs) -> usize {
    fake.with(|s| s.log.iter().filter(|l| l.ends_with(" RunTask")).count())
}

#[tokio::test(start_paused = true)]
async fn a_release_is_applied_once_and_then_in_sync() {
    let (_dir, reconciler, fake) = fixture(Behaviour::default());
    let results: Vec<ResultKind> = cycles(&reconciler, 3)
        .await
        .iter()
        .map(|v| v.result)
        .collect();
    assert_eq!(
        results,
        [ResultKind::Applied, ResultKind::InSync, ResultKind::InSync]
    );
    assert_eq!(run_tasks(&fake), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_migration_is_terminal_for_its_commit_and_never_run_again() {
    let (_dir, reconciler, fake) = fixture(Behaviour {
        exit_code: 1,
        ..Behaviour::default()
    });
    let verdicts = cycles(&reconciler, 20).await;
    assert_eq!(verdicts[0].result, ResultKind::Failed);
    assert!(
        verdicts[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("exit code 1"),
        "{:?}",
        verdicts[0]
    );
    for v in &verdicts[1..] {
        assert_eq!(v.result, ResultKind::OutOfSync, "{v:?}");
        assert!(
            v.reason
                .as_deref()
                .unwrap()
                .contains("waiting for a new commit")
        );
    }
    assert_eq!(run_tasks(&fake), 1);
    assert_eq!(reconciler.failure_count("staging"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_read_backs_off_then_converges() {
    let (_dir, reconciler, fake) = fixture(Behaviour::default());
    fake.with(|s| s.faults.throttle = Some(1));
    let verdicts = cycles(&reconciler, 3).await;
    assert_eq!(verdicts[0].result, ResultKind::Failed);
    assert_eq!(
        verdicts[0].next,
        Duration::from_secs(10),
        "the first backoff"
    );
    assert_eq!(verdicts[1].result, ResultKind::Applied);
    assert_eq!(verdicts[2].result, ResultKind::InSync);
    assert_eq!(
        reconciler.failure_count("staging"),
        0,
        "success resets the count"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_rollout_backs_off_exponentially_instead_of_redeploying_in_a_loop() {
    let (_dir, reconciler, fake) = fixture(Behaviour {
        failing_deployments: u32::MAX,
        ..Behaviour::default()
    });
    let mut waits = Vec::new();
    for _ in 0..4 {
        let v = reconciler.reconcile("staging", None).await;
        if v.result == ResultKind::Failed {
            waits.push(v.next);
        }
        tokio::time::advance(v.next).await;
    }
    assert_eq!(
        waits,
        [10, 20, 40, 80].map(Duration::from_secs),
        "one release per backoff step"
    );
    assert_eq!(run_tasks(&fake), 1, "the migration ran once");
}

#[tokio::test(start_paused = true)]
async fn a_release_held_by_another_deckhand_is_waited_for_not_counted_as_a_failure() {
    use crate::ecs::locks::{LockTable, MemoryLockTable};
    let table = Arc::new(MemoryLockTable::default());
    let (_dir, reconciler, fake) = fixture_with(
        Behaviour::default(),
        crate::apply::lease::Locks::Table(table.clone()),
    );
    let ttl = Duration::from_secs(30);
    table
        .acquire("env/staging", "cli:42:ab", ttl)
        .await
        .unwrap();
    let verdict = reconciler.reconcile("staging", None).await;
    assert_eq!(verdict.result, ResultKind::OutOfSync);
    assert!(
        verdict.reason.as_deref().unwrap().contains("cli:42:ab"),
        "{verdict:?}"
    );
    assert!(verdict.next <= Duration::from_secs(31), "{verdict:?}");
    assert_eq!(reconciler.failure_count("staging"), 0);
    assert_eq!(run_tasks(&fake), 0);
    // Once the CLI is done (or its lease expired), the controller releases.
    tokio::time::advance(verdict.next).await;
    let verdict = reconciler.reconcile("staging", None).await;
    assert_eq!(verdict.result, ResultKind::Applied, "{verdict:?}");
    assert_eq!(run_tasks(&fake), 1);
    assert!(table.records().is_empty());
}
