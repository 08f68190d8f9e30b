//! Rollback after a failed rollout: every service updated in the release
//! goes back to the task definition (count and service-definition fields) it ran before, and deckhand
//! waits for that. Migrations are not undone (schemas do not go backwards).

use super::Release;
use super::verdict::RolloutWatch;
use super::wait;
use crate::ecs::{AwsError, Ecs, Lookups, UpdateServiceRequest};
use crate::servicedef::ServiceDefinition;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A service updated in this release, and how to put it back.
pub(super) struct Updated {
    pub(super) service: String,
    pub(super) previous_task_definition: Option<String>,
    pub(super) previous_count: Option<i32>,
    /// The task definition it ran before this release (changed or not).
    pub(super) task_definition_before: String,
    /// The changed service-definition fields as they were.
    pub(super) previous_configuration: Option<Arc<ServiceDefinition>>,
}

impl<E: Ecs + Lookups> Release<'_, E> {
    /// Put every service updated in this release back on what it ran before,
    /// and wait for that. Returns the services rolled back.
    pub(super) async fn roll_back(
        &self,
        updated: &[Updated],
        in_flight: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, AwsError> {
        let mut watches = Vec::new();
        let mut stopped = Vec::new();
        for u in updated {
            // A deployment of ours still running: ECS stops it and rolls back
            // (for BLUE_GREEN, LINEAR and CANARY that is the instant way back).
            if let Some(arn) = in_flight.get(&u.service) {
                self.ecs.stop_service_deployment(arn).await?;
                self.progress.say(
                    "rollback",
                    format!("{}: stopping deployment {arn} with rollback", u.service),
                );
                stopped.push((u.service.clone(), arn.clone()));
                continue;
            }
            if u.previous_task_definition.is_none() && u.previous_configuration.is_none() {
                continue;
            }
            let deployment = self
                .ecs
                .update_service(&UpdateServiceRequest {
                    cluster: self.env.cluster.clone(),
                    service: u.service.clone(),
                    task_definition: u.previous_task_definition.clone(),
                    desired_count: u.previous_count,
                    configuration: u.previous_configuration.clone(),
                })
                .await?;
            let previous = &u.task_definition_before;
            self.progress
                .say("rollback", format!("{}: back to {previous}", u.service));
            watches.push(RolloutWatch {
                service: u.service.clone(),
                deployment,
                task_definition: previous.clone(),
                desired_count: u.previous_count,
            });
        }
        let results = wait::rollouts(
            self.ecs,
            &self.env.cluster,
            &watches,
            self.env.deploy.timeout,
            self.polling(),
            self.progress,
            "rollback",
        )
        .await?;
        for (service, arn) in &stopped {
            let ended = wait::service_deployment_ended(
                self.ecs,
                arn,
                self.env.deploy.timeout,
                self.polling(),
                self.progress,
                service,
            )
            .await?;
            let status = ended.map_or("still running".to_owned(), |sd| sd.status);
            self.progress
                .say("rollback", format!("{service}: deployment {status}"));
        }
        for (service, result) in &results.health {
            if let Some(why) = result.failure() {
                self.progress.say(
                    "rollback",
                    format!("{service}: rollback did not complete: {why}"),
                );
            }
        }
        Ok(stopped
            .into_iter()
            .map(|(service, _)| service)
            .chain(watches.into_iter().map(|w| w.service))
            .collect())
    }
}
