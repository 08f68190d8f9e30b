//! ECS as deckhand sees it: plain types for what the [`Ecs`](super::Ecs)
//! calls take and return. Nothing here names an SDK type, so `live`, `plan`,
//! `apply` and `controller` (and the in-memory fake) speak only these.

use crate::taskdef::model::TaskDefinitionSpec;
use std::collections::BTreeMap;

/// A cluster's identity and tags (DescribeClusters with `TAGS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Cluster ARN (tags are written to it).
    pub arn: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// One ECS service (DescribeServices with `TAGS`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Service {
    /// Service name.
    pub name: String,
    /// Service ARN.
    pub arn: String,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: String,
    /// The task definition ARN the service runs (its PRIMARY deployment's).
    pub task_definition: String,
    /// desiredCount.
    pub desired_count: i32,
    /// runningCount.
    pub running_count: i32,
    /// pendingCount.
    pub pending_count: i32,
    /// Launch type (`FARGATE`, `EC2`, …) if set.
    pub launch_type: Option<String>,
    /// The awsvpc network configuration, if any.
    pub network: Option<AwsVpc>,
    /// Deployments, PRIMARY first as ECS lists them.
    pub deployments: Vec<Deployment>,
    /// Recent service events, newest first.
    pub events: Vec<ServiceEvent>,
    /// Service tags.
    pub tags: BTreeMap<String, String>,
    /// `ECS` for a service ECS Express Mode manages, `CUSTOMER` otherwise
    /// (`resourceManagementType`; None when ECS does not say).
    pub resource_management_type: Option<String>,
    /// The service deployment ECS works on now (`currentServiceDeployment`).
    pub current_service_deployment: Option<String>,
    /// Its configuration as a service definition (what DescribeServices
    /// reports of the CreateService fields; tags are in `tags`).
    pub definition: std::sync::Arc<crate::servicedef::ServiceDefinition>,
}

impl Service {
    /// The PRIMARY deployment (the one ECS moves towards).
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }
}

/// awsvpc network settings of a service (reused by the migration task).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsVpc {
    /// Subnet IDs.
    pub subnets: Vec<String>,
    /// Security group IDs.
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED`.
    pub assign_public_ip: Option<String>,
}

/// A deployment's place in its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeploymentStatus {
    /// The newest: what the service moves towards.
    #[default]
    Primary,
    /// An older one still running tasks.
    Active,
    /// Done with.
    Inactive,
}

/// A deployment's rollout state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutState {
    /// Tasks are being replaced.
    InProgress,
    /// Steady state reached.
    Completed,
    /// The circuit breaker (or a timeout) stopped it.
    Failed,
}

impl RolloutState {
    /// As ECS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::InProgress => "IN_PROGRESS",
            RolloutState::Completed => "COMPLETED",
            RolloutState::Failed => "FAILED",
        }
    }
}

/// A service deployment (DescribeServiceDeployments): how ECS reports a
/// deployment of any strategy (ROLLING, BLUE_GREEN, LINEAR, CANARY).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceDeployment {
    /// Its ARN.
    pub arn: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESSFUL`, `STOPPED`, `STOP_REQUESTED`,
    /// `ROLLBACK_REQUESTED`, `ROLLBACK_IN_PROGRESS`, `ROLLBACK_SUCCESSFUL`,
    /// `ROLLBACK_FAILED` (kept as ECS writes it: new values may come).
    pub status: String,
    /// Why, when ECS says.
    pub status_reason: Option<String>,
    /// Where a BLUE_GREEN, LINEAR or CANARY deployment is (`SCALE_UP`,
    /// `BAKE_TIME`, …); None for ROLLING.
    pub lifecycle_stage: Option<String>,
    /// The ARN of the service revision it deploys.
    pub target_revision: Option<String>,
    /// Why it was rolled back, when it was.
    pub rollback_reason: Option<String>,
}

/// An Elastic Load Balancing target group (DescribeTargetGroups), as far
/// as ECS cares: it must exist, be attached to a load balancer, and have
/// target type `ip` for a service in awsvpc network mode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetGroup {
    /// Its ARN.
    pub arn: String,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: Option<String>,
    /// How many load balancers route to it.
    pub load_balancers: usize,
}

/// One deployment of a service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deployment {
    /// Deployment ID.
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: DeploymentStatus,
    /// Its task definition ARN.
    pub task_definition: String,
    /// Rollout state, when ECS reports one.
    pub rollout_state: Option<RolloutState>,
    /// Why, e.g. the circuit breaker's message.
    pub rollout_state_reason: Option<String>,
    /// desiredCount.
    pub desired_count: i32,
    /// runningCount.
    pub running_count: i32,
}

/// A service event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEvent {
    /// Event ID.
    pub id: String,
    /// The message.
    pub message: String,
}

/// A task definition as ECS describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDefinition {
    /// Its ARN.
    pub arn: String,
    /// Family and revision, e.g. `web:42`.
    pub family_revision: String,
    /// The definition as a spec (read-only fields dropped, tags included).
    pub spec: TaskDefinitionSpec,
}

/// A task (DescribeTasks with `TAGS`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Task {
    /// Task ARN.
    pub arn: String,
    /// `PROVISIONING`, `PENDING`, `RUNNING`, `DEPROVISIONING`, `STOPPED`, …
    pub last_status: String,
    /// `RUNNING` or `STOPPED`.
    pub desired_status: String,
    /// `startedBy`, when set.
    pub started_by: Option<String>,
    /// The task definition ARN it runs.
    pub task_definition: String,
    /// Why it stopped.
    pub stopped_reason: Option<String>,
    /// `EssentialContainerExited`, `UserInitiated`, `TaskFailedToStart`, …
    pub stop_code: Option<String>,
    /// Its containers.
    pub containers: Vec<TaskContainer>,
    /// The task's tags.
    pub tags: BTreeMap<String, String>,
}

/// One container of a task.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskContainer {
    /// Container name.
    pub name: String,
    /// Exit code, once it exited.
    pub exit_code: Option<i32>,
    /// Why it stopped (e.g. `CannotPullContainerError: …`).
    pub reason: Option<String>,
}

/// Which tasks ListTasks returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesiredStatus {
    /// Tasks ECS keeps running (the default of ListTasks).
    Running,
    /// Tasks that stopped (ECS lists them for about an hour).
    Stopped,
}

/// CreateService: deckhand's cluster, name, task definition and count, and
/// every other field from the service definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateServiceRequest {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// Task definition ARN.
    pub task_definition: String,
    /// Initial count.
    pub desired_count: i32,
    /// The service definition: all the rest of the call.
    pub definition: std::sync::Arc<crate::servicedef::ServiceDefinition>,
}

/// UpdateService: a new task definition, count and/or configuration, in one call.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateServiceRequest {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// The new task definition ARN, if it changes.
    pub task_definition: Option<String>,
    /// The new count, if it changes.
    pub desired_count: Option<i32>,
    /// The fields of the service definition that change (None: none).
    pub configuration: Option<std::sync::Arc<crate::servicedef::ServiceDefinition>>,
}

impl UpdateServiceRequest {
    /// Only a new count for `service`.
    pub fn count(cluster: &str, service: &str, desired_count: i32) -> UpdateServiceRequest {
        UpdateServiceRequest {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            task_definition: None,
            desired_count: Some(desired_count),
            configuration: None,
        }
    }
}

/// Where and how a one-off task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTaskRequest {
    /// Cluster name.
    pub cluster: String,
    /// Task definition ARN.
    pub task_definition: String,
    /// Container whose command is overridden.
    pub container: String,
    /// The command.
    pub command: Vec<String>,
    /// Launch type, e.g. `FARGATE`.
    pub launch_type: Option<String>,
    /// awsvpc settings.
    pub network: Option<AwsVpc>,
    /// `startedBy`.
    pub started_by: String,
    /// Task tags.
    pub tags: Vec<(String, String)>,
    /// Idempotency token: ECS starts one task however often the same request is retried.
    pub client_token: String,
}

/// What RunTask did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunTaskOutcome {
    /// A task was started: its ARN.
    Started(String),
    /// ECS refused to place it (RunTask `failures`), with why.
    NotStarted(String),
}

/// A target-tracking scaling policy of an ECS service (PutScalingPolicy).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetTrackingPolicy {
    /// The policy name in AWS (`deckhand-<service>-<name>` for deckhand's).
    pub name: String,
    /// `ECSServiceAverageCPUUtilization`, `ECSServiceAverageMemoryUtilization`
    /// or `ALBRequestCountPerTarget`.
    pub predefined_metric: String,
    /// For `ALBRequestCountPerTarget`: the load balancer and target group.
    pub resource_label: Option<String>,
    /// The value the metric is kept at.
    pub target_value: f64,
    /// Seconds after a scale-in before another.
    pub scale_in_cooldown: Option<i32>,
    /// Seconds after a scale-out before another.
    pub scale_out_cooldown: Option<i32>,
    /// The policy only scales out.
    pub disable_scale_in: bool,
}

/// An ECS service's scalable target as Application Auto Scaling describes
/// it: its range and policies, and its suspended state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveAutoscaling {
    /// The range and the target-tracking policies.
    pub target: Autoscaling,
    /// What of its scaling is suspended.
    pub suspended: ScalingSuspension,
}

/// An ECS service's scalable target and its target-tracking policies.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Autoscaling {
    /// MinCapacity.
    pub min_capacity: i32,
    /// MaxCapacity.
    pub max_capacity: i32,
    /// Its target-tracking policies, by name.
    pub policies: Vec<TargetTrackingPolicy>,
}

/// Which of Application Auto Scaling's scaling of a service is suspended
/// (its scalable target's `SuspendedState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScalingSuspension {
    /// Dynamic scale-in suspended.
    pub dynamic_in: bool,
    /// Dynamic scale-out suspended.
    pub dynamic_out: bool,
    /// Scheduled scaling suspended.
    pub scheduled: bool,
}

impl ScalingSuspension {
    /// Everything suspended: the autoscaler leaves the service alone.
    pub const ALL: ScalingSuspension = ScalingSuspension {
        dynamic_in: true,
        dynamic_out: true,
        scheduled: true,
    };

    /// As a tag value: `in=false out=false scheduled=false`.
    pub fn to_tag(self) -> String {
        format!(
            "in={} out={} scheduled={}",
            self.dynamic_in, self.dynamic_out, self.scheduled
        )
    }

    /// Back from [`ScalingSuspension::to_tag`].
    pub fn from_tag(value: &str) -> Option<ScalingSuspension> {
        let mut state = ScalingSuspension::default();
        for part in value.split(' ') {
            let (key, flag) = part.split_once('=')?;
            let flag = flag.parse().ok()?;
            match key {
                "in" => state.dynamic_in = flag,
                "out" => state.dynamic_out = flag,
                "scheduled" => state.scheduled = flag,
                _ => return None,
            }
        }
        Some(state)
    }
}
