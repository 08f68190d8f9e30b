//! What the controller shows of one environment beyond its last result: what
//! the spec asks for, what runs in ECS now (per service: task definition,
//! counts, rollout, commit) and the pending plan while out of sync. Built by
//! [`observe`], a pure function of the spec, the live state and the plan, on
//! every reconcile; `/status` and the web UI read it.

use super::policy::{SyncDecision, sync_decision};
use crate::live::LiveEnvironment;
use crate::plan::{Diff, Plan, Step};
use crate::spec::Environment;
use crate::tags;
use serde::Serialize;

/// What the spec of the commit last read asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Wanted {
    /// The ECS cluster.
    pub cluster: String,
    /// The region, when the spec sets one.
    pub region: Option<String>,
    /// The release image.
    pub image: String,
    /// The schema revision (None without a migration block).
    pub revision: Option<String>,
    /// Differences between git and ECS that `ignore:` rules hide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<crate::plan::Ignored>,
    /// Ignore rules that match nothing, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Who signed the commit, under `--trust`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
}

/// One ECS service as it runs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    /// Service name.
    pub name: String,
    /// The task definition it runs, as `family:revision`.
    pub task_definition: String,
    /// The image of its release container.
    pub image: Option<String>,
    /// runningCount.
    pub running: i32,
    /// desiredCount.
    pub desired: i32,
    /// pendingCount.
    pub pending: i32,
    /// The PRIMARY deployment's rollout state (`IN_PROGRESS`, `COMPLETED`,
    /// `FAILED`), or `STEADY` when ECS reports none and one deployment runs.
    pub rollout: String,
    /// Why, when ECS says (the circuit breaker's message).
    pub rollout_reason: Option<String>,
    /// The config commit deckhand last applied to it (`deckhand:commit`).
    pub commit: Option<String>,
    /// The count to restore, while deckhand holds it quiesced for a migration.
    pub quiesced_from: Option<i32>,
}

/// What runs in ECS now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveView {
    /// The schema revision recorded on the cluster.
    pub revision: Option<String>,
    /// The spec's services that exist, in spec order.
    pub services: Vec<ServiceView>,
    /// The spec's services that do not exist yet.
    pub missing: Vec<String>,
}

/// The steps an apply would carry out now, and the task-definition diffs
/// (secret-looking values already masked by the planner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingView {
    /// True when the commit was applied and ECS was changed outside git.
    pub drift: bool,
    /// The `sync` setting that keeps the controller from applying it (None:
    /// it is applied).
    pub held_by: Option<&'static str>,
    /// The steps in order, in words.
    pub steps: Vec<String>,
    /// Unified diffs, live → desired.
    pub diffs: Vec<Diff>,
}

/// Everything one reconcile saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The spec's asks.
    pub wanted: Wanted,
    /// ECS now.
    pub live: LiveView,
    /// The plan, when it has steps.
    pub pending: Option<PendingView>,
}

/// Describe `live` against `env` and its `plan`: pure.
pub fn observe(env: &Environment, live: &LiveEnvironment, plan: &Plan, drift: bool) -> Observation {
    let mut services = Vec::with_capacity(env.services.len());
    let mut missing = Vec::new();
    for spec in &env.services {
        let Some(found) = live.services.get(&spec.name) else {
            missing.push(spec.name.clone());
            continue;
        };
        let s = &found.service;
        let primary = s.primary();
        let rollout = match primary.and_then(|d| d.rollout_state) {
            Some(state) => state.as_str().to_owned(),
            None if s.deployments.len() > 1 => "IN_PROGRESS".to_owned(),
            None => "STEADY".to_owned(),
        };
        let image = found
            .task_definition
            .spec
            .container_definitions
            .iter()
            .flatten()
            .find(|c| c.name.as_deref() == Some(spec.container.as_str()))
            .and_then(|c| c.image.clone());
        services.push(ServiceView {
            name: spec.name.clone(),
            task_definition: found.task_definition.family_revision.clone(),
            image,
            running: s.running_count,
            desired: s.desired_count,
            pending: s.pending_count,
            rollout,
            rollout_reason: primary.and_then(|d| d.rollout_state_reason.clone()),
            commit: s.tags.get(tags::COMMIT).cloned(),
            quiesced_from: found.quiesced_from,
        });
    }
    Observation {
        wanted: Wanted {
            cluster: env.cluster.clone(),
            region: env.region.clone(),
            image: env.image.clone(),
            revision: env.migration.as_ref().map(|m| m.revision.clone()),
            ignored: plan.ignored.clone(),
            warnings: plan.warnings.clone(),
            signed_by: env.signer.clone(),
        },
        live: LiveView {
            revision: live.recorded_revision.clone(),
            services,
            missing,
        },
        pending: plan.changed.then(|| PendingView {
            drift,
            held_by: match sync_decision(&env.sync, drift) {
                SyncDecision::Apply => None,
                SyncDecision::Report(setting) => Some(setting),
            },
            steps: plan.steps.iter().map(Step::to_string).collect(),
            diffs: plan.diffs.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::fake::FakeEcs;
    use crate::spec::render;
    use crate::testkit;

    #[tokio::test]
    async fn services_show_what_runs_and_the_plan_what_would_change() {
        let env = testkit::environment("shop:2", Some("r2"));
        let old = testkit::environment("shop:1", Some("r1"));
        let fake = FakeEcs::default();
        fake.add_cluster(&env.cluster, &[(&env.revision_tag(), "r1")]);
        for s in &old.services {
            let td = render::service_task_definition(&old, s);
            fake.add_service(&env.cluster, &s.name, &td, 2, &[(tags::COMMIT, "c0ffee")]);
        }
        let live = crate::live::fetch(&fake, &env).await.unwrap();
        let plan = crate::plan::plan(&env, Some("abc"), &live).unwrap();
        let seen = observe(&env, &live, &plan, false);

        assert_eq!(seen.wanted.image, "shop:2");
        assert_eq!(seen.wanted.revision.as_deref(), Some("r2"));
        assert_eq!(seen.live.revision.as_deref(), Some("r1"));
        assert!(seen.live.missing.is_empty());
        let web = &seen.live.services[0];
        assert_eq!(web.name, "web");
        assert_eq!(web.image.as_deref(), Some("shop:1"));
        assert_eq!((web.running, web.desired, web.pending), (2, 2, 0));
        assert_eq!(web.commit.as_deref(), Some("c0ffee"));
        assert!(web.task_definition.contains(':'), "{web:?}");
        let pending = seen.pending.expect("an image bump is pending");
        assert!(!pending.drift);
        assert!(
            pending
                .steps
                .iter()
                .any(|s| s.starts_with("migrate schema r1 → r2"))
        );
        assert_eq!(pending.held_by, None, "sync.auto applies it");
        let lines: Vec<&str> = pending
            .diffs
            .iter()
            .flat_map(|d| d.unified.lines())
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with('-') && l.contains("\"shop:1\""))
                && lines
                    .iter()
                    .any(|l| l.starts_with('+') && l.contains("\"shop:2\"")),
            "{lines:?}"
        );

        let mut held = env.clone();
        held.sync.auto = false;
        let seen = observe(&held, &live, &plan, false);
        assert_eq!(seen.pending.unwrap().held_by, Some("sync.auto is false"));
    }

    #[tokio::test]
    async fn a_missing_service_is_listed_and_nothing_is_pending_in_sync() {
        let env = testkit::environment("shop:1", Some("r2"));
        let fake = FakeEcs::default();
        fake.add_cluster(&env.cluster, &[(&env.revision_tag(), "r2")]);
        let web = &env.services[0];
        fake.add_service(
            &env.cluster,
            &web.name,
            &render::service_task_definition(&env, web),
            2,
            &[],
        );
        let live = crate::live::fetch(&fake, &env).await.unwrap();
        // The planner refuses a missing service without `create`; the view still shows it.
        let nothing = Plan {
            environment: env.name.clone(),
            commit: None,
            signed_by: None,
            changed: false,
            steps: vec![],
            diffs: vec![],
            ignored: vec![],
            warnings: vec![],
            services: vec![],
            cluster: env.cluster.clone(),
        };
        let seen = observe(&env, &live, &nothing, false);
        assert_eq!(seen.live.missing, vec!["worker".to_owned()]);
        assert_eq!(seen.live.services.len(), 1);
        assert_eq!(seen.live.services[0].rollout, "COMPLETED");
        assert_eq!(seen.pending, None);
    }
}
