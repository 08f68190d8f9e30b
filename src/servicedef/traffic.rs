//! How traffic reaches the service's tasks from outside it: load balancers,
//! Cloud Map registries, VPC Lattice and gateway connectors, spelled exactly
//! as `CreateService` takes them. Service Connect is in its own module.

use crate::taskdef::model::object;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry of `loadBalancers`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    /// Target group ARN (Application and Network Load Balancers).
    pub target_group_arn: Option<String>,
    /// Load balancer name (Classic Load Balancers only).
    pub load_balancer_name: Option<String>,
    /// Container that receives the traffic.
    pub container_name: Option<String>,
    /// Its port.
    pub container_port: Option<i32>,
    /// Blue/green: the alternate target group and the listener rules ECS switches.
    #[serde(deserialize_with = "object")]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

/// `loadBalancers[].advancedConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvancedConfiguration {
    /// Target group of the new revision during a blue/green deployment.
    pub alternate_target_group_arn: Option<String>,
    /// Listener rule of production traffic.
    pub production_listener_rule: Option<String>,
    /// Listener rule of test traffic.
    pub test_listener_rule: Option<String>,
    /// IAM role ECS assumes to change the listeners.
    pub role_arn: Option<String>,
}

/// One entry of `serviceRegistries` (Cloud Map service discovery).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRegistry {
    /// Cloud Map service ARN.
    pub registry_arn: Option<String>,
    /// Port for SRV records (awsvpc network mode).
    pub port: Option<i32>,
    /// Container for SRV records (bridge and host network modes).
    pub container_name: Option<String>,
    /// Its port.
    pub container_port: Option<i32>,
}

/// One entry of `vpcLatticeConfigurations`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct VpcLatticeConfiguration {
    /// IAM role ECS assumes to register targets (required by ECS).
    pub role_arn: Option<String>,
    /// VPC Lattice target group ARN (required by ECS).
    pub target_group_arn: Option<String>,
    /// Name of the task definition port mapping (required by ECS).
    pub port_name: Option<String>,
    /// Blue/green: the alternate target group and the listener rules ECS switches.
    #[serde(deserialize_with = "object")]
    pub advanced_configuration: Option<VpcLatticeAdvancedConfiguration>,
}

/// `vpcLatticeConfigurations[].advancedConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct VpcLatticeAdvancedConfiguration {
    /// Target group of the new revision during a blue/green deployment.
    pub alternate_target_group_arn: Option<String>,
    /// Listener rule of production traffic.
    pub production_listener_rule: Option<String>,
    /// Listener rule of test traffic.
    pub test_listener_rule: Option<String>,
}

/// One entry of `gatewayConnectors` (at most one): the service behind a gateway ingress path.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnector {
    /// Name of the task definition port mapping (required by ECS).
    pub port_name: Option<String>,
    /// How the gateway checks the tasks.
    #[serde(deserialize_with = "object")]
    pub health_check: Option<GatewayConnectorHealthCheck>,
    /// Which traffic the connector accepts.
    #[serde(deserialize_with = "object")]
    pub filters: Option<GatewayConnectorFilters>,
}

/// `gatewayConnectors[].healthCheck`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnectorHealthCheck {
    /// `HTTP` or `HTTPS`.
    pub health_check_protocol: Option<String>,
    /// Port checked.
    pub health_check_port: Option<i32>,
    /// Path checked.
    pub health_check_path: Option<String>,
    /// Seconds before a check fails.
    pub health_check_timeout_seconds: Option<i32>,
    /// Seconds between checks.
    pub health_check_interval_seconds: Option<i32>,
    /// Passed checks before a task counts as healthy.
    pub healthy_threshold_count: Option<i32>,
    /// Failed checks before a task counts as unhealthy.
    pub unhealthy_threshold_count: Option<i32>,
    /// Response codes that pass.
    #[serde(deserialize_with = "object")]
    pub matcher: Option<GatewayConnectorHealthCheckMatcher>,
}

/// `healthCheck.matcher`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnectorHealthCheckMatcher {
    /// HTTP codes, e.g. `200-299`.
    pub http_code: Option<String>,
    /// gRPC codes, e.g. `0`.
    pub grpc_code: Option<String>,
}

/// `gatewayConnectors[].filters`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayConnectorFilters {
    /// `PUBLIC` and/or `PRIVATE`.
    pub access_types: Option<Vec<String>>,
}
