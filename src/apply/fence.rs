//! Fencing: a release's view of ECS through its lease. [`Fenced`] passes
//! every read straight on, and asks the lease before every change
//! ([`Lease::check`]): once the lease may have passed to another deckhand (a
//! renewal found it taken over, or it went unrenewed for its TTL less a
//! margin: a process paused or cut off), the release stops with
//! [`AwsError::LeaseLost`] before its next mutating call. RunTask (a
//! migration, which must never run twice) renews a table lease first and
//! acts only on the table's fresh answer.
//!
//! Limits: the check happens before the request leaves; a process frozen
//! between the check and the request's arrival at ECS (milliseconds) is not
//! covered. ECS has no conditional writes to carry the fence further.

use super::lease::Lease;
use crate::ecs::{
    AwsClient, AwsError, CallCounter, Cluster, CreateServiceRequest, DesiredStatus, Ecs,
    LiveAutoscaling, Lookups, RunTaskOutcome, RunTaskRequest, ScalingSuspension, Service,
    ServiceDeployment, TargetTrackingPolicy, Task, TaskDefinition, UpdateServiceRequest,
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

/// Read calls, passed straight on: `name(arg: Type, ...) -> Output;`.
macro_rules! pass_on {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {$(
        async fn $name(&self, $($arg: $ty),*) -> Result<$out, AwsError> {
            self.ecs.$name($($arg),*).await
        }
    )*};
}

/// Mutating calls, each after the lease check: `name(arg: Type, ...) -> Output;`.
macro_rules! fence {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {$(
        async fn $name(&self, $($arg: $ty),*) -> Result<$out, AwsError> {
            self.lease.check()?;
            self.ecs.$name($($arg),*).await
        }
    )*};
}

impl<E: Ecs> AwsClient for Fenced<'_, '_, E> {
    fn calls(&self) -> Arc<CallCounter> {
        self.ecs.calls()
    }

    fn region(&self) -> Option<String> {
        self.ecs.region()
    }
}

impl<E: Ecs> Ecs for Fenced<'_, '_, E> {
    pass_on! {
        describe_cluster(cluster: &str) -> Cluster;
        describe_services(cluster: &str, names: &[String]) -> Vec<Service>;
        list_services(cluster: &str) -> Vec<String>;
        describe_task_definition(reference: &str) -> Option<Arc<TaskDefinition>>;
        describe_tasks(cluster: &str, arns: &[String]) -> Vec<Task>;
        list_tasks(cluster: &str, started_by: &str, status: DesiredStatus) -> Vec<String>;
        list_service_tasks(cluster: &str, service: &str, status: DesiredStatus) -> Vec<String>;
        list_task_definitions(family: &str, limit: usize) -> Vec<String>;
        scaling_of(cluster: &str, services: &[String]) -> BTreeMap<String, ScalingSuspension>;
        describe_service_deployments(arns: &[String]) -> Vec<ServiceDeployment>;
        autoscaling_of(cluster: &str, services: &[String]) -> BTreeMap<String, LiveAutoscaling>;
    }

    fence! {
        register_task_definition(spec: &TaskDefinitionSpec) -> Arc<TaskDefinition>;
        create_service(request: &CreateServiceRequest) -> ();
        update_service(request: &UpdateServiceRequest) -> Option<String>;
        stop_task(cluster: &str, task: &str, reason: &str) -> ();
        tag_resource(arn: &str, tags: &[(String, String)]) -> ();
        set_scaling(cluster: &str, service: &str, state: ScalingSuspension) -> ();
        untag_resource(arn: &str, keys: &[String]) -> ();
        stop_service_deployment(arn: &str) -> ();
        register_scalable_target(cluster: &str, service: &str, min_capacity: i32, max_capacity: i32) -> ();
        put_scaling_policy(cluster: &str, service: &str, policy: &TargetTrackingPolicy) -> ();
        delete_scaling_policy(cluster: &str, service: &str, name: &str) -> ();
    }

    /// A migration must never run twice: with a lock table, renew first and
    /// act only on the table's fresh answer.
    async fn run_task(&self, request: &RunTaskRequest) -> Result<RunTaskOutcome, AwsError> {
        self.lease.confirm_now().await?;
        self.ecs.run_task(request).await
    }
}

/// Lookups change nothing: none is fenced.
impl<E: Ecs + Lookups> Lookups for Fenced<'_, '_, E> {
    pass_on! {
        describe_images(region: &str, account: &str, repository: &str, references: &[String]) -> BTreeSet<String>;
        roles_exist(names: &[String]) -> BTreeSet<String>;
        parameters_exist(region: &str, names: &[String]) -> BTreeSet<String>;
        secret_exists(region: &str, id: &str) -> bool;
        log_group_exists(region: &str, name: &str) -> bool;
        describe_target_groups(region: &str, arns: &[String]) -> Vec<crate::ecs::TargetGroup>;
        function_exists(region: &str, function: &str) -> bool;
        log_tail(region: &str, group: &str, stream: &str, lines: usize) -> Vec<String>;
    }
}
