//! Quiesce and migrate: scale the quiesce services to 0 (recording their
//! counts in a tag first), run the migration exactly once per revision, gate
//! on its exit code, record the revision only then, and put quiesced services
//! back when the migration definitely failed.
//!
//! Exactly once, across crashes and replicas: before starting a task, the
//! environment's one-off tasks (`startedBy`) are listed, running *and*
//! stopped (ECS lists stopped tasks for about an hour). One tagged with this
//! revision that is still running is awaited; one that exited 0 is taken as
//! the migration having run (only the revision tag is written). RunTask
//! carries an idempotency token, and when it fails without an answer the
//! tasks are listed again before anything else happens.

use super::verdict::TaskOutcome;
use super::wait;
use super::{ApplyError, Release};
use crate::ecs::{
    AwsError, Ecs, Lookups, RunTaskOutcome, RunTaskRequest, ScalingSuspension, Task,
    UpdateServiceRequest,
};
use crate::plan::{Migrate, Quiesce};
use crate::tags;

use crate::plan::{MigrationRun, QuiescedService, Step};

/// A migration task of this environment found in ECS.
enum Found {
    /// Nothing for this revision: start one.
    None,
    /// Running (or stopping): await it.
    Running(String),
    /// Already exited 0.
    Succeeded(String),
    /// Started by this very release (carried on after a crash) and failed:
    /// the release failed; it does not start another.
    FailedInThisRelease {
        task: String,
        exit_code: Option<i32>,
        reason: String,
    },
}

impl<E: Ecs + Lookups> Release<'_, E> {
    /// Quiesce, run the migration once, record the revision. Returns whether a
    /// migration ran. When it definitely failed the quiesced services are
    /// restored first.
    pub(super) async fn quiesce_and_migrate(&self) -> Result<bool, ApplyError> {
        let Some((revision, run)) = self.plan.steps.iter().find_map(|s| match s {
            Step::Migrate(Migrate { revision, run, .. }) => Some((revision.to.clone(), run)),
            _ => None,
        }) else {
            return Ok(false);
        };
        let cluster = &self.env.cluster;
        let mut quiesced_now = std::collections::BTreeSet::new();
        for step in &self.plan.steps {
            if let Step::Quiesce(quiesce) = step {
                self.quiesce(quiesce).await?;
                self.progress.say("quiesce", step.to_string());
                quiesced_now.insert(quiesce.service.as_str());
            }
        }
        // A service an interrupted release left at 0 keeps its autoscaling
        // suspended (said again: the release may have stopped in between).
        for q in &run.quiesced {
            if !quiesced_now.contains(q.service.as_str()) && q.resume_scaling.is_some() {
                self.ecs
                    .set_scaling(cluster, &q.service, ScalingSuspension::ALL)
                    .await?;
            }
        }
        // Every quiesced service (this release's, and any an interrupted one
        // left at 0) must run nothing before the migration starts.
        let services: Vec<String> = run.quiesced.iter().map(|q| q.service.clone()).collect();
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
            self.restore(&run.quiesced).await?;
            return Err(ApplyError::QuiesceTimeout(format!(
                "{} still running tasks after {}",
                services.join(", "),
                humantime::format_duration(self.env.deploy.timeout)
            )));
        }
        match self.migrate(&revision, run).await {
            Ok(()) => Ok(true),
            Err(e @ ApplyError::MigrationFailed { .. }) => {
                self.restore(&run.quiesced).await?;
                Err(e)
            }
            Err(ApplyError::Ecs(source)) => Err(ApplyError::MigrationInterrupted {
                revision: revision.clone(),
                source,
            }),
            Err(e) => Err(e),
        }
    }

    /// Scale one service to 0 for the migration, its markers first: if
    /// deckhand dies after scaling, the next apply knows what to restore
    /// (the count and the autoscaling).
    async fn quiesce(&self, quiesce: &Quiesce) -> Result<(), ApplyError> {
        let Quiesce {
            service,
            desired_count,
            service_arn,
            suspend_scaling,
        } = quiesce;
        let cluster = &self.env.cluster;
        let mut markers = vec![(tags::QUIESCED_FROM.into(), desired_count.from.to_string())];
        if let Some(state) = suspend_scaling {
            markers.push((tags::SCALING_SUSPENDED_FROM.into(), state.to_tag()));
        }
        self.ecs.tag_resource(service_arn, &markers).await?;
        // An autoscaler must not scale it out again while the migration runs.
        if suspend_scaling.is_some() {
            self.ecs
                .set_scaling(cluster, service, ScalingSuspension::ALL)
                .await?;
        }
        self.ecs
            .update_service(&UpdateServiceRequest::count(cluster, service, 0))
            .await?;
        Ok(())
    }

    /// Put quiesced services back to their count (old task definition).
    async fn restore(&self, quiesced: &[QuiescedService]) -> Result<(), AwsError> {
        for q in quiesced {
            self.ecs
                .update_service(&UpdateServiceRequest::count(
                    &self.env.cluster,
                    &q.service,
                    q.restore_to,
                ))
                .await?;
            if let Some(state) = q.resume_scaling {
                self.ecs
                    .set_scaling(&self.env.cluster, &q.service, state)
                    .await?;
            }
            self.ecs
                .untag_resource(&q.service_arn, &super::marker_keys())
                .await?;
            self.progress.say(
                "restore",
                format!("{}: desiredCount 0 → {}", q.service, q.restore_to),
            );
        }
        Ok(())
    }

    /// What ECS already has for `revision`. Running tasks of other revisions
    /// (a migration of an older release still going) are awaited first, so two
    /// migrations never run at once.
    async fn find(&self, revision: &str, run: &MigrationRun) -> Result<Found, ApplyError> {
        let tasks = self.one_off_tasks(&run.started_by).await?;
        let ours = |t: &&Task| t.tags.get(tags::REVISION).map(String::as_str) == Some(revision);
        for other in tasks.iter().filter(|t| !ours(t)) {
            if let TaskOutcome::Running(_) = super::verdict::task(other, &run.container) {
                self.progress.say(
                    "migrate",
                    format!(
                        "another migration task is running ({}); waiting for it to stop first",
                        other.arn
                    ),
                );
                self.await_task(revision, run, &other.arn).await?;
            }
        }
        let mut found = Found::None;
        let this_release = self.id.to_tag();
        for task in tasks.iter().filter(ours) {
            match super::verdict::task(task, &run.container) {
                TaskOutcome::Running(_) => return Ok(Found::Running(task.arn.clone())),
                TaskOutcome::Succeeded => found = Found::Succeeded(task.arn.clone()),
                TaskOutcome::Failed { exit_code, reason }
                    if task.tags.get(tags::RELEASE) == Some(&this_release)
                        && !matches!(found, Found::Succeeded(_)) =>
                {
                    found = Found::FailedInThisRelease {
                        task: task.arn.clone(),
                        exit_code,
                        reason,
                    };
                }
                TaskOutcome::Failed { .. } => {}
            }
        }
        Ok(found)
    }

    /// Wait for `task` to stop; a timeout stops it and fails the migration.
    async fn await_task(
        &self,
        revision: &str,
        run: &MigrationRun,
        task: &str,
    ) -> Result<TaskOutcome, ApplyError> {
        let migration = self
            .env
            .migration
            .as_ref()
            .expect("a migrate step has a migration");
        let stopped = wait::task_stopped(
            self.ecs,
            &self.env.cluster,
            task,
            &run.container,
            migration.timeout,
            self.polling(),
            self.progress,
        )
        .await?;
        match stopped {
            Some((_, outcome)) => Ok(outcome),
            None => {
                self.ecs
                    .stop_task(&self.env.cluster, task, "deckhand: migration timed out")
                    .await?;
                Err(ApplyError::MigrationFailed {
                    revision: revision.to_owned(),
                    reason: format!(
                        "timed out after {}; task {task} was stopped",
                        humantime::format_duration(migration.timeout)
                    ),
                    log: self.log_of(run, task).await,
                })
            }
        }
    }

    /// The migration container's last log lines (masked).
    async fn log_of(&self, run: &MigrationRun, task: &str) -> Vec<String> {
        super::explain::migration_log(self.ecs, run, task).await
    }

    /// Start the migration task; an error without an answer may hide a
    /// started task, so look again before giving up.
    async fn start(&self, revision: &str, run: &MigrationRun) -> Result<String, ApplyError> {
        let task_definition = match &run.current_arn {
            Some(arn) => arn.clone(),
            None => self
                .ecs
                .register_task_definition(&run.task_definition)
                .await?
                .arn
                .clone(),
        };
        let request = RunTaskRequest {
            cluster: self.env.cluster.clone(),
            task_definition,
            container: run.container.clone(),
            command: run.command.clone(),
            launch_type: run.launch_type.clone(),
            network: run.network.clone(),
            started_by: run.started_by.clone(),
            tags: vec![
                (tags::REVISION.into(), revision.to_owned()),
                (tags::RELEASE.into(), self.id.to_tag()),
            ],
            client_token: super::one_off::client_token(&[&self.options.owner, revision]),
        };
        match self.ecs.run_task(&request).await {
            Ok(RunTaskOutcome::Started(arn)) => Ok(arn),
            Ok(RunTaskOutcome::NotStarted(why)) => Err(ApplyError::MigrationFailed {
                revision: revision.to_owned(),
                reason: format!("the task did not start: {why}"),
                log: Vec::new(),
            }),
            Err(e) => match self.find(revision, run).await {
                Ok(Found::Running(arn) | Found::Succeeded(arn)) => Ok(arn),
                _ => Err(e.into()),
            },
        }
    }

    /// The error of a migration task that stopped with `exit_code`.
    async fn failed(
        &self,
        revision: &str,
        run: &MigrationRun,
        task: &str,
        exit_code: Option<i32>,
        reason: &str,
    ) -> ApplyError {
        let log = self.log_of(run, task).await;
        self.progress.migration_log(revision, task, false, &log);
        ApplyError::MigrationFailed {
            revision: revision.to_owned(),
            reason: super::one_off::stopped_with(task, exit_code, reason),
            log,
        }
    }

    async fn migrate(&self, revision: &str, run: &MigrationRun) -> Result<(), ApplyError> {
        let task = match self.find(revision, run).await? {
            Found::FailedInThisRelease {
                task,
                exit_code,
                reason,
            } => {
                self.progress.say(
                    "migrate",
                    format!(
                        "migration task {task} of this release already failed; not running it again"
                    ),
                );
                return Err(self.failed(revision, run, &task, exit_code, &reason).await);
            }
            Found::Succeeded(task) => {
                self.progress.say(
                    "migrate",
                    format!(
                        "migration task {task} for revision {revision} already exited 0; not running it again"
                    ),
                );
                task
            }
            found => {
                let task = match found {
                    Found::Running(task) => {
                        self.progress.say(
                            "migrate",
                            format!(
                                "a migration task is already running ({task}); waiting for it instead of starting another"
                            ),
                        );
                        task
                    }
                    _ => {
                        let task = self.start(revision, run).await?;
                        self.progress.say(
                            "migrate",
                            format!("started {task} ({})", run.command.join(" ")),
                        );
                        task
                    }
                };
                match self.await_task(revision, run, &task).await? {
                    TaskOutcome::Succeeded => {}
                    TaskOutcome::Failed { exit_code, reason } => {
                        return Err(self.failed(revision, run, &task, exit_code, &reason).await);
                    }
                    TaskOutcome::Running(_) => unreachable!("await_task returns a stopped task"),
                }
                task
            }
        };
        let log = self.log_of(run, &task).await;
        self.progress.migration_log(revision, &task, true, &log);
        self.ecs
            .tag_resource(
                &run.cluster_arn,
                &[(self.env.revision_tag(), revision.to_owned())],
            )
            .await?;
        self.progress.say(
            "migrate",
            format!(
                "schema revision {revision} applied (exit code 0) by {task}; recorded on the cluster"
            ),
        );
        Ok(())
    }
}
