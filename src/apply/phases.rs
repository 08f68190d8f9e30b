//! The release's phases, in order: create the missing services; quiesce and
//! migrate ([`super::migrate`]); update the services; await their rollouts;
//! give the services that run again their autoscaling back and remove their
//! markers; roll back on a failed rollout ([`super::rollback`]); run the
//! smoke test ([`super::smoke`]); record the commit. Each phase takes the plan's typed steps of its kind.

use super::rollback::Updated;
use super::verdict::{self, RolloutWatch};
use super::{ApplyError, Release, explain, marker_keys, wait};
use crate::ecs::{
    AwsError, CreateServiceRequest, Ecs, Lookups, ScalingSuspension, UpdateServiceRequest,
};
use crate::plan::{CreateService, RecordCommit, ResumeScaling, Step, UpdateService};
use crate::tags;
use std::collections::{BTreeMap, BTreeSet};

/// What the phases learn on the way: the rollouts to await, the ARNs of the
/// services they touched, which services lose their markers or get their
/// autoscaling back once they run, and how to put the updated ones back.
#[derive(Default)]
pub(super) struct Rollout {
    watches: Vec<RolloutWatch>,
    arns: BTreeMap<String, String>,
    markers: BTreeSet<String>,
    resume: BTreeMap<String, ScalingSuspension>,
    pub(super) updated: Vec<Updated>,
    /// Service deployments of ours still running when the wait ended (a
    /// timeout): a rollback stops them rather than starting another.
    pub(super) in_flight: BTreeMap<String, String>,
}

impl<E: Ecs + Lookups> Release<'_, E> {
    /// The plan's steps that `pick` takes, with the step itself (for its words).
    fn steps_of<'s, T: 's>(
        &'s self,
        pick: impl Fn(&'s Step) -> Option<&'s T> + 's,
    ) -> impl Iterator<Item = (&'s Step, &'s T)> + 's {
        self.plan
            .steps
            .iter()
            .filter_map(move |step| pick(step).map(|inner| (step, inner)))
    }

    /// The phases in order; returns whether a migration ran.
    pub(super) async fn steps(&self) -> Result<bool, ApplyError> {
        let mut rollout = Rollout::default();
        self.create_services(&mut rollout).await?;
        let migrated = self.quiesce_and_migrate().await?;
        self.update_services(&mut rollout).await?;
        self.update_autoscaling().await?;
        self.attach_in_flight(&mut rollout);
        let failures = self.await_rollouts(&mut rollout).await?;
        self.restore_running(&rollout).await?;
        if !failures.is_empty() {
            let rolled_back = if self.env.deploy.rollback {
                Some(self.roll_back(&rollout.updated, &rollout.in_flight).await?)
            } else {
                None
            };
            return Err(ApplyError::RolloutFailed {
                failures,
                rolled_back,
                migrated,
            });
        }
        self.smoke_test(&rollout, migrated).await?;
        self.record_commit(&rollout).await?;
        Ok(migrated)
    }

    /// Create the missing services, on the definitions registered for them.
    async fn create_services(&self, rollout: &mut Rollout) -> Result<(), ApplyError> {
        let creates = self.steps_of(|s| match s {
            Step::CreateService(c) => Some(c),
            _ => None,
        });
        for (step, create) in creates {
            let CreateService {
                service,
                request,
                service_arn,
            } = create;
            let arn = self.registered[service].clone();
            self.ecs
                .create_service(&CreateServiceRequest {
                    task_definition: arn.clone(),
                    ..(**request).clone()
                })
                .await?;
            self.progress.say("create", step.to_string());
            rollout.arns.insert(service.clone(), service_arn.clone());
            rollout.watches.push(RolloutWatch {
                service: service.clone(),
                deployment: None,
                task_definition: arn,
                desired_count: Some(request.desired_count),
            });
        }
        Ok(())
    }

    /// Update the services, all at once (ECS's UpdateService bucket allows a
    /// burst of 50). A quiesced service goes back to its count in its update.
    async fn update_services(&self, rollout: &mut Rollout) -> Result<(), ApplyError> {
        let restore_counts: BTreeMap<&str, i32> = self
            .steps_of(|s| match s {
                Step::Migrate(m) => Some(m),
                _ => None,
            })
            .flat_map(|(_, m)| m.run.quiesced.iter())
            .map(|q| (q.service.as_str(), q.restore_to))
            .collect();
        rollout
            .markers
            .extend(restore_counts.keys().map(|s| (*s).to_owned()));
        let updates = self
            .steps_of(|s| match s {
                Step::UpdateService(u) => Some(u),
                _ => None,
            })
            .map(|(step, update)| async move {
                let arn = self
                    .registered
                    .get(&update.service)
                    .cloned()
                    .unwrap_or_else(|| update.current.task_definition.clone());
                let deployment = self.update_service(update, &arn).await;
                (step, update, arn, deployment)
            });
        let mut first_error = None;
        for (step, update, arn, deployment) in futures_util::future::join_all(updates).await {
            let UpdateService {
                service,
                task_definition,
                desired_count,
                configuration,
                current,
                service_arn,
                clears_marker,
                resume_scaling,
                ..
            } = update;
            if let Some(state) = resume_scaling {
                rollout.resume.insert(service.clone(), *state);
            }
            let deployment = match deployment {
                Ok(deployment) => deployment,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            self.progress.say("update", step.to_string());
            rollout.arns.insert(service.clone(), service_arn.clone());
            if *clears_marker {
                rollout.markers.insert(service.clone());
            }
            let previous_count = restore_counts
                .get(service.as_str())
                .copied()
                .unwrap_or(current.desired_count);
            rollout.updated.push(Updated {
                service: service.clone(),
                previous_task_definition: task_definition.then(|| current.task_definition.clone()),
                previous_count: desired_count.map(|_| previous_count),
                task_definition_before: current.task_definition.clone(),
                previous_configuration: current.configuration.clone(),
            });
            // A new task definition or configuration starts a deployment.
            let deploys = *task_definition || configuration.is_some();
            rollout.watches.push(RolloutWatch {
                service: service.clone(),
                deployment: if deploys { deployment } else { None },
                task_definition: arn,
                desired_count: desired_count.map(|c| c.to).or(Some(current.desired_count)),
            });
        }
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Declared autoscaling: the scalable target's range first (a policy
    /// needs its target), then deckhand's policies put and deleted.
    async fn update_autoscaling(&self) -> Result<(), ApplyError> {
        let cluster = &self.env.cluster;
        let changes = self.steps_of(|s| match s {
            Step::UpdateAutoscaling(a) => Some(a),
            _ => None,
        });
        for (step, change) in changes {
            let service = &change.service;
            if let Some((min, max)) = change.register {
                self.ecs
                    .register_scalable_target(cluster, service, min, max)
                    .await?;
            }
            for policy in &change.put {
                self.ecs
                    .put_scaling_policy(cluster, service, policy)
                    .await?;
            }
            for name in &change.delete {
                self.ecs
                    .delete_scaling_policy(cluster, service, name)
                    .await?;
            }
            self.progress.say("autoscale", step.to_string());
        }
        Ok(())
    }

    /// Deployments a stopped release left rolling: waited for like this
    /// release's own, never started again.
    fn attach_in_flight(&self, rollout: &mut Rollout) {
        let records = self.steps_of(|s| match s {
            Step::RecordCommit(r) => Some(r),
            _ => None,
        });
        for (_, record) in records {
            let Some(in_flight) = &record.in_flight else {
                continue;
            };
            self.progress.say(
                "rollout",
                format!(
                    "{}: waiting for deployment {} already in flight",
                    record.service, in_flight.deployment
                ),
            );
            rollout
                .arns
                .insert(record.service.clone(), record.service_arn.clone());
            rollout.watches.push(RolloutWatch {
                service: record.service.clone(),
                deployment: Some(in_flight.deployment.clone()),
                task_definition: in_flight.task_definition.clone(),
                desired_count: Some(in_flight.desired_count),
            });
        }
    }

    /// One service's UpdateService (task definition, count and configuration
    /// in one call, so one deployment) and its tag changes; returns the
    /// deployment to watch.
    async fn update_service(
        &self,
        update: &UpdateService,
        arn: &str,
    ) -> Result<Option<String>, AwsError> {
        let request = UpdateServiceRequest {
            cluster: self.env.cluster.clone(),
            service: update.service.clone(),
            task_definition: update.task_definition.then(|| arn.to_owned()),
            desired_count: update.desired_count.map(|c| c.to),
            configuration: update.configuration.clone(),
        };
        let only_tags = request.task_definition.is_none()
            && request.desired_count.is_none()
            && request.configuration.is_none();
        let deployment = if only_tags {
            None
        } else {
            self.ecs.update_service(&request).await?
        };
        if !update.tags.put.is_empty() {
            self.ecs
                .tag_resource(&update.service_arn, &update.tags.put)
                .await?;
        }
        if !update.tags.remove.is_empty() {
            self.ecs
                .untag_resource(&update.service_arn, &update.tags.remove)
                .await?;
        }
        Ok(deployment)
    }

    /// Wait for every rollout; returns the failed ones and why (with what
    /// the stopped tasks and the service's events say).
    async fn await_rollouts(
        &self,
        rollout: &mut Rollout,
    ) -> Result<Vec<(String, String)>, ApplyError> {
        let cluster = &self.env.cluster;
        let results = wait::rollouts(
            self.ecs,
            cluster,
            &rollout.watches,
            self.env.deploy.timeout,
            self.polling(),
            self.progress,
            "rollout",
        )
        .await?;
        rollout.in_flight = results
            .service_deployments
            .iter()
            .filter(|(_, sd)| !verdict::service_deployment(sd).is_final())
            .map(|(service, sd)| (service.clone(), sd.arn.clone()))
            .collect();
        let mut failures = Vec::new();
        for (service, health) in &results.health {
            let Some(why) = health.failure() else {
                continue;
            };
            let definition = rollout
                .watches
                .iter()
                .find(|w| &w.service == service)
                .map_or("", |w| w.task_definition.as_str());
            let why = match explain::rollout_failure(self.ecs, cluster, service, definition).await {
                Some(tasks) => format!("{why}; {tasks}"),
                None => why.to_owned(),
            };
            failures.push((service.clone(), why));
        }
        Ok(failures)
    }

    /// Services that run again get their autoscaling back, then lose their
    /// markers; so do those an interrupted release left suspended.
    async fn restore_running(&self, rollout: &Rollout) -> Result<(), ApplyError> {
        let cluster = &self.env.cluster;
        for watch in &rollout.watches {
            if let Some(state) = rollout.resume.get(&watch.service) {
                self.ecs
                    .set_scaling(cluster, &watch.service, *state)
                    .await?;
            }
            if rollout.markers.contains(&watch.service) {
                self.ecs
                    .untag_resource(&rollout.arns[&watch.service], &marker_keys())
                    .await?;
            }
        }
        let resumes = self.steps_of(|s| match s {
            Step::ResumeScaling(r) => Some(r),
            _ => None,
        });
        for (step, resume) in resumes {
            let ResumeScaling {
                service,
                to,
                service_arn,
            } = resume;
            self.ecs.set_scaling(cluster, service, *to).await?;
            self.ecs
                .untag_resource(service_arn, &[tags::SCALING_SUSPENDED_FROM.into()])
                .await?;
            self.progress.say("resume", step.to_string());
        }
        Ok(())
    }

    /// Record the commit on every service that now runs it (all at once),
    /// and on those that already ran it without the tag.
    async fn record_commit(&self, rollout: &Rollout) -> Result<(), ApplyError> {
        let Some(commit) = &self.options.commit else {
            return Ok(());
        };
        let tags = [(tags::COMMIT.to_owned(), commit.clone())];
        // Attached deployments are recorded by their own record-commit step.
        let recorded_below: BTreeSet<&str> = self
            .steps_of(|s| match s {
                Step::RecordCommit(r) => Some(r),
                _ => None,
            })
            .map(|(_, r)| r.service.as_str())
            .collect();
        let writes = rollout
            .watches
            .iter()
            .filter(|watch| !recorded_below.contains(watch.service.as_str()))
            .map(|watch| self.ecs.tag_resource(&rollout.arns[&watch.service], &tags));
        futures_util::future::join_all(writes)
            .await
            .into_iter()
            .collect::<Result<Vec<()>, _>>()?;
        let records = self.steps_of(|s| match s {
            Step::RecordCommit(r) => Some(r),
            _ => None,
        });
        for (step, record) in records {
            let RecordCommit {
                service_arn,
                clears_marker,
                commit: change,
                ..
            } = record;
            if *clears_marker {
                self.ecs.untag_resource(service_arn, &marker_keys()).await?;
            }
            self.ecs
                .tag_resource(service_arn, &[(tags::COMMIT.into(), change.to.clone())])
                .await?;
            self.progress.say("record", step.to_string());
        }
        Ok(())
    }
}
