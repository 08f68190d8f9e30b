//! Rollback after a failed rollout: every service updated in the release
//! goes back to the task definition (and count) it ran before, and deckhand
//! waits for that. Migrations are not undone (schemas do not go backwards).

use super::Release;
use super::verdict::RolloutWatch;
use super::wait;
use crate::ecs::{AwsError, Ecs, Lookups, UpdateServiceRequest};

/// A service updated in this release, and how to put it back.
pub(super) struct Updated {
    pub(super) service: String,
    pub(super) previous_task_definition: Option<String>,
    pub(super) previous_count: Option<i32>,
}

impl<E: Ecs + Lookups> Release<'_, E> {
    /// Put every service updated in this release back on what it ran before,
    /// and wait for that. Returns the services rolled back.
    pub(super) async fn roll_back(&self, updated: &[Updated]) -> Result<Vec<String>, AwsError> {
        let mut watches = Vec::new();
        for u in updated {
            let Some(previous) = &u.previous_task_definition else {
                continue;
            };
            let deployment = self
                .ecs
                .update_service(&UpdateServiceRequest {
                    cluster: self.env.cluster.clone(),
                    service: u.service.clone(),
                    task_definition: Some(previous.clone()),
                    desired_count: u.previous_count,
                })
                .await?;
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
        for (service, result) in &results {
            if let Some(why) = result.failure() {
                self.progress.say(
                    "rollback",
                    format!("{service}: rollback did not complete: {why}"),
                );
            }
        }
        Ok(watches.into_iter().map(|w| w.service).collect())
    }
}
