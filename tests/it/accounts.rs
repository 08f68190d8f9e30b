//! `roleArn:` against the emulator (moto serves STS): every call on the
//! environment is made with the credentials of the role deckhand assumes
//! (session `deckhand-<environment>`, with `roleExternalId`), none with its
//! own; a role ARN that is not one is a spec error.

use crate::support::emulator;
use crate::support::fixture::Fixture;
use serde_json::Value;

#[test]
fn an_environment_with_a_role_is_reached_as_that_role() {
    let fx = Fixture::seeded("role");
    let role = format!("arn:aws:iam::123456789012:role/deckhand-{}", fx.id);
    fx.edit_spec(|t| {
        t.replace(
            "cluster: ",
            &format!("roleArn: {role}\nroleExternalId: shop-7f3a\ncluster: "),
        )
    });
    fx.edit_spec(|t| t.replace("shop:3f9c2e1", "shop:9a8b7c6"));
    let run = fx.apply(&[]);
    run.expect_code(0);
    // Not one ECS call with deckhand's own keys.
    assert!(
        fx.calls().is_empty(),
        "{:?}",
        fx.calls().iter().map(|c| &c.operation).collect::<Vec<_>>()
    );
    // Its calls came with the role's temporary keys (moto's start ASIA).
    let all = emulator().request("GET", "/_deckhand/calls", None);
    let ours: Vec<&Value> = all["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["params"]["cluster"] == fx.id.as_str() && c["operation"] == "UpdateService")
        .collect();
    assert_eq!(ours.len(), 2, "web and worker");
    for call in ours {
        let key = call["accessKey"].as_str().unwrap();
        assert!(key.starts_with("ASIA") && key != fx.key, "{key}");
    }
    // The role was assumed with deckhand's own keys, its session named after
    // the environment, with the external id; once, the credentials cached.
    let assumed = emulator().request(
        "GET",
        &format!("/_deckhand/assumed-roles?accessKey={}", fx.key),
        None,
    );
    let assumed = assumed["assumedRoles"].as_array().unwrap();
    assert_eq!(assumed.len(), 1, "{assumed:?}");
    assert_eq!(assumed[0]["roleArn"], role.as_str());
    assert_eq!(assumed[0]["roleSessionName"], format!("deckhand-{}", fx.id));
    assert_eq!(assumed[0]["externalId"], "shop-7f3a");

    // iam-policy says what deckhand's own credentials and the role's trust need.
    let run = fx.run("iam-policy", &[]);
    run.expect_code(0);
    run.stderr_has("\"sts:AssumeRole\"").stderr_has(&role);
    run.stderr_has(&format!(
        "assumes {role} with external id \"shop-7f3a\": the role's trust policy can require it"
    ));
}

#[test]
fn a_role_whose_trust_policy_refuses_is_a_clear_error_and_nothing_is_called() {
    let fx = Fixture::seeded("role-denied");
    let role = format!("arn:aws:iam::210987654321:role/deckhand-{}", fx.id);
    fx.edit_spec(|t| t.replace("cluster: ", &format!("roleArn: {role}\ncluster: ")));
    // STS refuses, as for a role whose trust policy does not name deckhand's principal.
    emulator().request(
        "POST",
        "/_deckhand/faults",
        Some(&serde_json::json!({
            "accessKey": fx.key,
            "operation": "AssumeRole",
            "kind": "custom",
            "httpStatus": 403,
            "errorType": "AccessDenied",
            "message": format!("User: arn:aws:iam::123456789012:user/deckhand is not authorized to perform: sts:AssumeRole on resource: {role}"),
            "count": 100,
        })),
    );
    for command in ["verify", "plan"] {
        let run = fx.run(command, &[]);
        run.expect_code(1);
        assert!(
            run.stderr.contains(&format!(
                "could not assume role {role} (session deckhand-{})",
                fx.id
            )) && run.stderr.contains("trust policy")
                && run.stderr.contains("deckhand iam-policy"),
            "{command}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("AssumeRoleError"),
            "no SDK debug text: {}",
            run.stderr
        );
    }
    assert!(fx.calls().is_empty(), "no ECS call: {:?}", fx.calls());
    emulator().request(
        "DELETE",
        "/_deckhand/faults",
        Some(&serde_json::json!({"accessKey": fx.key})),
    );
}
