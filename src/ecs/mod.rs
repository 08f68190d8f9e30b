//! The one module that reaches AWS, by concern:
//!
//! - [`session`]: the config every client is built on (credentials,
//!   endpoints, retry mode, the counting interceptor);
//! - [`Ecs`]: what a release reads and changes (ECS, and Application Auto
//!   Scaling on ECS services), over the plain types of [`types`];
//! - [`Lookups`]: the read-only calls outside ECS that preflight and the
//!   explanations make (ECR, IAM, SSM, Secrets Manager, CloudWatch Logs,
//!   Elastic Load Balancing, Lambda);
//! - [`locks`]: the lock table of `--lock-table` (DynamoDB, and an
//!   in-memory one for tests);
//! - [`error`]: [`AwsError`], every failure typed and classified.
//!
//! Everything else (`live`, `apply`, `controller`) depends on these traits,
//! never on the SDK. [`EcsClient`] implements [`Ecs`] and [`Lookups`] on the
//! SDK: every request counted by operation ([`calls`]), DescribeServices
//! batched by 10, task definitions cached by ARN while in use ([`cache`]),
//! mutating calls held to ECS's rates ([`limiter`]); [`taskdef`] maps task
//! definitions to and from the SDK's types. `fake::FakeEcs` (unit tests
//! only) is an in-memory ECS whose deployments complete or fail after a
//! number of polls, whose tasks stop with exit codes, and which can
//! throttle, fail with a 5xx after a call took effect, or "crash" (never
//! answer) after any call; the integration tests keep proving the real SDK
//! path against the emulator.

mod autoscaling;
pub mod cache;
pub mod calls;
mod client;
pub mod credentials;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod limiter;
pub mod locks;
mod lookups;
pub mod servicedef;
pub mod session;
pub mod taskdef;
pub mod types;

pub use calls::CallCounter;
pub use client::EcsClient;
pub use error::{AwsError, ErrorClass};
pub use locks::{Claim, DynamoLockTable, LeaseRecord, LockTable, Tenure};
pub use types::*;

use crate::taskdef::model::TaskDefinitionSpec;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

/// ECS accepts at most this many services per DescribeServices call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;
/// ECS accepts at most this many ARNs per DescribeServiceDeployments call.
pub const DESCRIBE_SERVICE_DEPLOYMENTS_BATCH: usize = 20;
/// How many read calls run at once (DescribeServices is limited to 20/s per account).
const READ_CONCURRENCY: usize = 4;

/// What every AWS client of deckhand knows of its [`session`].
pub trait AwsClient: Send + Sync {
    /// Requests made so far, by operation.
    fn calls(&self) -> Arc<CallCounter>;

    /// The AWS region the client talks to, if known.
    fn region(&self) -> Option<String>;
}

/// The ECS calls deckhand makes (and the Application Auto Scaling calls on
/// ECS services): what a release reads and changes. Implementations batch
/// and cache as they need; callers pass plain values and get plain values
/// back. The lookups outside ECS are [`Lookups`].
pub trait Ecs: AwsClient {
    /// DescribeClusters with tags. A missing or INACTIVE cluster is
    /// [`AwsError::ClusterNotFound`].
    fn describe_cluster(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Cluster, AwsError>> + Send;

    /// DescribeServices (any number of names; batched by 10). Services ECS
    /// reports missing or INACTIVE are absent from the result.
    fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> impl Future<Output = Result<Vec<Service>, AwsError>> + Send;

    /// ListServices of a cluster (every page): service names, in ECS's order.
    fn list_services(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// DescribeTaskDefinition (with tags) by ARN or family; None when ECS has
    /// no such definition.
    fn describe_task_definition(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Arc<TaskDefinition>>, AwsError>> + Send;

    /// RegisterTaskDefinition (with the spec's tags).
    fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> impl Future<Output = Result<Arc<TaskDefinition>, AwsError>> + Send;

    /// CreateService.
    fn create_service(
        &self,
        request: &CreateServiceRequest,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// UpdateService; returns the PRIMARY deployment's ID afterwards (the one to watch).
    fn update_service(
        &self,
        request: &UpdateServiceRequest,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;

    /// RunTask of one task.
    fn run_task(
        &self,
        request: &RunTaskRequest,
    ) -> impl Future<Output = Result<RunTaskOutcome, AwsError>> + Send;

    /// DescribeTasks (with tags). Unknown ARNs are absent from the result.
    fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> impl Future<Output = Result<Vec<Task>, AwsError>> + Send;

    /// ListTasks by `startedBy` and desired status: task ARNs.
    fn list_tasks(
        &self,
        cluster: &str,
        started_by: &str,
        status: DesiredStatus,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// ListTasks of one service by desired status: task ARNs.
    fn list_service_tasks(
        &self,
        cluster: &str,
        service: &str,
        status: DesiredStatus,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// ListTaskDefinitions of exactly `family`, newest revision first, at most `limit`.
    fn list_task_definitions(
        &self,
        family: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// StopTask.
    fn stop_task(
        &self,
        cluster: &str,
        task: &str,
        reason: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// TagResource.
    fn tag_resource(
        &self,
        arn: &str,
        tags: &[(String, String)],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// The services of `services` that are Application Auto Scaling targets,
    /// with their suspended state (DescribeScalableTargets).
    fn scaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> impl Future<
        Output = Result<std::collections::BTreeMap<String, ScalingSuspension>, AwsError>,
    > + Send;

    /// Set a scalable target's suspended state (RegisterScalableTarget).
    fn set_scaling(
        &self,
        cluster: &str,
        service: &str,
        state: ScalingSuspension,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// UntagResource.
    fn untag_resource(
        &self,
        arn: &str,
        keys: &[String],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// The scalable targets of `services` with their target-tracking
    /// policies and suspended state (DescribeScalableTargets, and one paged
    /// DescribeScalingPolicies for the cluster's services).
    fn autoscaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> impl Future<Output = Result<BTreeMap<String, LiveAutoscaling>, AwsError>> + Send;

    /// RegisterScalableTarget with its capacity range (its suspended state,
    /// not given, is kept).
    fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        min_capacity: i32,
        max_capacity: i32,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// PutScalingPolicy (target tracking), creating or replacing it.
    fn put_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        policy: &TargetTrackingPolicy,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// DeleteScalingPolicy.
    fn delete_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        name: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// DescribeServiceDeployments (any number of ARNs; batched by 20).
    /// Unknown ARNs are absent from the result.
    fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> impl Future<Output = Result<Vec<ServiceDeployment>, AwsError>> + Send;

    /// StopServiceDeployment with rollback: ECS puts the service back on the
    /// revision it ran before.
    fn stop_service_deployment(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// The read-only lookups outside ECS that preflight and the explanations
/// make: ECR, IAM, SSM, Secrets Manager, CloudWatch Logs, Elastic Load
/// Balancing, Lambda. Nothing here
/// changes anything, so a release's fence does not guard them.
pub trait Lookups: AwsClient {
    /// ECR DescribeImages: which of `references` (tags or `sha256:` digests)
    /// exist in `repository` of registry `account` in `region`.
    fn describe_images(
        &self,
        region: &str,
        account: &str,
        repository: &str,
        references: &[String],
    ) -> impl Future<Output = Result<BTreeSet<String>, AwsError>> + Send;

    /// IAM GetRole of each name: the roles that exist.
    fn roles_exist(
        &self,
        names: &[String],
    ) -> impl Future<Output = Result<BTreeSet<String>, AwsError>> + Send;

    /// SSM GetParameters (ten names a call; values are never read): the
    /// names that exist.
    fn parameters_exist(
        &self,
        region: &str,
        names: &[String],
    ) -> impl Future<Output = Result<BTreeSet<String>, AwsError>> + Send;

    /// Secrets Manager DescribeSecret: does it exist?
    fn secret_exists(
        &self,
        region: &str,
        id: &str,
    ) -> impl Future<Output = Result<bool, AwsError>> + Send;

    /// CloudWatch Logs DescribeLogGroups: does the group exist?
    fn log_group_exists(
        &self,
        region: &str,
        name: &str,
    ) -> impl Future<Output = Result<bool, AwsError>> + Send;

    /// Elastic Load Balancing DescribeTargetGroups: those of `arns` (all in
    /// `region`) that exist.
    fn describe_target_groups(
        &self,
        region: &str,
        arns: &[String],
    ) -> impl Future<Output = Result<Vec<TargetGroup>, AwsError>> + Send;

    /// Lambda GetFunction (a name, an ARN, or a qualified ARN): does it exist?
    fn function_exists(
        &self,
        region: &str,
        function: &str,
    ) -> impl Future<Output = Result<bool, AwsError>> + Send;

    /// CloudWatch Logs GetLogEvents: the last `lines` messages of a stream,
    /// oldest first; empty when the stream does not exist.
    fn log_tail(
        &self,
        region: &str,
        group: &str,
        stream: &str,
        lines: usize,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
}

/// Describe each distinct ARN of `arns` once (the client caches by ARN), a
/// few at a time; an ARN ECS does not know is an error.
pub async fn describe_task_definitions<E: Ecs>(
    ecs: &E,
    arns: &[String],
) -> Result<BTreeMap<String, Arc<TaskDefinition>>, AwsError> {
    use futures_util::StreamExt;
    let mut distinct: Vec<String> = arns.iter().filter(|a| !a.is_empty()).cloned().collect();
    distinct.sort();
    distinct.dedup();
    // The futures are made up front (they do nothing until polled): a
    // closure inside the stream would not be `Send` for every lifetime.
    let calls: Vec<_> = distinct
        .iter()
        .map(|arn| ecs.describe_task_definition(arn))
        .collect();
    let results: Vec<_> = futures_util::stream::iter(calls)
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    let mut out = BTreeMap::new();
    for (arn, result) in distinct.into_iter().zip(results) {
        let td = result?.ok_or_else(|| AwsError::Api {
            operation: "DescribeTaskDefinition",
            code: "ClientException".into(),
            message: format!("task definition {arn} does not exist"),
            status: 400,
        })?;
        out.insert(arn, td);
    }
    Ok(out)
}
