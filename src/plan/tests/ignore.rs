//! Ignore rules in the planner: hidden from the diff, kept at the live
//! value by the release, reported, and refused or warned about when they
//! match nothing.

use super::*;
use crate::servicedef::ServiceDefinition;
use crate::spec::ignore::{IgnoreRule, Pointer};
use crate::taskdef::model::KeyValuePair;

fn rule(
    service: Option<&str>,
    task_definition: &[&str],
    service_definition: &[&str],
) -> IgnoreRule {
    let parse = |ps: &[&str]| ps.iter().map(|p| Pointer::parse(p).unwrap()).collect();
    IgnoreRule {
        index: 0,
        service: service.map(str::to_owned),
        task_definition: parse(task_definition),
        service_definition: parse(service_definition),
    }
}

/// `live` with `NEW_RELIC_APP_NAME` injected into web's running definition.
fn injected(env: &Environment) -> LiveEnvironment {
    let mut live = live_matching(env, None);
    let web = live.services.get_mut("web").unwrap();
    let mut spec = web.task_definition.spec.clone();
    let app = &mut spec.container_definitions.as_mut().unwrap()[0];
    app.environment.get_or_insert_default().push(KeyValuePair {
        name: Some("NEW_RELIC_APP_NAME".into()),
        value: Some("shop (staging)".into()),
    });
    Arc::make_mut(&mut web.task_definition).spec = spec;
    live
}

#[test]
fn an_injected_variable_is_drift_without_a_rule_and_nothing_with_one() {
    let mut env = environment("shop:1", None);
    let live = injected(&env);
    let without = plan(&env, None, &live).unwrap();
    assert_eq!(
        actions(&without),
        ["register-task-definition web", "update-service web"]
    );

    env.ignore = vec![rule(
        Some("web"),
        &["/containerDefinitions/app/environment/NEW_RELIC_APP_NAME"],
        &[],
    )];
    let with = plan(&env, None, &live).unwrap();
    assert!(!with.changed, "{:?}", actions(&with));
    assert_eq!(with.ignored_in("web"), 1);
    assert_eq!(
        serde_json::to_value(&with.ignored).unwrap(),
        json!([{"service": "web", "kind": "taskDefinition",
                "pointer": "/containerDefinitions/app/environment/NEW_RELIC_APP_NAME", "rule": 0}])
    );
    assert!(with.warnings.is_empty(), "{:?}", with.warnings);
}

#[test]
fn a_release_keeps_the_ignored_live_value_and_its_diff_does_not_show_it() {
    let mut env = environment("shop:1", None);
    let live = injected(&env);
    env.image = "shop:2".into();
    env.ignore = vec![rule(
        None,
        &["/containerDefinitions/app/environment/NEW_RELIC_APP_NAME"],
        &[],
    )];
    let plan = plan(&env, None, &live).unwrap();
    let Step::RegisterTaskDefinition(register) = &plan.steps[0] else {
        panic!("{:?}", actions(&plan))
    };
    assert_eq!(register.service, "web");
    let app = &register
        .task_definition
        .container_definitions
        .as_ref()
        .unwrap()[0];
    assert_eq!(app.image.as_deref(), Some("shop:2"));
    let names: Vec<_> = app
        .environment
        .iter()
        .flatten()
        .map(|kv| (kv.name.clone().unwrap(), kv.value.clone().unwrap()))
        .collect();
    assert!(
        names.contains(&("NEW_RELIC_APP_NAME".into(), "shop (staging)".into())),
        "{names:?}"
    );
    assert!(names.contains(&("RAILS_ENV".into(), "production".into())));
    let diff = &plan.diffs[0].unified;
    assert_eq!(
        changed_lines(diff),
        [
            "-      \"image\": \"shop:1\",",
            "+      \"image\": \"shop:2\","
        ],
        "{diff}"
    );
    // The worker has no injected variable: the rule matched it on neither side.
    assert!(
        plan.warnings.is_empty(),
        "matched on web: {:?}",
        plan.warnings
    );
}

#[test]
fn a_rule_that_matches_nothing_is_a_warning() {
    let mut env = environment("shop:1", None);
    let live = live_matching(&env, None);
    env.ignore = vec![rule(
        None,
        &["/containerDefinitions/app/secrets/DD_API_KEY"],
        &[],
    )];
    let plan = plan(&env, None, &live).unwrap();
    assert!(!plan.changed);
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    let warning = &plan.warnings[0];
    assert!(
        warning.starts_with("environments/staging.yaml: ignore[0].taskDefinition: /containerDefinitions/app/secrets/DD_API_KEY matches nothing"),
        "{warning}"
    );
    assert!(warning.contains("(web, worker)"), "{warning}");
}

#[test]
fn a_container_neither_side_has_is_refused_naming_the_rule() {
    let mut env = environment("shop:1", None);
    let live = live_matching(&env, None);
    env.ignore = vec![rule(
        Some("web"),
        &["/containerDefinitions/datadog-agent/environment/DD_VERSION"],
        &[],
    )];
    let err = plan(&env, None, &live).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("environments/staging.yaml: ignore[0]: /containerDefinitions/datadog-agent/environment/DD_VERSION names container 'datadog-agent', which neither"),
        "{text}"
    );
    assert!(text.contains("(service web)"), "{text}");
}

/// web with a service definition declaring `declared`, and live running `running`.
fn with_definitions(
    declared: Value,
    running: Value,
    live_tags: &[(&str, &str)],
) -> (Environment, LiveEnvironment) {
    let mut env = environment("shop:1", None);
    env.services[0].service_definition = Some(crate::spec::ServiceDefinitionFile {
        path: "service-definitions/web.json".into(),
        definition: Arc::new(serde_json::from_value::<ServiceDefinition>(declared).unwrap()),
    });
    let mut live = live_matching(&env, None);
    let web = &mut live.services.get_mut("web").unwrap().service;
    web.definition = Arc::new(serde_json::from_value(running).unwrap());
    web.tags = live_tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .chain([("deckhand:commit".to_owned(), "abc".to_owned())])
        .collect();
    (env, live)
}

#[test]
fn ignored_service_fields_keep_their_live_value_in_the_update() {
    let lb =
        |tg: &str| json!([{"targetGroupArn": tg, "containerName": "app", "containerPort": 3000}]);
    let network = |subnet: &str, sg: &str| json!({"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}});
    let (mut env, live) = with_definitions(
        json!({"loadBalancers": lb("tg-git"), "networkConfiguration": network("subnet-new", "sg-git")}),
        json!({"loadBalancers": lb("tg-platform"), "networkConfiguration": network("subnet-old", "sg-platform")}),
        &[],
    );
    env.ignore = vec![rule(
        Some("web"),
        &[],
        &[
            "/loadBalancers",
            "/networkConfiguration/awsvpcConfiguration/securityGroups",
        ],
    )];
    let plan = plan(&env, None, &live).unwrap();
    assert_eq!(actions(&plan), ["update-service web"]);
    let Step::UpdateService(update) = &plan.steps[0] else {
        panic!()
    };
    let sent = serde_json::to_value(update.configuration.as_deref().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"networkConfiguration": network("subnet-new", "sg-platform")}),
        "the load balancers are not sent; the security groups stay the platform's"
    );
    assert_eq!(plan.ignored_in("web"), 2);
    let diff = &plan.diffs[0].unified;
    assert!(
        !diff.contains("tg-git") && !diff.contains("sg-git"),
        "{diff}"
    );
}

#[test]
fn an_ignored_tag_is_neither_removed_nor_changed() {
    let (mut env, live) = with_definitions(
        json!({"tags": [{"key": "team", "value": "shop"}, {"key": "cost-center", "value": "git"}]}),
        json!({}),
        &[("team", "old"), ("cost-center", "finance-42")],
    );
    env.ignore = vec![rule(Some("web"), &[], &["/tags/cost-center"])];
    let plan = plan(&env, None, &live).unwrap();
    let Step::UpdateService(update) = &plan.steps[0] else {
        panic!("{:?}", actions(&plan))
    };
    assert_eq!(update.tags.put, [("team".to_owned(), "shop".to_owned())]);
    assert!(update.tags.remove.is_empty(), "{:?}", update.tags.remove);
}

#[test]
fn a_field_the_file_leaves_out_stays_unmanaged() {
    // Without `tags` in the file, tags are not managed: an ignore rule on one
    // must not start managing them (and remove the others).
    let (mut env, live) = with_definitions(
        json!({"healthCheckGracePeriodSeconds": 30}),
        json!({"healthCheckGracePeriodSeconds": 30}),
        &[("team", "old"), ("cost-center", "finance-42")],
    );
    env.ignore = vec![rule(Some("web"), &[], &["/tags/cost-center"])];
    let plan = plan(&env, None, &live).unwrap();
    assert!(!plan.changed, "{:?}", actions(&plan));
    assert!(plan.warnings.is_empty(), "live has it: {:?}", plan.warnings);
}

#[test]
fn the_migration_definition_keeps_its_network_from_services_ignored_fields() {
    let mut env = environment("shop:1", Some("r2"));
    let mut live = live_matching(&env, Some("r1"));
    let mut running = render::migration_task_definition(&env).unwrap();
    running.container_definitions.as_mut().unwrap()[0]
        .environment
        .get_or_insert_default()
        .push(KeyValuePair {
            name: Some("NEW_RELIC_APP_NAME".into()),
            value: Some("shop (migrate)".into()),
        });
    live.migration_task_definition = Some(Arc::new(DescribedTaskDefinition {
        arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/staging-migrate:1".into(),
        family_revision: "staging-migrate:1".into(),
        spec: running,
    }));
    let registers = |env: &Environment| {
        plan(env, None, &live)
            .unwrap()
            .steps
            .iter()
            .find_map(|s| match s {
                Step::Migrate(m) => Some(m.register_task_definition),
                _ => None,
            })
            .expect("a migration is planned")
    };
    assert!(
        registers(&env),
        "without a rule the variable is a difference"
    );
    env.ignore = vec![rule(
        Some("web"),
        &["/containerDefinitions/app/environment/NEW_RELIC_APP_NAME"],
        &[],
    )];
    assert!(!registers(&env), "web's rule applies to its migration copy");
}
