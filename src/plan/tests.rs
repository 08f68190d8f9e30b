//! Planner tests: spec + live in, steps out. No server, no files.

use super::*;
use crate::ecs::TaskDefinition as DescribedTaskDefinition;
use crate::live::{LiveEnvironment, LiveService};
use crate::spec::Environment;
use crate::testkit::environment;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What ECS would report after the environment was applied exactly as specified.
fn live_matching(env: &Environment, revision: Option<&str>) -> LiveEnvironment {
    let mut services = BTreeMap::new();
    for s in &env.services {
        let spec = render::service_task_definition(env, s);
        services.insert(
            s.name.clone(),
            live_service(&s.name, spec, s.desired_count.unwrap_or(1)),
        );
    }
    LiveEnvironment {
        cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/shop-staging".into(),
        recorded_revision: revision.map(str::to_owned),
        cluster_tags: BTreeMap::new(),
        services,
        migration_task_definition: None,
        unfinished: None,
    }
}

fn live_service(name: &str, spec: TaskDefinitionSpec, count: i32) -> LiveService {
    LiveService {
        service: crate::ecs::Service {
            name: name.into(),
            arn: format!("arn:aws:ecs:us-east-1:123456789012:service/shop-staging/{name}"),
            desired_count: count,
            running_count: count,
            launch_type: Some("FARGATE".into()),
            ..crate::ecs::Service::default()
        },
        task_definition: Arc::new(DescribedTaskDefinition {
            arn: format!("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-{name}:1"),
            family_revision: format!("shop-{name}:1"),
            spec,
        }),
        quiesced_from: None,
        scaling: None,
        autoscaling: None,
        scaling_suspended_from: None,
    }
}

/// The `-`/`+` lines of a unified diff, without its header.
fn changed_lines(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| l.starts_with(['-', '+']) && !l.starts_with("---") && !l.starts_with("+++"))
        .collect()
}

/// A step as the plan JSON shows it.
fn step_json(step: &Step) -> serde_json::Value {
    serde_json::to_value(step).unwrap()
}

fn steps_json(plan: &Plan) -> serde_json::Value {
    serde_json::to_value(&plan.steps).unwrap()
}

fn actions(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            let v = serde_json::to_value(s).unwrap();
            let action = v["action"].as_str().unwrap().to_owned();
            match v.get("service").and_then(|s| s.as_str()) {
                Some(service) => format!("{action} {service}"),
                None => action,
            }
        })
        .collect()
}

#[test]
fn an_applied_environment_plans_no_change() {
    let env = environment("shop:1", Some("20261101"));
    let live = live_matching(&env, Some("20261101"));
    let plan = plan(&env, Some("abc"), &live).unwrap();
    assert!(!plan.changed, "steps: {:?}", plan.steps);
    assert!(plan.steps.is_empty() && plan.diffs.is_empty());
}

#[test]
fn an_image_change_registers_and_updates_every_service_without_migration() {
    let live = live_matching(&environment("shop:1", Some("r1")), Some("r1"));
    let env = environment("shop:2", Some("r1"));
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "register-task-definition web",
            "register-task-definition worker",
            "update-service web",
            "update-service worker"
        ]
    );
    assert_eq!(
        step_json(&plan.steps[2]),
        json!({"action": "update-service", "service": "web", "taskDefinition": true, "desiredCount": null, "serviceDefinition": false})
    );
    assert_eq!(plan.services[0].reasons, ["image shop:1 → shop:2"]);
    assert_eq!(
        changed_lines(&plan.diffs[0].unified),
        [
            "-      \"image\": \"shop:1\",",
            "+      \"image\": \"shop:2\","
        ]
    );
}

#[test]
fn a_count_change_updates_only_the_count() {
    let mut env = environment("shop:1", None);
    let live = live_matching(&env, None);
    env.services[0].desired_count = Some(3);
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(
        steps_json(&plan),
        json!([{"action": "update-service", "service": "web", "taskDefinition": false, "desiredCount": {"from": 2, "to": 3}, "serviceDefinition": false}])
    );
    assert!(plan.diffs.is_empty());
}

#[test]
fn an_omitted_count_never_touches_the_live_count() {
    let mut env = environment("shop:1", None);
    let mut live = live_matching(&env, None);
    live.services.get_mut("web").unwrap().service.desired_count = 7; // autoscaled
    env.services[0].desired_count = None;
    assert!(!plan(&env, None, &live).unwrap().changed);
}

#[test]
fn a_revision_change_quiesces_migrates_and_restores_in_order() {
    let live = live_matching(&environment("shop:1", Some("r1")), Some("r1"));
    let env = environment("shop:2", Some("r2"));
    let plan = plan(&env, None, &live).unwrap();
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
    assert_eq!(
        step_json(&plan.steps[3]),
        json!({"action": "migrate", "revision": {"from": "r1", "to": "r2"}, "registerTaskDefinition": true})
    );
    assert_eq!(
        step_json(&plan.steps[5]),
        json!({"action": "update-service", "service": "worker", "taskDefinition": true, "desiredCount": {"from": 0, "to": 2}, "serviceDefinition": false})
    );
    let Step::Migrate(Migrate { run, .. }) = &plan.steps[3] else {
        unreachable!()
    };
    assert_eq!(run.started_by, "deckhand/staging");
    assert_eq!(run.container, "app");
    assert_eq!(run.quiesced.len(), 1);
    assert_eq!(
        (run.quiesced[0].service.as_str(), run.quiesced[0].restore_to),
        ("worker", 2)
    );
}

#[test]
fn a_quiesced_service_is_restored_even_when_its_definition_is_unchanged() {
    let env = environment("shop:1", Some("r2"));
    let live = live_matching(&env, Some("r1"));
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(
        actions(&plan),
        ["quiesce worker", "migrate", "update-service worker"]
    );
    assert_eq!(
        step_json(&plan.steps[2]),
        json!({"action": "update-service", "service": "worker", "taskDefinition": false, "desiredCount": {"from": 0, "to": 2}, "serviceDefinition": false})
    );
}

#[test]
fn a_worker_already_at_zero_is_not_quiesced() {
    let env = environment("shop:1", Some("r2"));
    let mut live = live_matching(&env, Some("r1"));
    live.services
        .get_mut("worker")
        .unwrap()
        .service
        .desired_count = 0;
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(actions(&plan), ["migrate", "update-service worker"]);
}

#[test]
fn no_recorded_revision_migrates_from_null() {
    let env = environment("shop:1", Some("r1"));
    let live = live_matching(&env, None);
    let plan = plan(&env, None, &live).unwrap();
    let json = serde_json::to_value(&plan.steps[1]).unwrap();
    assert_eq!(json["action"], "migrate");
    assert_eq!(json["revision"]["from"], serde_json::Value::Null);
    assert_eq!(json["revision"]["to"], "r1");
}

#[test]
fn an_unchanged_migration_definition_is_not_registered_again() {
    let env = environment("shop:1", Some("r2"));
    let mut live = live_matching(&env, Some("r1"));
    live.migration_task_definition = Some(Arc::new(DescribedTaskDefinition {
        arn: "arn:…:task-definition/staging-migrate:3".into(),
        family_revision: "staging-migrate:3".into(),
        spec: render::migration_task_definition(&env).unwrap(),
    }));
    let plan = plan(&env, None, &live).unwrap();
    let migrate = plan
        .steps
        .iter()
        .find(|s| matches!(s, Step::Migrate(Migrate { .. })))
        .unwrap();
    assert_eq!(
        step_json(migrate),
        json!({"action": "migrate", "revision": {"from": "r1", "to": "r2"}, "registerTaskDefinition": false})
    );
    let Step::Migrate(Migrate { run, .. }) = migrate else {
        unreachable!()
    };
    assert_eq!(
        run.current_arn.as_deref(),
        Some("arn:…:task-definition/staging-migrate:3")
    );
}

#[test]
fn a_missing_service_without_a_service_definition_is_an_error_naming_the_fix() {
    let env = environment("shop:1", None);
    let mut live = live_matching(&env, None);
    live.services.remove("worker");
    let err = plan(&env, None, &live).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("environments/staging.yaml: services.worker"),
        "{text}"
    );
    assert!(text.contains("serviceDefinition:"), "{text}");
}

#[test]
fn a_missing_service_with_a_service_definition_is_registered_then_created() {
    let mut env = environment("shop:1", None);
    let mut live = live_matching(&env, None);
    live.services.remove("worker");
    env.services[1].service_definition = Some(crate::spec::ServiceDefinitionFile {
        path: "service-definitions/worker.json".into(),
        definition: Default::default(),
    });
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(
        actions(&plan),
        ["register-task-definition worker", "create-service worker"]
    );
}

#[test]
fn plan_json_has_the_contract_shape() {
    let live = live_matching(&environment("shop:1", Some("r1")), Some("r1"));
    let env = environment("shop:2", Some("r1"));
    let plan = plan(&env, Some("3f9c2e1"), &live).unwrap();
    let json = serde_json::to_value(&plan).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["environment", "commit", "changed", "steps", "diffs"]);
    assert_eq!(json["steps"][0]["action"], "register-task-definition");
    assert_eq!(json["steps"][0]["family"], "shop-web");
    assert_eq!(json["steps"][2]["taskDefinition"], true);
    assert_eq!(json["steps"][2]["desiredCount"], serde_json::Value::Null);
    assert!(
        json["diffs"][0]["unified"]
            .as_str()
            .unwrap()
            .starts_with("--- live\n+++ desired\n")
    );
}

#[test]
fn secret_environment_values_never_reach_the_diff() {
    let mut env = environment("shop:1", None);
    let live = live_matching(&env, None);
    env.services[0]
        .environment
        .insert("STRIPE_API_KEY".into(), "sk_live_abcdef".into());
    let plan = plan(&env, None, &live).unwrap();
    assert!(plan.changed);
    assert!(!plan.diffs[0].unified.contains("sk_live_abcdef"));
    assert!(plan.diffs[0].unified.contains("STRIPE_API_KEY"));
}

#[test]
fn a_service_left_quiesced_by_an_interrupted_apply_is_restored() {
    let mut env = environment("shop:1", Some("r1"));
    let mut live = live_matching(&env, Some("r1"));
    let worker = live.services.get_mut("worker").unwrap();
    worker.service.desired_count = 0;
    worker.quiesced_from = Some(4);
    env.services[1].desired_count = None; // autoscaled: the pre-quiesce count wins
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(
        steps_json(&plan),
        json!([{"action": "update-service", "service": "worker", "taskDefinition": false, "desiredCount": {"from": 0, "to": 4}, "serviceDefinition": false}])
    );
}

#[test]
fn a_stale_quiesce_marker_on_a_running_service_is_not_a_count_change() {
    // A release restored the worker, then stopped before removing the marker.
    let env = environment("shop:1", Some("r1"));
    let mut live = live_matching(&env, Some("r1"));
    let worker = live.services.get_mut("worker").unwrap();
    worker.quiesced_from = Some(2);
    worker
        .service
        .tags
        .insert(tags::QUIESCED_FROM.into(), "2".into());
    let plan = plan(&env, None, &live).unwrap();
    assert!(!plan.changed, "{:?}", actions(&plan));
}

#[test]
fn services_missing_the_commit_after_an_interrupted_release_record_it() {
    let env = environment("shop:1", Some("r1"));
    let mut live = live_matching(&env, Some("r1"));
    for s in live.services.values_mut() {
        s.service.tags.insert(tags::COMMIT.into(), "old".into());
    }
    // web got the new commit; worker's tag was never written.
    live.services
        .get_mut("web")
        .unwrap()
        .service
        .tags
        .insert(tags::COMMIT.into(), "new".into());
    let plan = plan(&env, Some("new"), &live).unwrap();
    assert_eq!(
        steps_json(&plan),
        json!([{"action": "record-commit", "service": "worker", "commit": {"from": "old", "to": "new"}}])
    );
    assert!(plan.steps.iter().all(|s| !s.is_noop()));
}

#[test]
fn services_never_released_by_deckhand_do_not_record_a_commit() {
    let env = environment("shop:1", Some("r1"));
    let live = live_matching(&env, Some("r1"));
    assert!(!plan(&env, Some("c1"), &live).unwrap().changed);
}

#[test]
fn an_autoscaled_quiesce_service_has_its_scaling_suspended_and_resumed() {
    let env = environment("shop:2", Some("r2"));
    let mut live = live_matching(&environment("shop:1", Some("r1")), Some("r1"));
    let live_state = crate::ecs::ScalingSuspension {
        scheduled: true,
        ..Default::default()
    };
    live.services.get_mut("worker").unwrap().scaling = Some(live_state);
    let plan = plan(&env, None, &live).unwrap();
    let quiesce = plan
        .steps
        .iter()
        .find(|s| matches!(s, Step::Quiesce(Quiesce { .. })))
        .unwrap();
    assert!(
        matches!(quiesce, Step::Quiesce(Quiesce { suspend_scaling: Some(s), .. }) if *s == live_state)
    );
    assert!(quiesce.to_string().contains("autoscaling suspended"));
    let restore = plan
        .steps
        .iter()
        .find(|s| matches!(s, Step::UpdateService(UpdateService { service, .. }) if service == "worker"))
        .unwrap();
    assert!(
        matches!(restore, Step::UpdateService(UpdateService { resume_scaling: Some(s), .. }) if *s == live_state)
    );
}

#[test]
fn scaling_left_suspended_by_an_interrupted_release_is_resumed_as_recorded() {
    // The release restored the worker, then stopped before resuming its autoscaling.
    let env = environment("shop:1", Some("r1"));
    let mut live = live_matching(&env, Some("r1"));
    let worker = live.services.get_mut("worker").unwrap();
    worker.scaling_suspended_from = Some(crate::ecs::ScalingSuspension::default());
    let resumed = plan(&env, None, &live).unwrap();
    assert_eq!(actions(&resumed), ["resume-scaling worker"]);
    // While a migration is still pending, the recorded state (not the live,
    // suspended one) is what is resumed afterwards.
    let env = environment("shop:2", Some("r2"));
    let mut live = live_matching(&environment("shop:1", Some("r1")), Some("r1"));
    let worker = live.services.get_mut("worker").unwrap();
    worker.scaling = Some(crate::ecs::ScalingSuspension::ALL);
    worker.scaling_suspended_from = Some(crate::ecs::ScalingSuspension::default());
    let plan = plan(&env, None, &live).unwrap();
    assert!(plan.steps.iter().any(|s| matches!(s,
        Step::Quiesce(Quiesce { suspend_scaling: Some(state), .. }) if *state == crate::ecs::ScalingSuspension::default())));
}

fn unfinished(commit: &str, recorded: Option<&str>) -> crate::live::UnfinishedRelease {
    let id = crate::live::ReleaseId {
        started: "2026-12-06T10:00:00Z".into(),
        by: "ci-1:4242:ab".into(),
    };
    crate::live::UnfinishedRelease {
        recorded: recorded.map(|result| crate::history::Release {
            kind: crate::history::ReleaseKind::Release,
            started: id.started.clone(),
            finished: "2026-12-06T10:03:00Z".into(),
            commit: Some(commit.into()),
            image: "shop:1".into(),
            revision: Some("20261101".into()),
            migrated: false,
            result: result.into(),
            reason: None,
            by: id.by.clone(),
        }),
        id,
        commit: Some(commit.into()),
    }
}

#[test]
fn an_interrupted_first_release_is_carried_on_and_records_its_commit_everywhere() {
    // An adopted cluster (no commit tag anywhere) whose first release
    // stopped after its last change: only its in-progress tag is left.
    let env = environment("shop:1", Some("20261101"));
    let mut live = live_matching(&env, Some("20261101"));
    live.unfinished = Some(unfinished("abc", None));
    let plan = plan(&env, Some("abc"), &live).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "finish-release",
            "record-commit web",
            "record-commit worker"
        ]
    );
    assert_eq!(
        step_json(&plan.steps[0]),
        json!({"action": "finish-release", "finish": "continue", "commit": "abc",
               "release": {"started": "2026-12-06T10:00:00Z", "by": "ci-1:4242:ab"}})
    );
    assert!(!plan.steps[0].is_noop());
}

#[test]
fn an_interrupted_release_of_another_commit_is_superseded() {
    let env = environment("shop:1", Some("20261101"));
    let mut live = live_matching(&env, Some("20261101"));
    live.unfinished = Some(unfinished("abc", None));
    let plan = plan(&env, Some("def"), &live).unwrap();
    assert_eq!(step_json(&plan.steps[0])["finish"], "supersede");
}

#[test]
fn a_recorded_interrupted_release_is_only_finished_nothing_else() {
    // Its migration failed and was recorded; the retry is the next plan's.
    let env = environment("shop:2", Some("20261120"));
    let mut live = live_matching(&environment("shop:1", Some("20261101")), Some("20261101"));
    live.unfinished = Some(unfinished("abc", Some("failed:migrate")));
    let plan = plan(&env, Some("abc"), &live).unwrap();
    assert_eq!(actions(&plan), ["finish-release"]);
    assert_eq!(step_json(&plan.steps[0])["finish"], "record");
    assert_eq!(step_json(&plan.steps[0])["result"], "failed:migrate");
    assert!(plan.diffs.is_empty());
}

#[test]
fn a_cluster_only_adopted_plans_nothing() {
    // No in-progress tag, no marker, no result, no commit tag: never released.
    let env = environment("shop:1", Some("20261101"));
    let live = live_matching(&env, Some("20261101"));
    assert!(plan(&env, Some("abc"), &live).unwrap().steps.is_empty());
}

#[test]
fn a_release_result_on_the_cluster_is_evidence_of_an_earlier_release() {
    // A release failed after rolling out, before tagging: its result is recorded.
    let env = environment("shop:1", Some("20261101"));
    let mut live = live_matching(&env, Some("20261101"));
    live.cluster_tags.insert(
        env.last_release_tag(),
        "failed:ecs abc 2026-12-06T10:03:00Z".into(),
    );
    assert_eq!(
        actions(&plan(&env, Some("abc"), &live).unwrap()),
        ["record-commit web", "record-commit worker"]
    );
}

fn cpu_policy(service: &str, target: f64) -> crate::ecs::TargetTrackingPolicy {
    crate::ecs::TargetTrackingPolicy {
        name: crate::spec::policy_name(service, "cpu"),
        predefined_metric: "ECSServiceAverageCPUUtilization".into(),
        resource_label: None,
        target_value: target,
        scale_in_cooldown: Some(300),
        scale_out_cooldown: Some(60),
        disable_scale_in: false,
    }
}

#[test]
fn declared_autoscaling_registers_the_target_and_puts_deckhands_policies_only() {
    let mut env = environment("shop:1", None);
    env.services[1].desired_count = None;
    env.services[1].autoscaling = Some(crate::ecs::Autoscaling {
        min_capacity: 2,
        max_capacity: 8,
        policies: vec![cpu_policy("worker", 60.0)],
    });
    let mut live = live_matching(&env, None);

    // Not a scalable target yet: register it and put the policy.
    let plan_new = plan(&env, None, &live).unwrap();
    assert_eq!(
        steps_json(&plan_new),
        json!([{"action": "update-autoscaling", "service": "worker",
                "minCapacity": {"from": null, "to": 2}, "maxCapacity": {"from": null, "to": 8},
                "policies": ["deckhand-worker-cpu"]}])
    );
    assert_eq!(plan_new.diffs[0].kind, DiffKind::Autoscaling);

    // As declared, plus a policy someone added by hand: nothing to do.
    let manual = crate::ecs::TargetTrackingPolicy {
        name: "manual-requests".into(),
        ..cpu_policy("worker", 10.0)
    };
    let worker = live.services.get_mut("worker").unwrap();
    worker.autoscaling = Some(crate::ecs::Autoscaling {
        min_capacity: 2,
        max_capacity: 8,
        policies: vec![cpu_policy("worker", 60.0), manual.clone()],
    });
    assert!(!plan(&env, None, &live).unwrap().changed);

    // The range changed in the console and an old deckhand policy is left:
    // the range is put back, the old policy deleted, the manual one kept.
    let worker = live.services.get_mut("worker").unwrap();
    worker.autoscaling = Some(crate::ecs::Autoscaling {
        min_capacity: 2,
        max_capacity: 20,
        policies: vec![
            cpu_policy("worker", 60.0),
            manual,
            crate::ecs::TargetTrackingPolicy {
                name: crate::spec::policy_name("worker", "memory"),
                ..cpu_policy("worker", 70.0)
            },
        ],
    });
    let drift = plan(&env, None, &live).unwrap();
    assert_eq!(
        steps_json(&drift),
        json!([{"action": "update-autoscaling", "service": "worker",
                "minCapacity": null, "maxCapacity": {"from": 20, "to": 8},
                "policies": ["deckhand-worker-memory"]}])
    );
    let Step::UpdateAutoscaling(step) = &drift.steps[0] else {
        panic!("{:?}", drift.steps)
    };
    assert_eq!(step.register, Some((2, 8)));
    assert!(step.put.is_empty());
    assert_eq!(step.delete, ["deckhand-worker-memory"]);
}

#[test]
fn a_new_autoscaled_service_is_created_at_its_minimum() {
    let mut env = environment("shop:1", None);
    let mut live = live_matching(&env, None);
    live.services.remove("worker");
    env.services[1].desired_count = None;
    env.services[1].service_definition = Some(crate::spec::ServiceDefinitionFile {
        path: "service-definitions/worker.json".into(),
        definition: Default::default(),
    });
    env.services[1].autoscaling = Some(crate::ecs::Autoscaling {
        min_capacity: 3,
        max_capacity: 6,
        policies: vec![],
    });
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "register-task-definition worker",
            "create-service worker",
            "update-autoscaling worker"
        ]
    );
    let Step::CreateService(create) = &plan.steps[1] else {
        panic!()
    };
    assert_eq!(create.request.desired_count, 3);
}

mod ignore;
