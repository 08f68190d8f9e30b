//! How ECS rolls out a new revision of the service (`deploymentConfiguration`,
//! `deploymentController`), spelled exactly as `CreateService` takes them.

use crate::taskdef::model::{object, objects};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `deploymentConfiguration`: the strategy and its limits, checks and hooks.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentConfiguration {
    /// Stops (and optionally rolls back) a deployment whose tasks keep failing.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// Upper limit of running tasks during a deployment, in percent of the desired count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_percent: Option<i32>,
    /// Lower limit of healthy tasks during a deployment, in percent of the desired count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_percent: Option<i32>,
    /// CloudWatch alarms that fail the deployment.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub alarms: Option<DeploymentAlarms>,
    /// `ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// Minutes both revisions keep running after production traffic moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<i32>,
    /// Lambda functions (or pauses) run at the stages of a deployment.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects"
    )]
    pub lifecycle_hooks: Option<Vec<DeploymentLifecycleHook>>,
    /// Traffic steps of a `LINEAR` deployment.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub linear_configuration: Option<LinearConfiguration>,
    /// Traffic steps of a `CANARY` deployment.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub canary_configuration: Option<CanaryConfiguration>,
    /// When a deployment may be declared successful before it has run its course.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub early_success_criteria: Option<DeploymentEarlySuccessCriteria>,
}

/// `deploymentConfiguration.deploymentCircuitBreaker`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentCircuitBreaker {
    /// Whether the circuit breaker is on (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Whether a failed deployment rolls back (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<bool>,
    /// Whether a healthy task resets the failure count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_on_healthy_task: Option<bool>,
    /// How many failed tasks trip the breaker.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub threshold_configuration: Option<ThresholdConfiguration>,
}

/// `deploymentCircuitBreaker.thresholdConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThresholdConfiguration {
    /// `COUNT`, `BOUNDED_PERCENT` or `UNBOUNDED_PERCENT` (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// The threshold, a task count or a percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i32>,
}

/// `deploymentConfiguration.alarms`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentAlarms {
    /// CloudWatch alarm names (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_names: Option<Vec<String>>,
    /// Whether an alarm rolls the deployment back (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<bool>,
    /// Whether the alarms are watched (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
}

/// One entry of `deploymentConfiguration.lifecycleHooks`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentLifecycleHook {
    /// `AWS_LAMBDA` or `PAUSE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// The Lambda function ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_target_arn: Option<String>,
    /// IAM role ECS assumes to call the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Stages the hook runs at (`PRE_SCALE_UP`, `POST_TEST_TRAFFIC_SHIFT`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stages: Option<Vec<String>>,
    /// Free-form JSON passed to the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_details: Option<serde_json::Value>,
    /// How long the hook may take and what happens then.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object"
    )]
    pub timeout_configuration: Option<DeploymentLifecycleHookTimeoutConfiguration>,
}

/// `lifecycleHooks[].timeoutConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentLifecycleHookTimeoutConfiguration {
    /// Minutes the hook may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_minutes: Option<i32>,
    /// `CONTINUE` or `ROLLBACK` when it times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// `deploymentConfiguration.linearConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinearConfiguration {
    /// Percent of traffic moved at each step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_percent: Option<f64>,
    /// Minutes between steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_bake_time_in_minutes: Option<i32>,
}

/// `deploymentConfiguration.canaryConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanaryConfiguration {
    /// Percent of traffic the canary gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<f64>,
    /// Minutes the canary runs before the rest of the traffic moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// `deploymentConfiguration.earlySuccessCriteria`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentEarlySuccessCriteria {
    /// Whether early success is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Percent of healthy tasks that counts as success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_percent: Option<i32>,
    /// `BLOCKING` or `DEFERRED` clean-up of the previous revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_service_revision_cleanup: Option<String>,
}

/// `deploymentController`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL` (required by ECS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}
