//! What runs in ECS now, for one environment: the cluster's recorded schema
//! revision, each service's task definition and counts, and (only when a
//! migration will run) the latest migration task definition.
//!
//! [`fetch`] makes the minimum of calls: one DescribeClusters, ⌈S/10⌉
//! DescribeServices, one DescribeTaskDefinition per distinct live ARN (cached),
//! plus one for the migration family when the revision differs. The result is
//! plain data, so the planner stays pure.
//!
//! [`express`] tells apart the services that ECS Express Mode manages, which
//! deckhand refuses to manage.

pub mod express;

use crate::ecs::{AwsError, Ecs, ScalingSuspension, Service, TaskDefinition};
use crate::spec::Environment;
use crate::tags;
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
    /// A release that started and has not ended (its cluster tag is still
    /// there): one in progress, or one a stopped deckhand left.
    pub unfinished: Option<UnfinishedRelease>,
}

/// A release whose in-progress tag is on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedRelease {
    /// Who started it, and when.
    pub id: ReleaseId,
    /// The config commit it releases (12 characters; None for a plain directory).
    pub commit: Option<String>,
    /// Its history record, when it was written before the release stopped
    /// (its result is decided; only the bookkeeping after it is left).
    pub recorded: Option<crate::history::Release>,
}

/// What identifies one release: when it started (RFC 3339, seconds) and the
/// lease owner that started it. Its in-progress tag, its migration task and
/// its history record carry it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseId {
    /// RFC 3339, seconds.
    pub started: String,
    /// `host:pid:nonce`.
    pub by: String,
}

impl ReleaseId {
    /// As a tag value: `<started> <by>`.
    pub fn to_tag(&self) -> String {
        format!("{} {}", self.started, self.by)
    }

    /// The in-progress tag's value: `<commit or -> <started> <by>`.
    pub fn in_progress_tag(&self, commit: Option<&str>) -> String {
        format!(
            "{} {}",
            commit.map(crate::source::short_sha).unwrap_or("-"),
            self.to_tag()
        )
    }
}

/// Parse the in-progress tag's value.
pub fn parse_in_progress(value: &str) -> Option<(Option<String>, ReleaseId)> {
    let mut parts = value.split(' ');
    let (commit, started, by) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || started.is_empty() || by.is_empty() {
        return None;
    }
    let id = ReleaseId {
        started: started.to_owned(),
        by: by.to_owned(),
    };
    Some(((commit != "-").then(|| commit.to_owned()), id))
}

/// How many of the newest history records are searched for an unfinished
/// release's own (it is the newest unless other releases ran since).
const UNFINISHED_RECORD_SEARCH: usize = 5;

/// One existing ECS service and the task definition it runs.
#[derive(Debug, Clone)]
pub struct LiveService {
    /// The service as ECS describes it.
    pub service: Service,
    /// The task definition the service runs.
    pub task_definition: Arc<TaskDefinition>,
    /// The count before deckhand scaled it to 0 for a migration, while it is
    /// quiesced (tag [`tags::QUIESCED_FROM`]); survives a crashed apply.
    pub quiesced_from: Option<i32>,
    /// Its Application Auto Scaling state, when it is a scalable target
    /// (read for quiesce services when a migration will run, and with a
    /// declared `autoscaling`).
    pub scaling: Option<ScalingSuspension>,
    /// Its scalable target and policies, read for services that declare
    /// `autoscaling` (None: not a scalable target, or not read).
    pub autoscaling: Option<crate::ecs::Autoscaling>,
    /// The scaling state before deckhand suspended it for a migration (tag
    /// [`tags::SCALING_SUSPENDED_FROM`]); survives a crashed apply.
    pub scaling_suspended_from: Option<ScalingSuspension>,
}

/// Read the live state of `env` from ECS.
pub async fn fetch<E: Ecs>(ecs: &E, env: &Environment) -> Result<LiveEnvironment, AwsError> {
    let cluster = ecs.describe_cluster(&env.cluster).await?;
    let recorded_revision = cluster.tags.get(&env.revision_tag()).cloned();
    let names: Vec<String> = env.services.iter().map(|s| s.name.clone()).collect();
    let described = ecs.describe_services(&env.cluster, &names).await?;
    // ECS Express Mode services are ECS's to manage, not deckhand's.
    if let Some(express) = express::ExpressServices::among(
        described
            .iter()
            .map(|s| (s.name.as_str(), s.resource_management_type.as_deref())),
    ) {
        return Err(express.into());
    }
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
    read_scaling(ecs, env, migration_will_run, &mut services).await?;
    // Only when a release was interrupted (or is running): is its record written?
    let unfinished = match cluster
        .tags
        .get(&env.release_tag())
        .and_then(|v| parse_in_progress(v))
    {
        Some((commit, id)) => {
            let records = crate::history::list(ecs, &env.name, UNFINISHED_RECORD_SEARCH).await?;
            let recorded = records
                .into_iter()
                .map(|r| r.release)
                .find(|r| r.started == id.started && r.by == id.by);
            Some(UnfinishedRelease {
                id,
                commit,
                recorded,
            })
        }
        None => None,
    };
    Ok(LiveEnvironment {
        cluster_arn: cluster.arn,
        recorded_revision,
        cluster_tags: cluster.tags,
        services,
        migration_task_definition,
        unfinished,
    })
}

/// The Application Auto Scaling state the plan needs: the suspended state
/// of quiesce services when a migration will run (one
/// DescribeScalableTargets), and the targets and policies of the services
/// that declare `autoscaling`.
async fn read_scaling<E: Ecs>(
    ecs: &E,
    env: &Environment,
    migration_will_run: bool,
    services: &mut BTreeMap<String, LiveService>,
) -> Result<(), AwsError> {
    let declared: Vec<String> = env
        .services
        .iter()
        .filter(|s| s.autoscaling.is_some() && services.contains_key(&s.name))
        .map(|s| s.name.clone())
        .collect();
    if !declared.is_empty() {
        for (name, live) in ecs.autoscaling_of(&env.cluster, &declared).await? {
            if let Some(s) = services.get_mut(&name) {
                s.scaling = Some(live.suspended);
                s.autoscaling = Some(live.target);
            }
        }
    }
    // A quiesce service's suspended state, read once: with its declared
    // autoscaling above, or here.
    let quiesce: Vec<String> = env
        .migration
        .iter()
        .flat_map(|m| m.quiesce.iter())
        .filter(|name| services.contains_key(*name) && !declared.contains(name))
        .cloned()
        .collect();
    if migration_will_run && !quiesce.is_empty() {
        for (name, state) in ecs.scaling_of(&env.cluster, &quiesce).await? {
            if let Some(s) = services.get_mut(&name) {
                s.scaling = Some(state);
            }
        }
    }
    Ok(())
}

fn live_service(service: Service, task_definition: Arc<TaskDefinition>) -> LiveService {
    LiveService {
        quiesced_from: service
            .tags
            .get(tags::QUIESCED_FROM)
            .and_then(|v| v.parse().ok()),
        scaling: None,
        autoscaling: None,
        scaling_suspended_from: service
            .tags
            .get(tags::SCALING_SUSPENDED_FROM)
            .and_then(|v| ScalingSuspension::from_tag(v)),
        service,
        task_definition,
    }
}
