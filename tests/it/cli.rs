//! Commands that need no ECS: schema, validate, render.

use crate::support::fixture::{Fixture, project_root};

#[test]
fn the_checked_in_schema_is_current() {
    let fx = Fixture::new("schema");
    let run = fx.deckhand(&["schema"]);
    run.expect_code(0);
    let checked_in =
        std::fs::read_to_string(project_root().join("schemas/environment.schema.json"))
            .expect("schemas/environment.schema.json exists");
    assert!(
        run.stdout == checked_in,
        "schemas/environment.schema.json is stale: run `cargo run -- schema > schemas/environment.schema.json`"
    );
}

#[test]
fn the_sample_and_example_repos_validate() {
    let fx = Fixture::new("samples");
    for repo in [project_root(), project_root().join("examples/shop")] {
        let run = fx.deckhand(&["validate", "--repo", repo.to_str().unwrap()]);
        run.expect_code(0);
        run.stdout_has("ok: environments/staging.yaml (shop-staging, 2 services)");
    }
}

#[test]
fn render_applies_image_command_family_and_environment() {
    let fx = Fixture::new("render");
    let rendered = fx.rendered();
    let web = &rendered["web"];
    assert_eq!(web["family"], format!("{}-web", fx.id));
    let app = &web["containerDefinitions"][0];
    assert_eq!(
        app["image"],
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1"
    );
    assert_eq!(
        app["command"],
        serde_json::json!(["bin/rails", "server", "-b", "0.0.0.0"])
    );
    let env = app["environment"].as_array().unwrap();
    assert!(
        env.iter()
            .any(|v| v["name"] == "RAILS_MAX_THREADS" && v["value"] == "5")
    );
    assert!(
        env.iter().any(|v| v["name"] == "RAILS_ENV"),
        "template variables are kept"
    );
    let migrate = &rendered[format!("{}-migrate", fx.id)];
    assert_eq!(
        migrate["containerDefinitions"][0]["command"],
        serde_json::json!(["bin/rails", "db:migrate"])
    );
}

#[test]
fn validate_of_a_missing_environment_lists_the_ones_there_are() {
    let fx = Fixture::new("noenv");
    let run = fx.deckhand(&[
        "validate",
        "--repo",
        fx.repo().to_str().unwrap(),
        "--env",
        "prod",
    ]);
    run.expect_code(1);
    run.stderr_has("environments/prod.yaml: no such environment");
    run.stderr_has(&fx.id);
}

#[test]
fn completions_cover_every_command_and_bash_parses_them() {
    let fx = Fixture::new("completions");
    for shell in ["bash", "zsh", "fish"] {
        let run = fx.deckhand(&["completions", shell]);
        run.expect_code(0);
        for command in ["plan", "apply", "controller", "init", "iam-policy"] {
            assert!(run.stdout.contains(command), "{shell}: no {command}");
        }
        if shell == "bash" {
            let script = fx.scratch("completions").join("deckhand.bash");
            std::fs::write(&script, &run.stdout).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&script)
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
}

#[test]
fn version_names_the_commit_and_help_has_examples() {
    let fx = Fixture::new("version");
    let run = fx.deckhand(&["--version"]);
    run.expect_code(0);
    let head = crate::support::fixture::git(&project_root(), &["rev-parse", "--short=12", "HEAD"]);
    assert_eq!(
        run.stdout.trim(),
        format!("deckhand {} (commit {head})", env!("CARGO_PKG_VERSION"))
    );
    // Every subcommand clap knows, so a new one cannot be missed.
    let help = fx.deckhand(&["--help"]).stdout;
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 12, "{help}");
    for command in commands {
        let run = fx.deckhand(&[command, "--help"]);
        run.expect_code(0);
        assert!(
            run.stdout.contains("Examples:\n  deckhand "),
            "{command} --help:\n{}",
            run.stdout
        );
    }
    let run = fx.deckhand(&["controller", "--help"]);
    for var in [
        "DECKHAND_REPO",
        "DECKHAND_ENVS",
        "DECKHAND_INTERVAL",
        "DECKHAND_LISTEN",
    ] {
        assert!(
            run.stdout.contains(&format!("[env: {var}")),
            "{var}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn colors_only_on_request_or_a_terminal() {
    let fx = Fixture::new("colors");
    let repo = fx.repo();
    let repo = repo.to_str().unwrap();
    // An uncommitted edit makes validate log a warning.
    fx.write("notes.txt", "wip\n");
    let empty_no_color = [("NO_COLOR", String::new())];
    let piped = fx.deckhand_with(&["validate", "--repo", repo], &empty_no_color);
    piped.expect_code(0);
    piped.stderr_has("WARN");
    piped.stderr_lacks("\u{1b}");
    let forced = fx.deckhand_with(
        &["--color", "always", "validate", "--repo", repo],
        &empty_no_color,
    );
    forced.stderr_has("\u{1b}[");
    let never = fx.deckhand_with(
        &["--color", "never", "validate", "--repo", repo],
        &empty_no_color,
    );
    never.stderr_lacks("\u{1b}");
}
