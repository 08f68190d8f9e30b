//! The service definition as the config repo writes it: the JSON that
//! `aws ecs create-service --cli-input-json` takes (camelCase keys), every
//! field of CreateService except the four the environment spec owns.
//!
//! [`parse_service_definition`] reads such a file strictly, like
//! [`parse_task_definition`](crate::taskdef::model::parse_task_definition):
//! every unknown key is an error naming its JSON path, line and column, and
//! errors are [`TaskDefinitionError`]s so that `spec::diagnostic` words them
//! (with the nearest known key) as it does for task definitions.
//!
//! The top-level keys are sorted before the struct sees them, in one place
//! (`toplevel`):
//!
//! - `cluster`, `serviceName`, `taskDefinition` and `desiredCount` are the
//!   spec's, and `clientToken` is deckhand's own: each is an error saying so.
//! - A file with a top-level `serviceArn` is `aws ecs describe-services
//!   --query 'services[0]'` output. There the read-only fields (`status`,
//!   `events`, `deployments`, ...) are dropped, and so are `serviceName`,
//!   `clusterArn`, `taskDefinition` and `desiredCount`, so that a user can
//!   import what runs today; the role is spelled `roleArn` and read as
//!   `role`. DescribeServices reports `serviceConnectConfiguration`,
//!   `volumeConfigurations` and `vpcLatticeConfigurations` only on the
//!   deployments, so those of the `PRIMARY` deployment are read as the
//!   service's own, as `ecs::servicedef::from_sdk` does.
//!
//! [`ServiceDefinition`] has no read-only fields: what is dropped is never
//! kept, so it is never serialized. Values (enum strings, combinations such as
//! `launchType` with `capacityProviderStrategy`) are not checked here; ECS
//! does that. The mapping to the AWS SDK types lives in `ecs::servicedef`.

mod connect;
mod deployment;
mod placement;
pub mod strategy;
mod toplevel;
mod traffic;

pub use connect::*;
pub use deployment::*;
pub use placement::*;
pub use traffic::*;

use crate::taskdef::model::{
    Tag, TaskDefinitionError, deserialize_located, object, objects, to_error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::Cell;
use toplevel::{KeySorting, TopLevel, is_describe_output, take_from_primary_deployment};

/// A whole service definition: the `CreateService` input without `cluster`,
/// `serviceName`, `taskDefinition`, `desiredCount` (the environment spec's)
/// and `clientToken` (deckhand's).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceDefinition {
    /// `ENABLED` or `DISABLED`: whether ECS moves tasks to even out the zones.
    pub availability_zone_rebalancing: Option<String>,
    /// Load balancer target groups the tasks are registered with.
    #[serde(deserialize_with = "objects")]
    pub load_balancers: Option<Vec<LoadBalancer>>,
    /// Cloud Map registries (at most one).
    #[serde(deserialize_with = "objects")]
    pub service_registries: Option<Vec<ServiceRegistry>>,
    /// `FARGATE`, `EC2`, `EXTERNAL` or `MANAGED_INSTANCES`; excludes `capacityProviderStrategy`.
    pub launch_type: Option<String>,
    /// Capacity providers the tasks are spread over; excludes `launchType`.
    #[serde(deserialize_with = "objects")]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Fargate platform version, e.g. `LATEST` or `1.4.0`.
    pub platform_version: Option<String>,
    /// IAM role for a Classic Load Balancer (not with awsvpc; describe output says `roleArn`).
    pub role: Option<String>,
    /// Deployment strategy, limits, circuit breaker, alarms and hooks.
    #[serde(deserialize_with = "object")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// Task placement constraints (EC2 and external instances).
    #[serde(deserialize_with = "objects")]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    /// Task placement strategy (EC2 and external instances).
    #[serde(deserialize_with = "objects")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// Subnets and security groups (awsvpc network mode).
    #[serde(deserialize_with = "object")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// Seconds after a task starts during which failed health checks are ignored.
    pub health_check_grace_period_seconds: Option<i32>,
    /// `REPLICA` or `DAEMON`.
    pub scheduling_strategy: Option<String>,
    /// Who runs deployments: `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(deserialize_with = "object")]
    pub deployment_controller: Option<DeploymentController>,
    /// Tags of the service.
    #[serde(deserialize_with = "objects")]
    pub tags: Option<Vec<Tag>>,
    /// Whether ECS tags the tasks with the cluster and service names.
    #[serde(rename = "enableECSManagedTags")]
    pub enable_ecs_managed_tags: Option<bool>,
    /// `SERVICE`, `TASK_DEFINITION` or `NONE`: whose tags the tasks get.
    pub propagate_tags: Option<String>,
    /// Whether `aws ecs execute-command` works on the tasks.
    pub enable_execute_command: Option<bool>,
    /// Service Connect: names in a namespace and the proxy.
    #[serde(deserialize_with = "object")]
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    /// EBS volumes for task definition volumes that are `configuredAtLaunch`.
    #[serde(deserialize_with = "objects")]
    pub volume_configurations: Option<Vec<ServiceVolumeConfiguration>>,
    /// VPC Lattice target groups the tasks are registered with.
    #[serde(deserialize_with = "objects")]
    pub vpc_lattice_configurations: Option<Vec<VpcLatticeConfiguration>>,
    /// Gateway ingress path to the service (at most one).
    #[serde(deserialize_with = "objects")]
    pub gateway_connectors: Option<Vec<GatewayConnector>>,
    /// Resolution of the service's CPU and memory metrics.
    #[serde(deserialize_with = "object")]
    pub monitoring: Option<MonitoringConfiguration>,
}

/// Parses a service definition file (CreateService input or describe-services
/// output) strictly.
pub fn parse_service_definition(json: &str) -> Result<ServiceDefinition, TaskDefinitionError> {
    let describe = is_describe_output(json);
    let refused = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(json);
    let mut def: ServiceDefinition = deserialize_located(TopLevel {
        de: &mut de,
        sorting: KeySorting {
            describe,
            refused: &refused,
        },
    })
    .map_err(|e| match (refused.get(), e) {
        // The key itself is the problem: name it as the path.
        (
            Some(key),
            TaskDefinitionError::Invalid {
                message,
                line,
                column,
                ..
            },
        ) => TaskDefinitionError::Invalid {
            path: key.to_owned(),
            message,
            line,
            column,
        },
        (_, e) => e,
    })?;
    // Reject trailing content after the object, as serde_json::from_str does.
    de.end().map_err(|e| to_error(e, String::new()))?;
    if describe {
        take_from_primary_deployment(&mut def, json)?;
        // ECS's own service-linked role is ECS's to set: CreateService refuses
        // it as `role` on the awsvpc services that use it.
        if def.role.as_deref().is_some_and(is_service_linked_role) {
            def.role = None;
        }
    }
    Ok(def)
}

/// Whether `role` is ECS's service-linked role (`AWSServiceRoleForECS`).
pub fn is_service_linked_role(role: &str) -> bool {
    role.ends_with("aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")
}

/// The roles a service definition hands to ECS: `role` (a Classic Load
/// Balancer's) and every `roleArn` (the infrastructure roles of EBS volumes,
/// load balancers' blue/green listeners and VPC Lattice, lifecycle hooks'
/// roles, Service Connect TLS). A hook's free-form `hookDetails` is not
/// looked into.
pub fn roles_named(definition: &ServiceDefinition) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match v {
                        Value::String(role) if key == "roleArn" => out.push(role.clone()),
                        _ if key == "hookDetails" => {}
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out: Vec<String> = definition.role.iter().cloned().collect();
    walk(
        &serde_json::to_value(definition).expect("a service definition serializes"),
        &mut out,
    );
    out
}

#[cfg(test)]
pub mod testing;
#[cfg(test)]
mod tests;
