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
        assert!(
            run.stdout
                .contains("ok: environments/staging.yaml (shop-staging, 2 services)"),
            "{}",
            run.stdout
        );
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
    assert!(
        run.stderr
            .contains("environments/prod.yaml: no such environment"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&fx.id), "{}", run.stderr);
}
