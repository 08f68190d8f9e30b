//! Rendering: the task definition deckhand registers for a service, and the
//! one it runs for the migration. Pure; no I/O.
//!
//! A rendered definition is the service's template with `family` set, the
//! release `image` on the chosen container, and the service's `command` and
//! `environment` applied to that container. The migration definition is
//! `networkFrom`'s rendering with family `<environment>-migrate` and
//! `migration.command`.

use super::{Environment, Service};
use crate::taskdef::model::{KeyValuePair, TaskDefinitionSpec};

/// The task definition `service` should run.
pub fn service_task_definition(env: &Environment, service: &Service) -> TaskDefinitionSpec {
    render(
        &service.template,
        &service.family,
        &service.container,
        &env.image,
        service.command.as_deref(),
        &service.environment,
    )
}

/// The migration task definition, when the environment has a migration.
pub fn migration_task_definition(env: &Environment) -> Option<TaskDefinitionSpec> {
    let migration = env.migration.as_ref()?;
    let service = env.service(&migration.network_from)?;
    Some(render(
        &service.template,
        &env.migration_family(),
        &service.container,
        &env.image,
        Some(&migration.command),
        &service.environment,
    ))
}

/// One definition the environment registers or runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The service it is for; None for the migration.
    pub service: Option<String>,
    /// Its family.
    pub family: String,
    /// The definition.
    pub task_definition: TaskDefinitionSpec,
}

/// Every definition of the environment: each service's, in spec order, then
/// the migration's (when there is one).
pub fn definitions(env: &Environment) -> Vec<Rendered> {
    let services = env.services.iter().map(|s| Rendered {
        service: Some(s.name.clone()),
        family: s.family.clone(),
        task_definition: service_task_definition(env, s),
    });
    let migration = migration_task_definition(env).map(|td| Rendered {
        service: None,
        family: env.migration_family(),
        task_definition: td,
    });
    services.chain(migration).collect()
}

fn render(
    template: &TaskDefinitionSpec,
    family: &str,
    container: &str,
    image: &str,
    command: Option<&[String]>,
    environment: &indexmap::IndexMap<String, String>,
) -> TaskDefinitionSpec {
    let mut td = template.clone();
    td.family = Some(family.to_owned());
    // ECS rejects an empty tags list ("Tags can not be empty"): none is meant.
    if td.tags.as_ref().is_some_and(Vec::is_empty) {
        td.tags = None;
    }
    for c in td.container_definitions.iter_mut().flatten() {
        if c.name.as_deref() != Some(container) {
            continue;
        }
        c.image = Some(image.to_owned());
        if let Some(command) = command {
            c.command = Some(command.to_vec());
        }
        if !environment.is_empty() {
            let vars = c.environment.get_or_insert_with(Vec::new);
            for (name, value) in environment {
                match vars.iter_mut().find(|v| v.name.as_deref() == Some(name)) {
                    Some(existing) => existing.value = Some(value.clone()),
                    None => vars.push(KeyValuePair {
                        name: Some(name.clone()),
                        value: Some(value.clone()),
                    }),
                }
            }
        }
    }
    td
}
