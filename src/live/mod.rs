//! What runs in ECS now, for one environment: the cluster's recorded schema
//! revision, each service's task definition and counts, and (only when a
//! migration will run) the latest migration task definition.
//!
//! [`fetch`] makes the minimum of calls: one DescribeClusters, ⌈S/10⌉
//! DescribeServices, one DescribeTaskDefinition per distinct live ARN (cached),
//! plus one for the migration family when the revision differs. The result is
//! plain data, so the planner stays pure.

use crate::ecs::{Ecs, EcsError, ScalingSuspension, Service, TaskDefinition};
use crate::spec::Environment;
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
    pub migration_task_definition: Option<Arc<TaskDefinition>>,
}

/// One existing ECS service and the task definition it runs.
#[derive(Debug, Clone)]
pub struct LiveService {
    /// The service as ECS describes it.
    pub service: Service,
    /// The task definition the service runs.
    pub task_definition: Arc<TaskDefinition>,
    /// The count before deckhand scaled it to 0 for a migration, while it is
    /// quiesced (tag [`QUIESCED_FROM_TAG`]); survives a crashed apply.
    pub quiesced_from: Option<i32>,
    /// Its Application Auto Scaling state, when it is a scalable target
    /// (read only for quiesce services, and only when a migration will run).
    pub scaling: Option<ScalingSuspension>,
    /// The scaling state before deckhand suspended it for a migration (tag
    /// [`SCALING_SUSPENDED_FROM_TAG`]); survives a crashed apply.
    pub scaling_suspended_from: Option<ScalingSuspension>,
}

/// Service tag holding the pre-quiesce count while a service is quiesced.
pub const QUIESCED_FROM_TAG: &str = "deckhand:quiesced-from";
/// Service tag holding the scaling state to resume while deckhand holds a
/// quiesced service's Application Auto Scaling suspended.
pub const SCALING_SUSPENDED_FROM_TAG: &str = "deckhand:scaling-suspended-from";
/// Service tag holding the config commit last applied to it.
pub const COMMIT_TAG: &str = "deckhand:commit";
/// One-off task tag holding the schema revision a migration task applies.
pub const REVISION_TASK_TAG: &str = "deckhand:revision";

/// Read the live state of `env` from ECS.
pub async fn fetch<E: Ecs>(ecs: &E, env: &Environment) -> Result<LiveEnvironment, EcsError> {
    let cluster = ecs.describe_cluster(&env.cluster).await?;
    let recorded_revision = cluster.tags.get(&env.revision_tag()).cloned();
    let names: Vec<String> = env.services.iter().map(|s| s.name.clone()).collect();
    let described = ecs.describe_services(&env.cluster, &names).await?;
    let arns: Vec<String> = described
        .iter()
        .map(|s| s.task_definition.clone())
        .collect();
    let task_definitions = crate::ecs::describe_task_definitions(ecs, &arns).await?;
    let mut services: BTreeMap<String, LiveService> = BTreeMap::new();
    for s in described {
        let Some(td) = task_definitions.get(&s.task_definition).cloned() else {
            continue;
        };
        services.insert(s.name.clone(), live_service(s, td));
    }
    let migration_will_run = env
        .migration
        .as_ref()
        .is_some_and(|m| recorded_revision.as_deref() != Some(m.revision.as_str()));
    let migration_task_definition = if migration_will_run {
        ecs.describe_task_definition(&env.migration_family())
            .await?
    } else {
        None
    };
    // Quiesce services that autoscale get their scaling suspended: read it
    // only when a migration will run (one DescribeScalableTargets).
    let quiesce: Vec<String> = env
        .migration
        .iter()
        .flat_map(|m| m.quiesce.iter())
        .filter(|name| services.contains_key(*name))
        .cloned()
        .collect();
    if migration_will_run && !quiesce.is_empty() {
        for (name, state) in ecs.scaling_of(&env.cluster, &quiesce).await? {
            if let Some(s) = services.get_mut(&name) {
                s.scaling = Some(state);
            }
        }
    }
    Ok(LiveEnvironment {
        cluster_arn: cluster.arn,
        recorded_revision,
        cluster_tags: cluster.tags,
        services,
        migration_task_definition,
    })
}

fn live_service(service: Service, task_definition: Arc<TaskDefinition>) -> LiveService {
    LiveService {
        quiesced_from: service
            .tags
            .get(QUIESCED_FROM_TAG)
            .and_then(|v| v.parse().ok()),
        scaling: None,
        scaling_suspended_from: service
            .tags
            .get(SCALING_SUSPENDED_FROM_TAG)
            .and_then(|v| ScalingSuspension::from_tag(v)),
        service,
        task_definition,
    }
}
