//! The steps of a plan, in the order apply carries them out, and what each
//! carries so apply neither renders nor looks anything up again. Plain data;
//! how a step reads in words is `report`'s `Display` for [`Step`].

use super::service_definition::TagChanges;
use crate::ecs::{AwsVpc, CreateServiceRequest, ScalingSuspension, TargetTrackingPolicy};
use crate::live::ReleaseId;
use crate::servicedef::ServiceDefinition;
use crate::taskdef::model::TaskDefinitionSpec;
use serde::Serialize;
use std::sync::Arc;

/// A `{from, to}` change of a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountChange {
    /// Live value.
    pub from: i32,
    /// Desired value.
    pub to: i32,
}

/// A `{from, to}` change of the schema revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionChange {
    /// Recorded revision (None if nothing is recorded).
    pub from: Option<String>,
    /// Desired revision.
    pub to: String,
}

/// A `{from, to}` change of the commit recorded on a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitChange {
    /// The `deckhand:commit` tag now (None if absent).
    pub from: Option<String>,
    /// The commit being applied.
    pub to: String,
}

/// How an interrupted release is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finish {
    /// Its result is recorded in the history: only its result tag and its
    /// in-progress tag and lease are left to write and remove. Nothing else
    /// is planned with it; the next plan shows what the spec still asks.
    Record,
    /// Its commit is the one planned: this apply carries it on (the other
    /// steps are what it left undone) and records it, once.
    Continue,
    /// Another commit is planned: it is recorded as interrupted, and this
    /// apply is a release of its own.
    Supersede,
}

/// One step of a plan, in the order apply runs them. Each step carries what
/// apply needs to carry it out (the rendered definition, the request, the
/// ARNs and counts), so apply neither renders nor looks anything up again;
/// each variant's struct is what the phase of apply that carries it out
/// receives. The fields marked `skip` are not part of the plan JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// Finish a release that started and did not end (a deckhand stopped
    /// during it): its in-progress tag is on the cluster.
    FinishRelease(FinishRelease),
    /// Register the rendered task definition of `service`.
    RegisterTaskDefinition(RegisterTaskDefinition),
    /// Create the missing `service` from its CreateService input.
    CreateService(CreateService),
    /// Scale `service` to 0 before the migration.
    Quiesce(Quiesce),
    /// Run the migration task (registering its definition first when it differs).
    Migrate(Migrate),
    /// Point `service` at its new task definition and/or count.
    UpdateService(UpdateService),
    /// Register `service`'s scalable target and put or delete deckhand's policies.
    UpdateAutoscaling(UpdateAutoscaling),
    /// Resume the Application Auto Scaling of a service an interrupted
    /// release left suspended (the service itself needs nothing else).
    ResumeScaling(ResumeScaling),
    /// Record the commit on a service that already runs what it specifies
    /// (an earlier release stopped before it could).
    RecordCommit(RecordCommit),
    /// Run the smoke test after the rollouts; it must exit 0.
    SmokeTest(SmokeTest),
}

/// Finish a release that started and did not end (a deckhand stopped
/// during it): its in-progress tag is on the cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinishRelease {
    /// When it started and who started it.
    pub release: ReleaseId,
    /// Its config commit (12 characters; None for a plain directory).
    pub commit: Option<String>,
    /// How it is finished.
    pub finish: Finish,
    /// Its history record, for [`Finish::Record`]; the plan JSON shows its
    /// `result`.
    #[serde(
        rename = "result",
        skip_serializing_if = "Option::is_none",
        serialize_with = "recorded_result"
    )]
    pub recorded: Option<Box<crate::history::Release>>,
}

/// A recorded release as the plan JSON shows it: its result.
fn recorded_result<S: serde::Serializer>(
    recorded: &Option<Box<crate::history::Release>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(recorded.as_ref().map_or("", |r| r.result.as_str()))
}

/// Register the rendered task definition of `service`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterTaskDefinition {
    pub service: String,
    pub family: String,
    /// What to register.
    #[serde(skip)]
    pub task_definition: Box<TaskDefinitionSpec>,
}

/// Create the missing `service` from its CreateService input.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateService {
    pub service: String,
    /// The request; its task definition is the one registered before it.
    #[serde(skip)]
    pub request: Box<CreateServiceRequest>,
    /// The ARN the service will have (ECS service ARNs are the cluster's
    /// with the service name).
    #[serde(skip)]
    pub service_arn: String,
}

/// Scale `service` to 0 before the migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quiesce {
    pub service: String,
    pub desired_count: CountChange,
    /// The service's ARN (the marker tag goes there).
    #[serde(skip)]
    pub service_arn: String,
    /// The scaling state to resume afterwards, when the service is an
    /// Application Auto Scaling target (its scaling is suspended first).
    #[serde(skip)]
    pub suspend_scaling: Option<ScalingSuspension>,
}

/// Run the smoke test: a one-off task on `service`'s task definition (the
/// one this release deploys) and network, with `command`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SmokeTest {
    pub service: String,
    pub command: Vec<String>,
    /// How long it may run.
    #[serde(skip)]
    pub timeout: std::time::Duration,
    /// The container whose command is overridden.
    #[serde(skip)]
    pub container: String,
    /// Launch type of `service`.
    #[serde(skip)]
    pub launch_type: Option<String>,
    /// Network of `service`.
    #[serde(skip)]
    pub network: Option<AwsVpc>,
    /// `startedBy` of the task (`deckhand-smoke/<environment>`).
    #[serde(skip)]
    pub started_by: String,
    /// `service`'s live task definition, run when this release registers
    /// none for it.
    #[serde(skip)]
    pub current_task_definition: Option<String>,
}

/// Run the migration task (registering its definition first when it differs).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Migrate {
    pub revision: RevisionChange,
    pub register_task_definition: bool,
    /// How the task runs.
    #[serde(skip)]
    pub run: Box<MigrationRun>,
}

/// Point `service` at its new task definition and/or count.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateService {
    pub service: String,
    pub task_definition: bool,
    pub desired_count: Option<CountChange>,
    /// Declared fields of the service definition (or its tags) change.
    pub service_definition: bool,
    /// The fields UpdateService changes, as the file sets them.
    #[serde(skip)]
    pub configuration: Option<Arc<ServiceDefinition>>,
    /// The tags to put and remove.
    #[serde(skip)]
    pub tags: TagChanges,
    /// How long the deployment takes at least, for a strategy other than
    /// ROLLING ("BLUE_GREEN: at least 10m (bake time)").
    #[serde(skip)]
    pub estimate: Option<String>,
    /// What the service runs now (for a rollback).
    #[serde(skip)]
    pub current: ServiceTarget,
    /// The service's ARN.
    #[serde(skip)]
    pub service_arn: String,
    /// The service carries a `deckhand:quiesced-from` marker to remove once it runs again.
    #[serde(skip)]
    pub clears_marker: bool,
    /// The scaling state to resume once it runs again.
    #[serde(skip)]
    pub resume_scaling: Option<ScalingSuspension>,
}

/// A change of a capacity; `from` is None for a target that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CapacityChange {
    /// Live value.
    pub from: Option<i32>,
    /// Desired value.
    pub to: i32,
}

/// Register `service`'s scalable target with its capacity range, and put or
/// delete deckhand's target-tracking policies (`deckhand-<service>-…`;
/// other policies are left alone).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAutoscaling {
    pub service: String,
    pub min_capacity: Option<CapacityChange>,
    pub max_capacity: Option<CapacityChange>,
    /// The policies put or deleted, by AWS name.
    pub policies: Vec<String>,
    /// RegisterScalableTarget's range, when it changes.
    #[serde(skip)]
    pub register: Option<(i32, i32)>,
    /// Policies to create or replace.
    #[serde(skip)]
    pub put: Vec<TargetTrackingPolicy>,
    /// deckhand's policies to delete.
    #[serde(skip)]
    pub delete: Vec<String>,
}

/// Resume the Application Auto Scaling of a service an interrupted
/// release left suspended (the service itself needs nothing else).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumeScaling {
    pub service: String,
    /// The state to restore.
    #[serde(skip)]
    pub to: ScalingSuspension,
    /// The service's ARN (the marker tag is removed there).
    #[serde(skip)]
    pub service_arn: String,
}

/// Record the commit on a service that already runs what it specifies
/// (an earlier release stopped before it could).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordCommit {
    pub service: String,
    pub commit: CommitChange,
    /// The service's ARN.
    #[serde(skip)]
    pub service_arn: String,
    /// A leftover `deckhand:quiesced-from` marker to remove.
    #[serde(skip)]
    pub clears_marker: bool,
    /// A deployment still rolling out to what the spec asks for (a release
    /// stopped while it rolled): apply waits for it rather than starting another.
    #[serde(skip)]
    pub in_flight: Option<InFlight>,
}

/// A deployment in flight that already goes where the spec asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    /// Its ID (`ecs-svc/…`).
    pub deployment: String,
    /// The task definition it rolls out.
    pub task_definition: String,
    /// The count it reaches.
    pub desired_count: i32,
}

/// A service's task definition and count (and configuration, when it changes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceTarget {
    /// Task definition ARN.
    pub task_definition: String,
    /// desiredCount.
    pub desired_count: i32,
    /// The changed fields of the service definition, as the service has them.
    pub configuration: Option<Arc<ServiceDefinition>>,
}

/// How the migration runs: everything apply needs, decided by the planner.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationRun {
    /// The rendered migration task definition (registered when it differs).
    pub task_definition: TaskDefinitionSpec,
    /// The ARN of the live one, when it is unchanged.
    pub current_arn: Option<String>,
    /// The container whose command is overridden.
    pub container: String,
    /// The command.
    pub command: Vec<String>,
    /// Launch type of `networkFrom`.
    pub launch_type: Option<String>,
    /// Network of `networkFrom`.
    pub network: Option<AwsVpc>,
    /// `startedBy` of the task (`deckhand/<environment>`).
    pub started_by: String,
    /// Cluster ARN (the revision tag goes there).
    pub cluster_arn: String,
    /// Services that are (or will be) at 0 while the migration runs, with
    /// the ARN and the count to restore when it fails.
    pub quiesced: Vec<QuiescedService>,
}

/// A service scaled to 0 around the migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuiescedService {
    /// Service name.
    pub service: String,
    /// Its ARN.
    pub service_arn: String,
    /// The count it had before.
    pub restore_to: i32,
    /// Its scaling state before deckhand suspended it (an autoscaled service).
    pub resume_scaling: Option<ScalingSuspension>,
}

impl Step {
    /// Would carrying out this step change nothing? (Never true of a
    /// planned step; the crash tests check it.)
    pub fn is_noop(&self) -> bool {
        match self {
            Step::Quiesce(Quiesce { desired_count, .. }) => desired_count.from == 0,
            Step::UpdateService(UpdateService {
                task_definition,
                desired_count,
                ..
            }) => !task_definition && desired_count.is_none_or(|c| c.from == c.to),
            Step::RecordCommit(RecordCommit { commit, .. }) => {
                commit.from.as_deref() == Some(&commit.to)
            }
            _ => false,
        }
    }
}
