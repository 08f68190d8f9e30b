//! `deckhand controller` and `deckhand status` against the emulator and a
//! file:// config repo.

use crate::support::emulator;
use crate::support::emulator::http;
use crate::support::fixture::Fixture;
use serde_json::{Value, json};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const OLD_IMAGE: &str = "shop:3f9c2e1";
const NEW_IMAGE: &str = "shop:9a8b7c6";

pub(crate) fn url(fx: &Fixture) -> String {
    format!("file://{}", fx.repo().display())
}

pub(crate) fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// `controller --once` over the file:// URL of the fixture's repo.
fn once(fx: &Fixture, extra: &[&str]) -> crate::support::fixture::Run {
    let repo = url(fx);
    let mut args = vec!["controller", "--once", "--repo", &repo, "--env", &fx.id];
    args.extend_from_slice(extra);
    let mut vars = fx.aws_env();
    vars.push(("DECKHAND_POLL_INTERVAL", "200ms".into()));
    fx.deckhand_with(&args, &vars)
}

/// A running controller, killed on drop.
pub(crate) struct Running {
    child: Child,
    pub(crate) addr: String,
    log: std::path::PathBuf,
}

impl Running {
    pub(crate) fn start(fx: &Fixture, extra: &[&str], vars: &[(&str, &str)]) -> Running {
        let addr = free_addr();
        let repo = url(fx);
        // Logs go to a file (one per controller): a pipe nobody reads would
        // fill up and block the controller.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = fx.repo().with_file_name(format!("controller-{n}.log"));
        let mut args = vec!["--listen", &addr];
        args.extend_from_slice(extra);
        let mut all_vars = vec![
            ("DECKHAND_POLL_INTERVAL", "200ms"),
            ("DECKHAND_WEBHOOK_SECRET", "s3cret"),
        ];
        all_vars.extend_from_slice(vars);
        let child = fx
            .command_at(&repo, "controller", &args, &all_vars)
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        let running = Running { child, addr, log };
        running.wait_for(Duration::from_secs(30), "ready", || {
            running.get("/readyz").0 == 200
        });
        running
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        match std::net::TcpStream::connect(&self.addr) {
            Ok(_) => http(&self.addr, "GET", path, &[], ""),
            Err(_) => (0, String::new()),
        }
    }

    pub(crate) fn wait_for(&self, limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + limit;
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn status(&self, fx: &Fixture) -> Value {
        let (_, body) = self.get("/status");
        let status: Value = serde_json::from_str(&body).unwrap();
        status["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["environment"] == fx.id.as_str())
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// The controller's process ID.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The JSON of `/status`.
    pub(crate) fn status_json(&self) -> Value {
        let (_, body) = self.get("/status");
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }

    /// SIGKILL: no shutdown, no cleanup.
    pub(crate) fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(crate) fn terminate(mut self) -> (i32, String) {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        (code, std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn in_sync(fx: &Fixture) -> bool {
    let run = fx.run("plan", &["--format", "json"]);
    serde_json::from_str::<Value>(&run.stdout)
        .map(|p| p["changed"] == false)
        .unwrap_or(false)
}

/// The `X-Hub-Signature-256` of `body` under the test controllers' webhook secret.
pub(crate) fn sign(body: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[test]
fn once_applies_a_new_commit_then_finds_it_in_sync_and_status_says_so() {
    let fx = Fixture::seeded("ctlonce");
    let commit = fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    let run = once(&fx, &[]);
    run.expect_code(0);
    run.stdout_has(&format!("{}: applied", fx.id));
    let again = once(&fx, &[]);
    assert!(
        again
            .expect_code(0)
            .stdout
            .contains(&format!("{}: in-sync", fx.id)),
        "{}",
        again.stdout
    );

    let status = fx.run("status", &["--format", "json"]);
    let status: Value = serde_json::from_str(&status.expect_code(0).stdout).unwrap();
    assert_eq!(status["inSync"], true);
    assert_eq!(status["schemaRevision"], "20261101000000");
    assert!(
        status["lastRelease"]
            .as_str()
            .unwrap()
            .starts_with(&format!("succeeded {}", &commit[..12])),
        "{status}"
    );
    assert_eq!(status["services"][0]["commit"], commit.as_str());
    let text = fx.run("status", &[]);
    text.stdout_has("in sync:         yes");
}

#[test]
fn a_running_controller_picks_up_a_commit_and_serves_health_metrics_and_status() {
    let fx = Fixture::seeded("ctlloop");
    let ctl = Running::start(&fx, &["--interval", "1s"], &[]);
    assert_eq!(ctl.get("/healthz").0, 200);
    ctl.wait_for(Duration::from_secs(20), "first reconcile", || {
        ctl.status(&fx)["lastResult"] == "in-sync"
    });
    assert_eq!(ctl.status(&fx)["recentReleases"], serde_json::json!([]));
    let commit = fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    ctl.wait_for(Duration::from_secs(40), "the commit applied", || {
        ctl.status(&fx)["commitApplied"] == commit.as_str()
    });
    assert!(in_sync(&fx));
    // The release it made is in /status, from the history in ECS.
    let releases = ctl.status(&fx)["recentReleases"].clone();
    assert_eq!(releases[0]["commit"], commit.as_str(), "{releases}");
    assert_eq!(releases[0]["result"], "succeeded", "{releases}");

    let (code, metrics) = ctl.get("/metrics");
    assert_eq!(code, 200);
    for line in metrics.lines().filter(|l| !l.is_empty()) {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP ") || line.starts_with("# TYPE "),
                "{line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
    }
    assert!(
        metrics.contains(&format!(
            "deckhand_reconciles_total{{environment=\"{}\",result=\"applied\"}} 1",
            fx.id
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("deckhand_ecs_calls_total{operation=\"DescribeServices\"}"),
        "{metrics}"
    );
    let (code, stderr) = ctl.terminate();
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_signed_webhook_wakes_the_controller_at_once_and_a_bad_one_is_rejected() {
    let fx = Fixture::seeded("ctlhook");
    let ctl = Running::start(&fx, &["--interval", "1h"], &[]);
    ctl.wait_for(Duration::from_secs(20), "first reconcile", || {
        ctl.status(&fx)["lastResult"] == "in-sync"
    });
    let commit = fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));

    let body = r#"{"ref":"refs/heads/main"}"#;
    let (code, _) = http(
        &ctl.addr,
        "POST",
        "/hooks/git",
        &[("X-Hub-Signature-256", "sha256=0000")],
        body,
    );
    assert_eq!(code, 401);
    let (code, _) = http(&ctl.addr, "POST", "/hooks/git", &[], body);
    assert_eq!(code, 401);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        fx.count("RegisterTaskDefinition"),
        0,
        "a rejected webhook changes nothing"
    );

    let (code, _) = http(
        &ctl.addr,
        "POST",
        "/hooks/git",
        &[("X-Hub-Signature-256", &sign(body))],
        body,
    );
    assert_eq!(code, 202);
    ctl.wait_for(Duration::from_secs(30), "the commit applied", || {
        ctl.status(&fx)["commitApplied"] == commit.as_str()
    });
    let (_, metrics) = ctl.get("/metrics");
    assert!(
        metrics.contains("deckhand_webhooks_total{result=\"rejected\"} 2"),
        "{metrics}"
    );
}

fn scale_worker_in_the_console(fx: &Fixture, count: i64) {
    emulator().ecs(
        "console-user",
        "UpdateService",
        &json!({"cluster": fx.id, "service": "worker", "desiredCount": count}),
    );
}

#[test]
fn console_drift_is_reverted_with_self_heal() {
    let fx = Fixture::seeded("ctldrift");
    once(&fx, &[]).expect_code(0); // in sync, nothing to do
    fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    once(&fx, &[]).expect_code(0); // applied: services carry the commit
    scale_worker_in_the_console(&fx, 7);
    let run = once(&fx, &[]);
    assert!(
        run.expect_code(0)
            .stdout
            .contains(&format!("{}: applied", fx.id)),
        "{}",
        run.stdout
    );
    assert!(in_sync(&fx), "worker back at 2");
}

#[test]
fn console_drift_is_only_reported_without_self_heal() {
    let fx = Fixture::seeded("ctlreport");
    fx.edit_spec(|t| format!("{t}\nsync:\n  selfHeal: false\n").replace(OLD_IMAGE, NEW_IMAGE));
    once(&fx, &[]).expect_code(0);
    scale_worker_in_the_console(&fx, 7);
    let before = fx.count("UpdateService");
    let run = once(&fx, &[]);
    run.expect_code(0);
    run.stdout_has("out-of-sync (drift (live changed outside git)");
    run.stdout_has("desiredCount 7 → 2");
    assert_eq!(fx.count("UpdateService"), before, "not reverted");
}

#[test]
fn a_failed_migration_is_not_rerun_and_a_failing_rollout_backs_off() {
    let fx = Fixture::seeded("ctlbackoff");
    emulator().task_rule(json!({"accessKey": fx.key, "commandContains": fx.id, "exitCode": 1}));
    fx.edit_spec(|t| t.replace("20261101000000", "20261120093000"));
    let ctl = Running::start(&fx, &["--interval", "300ms", "--backoff-base", "1s"], &[]);
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        fx.count("RunTask"),
        1,
        "a failed migration is never re-run for the same commit"
    );
    let status = ctl.status(&fx);
    assert_eq!(status["inSync"], false);
    assert!(
        status["reason"]
            .as_str()
            .unwrap()
            .contains("waiting for a new commit"),
        "{status}"
    );

    // A new commit (failing rollout: crashing image, same revision as recorded) starts afresh, then backs off.
    emulator().request(
        "DELETE",
        &format!("/_deckhand/task-rules?accessKey={}", fx.key),
        None,
    );
    fx.edit_spec(|t| {
        t.replace("20261120093000", "20261101000000")
            .replace(OLD_IMAGE, "shop:crash-1")
    });
    std::thread::sleep(Duration::from_secs(12));
    let attempts = fx
        .calls()
        .iter()
        .filter(|c| {
            c.operation == "UpdateService"
                && c.params["service"] == "web"
                && c.params["taskDefinition"]
                    .as_str()
                    .is_some_and(|t| t.contains(&format!("{}-web", fx.id)))
        })
        .count();
    // Each attempt is an update plus a rollback; with backoff 1s, 2s, 4s… in 12 s at most ~4 attempts, not ~40.
    assert!(
        (2..=10).contains(&attempts),
        "UpdateService web calls: {attempts}"
    );
    drop(ctl);
}

#[test]
fn sigterm_during_a_rollout_exits_cleanly_and_a_restart_converges() {
    let fx = Fixture::seeded("ctlsigterm");
    fx.rollout_seconds(3.0);
    let ctl = Running::start(&fx, &["--interval", "500ms"], &[]);
    fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    ctl.wait_for(Duration::from_secs(30), "a rollout to start", || {
        fx.count("UpdateService") > 0
    });
    let started = Instant::now();
    let (code, stderr) = ctl.terminate();
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(stderr.contains("shutting down"), "{stderr}");
    let run = once(&fx, &[]);
    run.expect_code(0);
    assert!(in_sync(&fx));
}

#[test]
fn two_environments_reconcile_concurrently_and_one_failing_does_not_block_the_other() {
    let fx = Fixture::seeded("ctltwo");
    // A second environment whose cluster does not exist: it fails, the first applies.
    let broken = format!("{}-b", fx.id);
    let spec = std::fs::read_to_string(fx.spec_path()).unwrap();
    fx.write(
        &format!("environments/{broken}.yaml"),
        &spec.replace(
            &format!("cluster: {}", fx.id),
            &format!("cluster: {broken}"),
        ),
    );
    fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    let repo = url(&fx);
    let mut vars = fx.aws_env();
    vars.push(("DECKHAND_POLL_INTERVAL", "200ms".into()));
    let run = fx.deckhand_with(&["controller", "--once", "--repo", &repo], &vars);
    run.expect_code(1);
    run.stdout_has(&format!("{}: applied", fx.id));
    run.stdout_has(&format!("{broken}: failed (cluster '{broken}' not found"));
    run.stderr_has("1 environment(s) failed");
}

#[test]
fn an_unreachable_repo_keeps_the_last_good_commit_reconciled_and_is_reported() {
    let fx = Fixture::seeded("ctlunreach");
    let ctl = Running::start(&fx, &["--interval", "1s"], &[]);
    ctl.wait_for(Duration::from_secs(20), "first reconcile", || {
        ctl.status(&fx)["lastResult"] == "in-sync"
    });
    let moved = fx.repo().with_file_name("repo-moved");
    std::fs::rename(fx.repo(), &moved).unwrap();
    ctl.wait_for(Duration::from_secs(20), "the fetch error", || {
        let (_, body) = ctl.get("/status");
        serde_json::from_str::<Value>(&body).unwrap()["repo"]["error"].is_string()
    });
    let seen = ctl.status(&fx)["lastReconcileAt"].clone();
    ctl.wait_for(Duration::from_secs(20), "a later reconcile", || {
        let status = ctl.status(&fx);
        status["lastReconcileAt"] != seen && status["lastResult"] == "in-sync"
    });
    std::fs::rename(&moved, fx.repo()).unwrap();
    let (code, _) = ctl.terminate();
    assert_eq!(code, 0);
}

#[test]
fn a_second_signal_exits_at_once_without_waiting_for_the_rollout() {
    let fx = Fixture::seeded("ctltwosig");
    fx.rollout_seconds(60.0);
    let ctl = Running::start(&fx, &["--interval", "500ms"], &[]);
    fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    ctl.wait_for(Duration::from_secs(30), "a rollout to start", || {
        fx.count("UpdateService") > 0
    });
    let pid = ctl.child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (code, log) = ctl.terminate(); // the second SIGTERM
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("second signal: exiting now"), "{log}");
    // The 60 s rollout was not awaited.
    assert!(started.elapsed() < Duration::from_secs(30));
}
