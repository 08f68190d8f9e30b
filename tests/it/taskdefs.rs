//! Real task definitions from public repositories (`tests/taskdefs/`, sources
//! in `SOURCES.md`), each used as a service's template against the emulator,
//! which describes definitions back the way ECS does:
//!
//! 1. `validate` accepts it;
//! 2. registered as rendered and described back, it plans as unchanged;
//! 3. an image bump is applied, and planned again it is unchanged (no field
//!    lost on the way).
//!
//! Saved `describe-task-definition` output still wrapped in
//! `{"taskDefinition": …}` gets the hint to unwrap it, and the files ECS
//! itself would reject (a port written as a string, a skeleton of
//! placeholders of the wrong types) get a clear error naming the file.

use crate::support::fixture::Fixture;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Files ECS rejects as they are, and what the error must say.
const REJECTED: &[(&str, &str)] = &[
    ("16-", "containerPort"),
    ("43-", "task-definitions/real.json"),
];

/// The outcome of one file: None when it passed, else what went wrong.
fn check(file: &PathBuf) -> Option<String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(file).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let wrapped = json.get("taskDefinition").is_some_and(Value::is_object);
    let td = if wrapped {
        &json["taskDefinition"]
    } else {
        &json
    };
    let fx = Fixture::new(&format!("td{}", &name[..2]));
    fx.write("task-definitions/real.json", &text);
    let spec = format!(
        "cluster: {id}\nimage: 123456789012.dkr.ecr.us-east-1.amazonaws.com/corpus:1\ntaskDefinition: task-definitions/real.json\nservices:\n  app:\n    desiredCount: 1\n",
        id = fx.id
    );
    std::fs::write(fx.spec_path(), spec).unwrap();
    fx.commit("real task definition");

    let validate = fx.run("validate", &[]);
    if wrapped {
        let hinted = validate.code == 1 && validate.stderr.contains("--query taskDefinition");
        return (!hinted)
            .then(|| format!("{name}: wrapped output not hinted:\n{}", validate.stderr));
    }
    if let Some((_, expected)) = REJECTED.iter().find(|(prefix, _)| name.starts_with(prefix)) {
        let clear = validate.code == 1
            && validate.stderr.contains("task-definitions/real.json")
            && validate.stderr.contains(expected);
        return (!clear).then(|| format!("{name}: not rejected clearly:\n{}", validate.stderr));
    }
    if validate.code != 0 {
        return Some(format!("{name}: validate failed:\n{}", validate.stderr));
    }

    // ECS runs what deckhand would register: seed it, then plan.
    let rendered = fx.rendered();
    let fargate = td["requiresCompatibilities"]
        .as_array()
        .is_some_and(|c| c.iter().any(|v| v == "FARGATE"));
    let awsvpc = td["networkMode"] == "awsvpc";
    let seeded = fx_seed(&fx, &rendered["app"], fargate, awsvpc);
    if let Some(error) = seeded {
        return Some(format!(
            "{name}: the emulator refused the rendered definition: {error}"
        ));
    }
    let plan = fx.run("plan", &["--detailed-exitcode"]);
    if plan.code != 0 {
        return Some(format!(
            "{name}: registered and described back, it plans as a change:\n{}{}",
            plan.stdout, plan.stderr
        ));
    }
    // An image bump goes through, and leaves nothing to do.
    fx.edit_spec(|t| t.replace("corpus:1", "corpus:2"));
    // These definitions name other teams' roles, secrets and registries:
    // preflight would (rightly) stop them; it is tested on its own.
    let apply = fx.run_with_env(
        "apply",
        &["--yes", "--no-preflight"],
        &[("DECKHAND_POLL_INTERVAL", "200ms")],
    );
    if apply.code != 0 {
        return Some(format!(
            "{name}: apply of an image bump failed:\n{}",
            apply.stderr
        ));
    }
    let again = fx.run("plan", &["--detailed-exitcode"]);
    (again.code != 0).then(|| {
        format!(
            "{name}: after the image bump, the plan is not empty (a field was lost?):\n{}{}",
            again.stdout, again.stderr
        )
    })
}

/// Seed one service `app` running `td`; Some(error) when the emulator refuses.
fn fx_seed(fx: &Fixture, td: &Value, fargate: bool, awsvpc: bool) -> Option<String> {
    let service = json!({
        "name": "app",
        "taskDefinition": td,
        "desiredCount": 1,
        "launchType": if fargate { "FARGATE" } else { "EC2" },
    });
    let request = json!({"cluster": fx.id, "network": awsvpc, "services": [service]});
    crate::support::emulator()
        .try_request("POST", "/_deckhand/seed", Some(&request))
        .err()
        .map(|(status, body)| format!("HTTP {status}: {body}"))
}

#[test]
fn real_task_definitions_validate_round_trip_and_survive_an_image_bump() {
    crate::support::fixture::check_corpus("taskdefs", "task definitions", check);
}
