//! `deckhand iam-policy`: the policy is scoped to the specs' resources, and
//! IAM (the emulator's policy validator) accepts it as a managed policy.

use crate::support::emulator::http;
use crate::support::{Fixture, emulator};
use serde_json::Value;

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// IAM CreatePolicy on the emulator: the HTTP status and body.
fn create_policy(key: &str, name: &str, document: &str) -> (u16, String) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0"
    );
    let addr = emulator().url.trim_start_matches("http://").to_owned();
    http(
        &addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", &auth),
        ],
        &form_encode(&[
            ("Action", "CreatePolicy"),
            ("Version", "2010-05-08"),
            ("PolicyName", name),
            ("PolicyDocument", document),
        ]),
    )
}

#[test]
fn the_policy_is_scoped_to_the_spec_and_iam_accepts_it() {
    let fx = Fixture::new("iam-policy");
    let run = fx.run_with_env(
        "iam-policy",
        &["--lock-table", "deckhand-locks"],
        &[("AWS_REGION", "us-east-1")],
    );
    run.expect_code(0);
    let policy: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let text = policy.to_string();
    let cluster = format!("arn:aws:ecs:us-east-1:123456789012:cluster/{}", fx.id);
    assert!(text.contains(&cluster), "{text}");
    assert!(
        text.contains(&format!("service/{}/worker", fx.id)),
        "{text}"
    );
    assert!(
        text.contains(&format!("task-definition/{}-migrate:*", fx.id)),
        "{text}"
    );
    let pass = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == serde_json::json!(["iam:PassRole"]))
        .expect("a PassRole statement");
    assert_eq!(
        pass["Resource"],
        serde_json::json!([
            "arn:aws:iam::123456789012:role/shop-app",
            "arn:aws:iam::123456789012:role/shop-ecs-execution"
        ])
    );
    assert!(text.contains("application-autoscaling:RegisterScalableTarget"));
    // The preflight's, the logs' and the history's reads, on the example's resources.
    for (action, resource) in [
        (
            "ecr:DescribeImages",
            "arn:aws:ecr:us-east-1:123456789012:repository/shop",
        ),
        ("iam:GetRole", "arn:aws:iam::123456789012:role/shop-app"),
        (
            "ssm:GetParameters",
            "arn:aws:ssm:us-east-1:123456789012:parameter/shop/database-url",
        ),
        (
            "logs:GetLogEvents",
            "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/shop:*",
        ),
        ("logs:DescribeLogGroups", "*"),
        ("ecs:ListTaskDefinitions", "*"),
        ("ecs:ListTasks", "*"),
        // The lock table's leases (--lock-table).
        (
            "dynamodb:UpdateItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/deckhand-locks",
        ),
        (
            "dynamodb:DeleteItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/deckhand-locks",
        ),
        (
            "dynamodb:Scan",
            "arn:aws:dynamodb:us-east-1:123456789012:table/deckhand-locks",
        ),
    ] {
        let granted = policy["Statement"].as_array().unwrap().iter().any(|s| {
            s["Action"].as_array().unwrap().iter().any(|a| a == action)
                && (s["Resource"] == resource
                    || s["Resource"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|x| x == resource)))
        });
        assert!(granted, "{action} on {resource} missing from {text}");
    }
    assert!(!text.contains("\"Action\":\"*\"") && !text.contains("\"ecs:*\""));

    let (status, body) = create_policy(&fx.key, &format!("{}-deckhand", fx.id), &run.stdout);
    assert_eq!(status, 200, "{body}");
    // The validator is real: a malformed action is refused.
    let broken = run
        .stdout
        .replacen("ecs:DescribeClusters", "ecs DescribeClusters", 1);
    let (status, body) = create_policy(&fx.key, &format!("{}-broken", fx.id), &broken);
    assert_ne!(status, 200, "{body}");
}
