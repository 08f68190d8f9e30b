//! Real service definitions from public repositories (`tests/servicedefs/`,
//! sources in its `README.md`), each the `serviceDefinition` of a service
//! that does not exist yet, against the emulator, which creates services and
//! describes them back the way ECS does:
//!
//! 1. `validate` accepts the file, or refuses it naming the file, line and
//!    key ([`REJECTED`]: unknown keys, describe-only keys in CreateService
//!    input);
//! 2. `apply` creates the service from it, or fails with one clear error
//!    line where the file cannot be created as it is here ([`NOT_CREATED`]);
//! 3. planned again, the created service is unchanged: what ECS describes
//!    back (its defaults, its spellings) is no drift, or the plan fails
//!    clearly ([`NOT_ROUND_TRIPPED`]).
//!
//! The emulator checks less than ECS (see the notes on the tables): a file
//! created here may still be one ECS refuses, e.g. for a load balancer
//! naming a container the example's task definition does not have.

use crate::support::emulator;
use crate::support::fixture::{Fixture, Run, example_prerequisites};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Files `validate` refuses, and the key its error must name (the first
/// offending key in the file; the error also names the file and its line).
const REJECTED: &[(&str, &str)] = &[
    ("10-", "enableLogging"),  // unknown key
    ("11-", "platformFamily"), // describe-only, left in by `ecspresso init`
    ("13-", "platformFamily"),
    ("15-", "platformFamily"),
    ("17-", "pendingCount"), // also runningCount, platformFamily
    ("20-", "pendingCount"), // also runningCount
    ("24-", "pendingCount"), // also runningCount, platformFamily
    ("27-", "serviceTags"),  // unknown key (CreateService calls it `tags`)
    // Deployment controllers other than ECS deploy the service themselves.
    ("01-", "deploymentController"), // an unrendered ecspresso template as its type
    ("16-", "deploymentController"), // CODE_DEPLOY
    ("18-", "deploymentController"), // CODE_DEPLOY
];

/// Files that validate but that `apply` cannot create here: what its one
/// error line must contain, and why.
const NOT_CREATED: &[(&str, &str, &str)] = &[
    (
        "19-",
        "You cannot specify an IAM role for services that require a service linked role",
        "the service-linked role given as `role`, for the same reason",
    ),
    (
        "22-",
        "You cannot specify an IAM role for services that require a service linked role",
        "a load-balancer `role` for a bridge-mode service, for the same reason",
    ),
];

/// Files created here whose next plan fails: what its error must contain,
/// and why.
const NOT_ROUND_TRIPPED: &[(&str, &str, &str)] = &[(
    "23-",
    "`role` differs from what service 'app' runs",
    "a CLI skeleton with `role: \"\"`: the emulator takes the empty string for no role and \
     describes ECS's service-linked role back (ECS would refuse the file's empty target group, \
     container name and tag key first)",
)];

/// The keys the environment spec (or deckhand) owns: CreateService input is
/// imported without them.
const SPEC_OWNED: &[&str] = &[
    "cluster",
    "serviceName",
    "taskDefinition",
    "desiredCount",
    "clientToken",
];

/// The file as deckhand takes it: CreateService input without the keys the
/// spec owns, or the first service of describe-services output as it is.
fn service_definition(text: &str) -> Value {
    let mut json: Value = serde_json::from_str(text).unwrap();
    if let Some(services) = json.get_mut("services").and_then(Value::as_array_mut) {
        return services.swap_remove(0);
    }
    let object = json.as_object_mut().unwrap();
    for key in SPEC_OWNED {
        object.remove(*key);
    }
    json
}

/// The 1-based line of the first `"key":` in `text`.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let needle = format!("\"{key}\":");
    text.lines()
        .position(|l| l.contains(&needle))
        .map(|i| i + 1)
}

/// Whether `run` failed with exactly one `error:` line containing
/// `expected`, and no panic or SDK debug output.
fn fails_clearly(run: &Run, expected: &str) -> bool {
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    let noise = [
        "panicked",
        "RUST_BACKTRACE",
        "ServiceError",
        "SdkError",
        "raw:",
    ];
    run.code == 1
        && errors.len() == 1
        && errors[0].contains(expected)
        && !noise.iter().any(|n| run.stderr.contains(n))
}

fn write_definition(fx: &Fixture, definition: &Value) -> String {
    let text = serde_json::to_string_pretty(definition).unwrap();
    fx.write("service-definitions/real.json", &text);
    fx.commit("real service definition");
    text
}

/// The outcome of one file: None when it went as its tables say, else what
/// went wrong.
fn check(file: &PathBuf) -> Option<String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let entry = |prefix: &&str| name.starts_with(prefix);
    let mut definition = service_definition(&std::fs::read_to_string(file).unwrap());
    let fx = Fixture::new(&format!("sd{}", &name[..2]));
    // A short deploy timeout: a rollout that never completes (NOT_CREATED)
    // fails in seconds; the emulator completes a creation's rollout at once.
    // It must still cover what the strategy takes by its configuration
    // (a bake time), or validate refuses it.
    let minimum = deckhand::servicedef::parse_service_definition(&definition.to_string())
        .map_or(0, |d| {
            deckhand::servicedef::strategy::minimum_duration(&d).as_secs()
        });
    let spec = format!(
        "cluster: {id}\nimage: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1\ntaskDefinition: task-definitions/app.json\ncontainer: app\nservices:\n  app:\n    family: {id}-app\n    serviceDefinition: service-definitions/real.json\n    desiredCount: 1\ndeploy:\n  timeout: {timeout}s\n",
        id = fx.id,
        timeout = 5 + minimum,
    );
    std::fs::write(fx.spec_path(), spec).unwrap();
    let text = write_definition(&fx, &definition);

    let validate = fx.run("validate", &[]);
    if let Some((_, key)) = REJECTED.iter().find(|(p, _)| entry(p)) {
        let at = line_of(&text, key).map(|line| format!("service-definitions/real.json:{line}:"));
        let clear = validate.code == 1
            && at.is_some_and(|at| validate.stderr.contains(&at))
            && validate.stderr.contains(key)
            && !validate.stderr.contains("panicked");
        return (!clear).then(|| {
            format!(
                "{name}: not refused naming the file, line and `{key}`:\n{}",
                validate.stderr
            )
        });
    }
    if validate.code != 0 {
        return Some(format!("{name}: validate failed:\n{}", validate.stderr));
    }

    // ECS (and the emulator) checks that an awsvpc service's subnets and
    // security groups exist: the file's own ids and placeholders become the
    // seeded ones. Security groups are set where the file has none too (28):
    // ECS would use the VPC's default group, the emulator fails without one.
    let seeded = seed(&fx);
    if let Some(vpc) = definition
        .pointer_mut("/networkConfiguration/awsvpcConfiguration")
        .and_then(Value::as_object_mut)
    {
        vpc.insert("subnets".into(), seeded["subnets"].clone());
        vpc.insert("securityGroups".into(), seeded["securityGroups"].clone());
        write_definition(&fx, &definition);
    }
    let apply = fx.apply(&[]);
    if let Some((_, expected, why)) = NOT_CREATED.iter().find(|(p, _, _)| entry(p)) {
        return (!fails_clearly(&apply, expected)).then(|| {
            format!(
                "{name}: expected apply to fail with one error line containing `{expected}` ({why}); exit {}:\n{}",
                apply.code, apply.stderr
            )
        });
    }
    if apply.code != 0 {
        return Some(format!(
            "{name}: apply failed:\n{}{}",
            apply.stdout, apply.stderr
        ));
    }

    let plan = fx.run("plan", &["--format", "json"]);
    if let Some((_, expected, why)) = NOT_ROUND_TRIPPED.iter().find(|(p, _, _)| entry(p)) {
        return (!fails_clearly(&plan, expected)).then(|| {
            format!(
                "{name}: expected the plan after creating it to fail with one error line containing `{expected}` ({why}); exit {}:\n{}{}",
                plan.code, plan.stdout, plan.stderr
            )
        });
    }
    let report: Option<Value> = serde_json::from_str(&plan.stdout).ok();
    let unchanged = plan.code == 0 && report.is_some_and(|r| r["changed"] == false);
    (!unchanged).then(|| {
        format!(
            "{name}: created, and planned again it is not unchanged:\n{}{}",
            plan.stdout, plan.stderr
        )
    })
}

/// An empty cluster with a network, and what the example's task definition
/// names (image, roles, parameters, log group), so that preflight passes.
fn seed(fx: &Fixture) -> Value {
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1".to_owned();
    let mut request = example_prerequisites(&[image]);
    request["cluster"] = json!(fx.id);
    request["network"] = json!(true);
    request["services"] = json!([]);
    emulator().request("POST", "/_deckhand/seed", Some(&request))
}

#[test]
fn real_service_definitions_validate_create_and_plan_as_unchanged() {
    crate::support::fixture::check_corpus("servicedefs", "service definitions", check);
}
