//! Fencing: a release's view of ECS through its lease. [`Fenced`] passes
//! every read straight on, and asks the lease before every change
//! ([`Lease::check`]): once the lease may have passed to another deckhand (a
//! renewal found it taken over, or it went unrenewed for its TTL less a
//! margin: a process paused or cut off), the release stops with
//! [`EcsError::LeaseLost`] before its next mutating call. RunTask (a
//! migration, which must never run twice) renews a table lease first and
//! acts only on the table's fresh answer.
//!
//! Limits: the check happens before the request leaves; a process frozen
//! between the check and the request's arrival at ECS (milliseconds) is not
//! covered. ECS has no conditional writes to carry the fence further.

use super::lease::Lease;
use crate::ecs::{
    CallCounter, Cluster, CreateServiceRequest, DesiredStatus, Ecs, EcsError, RunTaskOutcome,
    RunTaskRequest, ScalingSuspension, Service, Task, TaskDefinition, UpdateServiceRequest,
};
use crate::taskdef::model::TaskDefinitionSpec;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// `ecs` as a release holding `lease` may use it.
pub struct Fenced<'l, 'a, E: Ecs> {
    ecs: &'a E,
    lease: &'l Lease<'a, E>,
}

impl<'l, 'a, E: Ecs> Fenced<'l, 'a, E> {
    /// Fence `ecs` with `lease`.
    pub fn new(ecs: &'a E, lease: &'l Lease<'a, E>) -> Self {
        Fenced { ecs, lease }
    }
}

impl<E: Ecs> Ecs for Fenced<'_, '_, E> {
    fn calls(&self) -> Arc<CallCounter> {
        self.ecs.calls()
    }

    fn region(&self) -> Option<String> {
        self.ecs.region()
    }

    async fn describe_cluster(&self, cluster: &str) -> Result<Cluster, EcsError> {
        self.ecs.describe_cluster(cluster).await
    }

    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<Service>, EcsError> {
        self.ecs.describe_services(cluster, names).await
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, EcsError> {
        self.ecs.list_services(cluster).await
    }

    async fn describe_task_definition(
        &self,
        reference: &str,
    ) -> Result<Option<Arc<TaskDefinition>>, EcsError> {
        self.ecs.describe_task_definition(reference).await
    }

    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> Result<Arc<TaskDefinition>, EcsError> {
        self.lease.check()?;
        self.ecs.register_task_definition(spec).await
    }

    async fn create_service(&self, request: &CreateServiceRequest) -> Result<(), EcsError> {
        self.lease.check()?;
        self.ecs.create_service(request).await
    }

    async fn update_service(
        &self,
        request: &UpdateServiceRequest,
    ) -> Result<Option<String>, EcsError> {
        self.lease.check()?;
        self.ecs.update_service(request).await
    }

    async fn run_task(&self, request: &RunTaskRequest) -> Result<RunTaskOutcome, EcsError> {
        self.lease.confirm_now().await?;
        self.ecs.run_task(request).await
    }

    async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> Result<Vec<Task>, EcsError> {
        self.ecs.describe_tasks(cluster, arns).await
    }

    async fn list_tasks(
        &self,
        cluster: &str,
        started_by: &str,
        status: DesiredStatus,
    ) -> Result<Vec<String>, EcsError> {
        self.ecs.list_tasks(cluster, started_by, status).await
    }

    async fn list_service_tasks(
        &self,
        cluster: &str,
        service: &str,
        status: DesiredStatus,
    ) -> Result<Vec<String>, EcsError> {
        self.ecs.list_service_tasks(cluster, service, status).await
    }

    async fn list_task_definitions(
        &self,
        family: &str,
        limit: usize,
    ) -> Result<Vec<String>, EcsError> {
        self.ecs.list_task_definitions(family, limit).await
    }

    async fn describe_images(
        &self,
        region: &str,
        account: &str,
        repository: &str,
        references: &[String],
    ) -> Result<BTreeSet<String>, EcsError> {
        self.ecs
            .describe_images(region, account, repository, references)
            .await
    }

    async fn roles_exist(&self, names: &[String]) -> Result<BTreeSet<String>, EcsError> {
        self.ecs.roles_exist(names).await
    }

    async fn parameters_exist(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<BTreeSet<String>, EcsError> {
        self.ecs.parameters_exist(region, names).await
    }

    async fn secret_exists(&self, region: &str, id: &str) -> Result<bool, EcsError> {
        self.ecs.secret_exists(region, id).await
    }

    async fn log_group_exists(&self, region: &str, name: &str) -> Result<bool, EcsError> {
        self.ecs.log_group_exists(region, name).await
    }

    async fn log_tail(
        &self,
        region: &str,
        group: &str,
        stream: &str,
        lines: usize,
    ) -> Result<Vec<String>, EcsError> {
        self.ecs.log_tail(region, group, stream, lines).await
    }

    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> Result<(), EcsError> {
        self.lease.check()?;
        self.ecs.stop_task(cluster, task, reason).await
    }

    async fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> Result<(), EcsError> {
        self.lease.check()?;
        self.ecs.tag_resource(arn, tags).await
    }

    async fn scaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ScalingSuspension>, EcsError> {
        self.ecs.scaling_of(cluster, services).await
    }

    async fn set_scaling(
        &self,
        cluster: &str,
        service: &str,
        state: ScalingSuspension,
    ) -> Result<(), EcsError> {
        self.lease.check()?;
        self.ecs.set_scaling(cluster, service, state).await
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), EcsError> {
        self.lease.check()?;
        self.ecs.untag_resource(arn, keys).await
    }
}
