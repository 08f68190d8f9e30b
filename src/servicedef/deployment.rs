//! How ECS rolls out a new revision of the service (`deploymentConfiguration`,
//! `deploymentController`), spelled exactly as `CreateService` takes them.

use crate::taskdef::model::{object, objects};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `deploymentConfiguration`: the strategy and its limits, checks and hooks.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentConfiguration {
    /// Stops (and optionally rolls back) a deployment whose tasks keep failing.
    #[serde(deserialize_with = "object")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// Upper limit of running tasks during a deployment, in percent of the desired count.
    pub maximum_percent: Option<i32>,
    /// Lower limit of healthy tasks during a deployment, in percent of the desired count.
    pub minimum_healthy_percent: Option<i32>,
    /// CloudWatch alarms that fail the deployment.
    #[serde(deserialize_with = "object")]
    pub alarms: Option<DeploymentAlarms>,
    /// `ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`.
    pub strategy: Option<String>,
    /// Minutes both revisions keep running after production traffic moved.
    pub bake_time_in_minutes: Option<i32>,
    /// Lambda functions (or pauses) run at the stages of a deployment.
    #[serde(deserialize_with = "objects")]
    pub lifecycle_hooks: Option<Vec<DeploymentLifecycleHook>>,
    /// Traffic steps of a `LINEAR` deployment.
    #[serde(deserialize_with = "object")]
    pub linear_configuration: Option<LinearConfiguration>,
    /// Traffic steps of a `CANARY` deployment.
    #[serde(deserialize_with = "object")]
    pub canary_configuration: Option<CanaryConfiguration>,
    /// When a deployment may be declared successful before it has run its course.
    #[serde(deserialize_with = "object")]
    pub early_success_criteria: Option<DeploymentEarlySuccessCriteria>,
}

/// `deploymentConfiguration.deploymentCircuitBreaker`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentCircuitBreaker {
    /// Whether the circuit breaker is on (required by ECS).
    pub enable: Option<bool>,
    /// Whether a failed deployment rolls back (required by ECS).
    pub rollback: Option<bool>,
    /// Whether a healthy task resets the failure count.
    pub reset_on_healthy_task: Option<bool>,
    /// How many failed tasks trip the breaker.
    #[serde(deserialize_with = "object")]
    pub threshold_configuration: Option<ThresholdConfiguration>,
}

/// `deploymentCircuitBreaker.thresholdConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ThresholdConfiguration {
    /// `COUNT`, `BOUNDED_PERCENT` or `UNBOUNDED_PERCENT` (required by ECS).
    pub r#type: Option<String>,
    /// The threshold, a task count or a percentage.
    pub value: Option<i32>,
}

/// `deploymentConfiguration.alarms`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentAlarms {
    /// CloudWatch alarm names (required by ECS).
    pub alarm_names: Option<Vec<String>>,
    /// Whether an alarm rolls the deployment back (required by ECS).
    pub rollback: Option<bool>,
    /// Whether the alarms are watched (required by ECS).
    pub enable: Option<bool>,
}

/// One entry of `deploymentConfiguration.lifecycleHooks`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentLifecycleHook {
    /// `AWS_LAMBDA` or `PAUSE`.
    pub target_type: Option<String>,
    /// The Lambda function ARN.
    pub hook_target_arn: Option<String>,
    /// IAM role ECS assumes to call the function.
    pub role_arn: Option<String>,
    /// Stages the hook runs at (`PRE_SCALE_UP`, `POST_TEST_TRAFFIC_SHIFT`, ...).
    pub lifecycle_stages: Option<Vec<String>>,
    /// Free-form JSON passed to the function.
    pub hook_details: Option<serde_json::Value>,
    /// How long the hook may take and what happens then.
    #[serde(deserialize_with = "object")]
    pub timeout_configuration: Option<DeploymentLifecycleHookTimeoutConfiguration>,
}

/// `lifecycleHooks[].timeoutConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentLifecycleHookTimeoutConfiguration {
    /// Minutes the hook may take.
    pub timeout_in_minutes: Option<i32>,
    /// `CONTINUE` or `ROLLBACK` when it times out.
    pub action: Option<String>,
}

/// `deploymentConfiguration.linearConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct LinearConfiguration {
    /// Percent of traffic moved at each step.
    pub step_percent: Option<f64>,
    /// Minutes between steps.
    pub step_bake_time_in_minutes: Option<i32>,
}

/// `deploymentConfiguration.canaryConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct CanaryConfiguration {
    /// Percent of traffic the canary gets.
    pub canary_percent: Option<f64>,
    /// Minutes the canary runs before the rest of the traffic moves.
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// `deploymentConfiguration.earlySuccessCriteria`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentEarlySuccessCriteria {
    /// Whether early success is allowed.
    pub enable: Option<bool>,
    /// Percent of healthy tasks that counts as success.
    pub healthy_percent: Option<i32>,
    /// `BLOCKING` or `DEFERRED` clean-up of the previous revision.
    pub source_service_revision_cleanup: Option<String>,
}

/// `deploymentController`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL` (required by ECS).
    pub r#type: Option<String>,
}
