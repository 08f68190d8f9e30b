//! Load balancers, registries, VPC Lattice and gateway connectors, model ↔ SDK.

use crate::ecs::taskdef::{Mapping, MappingError, built, mapping, nested, nested_from, required};
use crate::servicedef::{
    AdvancedConfiguration, GatewayConnector, GatewayConnectorFilters, GatewayConnectorHealthCheck,
    GatewayConnectorHealthCheckMatcher, LoadBalancer, ServiceRegistry,
    VpcLatticeAdvancedConfiguration, VpcLatticeConfiguration,
};
use aws_sdk_ecs::types as sdk;

impl Mapping for LoadBalancer {
    type Sdk = sdk::LoadBalancer;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::LoadBalancer::builder()
            .set_target_group_arn(self.target_group_arn.clone())
            .set_load_balancer_name(self.load_balancer_name.clone())
            .set_container_name(self.container_name.clone())
            .set_container_port(self.container_port)
            .set_advanced_configuration(nested(
                &self.advanced_configuration,
                "advancedConfiguration",
            )?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            target_group_arn: s.target_group_arn.clone(),
            load_balancer_name: s.load_balancer_name.clone(),
            container_name: s.container_name.clone(),
            container_port: s.container_port,
            advanced_configuration: nested_from(&s.advanced_configuration),
        }
    }
}

mapping!(AdvancedConfiguration => sdk::AdvancedConfiguration, ok {
    alternate_target_group_arn: clone(set_alternate_target_group_arn),
    production_listener_rule: clone(set_production_listener_rule),
    test_listener_rule: clone(set_test_listener_rule),
    role_arn: clone(set_role_arn),
});

mapping!(ServiceRegistry => sdk::ServiceRegistry, ok {
    registry_arn: clone(set_registry_arn),
    port: copy(set_port),
    container_name: clone(set_container_name),
    container_port: copy(set_container_port),
});

impl Mapping for VpcLatticeConfiguration {
    type Sdk = sdk::VpcLatticeConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::VpcLatticeConfiguration::builder()
                .role_arn(required(&self.role_arn, "roleArn")?)
                .target_group_arn(required(&self.target_group_arn, "targetGroupArn")?)
                .port_name(required(&self.port_name, "portName")?)
                .set_advanced_configuration(nested(
                    &self.advanced_configuration,
                    "advancedConfiguration",
                )?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            role_arn: Some(s.role_arn.clone()),
            target_group_arn: Some(s.target_group_arn.clone()),
            port_name: Some(s.port_name.clone()),
            advanced_configuration: nested_from(&s.advanced_configuration),
        }
    }
}

mapping!(VpcLatticeAdvancedConfiguration => sdk::VpcLatticeAdvancedConfiguration, ok {
    alternate_target_group_arn: clone(set_alternate_target_group_arn),
    production_listener_rule: clone(set_production_listener_rule),
    test_listener_rule: clone(set_test_listener_rule),
});

mapping!(GatewayConnector => sdk::GatewayConnector, built {
    port_name: required(port_name, "portName"),
    health_check: nested(set_health_check, "healthCheck"),
    filters: nested(set_filters, "filters"),
});

mapping!(GatewayConnectorHealthCheck => sdk::GatewayConnectorHealthCheck, ok {
    health_check_protocol: enumerated(set_health_check_protocol),
    health_check_port: copy(set_health_check_port),
    health_check_path: clone(set_health_check_path),
    health_check_timeout_seconds: copy(set_health_check_timeout_seconds),
    health_check_interval_seconds: copy(set_health_check_interval_seconds),
    healthy_threshold_count: copy(set_healthy_threshold_count),
    unhealthy_threshold_count: copy(set_unhealthy_threshold_count),
    matcher: nested(set_matcher, "matcher"),
});

mapping!(GatewayConnectorHealthCheckMatcher => sdk::GatewayConnectorHealthCheckMatcher, ok {
    http_code: clone(set_http_code),
    grpc_code: clone(set_grpc_code),
});

mapping!(GatewayConnectorFilters => sdk::GatewayConnectorFilters, ok {
    access_types: enumerated_list(set_access_types),
});
