//! What runs in ECS now, for one environment: the cluster's recorded schema
//! revision, each service's task definition and counts, and (only when a
//! migration will run) the latest migration task definition.
//!
//! [`fetch`] makes the minimum of calls: one DescribeClusters, ⌈S/10⌉
//! DescribeServices, one DescribeTaskDefinition per distinct live ARN (cached),
//! plus one for the migration family when the revision differs. The result is
//! plain data, so the planner stays pure.

pub mod ecs;
pub mod mutate;

use crate::spec::Environment;
pub use ecs::{DescribedTaskDefinition, Ecs, EcsError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The live state of one environment.
#[derive(Debug, Clone)]
pub struct LiveEnvironment {
    /// Cluster ARN.
    pub cluster_arn: String,
    /// The schema revision recorded on the cluster, if any.
    pub recorded_revision: Option<String>,
    /// The cluster's tags (revision, lease, last release).
    pub cluster_tags: BTreeMap<String, String>,
    /// Services of the spec that exist, by name.
    pub services: BTreeMap<String, LiveService>,
    /// The latest `<env>-migrate` definition; fetched only when a migration will run.
    pub migration_task_definition: Option<Arc<DescribedTaskDefinition>>,
}

/// One existing ECS service.
#[derive(Debug, Clone)]
pub struct LiveService {
    /// Service name.
    pub name: String,
    /// Service ARN.
    pub arn: String,
    /// The task definition the service runs.
    pub task_definition: Arc<DescribedTaskDefinition>,
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
    /// The count before deckhand scaled it to 0 for a migration, while it is
    /// quiesced (tag [`QUIESCED_FROM_TAG`]); survives a crashed apply.
    pub quiesced_from: Option<i32>,
}

/// Service tag holding the pre-quiesce count while a service is quiesced.
pub const QUIESCED_FROM_TAG: &str = "deckhand:quiesced-from";
/// Service tag holding the config commit last applied to it.
pub const COMMIT_TAG: &str = "deckhand:commit";
/// One-off task tag holding the schema revision a migration task applies.
pub const REVISION_TASK_TAG: &str = "deckhand:revision";

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

/// One deployment of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Deployment ID.
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Its task definition ARN.
    pub task_definition: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub rollout_state: Option<String>,
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

/// Read the live state of `env` from ECS.
pub async fn fetch(ecs: &Ecs, env: &Environment) -> Result<LiveEnvironment, EcsError> {
    let cluster = ecs.describe_cluster(&env.cluster).await?;
    let recorded_revision = cluster.tags.get(&env.revision_tag()).cloned();
    let names: Vec<String> = env.services.iter().map(|s| s.name.clone()).collect();
    let described = ecs.describe_services(&env.cluster, &names).await?;
    let arns: Vec<String> = described
        .values()
        .filter_map(|s| s.task_definition().map(str::to_owned))
        .collect();
    let task_definitions = ecs.task_definitions(&arns).await?;
    let mut services = BTreeMap::new();
    for (name, s) in described {
        let Some(td) = s
            .task_definition()
            .and_then(|arn| task_definitions.get(arn))
            .cloned()
        else {
            continue;
        };
        services.insert(name.clone(), live_service(name, &s, td));
    }
    let migration_will_run = env
        .migration
        .as_ref()
        .is_some_and(|m| recorded_revision.as_deref() != Some(m.revision.as_str()));
    let migration_task_definition = if migration_will_run {
        ecs.latest_task_definition(&env.migration_family()).await?
    } else {
        None
    };
    Ok(LiveEnvironment {
        cluster_arn: cluster.arn,
        recorded_revision,
        cluster_tags: cluster.tags,
        services,
        migration_task_definition,
    })
}

fn live_service(
    name: String,
    s: &aws_sdk_ecs::types::Service,
    task_definition: Arc<DescribedTaskDefinition>,
) -> LiveService {
    let network = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map(|v| AwsVpc {
            subnets: v.subnets().to_vec(),
            security_groups: v.security_groups().to_vec(),
            assign_public_ip: v.assign_public_ip().map(|a| a.as_str().to_owned()),
        });
    LiveService {
        name,
        arn: s.service_arn().unwrap_or_default().to_owned(),
        task_definition,
        desired_count: s.desired_count(),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        launch_type: s.launch_type().map(|l| l.as_str().to_owned()),
        network,
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or_default().to_owned(),
                status: d.status().unwrap_or_default().to_owned(),
                task_definition: d.task_definition().unwrap_or_default().to_owned(),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_owned()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                desired_count: d.desired_count(),
                running_count: d.running_count(),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .take(20)
            .map(|e| ServiceEvent {
                id: e.id().unwrap_or_default().to_owned(),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect(),
        quiesced_from: s
            .tags()
            .iter()
            .find(|t| t.key() == Some(QUIESCED_FROM_TAG))
            .and_then(|t| t.value()?.parse().ok()),
        tags: s
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect(),
    }
}
