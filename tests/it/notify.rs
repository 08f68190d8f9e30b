//! Release notifications, received by a local HTTP server.

use crate::support::Fixture;
use crate::support::emulator;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A local HTTP receiver recording each POST body; answers `status`.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Receiver {
    fn start(status: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let sink = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_owned();
                sink.lock()
                    .unwrap()
                    .push((path, serde_json::from_slice(&body).unwrap_or(Value::Null)));
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, bodies }
    }

    fn received(&self, path: &str) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
            .collect()
    }
}

fn fixture_with_webhook(name: &str) -> Fixture {
    let fx = Fixture::new(name);
    fx.edit_spec(|t| {
        t.replace(
            "  - slack: {webhookUrlFrom: SLACK_WEBHOOK_URL}\n",
            "  - slack: {webhookUrlFrom: SLACK_WEBHOOK_URL}\n  - webhook: {urlFrom: DEPLOY_HOOK_URL}\n",
        )
        .replace("command: [bin/rails, db:migrate]", &format!("command: [bin/rails, db:migrate, {}]", fx.id))
    });
    fx.seed(Some("20261101000000"), |_| {});
    fx
}

#[test]
fn slack_and_webhook_hear_started_and_succeeded() {
    let fx = fixture_with_webhook("notifyok");
    let receiver = Receiver::start(200);
    let commit = fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:9a8b7c6"));
    let slack = format!("{}/slack", receiver.url);
    let hook = format!("{}/hook", receiver.url);
    fx.run_with_env(
        "apply",
        &["--yes"],
        &[
            ("DECKHAND_POLL_INTERVAL", "200ms"),
            ("SLACK_WEBHOOK_URL", &slack),
            ("DEPLOY_HOOK_URL", &hook),
        ],
    )
    .expect_code(0);
    let events: Vec<Value> = receiver.received("/hook");
    assert_eq!(
        events
            .iter()
            .map(|e| e["event"].clone())
            .collect::<Vec<_>>(),
        [json!("started"), json!("succeeded")]
    );
    assert_eq!(events[0]["environment"], fx.id.as_str());
    assert_eq!(events[0]["commit"], commit.as_str());
    let slack = receiver.received("/slack");
    assert_eq!(slack.len(), 2);
    assert!(
        slack[1]["text"].as_str().unwrap().contains("released"),
        "{slack:?}"
    );
}

#[test]
fn a_failed_migration_is_notified_with_its_step_and_reason() {
    let fx = fixture_with_webhook("notifyfail");
    emulator().task_rule(json!({"commandContains": fx.id, "exitCode": 3,
            "logLines": ["== AddSkuIndex: migrating", "DATABASE_URL=postgres://shop:hunter2@db/shop", "PG::DuplicateTable: ERROR"]}));
    let receiver = Receiver::start(200);
    // Slack hears failures only.
    fx.edit_spec(|t| {
        t.replace("20261101000000", "20261120093000").replace(
            "  - slack: {webhookUrlFrom: SLACK_WEBHOOK_URL}\n",
            "  - slack: {webhookUrlFrom: SLACK_WEBHOOK_URL, events: [failed, rolled-back]}\n",
        )
    });
    let hook = format!("{}/hook", receiver.url);
    let slack_url = format!("{}/slack", receiver.url);
    fx.run_with_env(
        "apply",
        &["--yes"],
        &[
            ("DECKHAND_POLL_INTERVAL", "200ms"),
            ("DEPLOY_HOOK_URL", &hook),
            ("SLACK_WEBHOOK_URL", &slack_url),
        ],
    )
    .expect_code(1);
    let slack = receiver.received("/slack");
    assert_eq!(slack.len(), 1, "only the failure: {slack:?}");
    let message = slack[0].to_string();
    assert!(slack[0]["blocks"].is_array(), "Block Kit: {message}");
    assert!(message.contains("failed at migrate"), "{message}");
    assert!(message.contains("PG::DuplicateTable: ERROR"), "{message}");
    assert!(message.contains("postgres://shop:***@db/shop"), "{message}");
    assert!(!message.contains("hunter2"), "a secret was sent: {message}");
    assert!(message.contains("*Schema revision*"), "{message}");
    let events = receiver.received("/hook");
    let failed = events
        .iter()
        .find(|e| e["event"] == "failed")
        .expect("a failed event");
    assert_eq!(failed["step"], "migrate");
    assert!(
        failed["reason"].as_str().unwrap().contains("exit code 3"),
        "{failed}"
    );
    assert_eq!(failed["log"][2], "PG::DuplicateTable: ERROR");
    assert_eq!(failed["revision"], "20261120093000");
    assert!(failed["image"].as_str().unwrap().ends_with("shop:3f9c2e1"));
    assert!(failed["durationSeconds"].as_u64().is_some(), "{failed}");
}

#[test]
fn a_notification_that_fails_does_not_fail_the_release() {
    let fx = fixture_with_webhook("notify500");
    let receiver = Receiver::start(500);
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:9a8b7c6"));
    let hook = format!("{}/hook", receiver.url);
    let run = fx.run_with_env(
        "apply",
        &["--yes"],
        &[
            ("DECKHAND_POLL_INTERVAL", "200ms"),
            ("DEPLOY_HOOK_URL", &hook),
        ],
    );
    run.expect_code(0);
    run.stderr_has("webhook notification failed (the release is not affected): HTTP 500");
    assert!(
        !run.stderr.contains(&receiver.url),
        "the URL may hold a token: never logged"
    );
    assert_eq!(receiver.received("/hook").len(), 2);
}

#[test]
fn freezes_rollbacks_and_holds_are_notified() {
    let fx = fixture_with_webhook("notifylife");
    let receiver = Receiver::start(200);
    let slack = format!("{}/slack", receiver.url);
    let hook = format!("{}/hook", receiver.url);
    let vars = [
        ("DECKHAND_POLL_INTERVAL", "200ms"),
        ("SLACK_WEBHOOK_URL", slack.as_str()),
        ("DEPLOY_HOOK_URL", hook.as_str()),
    ];
    let repo = fx.repo();
    let with_repo = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--repo", repo.to_str().unwrap()]);
        let mut cmd_vars = fx.aws_env();
        cmd_vars.extend(vars.iter().map(|(k, v)| (*k, v.to_string())));
        fx.deckhand_with(&all, &cmd_vars)
    };
    with_repo(&["freeze", &fx.id, "--for", "1h", "--reason", "audit week"]).expect_code(0);
    with_repo(&["unfreeze", &fx.id]).expect_code(0);
    // Two releases, then back to the first, now.
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:9a8b7c6"));
    fx.run_with_env("apply", &["--yes"], &vars).expect_code(0);
    fx.edit_spec(|t| t.replace("shop:9a8b7c6", "shop:b4d1dea"));
    fx.run_with_env("apply", &["--yes"], &vars).expect_code(0);
    with_repo(&["rollback", &fx.id, "--now", "--reason", "5xx", "--yes"]).expect_code(0);
    with_repo(&["release-hold", &fx.id]).expect_code(0);

    let events: Vec<Value> = receiver
        .received("/hook")
        .into_iter()
        .filter(|e| !["started", "succeeded"].contains(&e["event"].as_str().unwrap()))
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    // The hold is put (and said) first, before the commit is written.
    assert_eq!(
        names,
        ["frozen", "unfrozen", "held", "rollback", "hold-released"],
        "{events:#?}"
    );
    assert!(
        events[0]["freeze"]
            .as_str()
            .unwrap()
            .ends_with(": audit week"),
        "{:?}",
        events[0]
    );
    assert_eq!(events[3]["release"], "v1");
    assert_eq!(events[3]["reason"], "5xx");
    assert!(
        events[2]["heldImage"]
            .as_str()
            .unwrap()
            .ends_with("shop:b4d1dea")
    );
    let slack = receiver.received("/slack");
    assert!(
        slack
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("rolled back to v1")),
        "{slack:#?}"
    );
}
