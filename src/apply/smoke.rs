//! The smoke test: after the rollouts, one task on the smoke-test service's
//! new task definition and network, with the test's command; it must exit
//! 0 or the release fails (`failed:smoke-test`), the updated services rolled
//! back when `deploy.rollback` (the schema stays).
//!
//! Once per release, across crashes: the task is tagged with the release
//! and found again by `startedBy` — still running, it is awaited; stopped,
//! its exit code is the result — before another is started.

use super::one_off::{client_token, stopped_with};
use super::phases::Rollout;
use super::verdict::TaskOutcome;
use super::{ApplyError, Release, wait};
use crate::ecs::{Ecs, Lookups, RunTaskOutcome, RunTaskRequest};
use crate::plan::{SmokeTest, Step};
use crate::tags;

impl<E: Ecs + Lookups> Release<'_, E> {
    /// Run (or find) the smoke test and judge it; on failure roll back the
    /// services this release updated.
    pub(super) async fn smoke_test(
        &self,
        rollout: &Rollout,
        migrated: bool,
    ) -> Result<(), ApplyError> {
        let Some(smoke) = self.plan.steps.iter().find_map(|s| match s {
            Step::SmokeTest(t) => Some(t),
            _ => None,
        }) else {
            return Ok(());
        };
        let Some(task_definition) = self
            .registered
            .get(&smoke.service)
            .or(smoke.current_task_definition.as_ref())
            .cloned()
        else {
            return Ok(());
        };
        let task = match self.find_smoke_task(smoke).await? {
            Some((task, TaskOutcome::Succeeded)) => {
                self.progress.say(
                    "smoke-test",
                    format!("{task} of this release already exited 0"),
                );
                return Ok(());
            }
            Some((task, TaskOutcome::Failed { exit_code, reason })) => {
                let why = stopped_with(&task, exit_code, &reason);
                return Err(self
                    .smoke_failed(smoke, &task_definition, &task, why, rollout, migrated)
                    .await);
            }
            Some((task, TaskOutcome::Running(_))) => {
                self.progress.say(
                    "smoke-test",
                    format!("{task} of this release is running; waiting for it"),
                );
                task
            }
            None => self.start_smoke_test(smoke, &task_definition).await?,
        };
        let stopped = wait::task_stopped(
            self.ecs,
            &self.env.cluster,
            &task,
            &smoke.container,
            smoke.timeout,
            self.polling(),
            self.progress,
        )
        .await?;
        let why = match stopped {
            Some((_, TaskOutcome::Succeeded)) => {
                self.progress.say(
                    "smoke-test",
                    format!("{task} exited 0: the release passed its smoke test"),
                );
                return Ok(());
            }
            Some((_, TaskOutcome::Failed { exit_code, reason })) => {
                stopped_with(&task, exit_code, &reason)
            }
            Some((_, TaskOutcome::Running(_))) => {
                unreachable!("task_stopped returns a stopped task")
            }
            None => {
                self.ecs
                    .stop_task(&self.env.cluster, &task, "deckhand: smoke test timed out")
                    .await?;
                format!(
                    "timed out after {}; task {task} was stopped",
                    humantime::format_duration(smoke.timeout)
                )
            }
        };
        Err(self
            .smoke_failed(smoke, &task_definition, &task, why, rollout, migrated)
            .await)
    }

    /// This release's smoke-test task, if one was started (running, or
    /// stopped within the hour ECS lists stopped tasks).
    async fn find_smoke_task(
        &self,
        smoke: &SmokeTest,
    ) -> Result<Option<(String, TaskOutcome)>, ApplyError> {
        let this_release = self.id.to_tag();
        let tasks = self.one_off_tasks(&smoke.started_by).await?;
        Ok(tasks
            .iter()
            .filter(|t| t.tags.get(tags::RELEASE) == Some(&this_release))
            .map(|t| (t.arn.clone(), super::verdict::task(t, &smoke.container)))
            .max_by_key(|(_, outcome)| matches!(outcome, TaskOutcome::Running(_))))
    }

    async fn start_smoke_test(
        &self,
        smoke: &SmokeTest,
        task_definition: &str,
    ) -> Result<String, ApplyError> {
        let request = RunTaskRequest {
            cluster: self.env.cluster.clone(),
            task_definition: task_definition.to_owned(),
            container: smoke.container.clone(),
            command: smoke.command.clone(),
            launch_type: smoke.launch_type.clone(),
            network: smoke.network.clone(),
            started_by: smoke.started_by.clone(),
            tags: vec![(tags::RELEASE.into(), self.id.to_tag())],
            client_token: client_token(&["smoke", &self.options.owner, &self.id.to_tag()]),
        };
        match self.ecs.run_task(&request).await {
            Ok(RunTaskOutcome::Started(arn)) => {
                self.progress.say(
                    "smoke-test",
                    format!("started {arn} ({})", smoke.command.join(" ")),
                );
                Ok(arn)
            }
            Ok(RunTaskOutcome::NotStarted(why)) => Err(ApplyError::SmokeTestFailed {
                reason: format!("the task did not start: {why}"),
                log: Vec::new(),
                rolled_back: None,
                migrated: false,
            }),
            // Started after all (an answer lost)? Then that one is awaited.
            Err(e) => match self.find_smoke_task(smoke).await? {
                Some((arn, _)) => Ok(arn),
                None => Err(e.into()),
            },
        }
    }

    /// The failure, with the task's log; the updated services rolled back
    /// when `deploy.rollback`.
    async fn smoke_failed(
        &self,
        smoke: &SmokeTest,
        task_definition: &str,
        task: &str,
        reason: String,
        rollout: &Rollout,
        migrated: bool,
    ) -> ApplyError {
        let log = match self.ecs.describe_task_definition(task_definition).await {
            Ok(Some(td)) => {
                super::explain::task_log(self.ecs, &td.spec, &smoke.container, task).await
            }
            _ => Vec::new(),
        };
        self.progress.say("smoke-test", format!("failed: {reason}"));
        let rolled_back = if self.env.deploy.rollback {
            match self.roll_back(&rollout.updated, &rollout.in_flight).await {
                Ok(services) => Some(services),
                Err(e) => return e.into(),
            }
        } else {
            None
        };
        ApplyError::SmokeTestFailed {
            reason,
            log,
            rolled_back,
            migrated,
        }
    }
}
