//! What the release's one-off tasks (the migration, the smoke test) share:
//! found again by `startedBy` (running and recently stopped, so a release
//! carried on after a crash sees what it started), started once per
//! idempotency token, and their end said in words.

use super::Release;
use crate::ecs::{AwsError, DesiredStatus, Ecs, Lookups, Task};

impl<E: Ecs + Lookups> Release<'_, E> {
    /// The environment's tasks started by `started_by`, running and
    /// recently stopped (ECS lists stopped tasks for about an hour).
    pub(super) async fn one_off_tasks(&self, started_by: &str) -> Result<Vec<Task>, AwsError> {
        let cluster = &self.env.cluster;
        let mut arns = Vec::new();
        for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
            arns.extend(self.ecs.list_tasks(cluster, started_by, status).await?);
        }
        arns.sort();
        arns.dedup();
        self.ecs.describe_tasks(cluster, &arns).await
    }
}

/// RunTask's idempotency token (at most 64 characters) for `parts` (the
/// release attempt and what the task is for), so the SDK's retries of one
/// request start one task.
pub(super) fn client_token(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(parts.join(" ").as_bytes());
    hex::encode(&digest[..16])
}

/// "task … stopped with exit code 1 (reason)".
pub(super) fn stopped_with(task: &str, exit_code: Option<i32>, reason: &str) -> String {
    format!(
        "task {task} stopped with exit code {} ({reason})",
        exit_code.map_or_else(|| "none".into(), |c| c.to_string())
    )
}
