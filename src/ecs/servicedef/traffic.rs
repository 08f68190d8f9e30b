//! Load balancers, registries, VPC Lattice and gateway connectors, model ↔ SDK.

use crate::ecs::taskdef::{
    Mapping, MappingError, built, enum_from, enum_to, enums_from, enums_to, nested, nested_from,
    required,
};
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

impl Mapping for AdvancedConfiguration {
    type Sdk = sdk::AdvancedConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::AdvancedConfiguration::builder()
            .set_alternate_target_group_arn(self.alternate_target_group_arn.clone())
            .set_production_listener_rule(self.production_listener_rule.clone())
            .set_test_listener_rule(self.test_listener_rule.clone())
            .set_role_arn(self.role_arn.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            alternate_target_group_arn: s.alternate_target_group_arn.clone(),
            production_listener_rule: s.production_listener_rule.clone(),
            test_listener_rule: s.test_listener_rule.clone(),
            role_arn: s.role_arn.clone(),
        }
    }
}

impl Mapping for ServiceRegistry {
    type Sdk = sdk::ServiceRegistry;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::ServiceRegistry::builder()
            .set_registry_arn(self.registry_arn.clone())
            .set_port(self.port)
            .set_container_name(self.container_name.clone())
            .set_container_port(self.container_port)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            registry_arn: s.registry_arn.clone(),
            port: s.port,
            container_name: s.container_name.clone(),
            container_port: s.container_port,
        }
    }
}

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

impl Mapping for VpcLatticeAdvancedConfiguration {
    type Sdk = sdk::VpcLatticeAdvancedConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::VpcLatticeAdvancedConfiguration::builder()
            .set_alternate_target_group_arn(self.alternate_target_group_arn.clone())
            .set_production_listener_rule(self.production_listener_rule.clone())
            .set_test_listener_rule(self.test_listener_rule.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            alternate_target_group_arn: s.alternate_target_group_arn.clone(),
            production_listener_rule: s.production_listener_rule.clone(),
            test_listener_rule: s.test_listener_rule.clone(),
        }
    }
}

impl Mapping for GatewayConnector {
    type Sdk = sdk::GatewayConnector;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::GatewayConnector::builder()
                .port_name(required(&self.port_name, "portName")?)
                .set_health_check(nested(&self.health_check, "healthCheck")?)
                .set_filters(nested(&self.filters, "filters")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            port_name: Some(s.port_name.clone()),
            health_check: nested_from(&s.health_check),
            filters: nested_from(&s.filters),
        }
    }
}

impl Mapping for GatewayConnectorHealthCheck {
    type Sdk = sdk::GatewayConnectorHealthCheck;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::GatewayConnectorHealthCheck::builder()
            .set_health_check_protocol(enum_to(&self.health_check_protocol))
            .set_health_check_port(self.health_check_port)
            .set_health_check_path(self.health_check_path.clone())
            .set_health_check_timeout_seconds(self.health_check_timeout_seconds)
            .set_health_check_interval_seconds(self.health_check_interval_seconds)
            .set_healthy_threshold_count(self.healthy_threshold_count)
            .set_unhealthy_threshold_count(self.unhealthy_threshold_count)
            .set_matcher(nested(&self.matcher, "matcher")?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            health_check_protocol: enum_from(&s.health_check_protocol),
            health_check_port: s.health_check_port,
            health_check_path: s.health_check_path.clone(),
            health_check_timeout_seconds: s.health_check_timeout_seconds,
            health_check_interval_seconds: s.health_check_interval_seconds,
            healthy_threshold_count: s.healthy_threshold_count,
            unhealthy_threshold_count: s.unhealthy_threshold_count,
            matcher: nested_from(&s.matcher),
        }
    }
}

impl Mapping for GatewayConnectorHealthCheckMatcher {
    type Sdk = sdk::GatewayConnectorHealthCheckMatcher;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::GatewayConnectorHealthCheckMatcher::builder()
            .set_http_code(self.http_code.clone())
            .set_grpc_code(self.grpc_code.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            http_code: s.http_code.clone(),
            grpc_code: s.grpc_code.clone(),
        }
    }
}

impl Mapping for GatewayConnectorFilters {
    type Sdk = sdk::GatewayConnectorFilters;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::GatewayConnectorFilters::builder()
            .set_access_types(enums_to(&self.access_types))
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            access_types: enums_from(&s.access_types),
        }
    }
}
