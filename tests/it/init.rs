//! `deckhand init` against the emulator: a config repo written from what a
//! cluster runs, which plans as no change, and is never overwritten unforced.

use crate::support::Fixture;
use std::path::Path;

fn init(fx: &Fixture, repo: &Path, extra: &[&str]) -> crate::support::fixture::Run {
    let mut args = vec![
        "init",
        "--cluster",
        &fx.id,
        "--env",
        &fx.id,
        "--repo",
        repo.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    fx.deckhand(&args)
}

fn plan_of(fx: &Fixture, repo: &Path) -> crate::support::fixture::Run {
    fx.plan_detailed(repo, &fx.aws_env())
}

#[test]
fn init_writes_a_repo_that_plans_as_no_change() {
    let fx = Fixture::seeded("init");
    // The worker is autoscaled: its count is left to the scaler.
    fx.autoscale("worker", serde_json::Value::Null);
    let repo = fx.scratch("adopted");
    let run = init(&fx, &repo, &[]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("Adopted 2 service(s)"),
        "{}",
        run.stdout
    );
    // Reading the cluster changed nothing in ECS.
    assert!(
        fx.calls()
            .iter()
            .all(|c| !c.is_mutating() || c.operation == "RegisterScalableTarget"),
        "{:?}",
        fx.calls()
    );
    let spec = std::fs::read_to_string(repo.join(format!("environments/{}.yaml", fx.id))).unwrap();
    // Web and worker differ only by command: one template.
    let templates: Vec<_> = std::fs::read_dir(repo.join("task-definitions"))
        .unwrap()
        .collect();
    assert_eq!(templates.len(), 1, "{spec}");
    assert!(spec.contains("# migration:"), "{spec}");
    assert!(spec.contains("command: [bundle, exec, sidekiq]"), "{spec}");
    assert!(spec.contains("desiredCount: 2"), "{spec}");
    assert!(
        spec.contains("# desiredCount is left to Application Auto Scaling"),
        "{spec}"
    );
    let validate = fx.deckhand(&["validate", "--repo", repo.to_str().unwrap()]);
    validate.expect_code(0);
    let plan = plan_of(&fx, &repo);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
}

#[test]
fn init_never_overwrites_without_force() {
    let fx = Fixture::seeded("init-force");
    let repo = fx.scratch("adopted");
    init(&fx, &repo, &["--service", "web"]).expect_code(0);
    let spec_path = repo.join(format!("environments/{}.yaml", fx.id));
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    assert!(!spec.contains("worker:"), "{spec}");
    std::fs::write(&spec_path, "# my edits\n").unwrap();
    let again = init(&fx, &repo, &[]);
    again.expect_code(1);
    assert!(
        again.stderr.contains("already exist") && again.stderr.contains("--force"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_to_string(&spec_path).unwrap(), "# my edits\n");
    init(&fx, &repo, &["--force"]).expect_code(0);
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    assert!(spec.contains("worker:"), "{spec}");
    plan_of(&fx, &repo).expect_code(0);
}

#[test]
fn init_of_a_missing_service_or_cluster_says_what_there_is() {
    let fx = Fixture::seeded("init-missing");
    let repo = fx.scratch("adopted");
    let run = init(&fx, &repo, &["--service", "api"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("service 'api' is not in cluster")
            && run.stderr.contains("web, worker"),
        "{}",
        run.stderr
    );
    let run = fx.deckhand(&[
        "init",
        "--cluster",
        "no-such-cluster",
        "--env",
        "x",
        "--repo",
        repo.to_str().unwrap(),
    ]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("cluster 'no-such-cluster' not found"),
        "{}",
        run.stderr
    );
    assert!(
        std::fs::read_dir(&repo).unwrap().next().is_none(),
        "nothing written"
    );
}
