//! Application Auto Scaling on ECS services: which quiesce services are
//! scalable targets, suspending or resuming their scaling, and the declared
//! capacity range and target-tracking policies, on the real
//! `aws-sdk-applicationautoscaling` client (same config, same call counter).

use super::credentials::CredentialSource;
use super::error::{AwsError, HttpStatus};
use super::types::{Autoscaling, LiveAutoscaling, ScalingSuspension, TargetTrackingPolicy};
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_applicationautoscaling::operation::register_scalable_target::builders::RegisterScalableTargetFluentBuilder;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTarget,
    ServiceNamespace, SuspendedState, TargetTrackingScalingPolicyConfiguration,
};
use std::collections::BTreeMap;

/// DescribeScalableTargets takes at most this many resource IDs.
const RESOURCE_IDS_BATCH: usize = 50;

/// The scalable-target resource ID of an ECS service.
fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// Application Auto Scaling calls on one client, with the credentials its
/// errors name.
pub(super) struct Scaling<'a> {
    pub client: &'a Client,
    pub credentials: &'a CredentialSource,
}

impl Scaling<'_> {
    /// Turn an SDK error of `operation` into ours.
    fn error<E, R>(&self, operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> AwsError + '_
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + HttpStatus + Send + Sync + 'static,
    {
        move |e| AwsError::from_sdk(operation, e, self.credentials)
    }

    /// RegisterScalableTarget of a service, to be completed by the caller.
    fn register(&self, cluster: &str, service: &str) -> RegisterScalableTargetFluentBuilder {
        self.client
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id(cluster, service))
    }

    /// The scalable targets of `services` (DescribeScalableTargets, batched),
    /// by service name.
    async fn targets(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ScalableTarget>, AwsError> {
        let mut out = BTreeMap::new();
        for batch in services.chunks(RESOURCE_IDS_BATCH) {
            let ids: Vec<String> = batch.iter().map(|s| resource_id(cluster, s)).collect();
            let answer = self
                .client
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .set_resource_ids(Some(ids))
                .send()
                .await
                .map_err(self.error("DescribeScalableTargets"))?;
            for target in answer.scalable_targets() {
                if let Some(service) = service_of(cluster, target.resource_id()) {
                    out.insert(service, target.clone());
                }
            }
        }
        Ok(out)
    }

    /// The services of `services` that are scalable targets, with their state.
    pub async fn scaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ScalingSuspension>, AwsError> {
        let found = self.targets(cluster, services).await?;
        Ok(found
            .into_iter()
            .map(|(service, target)| (service, suspension(&target)))
            .collect())
    }

    /// RegisterScalableTarget on the existing target, changing only its suspended state.
    pub async fn set_scaling(
        &self,
        cluster: &str,
        service: &str,
        state: ScalingSuspension,
    ) -> Result<(), AwsError> {
        self.register(cluster, service)
            .suspended_state(
                SuspendedState::builder()
                    .dynamic_scaling_in_suspended(state.dynamic_in)
                    .dynamic_scaling_out_suspended(state.dynamic_out)
                    .scheduled_scaling_suspended(state.scheduled)
                    .build(),
            )
            .send()
            .await
            .map_err(self.error("RegisterScalableTarget"))?;
        Ok(())
    }

    /// The scalable targets of `services` with their target-tracking policies
    /// and suspended state.
    pub async fn autoscaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, LiveAutoscaling>, AwsError> {
        let mut out: BTreeMap<String, LiveAutoscaling> = self
            .targets(cluster, services)
            .await?
            .into_iter()
            .map(|(service, target)| {
                let live = LiveAutoscaling {
                    target: Autoscaling {
                        min_capacity: target.min_capacity(),
                        max_capacity: target.max_capacity(),
                        policies: Vec::new(),
                    },
                    suspended: suspension(&target),
                };
                (service, live)
            })
            .collect();
        if out.is_empty() {
            return Ok(out);
        }
        // The namespace's policies, paged; those of this cluster's targets kept.
        let mut next: Option<String> = None;
        loop {
            let answer = self
                .client
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(self.error("DescribeScalingPolicies"))?;
            for policy in answer.scaling_policies() {
                let target =
                    service_of(cluster, policy.resource_id()).and_then(|s| out.get_mut(&s));
                if let (Some(target), Some(tracking)) = (
                    target,
                    policy.target_tracking_scaling_policy_configuration(),
                ) {
                    let metric = tracking.predefined_metric_specification();
                    target.target.policies.push(TargetTrackingPolicy {
                        name: policy.policy_name().to_owned(),
                        predefined_metric: metric
                            .map(|m| m.predefined_metric_type().as_str().to_owned())
                            .unwrap_or_default(),
                        resource_label: metric.and_then(|m| m.resource_label()).map(str::to_owned),
                        target_value: tracking.target_value(),
                        scale_in_cooldown: tracking.scale_in_cooldown(),
                        scale_out_cooldown: tracking.scale_out_cooldown(),
                        disable_scale_in: tracking.disable_scale_in() == Some(true),
                    });
                }
            }
            match answer.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// RegisterScalableTarget with a capacity range, its suspended state kept.
    pub async fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        (min_capacity, max_capacity): (i32, i32),
    ) -> Result<(), AwsError> {
        self.register(cluster, service)
            .min_capacity(min_capacity)
            .max_capacity(max_capacity)
            .send()
            .await
            .map_err(self.error("RegisterScalableTarget"))?;
        Ok(())
    }

    /// PutScalingPolicy (target tracking).
    pub async fn put_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        policy: &TargetTrackingPolicy,
    ) -> Result<(), AwsError> {
        let metric = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::from(policy.predefined_metric.as_str()))
            .set_resource_label(policy.resource_label.clone())
            .build()
            .map_err(AwsError::request("PutScalingPolicy"))?;
        let tracking = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(policy.target_value)
            .predefined_metric_specification(metric)
            .set_scale_in_cooldown(policy.scale_in_cooldown)
            .set_scale_out_cooldown(policy.scale_out_cooldown)
            .disable_scale_in(policy.disable_scale_in)
            .build()
            .map_err(AwsError::request("PutScalingPolicy"))?;
        self.client
            .put_scaling_policy()
            .policy_name(&policy.name)
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id(cluster, service))
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(tracking)
            .send()
            .await
            .map_err(self.error("PutScalingPolicy"))?;
        Ok(())
    }

    /// DeleteScalingPolicy.
    pub async fn delete_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        self.client
            .delete_scaling_policy()
            .policy_name(name)
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id(cluster, service))
            .send()
            .await
            .map_err(self.error("DeleteScalingPolicy"))?;
        Ok(())
    }
}

/// What of a target's scaling is suspended.
fn suspension(target: &ScalableTarget) -> ScalingSuspension {
    let state = target.suspended_state();
    ScalingSuspension {
        dynamic_in: state.and_then(|s| s.dynamic_scaling_in_suspended()) == Some(true),
        dynamic_out: state.and_then(|s| s.dynamic_scaling_out_suspended()) == Some(true),
        scheduled: state.and_then(|s| s.scheduled_scaling_suspended()) == Some(true),
    }
}

/// The service of a scalable-target resource ID of `cluster`.
fn service_of(cluster: &str, resource_id: &str) -> Option<String> {
    resource_id
        .strip_prefix(&format!("service/{cluster}/"))
        .map(str::to_owned)
}
