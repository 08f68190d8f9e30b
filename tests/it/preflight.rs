//! Preflight against the emulator: `verify` passes when ECS could run the
//! release, names each missing thing (image, role, parameter, secret, log
//! group; a service definition's role, target group, hook function) by
//! service, container and field with zero mutating calls, and an apply of an
//! unpushed image stops before the lease.

use crate::support::{Fixture, emulator};
use serde_json::json;

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop";

fn mutations(fx: &Fixture) -> Vec<String> {
    fx.mutations_since(0)
}

/// Names `service-definitions/web.json` (written by the test) on web, and commits.
fn name_web_service_definition(fx: &Fixture) {
    let family = format!("    family: {}-web\n", fx.id);
    fx.edit_spec(|t| {
        t.replace(
            &family,
            &format!("{family}    serviceDefinition: service-definitions/web.json\n"),
        )
    });
}

#[test]
fn verify_passes_when_everything_exists() {
    let fx = Fixture::seeded("verify-ok");
    let run = fx.run("verify", &[]);
    run.expect_code(0);
    run.stdout_has(&format!(
        "ok: {}: 1 image(s), 2 role(s), 2 secret(s), 1 log group(s) exist",
        fx.id
    ));
    assert!(mutations(&fx).is_empty());
}

#[test]
fn verify_names_every_missing_thing_and_changes_nothing() {
    let fx = Fixture::seeded("verify-missing");
    // A tag never pushed, a role and a parameter nobody made, a Secrets
    // Manager secret that does not exist, a log group nobody created.
    let template = fx.repo().join("task-definitions/app.json");
    let text = std::fs::read_to_string(&template).unwrap();
    let text = text
        .replace("role/shop-app", "role/shop-app-missing")
        .replace("parameter/shop/secret-key-base", "parameter/shop/no-such-key")
        .replace("\"/ecs/shop\"", "\"/ecs/shop-missing\"")
        .replace(
            "{ \"name\": \"DATABASE_URL\"",
            "{ \"name\": \"STRIPE_KEY\", \"valueFrom\": \"arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/stripe-AbCdEf:key::\" },\n        { \"name\": \"DATABASE_URL\"",
        );
    std::fs::write(&template, text).unwrap();
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:never-pushed"));

    let run = fx.run("verify", &[]);
    run.expect_code(1);
    let out = &run.stdout;
    for expected in [
        format!("web: container app: image: {IMAGE}:never-pushed is not in ECR"),
        format!("worker: container app: image: {IMAGE}:never-pushed is not in ECR"),
        "web: taskRoleArn: IAM role shop-app-missing does not exist".to_owned(),
        "web: container app: secrets[SECRET_KEY_BASE].valueFrom: SSM parameter /shop/no-such-key (region us-east-1) does not exist".to_owned(),
        "web: container app: secrets[STRIPE_KEY].valueFrom: Secrets Manager secret arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/stripe-AbCdEf does not exist".to_owned(),
        "web: container app: logConfiguration.options.awslogs-group: log group /ecs/shop-missing (region us-east-1) does not exist".to_owned(),
        "migration: container app: image:".to_owned(),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in:\n{out}");
    }
    // Things that do exist are not reported.
    assert!(!out.contains("shop-ecs-execution"), "{out}");
    assert!(!out.contains("/shop/database-url"), "{out}");
    run.stderr_has("verify found");
    assert!(mutations(&fx).is_empty(), "{:?}", mutations(&fx));
}

#[test]
fn an_apply_of_an_unpushed_image_stops_before_the_lease() {
    let fx = Fixture::seeded("preflight-apply");
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:not-pushed-yet"));
    let run = fx.apply(&[]);
    run.expect_code(1);
    run.stderr_has("preflight failed");
    run.stderr_has(&format!(
        "web: container app: image: {IMAGE}:not-pushed-yet is not in ECR"
    ));
    assert!(mutations(&fx).is_empty(), "{:?}", mutations(&fx));
    // Pushed, the same commit goes out.
    emulator().request(
        "POST",
        "/_deckhand/seed",
        Some(&json!({"cluster": fx.id, "images": [format!("{IMAGE}:not-pushed-yet")]})),
    );
    let run = fx.apply(&[]);
    run.expect_code(0);
    run.stderr_has("preflight");
}

#[test]
fn a_no_op_apply_makes_no_preflight_calls() {
    let fx = Fixture::seeded("preflight-noop");
    let run = fx.run("apply", &["--yes"]);
    run.expect_code(0);
    run.stderr_lacks("preflight");
    assert!(mutations(&fx).is_empty());
}

#[test]
fn verify_checks_the_roles_a_service_definition_names() {
    let fx = Fixture::seeded("verify-svcroles");
    fx.write(
        "service-definitions/web.json",
        &json!({
            "launchType": "FARGATE",
            "volumeConfigurations": [{"name": "data", "managedEBSVolume": {
                "roleArn": "arn:aws:iam::123456789012:role/shop-ebs-missing", "sizeInGiB": 20
            }}],
            "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [{
                "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:smoke",
                "roleArn": "arn:aws:iam::123456789012:role/shop-app",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]
            }]}
        })
        .to_string(),
    );
    name_web_service_definition(&fx);
    let run = fx.run("verify", &[]);
    run.expect_code(1);
    run.stdout_has("web: serviceDefinition role: IAM role shop-ebs-missing does not exist");
    // The hook's role exists (the seeded task role): not reported.
    run.stdout_lacks("shop-app ");
    assert!(mutations(&fx).is_empty(), "{:?}", mutations(&fx));
}

#[test]
fn verify_checks_the_target_groups_and_hook_functions_a_service_definition_names() {
    let fx = Fixture::seeded("verify-svctg");
    // Letters and digits only: ELB names may not hold "--" or end in "-".
    let alnum: String = fx.id.chars().filter(char::is_ascii_alphanumeric).collect();
    let suffix = &alnum[alnum.len().saturating_sub(10)..];
    let seeded = emulator().request(
        "POST",
        "/_deckhand/seed",
        Some(&json!({"cluster": fx.id,
            "targetGroups": [
                {"name": format!("blue-{suffix}")},
                {"name": format!("loose-{suffix}"), "attached": false},
                {"name": format!("inst-{suffix}"), "targetType": "instance"}],
            "functions": [format!("smoke-{suffix}")]})),
    );
    let group = |name: &str| {
        seeded["targetGroups"][format!("{name}-{suffix}")]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let blue = group("blue");
    let green = blue.replace(&format!("blue-{suffix}"), &format!("green-{suffix}"));
    let hook = seeded["functions"][format!("smoke-{suffix}")]
        .as_str()
        .unwrap()
        .to_owned();
    let missing_hook = hook.replace("smoke-", "gone-");
    let definition = |primary: &str, alternate: &str, hooks: &[&str]| {
        json!({
            "launchType": "FARGATE",
            "loadBalancers": [{"targetGroupArn": primary, "containerName": "app", "containerPort": 3000,
                "advancedConfiguration": {"alternateTargetGroupArn": alternate,
                    "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/1/2/3",
                    "roleArn": "arn:aws:iam::123456789012:role/shop-app"}}],
            "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0,
                "lifecycleHooks": hooks.iter().map(|h| json!({"hookTargetArn": h,
                    "roleArn": "arn:aws:iam::123456789012:role/shop-app",
                    "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]})).collect::<Vec<_>>()}
        })
        .to_string()
    };
    fx.write(
        "service-definitions/web.json",
        &definition(&blue, &green, &[&hook, &missing_hook]),
    );
    name_web_service_definition(&fx);
    let run = fx.run("verify", &[]);
    run.expect_code(1);
    let out = &run.stdout;
    for expected in [
        format!(
            "web: serviceDefinition loadBalancers[0].advancedConfiguration.alternateTargetGroupArn: target group {green} does not exist"
        ),
        format!(
            "web: serviceDefinition deploymentConfiguration.lifecycleHooks[1].hookTargetArn: Lambda function {missing_hook} does not exist"
        ),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains(&format!("target group {blue}")), "{out}");
    assert!(!out.contains(&format!("function {hook} ")), "{out}");
    assert!(mutations(&fx).is_empty(), "{:?}", mutations(&fx));

    // A target group with no load balancer, and one of target type instance
    // for a task definition in awsvpc mode: ECS would refuse both.
    fx.write(
        "service-definitions/web.json",
        &definition(&group("loose"), &group("inst"), &[&hook]),
    );
    fx.commit("target groups ECS would refuse");
    let run = fx.run("verify", &[]);
    run.expect_code(1);
    let out = &run.stdout;
    assert!(
        out.contains(&format!(
            "target group {} is not attached to a load balancer",
            group("loose")
        )),
        "{out}"
    );
    assert!(out.contains(&format!("target group {} has target type instance, but the task definition uses the awsvpc network mode", group("inst"))), "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");

    fx.write(
        "service-definitions/web.json",
        &definition(&blue, &blue, &[&hook]),
    );
    fx.commit("target groups that work");
    let run = fx.run("verify", &[]);
    run.expect_code(0);
    run.stdout_has("1 target group(s), 1 function(s) exist");
}
