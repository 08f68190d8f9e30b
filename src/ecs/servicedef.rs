//! Mapping between [`ServiceDefinition`] and the `aws_sdk_ecs` types, both ways.
//!
//! [`create_request`] puts every field of a definition on a `CreateService`
//! call (the caller has set the cluster, name, task definition and count);
//! [`update_request`] puts on an `UpdateService` call every field UpdateService
//! takes; [`from_sdk`] reads what `DescribeServices` returned back into a
//! definition, so that the two can be compared. Nothing is dropped: [`to_sdk`]
//! then [`from_sdk`] gives back the definition, except what DescribeServices
//! does not report (`gatewayConnectors`, `monitoring`; `tags` unless asked for).
//!
//! Where ECS reports a value the SDK cannot leave unset (the service's
//! `enableECSManagedTags` and `enableExecuteCommand`, a capacity provider's
//! `weight` and `base`, a circuit breaker's threshold `value`, early success
//! criteria's `enable`), it reads back as set, as describe-services output
//! shows it; making ECS's defaults and spellings (a role ARN for a role
//! name, `deploymentController` `ECS` when none was given, ...) compare
//! equal is the caller's normalization, not this mapping's. `serviceConnectConfiguration`,
//! `volumeConfigurations` and `vpcLatticeConfigurations` are reported only on
//! the deployments: they are read from the `PRIMARY` one.
//!
//! Tags are not part of [`update_request`]: UpdateService does not take them
//! (TagResource and UntagResource change them). The fields of
//! [`NOT_UPDATABLE`] cannot be changed at all on an existing service.
//!
//! Fields the SDK builders (and ECS) require are checked here and reported
//! with their JSON path, e.g. `deploymentConfiguration.alarms.alarmNames is
//! required`. Enum strings are passed through unchecked; ECS validates them.
//! The nested types are mapped in `deployment`, `traffic`, `connect` and
//! `placement`, as in the model. This module makes no API calls.

mod connect;
mod deployment;
mod placement;
mod traffic;

use super::taskdef::{
    MappingError, built, enum_from, enum_to, nested, nested_from, nested_list, nested_list_from,
};
use crate::servicedef::ServiceDefinition;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::create_service::builders::CreateServiceFluentBuilder;
use aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder;
use aws_sdk_ecs::types as sdk;

/// The fields (camelCase, as a service definition spells them) that
/// CreateService takes and UpdateService cannot change: UpdateService has no
/// parameter for them. See [`not_updatable_hint`] for what to do instead.
pub const NOT_UPDATABLE: &[&str] = &["launchType", "role", "schedulingStrategy"];

/// What a user can do when a field of [`NOT_UPDATABLE`] differs from the live
/// service; None for a field UpdateService (or tagging) can change.
pub fn not_updatable_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "launchType" => {
            "UpdateService cannot change a launch type: put the live one back, use `capacityProviderStrategy` instead (UpdateService can switch a service to capacity providers), or create the service anew under another name"
        }
        "role" => {
            "ECS takes a service's load-balancer role only when it creates the service: put the live role back, or create the service anew under another name"
        }
        "schedulingStrategy" => {
            "ECS takes REPLICA or DAEMON only when it creates a service: put the live value back, or create the service anew under another name"
        }
        _ => return None,
    })
}

/// The definition as SDK CreateService input, without the fields the
/// caller sets (`cluster`, `serviceName`, `taskDefinition`, `desiredCount`,
/// `clientToken`).
pub fn to_sdk(def: &ServiceDefinition) -> Result<CreateServiceInput, MappingError> {
    built(
        CreateServiceInput::builder()
            .set_availability_zone_rebalancing(enum_to(&def.availability_zone_rebalancing))
            .set_load_balancers(nested_list(&def.load_balancers, "loadBalancers")?)
            .set_service_registries(nested_list(&def.service_registries, "serviceRegistries")?)
            .set_launch_type(enum_to(&def.launch_type))
            .set_capacity_provider_strategy(nested_list(
                &def.capacity_provider_strategy,
                "capacityProviderStrategy",
            )?)
            .set_platform_version(def.platform_version.clone())
            .set_role(def.role.clone())
            .set_deployment_configuration(nested(
                &def.deployment_configuration,
                "deploymentConfiguration",
            )?)
            .set_placement_constraints(nested_list(
                &def.placement_constraints,
                "placementConstraints",
            )?)
            .set_placement_strategy(nested_list(&def.placement_strategy, "placementStrategy")?)
            .set_network_configuration(nested(&def.network_configuration, "networkConfiguration")?)
            .set_health_check_grace_period_seconds(def.health_check_grace_period_seconds)
            .set_scheduling_strategy(enum_to(&def.scheduling_strategy))
            .set_deployment_controller(nested(&def.deployment_controller, "deploymentController")?)
            .set_tags(nested_list(&def.tags, "tags")?)
            .set_enable_ecs_managed_tags(def.enable_ecs_managed_tags)
            .set_propagate_tags(enum_to(&def.propagate_tags))
            .set_enable_execute_command(def.enable_execute_command)
            .set_service_connect_configuration(nested(
                &def.service_connect_configuration,
                "serviceConnectConfiguration",
            )?)
            .set_volume_configurations(nested_list(
                &def.volume_configurations,
                "volumeConfigurations",
            )?)
            .set_vpc_lattice_configurations(nested_list(
                &def.vpc_lattice_configurations,
                "vpcLatticeConfigurations",
            )?)
            .set_gateway_connectors(nested_list(&def.gateway_connectors, "gatewayConnectors")?)
            .set_monitoring(nested(&def.monitoring, "monitoring")?)
            .build(),
    )
}

/// `$builder` (a CreateService or an UpdateService call: their setters are
/// named alike) with every field UpdateService takes set from `$input` (a
/// [`CreateServiceInput`]): one list for both calls.
macro_rules! set_updatable {
    ($builder:expr, $input:ident) => {
        $builder
            .set_availability_zone_rebalancing($input.availability_zone_rebalancing)
            .set_load_balancers($input.load_balancers)
            .set_service_registries($input.service_registries)
            .set_capacity_provider_strategy($input.capacity_provider_strategy)
            .set_platform_version($input.platform_version)
            .set_deployment_configuration($input.deployment_configuration)
            .set_placement_constraints($input.placement_constraints)
            .set_placement_strategy($input.placement_strategy)
            .set_network_configuration($input.network_configuration)
            .set_health_check_grace_period_seconds($input.health_check_grace_period_seconds)
            .set_deployment_controller($input.deployment_controller)
            .set_enable_ecs_managed_tags($input.enable_ecs_managed_tags)
            .set_propagate_tags($input.propagate_tags)
            .set_enable_execute_command($input.enable_execute_command)
            .set_service_connect_configuration($input.service_connect_configuration)
            .set_volume_configurations($input.volume_configurations)
            .set_vpc_lattice_configurations($input.vpc_lattice_configurations)
            .set_gateway_connectors($input.gateway_connectors)
            .set_monitoring($input.monitoring)
    };
}

/// `builder` (a CreateService call with cluster, service name, task
/// definition and count set) with every field of `def` set too.
pub fn create_request(
    builder: CreateServiceFluentBuilder,
    def: &ServiceDefinition,
) -> Result<CreateServiceFluentBuilder, MappingError> {
    let input = to_sdk(def)?;
    let builder = builder
        // What UpdateService cannot change (NOT_UPDATABLE), and the tags.
        .set_launch_type(input.launch_type)
        .set_role(input.role)
        .set_scheduling_strategy(input.scheduling_strategy)
        .set_tags(input.tags);
    Ok(set_updatable!(builder, input))
}

/// `builder` (an UpdateService call with cluster and service set) with every
/// field of `def` that UpdateService takes set too: all but [`NOT_UPDATABLE`]
/// and `tags`. A field `def` leaves out stays as it is on the service.
pub fn update_request(
    builder: UpdateServiceFluentBuilder,
    def: &ServiceDefinition,
) -> Result<UpdateServiceFluentBuilder, MappingError> {
    let input = to_sdk(def)?;
    Ok(set_updatable!(builder, input))
}

/// What `DescribeServices` returned, as a definition. The service's own
/// read-only fields (ARN, counts, events, ...) are dropped, and so are the
/// spec's (name, task definition, count); `role` is read from `roleArn`.
/// Fields DescribeServices does not report stay None: `gatewayConnectors`,
/// `monitoring`, and `tags` unless the call included them.
pub fn from_sdk(service: &sdk::Service) -> ServiceDefinition {
    let primary = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    ServiceDefinition {
        availability_zone_rebalancing: enum_from(&service.availability_zone_rebalancing),
        load_balancers: nested_list_from(&service.load_balancers),
        service_registries: nested_list_from(&service.service_registries),
        launch_type: enum_from(&service.launch_type),
        capacity_provider_strategy: nested_list_from(&service.capacity_provider_strategy),
        platform_version: service.platform_version.clone(),
        role: service.role_arn.clone(),
        deployment_configuration: nested_from(&service.deployment_configuration),
        placement_constraints: nested_list_from(&service.placement_constraints),
        placement_strategy: nested_list_from(&service.placement_strategy),
        network_configuration: nested_from(&service.network_configuration),
        health_check_grace_period_seconds: service.health_check_grace_period_seconds,
        scheduling_strategy: enum_from(&service.scheduling_strategy),
        deployment_controller: nested_from(&service.deployment_controller),
        tags: nested_list_from(&service.tags),
        enable_ecs_managed_tags: Some(service.enable_ecs_managed_tags),
        propagate_tags: enum_from(&service.propagate_tags),
        enable_execute_command: Some(service.enable_execute_command),
        service_connect_configuration: primary
            .and_then(|d| nested_from(&d.service_connect_configuration)),
        volume_configurations: primary.and_then(|d| nested_list_from(&d.volume_configurations)),
        vpc_lattice_configurations: primary
            .and_then(|d| nested_list_from(&d.vpc_lattice_configurations)),
        gateway_connectors: None,
        monitoring: None,
    }
}

#[cfg(test)]
mod tests;
