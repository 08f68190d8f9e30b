//! Tests of the service-definition model: strict reading of CreateService
//! input and of describe-services output, and serialization back.

use super::*;
use crate::spec::diagnostic::Diagnostic;

const WEB: &str = include_str!("testdata/web.json");
const WEB_DESCRIBED: &str = include_str!("testdata/web-described.json");
const ALL_FIELDS: &str = include_str!("testdata/all_fields.json");

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// `json` with `entry` (`"key": value`) put first in the top-level object, on line 2.
fn with_first(json: &str, entry: &str) -> String {
    json.replacen("{\n", &format!("{{\n  {entry},\n"), 1)
}

#[test]
fn parses_a_blue_green_web_service() {
    let def = parse_service_definition(WEB).unwrap();
    assert_eq!(def.launch_type.as_deref(), Some("FARGATE"));
    assert_eq!(def.platform_version.as_deref(), Some("1.4.0"));
    assert_eq!(def.health_check_grace_period_seconds, Some(60));
    assert_eq!(def.enable_ecs_managed_tags, Some(true));
    assert_eq!(def.enable_execute_command, Some(false));
    assert_eq!(def.propagate_tags.as_deref(), Some("SERVICE"));
    assert_eq!(
        def.availability_zone_rebalancing.as_deref(),
        Some("ENABLED")
    );

    let lb = &def.load_balancers.as_ref().unwrap()[0];
    assert_eq!(lb.container_name.as_deref(), Some("web"));
    assert_eq!(lb.container_port, Some(3000));
    let advanced = lb.advanced_configuration.as_ref().unwrap();
    assert!(
        advanced
            .alternate_target_group_arn
            .as_deref()
            .unwrap()
            .contains("shop-web-green")
    );

    let deploy = def.deployment_configuration.as_ref().unwrap();
    assert_eq!(deploy.strategy.as_deref(), Some("BLUE_GREEN"));
    assert_eq!(deploy.bake_time_in_minutes, Some(10));
    assert_eq!(
        deploy.deployment_circuit_breaker,
        Some(DeploymentCircuitBreaker {
            enable: Some(true),
            rollback: Some(true),
            ..Default::default()
        })
    );
    let alarms = deploy.alarms.as_ref().unwrap();
    assert_eq!(
        alarms.alarm_names.as_deref(),
        Some(&["shop-web-5xx".to_owned(), "shop-web-latency".to_owned()][..])
    );
    let hook = &deploy.lifecycle_hooks.as_ref().unwrap()[0];
    assert_eq!(
        hook.lifecycle_stages,
        Some(vec!["POST_TEST_TRAFFIC_SHIFT".to_owned()])
    );
    assert_eq!(
        hook.hook_details,
        Some(serde_json::json!({ "path": "/healthz", "expect": 200 }))
    );
    assert_eq!(
        def.deployment_controller
            .as_ref()
            .unwrap()
            .r#type
            .as_deref(),
        Some("ECS")
    );

    let vpc = def
        .network_configuration
        .as_ref()
        .unwrap()
        .awsvpc_configuration
        .as_ref()
        .unwrap();
    assert_eq!(vpc.subnets.as_ref().unwrap().len(), 2);
    assert_eq!(vpc.assign_public_ip.as_deref(), Some("DISABLED"));

    let connect = def.service_connect_configuration.as_ref().unwrap();
    assert_eq!(connect.enabled, Some(true));
    let service = &connect.services.as_ref().unwrap()[0];
    assert_eq!(service.port_name.as_deref(), Some("http"));
    assert_eq!(
        service.client_aliases.as_ref().unwrap()[0]
            .dns_name
            .as_deref(),
        Some("web.shop.internal")
    );
    assert_eq!(
        service.timeout.as_ref().unwrap().idle_timeout_seconds,
        Some(300)
    );
    // The task definition's log configuration, reused.
    let logs = connect.log_configuration.as_ref().unwrap();
    assert_eq!(logs.log_driver.as_deref(), Some("awslogs"));
    assert_eq!(
        logs.options.as_ref().unwrap()["awslogs-stream-prefix"],
        "proxy"
    );
    assert_eq!(
        def.tags.as_ref().unwrap()[1].key.as_deref(),
        Some("cost-center")
    );

    // Absent stays absent.
    assert_eq!(def.role, None);
    assert_eq!(def.capacity_provider_strategy, None);
    assert_eq!(def.volume_configurations, None);
}

#[test]
fn parses_every_field() {
    let def = parse_service_definition(ALL_FIELDS).unwrap();
    let volume = &def.volume_configurations.as_ref().unwrap()[0];
    let ebs = volume.managed_ebs_volume.as_ref().unwrap();
    assert_eq!(ebs.size_in_gib, Some(100));
    assert_eq!(ebs.filesystem_type.as_deref(), Some("xfs"));
    let canary = def
        .deployment_configuration
        .as_ref()
        .unwrap()
        .canary_configuration
        .as_ref()
        .unwrap();
    assert_eq!(canary.canary_percent, Some(5.0));
    let connect = def.service_connect_configuration.as_ref().unwrap();
    assert_eq!(
        connect.container_configurations,
        Some(vec![ServiceConnectContainerConfiguration {
            log_level: Some("debug".into())
        }])
    );
    let rules = connect.services.as_ref().unwrap()[0]
        .client_aliases
        .as_ref()
        .unwrap()[0]
        .test_traffic_rules
        .as_ref()
        .unwrap();
    assert_eq!(
        rules
            .header
            .as_ref()
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .exact
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        def.monitoring
            .as_ref()
            .unwrap()
            .metric_configurations
            .as_ref()
            .unwrap()[0]
            .resolution_seconds,
        Some(10)
    );
    assert_eq!(
        def.gateway_connectors.as_ref().unwrap()[0]
            .filters
            .as_ref()
            .unwrap()
            .access_types,
        Some(vec!["PUBLIC".to_owned(), "PRIVATE".to_owned()])
    );
}

#[test]
fn serializes_back_to_create_service_input() {
    for text in [WEB, ALL_FIELDS] {
        let def = parse_service_definition(text).unwrap();
        let json = serde_json::to_value(&def).unwrap();
        let again = parse_service_definition(&json.to_string()).unwrap();
        assert_eq!(again, def);
        // Key for key what the file says, in its spellings.
        let original: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(json, original);
    }
    let json = serde_json::to_value(parse_service_definition(ALL_FIELDS).unwrap()).unwrap();
    assert_eq!(json["enableECSManagedTags"], true);
    assert_eq!(
        json["volumeConfigurations"][0]["managedEBSVolume"]["sizeInGiB"],
        100
    );
    assert_eq!(
        json["networkConfiguration"]["awsvpcConfiguration"]["subnets"][0],
        "subnet-1"
    );
    // Absent fields stay absent.
    let json = serde_json::to_value(parse_service_definition(WEB).unwrap()).unwrap();
    assert!(json.get("role").is_none());
    assert!(json["loadBalancers"][0].get("loadBalancerName").is_none());
}

#[test]
fn unknown_keys_name_their_path_line_and_column() {
    // (key, its misspelling, the path of the error)
    let cases = [
        (
            "healthCheckGracePeriodSeconds",
            "healthCheckGracePeriod",
            "healthCheckGracePeriod",
        ),
        (
            "enableECSManagedTags",
            "enableEcsManagedTags",
            "enableEcsManagedTags",
        ),
        (
            "bakeTimeInMinutes",
            "bakeTimeMinutes",
            "deploymentConfiguration.bakeTimeMinutes",
        ),
        (
            "rollback",
            "rolback",
            "deploymentConfiguration.deploymentCircuitBreaker.rolback",
        ),
        (
            "productionListenerRule",
            "productionListenerRules",
            "loadBalancers[0].advancedConfiguration.productionListenerRules",
        ),
        (
            "assignPublicIp",
            "assignPublicIP",
            "networkConfiguration.awsvpcConfiguration.assignPublicIP",
        ),
        (
            "dnsName",
            "dnsNme",
            "serviceConnectConfiguration.services[0].clientAliases[0].dnsNme",
        ),
        (
            "logDriver",
            "logDrivr",
            "serviceConnectConfiguration.logConfiguration.logDrivr",
        ),
    ];
    for (key, typo, path) in cases {
        let key = format!("\"{key}\"");
        let json = WEB.replacen(&key, &format!("\"{typo}\""), 1);
        let err = parse_service_definition(&json).unwrap_err();
        assert_eq!(err.path(), path, "{err}");
        assert!(
            err.message()
                .starts_with(&format!("unknown field `{typo}`, expected")),
            "{err}"
        );
        assert_eq!(err.line(), line_of(WEB, &key), "{err}");
        assert!(err.column() > 0);
        assert!(err.to_string().starts_with(&format!("{path}: ")), "{err}");
    }
}

#[test]
fn diagnostics_suggest_the_nearest_known_key() {
    let cases = [
        (
            "\"healthCheckGracePeriodSeconds\"",
            "\"healthCheckGracePeriod\"",
            "healthCheckGracePeriodSeconds",
        ),
        (
            "\"enableECSManagedTags\"",
            "\"enableEcsManagedTags\"",
            "enableECSManagedTags",
        ),
        ("\"dnsName\"", "\"dnsNme\"", "dnsName"),
        (
            "\"alternateTargetGroupArn\"",
            "\"alternateTargetGroup\"",
            "alternateTargetGroupArn",
        ),
        (
            "\"perRequestTimeoutSeconds\"",
            "\"perRequestTimeout\"",
            "perRequestTimeoutSeconds",
        ),
    ];
    for (key, typo, suggested) in cases {
        let json = WEB.replacen(key, typo, 1);
        let err = parse_service_definition(&json).unwrap_err();
        let d = Diagnostic::from_definition_error(
            "svc.json",
            &json,
            &err,
            crate::spec::diagnostic::SERVICE_DEFINITION_INPUT,
        );
        assert!(
            d.hint.starts_with(&format!("did you mean `{suggested}`?")),
            "{d}"
        );
        assert_eq!(d.position.unwrap().0, line_of(WEB, key));
        assert!(d.source_line.unwrap().contains(typo));
    }
}

#[test]
fn keys_the_spec_owns_are_refused_at_their_line() {
    let cases = [
        (
            "\"cluster\": \"shop-production\"",
            "cluster",
            "`cluster` is set by the environment spec (cluster), not in a service definition; remove it",
        ),
        (
            "\"serviceName\": \"web\"",
            "serviceName",
            "`serviceName` is set by the environment spec (the key under services), not in a service definition; remove it",
        ),
        (
            "\"taskDefinition\": \"shop-web:42\"",
            "taskDefinition",
            "`taskDefinition` is set by the environment spec (services.<name>.taskDefinition), not in a service definition; remove it",
        ),
        (
            "\"desiredCount\": 3",
            "desiredCount",
            "`desiredCount` is set by the environment spec (services.<name>.desiredCount), not in a service definition; remove it",
        ),
        (
            "\"clientToken\": \"abc\"",
            "clientToken",
            "`clientToken` is not for a service definition (deckhand makes its own); remove it",
        ),
    ];
    for (entry, key, message) in cases {
        let json = with_first(WEB, entry);
        let err = parse_service_definition(&json).unwrap_err();
        assert!(
            matches!(err, TaskDefinitionError::Invalid { .. }),
            "{err:?}"
        );
        assert_eq!(err.path(), key);
        assert_eq!(err.message(), message);
        assert_eq!(err.line(), 2);
        // At the key's closing quote.
        assert_eq!(err.column(), 2 + key.len() + 2, "{err}");
        let d = Diagnostic::from_definition_error(
            "svc.json",
            &json,
            &err,
            crate::spec::diagnostic::SERVICE_DEFINITION_INPUT,
        );
        assert_eq!(d.field, key);
        assert_eq!(d.position, Some((2, err.column())));
        assert_eq!(d.message, message);

        // Anywhere in the file, e.g. last.
        let json = WEB.replacen(
            "\n  \"tags\": [",
            &format!("\n  {entry},\n  \"tags\": ["),
            1,
        );
        let err = parse_service_definition(&json).unwrap_err();
        assert_eq!(err.path(), key);
        assert_eq!(err.line(), line_of(&json, entry));
    }
}

#[test]
fn describe_only_keys_are_refused_in_create_service_input() {
    let err = parse_service_definition(&with_first(WEB, "\"runningCount\": 3")).unwrap_err();
    assert_eq!(err.path(), "runningCount");
    assert_eq!(err.line(), 2);
    assert!(
        err.message()
            .starts_with("`runningCount` is read-only describe-services output"),
        "{err}"
    );
    assert!(err.message().contains("`serviceArn`"), "{err}");
    let err = parse_service_definition(&with_first(WEB, "\"roleArn\": \"r\"")).unwrap_err();
    assert_eq!(err.path(), "roleArn");
    assert!(err.message().contains("calls it `role`"), "{err}");
}

#[test]
fn describe_services_output_reads_as_the_same_definition() {
    let described = parse_service_definition(WEB_DESCRIBED).unwrap();
    let input = parse_service_definition(WEB).unwrap();
    // What describe-services says beyond the input: empty lists for what is
    // unset. Its `roleArn` is ECS's own service-linked role, which is dropped
    // (CreateService refuses it as `role` on awsvpc services).
    let expected = ServiceDefinition {
        service_registries: Some(vec![]),
        placement_constraints: Some(vec![]),
        placement_strategy: Some(vec![]),
        ..input.clone()
    };
    assert_eq!(described, expected);
    // Service Connect came from the PRIMARY deployment, not the INACTIVE one.
    assert_eq!(
        described.service_connect_configuration,
        input.service_connect_configuration
    );

    // Read-only keys are never written back; what is written is input.
    let json = serde_json::to_value(&described).unwrap();
    for key in [
        "serviceArn",
        "serviceName",
        "clusterArn",
        "status",
        "desiredCount",
        "runningCount",
        "taskDefinition",
        "deployments",
        "roleArn",
        "events",
        "createdAt",
        "createdBy",
        "resourceManagementType",
    ] {
        assert!(json.get(key).is_none(), "{key} was serialized");
    }
    assert_eq!(
        parse_service_definition(&json.to_string()).unwrap(),
        described
    );
}

#[test]
fn describe_output_without_deployments_or_a_primary_one() {
    let mut value: serde_json::Value = serde_json::from_str(WEB_DESCRIBED).unwrap();
    value["deployments"][0]["status"] = "ACTIVE".into();
    let def = parse_service_definition(&value.to_string()).unwrap();
    assert_eq!(def.service_connect_configuration, None);
    value.as_object_mut().unwrap().remove("deployments");
    let def = parse_service_definition(&value.to_string()).unwrap();
    assert_eq!(def.service_connect_configuration, None);

    // A value the file also sets at the top level keeps that value.
    let sc = serde_json::json!({ "enabled": false });
    value["serviceConnectConfiguration"] = sc;
    let def = parse_service_definition(&value.to_string()).unwrap();
    assert_eq!(
        def.service_connect_configuration.unwrap().enabled,
        Some(false)
    );
}

#[test]
fn describe_output_still_refuses_cluster_client_token_and_unknown_keys() {
    let err =
        parse_service_definition(&with_first(WEB_DESCRIBED, "\"cluster\": \"c\"")).unwrap_err();
    assert_eq!(err.path(), "cluster");
    let err =
        parse_service_definition(&with_first(WEB_DESCRIBED, "\"clientToken\": \"t\"")).unwrap_err();
    assert_eq!(err.path(), "clientToken");
    let json = WEB_DESCRIBED.replacen("\"healthCheckGracePeriodSeconds\"", "\"gracePeriod\"", 1);
    let err = parse_service_definition(&json).unwrap_err();
    assert_eq!(err.path(), "gracePeriod");
    assert_eq!(
        err.line(),
        line_of(WEB_DESCRIBED, "\"healthCheckGracePeriodSeconds\"")
    );
}

#[test]
fn a_bad_primary_deployment_names_its_path() {
    let json = WEB_DESCRIBED.replacen("\"dnsName\"", "\"dnsNme\"", 1);
    let err = parse_service_definition(&json).unwrap_err();
    assert_eq!(
        err.path(),
        "deployments[0].serviceConnectConfiguration.services[0].clientAliases[0].dnsNme"
    );
    assert_eq!(err.line(), line_of(WEB_DESCRIBED, "\"dnsName\""));
}

#[test]
fn wrong_types_name_their_path() {
    let json = WEB.replacen("\"containerPort\": 3000", "\"containerPort\": \"3000\"", 1);
    let err = parse_service_definition(&json).unwrap_err();
    assert_eq!(err.path(), "loadBalancers[0].containerPort");
    assert!(err.message().starts_with("invalid type: string"), "{err}");
    let json = WEB.replacen(
        "\"enableExecuteCommand\": false",
        "\"enableExecuteCommand\": 0",
        1,
    );
    let err = parse_service_definition(&json).unwrap_err();
    assert_eq!(err.path(), "enableExecuteCommand");
}

#[test]
fn syntax_errors_have_a_position() {
    let err = parse_service_definition("{\n  \"launchType\": \"EC2\",\n}").unwrap_err();
    assert!(matches!(err, TaskDefinitionError::Syntax { .. }), "{err:?}");
    assert_eq!(err.line(), 3);
    let err = parse_service_definition(r#"{"launchType": "EC2"} {"#).unwrap_err();
    assert!(err.message().contains("trailing characters"), "{err}");
    let err = parse_service_definition(r#"{"serviceArn": "a"} x"#).unwrap_err();
    assert!(err.message().contains("trailing characters"), "{err}");
}

#[test]
fn structs_must_be_objects() {
    let err = parse_service_definition("[]").unwrap_err();
    assert_eq!(err.path(), "");
    assert!(
        err.message()
            .starts_with("invalid type: sequence, expected struct ServiceDefinition"),
        "{err}"
    );
    let err = parse_service_definition(r#"["arn:aws:ecs:eu-west-1:1:service/c/s"]"#).unwrap_err();
    assert!(err.message().starts_with("invalid type: sequence"), "{err}");
    let err = parse_service_definition(r#"{"networkConfiguration": [["subnet-1"]]}"#).unwrap_err();
    assert_eq!(err.path(), "networkConfiguration");
    let err = parse_service_definition(r#"{"loadBalancers": [["tg", "web", 80]]}"#).unwrap_err();
    assert_eq!(err.path(), "loadBalancers[0]");
    let err = parse_service_definition(
        r#"{"serviceConnectConfiguration": {"services": [{"timeout": [30]}]}}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.path(),
        "serviceConnectConfiguration.services[0].timeout"
    );
}

#[test]
fn the_json_schema_has_the_input_fields_only() {
    let schema = serde_json::to_value(schemars::schema_for!(ServiceDefinition)).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    assert_eq!(properties.len(), 23);
    assert!(properties.contains_key("enableECSManagedTags"));
    assert!(properties.contains_key("gatewayConnectors"));
    for key in [
        "cluster",
        "serviceName",
        "desiredCount",
        "serviceArn",
        "roleArn",
    ] {
        assert!(!properties.contains_key(key), "{key}");
    }
}
