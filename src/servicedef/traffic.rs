//! How traffic reaches the service's tasks from outside it: load balancers,
//! Cloud Map registries, VPC Lattice and gateway connectors, spelled exactly
//! as `CreateService` takes them. Service Connect is in its own module.

use crate::taskdef::model::object;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry of `loadBalancers`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    /// Target group ARN (Application and Network Load Balancers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// Load balancer name (Classic Load Balancers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    /// Container that receives the traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Its port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    /// Blue/green: the alternate target group and the listener rules ECS switches.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

/// `loadBalancers[].advancedConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvancedConfiguration {
    /// Target group of the new revision during a blue/green deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_target_group_arn: Option<String>,
    /// Listener rule of production traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_listener_rule: Option<String>,
    /// Listener rule of test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<String>,
    /// IAM role ECS assumes to change the listeners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// One entry of `serviceRegistries` (Cloud Map service discovery).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRegistry {
    /// Cloud Map service ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_arn: Option<String>,
    /// Port for SRV records (awsvpc network mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Container for SRV records (bridge and host network modes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Its port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
}

/// One entry of `vpcLatticeConfigurations`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VpcLatticeConfiguration {
    /// IAM role ECS assumes to register targets (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// VPC Lattice target group ARN (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// Name of the task definition port mapping (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    /// Blue/green: the alternate target group and the listener rules ECS switches.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub advanced_configuration: Option<VpcLatticeAdvancedConfiguration>,
}

/// `vpcLatticeConfigurations[].advancedConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VpcLatticeAdvancedConfiguration {
    /// Target group of the new revision during a blue/green deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_target_group_arn: Option<String>,
    /// Listener rule of production traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_listener_rule: Option<String>,
    /// Listener rule of test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<String>,
}

/// One entry of `gatewayConnectors` (at most one): the service behind a gateway ingress path.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnector {
    /// Name of the task definition port mapping (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    /// How the gateway checks the tasks.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub health_check: Option<GatewayConnectorHealthCheck>,
    /// Which traffic the connector accepts.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub filters: Option<GatewayConnectorFilters>,
}

/// `gatewayConnectors[].healthCheck`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnectorHealthCheck {
    /// `HTTP` or `HTTPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_protocol: Option<String>,
    /// Port checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_port: Option<i32>,
    /// Path checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<String>,
    /// Seconds before a check fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_timeout_seconds: Option<i32>,
    /// Seconds between checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_interval_seconds: Option<i32>,
    /// Passed checks before a task counts as healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<i32>,
    /// Failed checks before a task counts as unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<i32>,
    /// Response codes that pass.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub matcher: Option<GatewayConnectorHealthCheckMatcher>,
}

/// `healthCheck.matcher`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnectorHealthCheckMatcher {
    /// HTTP codes, e.g. `200-299`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_code: Option<String>,
    /// gRPC codes, e.g. `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_code: Option<String>,
}

/// `gatewayConnectors[].filters`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnectorFilters {
    /// `PUBLIC` and/or `PRIVATE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_types: Option<Vec<String>>,
}
