//! Deployment configuration and controller, model ↔ SDK.

use crate::ecs::taskdef::{
    Mapping, MappingError, enum_from, enum_to, enums_from, enums_to, mapping, nested, nested_from,
    nested_list, nested_list_from,
};
use crate::servicedef::{
    CanaryConfiguration, DeploymentAlarms, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentController, DeploymentEarlySuccessCriteria, DeploymentLifecycleHook,
    DeploymentLifecycleHookTimeoutConfiguration, LinearConfiguration, ThresholdConfiguration,
};
use aws_sdk_ecs::types as sdk;
use aws_smithy_types::{Document, Number};
use serde_json::Value;

impl Mapping for DeploymentConfiguration {
    type Sdk = sdk::DeploymentConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::DeploymentConfiguration::builder()
            .set_deployment_circuit_breaker(nested(
                &self.deployment_circuit_breaker,
                "deploymentCircuitBreaker",
            )?)
            .set_maximum_percent(self.maximum_percent)
            .set_minimum_healthy_percent(self.minimum_healthy_percent)
            .set_alarms(nested(&self.alarms, "alarms")?)
            .set_strategy(enum_to(&self.strategy))
            .set_bake_time_in_minutes(self.bake_time_in_minutes)
            .set_lifecycle_hooks(nested_list(&self.lifecycle_hooks, "lifecycleHooks")?)
            .set_linear_configuration(nested(&self.linear_configuration, "linearConfiguration")?)
            .set_canary_configuration(nested(&self.canary_configuration, "canaryConfiguration")?)
            .set_early_success_criteria(nested(
                &self.early_success_criteria,
                "earlySuccessCriteria",
            )?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            deployment_circuit_breaker: nested_from(&s.deployment_circuit_breaker),
            maximum_percent: s.maximum_percent,
            minimum_healthy_percent: s.minimum_healthy_percent,
            alarms: nested_from(&s.alarms),
            strategy: enum_from(&s.strategy),
            bake_time_in_minutes: s.bake_time_in_minutes,
            lifecycle_hooks: nested_list_from(&s.lifecycle_hooks),
            linear_configuration: nested_from(&s.linear_configuration),
            canary_configuration: nested_from(&s.canary_configuration),
            early_success_criteria: nested_from(&s.early_success_criteria),
        }
    }
}

mapping!(DeploymentCircuitBreaker => sdk::DeploymentCircuitBreaker, ok {
    enable: required_copy(enable, "enable"),
    rollback: required_copy(rollback, "rollback"),
    reset_on_healthy_task: copy(set_reset_on_healthy_task),
    threshold_configuration: nested(set_threshold_configuration, "thresholdConfiguration"),
});

mapping!(ThresholdConfiguration => sdk::ThresholdConfiguration, built {
    r#type: required_enum(r#type, "type"),
    value: filled(set_value),
});

mapping!(DeploymentAlarms => sdk::DeploymentAlarms, built {
    alarm_names: required_some(set_alarm_names, "alarmNames"),
    rollback: required_copy(rollback, "rollback"),
    enable: required_copy(enable, "enable"),
});

impl Mapping for DeploymentLifecycleHook {
    type Sdk = sdk::DeploymentLifecycleHook;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::DeploymentLifecycleHook::builder()
            .set_target_type(enum_to(&self.target_type))
            .set_hook_target_arn(self.hook_target_arn.clone())
            .set_role_arn(self.role_arn.clone())
            .set_lifecycle_stages(enums_to(&self.lifecycle_stages))
            .set_hook_details(self.hook_details.as_ref().map(document_from_json))
            .set_timeout_configuration(nested(&self.timeout_configuration, "timeoutConfiguration")?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            target_type: enum_from(&s.target_type),
            hook_target_arn: s.hook_target_arn.clone(),
            role_arn: s.role_arn.clone(),
            lifecycle_stages: enums_from(&s.lifecycle_stages),
            hook_details: s.hook_details.as_ref().map(json_from_document),
            timeout_configuration: nested_from(&s.timeout_configuration),
        }
    }
}

mapping!(DeploymentLifecycleHookTimeoutConfiguration => sdk::DeploymentLifecycleHookTimeoutConfiguration, ok {
    timeout_in_minutes: copy(set_timeout_in_minutes),
    action: enumerated(set_action),
});

mapping!(LinearConfiguration => sdk::LinearConfiguration, ok {
    step_percent: copy(set_step_percent),
    step_bake_time_in_minutes: copy(set_step_bake_time_in_minutes),
});

mapping!(CanaryConfiguration => sdk::CanaryConfiguration, ok {
    canary_percent: copy(set_canary_percent),
    canary_bake_time_in_minutes: copy(set_canary_bake_time_in_minutes),
});

mapping!(DeploymentEarlySuccessCriteria => sdk::DeploymentEarlySuccessCriteria, ok {
    enable: filled(set_enable),
    healthy_percent: copy(set_healthy_percent),
    source_service_revision_cleanup: enumerated(set_source_service_revision_cleanup),
});

mapping!(DeploymentController => sdk::DeploymentController, built {
    r#type: required_enum(r#type, "type"),
});

/// `hookDetails` (free-form JSON) as the SDK's document.
fn document_from_json(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            Number::Float(n.as_f64().unwrap_or_default())
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document_from_json).collect()),
        Value::Object(map) => Document::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), document_from_json(v)))
                .collect(),
        ),
    }
}

/// The SDK's document as JSON. Documents are unordered: object keys come
/// back sorted so output is stable.
fn json_from_document(doc: &Document) -> Value {
    match doc {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => Value::from(*f),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(json_from_document).collect()),
        Document::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by_key(|(k, _)| *k);
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), json_from_document(v)))
                    .collect(),
            )
        }
    }
}
