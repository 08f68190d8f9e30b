//! `deckhand iam-policy`: the policy is scoped to the specs' resources (the
//! service definitions' roles and the services' deployments included), and
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

/// Does a statement of `policy` allow `action` on `resource` (listed as is)?
fn grants(policy: &Value, action: &str, resource: &str) -> bool {
    policy["Statement"].as_array().unwrap().iter().any(|s| {
        s["Action"].as_array().unwrap().iter().any(|a| a == action)
            && (s["Resource"] == resource
                || s["Resource"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x == resource)))
    })
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
        assert!(
            grants(&policy, action, resource),
            "{action} on {resource} missing from {text}"
        );
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

#[test]
fn service_definitions_add_their_roles_and_the_service_deployments() {
    let fx = Fixture::new("iam-svcdef");
    fx.write(
        "service-definitions/web.json",
        &serde_json::json!({
            "launchType": "EC2",
            "role": "ecs/shop-elb",
            "loadBalancers": [{"loadBalancerName": "shop", "containerName": "app", "containerPort": 3000}],
            "volumeConfigurations": [{"name": "data", "managedEBSVolume": {
                "roleArn": "arn:aws:iam::123456789012:role/shop-ebs", "sizeInGiB": 20
            }}],
            "tags": [{"key": "team", "value": "shop"}]
        })
        .to_string(),
    );
    let family = format!("    family: {}-web\n", fx.id);
    fx.edit_spec(|t| {
        t.replace(
            &family,
            &format!("{family}    serviceDefinition: service-definitions/web.json\n"),
        )
    });
    let run = fx.run_with_env("iam-policy", &[], &[("AWS_REGION", "us-east-1")]);
    run.expect_code(0);
    let policy: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let text = policy.to_string();
    let ecs = "arn:aws:ecs:us-east-1:123456789012";
    for (action, resource) in [
        (
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/ecs/shop-elb".to_owned(),
        ),
        (
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/shop-ebs".to_owned(),
        ),
        ("ecs:CreateService", format!("{ecs}:service/{}/web", fx.id)),
        ("ecs:UpdateService", format!("{ecs}:service/{}/web", fx.id)),
        ("ecs:TagResource", format!("{ecs}:service/{}/web", fx.id)),
        ("ecs:UntagResource", format!("{ecs}:service/{}/web", fx.id)),
        (
            "ecs:ListServiceDeployments",
            format!("{ecs}:service/{}/worker", fx.id),
        ),
        (
            "ecs:DescribeServiceDeployments",
            format!("{ecs}:service-deployment/{}/web/*", fx.id),
        ),
        (
            "ecs:StopServiceDeployment",
            format!("{ecs}:service-deployment/{}/worker/*", fx.id),
        ),
    ] {
        assert!(
            grants(&policy, action, &resource),
            "{action} on {resource} missing from {text}"
        );
    }
    // The service roles go to ECS itself, the task roles to ECS tasks only.
    let passes: Vec<&Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Action"] == serde_json::json!(["iam:PassRole"]))
        .collect();
    assert_eq!(passes.len(), 2, "{text}");
    let to_ecs = passes
        .iter()
        .find(|s| s["Condition"]["StringEquals"]["iam:PassedToService"] == "ecs.amazonaws.com")
        .expect("a PassRole to ecs.amazonaws.com");
    assert_eq!(
        to_ecs["Resource"],
        serde_json::json!([
            "arn:aws:iam::123456789012:role/ecs/shop-elb",
            "arn:aws:iam::123456789012:role/shop-ebs"
        ])
    );

    let (status, body) = create_policy(&fx.key, &format!("{}-deckhand", fx.id), &run.stdout);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn declared_autoscaling_adds_the_scaling_policy_actions() {
    let fx = Fixture::new("iam-scaling");
    let policy_of = |fx: &Fixture| -> Value {
        let run = fx.run_with_env("iam-policy", &[], &[("AWS_REGION", "us-east-1")]);
        serde_json::from_str(&run.expect_code(0).stdout).expect("JSON")
    };
    // Without autoscaling in the spec, no policy action is granted.
    assert!(!grants(
        &policy_of(&fx),
        "application-autoscaling:PutScalingPolicy",
        "*"
    ));
    let family = format!("    desiredCount: 2\n    family: {}-worker\n", fx.id);
    fx.edit_spec(|t| {
        t.replace(
            &family,
            &format!(
                "    family: {}-worker\n    autoscaling: {{minCapacity: 1, maxCapacity: 4}}\n",
                fx.id
            ),
        )
    });
    let policy = policy_of(&fx);
    for action in [
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
    ] {
        assert!(grants(&policy, action, "*"), "{action}: {policy:#}");
    }
    assert!(
        grants(
            &policy,
            "iam:CreateServiceLinkedRole",
            "arn:aws:iam::*:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"
        ) || policy
            .to_string()
            .contains("AWSServiceRoleForApplicationAutoScaling_ECSService")
    );
    let (status, body) =
        create_policy(&fx.key, &format!("{}-deckhand", fx.id), &policy.to_string());
    assert_eq!(status, 200, "{body}");
}
