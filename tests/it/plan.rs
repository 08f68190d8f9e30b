//! `deckhand plan` against live (emulated) ECS.

use crate::support::Fixture;
use serde_json::Value;

pub(crate) fn actions(plan: &Value) -> Vec<String> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| match s["service"].as_str() {
            Some(service) => format!("{} {service}", s["action"].as_str().unwrap()),
            None => s["action"].as_str().unwrap().to_owned(),
        })
        .collect()
}

fn bump_image(text: String) -> String {
    text.replace("shop:3f9c2e1", "shop:9a8b7c6")
}

#[test]
fn a_freshly_applied_environment_plans_no_change_and_reads_within_budget() {
    let fx = Fixture::new("nochange");
    fx.seed(Some("20261101000000"), |_| {});
    let run = fx.run("plan", &["--detailed-exitcode"]);
    run.expect_code(0);
    run.stdout_has("No changes");
    run.stdout_has("= web");

    let plan = fx.plan_json();
    assert_eq!(plan["changed"], false);
    assert_eq!(plan["steps"], Value::Array(vec![]));
    let head = crate::support::fixture::git(&fx.repo(), &["rev-parse", "HEAD"]);
    assert_eq!(plan["commit"], head.as_str());

    // Budget per plan: 1 DescribeClusters, ⌈2/10⌉ DescribeServices, one
    // DescribeTaskDefinition per distinct live ARN (2), nothing that mutates.
    let calls = fx.calls();
    assert!(calls.iter().all(|c| !c.is_mutating()), "{calls:?}");
    // Two plans ran (text, then JSON); task definitions are described per run.
    assert_eq!(fx.count("DescribeClusters"), 2);
    assert_eq!(fx.count("DescribeServices"), 2);
    assert_eq!(fx.count("DescribeTaskDefinition"), 4);
}

#[test]
fn an_image_bump_updates_both_services_and_shows_the_diff() {
    let fx = Fixture::new("image");
    fx.seed(Some("20261101000000"), |_| {});
    fx.edit_spec(bump_image);
    let run = fx.run("plan", &["--detailed-exitcode"]);
    run.expect_code(2);
    run.stdout_has("~ web      update: image 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1 → 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:9a8b7c6");
    run.stdout_has("--- live\n+++ desired");
    let plan = fx.plan_json();
    assert_eq!(
        actions(&plan),
        [
            "register-task-definition web",
            "register-task-definition worker",
            "update-service web",
            "update-service worker"
        ]
    );
    assert!(!actions(&plan).contains(&"migrate".to_owned()));
    let diff = plan["diffs"][0]["unified"].as_str().unwrap();
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with(['-', '+']) && !l.starts_with("---") && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        changed,
        [
            "-      \"image\": \"123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1\",",
            "+      \"image\": \"123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:9a8b7c6\","
        ],
        "{diff}"
    );
}

#[test]
fn a_count_change_updates_only_that_service() {
    let fx = Fixture::new("count");
    fx.seed(Some("20261101000000"), |_| {});
    fx.edit_spec(|t| t.replacen("desiredCount: 2", "desiredCount: 3", 1));
    let plan = fx.plan_json();
    assert_eq!(actions(&plan), ["update-service web"]);
    assert_eq!(plan["steps"][0]["taskDefinition"], false);
    assert_eq!(plan["steps"][0]["desiredCount"]["from"], 2);
    assert_eq!(plan["steps"][0]["desiredCount"]["to"], 3);
    assert_eq!(plan["diffs"], Value::Array(vec![]));
}

#[test]
fn a_new_revision_quiesces_the_worker_and_migrates_before_updating() {
    let fx = Fixture::new("migrate");
    fx.seed(Some("20261101000000"), |_| {});
    fx.edit_spec(|t| bump_image(t).replace("20261101000000", "20261120093000"));
    let plan = fx.plan_json();
    assert_eq!(
        actions(&plan),
        [
            "register-task-definition web",
            "register-task-definition worker",
            "quiesce worker",
            "migrate",
            "update-service web",
            "update-service worker"
        ]
    );
    let migrate = &plan["steps"][3];
    assert_eq!(migrate["revision"]["from"], "20261101000000");
    assert_eq!(migrate["revision"]["to"], "20261120093000");
    assert_eq!(plan["steps"][2]["desiredCount"]["from"], 2);
    assert_eq!(plan["steps"][2]["desiredCount"]["to"], 0);
    assert_eq!(plan["steps"][5]["desiredCount"]["to"], 2);

    let text = fx.run("plan", &[]);
    text.stdout_has("migrate schema 20261101000000 → 20261120093000");
    text.stdout_has("quiesced 2 → 0 during the migration");
}

#[test]
fn markdown_output_is_a_pr_comment() {
    let fx = Fixture::new("markdown");
    fx.seed(Some("20261101000000"), |_| {});
    fx.edit_spec(bump_image);
    let run = fx.run("plan", &["--format", "markdown"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with(&format!("### deckhand plan: `{}`", fx.id)),
        "{}",
        run.stdout
    );
    run.stdout_has("| `web` | image ");
    run.stdout_has("```diff\n--- live\n+++ desired");
}

/// A template written the way people write them (units, unsorted env, no
/// hostPort, no essential, healthCheck without defaults), registered and
/// described back: ECS's additions must not show up as a change.
#[test]
fn a_registered_and_described_definition_is_not_noise() {
    let fx = Fixture::new("roundtrip");
    fx.write(
        "task-definitions/app.json",
        r#"{
  "family": "shop",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1 vCPU",
  "memory": "2 GB",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "x",
      "memoryReservation": 512,
      "portMappings": [{"containerPort": 3000}, {"containerPort": 9394, "protocol": "tcp"}],
      "environment": [{"name": "Z_LAST", "value": "1"}, {"name": "A_FIRST", "value": "2"}],
      "secrets": [{"name": "SECRET_KEY_BASE", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/skb"}],
      "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:3000/up || exit 1"]},
      "mountPoints": [],
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/shop", "awslogs-region": "us-east-1"}}
    },
    {
      "name": "sidecar",
      "image": "public.ecr.aws/datadog/agent:7",
      "memoryReservation": 128,
      "essential": false
    }
  ]
}"#,
    );
    fx.commit("a richer template");
    fx.seed(Some("20261101000000"), |_| {});
    let plan = fx.plan_json();
    assert_eq!(plan["changed"], false, "{plan:#}");
}

#[test]
fn a_missing_cluster_is_a_clear_error() {
    let fx = Fixture::new("nocluster");
    let run = fx.run("plan", &[]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "error: cluster '{}' not found in ECS (region us-east-1)",
        fx.id
    ));
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn a_missing_service_without_a_service_definition_is_a_clear_error() {
    let fx = Fixture::new("nosvc");
    fx.seed(Some("20261101000000"), |seed| {
        seed["services"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["name"] == "web");
    });
    let run = fx.run("plan", &[]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "services.worker: service 'worker' does not exist in cluster '{}'",
        fx.id
    ));
    run.stderr_has("hint: create it in ECS, or add `serviceDefinition:");
}

#[test]
fn a_missing_service_with_a_service_definition_plans_its_creation() {
    let fx = Fixture::new("create");
    fx.write(
        "service-definitions/worker.json",
        r#"{"launchType": "FARGATE"}"#,
    );
    fx.edit_spec(|t| {
        t.replace(
            "    command: [bundle, exec, sidekiq]\n",
            "    command: [bundle, exec, sidekiq]\n    serviceDefinition: service-definitions/worker.json\n",
        )
    });
    fx.seed(Some("20261101000000"), |seed| {
        seed["services"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["name"] == "web");
    });
    let plan = fx.plan_json();
    assert_eq!(
        actions(&plan),
        ["register-task-definition worker", "create-service worker"]
    );
}

#[test]
fn throttled_describe_services_is_retried_and_succeeds() {
    let fx = Fixture::new("throttle");
    fx.seed(Some("20261101000000"), |_| {});
    fx.inject("DescribeServices", "throttle", 2);
    let plan = fx.plan_json();
    assert_eq!(plan["changed"], false);
    let statuses: Vec<u64> = fx
        .calls()
        .iter()
        .filter(|c| c.operation == "DescribeServices")
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [400, 400, 200]);
}

#[test]
fn server_errors_are_retried_too() {
    let fx = Fixture::new("error500");
    fx.seed(Some("20261101000000"), |_| {});
    fx.inject("DescribeTaskDefinition", "error500", 1);
    assert_eq!(fx.plan_json()["changed"], false);
}

#[test]
fn no_credentials_is_a_clear_error() {
    let fx = Fixture::new("nocreds");
    let repo = fx.repo();
    let run = fx.deckhand_with(
        &["plan", "--repo", repo.to_str().unwrap(), "--env", &fx.id],
        &[
            ("AWS_ENDPOINT_URL", crate::support::emulator().url.clone()),
            ("AWS_REGION", "us-east-1".into()),
        ],
    );
    run.expect_code(1);
    run.stderr_has("error: no AWS credentials");
}

#[test]
fn an_unreachable_endpoint_is_a_clear_error() {
    let fx = Fixture::new("unreachable");
    let repo = fx.repo();
    let mut vars = fx.aws_env();
    vars[0].1 = "http://127.0.0.1:9".into(); // discard port: nothing listens
    let run = fx.deckhand_with(
        &["plan", "--repo", repo.to_str().unwrap(), "--env", &fx.id],
        &vars,
    );
    run.expect_code(1);
    run.stderr_has("error: cannot reach ECS at http://127.0.0.1:9");
}

#[test]
fn a_git_url_is_cloned_once_then_fetched_and_the_commit_reported() {
    let fx = Fixture::new("giturl");
    fx.seed(Some("20261101000000"), |_| {});
    let url = format!("file://{}", fx.repo().display());
    let first = fx.deckhand(&["plan", "--repo", &url, "--env", &fx.id, "--format", "json"]);
    first.expect_code(0);
    let first: Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(first["changed"], false);

    let new_head = fx.edit_spec(bump_image);
    let second = fx.deckhand(&["plan", "--repo", &url, "--env", &fx.id, "--format", "json"]);
    second.expect_code(0);
    let second: Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(second["commit"], new_head.as_str());
    assert_eq!(second["changed"], true);

    // Still one cached clone, and --ref reaches the older commit.
    let cache = fx.repo().parent().unwrap().join("cache/repos");
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    let old = first["commit"].as_str().unwrap();
    let pinned = fx.deckhand(&[
        "plan", "--repo", &url, "--ref", old, "--env", &fx.id, "--format", "json",
    ]);
    let pinned: Value = serde_json::from_str(&pinned.expect_code(0).stdout).unwrap();
    assert_eq!(pinned["changed"], false);
}

#[test]
fn uncommitted_changes_in_a_local_repo_are_ignored_with_a_warning() {
    let fx = Fixture::new("dirty");
    fx.seed(Some("20261101000000"), |_| {});
    std::fs::write(
        fx.spec_path(),
        bump_image(std::fs::read_to_string(fx.spec_path()).unwrap()),
    )
    .unwrap();
    let run = fx.run("plan", &["--format", "json"]);
    run.expect_code(0);
    run.stderr_has("uncommitted changes are ignored");
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["changed"], false);
}

#[test]
fn secrets_in_environment_values_are_never_printed() {
    let fx = Fixture::new("secrets");
    fx.seed(Some("20261101000000"), |_| {});
    fx.edit_spec(|t| {
        t.replace(
            "{RAILS_MAX_THREADS: \"5\"}",
            "{RAILS_MAX_THREADS: \"5\", STRIPE_SECRET_KEY: sk_live_51Hx}",
        )
    });
    for format in ["text", "json", "markdown"] {
        let run = fx.run("plan", &["--format", format, "-vv"]);
        run.expect_code(0);
        assert!(
            run.stdout.contains("STRIPE_SECRET_KEY"),
            "{format}: {}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("sk_live_51Hx"),
            "{format}: {}",
            run.stdout
        );
        assert!(
            !run.stderr.contains("sk_live_51Hx"),
            "{format}: {}",
            run.stderr
        );
    }
}
