//! The planner: a pure function from the desired environment (the spec) and
//! the live one (what ECS runs) to the ordered steps `apply` carries out, plus
//! a unified diff of every task definition that changes.
//!
//! No I/O here: no SDK, no tokio, no git. Steps follow the contract's order:
//! register-task-definition → create-service → quiesce → migrate →
//! update-service. Task definitions are compared after [`normalize`], so what
//! ECS adds or reorders is not a change.

pub mod normalize;

use crate::live::LiveEnvironment;
use crate::spec::{Environment, render};
use crate::taskdef::model::TaskDefinitionSpec;
use serde::Serialize;
use serde_json::Value;

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

/// One step of a plan, in the order apply runs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// Register the rendered task definition of `service`.
    #[serde(rename_all = "camelCase")]
    RegisterTaskDefinition { service: String, family: String },
    /// Create the missing `service` from its CreateService input.
    #[serde(rename_all = "camelCase")]
    CreateService { service: String },
    /// Scale `service` to 0 before the migration.
    #[serde(rename_all = "camelCase")]
    Quiesce {
        service: String,
        desired_count: CountChange,
    },
    /// Run the migration task (registering its definition first when it differs).
    #[serde(rename_all = "camelCase")]
    Migrate {
        revision: RevisionChange,
        register_task_definition: bool,
    },
    /// Point `service` at its new task definition and/or count.
    #[serde(rename_all = "camelCase")]
    UpdateService {
        service: String,
        task_definition: bool,
        desired_count: Option<CountChange>,
    },
}

/// A unified diff of one task definition, live → desired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskDefinitionDiff {
    /// The service (or the migration family).
    pub service: String,
    /// `--- live` / `+++ desired` unified diff of the normalized JSON.
    pub unified: String,
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
}

/// The plan for one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Environment name.
    pub environment: String,
    /// The config commit planned from (None for a plain directory).
    pub commit: Option<String>,
    /// True exactly when `steps` is not empty.
    pub changed: bool,
    /// Ordered steps.
    pub steps: Vec<Step>,
    /// Diffs of changed task definitions.
    pub diffs: Vec<TaskDefinitionDiff>,
    /// Per-service summary (not part of the JSON contract).
    #[serde(skip)]
    pub services: Vec<ServiceSummary>,
    /// The cluster (for reports).
    #[serde(skip)]
    pub cluster: String,
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A service of the spec does not exist and has no `create`.
    #[error(
        "{file}: services.{service}: service '{service}' does not exist in cluster '{cluster}'\n  hint: create it in ECS, or add `create: service-definitions/{service}.json` (CreateService input) to the service"
    )]
    MissingService {
        file: String,
        service: String,
        cluster: String,
    },
}

/// Plan `env` against `live`. `commit` is the config commit being planned.
pub fn plan(
    env: &Environment,
    commit: Option<&str>,
    live: &LiveEnvironment,
) -> Result<Plan, PlanError> {
    let mut registers = Vec::new();
    let mut creates = Vec::new();
    let mut quiesces = Vec::new();
    let mut updates = Vec::new();
    let mut diffs = Vec::new();
    let mut summaries = Vec::new();

    let migrate = env.migration.as_ref().and_then(|m| {
        (live.recorded_revision.as_deref() != Some(m.revision.as_str())).then(|| {
            let desired = render::migration_task_definition(env).map(|td| comparable(&td));
            let current = live
                .migration_task_definition
                .as_ref()
                .map(|d| comparable(&d.spec));
            let register = desired.is_some() && desired != current;
            // A first migration definition is the networkFrom service's with
            // another command: its diff would be noise. Later ones are shown.
            if register && let (Some(desired), Some(current)) = (&desired, &current) {
                diffs.push(TaskDefinitionDiff {
                    service: env.migration_family(),
                    unified: unified_diff(Some(current), desired),
                });
            }
            (m, register)
        })
    });

    for service in &env.services {
        let desired = comparable(&render::service_task_definition(env, service));
        let Some(current) = live.services.get(&service.name) else {
            if service.create.is_none() {
                return Err(PlanError::MissingService {
                    file: env.file.clone(),
                    service: service.name.clone(),
                    cluster: env.cluster.clone(),
                });
            }
            registers.push(Step::RegisterTaskDefinition {
                service: service.name.clone(),
                family: service.family.clone(),
            });
            creates.push(Step::CreateService {
                service: service.name.clone(),
            });
            diffs.push(TaskDefinitionDiff {
                service: service.name.clone(),
                unified: unified_diff(None, &desired),
            });
            summaries.push(ServiceSummary {
                service: service.name.clone(),
                change: ServiceChange::Create,
                reasons: vec![format!(
                    "create with desiredCount {}",
                    service.desired_count.unwrap_or(0)
                )],
                quiesce: None,
            });
            continue;
        };

        let live_td = comparable(&current.task_definition.spec);
        let td_changed = desired != live_td;
        let mut reasons = if td_changed {
            change_reasons(&live_td, &desired, &service.container)
        } else {
            Vec::new()
        };
        if td_changed {
            registers.push(Step::RegisterTaskDefinition {
                service: service.name.clone(),
                family: service.family.clone(),
            });
            diffs.push(TaskDefinitionDiff {
                service: service.name.clone(),
                unified: unified_diff(Some(&live_td), &desired),
            });
        }

        // A service an interrupted apply left quiesced is restored to the count
        // it had before (unless the spec sets one).
        let target_count = service
            .desired_count
            .or(current.quiesced_from)
            .unwrap_or(current.desired_count);
        let quiesce = migrate
            .as_ref()
            .filter(|(m, _)| m.quiesce.contains(&service.name))
            .filter(|_| current.desired_count > 0)
            .map(|_| CountChange {
                from: current.desired_count,
                to: 0,
            });
        let count_change = match (quiesce, current.quiesced_from) {
            // Restored by its own update after the migration.
            (Some(_), _) => Some(CountChange {
                from: 0,
                to: target_count,
            }),
            (None, Some(_)) => Some(CountChange {
                from: current.desired_count,
                to: target_count,
            }),
            (None, None) => (target_count != current.desired_count).then_some(CountChange {
                from: current.desired_count,
                to: target_count,
            }),
        };
        if let Some(q) = quiesce {
            quiesces.push(Step::Quiesce {
                service: service.name.clone(),
                desired_count: q,
            });
        }
        if let (Some(change), None) = (count_change, quiesce) {
            reasons.push(format!("desiredCount {} → {}", change.from, change.to));
        }
        let changed = td_changed || count_change.is_some();
        if changed {
            updates.push(Step::UpdateService {
                service: service.name.clone(),
                task_definition: td_changed,
                desired_count: count_change,
            });
        }
        summaries.push(ServiceSummary {
            service: service.name.clone(),
            change: if changed {
                ServiceChange::Update
            } else {
                ServiceChange::Unchanged
            },
            reasons,
            quiesce,
        });
    }

    let mut steps = registers;
    steps.extend(creates);
    steps.extend(quiesces);
    if let Some((m, register)) = migrate {
        steps.push(Step::Migrate {
            revision: RevisionChange {
                from: live.recorded_revision.clone(),
                to: m.revision.clone(),
            },
            register_task_definition: register,
        });
    }
    steps.extend(updates);
    Ok(Plan {
        environment: env.name.clone(),
        commit: commit.map(str::to_owned),
        changed: !steps.is_empty(),
        steps,
        diffs,
        services: summaries,
        cluster: env.cluster.clone(),
    })
}

/// A task definition as compared: RegisterTaskDefinition JSON, normalized.
pub fn comparable(td: &TaskDefinitionSpec) -> Value {
    normalize::normalize(serde_json::to_value(td).expect("a task definition serializes"))
}

fn unified_diff(live: Option<&Value>, desired: &Value) -> String {
    let show = |v: &Value| {
        let mut s =
            serde_json::to_string_pretty(&normalize::redact(v.clone())).expect("JSON serializes");
        s.push('\n');
        s
    };
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
