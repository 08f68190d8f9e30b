//! The planner: a pure function from the desired environment (the spec) and
//! the live one (what ECS runs) to the ordered steps `apply` carries out, plus
//! a unified diff of every task definition that changes.
//!
//! No I/O here: no SDK, no tokio, no git. Steps follow the contract's order:
//! register-task-definition → create-service → quiesce → migrate →
//! update-service. Task definitions are compared after [`normalize`], so what
//! ECS adds or reorders is not a change.

pub mod ignore;
pub mod normalize;
pub mod service_definition;
mod step;

use crate::ecs::{Autoscaling, CreateServiceRequest, TargetTrackingPolicy};
use crate::live::{LiveEnvironment, LiveService};
use crate::spec::ignore::Target;
use crate::spec::{Environment, Service, render};
use crate::tags;
use crate::taskdef::model::TaskDefinitionSpec;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

pub use step::*;

/// A unified diff of one task definition or service definition, live → desired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// What is compared.
    pub kind: DiffKind,
    /// The service (or the migration family).
    pub service: String,
    /// `--- live` / `+++ desired` unified diff of the normalized JSON.
    pub unified: String,
}

/// What a [`Diff`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DiffKind {
    /// The task definition (RegisterTaskDefinition JSON).
    TaskDefinition,
    /// The service definition's declared fields (CreateService JSON).
    ServiceDefinition,
    /// The scalable target's range and deckhand's scaling policies.
    Autoscaling,
}

impl DiffKind {
    /// Its name in headings: "Task definition", "Service definition".
    pub fn title(self) -> &'static str {
        match self {
            DiffKind::TaskDefinition => "Task definition",
            DiffKind::ServiceDefinition => "Service definition",
            DiffKind::Autoscaling => "Autoscaling",
        }
    }
}

/// What happens to one service, for the one-line summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    /// Service name.
    pub service: String,
    /// What apply does to it.
    pub change: ServiceChange,
    /// Why, in words: `image shop:1 → shop:2`, `desiredCount 2 → 3`.
    pub reasons: Vec<String>,
    /// Scaled to 0 around the migration.
    pub quiesce: Option<CountChange>,
}

/// The kind of change to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceChange {
    /// Nothing to do.
    Unchanged,
    /// UpdateService.
    Update,
    /// CreateService.
    Create,
    /// Only the commit is recorded.
    Record,
}

/// The plan for one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Environment name.
    pub environment: String,
    /// The config commit planned from (None for a plain directory).
    pub commit: Option<String>,
    /// Who signed it, when `--trust` checked it.
    #[serde(rename = "signedBy", skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// True exactly when `steps` is not empty.
    pub changed: bool,
    /// Ordered steps.
    pub steps: Vec<Step>,
    /// Diffs of changed task definitions.
    pub diffs: Vec<Diff>,
    /// Fields where git and live differ that ignore rules keep at their
    /// live value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Ignored>,
    /// What the user should look at: ignore rules that matched nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Per-service summary (not part of the JSON contract).
    #[serde(skip)]
    pub services: Vec<ServiceSummary>,
    /// The cluster (for reports).
    #[serde(skip)]
    pub cluster: String,
}

impl Plan {
    /// How many differences between git and live ignore rules hide in `service`.
    pub fn ignored_in(&self, service: &str) -> usize {
        self.ignored.iter().filter(|i| i.service == service).count()
    }
}

/// A field an ignore rule kept at its live value, where git differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// The service.
    pub service: String,
    /// The definition.
    pub kind: crate::spec::ignore::Target,
    /// The pointer, as the rule writes it.
    pub pointer: String,
    /// The rule's index in `ignore:`.
    pub rule: usize,
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A service of the spec does not exist and has no `create`.
    #[error(
        "{file}: services.{service}: service '{service}' does not exist in cluster '{cluster}'\n  hint: create it in ECS, or add `serviceDefinition: service-definitions/{service}.json` (CreateService input) to the service"
    )]
    MissingService {
        file: String,
        service: String,
        cluster: String,
    },
    /// An ignore rule points into a container no definition has.
    #[error(
        "{file}: ignore[{rule}]: {pointer} names container '{container}', which neither the task definition in git nor the live one has (service{} {}); nothing was changed\n  hint: write the name of a container of the task definition, or remove the pointer",
        if services.len() == 1 { "" } else { "s" },
        services.join(", ")
    )]
    IgnoredContainerMissing {
        file: String,
        rule: usize,
        pointer: String,
        container: String,
        /// The services the rule is for.
        services: Vec<String>,
    },
    /// A declared field differs that UpdateService cannot change.
    #[error(
        "{file}: {service}: `{field}` differs from what service '{service}' runs, and UpdateService cannot change it; nothing was changed\n  hint: {hint}"
    )]
    NotUpdatable {
        /// The service-definition file.
        file: String,
        service: String,
        /// The field, camelCase.
        field: String,
        /// What to do.
        hint: String,
    },
}

/// Plan `env` against `live`. `commit` is the config commit being planned.
pub fn plan(
    env: &Environment,
    commit: Option<&str>,
    live: &LiveEnvironment,
) -> Result<Plan, PlanError> {
    // A release whose result is recorded is only finished, nothing else.
    if let Some(plan) = finish_only(env, commit, live) {
        return Ok(plan);
    }
    let mut planning = Planning {
        env,
        commit,
        live,
        released_before: released_before(env, live),
        migrate: None,
        steps: Steps::default(),
        diffs: Vec::new(),
        summaries: Vec::new(),
        ignoring: ignore::Tally::default(),
    };
    planning.migrate = planning.migration();
    for service in &env.services {
        let rendered = render::service_task_definition(env, service);
        match live.services.get(&service.name) {
            None => planning.create(service, rendered)?,
            Some(current) => planning.existing(service, current, rendered)?,
        }
    }
    let warnings = planning.ignoring.verdict(env)?;
    let mut plan = planning.into_plan();
    plan.warnings = warnings;
    Ok(plan)
}

/// The plan of an interrupted release whose result is recorded: finishing
/// it, and nothing else (the next plan shows what the spec still asks).
fn finish_only(env: &Environment, commit: Option<&str>, live: &LiveEnvironment) -> Option<Plan> {
    let unfinished = live.unfinished.as_ref()?;
    let recorded = unfinished.recorded.as_ref()?;
    let steps = vec![Step::FinishRelease(FinishRelease {
        release: unfinished.id.clone(),
        commit: unfinished.commit.clone(),
        finish: Finish::Record,
        recorded: Some(Box::new(recorded.clone())),
    })];
    let services = env
        .services
        .iter()
        .map(|s| ServiceSummary {
            service: s.name.clone(),
            change: ServiceChange::Unchanged,
            reasons: Vec::new(),
            quiesce: None,
        })
        .collect();
    Some(Plan {
        environment: env.name.clone(),
        commit: commit.map(str::to_owned),
        signed_by: env.signer.clone(),
        changed: true,
        steps,
        diffs: Vec::new(),
        ignored: Vec::new(),
        warnings: Vec::new(),
        services,
        cluster: env.cluster.clone(),
    })
}

/// Commits are recorded only where deckhand released before: services
/// adopted from outside carry no commit until their first release. A
/// release that started (its in-progress tag, a marker it left, or the
/// result it recorded on the cluster) is evidence enough, even if it
/// stopped or failed before it tagged any service.
fn released_before(env: &Environment, live: &LiveEnvironment) -> bool {
    live.unfinished.is_some()
        || live.cluster_tags.contains_key(&env.last_release_tag())
        || live.services.values().any(|s| {
            s.service.tags.contains_key(tags::COMMIT)
                || s.service.tags.contains_key(tags::QUIESCED_FROM)
                || s.scaling_suspended_from.is_some()
        })
}

/// The migration a plan runs: its block, the rendered definition, whether
/// to register it, and the ARN of the live one.
struct PlannedMigration<'e> {
    block: &'e crate::spec::Migration,
    rendered: TaskDefinitionSpec,
    register: bool,
    current_arn: Option<String>,
}

/// The steps of a plan by kind, in the order they run.
#[derive(Default)]
struct Steps {
    registers: Vec<Step>,
    creates: Vec<Step>,
    quiesces: Vec<Step>,
    updates: Vec<Step>,
    autoscaling: Vec<Step>,
    resumes: Vec<Step>,
    records: Vec<Step>,
    /// Services at 0 (or about to be) while the migration runs.
    quiesced: Vec<QuiescedService>,
}

/// A plan being made: what it reads and what it has decided so far.
struct Planning<'a> {
    env: &'a Environment,
    commit: Option<&'a str>,
    live: &'a LiveEnvironment,
    released_before: bool,
    migrate: Option<PlannedMigration<'a>>,
    steps: Steps,
    diffs: Vec<Diff>,
    summaries: Vec<ServiceSummary>,
    /// What the ignore rules found.
    ignoring: ignore::Tally,
}

impl<'a> Planning<'a> {
    /// The migration, when the recorded revision is not the spec's.
    fn migration(&mut self) -> Option<PlannedMigration<'a>> {
        let (env, live) = (self.env, self.live);
        let block = env.migration.as_ref()?;
        if live.recorded_revision.as_deref() == Some(block.revision.as_str()) {
            return None;
        }
        let mut rendered =
            render::migration_task_definition(env).expect("a validated migration names a service");
        if let Some(current) = &live.migration_task_definition {
            // The networkFrom service's rules, quietly: the migration is its copy.
            rendered = ignore::task_definition(env, &block.network_from, rendered, &current.spec).0;
        }
        let desired = comparable(&rendered);
        let current = live
            .migration_task_definition
            .as_ref()
            .map(|d| (d.arn.clone(), comparable(&d.spec)));
        let register = current.as_ref().is_none_or(|(_, c)| *c != desired);
        // A first migration definition is the networkFrom service's with
        // another command: its diff would be noise. Later ones are shown.
        if register && let Some((_, current)) = &current {
            self.diffs.push(Diff {
                kind: DiffKind::TaskDefinition,
                service: env.migration_family(),
                unified: unified_diff(Some(current), &desired),
            });
        }
        Some(PlannedMigration {
            block,
            rendered,
            register,
            current_arn: current.map(|(arn, _)| arn),
        })
    }

    /// Register `rendered` for `service`, with its diff against `live`.
    fn register(
        &mut self,
        service: &Service,
        rendered: TaskDefinitionSpec,
        live: Option<&Value>,
        desired: &Value,
    ) {
        self.diffs.push(Diff {
            kind: DiffKind::TaskDefinition,
            service: service.name.clone(),
            unified: unified_diff(live, desired),
        });
        self.steps
            .registers
            .push(Step::RegisterTaskDefinition(RegisterTaskDefinition {
                service: service.name.clone(),
                family: service.family.clone(),
                task_definition: Box::new(rendered),
            }));
    }

    /// A service that does not exist: registered and created, or an error.
    fn create(&mut self, service: &Service, rendered: TaskDefinitionSpec) -> Result<(), PlanError> {
        let env = self.env;
        let Some(definition) = &service.service_definition else {
            return Err(PlanError::MissingService {
                file: env.file.clone(),
                service: service.name.clone(),
                cluster: env.cluster.clone(),
            });
        };
        // An autoscaled service starts at its minimum.
        let count = service
            .desired_count
            .or(service.autoscaling.as_ref().map(|a| a.min_capacity))
            .unwrap_or(0);
        let desired = comparable(&rendered);
        self.register(service, rendered, None, &desired);
        self.steps.creates.push(Step::CreateService(CreateService {
            service: service.name.clone(),
            request: Box::new(CreateServiceRequest {
                cluster: env.cluster.clone(),
                service: service.name.clone(),
                task_definition: String::new(),
                desired_count: count,
                definition: definition.definition.clone(),
            }),
            service_arn: format!(
                "{}/{}",
                self.live.cluster_arn.replace(":cluster/", ":service/"),
                service.name
            ),
        }));
        self.autoscaling(service, None);
        self.summaries.push(ServiceSummary {
            service: service.name.clone(),
            change: ServiceChange::Create,
            reasons: vec![format!("create with desiredCount {count}")],
            quiesce: None,
        });
        Ok(())
    }

    /// A service that exists: its definition, its count around the
    /// migration, and what an interrupted release left on it.
    fn existing(
        &mut self,
        service: &Service,
        current: &LiveService,
        rendered: TaskDefinitionSpec,
    ) -> Result<(), PlanError> {
        let (rendered, outcomes) = ignore::task_definition(
            self.env,
            &service.name,
            rendered,
            &current.task_definition.spec,
        );
        self.ignoring
            .record(&service.name, Target::TaskDefinition, &outcomes);
        let desired = comparable(&rendered);
        let live_td = comparable(&current.task_definition.spec);
        let td_changed = desired != live_td;
        let mut reasons = Vec::new();
        if td_changed {
            reasons = change_reasons(&live_td, &desired, &service.container);
            self.register(service, rendered, Some(&live_td), &desired);
        }
        let configuration = self.configuration(service, current)?;
        if let Some(cmp) = &configuration {
            if !cmp.fields.is_empty() {
                reasons.push(format!("service definition: {}", cmp.fields.join(", ")));
            }
            if !cmp.tags.is_empty() {
                reasons.push("service tags".to_owned());
            }
        }
        if self.autoscaling(service, current.autoscaling.as_ref()) {
            reasons.push("autoscaling".to_owned());
        }
        let counts = self.counts(service, current);
        match (counts.change, counts.quiesce) {
            (Some(change), None) => {
                reasons.push(format!("desiredCount {} → {}", change.from, change.to));
            }
            (Some(_), Some(_)) if reasons.is_empty() => {
                reasons.push("back to its count after the migration".into());
            }
            _ => {}
        }
        let changed = td_changed || counts.change.is_some() || configuration.is_some();
        if changed {
            let update = update_step(service, current, td_changed, &counts, configuration);
            self.steps.updates.push(Step::UpdateService(update));
        } else {
            self.leftovers(service, current, counts.is_quiesced, &mut reasons);
        }
        self.summaries.push(ServiceSummary {
            service: service.name.clone(),
            change: if changed {
                ServiceChange::Update
            } else if reasons.is_empty() {
                ServiceChange::Unchanged
            } else {
                ServiceChange::Record
            },
            reasons,
            quiesce: counts.quiesce,
        });
        Ok(())
    }

    /// The declared autoscaling of `service` against the `live` target (None:
    /// none yet): an update-autoscaling step and its diff when they differ.
    /// Returns whether they do.
    fn autoscaling(&mut self, service: &Service, live: Option<&Autoscaling>) -> bool {
        let Some(wanted) = &service.autoscaling else {
            return false;
        };
        let Some(step) = autoscaling_change(&service.name, wanted, live) else {
            return false;
        };
        self.diffs.push(Diff {
            kind: DiffKind::Autoscaling,
            service: service.name.clone(),
            unified: unified_diff(
                live.map(|l| autoscaling_json(&service.name, l)).as_ref(),
                &autoscaling_json(&service.name, wanted),
            ),
        });
        self.steps.autoscaling.push(Step::UpdateAutoscaling(step));
        true
    }

    /// How an existing service differs from its service definition (None:
    /// it has none, or nothing declared differs); the diff is shown.
    fn configuration(
        &mut self,
        service: &Service,
        current: &LiveService,
    ) -> Result<Option<service_definition::Comparison>, PlanError> {
        let Some(file) = &service.service_definition else {
            return Ok(None);
        };
        let (definition, outcomes) =
            ignore::service_definition(self.env, &service.name, &file.definition, &current.service);
        self.ignoring
            .record(&service.name, Target::ServiceDefinition, &outcomes);
        let cmp = service_definition::compare(
            &definition,
            &current.service.definition,
            &current.service.tags,
        );
        if let Some((field, hint)) = cmp
            .fields
            .iter()
            .find_map(|f| Some((f, crate::ecs::servicedef::not_updatable_hint(f)?)))
        {
            return Err(PlanError::NotUpdatable {
                file: file.path.clone(),
                service: service.name.clone(),
                field: field.clone(),
                hint: hint.to_owned(),
            });
        }
        if cmp.is_empty() {
            return Ok(None);
        }
        if !cmp.fields.is_empty() {
            self.diffs.push(Diff {
                kind: DiffKind::ServiceDefinition,
                service: service.name.clone(),
                unified: unified_diff(Some(&cmp.live), &cmp.desired),
            });
        }
        Ok(Some(cmp))
    }

    /// The count of an existing service: quiesced for the migration (and
    /// restored by its own update), restored after an interrupted release,
    /// or the spec's.
    fn counts(&mut self, service: &Service, current: &LiveService) -> Counts {
        let live_count = current.service.desired_count;
        // The quiesce marker counts only while the service is at 0: one left
        // on a running service (a release stopped right after restoring it) is
        // stale, and only removed.
        let quiesced_from = current.quiesced_from.filter(|_| live_count == 0);
        // A service an interrupted apply left quiesced is restored to the count
        // it had before (unless the spec sets one).
        let target_count = service
            .desired_count
            .or(quiesced_from)
            .unwrap_or(live_count);
        let in_quiesce_list = self
            .migrate
            .as_ref()
            .is_some_and(|m| m.block.quiesce.contains(&service.name));
        let quiesce = (in_quiesce_list && live_count > 0).then_some(CountChange {
            from: live_count,
            to: 0,
        });
        // What to resume: the state recorded when deckhand suspended it (a
        // crashed release may have suspended it already), else the live one.
        let suspend_scaling = current
            .scaling
            .map(|live| current.scaling_suspended_from.unwrap_or(live));
        let is_quiesced = in_quiesce_list && (quiesce.is_some() || quiesced_from.is_some());
        let resume_scaling = if quiesce.is_some() {
            suspend_scaling
        } else {
            current.scaling_suspended_from
        };
        if is_quiesced {
            self.steps.quiesced.push(QuiescedService {
                service: service.name.clone(),
                service_arn: current.service.arn.clone(),
                restore_to: quiesce.map_or(target_count, |q| q.from),
                resume_scaling,
            });
        }
        if let Some(q) = quiesce {
            self.steps.quiesces.push(Step::Quiesce(Quiesce {
                service: service.name.clone(),
                desired_count: q,
                service_arn: current.service.arn.clone(),
                suspend_scaling,
            }));
        }
        let change = match quiesce {
            // Restored by its own update after the migration.
            Some(_) => (target_count > 0).then_some(CountChange {
                from: 0,
                to: target_count,
            }),
            None => (target_count != live_count).then_some(CountChange {
                from: live_count,
                to: target_count,
            }),
        };
        Counts {
            change,
            quiesce,
            is_quiesced,
            resume_scaling,
        }
    }

    /// An unchanged service: record the commit it runs without the tag, and
    /// resume the autoscaling an interrupted release left suspended.
    fn leftovers(
        &mut self,
        service: &Service,
        current: &LiveService,
        is_quiesced: bool,
        reasons: &mut Vec<String>,
    ) {
        let recorded = current.service.tags.get(tags::COMMIT);
        if let Some(commit) = self.commit
            && self.released_before
            && recorded.map(String::as_str) != Some(commit)
        {
            reasons.push("record the commit".into());
            self.steps.records.push(Step::RecordCommit(RecordCommit {
                service: service.name.clone(),
                commit: CommitChange {
                    from: recorded.cloned(),
                    to: commit.to_owned(),
                },
                service_arn: current.service.arn.clone(),
                clears_marker: current.service.tags.contains_key(tags::QUIESCED_FROM),
                in_flight: in_flight(current),
            }));
        }
        if !is_quiesced && let Some(to) = current.scaling_suspended_from {
            reasons.push("resume its autoscaling".into());
            self.steps.resumes.push(Step::ResumeScaling(ResumeScaling {
                service: service.name.clone(),
                to,
                service_arn: current.service.arn.clone(),
            }));
        }
    }

    /// The steps in the contract's order, and the plan.
    fn into_plan(self) -> Plan {
        let Planning {
            env,
            commit,
            live,
            migrate,
            steps: by_kind,
            diffs,
            summaries,
            ignoring,
            ..
        } = self;
        let mut steps: Vec<Step> = finish_step(commit, live).into_iter().collect();
        let registers = !by_kind.registers.is_empty();
        steps.extend(by_kind.registers);
        steps.extend(by_kind.creates);
        steps.extend(by_kind.quiesces);
        if let Some(m) = migrate {
            steps.push(migrate_step(env, live, m, by_kind.quiesced));
        }
        steps.extend(by_kind.updates);
        steps.extend(by_kind.autoscaling);
        steps.extend(by_kind.resumes);
        // After a release of new definitions, or when carrying on one that
        // stopped (its smoke test may not have run, or still be running).
        let deploys = registers
            || steps
                .iter()
                .any(|s| matches!(s, Step::FinishRelease(f) if f.finish == Finish::Continue));
        if deploys && let Some(smoke) = smoke_test_step(env, live) {
            steps.push(smoke);
        }
        steps.extend(by_kind.records);
        Plan {
            environment: env.name.clone(),
            commit: commit.map(str::to_owned),
            signed_by: env.signer.clone(),
            changed: !steps.is_empty(),
            steps,
            diffs,
            ignored: ignoring.ignored,
            warnings: Vec::new(),
            services: summaries,
            cluster: env.cluster.clone(),
        }
    }
}

/// What the count of an existing service comes to.
struct Counts {
    /// The count its update sets.
    change: Option<CountChange>,
    /// Scaled to 0 for the migration.
    quiesce: Option<CountChange>,
    /// At 0 (or about to be) while the migration runs.
    is_quiesced: bool,
    /// The scaling state to resume once it runs again.
    resume_scaling: Option<crate::ecs::ScalingSuspension>,
}

/// The first step when a release started and did not end: carry it on
/// (same commit) or record it as interrupted (another commit).
fn finish_step(commit: Option<&str>, live: &LiveEnvironment) -> Option<Step> {
    let unfinished = live.unfinished.as_ref()?;
    let same_commit = unfinished.commit.as_deref() == commit.map(crate::source::short_sha);
    Some(Step::FinishRelease(FinishRelease {
        release: unfinished.id.clone(),
        commit: unfinished.commit.clone(),
        finish: if same_commit {
            Finish::Continue
        } else {
            Finish::Supersede
        },
        recorded: None,
    }))
}

/// The smoke-test step of `env`, if it has one.
fn smoke_test_step(env: &Environment, live: &LiveEnvironment) -> Option<Step> {
    let smoke = env.smoke_test.as_ref()?;
    let service = env.service(&smoke.service)?;
    let current = live.services.get(&smoke.service);
    Some(Step::SmokeTest(SmokeTest {
        service: smoke.service.clone(),
        command: smoke.command.clone(),
        timeout: smoke.timeout,
        container: service.container.clone(),
        launch_type: current.and_then(|s| s.service.launch_type.clone()),
        network: current.and_then(|s| s.service.network.clone()),
        started_by: format!("deckhand-smoke/{}", env.name),
        current_task_definition: current.map(|s| s.task_definition.arn.clone()),
    }))
}

/// The migrate step: how the task runs, and whom it quiesces.
fn migrate_step(
    env: &Environment,
    live: &LiveEnvironment,
    m: PlannedMigration<'_>,
    quiesced: Vec<QuiescedService>,
) -> Step {
    let network_from = env
        .service(&m.block.network_from)
        .expect("networkFrom is validated");
    let source = live.services.get(&m.block.network_from);
    Step::Migrate(Migrate {
        revision: RevisionChange {
            from: live.recorded_revision.clone(),
            to: m.block.revision.clone(),
        },
        register_task_definition: m.register,
        run: Box::new(MigrationRun {
            task_definition: m.rendered,
            current_arn: if m.register { None } else { m.current_arn },
            container: network_from.container.clone(),
            command: m.block.command.clone(),
            launch_type: source.and_then(|s| s.service.launch_type.clone()),
            network: source.and_then(|s| s.service.network.clone()),
            started_by: env.started_by(),
            cluster_arn: live.cluster_arn.clone(),
            quiesced,
        }),
    })
}

/// The deployment a service is still rolling out, if it is (its PRIMARY
/// deployment in progress, or older ones still draining).
fn in_flight(current: &LiveService) -> Option<InFlight> {
    let service = &current.service;
    let primary = service.primary()?;
    let rolling = primary.rollout_state == Some(crate::ecs::RolloutState::InProgress)
        || service.deployments.len() > 1;
    rolling.then(|| InFlight {
        deployment: primary.id.clone(),
        task_definition: primary.task_definition.clone(),
        desired_count: service.desired_count,
    })
}

/// The update-service step of an existing service: what changes, what it
/// runs now (for a rollback), and the markers its update clears.
fn update_step(
    service: &Service,
    current: &LiveService,
    td_changed: bool,
    counts: &Counts,
    configuration: Option<service_definition::Comparison>,
) -> UpdateService {
    let has_marker = current.service.tags.contains_key(tags::QUIESCED_FROM);
    let deploys = td_changed || configuration.as_ref().is_some_and(|c| c.update.is_some());
    UpdateService {
        service: service.name.clone(),
        task_definition: td_changed,
        desired_count: counts.change,
        service_definition: configuration.is_some(),
        estimate: service
            .service_definition
            .as_ref()
            .filter(|_| deploys)
            .and_then(|f| crate::servicedef::strategy::estimate(&f.definition)),
        configuration: configuration
            .as_ref()
            .and_then(|c| c.update.clone().map(Arc::new)),
        tags: configuration
            .as_ref()
            .map(|c| c.tags.clone())
            .unwrap_or_default(),
        current: ServiceTarget {
            task_definition: current.task_definition.arn.clone(),
            desired_count: current.service.desired_count,
            configuration: configuration.and_then(|c| c.previous.map(Arc::new)),
        },
        service_arn: current.service.arn.clone(),
        clears_marker: has_marker || current.scaling_suspended_from.is_some(),
        resume_scaling: counts.resume_scaling,
    }
}

/// What it takes to bring `live` (None: no scalable target) to `wanted`:
/// deckhand's own policies (`deckhand-<service>-…`) only.
fn autoscaling_change(
    service: &str,
    wanted: &Autoscaling,
    live: Option<&Autoscaling>,
) -> Option<UpdateAutoscaling> {
    let change =
        |from: Option<i32>, to: i32| (from != Some(to)).then_some(CapacityChange { from, to });
    let min_capacity = change(live.map(|l| l.min_capacity), wanted.min_capacity);
    let max_capacity = change(live.map(|l| l.max_capacity), wanted.max_capacity);
    let ours: Vec<&TargetTrackingPolicy> = live
        .into_iter()
        .flat_map(|l| l.policies.iter())
        .filter(|p| p.name.starts_with(&crate::spec::policy_name(service, "")))
        .collect();
    let put: Vec<TargetTrackingPolicy> = wanted
        .policies
        .iter()
        .filter(|w| !ours.contains(w))
        .cloned()
        .collect();
    let delete: Vec<String> = ours
        .iter()
        .filter(|l| !wanted.policies.iter().any(|w| w.name == l.name))
        .map(|l| l.name.clone())
        .collect();
    if min_capacity.is_none() && max_capacity.is_none() && put.is_empty() && delete.is_empty() {
        return None;
    }
    Some(UpdateAutoscaling {
        service: service.to_owned(),
        min_capacity,
        max_capacity,
        policies: put
            .iter()
            .map(|p| p.name.clone())
            .chain(delete.iter().cloned())
            .collect(),
        register: (min_capacity.is_some() || max_capacity.is_some())
            .then_some((wanted.min_capacity, wanted.max_capacity)),
        put,
        delete,
    })
}

/// Autoscaling as shown in a diff: the range and deckhand's policies.
fn autoscaling_json(service: &str, scaling: &Autoscaling) -> Value {
    let prefix = crate::spec::policy_name(service, "");
    let policies: Vec<Value> = scaling
        .policies
        .iter()
        .filter(|p| p.name.starts_with(&prefix))
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "predefinedMetric": p.predefined_metric,
                "resourceLabel": p.resource_label,
                "targetValue": p.target_value,
                "scaleInCooldown": p.scale_in_cooldown,
                "scaleOutCooldown": p.scale_out_cooldown,
                "disableScaleIn": p.disable_scale_in,
            })
        })
        .collect();
    let mut value = serde_json::json!({
        "minCapacity": scaling.min_capacity,
        "maxCapacity": scaling.max_capacity,
        "policies": policies,
    });
    normalize::drop_empty(&mut value);
    value
}

/// A task definition as compared: RegisterTaskDefinition JSON, normalized.
pub fn comparable(td: &TaskDefinitionSpec) -> Value {
    normalize::normalize(serde_json::to_value(td).expect("a task definition serializes"))
}

fn unified_diff(live: Option<&Value>, desired: &Value) -> String {
    let show = |v: &Value| crate::json::pretty(&normalize::redact(v.clone()));
    let old = live.map(show).unwrap_or_default();
    let new = show(desired);
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header("live", "desired")
        .to_string()
}

/// Words for what changed between two normalized definitions, for `container`.
fn change_reasons(live: &Value, desired: &Value, container: &str) -> Vec<String> {
    let find = |td: &Value| -> Value {
        td.get("containerDefinitions")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
            })
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (old, new) = (find(live), find(desired));
    let mut reasons = Vec::new();
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "none".into(),
    };
    if old.get("image") != new.get("image") {
        reasons.push(format!(
            "image {} → {}",
            text(old.get("image")),
            text(new.get("image"))
        ));
    }
    for field in ["command", "environment", "secrets"] {
        if old.get(field) != new.get(field) {
            reasons.push(format!("{field} of {container}"));
        }
    }
    let strip = |td: &Value| {
        let mut td = td.clone();
        if let Some(cs) = td
            .get_mut("containerDefinitions")
            .and_then(Value::as_array_mut)
        {
            for c in cs.iter_mut() {
                if c.get("name").and_then(Value::as_str) == Some(container)
                    && let Some(obj) = c.as_object_mut()
                {
                    for f in ["image", "command", "environment", "secrets"] {
                        obj.remove(f);
                    }
                }
            }
        }
        td
    };
    if strip(live) != strip(desired) {
        reasons.push("other task definition fields".into());
    }
    if reasons.is_empty() {
        reasons.push("new task definition".into());
    }
    reasons
}

#[cfg(test)]
mod tests;
