//! The GitHub Actions recipe (`examples/github-actions`): the commands its
//! workflow runs, run here against the emulator: a pull request's plan as
//! markdown (with "changes" for the workflow), then the merge's apply, then
//! a plan with nothing left to do.

use crate::support::fixture::{Fixture, Run, project_root};
use std::path::Path;
use std::process::Command;

const OLD_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1";
const NEW_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:9a8b7c6";

/// `bash deckhand-ci.sh MODE` in the config repo, as the workflow's step does.
fn ci_step(fx: &Fixture, mode: &str, out: &Path) -> Run {
    let script = project_root().join("examples/github-actions/deckhand-ci.sh");
    let binary = Path::new(env!("CARGO_BIN_EXE_deckhand"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .arg(mode)
        .current_dir(fx.repo())
        .env("PATH", path)
        .env("RUNNER_TEMP", out)
        .env("GITHUB_OUTPUT", out.join("github-output"))
        .env("DECKHAND_POLL_INTERVAL", "200ms")
        .env("NO_COLOR", "1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("DECKHAND_CACHE_DIR", out.join("cache"))
        .stdin(std::process::Stdio::null());
    for (k, v) in fx.aws_env() {
        cmd.env(k, v);
    }
    cmd.output().expect("run deckhand-ci.sh").into()
}

#[test]
fn the_workflow_runs_the_script_it_ships_with() {
    let workflow =
        std::fs::read_to_string(project_root().join("examples/github-actions/deckhand.yml"))
            .unwrap();
    assert!(workflow.contains("run: bash .github/deckhand-ci.sh plan"));
    assert!(workflow.contains("run: bash .github/deckhand-ci.sh apply"));
    assert!(
        workflow.contains("id-token: write"),
        "OIDC needs id-token: write"
    );
    assert!(workflow.contains("deckhand-plan.md"));
}

#[test]
fn a_pull_request_plans_as_markdown_and_the_merge_applies() {
    let fx = Fixture::seeded("ci-recipe");
    fx.edit_spec(|t| t.replace(OLD_IMAGE, NEW_IMAGE));
    let out = fx.scratch("runner-temp");

    let plan = ci_step(&fx, "plan", &out);
    plan.expect_code(0);
    let comment = std::fs::read_to_string(out.join("deckhand-plan.md")).unwrap();
    assert!(
        comment.contains(&fx.id) && comment.contains(NEW_IMAGE),
        "{comment}"
    );
    assert!(comment.contains("```diff"), "{comment}");
    let outputs = std::fs::read_to_string(out.join("github-output")).unwrap();
    assert!(outputs.contains("changes=true"), "{outputs}");
    assert_eq!(fx.calls().iter().filter(|c| c.is_mutating()).count(), 0);

    let apply = ci_step(&fx, "apply", &out);
    apply.expect_code(0);
    apply.stdout_has(&format!("to {}", fx.id));

    std::fs::remove_file(out.join("github-output")).unwrap();
    let after = ci_step(&fx, "plan", &out);
    after.expect_code(0);
    let comment = std::fs::read_to_string(out.join("deckhand-plan.md")).unwrap();
    assert!(comment.contains("**No changes.**"), "{comment}");
    let outputs = std::fs::read_to_string(out.join("github-output")).unwrap();
    assert!(outputs.contains("changes=false"), "{outputs}");
}

#[test]
fn a_failing_plan_fails_the_step_and_says_why_in_the_comment() {
    let fx = Fixture::new("ci-recipe-fails");
    // Not seeded: the cluster does not exist.
    let out = fx.scratch("runner-temp");
    let plan = ci_step(&fx, "plan", &out);
    plan.expect_code(1);
    let comment = std::fs::read_to_string(out.join("deckhand-plan.md")).unwrap();
    assert!(
        comment.contains("the plan failed") && comment.contains("not found"),
        "{comment}"
    );
}
