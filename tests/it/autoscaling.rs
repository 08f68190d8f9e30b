//! Declared autoscaling against the emulator (its Application Auto Scaling):
//! the scalable target and deckhand's policies created, kept in sync and
//! left alone where they are not deckhand's; a migration still quiesces an
//! autoscaled worker.

use crate::support::emulator;
use crate::support::fixture::Fixture;
use serde_json::{Value, json};

const AUTOSCALED_WORKER: &str = "    autoscaling:
      minCapacity: 1
      maxCapacity: 4
      targetTracking:
        - name: cpu
          predefinedMetric: ECSServiceAverageCPUUtilization
          targetValue: 60
          scaleInCooldown: 5m
          scaleOutCooldown: 1m
";

/// The seeded shop, its worker autoscaled in git (no desiredCount).
fn autoscaled(test: &str) -> Fixture {
    let fx = Fixture::seeded(test);
    let family = format!("    family: {}-worker\n", fx.id);
    fx.edit_spec(|t| {
        t.replace(
            &format!("    desiredCount: 2\n{family}"),
            &format!("{family}{AUTOSCALED_WORKER}"),
        )
    });
    fx
}

fn target(fx: &Fixture) -> Value {
    let answer = emulator().autoscaling(
        &fx.key,
        "DescribeScalableTargets",
        &json!({"ServiceNamespace": "ecs", "ResourceIds": [format!("service/{}/worker", fx.id)]}),
    );
    answer["ScalableTargets"][0].clone()
}

fn policy_names(fx: &Fixture) -> Vec<String> {
    let answer = emulator().autoscaling(
        &fx.key,
        "DescribeScalingPolicies",
        &json!({"ServiceNamespace": "ecs", "ResourceId": format!("service/{}/worker", fx.id)}),
    );
    answer["ScalingPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn declared_autoscaling_is_created_kept_in_sync_and_leaves_other_policies_alone() {
    let fx = autoscaled("scale-sync");
    let plan = fx.plan_json();
    assert_eq!(
        plan["steps"][0],
        json!({"action": "update-autoscaling", "service": "worker",
               "minCapacity": {"from": null, "to": 1}, "maxCapacity": {"from": null, "to": 4},
               "policies": ["deckhand-worker-cpu"]}),
        "{plan:#}"
    );
    assert_eq!(plan["diffs"][0]["kind"], "autoscaling");
    fx.apply(&[]).expect_code(0);
    let created = target(&fx);
    assert_eq!(
        (
            created["MinCapacity"].clone(),
            created["MaxCapacity"].clone()
        ),
        (json!(1), json!(4))
    );
    assert_eq!(policy_names(&fx), ["deckhand-worker-cpu"]);
    let plan = fx.plan_json();
    assert!(
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["action"] != "update-autoscaling"),
        "{plan:#}"
    );

    // Changed in the console: the range, and a policy of someone else's.
    let resource = format!("service/{}/worker", fx.id);
    emulator().autoscaling(
        &fx.key,
        "RegisterScalableTarget",
        &json!({"ServiceNamespace": "ecs", "ResourceId": resource,
                "ScalableDimension": "ecs:service:DesiredCount", "MaxCapacity": 10}),
    );
    emulator().autoscaling(
        &fx.key,
        "PutScalingPolicy",
        &json!({"PolicyName": "manual-memory", "ServiceNamespace": "ecs", "ResourceId": resource,
                "ScalableDimension": "ecs:service:DesiredCount", "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70.0,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageMemoryUtilization"}}}),
    );
    let plan = fx.plan_json();
    // Drift in the range is planned.
    let step = crate::support::fixture::step(&plan, "update-autoscaling");
    assert_eq!(step["maxCapacity"], json!({"from": 10, "to": 4}));
    assert_eq!(step["policies"], json!([]));
    fx.apply(&[]).expect_code(0);
    assert_eq!(target(&fx)["MaxCapacity"], 4);
    let mut names = policy_names(&fx);
    names.sort();
    assert_eq!(names, ["deckhand-worker-cpu", "manual-memory"]);

    // A policy removed from git is deleted.
    fx.edit_spec(|t| {
        let start = t.find("      targetTracking:\n").unwrap();
        let end = t[start..].find("\n\n").map_or(t.len(), |i| start + i + 1);
        format!("{}{}", &t[..start], &t[end..])
    });
    fx.apply(&[]).expect_code(0);
    assert_eq!(policy_names(&fx), ["manual-memory"]);
}

#[test]
fn a_migration_still_quiesces_an_autoscaled_worker_and_gives_its_scaling_back() {
    let fx = autoscaled("scale-migrate");
    fx.apply(&[]).expect_code(0);
    fx.edit_spec(|t| t.replace("20261101000000", "20261120093000"));
    let run = fx.apply(&[]);
    run.expect_code(0);
    run.stderr_has("quiesce");
    let after = target(&fx);
    assert_eq!(
        (after["MinCapacity"].clone(), after["MaxCapacity"].clone()),
        (json!(1), json!(4))
    );
    let suspended = &after["SuspendedState"];
    assert!(
        suspended.is_null()
            || suspended
                .as_object()
                .unwrap()
                .values()
                .all(|v| v == &json!(false)),
        "{after:#}"
    );
    let described = emulator().ecs(
        &fx.key,
        "DescribeServices",
        &json!({"cluster": fx.id, "services": ["worker"]}),
    );
    assert_eq!(
        described["services"][0]["desiredCount"], 2,
        "back to its count"
    );
}
