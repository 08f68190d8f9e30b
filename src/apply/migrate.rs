//! Quiesce and migrate: scale the quiesce services to 0 (recording their
//! counts in a tag first), run the migration exactly once per revision (an
//! in-flight migration task of the environment is awaited, not duplicated),
//! gate on exit code 0, record the revision only then, and put quiesced
//! services back when anything fails.

use super::wait;
use super::{ApplyError, Release};
use crate::live::mutate::RunTaskRequest;
use crate::live::{EcsError, QUIESCED_FROM_TAG, REVISION_TASK_TAG};
use crate::plan::Step;
use crate::spec::render;
use std::collections::BTreeMap;

impl Release<'_> {
    /// Quiesce, run the migration once, record the revision. Returns whether a
    /// migration ran. On failure the quiesced services are restored first.
    pub(super) async fn quiesce_and_migrate(&self) -> Result<bool, ApplyError> {
        let Some((revision, register)) = self.plan.steps.iter().find_map(|s| match s {
            Step::Migrate {
                revision,
                register_task_definition,
            } => Some((revision.to.clone(), *register_task_definition)),
            _ => None,
        }) else {
            return Ok(false);
        };
        let cluster = &self.env.cluster;
        let mut quiesced: BTreeMap<String, i32> = BTreeMap::new();
        for step in &self.plan.steps {
            if let Step::Quiesce {
                service,
                desired_count,
            } = step
            {
                // The marker first: if deckhand dies after scaling, the next
                // apply knows what to restore.
                self.ecs
                    .tag(
                        &self.service_arn(service),
                        &[(QUIESCED_FROM_TAG.into(), desired_count.from.to_string())],
                    )
                    .await?;
                self.ecs
                    .update_service(cluster, service, None, Some(0))
                    .await?;
                self.progress.say(
                    "quiesce",
                    format!("{service}: desiredCount {} → 0", desired_count.from),
                );
                quiesced.insert(service.clone(), desired_count.from);
            }
        }
        let services: Vec<String> = quiesced.keys().cloned().collect();
        if !services.is_empty()
            && !wait::drained(
                self.ecs,
                cluster,
                &services,
                self.env.deploy.timeout,
                self.polling(),
                self.progress,
            )
            .await?
        {
            self.restore(&quiesced).await?;
            return Err(ApplyError::QuiesceTimeout(format!(
                "{} still running tasks after {}",
                services.join(", "),
                humantime::format_duration(self.env.deploy.timeout)
            )));
        }
        match self.migrate(&revision, register).await {
            Ok(()) => Ok(true),
            Err(e) => {
                self.restore(&quiesced).await?;
                Err(e)
            }
        }
    }

    /// Put quiesced services back to their count (old task definition).
    async fn restore(&self, quiesced: &BTreeMap<String, i32>) -> Result<(), EcsError> {
        for (service, count) in quiesced {
            self.ecs
                .update_service(&self.env.cluster, service, None, Some(*count))
                .await?;
            self.ecs
                .untag(&self.service_arn(service), &[QUIESCED_FROM_TAG.into()])
                .await?;
            self.progress
                .say("restore", format!("{service}: desiredCount 0 → {count}"));
        }
        Ok(())
    }

    async fn migrate(&self, revision: &str, register: bool) -> Result<(), ApplyError> {
        let env = self.env;
        let migration = env
            .migration
            .as_ref()
            .expect("a migrate step has a migration");
        let network_from = env
            .service(&migration.network_from)
            .expect("networkFrom is validated");
        let started_by = env.started_by();
        let failed = |reason: String| ApplyError::MigrationFailed {
            revision: revision.to_owned(),
            reason,
        };
        // Exactly once: a migration task of this environment still running
        // (a deckhand that died while waiting) is awaited, not duplicated.
        let in_flight = self
            .ecs
            .running_tasks_started_by(&env.cluster, &started_by)
            .await?;
        let mut adopted = None;
        if !in_flight.is_empty() {
            let states = self
                .ecs
                .describe_tasks(&env.cluster, &in_flight, &network_from.container)
                .await?;
            for state in states {
                let same = state.tags.get(REVISION_TASK_TAG).map(String::as_str) == Some(revision);
                self.progress.say(
                    "migrate",
                    format!(
                        "a migration task is already running ({}); waiting for it instead of starting another",
                        state.arn
                    ),
                );
                let stopped = wait::task_stopped(
                    self.ecs,
                    &env.cluster,
                    &state.arn,
                    &network_from.container,
                    migration.timeout,
                    self.polling(),
                    self.progress,
                )
                .await?;
                if same {
                    adopted = Some((state.arn.clone(), stopped));
                }
            }
        }
        let (task, stopped) = match adopted {
            Some(found) => found,
            None => {
                let task_definition = if register {
                    let spec = render::migration_task_definition(env)
                        .expect("a migration renders a task definition");
                    self.ecs.register_task_definition(&spec).await?
                } else {
                    self.live
                        .migration_task_definition
                        .as_ref()
                        .map(|d| d.arn.clone())
                        .expect("an unchanged migration definition exists")
                };
                let source = self.live.services.get(&migration.network_from);
                let task = self
                    .ecs
                    .run_task(&RunTaskRequest {
                        cluster: env.cluster.clone(),
                        task_definition,
                        container: network_from.container.clone(),
                        command: migration.command.clone(),
                        launch_type: source.and_then(|s| s.launch_type.clone()),
                        network: source.and_then(|s| s.network.clone()),
                        started_by: started_by.clone(),
                        tags: vec![(REVISION_TASK_TAG.into(), revision.to_owned())],
                    })
                    .await
                    .map_err(|e| failed(format!("the task did not start: {e}")))?;
                self.progress.say(
                    "migrate",
                    format!("started {task} ({})", migration.command.join(" ")),
                );
                let stopped = wait::task_stopped(
                    self.ecs,
                    &env.cluster,
                    &task,
                    &network_from.container,
                    migration.timeout,
                    self.polling(),
                    self.progress,
                )
                .await?;
                (task, stopped)
            }
        };
        let Some(stopped) = stopped else {
            self.ecs
                .stop_task(&env.cluster, &task, "deckhand: migration timed out")
                .await?;
            return Err(failed(format!(
                "timed out after {}; task {task} was stopped",
                humantime::format_duration(migration.timeout)
            )));
        };
        match stopped.exit_code {
            Some(0) => {}
            code => {
                return Err(failed(format!(
                    "task {task} stopped with exit code {} ({})",
                    code.map(|c| c.to_string()).unwrap_or_else(|| "none".into()),
                    stopped
                        .stopped_reason
                        .or(stopped.stop_code)
                        .unwrap_or_else(|| "no reason given".into())
                )));
            }
        }
        self.ecs
            .tag(
                &self.live.cluster_arn,
                &[(env.revision_tag(), revision.to_owned())],
            )
            .await?;
        self.progress.say(
            "migrate",
            format!("schema revision {revision} applied (exit code 0); recorded on the cluster"),
        );
        Ok(())
    }
}
