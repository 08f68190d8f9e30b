//! Controllers as replicas on one DynamoDB lock table (the emulator serves
//! DynamoDB), and the CLI's apply against them.

use crate::controller::{Running, sign};
use crate::support::emulator::{emulator, http};
use crate::support::fixture::Fixture;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const OLD_IMAGE: &str = "shop:3f9c2e1";
const NEW_IMAGE: &str = "shop:9a8b7c6";
const OLD_REVISION: &str = "20261101000000";
const NEW_REVISION: &str = "20261120093000";
/// Short leases, so takeovers happen within a test's patience.
const TTL: &str = "6s";

/// `lock-table create` a table of this fixture's own.
fn create_table(fx: &Fixture) -> String {
    let name = format!("{}-locks", fx.id);
    let run = fx.deckhand(&["lock-table", "create", &name]);
    run.expect_code(0);
    run.stdout_has("Created lock table");
    name
}

/// The table's leases, as `lock-table show` prints them.
fn leases(fx: &Fixture, table: &str) -> Vec<Value> {
    let run = fx.deckhand(&["lock-table", "show", table, "--format", "json"]);
    run.expect_code(0);
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    shown["leases"].as_array().unwrap().clone()
}

/// A controller replica on `table` for the fixture's environment and `more`.
fn replica(fx: &Fixture, table: &str, more: &[String]) -> Running {
    let envs = more.join(",");
    let mut args = vec!["--lock-table", table, "--interval", "1s"];
    if !more.is_empty() {
        args.extend(["--env", &envs]);
    }
    Running::start(fx, &args, &[("DECKHAND_LEASE_TTL", TTL)])
}

/// The shards a replica holds, as its `/status` says.
fn held(ctl: &Running) -> usize {
    ctl.status_json()["replica"]["held"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Wait until `replicas` split all 32 shards, each holding some.
fn wait_for_shards(replicas: &[&Running]) {
    replicas[0].wait_for(Duration::from_secs(40), "the shards to spread", || {
        let counts: Vec<usize> = replicas.iter().map(|r| held(r)).collect();
        counts.iter().sum::<usize>() == 32 && counts.iter().all(|&n| n > 0)
    });
}

/// What a replica's `/status` says about `env`: (holder, here).
fn replica_of(ctl: &Running, env: &str) -> (Option<String>, bool) {
    let status = ctl.status_json();
    let entry = status["environments"]
        .as_array()
        .and_then(|envs| envs.iter().find(|e| e["environment"] == env).cloned())
        .unwrap_or(Value::Null);
    (
        entry["replica"]["holder"].as_str().map(str::to_owned),
        entry["replica"]["here"] == true,
    )
}

fn me(ctl: &Running) -> String {
    ctl.status_json()["replica"]["me"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `deckhand <command> --env <env> --format json`, parsed (Null when it fails).
fn json_of(fx: &Fixture, command: &str, env: &str) -> Value {
    let repo = fx.repo();
    let args = [
        command,
        "--repo",
        repo.to_str().unwrap(),
        "--env",
        env,
        "--format",
        "json",
    ];
    serde_json::from_str(&fx.deckhand(&args).stdout).unwrap_or(Value::Null)
}

fn plan_changed(fx: &Fixture, env: &str) -> bool {
    json_of(fx, "plan", env)["changed"] != false
}

/// `deckhand history --format json` of `env`.
fn releases_of(fx: &Fixture, env: &str) -> Value {
    json_of(fx, "history", env)
}

fn run_tasks(fx: &Fixture, cluster: &str) -> usize {
    fx.calls()
        .iter()
        .filter(|c| c.operation == "RunTask" && c.params["cluster"] == cluster)
        .count()
}

fn bump(text: &str) -> String {
    text.replace(OLD_IMAGE, NEW_IMAGE)
        .replace(OLD_REVISION, NEW_REVISION)
}

/// Migrations of this fixture take `seconds`.
fn slow_migrations(fx: &Fixture, seconds: f64) {
    emulator()
        .task_rule(json!({"accessKey": fx.key, "commandContains": fx.id, "runSeconds": seconds}));
}

/// Three more environments in the fixture's repo and in ECS: their names,
/// and the commit that adds them.
fn three_more_environments(fx: &Fixture) -> (Vec<String>, String) {
    let others: Vec<String> = (1..=3).map(|i| format!("{}x{i}", fx.id)).collect();
    for name in &others {
        fx.add_environment(name);
    }
    let commit = fx.commit("three more environments");
    for name in &others {
        fx.seed_environment(name, Some(OLD_REVISION), |_| {});
    }
    (others, commit)
}

#[test]
fn three_replicas_share_the_environments_release_each_once_and_leave_on_sigterm() {
    let fx = Fixture::seeded("replicas");
    let (others, _) = three_more_environments(&fx);
    let table = create_table(&fx);
    let replicas: Vec<Running> = (0..3).map(|_| replica(&fx, &table, &others)).collect();
    wait_for_shards(&replicas.iter().collect::<Vec<_>>());
    let all: Vec<String> = std::iter::once(fx.id.clone())
        .chain(others.iter().cloned())
        .collect();

    // One commit bumps every image and schema revision.
    for env in &all {
        let path = format!("environments/{env}.yaml");
        let text = std::fs::read_to_string(fx.repo().join(&path)).unwrap();
        fx.write(&path, &bump(&text));
    }
    let commit = fx.commit("release everything");
    replicas[0].wait_for(Duration::from_secs(120), "every release recorded", || {
        all.iter().all(|env| {
            releases_of(&fx, env)["releases"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["commit"] == commit.as_str()))
        })
    });
    for env in &all {
        assert!(!plan_changed(&fx, env), "{env} in sync");
    }

    let names: Vec<String> = replicas.iter().map(me).collect();
    for env in &all {
        assert_eq!(run_tasks(&fx, env), 1, "{env}: one migration task");
        // One release of the commit, by one of the replicas.
        let history = releases_of(&fx, env);
        let releases: Vec<&Value> = history["releases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["commit"] == commit.as_str())
            .collect();
        assert_eq!(releases.len(), 1, "{env}: {history}");
        assert_eq!(releases[0]["result"], "succeeded");
        let by = releases[0]["by"].as_str().unwrap();
        assert!(names.iter().any(|n| n == by), "{env} released by {by}");
        // Every replica names the same one, and exactly one says "here"
        // (each learns of a shard that moved at its next lease round: wait
        // for that, as a reader of /status would, before judging).
        let agree = || {
            let seen: Vec<(Option<String>, bool)> =
                replicas.iter().map(|r| replica_of(r, env)).collect();
            let here = seen.iter().filter(|(_, here)| *here).count();
            here == 1 && seen.iter().all(|(h, _)| *h == seen[0].0)
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while !agree() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        let seen: Vec<(Option<String>, bool)> =
            replicas.iter().map(|r| replica_of(r, env)).collect();
        assert_eq!(
            seen.iter().filter(|(_, here)| *here).count(),
            1,
            "{env}: {seen:?}"
        );
        let holder = seen.iter().find(|(_, here)| *here).unwrap().0.clone();
        assert!(seen.iter().all(|(h, _)| *h == holder), "{env}: {seen:?}");
    }
    let (_, metrics) = replicas[0].get("/metrics");
    assert!(metrics.contains("deckhand_replicas 3"), "{metrics}");
    assert!(
        metrics.contains("deckhand_replica_shards_held{replica="),
        "{metrics}"
    );
    assert!(metrics.contains("deckhand_lock_table_calls_total{operation=\"Scan\"}"));

    assert!(!leases(&fx, &table).is_empty());
    for ctl in replicas {
        let (code, log) = ctl.terminate();
        assert_eq!(code, 0, "{log}");
        assert!(log.contains("left the lock table"), "{log}");
    }
    let left = leases(&fx, &table);
    assert!(left.is_empty(), "leases left behind: {left:?}");
}

#[test]
fn a_webhook_to_one_replica_brings_the_commit_to_the_environments_the_others_hold() {
    let fx = Fixture::seeded("replhook");
    let (others, old) = three_more_environments(&fx);
    let all: Vec<String> = std::iter::once(fx.id.clone())
        .chain(others.iter().cloned())
        .collect();
    let table = create_table(&fx);
    // An hour between fetches: only the webhook, and what its replica tells
    // the others, can bring them the next commit.
    let envs = others.join(",");
    let replicas: Vec<Running> = (0..3)
        .map(|_| {
            Running::start(
                &fx,
                &["--lock-table", &table, "--interval", "1h", "--env", &envs],
                &[("DECKHAND_LEASE_TTL", TTL)],
            )
        })
        .collect();
    wait_for_shards(&replicas.iter().collect::<Vec<_>>());
    for r in &replicas {
        r.wait_for(Duration::from_secs(30), "the first fetch", || {
            r.status_json()["repo"]["commit"] == old.as_str()
        });
    }
    // The webhook goes to a replica that does not hold the first environment.
    let target = replicas
        .iter()
        .find(|r| !replica_of(r, &fx.id).1)
        .expect("one replica holds it, two do not");
    let elsewhere: Vec<&String> = all
        .iter()
        .filter(|env| !replica_of(target, env).1)
        .collect();

    for env in &all {
        let path = format!("environments/{env}.yaml");
        let text = std::fs::read_to_string(fx.repo().join(&path)).unwrap();
        fx.write(&path, &text.replace(OLD_IMAGE, NEW_IMAGE));
    }
    let commit = fx.commit("a new image everywhere");
    let body = r#"{"ref":"refs/heads/main"}"#;
    let (code, _) = http(
        &target.addr,
        "POST",
        "/hooks/git",
        &[("X-Hub-Signature-256", &sign(body))],
        body,
    );
    assert_eq!(code, 202);
    let started = Instant::now();
    target.wait_for(
        Duration::from_secs(60),
        "every environment at the new image",
        || all.iter().all(|env| !plan_changed(&fx, env)),
    );
    let took = started.elapsed();
    assert!(!elsewhere.is_empty());
    // Every replica has fetched the commit; one holding none of the
    // environments that changed may take until its next look at the table.
    for r in &replicas {
        r.wait_for(Duration::from_secs(30), "the new commit fetched", || {
            r.status_json()["repo"]["commit"] == commit.as_str()
        });
    }
    // The notice in the table: the `repo` item, by the replica the webhook reached.
    let notice = leases(&fx, &table)
        .into_iter()
        .find(|l| l["id"] == "repo")
        .expect("the repo notice");
    assert_eq!(notice["holder"], me(target).as_str());
    let kept = notice["expiresIn"].as_i64().unwrap();
    assert!(kept > 23 * 3600, "kept a day for DynamoDB's TTL: {kept}s");
    let shown = fx.deckhand(&["lock-table", "show", &table]);
    assert!(
        shown.stdout.lines().any(|l| l.starts_with("repo ")
            && l.contains(&me(target))
            && l.contains("fetched the latest webhook's commit")),
        "{}",
        shown.stdout
    );
    let target_me = me(target);
    for ctl in replicas {
        let mine = me(&ctl) == target_me;
        let (code, log) = ctl.terminate();
        assert_eq!(code, 0, "{log}");
        assert_eq!(log.contains("woken by webhook"), mine, "{log}");
        assert_eq!(log.contains("woken by another replica"), !mine, "{log}");
    }
    eprintln!(
        "{} environments held elsewhere at the new image {:.1}s after the webhook",
        elsewhere.len(),
        took.as_secs_f64()
    );
}

#[test]
fn a_replica_killed_during_a_migration_is_taken_over_and_the_migration_runs_once() {
    let fx = Fixture::seeded("replkill");
    slow_migrations(&fx, 8.0);
    let table = create_table(&fx);
    let a = replica(&fx, &table, &[]);
    let b = replica(&fx, &table, &[]);
    wait_for_shards(&[&a, &b]);
    fx.edit_spec(|t| bump(&t));
    a.wait_for(Duration::from_secs(30), "the migration to start", || {
        run_tasks(&fx, &fx.id) == 1
    });
    let (a_here, b_here) = (replica_of(&a, &fx.id).1, replica_of(&b, &fx.id).1);
    assert!(a_here ^ b_here, "exactly one replica releases it");
    let (victim, survivor) = if a_here { (a, b) } else { (b, a) };
    victim.kill_hard();
    let killed = Instant::now();
    survivor.wait_for(Duration::from_secs(90), "the survivor to converge", || {
        !plan_changed(&fx, &fx.id)
    });
    println!(
        "takeover after kill -9: in sync {:.1}s later (lease TTL {TTL})",
        killed.elapsed().as_secs_f64()
    );
    assert_eq!(
        run_tasks(&fx, &fx.id),
        1,
        "the migration was adopted, not rerun"
    );
    assert!(replica_of(&survivor, &fx.id).1);
    // The dead replica's workers are back: nothing is left quiesced.
    let described = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["worker"]}),
    );
    assert_eq!(described["services"][0]["desiredCount"], 2, "{described}");
}

#[test]
fn a_cli_apply_while_a_replica_releases_exits_1_naming_it_and_changes_nothing() {
    let fx = Fixture::seeded("replcli");
    slow_migrations(&fx, 6.0);
    let table = create_table(&fx);
    let ctl = replica(&fx, &table, &[]);
    wait_for_shards(&[&ctl]);
    fx.edit_spec(|t| bump(&t));
    ctl.wait_for(Duration::from_secs(30), "the migration to start", || {
        run_tasks(&fx, &fx.id) == 1
    });
    let cli_key = format!("{}CLI", fx.key);
    let mut vars = fx.aws_env();
    vars.retain(|(k, _)| *k != "AWS_ACCESS_KEY_ID");
    vars.push(("AWS_ACCESS_KEY_ID", cli_key.clone()));
    let repo = fx.repo();
    let run = fx.deckhand_with(
        &[
            "apply",
            "--repo",
            repo.to_str().unwrap(),
            "--env",
            &fx.id,
            "--yes",
            "--lock-table",
            &table,
        ],
        &vars,
    );
    run.expect_code(1);
    assert!(
        run.stderr.contains("another deckhand is releasing")
            && run.stderr.contains(&format!(":{}:", ctl.pid())),
        "the error names the replica: {}",
        run.stderr
    );
    let writes: Vec<String> = emulator()
        .calls(&cli_key)
        .iter()
        .filter(|c| c.is_mutating())
        .map(|c| c.operation.clone())
        .collect();
    assert!(writes.is_empty(), "the CLI changed ECS: {writes:?}");
    ctl.wait_for(Duration::from_secs(60), "the replica's release", || {
        !plan_changed(&fx, &fx.id)
    });
    assert_eq!(run_tasks(&fx, &fx.id), 1);
    // The replica gave the environment's lease back.
    let env_lease = format!("env/{}", fx.id);
    ctl.wait_for(
        Duration::from_secs(10),
        "the release lease to be given back",
        || {
            leases(&fx, &table)
                .iter()
                .all(|l| l["id"] != env_lease.as_str())
        },
    );
}

#[test]
fn lock_table_errors_say_how_to_fix_them_and_change_nothing() {
    let fx = Fixture::seeded("repltable");
    fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    let missing = format!("{}-nope", fx.id);
    let run = fx.run("apply", &["--yes", "--lock-table", &missing]);
    run.expect_code(1);
    run.stderr_has(&format!("lock table '{missing}' not found in DynamoDB (region us-east-1): create it with `deckhand lock-table create {missing}`"));
    assert!(
        fx.calls().iter().all(|c| !c.is_mutating()),
        "nothing changed"
    );
    // DynamoDB out of reach is named as DynamoDB, at its own endpoint.
    let run = fx.run_with_env(
        "apply",
        &["--yes", "--lock-table", &missing],
        &[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")],
    );
    run.expect_code(1);
    run.stderr_has("cannot reach DynamoDB at http://127.0.0.1:9");
    assert!(
        fx.calls().iter().all(|c| !c.is_mutating()),
        "nothing changed"
    );
    // A usage error is bad input: exit 1, like every error.
    let run = fx.run("apply", &["--yes", "--lock-table", "x/y"]);
    run.expect_code(1);
    run.stderr_has("is not a DynamoDB table name");
    // A table that is not a lock table is refused, not used.
    let other = format!("{}-other", fx.id);
    emulator().dynamodb(
        &fx.key,
        "CreateTable",
        &json!({
            "TableName": other,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        }),
    );
    let run = fx.deckhand(&["lock-table", "create", &other]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "table '{other}' is not a deckhand lock table: its key is pk (HASH)"
    ));
    // Creating twice is a no-op the second time.
    let table = create_table(&fx);
    let again = fx.deckhand(&["lock-table", "create", &table]);
    again.expect_code(0);
    again.stdout_has("exists (key and TTL checked)");
}
