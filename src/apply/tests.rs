//! The release engine against the in-memory fake ECS, on paused time: the
//! order of a release, and crash safety at every call.
//!
//! The crash simulation runs a full release (register, quiesce, migrate,
//! update web and worker, rollouts, restore, tags) and a release whose first
//! rollout fails and is rolled back. For every ECS call k of such a run it
//! checks two cases: (a) the process stops right after call k took effect,
//! and apply runs again on the same ECS state; (b) call k takes effect but
//! answers with a 500, the engine goes on as it does, and apply runs again
//! (as the controller would) until the plan is empty. Every case must end
//! converged, with exactly one migration task for the revision, no service
//! left quiesced, the revision recorded, `deckhand:commit` on every service,
//! and no no-op step planned in between.

use super::progress::Progress;
use super::{ApplyError, ApplyOptions, ApplyOutcome, apply};
use crate::ecs::fake::{Behaviour, CALLER, FakeEcs, tasks_tagged};
use crate::ecs::{ScalingSuspension, Tenure};
use crate::live;
use crate::plan::FinishRelease;
use crate::plan::{self, Plan, Step};
use crate::spec::{Environment, render};
use crate::tags;
use crate::testkit;
use std::time::Duration;

const OLD_COMMIT: &str = "c0ffee0000000000000000000000000000000000";
const NEW_COMMIT: &str = "5eed000000000000000000000000000000000000";

/// Every call the fake logged after the first `before` only read.
#[track_caller]
fn assert_only_reads_since(fake: &FakeEcs, before: usize) {
    let after: Vec<String> = fake.with(|s| s.log[before..].to_vec());
    assert!(
        after
            .iter()
            .filter_map(|l| l.split_once(' ').map(|(_, op)| op))
            .all(|op| op.starts_with("Describe")
                || op.starts_with("List")
                || op.starts_with("Get")),
        "{after:?}"
    );
}

fn environment(image: &str, revision: &str) -> Environment {
    testkit::environment(image, Some(revision))
}

/// ECS running `shop:1` at revision r1, released by deckhand at OLD_COMMIT.
fn seeded(behaviour: Behaviour) -> FakeEcs {
    seeded_with(behaviour, |_, _| {})
}

/// [`seeded`], each service's definition passed through `tweak` first.
fn seeded_with(
    behaviour: Behaviour,
    tweak: fn(&str, &mut crate::taskdef::model::TaskDefinitionSpec),
) -> FakeEcs {
    let fake = FakeEcs::default();
    let old = environment("shop:1", "r1");
    fake.add_cluster(&old.cluster, &[(&old.revision_tag(), "r1")]);
    for s in &old.services {
        let mut definition = render::service_task_definition(&old, s);
        tweak(&s.name, &mut definition);
        fake.add_service(
            &old.cluster,
            &s.name,
            &definition,
            s.desired_count.unwrap(),
            &[(tags::COMMIT, OLD_COMMIT)],
        );
    }
    // The worker autoscales (nothing suspended): a release must leave it so.
    fake.with(|state| {
        state.behaviour = behaviour;
        state.scalable_targets.insert(
            (old.cluster.clone(), "worker".into()),
            ScalingSuspension::default(),
        );
    });
    fake
}

/// A lease owner whose process is gone (PIDs above pid_max never exist), so
/// the next run may take over a lease a "killed" run left behind.
fn owner(run: u32) -> String {
    format!("{}:4294967:run{run}", super::lease::hostname())
}

fn options(run: u32) -> ApplyOptions {
    ApplyOptions {
        owner: owner(run),
        ..ApplyOptions::new(Some(NEW_COMMIT.into()), Duration::from_secs(1))
    }
}

async fn plan_now(fake: &FakeEcs, env: &Environment) -> Result<Plan, ApplyError> {
    let live = live::fetch(fake, env).await?;
    Ok(plan::plan(env, Some(NEW_COMMIT), &live)?)
}

/// What a CLI apply does: plan against live, then apply that plan.
async fn release(fake: &FakeEcs, env: &Environment, run: u32) -> Result<ApplyOutcome, ApplyError> {
    let planned = plan_now(fake, env).await?;
    apply(fake, env, &planned, &options(run), &Progress::quiet()).await
}

/// Run `release`; None when the fake "crashed" (the process is gone).
async fn release_or_crash(
    fake: &FakeEcs,
    env: &Environment,
    run: u32,
) -> Option<Result<ApplyOutcome, ApplyError>> {
    tokio::select! {
        result = release(fake, env, run) => Some(result),
        () = fake.crashed() => None,
    }
}

/// One starting state and release of the crash simulation.
struct Scenario {
    name: &'static str,
    /// The cluster before the release.
    seed: fn(Behaviour) -> FakeEcs,
    /// What the config commit asks for.
    env: Environment,
    behaviour: Behaviour,
    /// The schema revision recorded at the end.
    revision: &'static str,
    /// Migration tasks for `env`'s revision at the end.
    migrations: usize,
    /// How the release ends when it is carried to its end.
    result: &'static str,
    /// How a release stopped part-way may end when the next apply carries
    /// it on (a failing deployment it had not reached yet fails then).
    carried: &'static [&'static str],
}

impl Scenario {
    fn succeeds(&self) -> bool {
        self.result == "succeeded"
    }
}

/// ECS as `init` adopts it: running `shop:1`, no deckhand tag anywhere.
fn adopted(behaviour: Behaviour) -> FakeEcs {
    let fake = seeded(behaviour);
    fake.with(|s| {
        for c in s.clusters.values_mut() {
            c.tags.clear();
        }
        for svc in s.services.values_mut() {
            svc.service.tags.clear();
        }
    });
    fake
}

/// The seeded environment plus `api`, which does not exist yet and has a service definition.
fn with_new_service(image: &str, revision: &str) -> Environment {
    let mut env = environment(image, revision);
    let mut api = testkit::service("api", Some(2), &["bin/api"]);
    api.service_definition = Some(crate::spec::ServiceDefinitionFile {
        path: "service-definitions/api.json".into(),
        definition: Default::default(),
    });
    env.services.push(api);
    env
}

/// A release with a smoke test on web after the rollouts.
fn with_smoke_test(image: &str, revision: &str) -> Environment {
    let mut env = environment(image, revision);
    env.smoke_test = Some(crate::spec::SmokeTest {
        command: vec!["bin/rails".into(), "runner".into(), "Smoke.run!".into()],
        timeout: Duration::from_secs(60),
        service: "web".into(),
    });
    env
}

/// The variable an APM agent injected into web's running definition.
const AGENT_VARIABLE: (&str, &str) = ("NEW_RELIC_APP_NAME", "shop (staging)");

/// [`seeded`], with [`AGENT_VARIABLE`] in web's running definition.
fn seeded_with_agent(behaviour: Behaviour) -> FakeEcs {
    seeded_with(behaviour, |service, definition| {
        if service == "web" {
            let app = &mut definition.container_definitions.as_mut().unwrap()[0];
            app.environment
                .get_or_insert_default()
                .push(crate::taskdef::model::KeyValuePair {
                    name: Some(AGENT_VARIABLE.0.into()),
                    value: Some(AGENT_VARIABLE.1.into()),
                });
        }
    })
}

/// A release whose spec ignores [`AGENT_VARIABLE`] on web.
fn with_agent_ignored(image: &str, revision: &str) -> Environment {
    let mut env = environment(image, revision);
    let pointer = format!("/containerDefinitions/app/environment/{}", AGENT_VARIABLE.0);
    env.ignore = vec![crate::spec::ignore::IgnoreRule {
        index: 0,
        service: Some("web".into()),
        task_definition: vec![crate::spec::ignore::Pointer::parse(&pointer).unwrap()],
        service_definition: vec![],
    }];
    env
}

/// Only web's count changes (no new image, no migration).
fn count_only() -> Environment {
    let mut env = environment("shop:1", "r1");
    let web = env.services.iter_mut().find(|s| s.name == "web").unwrap();
    web.desired_count = web.desired_count.map(|n| n + 1);
    env
}

fn scenarios() -> Vec<Scenario> {
    let full = |name, seed, env, behaviour| Scenario {
        name,
        seed,
        env,
        behaviour,
        revision: "r2",
        migrations: 1,
        result: "succeeded",
        carried: &["succeeded"],
    };
    vec![
        full(
            "full release (autoscaled worker quiesced)",
            seeded,
            environment("shop:2", "r2"),
            Behaviour::default(),
        ),
        Scenario {
            carried: &["succeeded", "rolled-back"],
            ..full(
                "release with a failed rollout",
                seeded,
                environment("shop:2", "r2"),
                Behaviour {
                    failing_deployments: 1,
                    ..Behaviour::default()
                },
            )
        },
        full(
            "first release of an adopted cluster",
            adopted,
            environment("shop:2", "r2"),
            Behaviour::default(),
        ),
        full(
            "release with a smoke test",
            seeded,
            with_smoke_test("shop:2", "r2"),
            Behaviour::default(),
        ),
        full(
            "release keeping an ignored variable",
            seeded_with_agent,
            with_agent_ignored("shop:2", "r2"),
            Behaviour::default(),
        ),
        full(
            "release that creates a service",
            seeded,
            with_new_service("shop:2", "r2"),
            Behaviour::default(),
        ),
        Scenario {
            name: "release whose migration fails",
            seed: seeded,
            env: environment("shop:2", "r2"),
            behaviour: Behaviour {
                exit_code: 1,
                ..Behaviour::default()
            },
            revision: "r1",
            migrations: 1,
            result: "failed:migrate",
            carried: &["failed:migrate"],
        },
        Scenario {
            name: "count-only change",
            seed: seeded,
            env: count_only(),
            behaviour: Behaviour::default(),
            revision: "r1",
            migrations: 0,
            result: "succeeded",
            carried: &["succeeded"],
        },
    ]
}

/// The history records of `env`, oldest first.
fn records(fake: &FakeEcs, env: &Environment) -> Vec<crate::history::Release> {
    let family = format!("{}:", crate::history::family(&env.name));
    fake.with(|s| {
        let mut found: Vec<(u32, crate::history::Release)> = s
            .task_definitions
            .values()
            .filter(|td| td.family_revision.starts_with(&family))
            .filter_map(|td| {
                let revision = td.family_revision.rsplit(':').next()?.parse().ok()?;
                Some((revision, crate::history::parse(&td.spec)?))
            })
            .collect();
        found.sort_by_key(|(revision, _)| *revision);
        found.into_iter().map(|(_, r)| r).collect()
    })
}

/// Is a release still unfinished (its in-progress tag on the cluster)?
fn unfinished(fake: &FakeEcs, env: &Environment) -> bool {
    fake.with(|s| {
        s.clusters[&env.cluster]
            .tags
            .contains_key(&env.release_tag())
    })
}

/// Apply again until nothing is left to do — the plan is empty, or, after a
/// failed migration, only its retry (a new release) is — checking every
/// plan in between.
async fn converge(fake: &FakeEcs, scenario: &Scenario, case: &str) {
    let env = &scenario.env;
    fake.restart();
    for run in 1..=4 {
        let plan = plan_now(fake, env).await.expect("planning succeeds");
        for step in &plan.steps {
            assert!(!step.is_noop(), "{case}: no-op step planned: {step}");
        }
        let finishing = plan
            .steps
            .iter()
            .any(|s| matches!(s, Step::FinishRelease(FinishRelease { .. })));
        // A failed migration is not retried by finishing its release: done
        // once that release is recorded and only the retry is planned.
        let failed_and_finished = !scenario.succeeds()
            && !finishing
            && !unfinished(fake, env)
            && records(fake, env).last().is_some_and(|r| {
                r.result == scenario.result
                    && r.reason
                        .as_deref()
                        .is_some_and(|why| why.contains("stopped with exit code"))
            });
        let done = !plan.changed || failed_and_finished;
        if done && !has_lease(fake, env) {
            return;
        }
        match release(fake, env, run).await {
            // Finishing a release that had failed says so.
            Ok(_) | Err(ApplyError::EndedBefore { .. }) => {}
            // A rollout that fails once is retried, as the controller does.
            Err(ApplyError::RolloutFailed { .. }) if scenario.succeeds() => {}
            Err(ApplyError::MigrationFailed { .. }) if !scenario.succeeds() => {}
            Err(e) => panic!("{case}: run {run} failed: {e}"),
        }
    }
    let plan = plan_now(fake, env).await.unwrap();
    panic!(
        "{case}: not converged after 4 runs: {:?}",
        plan.steps
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
}

fn has_lease(fake: &FakeEcs, env: &Environment) -> bool {
    let key = tags::lease(&env.name);
    fake.with(|s| s.clusters[&env.cluster].tags.contains_key(&key))
}

/// The state every case of `scenario` must end in.
fn assert_ended(fake: &FakeEcs, scenario: &Scenario, case: &str) {
    let env = &scenario.env;
    let migration_revision = env.migration.as_ref().map(|m| m.revision.clone());
    fake.with(|s| {
        if let Some(revision) = &migration_revision {
            let migrations = tasks_tagged(s, tags::REVISION, revision);
            assert_eq!(
                migrations.len(),
                scenario.migrations,
                "{case}: migration tasks {migrations:?}"
            );
        }
        assert_eq!(
            s.scalable_targets[&(env.cluster.clone(), "worker".to_owned())],
            ScalingSuspension::default(),
            "{case}: the worker's autoscaling is not as it was"
        );
        let cluster = &s.clusters[&env.cluster];
        assert_eq!(
            cluster.tags.get(&env.revision_tag()).map(String::as_str),
            Some(scenario.revision),
            "{case}: revision"
        );
        assert!(
            !cluster.tags.contains_key(&env.release_tag()),
            "{case}: release left in progress: {:?}",
            cluster.tags
        );
        assert!(
            !cluster.tags.contains_key(&tags::lease(&env.name)),
            "{case}: lease left behind"
        );
        if !env.ignore.is_empty() {
            let web = &s.services[&(env.cluster.clone(), "web".to_owned())];
            let running = &s.task_definitions[&web.service.task_definition];
            let app = &running.spec.container_definitions.as_ref().unwrap()[0];
            let kept = app.environment.iter().flatten().any(|kv| {
                kv.name.as_deref() == Some(AGENT_VARIABLE.0)
                    && kv.value.as_deref() == Some(AGENT_VARIABLE.1)
            });
            assert!(kept, "{case}: web lost the ignored variable: {app:?}");
        }
        for spec in &env.services {
            let live = &s.services[&(env.cluster.clone(), spec.name.clone())].service;
            assert_eq!(
                Some(live.desired_count),
                spec.desired_count,
                "{case}: {} count",
                spec.name
            );
            assert!(
                !live.tags.contains_key(tags::QUIESCED_FROM)
                    && !live.tags.contains_key(tags::SCALING_SUSPENDED_FROM),
                "{case}: {} still marked quiesced: {:?}",
                spec.name,
                live.tags
            );
            if scenario.succeeds() {
                assert_eq!(
                    live.tags.get(tags::COMMIT).map(String::as_str),
                    Some(NEW_COMMIT),
                    "{case}: {} commit tag",
                    spec.name
                );
            }
        }
    });
    let records = records(fake, env);
    let mut ids: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.started.as_str(), r.by.as_str()))
        .collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(
        ids.len(),
        before,
        "{case}: a release recorded twice: {records:#?}"
    );
    let newest = records
        .last()
        .unwrap_or_else(|| panic!("{case}: no release recorded"));
    assert_eq!(newest.result, scenario.result, "{case}: {records:#?}");
}

/// The state a plain scenario (the full release) must end in.
fn assert_converged(fake: &FakeEcs, env: &Environment, case: &str) {
    let scenario = Scenario {
        env: env.clone(),
        ..scenarios().remove(0)
    };
    assert_ended(fake, &scenario, case);
}

/// Calls one clean run of `scenario` makes.
async fn calls_of(scenario: &Scenario) -> u64 {
    let fake = (scenario.seed)(scenario.behaviour.clone());
    let _ = release(&fake, &scenario.env, 0).await;
    fake.with(|s| s.log.len() as u64)
}

/// Both fault kinds at every call of `scenario`'s first run; returns the cases checked.
async fn every_call(scenario: &Scenario) -> u64 {
    let name = scenario.name;
    let env = &scenario.env;
    let calls = calls_of(scenario).await;
    assert!(calls > 5, "{name}: the run made only {calls} calls");
    let mut cases = 0;
    for k in 1..=calls {
        let crash = format!("{name}: crash after call {k}");
        let fake = (scenario.seed)(scenario.behaviour.clone());
        fake.with(|s| s.faults.crash_after = Some(k));
        assert!(
            release_or_crash(&fake, env, 0).await.is_none(),
            "{crash}: did not crash"
        );
        // What the stopped release had recorded of itself.
        let started = unfinished(&fake, env);
        let recorded_before: Vec<_> = records(&fake, env)
            .into_iter()
            .filter(|r| r.by == owner(0))
            .collect();
        converge(&fake, scenario, &crash).await;
        assert_ended(&fake, scenario, &crash);
        let ours: Vec<_> = records(&fake, env)
            .into_iter()
            .filter(|r| r.by == owner(0))
            .collect();
        if started || !recorded_before.is_empty() {
            // The stopped release is recorded exactly once: with what it
            // had recorded itself, or with the result it was carried to.
            assert_eq!(ours.len(), 1, "{crash}: {ours:#?}");
            match recorded_before.first() {
                Some(before) => assert_eq!(&ours[0], before, "{crash}"),
                None => assert!(
                    scenario.carried.contains(&ours[0].result.as_str()),
                    "{crash}: {ours:#?}"
                ),
            }
        } else {
            assert!(
                ours.is_empty(),
                "{crash}: a release that never began is recorded: {ours:#?}"
            );
        }

        let fail = format!("{name}: 500 after call {k}");
        let fake = (scenario.seed)(scenario.behaviour.clone());
        fake.with(|s| s.faults.fail_after = Some(k));
        let _ = release(&fake, env, 0).await;
        let started =
            unfinished(&fake, env) || records(&fake, env).iter().any(|r| r.by == owner(0));
        converge(&fake, scenario, &fail).await;
        assert_ended(&fake, scenario, &fail);
        let ours = records(&fake, env)
            .into_iter()
            .filter(|r| r.by == owner(0))
            .count();
        assert_eq!(ours, usize::from(started), "{fail}: recorded {ours} times");
        cases += 2;
    }
    cases
}

#[tokio::test(start_paused = true)]
async fn a_release_converges_after_a_crash_or_a_500_at_every_call() {
    let mut total = 0;
    let mut lines = Vec::new();
    for scenario in scenarios() {
        let cases = every_call(&scenario).await;
        total += cases;
        lines.push(format!("{cases} {}", scenario.name));
    }
    println!(
        "crash simulation: {total} cases checked ({})",
        lines.join(", ")
    );
}

/// A live lease owner of this process (two of them race), unlike [`owner`].
fn live_owner(run: &str) -> String {
    format!("{}:{}:{run}", super::lease::hostname(), std::process::id())
}

/// `release` as `caller`, owning the lease as a live process.
async fn release_as(
    fake: &FakeEcs,
    env: &Environment,
    caller: &'static str,
) -> Result<ApplyOutcome, ApplyError> {
    let options = ApplyOptions {
        owner: live_owner(caller),
        ..options(0)
    };
    CALLER
        .scope(caller, async {
            let planned = plan_now(fake, env).await?;
            apply(fake, env, &planned, &options, &Progress::quiet()).await
        })
        .await
}

#[tokio::test(start_paused = true)]
async fn of_two_releases_racing_for_the_tag_lease_the_one_that_stands_down_changed_nothing() {
    let env = environment("shop:2", "r2");
    let calls = calls_of(&scenarios()[0]).await;
    let solo_registrations = {
        let fake = seeded(Behaviour::default());
        release(&fake, &env, 0).await.unwrap();
        fake.with(|s| {
            s.log
                .iter()
                .filter(|l| l.ends_with(" RegisterTaskDefinition"))
                .count()
        })
    };
    let mut stood_down = 0;
    // The second starts after the first has made `k` calls: at every call
    // of the first's release, and both at once (k = 0).
    for k in 0..=calls as usize {
        let case = format!("the second apply started after call {k} of the first");
        let fake = seeded(Behaviour::default());
        let first = release_as(&fake, &env, "first");
        let second = async {
            // Start right after call k; while the first waits (its lease
            // settling) the clock must be let to run.
            loop {
                let made = fake.with(|s| s.log.len());
                if made >= k {
                    break;
                }
                tokio::task::yield_now().await;
                if fake.with(|s| s.log.len()) == made {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            release_as(&fake, &env, "second").await
        };
        let (first, second) = tokio::join!(first, second);
        let released =
            |r: &Result<ApplyOutcome, ApplyError>| matches!(r, Ok(ApplyOutcome::Released { .. }));
        assert!(
            released(&first) != released(&second),
            "{case}: exactly one releases: {first:?} / {second:?}"
        );
        let (loser, other) = if released(&first) {
            ("second", second)
        } else {
            ("first", first)
        };
        match other {
            // Its claim lost: it stood down. Or it began after the release ended.
            Err(ApplyError::Lease(_)) => stood_down += 1,
            Ok(ApplyOutcome::NoChanges) => {}
            other => {
                panic!("{case}: the {loser} neither stood down nor found nothing to do: {other:?}")
            }
        }
        let changes: Vec<&str> = fake.with(|s| {
            s.calls_by
                .iter()
                .filter(|(caller, op)| {
                    *caller == loser
                        && !op.starts_with("Describe")
                        && !op.starts_with("List")
                        && !op.starts_with("Get")
                })
                .map(|(_, op)| *op)
                .collect()
        });
        assert!(
            changes.is_empty() || changes == ["TagResource"],
            "{case}: the {loser} changed ECS beyond its own lease claim: {changes:?}"
        );
        let registrations = fake.with(|s| {
            s.log
                .iter()
                .filter(|l| l.ends_with(" RegisterTaskDefinition"))
                .count()
        });
        assert_eq!(
            registrations, solo_registrations,
            "{case}: one registration per family over both"
        );
        fake.with(|s| {
            assert!(
                !s.clusters[&env.cluster]
                    .tags
                    .contains_key(&tags::lease(&env.name)),
                "{case}: lease left behind"
            );
        });
        assert_converged(&fake, &env, &case);
        assert!(!plan_now(&fake, &env).await.unwrap().changed, "{case}");
    }
    assert!(stood_down > 0, "no interleaving made one stand down");
    println!(
        "lease race: {} interleavings, {stood_down} with a stand-down",
        calls + 1
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_release_runs_its_steps_in_order() {
    let fake = seeded(Behaviour::default());
    let env = environment("shop:2", "r2");
    let outcome = release(&fake, &env, 1).await.unwrap();
    assert!(matches!(
        outcome,
        ApplyOutcome::Released { migrated: true, .. }
    ));
    let log = fake.with(|s| s.log.clone());
    let mutations: Vec<&str> = log
        .iter()
        .map(|l| l.split_once(' ').unwrap().1)
        .filter(|op| !op.starts_with("Describe") && !op.starts_with("List"))
        .collect();
    assert_eq!(
        mutations,
        [
            "TagResource",            // lease
            "TagResource",            // the release in progress
            "RegisterTaskDefinition", // web
            "RegisterTaskDefinition", // worker
            "TagResource",            // worker quiesced-from, scaling-suspended-from
            "RegisterScalableTarget", // worker's autoscaling suspended
            "UpdateService",          // worker → 0
            "RegisterTaskDefinition", // migration
            "RunTask",
            "TagResource",            // schema revision
            "UpdateService",          // web
            "UpdateService",          // worker restored on the new definition
            "RegisterScalableTarget", // worker's autoscaling resumed
            "UntagResource",          // worker's markers
            "TagResource",            // web commit
            "TagResource",            // worker commit
            "RegisterTaskDefinition", // the release's history record
            "TagResource",            // last release
            "UntagResource",          // lease and the release in progress, together
        ]
    );
    assert_converged(&fake, &env, "full release");
    // A second apply is a no-op: nothing at all is written.
    let before = fake.with(|s| s.log.len());
    assert!(matches!(
        release(&fake, &env, 2).await.unwrap(),
        ApplyOutcome::NoChanges
    ));
    assert_only_reads_since(&fake, before);
}

#[tokio::test(start_paused = true)]
async fn a_failed_migration_restores_the_workers_and_updates_nothing() {
    let fake = seeded(Behaviour {
        exit_code: 1,
        ..Behaviour::default()
    });
    let env = environment("shop:2", "r2");
    let err = release(&fake, &env, 1).await.unwrap_err();
    assert!(matches!(err, ApplyError::MigrationFailed { .. }), "{err}");
    assert!(err.to_string().contains("exit code 1"), "{err}");
    fake.with(|s| {
        let worker = &s.services[&(env.cluster.clone(), "worker".to_owned())].service;
        assert_eq!(worker.desired_count, 2);
        assert!(!worker.tags.contains_key(tags::QUIESCED_FROM));
        assert!(worker.task_definition.ends_with("shop-worker:1"));
        let web = &s.services[&(env.cluster.clone(), "web".to_owned())].service;
        assert!(web.task_definition.ends_with("shop-web:1"));
        assert_eq!(
            s.clusters[&env.cluster]
                .tags
                .get(&env.revision_tag())
                .map(String::as_str),
            Some("r1")
        );
    });
}

#[tokio::test(start_paused = true)]
async fn a_migration_that_exited_0_before_a_crash_is_not_run_again() {
    // The issue this pins: the task stopped with exit code 0, deckhand died
    // before writing the revision, and the next apply ran the migration again.
    let fake = seeded(Behaviour::default());
    let env = environment("shop:2", "r2");
    let revision_tag_write = {
        let probe = seeded(Behaviour::default());
        let _ = release(&probe, &env, 0).await;
        probe.with(|s| {
            let run_task = s.log.iter().position(|l| l.ends_with("RunTask")).unwrap();
            s.log[run_task..]
                .iter()
                .find(|l| l.ends_with("TagResource"))
                .map(|l| l.split_once(' ').unwrap().0.parse::<u64>().unwrap())
                .unwrap()
        })
    };
    fake.with(|s| s.faults.crash_after = Some(revision_tag_write - 1));
    assert!(release_or_crash(&fake, &env, 0).await.is_none());
    fake.restart();
    release(&fake, &env, 1).await.unwrap();
    assert_converged(&fake, &env, "crash before the revision tag");
    assert_eq!(
        fake.with(|s| s.log.iter().filter(|l| l.ends_with("RunTask")).count()),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_release_whose_image_is_not_pushed_stops_before_the_lease() {
    let fake = seeded(Behaviour::default());
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:2";
    fake.with(|s| {
        s.missing.insert("shop:2".into());
    });
    let env = environment(image, "r2");
    let before = fake.with(|s| s.log.len());
    let err = release(&fake, &env, 1).await.unwrap_err();
    assert!(matches!(err, ApplyError::Preflight { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("web: container app: image: {image} is not in ECR")),
        "{err}"
    );
    assert_only_reads_since(&fake, before);
    // Pushed, the same release goes out.
    fake.with(|s| s.missing.clear());
    assert!(matches!(
        release(&fake, &env, 2).await.unwrap(),
        ApplyOutcome::Released { .. }
    ));
}

mod lock_table {
    //! Releases with `--lock-table`: strict leases, fencing.
    use super::*;
    use crate::apply::lease::Locks;
    use crate::ecs::AwsError;
    use crate::ecs::locks::{LockTable, MemoryLockTable};
    use std::sync::Arc;

    const TTL: Duration = Duration::from_secs(30);

    fn with_table(run: u32, table: &Arc<MemoryLockTable>) -> ApplyOptions {
        ApplyOptions {
            locks: Locks::Table(table.clone()),
            lease_ttl: TTL,
            ..options(run)
        }
    }

    async fn release_with(
        fake: &FakeEcs,
        env: &Environment,
        options: &ApplyOptions,
    ) -> Result<ApplyOutcome, ApplyError> {
        let planned = plan_now(fake, env).await?;
        apply(fake, env, &planned, options, &Progress::quiet()).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_lease_refuses_a_second_deckhand_by_name_and_nothing_changes() {
        let fake = seeded(Behaviour::default());
        let env = environment("shop:2", "r2");
        let table = Arc::new(MemoryLockTable::default());
        table
            .acquire("env/staging", "replica-b:7:ab", TTL)
            .await
            .unwrap();
        let before = fake.with(|s| s.log.len());
        let err = release_with(&fake, &env, &with_table(1, &table))
            .await
            .unwrap_err();
        assert!(matches!(err, ApplyError::Lease(_)), "{err}");
        assert!(err.to_string().contains("replica-b:7:ab"), "{err}");
        assert_only_reads_since(&fake, before);
    }

    #[tokio::test(start_paused = true)]
    async fn a_release_holds_the_table_lease_without_tags_and_gives_it_back() {
        let fake = seeded(Behaviour::default());
        let env = environment("shop:2", "r2");
        let table = Arc::new(MemoryLockTable::default());
        release_with(&fake, &env, &with_table(1, &table))
            .await
            .unwrap();
        assert_converged(&fake, &env, "release with a lock table");
        assert!(table.records().is_empty(), "{:?}", table.records());
        // No cluster-tag lease, no settle: the first write marks the
        // release in progress, the second is a registration.
        let writes: Vec<String> = fake.with(|s| {
            s.log
                .iter()
                .map(|l| l.split_once(' ').unwrap().1.to_owned())
                .filter(|op| !op.starts_with("Describe") && !op.starts_with("List"))
                .take(2)
                .collect()
        });
        assert_eq!(writes, ["TagResource", "RegisterTaskDefinition"]);
        let tags = fake.with(|s| s.clusters[&env.cluster].tags.clone());
        assert!(!tags.keys().any(|k| k.ends_with(":lease")), "{tags:?}");
        // Acquire, a fresh confirmation before RunTask, and the release.
        let calls = table.calls().snapshot();
        assert!(calls["UpdateItem"] >= 2, "{calls:?}");
        assert_eq!(calls["DeleteItem"], 1, "{calls:?}");
    }

    /// A migration that runs 100 s, under a 30 s lease.
    fn slow_migration() -> FakeEcs {
        seeded(Behaviour {
            task_polls: 100,
            ..Behaviour::default()
        })
    }

    /// Run a release while `meanwhile` acts on the table at `at`; returns
    /// the release's result and the fake's log length when the release
    /// must have known the lease was gone (`at` + one renewal).
    async fn release_while(
        fake: &FakeEcs,
        env: &Environment,
        table: &Arc<MemoryLockTable>,
        at: Duration,
        meanwhile: impl FnOnce(&MemoryLockTable),
    ) -> (Result<ApplyOutcome, ApplyError>, usize) {
        let options = with_table(1, table);
        let release = release_with(fake, env, &options);
        let act = async {
            tokio::time::sleep(at).await;
            meanwhile(table);
            tokio::time::sleep(TTL).await;
            fake.with(|s| s.log.len())
        };
        tokio::join!(release, act)
    }

    #[tokio::test(start_paused = true)]
    async fn a_release_whose_lease_was_taken_over_stops_before_its_next_change() {
        let fake = slow_migration();
        let env = environment("shop:2", "r2");
        let table = Arc::new(MemoryLockTable::default());
        let (result, known) = release_while(&fake, &env, &table, TTL / 2, |t| {
            t.steal("env/staging", "thief:1:x");
        })
        .await;
        let err = result.unwrap_err();
        assert_eq!(err.step(), "migrate", "{err}");
        assert!(
            err.to_string().contains("no longer held"),
            "the error says why: {err}"
        );
        // From the failed renewal on, the stale release only read.
        assert_only_reads_since(&fake, known);
        // The new holder carries on: the migration is adopted, not rerun.
        table
            .release(Tenure {
                id: "env/staging",
                holder: "thief:1:x",
                fence: 2,
            })
            .await
            .unwrap();
        release_with(&fake, &env, &with_table(2, &table))
            .await
            .unwrap();
        assert_converged(&fake, &env, "after a takeover");
    }

    #[tokio::test(start_paused = true)]
    async fn a_migration_is_not_started_on_a_lease_taken_over_moments_before() {
        // Taken over between the acquire and the migration: the lease's
        // deadline has not passed, so only RunTask's fresh renewal can tell.
        let fake = seeded(Behaviour::default());
        let env = environment("shop:2", "r2");
        let table = Arc::new(MemoryLockTable::default());
        *table.taken_before_renewal.lock().unwrap() =
            Some(("env/staging".into(), "thief:1:x".into()));
        let err = release_with(&fake, &env, &with_table(1, &table))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no longer held"), "{err}");
        assert_eq!(
            fake.with(|s| s.log.iter().filter(|l| l.ends_with(" RunTask")).count()),
            0,
            "no migration on a lost lease"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_release_that_cannot_renew_stops_before_its_lease_could_expire() {
        let fake = slow_migration();
        let env = environment("shop:2", "r2");
        let table = Arc::new(MemoryLockTable::default());
        let (result, known) = release_while(&fake, &env, &table, Duration::from_secs(5), |t| {
            t.down.store(true, std::sync::atomic::Ordering::SeqCst);
        })
        .await;
        let err = result.unwrap_err();
        let ApplyError::MigrationInterrupted { source, .. } = &err else {
            panic!("expected an interrupted migration: {err}");
        };
        assert!(matches!(source, AwsError::LeaseLost { .. }), "{source}");
        assert!(err.to_string().contains("not renewed"), "{err}");
        assert_only_reads_since(&fake, known);
        table.down.store(false, std::sync::atomic::Ordering::SeqCst);
        tokio::time::advance(TTL).await;
        release_with(&fake, &env, &with_table(2, &table))
            .await
            .unwrap();
        assert_converged(&fake, &env, "after the table came back");
    }
}

#[tokio::test(start_paused = true)]
async fn a_release_interrupted_then_superseded_by_another_commit_is_recorded_as_interrupted_once() {
    const OTHER_COMMIT: &str = "0def000000000000000000000000000000000000";
    let fake = seeded(Behaviour::default());
    let env = environment("shop:2", "r2");
    // The first release stops right after its in-progress mark: the second
    // TagResource of a release (the lease claim is the first).
    let mark_call = {
        let solo = seeded(Behaviour::default());
        release(&solo, &env, 0).await.unwrap();
        solo.with(|s| {
            let tags: Vec<u64> = s
                .log
                .iter()
                .filter(|l| l.ends_with(" TagResource"))
                .filter_map(|l| l.split(' ').next()?.parse().ok())
                .collect();
            tags[1]
        })
    };
    fake.with(|s| s.faults.crash_after = Some(mark_call));
    assert!(release_or_crash(&fake, &env, 0).await.is_none());
    assert!(unfinished(&fake, &env), "the mark is left");
    fake.restart();

    // A newer commit (another image) is applied.
    let newer = environment("shop:3", "r2");
    let live = live::fetch(&fake, &newer).await.unwrap();
    let planned = plan::plan(&newer, Some(OTHER_COMMIT), &live).unwrap();
    let finish = planned.steps.iter().find_map(|s| match s {
        Step::FinishRelease(f) => Some(f.finish),
        _ => None,
    });
    assert_eq!(finish, Some(crate::plan::Finish::Supersede));
    let options = ApplyOptions {
        owner: owner(1),
        ..ApplyOptions::new(Some(OTHER_COMMIT.into()), Duration::from_secs(1))
    };
    apply(&fake, &newer, &planned, &options, &Progress::quiet())
        .await
        .unwrap();

    let records = records(&fake, &newer);
    let interrupted: Vec<_> = records.iter().filter(|r| r.by == owner(0)).collect();
    assert_eq!(interrupted.len(), 1, "{records:#?}");
    assert_eq!(interrupted[0].result, "interrupted");
    assert_eq!(interrupted[0].commit.as_deref(), Some(&NEW_COMMIT[..12]));
    assert_eq!(records.last().unwrap().result, "succeeded");
    assert_eq!(records.last().unwrap().by, owner(1));
    assert!(
        !unfinished(&fake, &newer),
        "the newer release's mark is gone too"
    );
    // Nothing is left to finish: a second apply of the newer commit does nothing.
    let live = live::fetch(&fake, &newer).await.unwrap();
    assert!(
        !plan::plan(&newer, Some(OTHER_COMMIT), &live)
            .unwrap()
            .changed
    );
}

/// A release stopped right after its first UpdateService left that
/// deployment rolling: the next apply waits for it instead of starting
/// another, and a deployment that then fails fails the release (it is not
/// recorded as a success because the service already runs the new
/// definition).
#[tokio::test(start_paused = true)]
async fn a_deployment_a_stopped_release_left_rolling_is_waited_for_not_started_again() {
    let env = environment("shop:2", "r1");
    for failing in [0, 1] {
        let behaviour = Behaviour {
            rollout_polls: 6,
            failing_deployments: failing,
            ..Behaviour::default()
        };
        // Where the first UpdateService is in an undisturbed run.
        let probe = seeded(behaviour.clone());
        let _ = release(&probe, &env, 0).await;
        let k = probe.with(|s| {
            s.log
                .iter()
                .position(|l| l.ends_with(" UpdateService"))
                .expect("the release updates a service") as u64
                + 1
        });

        let fake = seeded(behaviour);
        fake.with(|s| s.faults.crash_after = Some(k));
        assert!(release_or_crash(&fake, &env, 0).await.is_none());
        fake.restart();
        let before = fake.with(|s| s.log.len());
        let outcome = release(&fake, &env, 1).await;
        let updates = fake.with(|s| {
            s.log[before..]
                .iter()
                .filter(|l| l.ends_with(" UpdateService"))
                .count()
        });
        // Only the service the stopped release had not reached is updated
        // (and, when web's deployment fails, rolled back again).
        assert_eq!(updates, 1 + failing as usize, "failing={failing}");
        match failing {
            0 => assert!(outcome.is_ok(), "{outcome:?}"),
            _ => assert!(
                matches!(outcome, Err(ApplyError::RolloutFailed { .. })),
                "{outcome:?}"
            ),
        }
    }
}
