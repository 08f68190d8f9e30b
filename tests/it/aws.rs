//! Signing in the way engineers and containers do (the standard AWS
//! credential chain), and AWS failures in plain words — against the emulator.

use crate::support::fixture::Run;
use crate::support::{Fixture, emulator};
use serde_json::{Value, json};

/// The emulator without credentials or a region: each test adds its own.
fn endpoint_only() -> Vec<(&'static str, String)> {
    vec![("AWS_ENDPOINT_URL", emulator().url.clone())]
}

fn with(
    mut vars: Vec<(&'static str, String)>,
    more: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    vars.extend(more.iter().map(|(k, v)| (*k, (*v).to_owned())));
    vars
}

/// `plan --detailed-exitcode` of the fixture with these variables.
fn plan(fx: &Fixture, vars: &[(&'static str, String)]) -> Run {
    fx.plan_detailed(&fx.repo(), vars)
}

#[test]
fn a_credential_process_profile_signs_in() {
    let fx = Fixture::seeded("cred-process");
    let script = fx.scratch("bin").join("get-creds");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"s\"}}'\n",
            fx.key
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fx.aws_config(&format!(
        "[profile ci]\ncredential_process = {}\nregion = us-east-1\n",
        script.display()
    ));
    let run = plan(&fx, &with(endpoint_only(), &[("AWS_PROFILE", "ci")]));
    run.expect_code(0);
    // The calls were signed with the key the process printed.
    assert!(fx.count("DescribeServices") >= 1, "{:?}", fx.calls());
}

#[test]
fn a_failing_credential_process_is_named() {
    let fx = Fixture::new("cred-process-fails");
    fx.aws_config("[profile ci]\ncredential_process = /bin/false\nregion = us-east-1\n");
    let run = plan(&fx, &with(endpoint_only(), &[("AWS_PROFILE", "ci")]));
    run.expect_code(1);
    run.stderr_has("the credential_process of AWS profile 'ci' failed");
}

#[test]
fn an_sso_profile_without_a_session_is_told_to_sign_in() {
    let fx = Fixture::new("sso-missing");
    fx.aws_config(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Deploy\nregion = us-east-1\n\
         [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let home = fx.scratch("home");
    let run = plan(
        &fx,
        &with(
            endpoint_only(),
            &[("AWS_PROFILE", "dev"), ("HOME", home.to_str().unwrap())],
        ),
    );
    run.expect_code(1);
    run.stderr_has("run `aws sso login --profile dev`");
    assert_no_sdk_dump(&run.stderr);
}

#[test]
fn a_profile_with_role_arn_assumes_the_role() {
    let fx = Fixture::seeded("assume-role");
    fx.aws_config(&format!(
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = base\nregion = us-east-1\n\
         [profile base]\naws_access_key_id = {}\naws_secret_access_key = s\n",
        fx.key
    ));
    let run = plan(&fx, &with(endpoint_only(), &[("AWS_PROFILE", "deploy")]));
    run.expect_code(0);
    // ECS saw the role's temporary key, not the source profile's.
    assert_eq!(fx.calls().len(), 0, "{:?}", fx.calls());
    let by_role = calls_on_cluster(&fx);
    assert!(!by_role.is_empty());
    assert!(
        by_role
            .iter()
            .all(|c| c["accessKey"].as_str().unwrap().starts_with("ASIA")),
        "{by_role:?}"
    );
}

#[test]
fn an_unknown_profile_is_named_before_any_call() {
    let fx = Fixture::new("unknown-profile");
    let run = plan(&fx, &with(endpoint_only(), &[("AWS_PROFILE", "nope")]));
    run.expect_code(1);
    run.stderr_has("AWS profile 'nope' is not in the AWS config");
}

#[test]
fn no_credentials_at_all_says_how_to_sign_in() {
    let fx = Fixture::new("no-credentials");
    let run = plan(&fx, &with(endpoint_only(), &[("AWS_REGION", "us-east-1")]));
    run.expect_code(1);
    run.stderr_has("aws sso login");
    assert_no_sdk_dump(&run.stderr);
}

#[test]
fn endpoint_problems_are_plain_and_retries_are_shown() {
    let fx = Fixture::new("endpoints");
    let keys = vec![
        ("AWS_ACCESS_KEY_ID", fx.key.clone()),
        ("AWS_SECRET_ACCESS_KEY", "s".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ];
    let run = plan(
        &fx,
        &with(keys.clone(), &[("AWS_ENDPOINT_URL", "not a url")]),
    );
    run.expect_code(1);
    run.stderr_has("AWS_ENDPOINT_URL is not an http(s) URL: \"not a url\"");
    // Port 9 (discard) is closed on loopback: every attempt is refused.
    let run = plan(
        &fx,
        &with(keys, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")]),
    );
    run.expect_code(1);
    run.stderr_has("cannot reach ECS at http://127.0.0.1:9");
    assert!(
        run.stderr.contains("attempt 1 of 5); retrying"),
        "{}",
        run.stderr
    );
    assert_no_sdk_dump(&run.stderr);
}

#[test]
fn access_denied_names_the_action_and_an_expired_token_says_sign_in_again() {
    let fx = Fixture::seeded("denied");
    let arn = format!("arn:aws:ecs:us-east-1:123456789012:cluster/{}", fx.id);
    emulator().fault(json!({
            "accessKey": fx.key, "operation": "DescribeServices", "kind": "custom", "count": 1,
            "httpStatus": 400, "errorType": "AccessDeniedException",
            "message": format!("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeServices on resource: {arn}"),
        }));
    let run = fx.run("plan", &[]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("AWS denied ecs:DescribeServices")
            && run.stderr.contains(&arn)
            && run.stderr.contains("deckhand iam-policy"),
        "{}",
        run.stderr
    );
    emulator().fault(json!({
        "accessKey": fx.key, "operation": "DescribeClusters", "kind": "custom", "count": 1,
        "httpStatus": 400, "errorType": "ExpiredTokenException",
        "message": "The security token included in the request is expired",
    }));
    let run = fx.run("plan", &[]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("session token in AWS_SESSION_TOKEN has expired")
            || run.stderr.contains("credentials have expired"),
        "{}",
        run.stderr
    );
}

#[test]
fn verbose_errors_carry_the_cause_chain() {
    let fx = Fixture::new("cause-chain");
    fx.aws_config("[profile ci]\ncredential_process = /bin/false\nregion = us-east-1\n");
    let repo = fx.repo();
    let run = fx.deckhand_with(
        &[
            "-v",
            "plan",
            "--repo",
            repo.to_str().unwrap(),
            "--env",
            &fx.id,
        ],
        &with(endpoint_only(), &[("AWS_PROFILE", "ci")]),
    );
    run.expect_code(1);
    run.stderr_has("  caused by: ");
    assert_no_sdk_dump(&run.stderr);
}

/// No Rust debug structure reaches the user.
fn assert_no_sdk_dump(stderr: &str) {
    for marker in [
        "ProviderError {",
        "DispatchFailure(",
        "ConnectorError {",
        "Os {",
        "\u{1b}[",
    ] {
        assert!(!stderr.contains(marker), "{marker} in:\n{stderr}");
    }
}

#[test]
fn web_identity_assumes_the_role_through_sts() {
    let fx = Fixture::seeded("web-identity");
    let token = fx.scratch("oidc").join("token");
    // GitHub Actions / EKS write a signed JWT here; the emulator's STS takes any.
    std::fs::write(
        &token,
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvY29uZmlnIn0.c2ln",
    )
    .unwrap();
    let run = plan(
        &fx,
        &with(
            endpoint_only(),
            &[
                ("AWS_REGION", "us-east-1"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap()),
                (
                    "AWS_ROLE_ARN",
                    "arn:aws:iam::123456789012:role/github-deploy",
                ),
                ("AWS_ROLE_SESSION_NAME", "deckhand-test"),
            ],
        ),
    );
    run.expect_code(0);
    assert!(!calls_on_cluster(&fx).is_empty());
    assert!(
        calls_on_cluster(&fx)
            .iter()
            .all(|c| c["accessKey"].as_str().unwrap().starts_with("ASIA")),
        "{:?}",
        calls_on_cluster(&fx)
    );
}

#[test]
fn the_ecs_task_role_endpoint_is_used_in_a_container() {
    let fx = Fixture::seeded("task-role");
    // What the ECS agent serves a task: temporary credentials as JSON.
    let dir = fx.scratch("agent");
    let key = format!("ASIA{}", fx.key.trim_start_matches("AK"));
    std::fs::write(
        dir.join("creds"),
        json!({
            "AccessKeyId": key,
            "SecretAccessKey": "s",
            "Token": "session-token",
            "Expiration": "2099-01-01T00:00:00Z",
            "RoleArn": "arn:aws:iam::123456789012:role/deckhand-controller"
        })
        .to_string(),
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut agent = std::process::Command::new(crate::support::emulator::venv_python())
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the credentials server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let uri = format!("http://127.0.0.1:{port}/creds");
    let run = plan(
        &fx,
        &with(
            endpoint_only(),
            &[
                ("AWS_REGION", "us-east-1"),
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            ],
        ),
    );
    let _ = agent.kill();
    let _ = agent.wait();
    run.expect_code(0);
    assert!(
        !emulator().calls(&key).is_empty(),
        "no call signed with the task role's key"
    );
}

/// Every logged call on this fixture's cluster, whatever key signed it.
fn calls_on_cluster(fx: &Fixture) -> Vec<Value> {
    let all = emulator().request("GET", "/_deckhand/calls", None);
    all["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["params"]["cluster"] == json!(fx.id) || c["params"]["clusters"] == json!([fx.id])
        })
        .cloned()
        .collect()
}
