//! Application Auto Scaling on ECS services: which quiesce services are
//! scalable targets, and suspending or resuming their scaling, on the real
//! `aws-sdk-applicationautoscaling` client (same config, same call counter).

use super::credentials::CredentialSource;
use super::error::AwsError;
use super::types::ScalingSuspension;
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace, SuspendedState};
use std::collections::BTreeMap;

/// DescribeScalableTargets takes at most this many resource IDs.
const RESOURCE_IDS_BATCH: usize = 50;

/// The scalable-target resource ID of an ECS service.
fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The services of `services` that are scalable targets, with their state.
pub(super) async fn scaling_of(
    client: &Client,
    credentials: &CredentialSource,
    cluster: &str,
    services: &[String],
) -> Result<BTreeMap<String, ScalingSuspension>, AwsError> {
    let mut out = BTreeMap::new();
    for batch in services.chunks(RESOURCE_IDS_BATCH) {
        let ids: Vec<String> = batch.iter().map(|s| resource_id(cluster, s)).collect();
        let answer = client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .set_resource_ids(Some(ids))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeScalableTargets", e, credentials))?;
        for target in answer.scalable_targets() {
            let Some(service) = target
                .resource_id()
                .rsplit_once('/')
                .map(|(_, name)| name.to_owned())
            else {
                continue;
            };
            let state = target.suspended_state();
            out.insert(
                service,
                ScalingSuspension {
                    dynamic_in: state.and_then(|s| s.dynamic_scaling_in_suspended()) == Some(true),
                    dynamic_out: state.and_then(|s| s.dynamic_scaling_out_suspended())
                        == Some(true),
                    scheduled: state.and_then(|s| s.scheduled_scaling_suspended()) == Some(true),
                },
            );
        }
    }
    Ok(out)
}

/// RegisterScalableTarget on the existing target, changing only its suspended state.
pub(super) async fn set_scaling(
    client: &Client,
    credentials: &CredentialSource,
    cluster: &str,
    service: &str,
    state: ScalingSuspension,
) -> Result<(), AwsError> {
    client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .suspended_state(
            SuspendedState::builder()
                .dynamic_scaling_in_suspended(state.dynamic_in)
                .dynamic_scaling_out_suspended(state.dynamic_out)
                .scheduled_scaling_suspended(state.scheduled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("RegisterScalableTarget", e, credentials))?;
    Ok(())
}
