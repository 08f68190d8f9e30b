//! Tests of the service-definition SDK mapping: CreateService and
//! UpdateService request contents, round trips through a described service,
//! and required-field errors.

use super::*;
use crate::ecs::taskdef::tests::{client, unset_in};
use crate::servicedef::parse_service_definition;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use serde_json::Value;
use std::collections::BTreeSet;

const WEB: &str = include_str!("../../servicedef/testdata/web.json");
const ALL_FIELDS: &str = include_str!("../../servicedef/testdata/all_fields.json");

/// A CreateService call with what the caller sets, and `def`.
fn create(def: &ServiceDefinition) -> Result<CreateServiceFluentBuilder, MappingError> {
    let call = client()
        .create_service()
        .cluster("shop-production")
        .service_name("web")
        .task_definition("arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:42")
        .desired_count(3)
        .client_token("deckhand-0123456789");
    create_request(call, def)
}

/// What DescribeServices would return for the service `req` creates: its
/// fields, ECS's read-only ones, and the deployments (an old one first).
fn described(req: &CreateServiceFluentBuilder) -> sdk::Service {
    let input = req.as_input();
    let primary = sdk::Deployment::builder()
        .id("ecs-svc/2")
        .status("PRIMARY")
        .desired_count(3)
        .set_service_connect_configuration(input.get_service_connect_configuration().clone())
        .set_volume_configurations(input.get_volume_configurations().clone())
        .set_vpc_lattice_configurations(input.get_vpc_lattice_configurations().clone())
        .build();
    let old = sdk::Deployment::builder()
        .id("ecs-svc/1")
        .status("ACTIVE")
        .service_connect_configuration(
            sdk::ServiceConnectConfiguration::builder()
                .enabled(false)
                .build(),
        )
        .build();
    sdk::Service::builder()
        .service_arn("arn:aws:ecs:eu-west-1:123456789012:service/shop-production/web")
        .set_service_name(input.get_service_name().clone())
        .cluster_arn("arn:aws:ecs:eu-west-1:123456789012:cluster/shop-production")
        .status("ACTIVE")
        .desired_count(3)
        .running_count(3)
        .set_task_definition(input.get_task_definition().clone())
        .platform_family("Linux")
        .created_at(aws_smithy_types::DateTime::from_secs(1_740_915_627))
        .created_by("arn:aws:iam::123456789012:role/deploy")
        .events(
            sdk::ServiceEvent::builder()
                .id("e-1")
                .message("(service web) has reached a steady state.")
                .build(),
        )
        .deployments(old)
        .deployments(primary)
        .resource_management_type(sdk::ResourceManagementType::Customer)
        .set_availability_zone_rebalancing(input.get_availability_zone_rebalancing().clone())
        .set_load_balancers(input.get_load_balancers().clone())
        .set_service_registries(input.get_service_registries().clone())
        .set_launch_type(input.get_launch_type().clone())
        .set_capacity_provider_strategy(input.get_capacity_provider_strategy().clone())
        .set_platform_version(input.get_platform_version().clone())
        .set_role_arn(input.get_role().clone())
        .set_deployment_configuration(input.get_deployment_configuration().clone())
        .set_placement_constraints(input.get_placement_constraints().clone())
        .set_placement_strategy(input.get_placement_strategy().clone())
        .set_network_configuration(input.get_network_configuration().clone())
        .set_health_check_grace_period_seconds(*input.get_health_check_grace_period_seconds())
        .set_scheduling_strategy(input.get_scheduling_strategy().clone())
        .set_deployment_controller(input.get_deployment_controller().clone())
        .set_tags(input.get_tags().clone())
        .set_enable_ecs_managed_tags(*input.get_enable_ecs_managed_tags())
        .set_propagate_tags(input.get_propagate_tags().clone())
        .set_enable_execute_command(*input.get_enable_execute_command())
        .build()
}

/// `def` without what DescribeServices does not report.
fn as_described(def: &ServiceDefinition) -> ServiceDefinition {
    ServiceDefinition {
        gateway_connectors: None,
        monitoring: None,
        ..def.clone()
    }
}

#[test]
fn create_request_carries_every_field() {
    let def = parse_service_definition(ALL_FIELDS).unwrap();
    let req = create(&def).unwrap();
    // No input field, however deeply nested, is left unset: the model
    // covers all of CreateService.
    let unset = unset_in(req.as_input());
    assert!(unset.is_empty(), "unset in request: {unset:#?}");
    // The caller's fields are kept.
    assert_eq!(req.get_cluster().as_deref(), Some("shop-production"));
    assert_eq!(req.get_desired_count(), &Some(3));

    let input = to_sdk(&def).unwrap();
    assert_eq!(req.get_load_balancers(), &input.load_balancers);
    assert_eq!(req.get_launch_type(), &Some(sdk::LaunchType::Ec2));
    assert_eq!(req.get_role().as_deref(), Some("ecsServiceRole"));
    assert_eq!(
        req.get_scheduling_strategy(),
        &Some(sdk::SchedulingStrategy::Replica)
    );
    assert_eq!(
        req.get_propagate_tags(),
        &Some(sdk::PropagateTags::TaskDefinition)
    );
    let deploy = req.get_deployment_configuration().as_ref().unwrap();
    assert_eq!(deploy.strategy(), Some(&sdk::DeploymentStrategy::Canary));
    assert_eq!(
        deploy.canary_configuration().unwrap().canary_percent(),
        Some(5.0)
    );
    let hook = &deploy.lifecycle_hooks()[0];
    assert_eq!(
        hook.lifecycle_stages(),
        [
            sdk::DeploymentLifecycleHookStage::PreScaleUp,
            sdk::DeploymentLifecycleHookStage::PostProductionTrafficShift
        ]
    );
    let details = hook.hook_details().unwrap().as_object().unwrap();
    assert_eq!(
        details["a"].as_object().unwrap()["nested"].as_string(),
        Some("yes")
    );
    let connect = req.get_service_connect_configuration().as_ref().unwrap();
    assert!(connect.enabled());
    assert_eq!(
        connect.container_configurations()[0].as_log_level(),
        Ok(&sdk::ServiceConnectContainerLogLevel::Debug)
    );
    assert_eq!(
        connect.log_configuration().unwrap().log_driver(),
        &sdk::LogDriver::Awslogs
    );
    let ebs = req.get_volume_configurations().as_ref().unwrap()[0]
        .managed_ebs_volume()
        .unwrap();
    assert_eq!(ebs.size_in_gib(), Some(100));
    assert_eq!(ebs.filesystem_type(), Some(&sdk::TaskFilesystemType::Xfs));
    assert_eq!(
        ebs.tag_specifications()[0].resource_type(),
        &sdk::EbsResourceType::Volume
    );

    // The check itself sees nested gaps.
    let json = ALL_FIELDS.replacen("\"iops\": 3000", "\"iops\": null", 1);
    let req = create(&parse_service_definition(&json).unwrap()).unwrap();
    assert_eq!(unset_in(req.as_input()), ["iops: None,"]);
}

#[test]
fn every_field_round_trips_through_describe_services() {
    for text in [WEB, ALL_FIELDS] {
        let def = parse_service_definition(text).unwrap();
        let back = from_sdk(&described(&create(&def).unwrap()));
        assert_eq!(back, as_described(&def));
        // Tags and the rest, again, from the conversion alone.
        assert_eq!(to_sdk(&back).unwrap().tags, to_sdk(&def).unwrap().tags);
    }
    // hookDetails keys come back sorted (SDK documents are unordered), numbers as they were.
    let def = parse_service_definition(ALL_FIELDS).unwrap();
    let back = from_sdk(&described(&create(&def).unwrap()));
    let details = back
        .deployment_configuration
        .unwrap()
        .lifecycle_hooks
        .unwrap()[0]
        .hook_details
        .clone()
        .unwrap();
    assert_eq!(
        details.to_string(),
        r#"{"a":{"nested":"yes"},"b":[1,-2,2.5,"x",true,null]}"#
    );
}

#[test]
fn describe_services_defaults_read_back_as_ecs_reports_them() {
    // ECS always reports these two flags; the rest stays absent.
    let service = sdk::Service::builder().service_name("web").build();
    assert_eq!(
        from_sdk(&service),
        ServiceDefinition {
            enable_ecs_managed_tags: Some(false),
            enable_execute_command: Some(false),
            ..Default::default()
        }
    );
    // A capacity provider's weight and base are always reported too.
    let def = parse_service_definition(
        r#"{"capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]}"#,
    )
    .unwrap();
    let back = from_sdk(&described(&create(&def).unwrap()));
    let item = &back.capacity_provider_strategy.unwrap()[0];
    assert_eq!((item.weight, item.base), (Some(0), Some(0)));
}

#[test]
fn update_request_carries_every_field_update_service_takes() {
    let def = parse_service_definition(ALL_FIELDS).unwrap();
    let call = client()
        .update_service()
        .cluster("shop-production")
        .service("web");
    let req = update_request(call, &def).unwrap();
    // Left to the caller: the spec's fields, and whether to force a deployment.
    let mut unset = unset_in(req.as_input());
    unset.sort();
    assert_eq!(
        unset,
        [
            "desired_count: None,",
            "force_new_deployment: None,",
            "task_definition: None,"
        ]
    );
    let input = to_sdk(&def).unwrap();
    assert_eq!(
        req.get_deployment_configuration(),
        &input.deployment_configuration
    );
    assert_eq!(
        req.get_service_connect_configuration(),
        &input.service_connect_configuration
    );
    assert_eq!(
        req.get_capacity_provider_strategy(),
        &input.capacity_provider_strategy
    );

    // A field the definition leaves out is left as it is on the service.
    let def = parse_service_definition(r#"{"healthCheckGracePeriodSeconds": 90}"#).unwrap();
    let req = update_request(client().update_service(), &def).unwrap();
    assert_eq!(req.get_health_check_grace_period_seconds(), &Some(90));
    assert_eq!(req.get_load_balancers(), &None);
    assert_eq!(req.get_enable_execute_command(), &None);
}

/// The top-level field names of an SDK input's `Debug`, camelCase.
fn input_fields(debug: &str) -> BTreeSet<String> {
    debug
        .lines()
        .filter_map(|l| l.strip_prefix("    ")?.split_once(':'))
        .filter(|(name, _)| !name.starts_with(' '))
        .map(|(name, _)| {
            let mut parts = name.split('_');
            let first = parts.next().unwrap().to_owned();
            parts.fold(first, |acc, p| acc + &p[..1].to_uppercase() + &p[1..])
        })
        .collect()
}

#[test]
fn not_updatable_is_what_update_service_lacks() {
    let create = input_fields(&format!("{:#?}", CreateServiceInput::builder()));
    let update = input_fields(&format!("{:#?}", UpdateServiceInput::builder()));
    assert!(create.contains("launchType") && update.contains("forceNewDeployment"));
    // Not the spec's fields (UpdateService calls the name `service`),
    // deckhand's client token, nor tags (TagResource changes those).
    let lacking: Vec<&str> = create
        .difference(&update)
        .map(String::as_str)
        .filter(|f| !["serviceName", "clientToken", "tags"].contains(f))
        .collect();
    assert_eq!(lacking, NOT_UPDATABLE);
    for field in NOT_UPDATABLE {
        let hint = not_updatable_hint(field).unwrap();
        assert!(hint.contains("anew under another name"), "{field}: {hint}");
    }
    assert_eq!(not_updatable_hint("loadBalancers"), None);
    assert_eq!(not_updatable_hint("tags"), None);
}

#[test]
fn unknown_enum_strings_pass_through() {
    let def = parse_service_definition(
        r#"{"launchType": "QUANTUM", "propagateTags": "SERVICE", "deploymentController": {"type": "ROBOT"}}"#,
    )
    .unwrap();
    let input = to_sdk(&def).unwrap();
    assert_eq!(input.launch_type.as_ref().unwrap().as_str(), "QUANTUM");
    assert_eq!(input.propagate_tags, Some(sdk::PropagateTags::Service));
    let back = from_sdk(&described(&create(&def).unwrap()));
    assert_eq!(back.launch_type.as_deref(), Some("QUANTUM"));
    assert_eq!(
        back.deployment_controller.unwrap().r#type.as_deref(),
        Some("ROBOT")
    );
}

#[test]
fn missing_required_fields_are_named_by_path() {
    // (JSON pointer of an object, key removed from it, the error)
    let cases = [
        (
            "/capacityProviderStrategy/0",
            "capacityProvider",
            "capacityProviderStrategy[0].capacityProvider",
        ),
        (
            "/deploymentConfiguration/deploymentCircuitBreaker",
            "enable",
            "deploymentConfiguration.deploymentCircuitBreaker.enable",
        ),
        (
            "/deploymentConfiguration/deploymentCircuitBreaker/thresholdConfiguration",
            "type",
            "deploymentConfiguration.deploymentCircuitBreaker.thresholdConfiguration.type",
        ),
        (
            "/deploymentConfiguration/alarms",
            "alarmNames",
            "deploymentConfiguration.alarms.alarmNames",
        ),
        (
            "/deploymentConfiguration/alarms",
            "rollback",
            "deploymentConfiguration.alarms.rollback",
        ),
        (
            "/networkConfiguration/awsvpcConfiguration",
            "subnets",
            "networkConfiguration.awsvpcConfiguration.subnets",
        ),
        ("/deploymentController", "type", "deploymentController.type"),
        (
            "/serviceConnectConfiguration",
            "enabled",
            "serviceConnectConfiguration.enabled",
        ),
        (
            "/serviceConnectConfiguration/services/0",
            "portName",
            "serviceConnectConfiguration.services[0].portName",
        ),
        (
            "/serviceConnectConfiguration/services/0/clientAliases/0",
            "port",
            "serviceConnectConfiguration.services[0].clientAliases[0].port",
        ),
        (
            "/serviceConnectConfiguration/services/0/clientAliases/0/testTrafficRules/header",
            "name",
            "serviceConnectConfiguration.services[0].clientAliases[0].testTrafficRules.header.name",
        ),
        (
            "/serviceConnectConfiguration/services/0/clientAliases/0/testTrafficRules/header/value",
            "exact",
            "serviceConnectConfiguration.services[0].clientAliases[0].testTrafficRules.header.value.exact",
        ),
        (
            "/serviceConnectConfiguration/logConfiguration",
            "logDriver",
            "serviceConnectConfiguration.logConfiguration.logDriver",
        ),
        (
            "/serviceConnectConfiguration/logConfiguration/secretOptions/0",
            "valueFrom",
            "serviceConnectConfiguration.logConfiguration.secretOptions[0].valueFrom",
        ),
        (
            "/serviceConnectConfiguration/accessLogConfiguration",
            "format",
            "serviceConnectConfiguration.accessLogConfiguration.format",
        ),
        (
            "/serviceConnectConfiguration/containerConfigurations/0",
            "logLevel",
            "serviceConnectConfiguration.containerConfigurations[0].logLevel",
        ),
        (
            "/volumeConfigurations/0",
            "name",
            "volumeConfigurations[0].name",
        ),
        (
            "/volumeConfigurations/0/managedEBSVolume",
            "roleArn",
            "volumeConfigurations[0].managedEBSVolume.roleArn",
        ),
        (
            "/volumeConfigurations/0/managedEBSVolume/tagSpecifications/0",
            "resourceType",
            "volumeConfigurations[0].managedEBSVolume.tagSpecifications[0].resourceType",
        ),
        (
            "/vpcLatticeConfigurations/0",
            "targetGroupArn",
            "vpcLatticeConfigurations[0].targetGroupArn",
        ),
        (
            "/gatewayConnectors/0",
            "portName",
            "gatewayConnectors[0].portName",
        ),
        (
            "/monitoring/metricConfigurations/0",
            "resolutionSeconds",
            "monitoring.metricConfigurations[0].resolutionSeconds",
        ),
    ];
    let all: Value = serde_json::from_str(ALL_FIELDS).unwrap();
    for (pointer, key, path) in cases {
        let mut json = all.clone();
        let removed = json
            .pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .and_then(|o| o.remove(key));
        assert!(removed.is_some(), "{pointer}/{key} is not in the fixture");
        let def = parse_service_definition(&json.to_string()).unwrap();
        let err = create(&def).unwrap_err();
        assert_eq!(err, MappingError::MissingField { path: path.into() });
        assert_eq!(err.to_string(), format!("{path} is required"));
        assert_eq!(
            update_request(client().update_service(), &def).unwrap_err(),
            err
        );
    }
}
