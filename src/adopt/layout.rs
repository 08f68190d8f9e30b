//! The config repo `deckhand init` writes, from what ECS runs: pure.
//!
//! One environment runs one release image on one container name (the spec
//! has one `image` and one `container`), so every adopted service must run
//! that image in that container. The container's `command` moves to the
//! service (it is the one thing web and worker differ by, the Heroku shape);
//! what is left is the template, and services whose templates are equal share
//! one file. Rendering the result gives back the definitions ECS runs, so a
//! plan right after shows nothing to do.
//!
//! Each service also gets its service definition,
//! `service-definitions/<env>-<service>.json` (named by environment, as the
//! templates are, so that adopting staging and production into one repo
//! writes no file twice), cut down by [`super::service_definition`] to what
//! differs from ECS's defaults.

use super::service_definition;
use crate::servicedef::ServiceDefinition;
use crate::taskdef::model::{KeyValuePair, TaskDefinitionSpec};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

/// Where the release image goes in a template (rendering sets the real one).
pub const IMAGE_PLACEHOLDER: &str = "set-by-deckhand";

/// One live service, as `init` read it.
#[derive(Debug, Clone)]
pub struct AdoptedService {
    /// Service name.
    pub name: String,
    /// desiredCount.
    pub desired_count: i32,
    /// The task definition the service runs.
    pub task_definition: TaskDefinitionSpec,
    /// An Application Auto Scaling target: its count is left to the scaler.
    pub autoscaled: bool,
    /// Its configuration as DescribeServices reports it.
    pub definition: Arc<ServiceDefinition>,
    /// Its tags (deckhand's and AWS's too; only the user's are written).
    pub tags: BTreeMap<String, String>,
}

/// A file to write, relative to the repo root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// `environments/<env>.yaml`, `task-definitions/<name>.json`,
    /// `service-definitions/<env>-<service>.json`.
    pub path: String,
    /// The content.
    pub content: String,
}

/// Why the services cannot become one environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// Nothing to adopt.
    #[error("cluster '{0}' has no services to adopt")]
    NoServices(String),
    /// A definition has no containers (ECS would not have registered it).
    #[error("service '{0}' runs a task definition without containers")]
    NoContainers(String),
    /// The services do not share a release image in one container.
    #[error(
        "service '{service}' does not run {image} in a container named '{container}' as '{first}' does: an environment has one release image, so adopt the services that share it with --service (one environment per image)"
    )]
    MixedImages {
        /// The service that differs.
        service: String,
        /// The first service.
        first: String,
        /// The first service's image.
        image: String,
        /// The first service's container.
        container: String,
    },
}

/// The environment file and templates for `services` (in their order).
pub fn layout(
    environment: &str,
    cluster: &str,
    region: Option<&str>,
    services: &[AdoptedService],
) -> Result<Vec<RepoFile>, LayoutError> {
    let first = services
        .first()
        .ok_or_else(|| LayoutError::NoServices(cluster.to_owned()))?;
    let main = first
        .task_definition
        .container_definitions
        .iter()
        .flatten()
        .next()
        .ok_or_else(|| LayoutError::NoContainers(first.name.clone()))?;
    let container = main.name.clone().unwrap_or_default();
    let image = main.image.clone().unwrap_or_default();

    // Variables every service sets alike stay in the template; the others
    // become the service's `environment`.
    let shared = shared_environment(services, &container);

    let (templates, rows) = templates(services, &container, &image, &shared)?;

    let template_path = |index: usize| {
        if templates.len() == 1 {
            format!("task-definitions/{environment}.json")
        } else {
            format!(
                "task-definitions/{environment}-{}.json",
                templates[index].1[0]
            )
        }
    };
    let definition_path =
        |service: &str| format!("service-definitions/{environment}-{service}.json");
    let mut files = vec![RepoFile {
        path: format!("environments/{environment}.yaml"),
        content: environment_yaml(
            environment,
            cluster,
            region,
            &image,
            &container,
            &rows,
            &Paths {
                template: &template_path,
                definition: &definition_path,
            },
        ),
    }];
    for (index, (template, _)) in templates.iter().enumerate() {
        files.push(RepoFile {
            path: template_path(index),
            content: crate::json::pretty(template),
        });
    }
    for service in services {
        let declared = service_definition::declared(&service.definition, &service.tags);
        files.push(RepoFile {
            path: definition_path(&service.name),
            content: crate::json::pretty(&declared),
        });
    }
    Ok(files)
}

/// Distinct templates, each with the services that use it.
type Templates<'s> = Vec<(TaskDefinitionSpec, Vec<&'s str>)>;

/// Each service's template (command and own variables taken out), equal
/// templates as one (with the services that use it), and each service's row.
fn templates<'s>(
    services: &'s [AdoptedService],
    container: &str,
    image: &str,
    shared: &[KeyValuePair],
) -> Result<(Templates<'s>, Vec<Row<'s>>), LayoutError> {
    let mut templates: Templates<'s> = Vec::new();
    let mut rows = Vec::new();
    for service in services {
        let (template, row) = take_apart(service, container, image, shared).ok_or_else(|| {
            LayoutError::MixedImages {
                service: service.name.clone(),
                first: services[0].name.clone(),
                image: image.to_owned(),
                container: container.to_owned(),
            }
        })?;
        let index = match templates.iter().position(|(t, _)| *t == template) {
            Some(i) => i,
            None => {
                templates.push((template, Vec::new()));
                templates.len() - 1
            }
        };
        templates[index].1.push(&service.name);
        rows.push(Row {
            template: index,
            ..row
        });
    }
    Ok((templates, rows))
}

/// Where a service's files go: its template (by index) and its service definition.
struct Paths<'a> {
    template: &'a dyn Fn(usize) -> String,
    definition: &'a dyn Fn(&str) -> String,
}

/// A service's entry in the spec.
struct Row<'a> {
    service: &'a AdoptedService,
    family: String,
    command: Option<Vec<String>>,
    /// Its own environment variables (those not shared by every service).
    own: Vec<(String, String)>,
    /// The index of its template.
    template: usize,
}

/// A service's template (`container`'s image made the placeholder, its
/// command and own variables taken out) and its entry; `None` when it does
/// not run `image` in `container`.
fn take_apart<'a>(
    service: &'a AdoptedService,
    container: &str,
    image: &str,
    shared: &[KeyValuePair],
) -> Option<(TaskDefinitionSpec, Row<'a>)> {
    let mut template = service.task_definition.clone();
    let family = template
        .family
        .take()
        .unwrap_or_else(|| service.name.clone());
    let slot = template
        .container_definitions
        .iter_mut()
        .flatten()
        .find(|c| c.name.as_deref() == Some(container))
        .filter(|c| c.image.as_deref() == Some(image))?;
    slot.image = Some(IMAGE_PLACEHOLDER.to_owned());
    let command = slot.command.take();
    let mut own = Vec::new();
    if let Some(vars) = slot.environment.take() {
        let (common, differing): (Vec<_>, Vec<_>) =
            vars.into_iter().partition(|v| shared.contains(v));
        own = differing
            .into_iter()
            .filter_map(|v| Some((v.name?, v.value.unwrap_or_default())))
            .collect();
        if !common.is_empty() {
            slot.environment = Some(common);
        }
    }
    let row = Row {
        service,
        family,
        command,
        own,
        template: 0,
    };
    Some((template, row))
}

/// The variables of `container` that every service sets to the same value.
fn shared_environment(services: &[AdoptedService], container: &str) -> Vec<KeyValuePair> {
    let vars = |s: &AdoptedService| -> Vec<KeyValuePair> {
        s.task_definition
            .container_definitions
            .iter()
            .flatten()
            .find(|c| c.name.as_deref() == Some(container))
            .and_then(|c| c.environment.clone())
            .unwrap_or_default()
    };
    let mut shared = services.first().map(vars).unwrap_or_default();
    for service in services.iter().skip(1) {
        let theirs = vars(service);
        shared.retain(|v| theirs.contains(v));
    }
    shared
}

fn environment_yaml(
    environment: &str,
    cluster: &str,
    region: Option<&str>,
    image: &str,
    container: &str,
    rows: &[Row<'_>],
    paths: &Paths<'_>,
) -> String {
    let mut y = format!(
        "# yaml-language-server: $schema=../schemas/environment.schema.json\n\
         # (editor support: `deckhand schema > schemas/environment.schema.json`)\n\
         # Written by `deckhand init` from what cluster {cluster} runs. Edit `image` to release;\n\
         # `deckhand plan --env {environment}` shows what would change.\n\
         cluster: {}\n",
        quote(cluster)
    );
    let w = &mut y;
    if let Some(region) = region {
        let _ = writeln!(w, "region: {}", quote(region));
    }
    // The template most services use is the default.
    let default = most_used(rows);
    let _ = write!(
        w,
        "image: {}\ntaskDefinition: {}\ncontainer: {}\n\n",
        quote(image),
        quote(&(paths.template)(default)),
        quote(container)
    );
    let others: Vec<String> = rows
        .iter()
        .skip(1)
        .map(|r| quote(&r.service.name))
        .collect();
    let _ = write!(
        w,
        "# A schema migration run as a one-off task before the services roll, only when\n\
         # `revision` differs from the one recorded on the cluster, gated on its exit code.\n\
         # Set `revision` to your latest migration's version (e.g. Rails' db/schema.rb), and\n\
         # list in `quiesce` the workers that must not run old code against a new schema.\n\
         # migration:\n\
         #   revision: \"20260101000000\"\n\
         #   command: [bin/rails, db:migrate]\n\
         #   timeout: 30m\n\
         #   quiesce: [{}]\n",
        others.join(", ")
    );
    if let Some(row) = rows.first() {
        let _ = writeln!(w, "#   networkFrom: {}", row.service.name);
    }
    let _ = writeln!(w, "\nservices:");
    for row in rows {
        service_yaml(w, row, default, paths);
    }
    let _ = write!(w, "\ndeploy:\n  timeout: 10m\n  rollback: true\n");
    y
}

/// A service's entry under `services:`.
fn service_yaml(w: &mut String, row: &Row<'_>, default: usize, paths: &Paths<'_>) {
    let service = row.service;
    let _ = writeln!(w, "  {}:", quote(&service.name));
    if let Some(command) = &row.command {
        let items: Vec<String> = command.iter().map(|c| quote(c)).collect();
        let _ = writeln!(w, "    command: [{}]", items.join(", "));
    }
    if service.autoscaled {
        let _ = writeln!(
            w,
            "    # desiredCount is left to Application Auto Scaling (now {})",
            service.desired_count
        );
    } else {
        let _ = writeln!(w, "    desiredCount: {}", service.desired_count);
    }
    if row.template != default {
        let _ = writeln!(
            w,
            "    taskDefinition: {}",
            quote(&(paths.template)(row.template))
        );
    }
    let _ = writeln!(
        w,
        "    serviceDefinition: {}",
        quote(&(paths.definition)(&service.name))
    );
    if row.family != service.name {
        let _ = writeln!(w, "    family: {}", quote(&row.family));
    }
    if !row.own.is_empty() {
        let vars: Vec<String> = row
            .own
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}: {}",
                    quote(k),
                    serde_json::to_string(v).expect("serializes")
                )
            })
            .collect();
        let _ = writeln!(w, "    environment: {{{}}}", vars.join(", "));
    }
}

fn most_used(rows: &[Row<'_>]) -> usize {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for row in rows {
        match counts.iter_mut().find(|(i, _)| *i == row.template) {
            Some((_, n)) => *n += 1,
            None => counts.push((row.template, 1)),
        }
    }
    // Most used first; ties go to the first seen.
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| *i)
}

/// A YAML scalar: plain when it is unambiguous, else a JSON (double-quoted) string.
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@:".contains(c))
        && !value.starts_with(['-', ':', '@', '.'])
        && !value.ends_with(':')
        && !value.contains(": ")
        && value.parse::<f64>().is_err()
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        );
    if plain {
        value.to_owned()
    } else {
        serde_json::to_string(value).expect("serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::model::ContainerDefinition;

    fn definition(family: &str, image: &str, command: &[&str]) -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            family: Some(family.into()),
            cpu: Some("256".into()),
            memory: Some("512".into()),
            container_definitions: Some(vec![ContainerDefinition {
                name: Some("app".into()),
                image: Some(image.into()),
                command: Some(command.iter().map(|c| (*c).to_owned()).collect()),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    fn service(name: &str, td: TaskDefinitionSpec) -> AdoptedService {
        AdoptedService {
            name: name.into(),
            desired_count: 2,
            task_definition: td,
            autoscaled: false,
            definition: Arc::new(ServiceDefinition {
                launch_type: Some("FARGATE".into()),
                platform_version: Some("LATEST".into()),
                ..Default::default()
            }),
            tags: BTreeMap::from([
                ("team".to_owned(), "shop".to_owned()),
                ("deckhand:commit".to_owned(), "abc".to_owned()),
            ]),
        }
    }

    #[test]
    fn web_and_worker_from_one_image_share_one_template() {
        let files = layout(
            "staging",
            "shop-staging",
            Some("us-east-1"),
            &[
                service(
                    "web",
                    definition("shop-web", "shop:1", &["bin/rails", "server"]),
                ),
                service("worker", definition("shop-worker", "shop:1", &["sidekiq"])),
            ],
        )
        .unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "environments/staging.yaml",
                "task-definitions/staging.json",
                "service-definitions/staging-web.json",
                "service-definitions/staging-worker.json"
            ]
        );
        let yaml = &files[0].content;
        assert!(yaml.contains("image: shop:1\n"), "{yaml}");
        assert!(yaml.contains("command: [bin/rails, server]"), "{yaml}");
        assert!(yaml.contains("family: shop-worker"), "{yaml}");
        assert!(yaml.contains("# migration:"), "{yaml}");
        let template: serde_json::Value = serde_json::from_str(&files[1].content).unwrap();
        assert_eq!(
            template["containerDefinitions"][0]["image"],
            IMAGE_PLACEHOLDER
        );
        assert!(template["containerDefinitions"][0].get("command").is_none());
        assert!(template.get("family").is_none());
    }

    #[test]
    fn definitions_that_differ_beyond_the_command_get_their_own_templates() {
        let mut big = definition("api", "shop:1", &["puma"]);
        big.memory = Some("2048".into());
        let files = layout(
            "prod",
            "shop",
            None,
            &[
                service("web", definition("web", "shop:1", &["puma"])),
                service("api", big),
                service("worker", definition("worker", "shop:1", &["sidekiq"])),
            ],
        )
        .unwrap();
        let yaml = &files[0].content;
        assert!(
            yaml.contains("taskDefinition: task-definitions/prod-web.json\n"),
            "{yaml}"
        );
        assert!(
            yaml.contains("    taskDefinition: task-definitions/prod-api.json"),
            "{yaml}"
        );
        assert!(!yaml.contains("region:"), "{yaml}");
        assert_eq!(
            files.len(),
            3 + 3,
            "two templates, three service definitions"
        );
    }

    #[test]
    fn variables_one_service_sets_move_to_the_service() {
        let var = |k: &str, v: &str| KeyValuePair {
            name: Some(k.into()),
            value: Some(v.into()),
        };
        let mut web = definition("web", "shop:1", &["puma"]);
        let mut worker = definition("worker", "shop:1", &["sidekiq"]);
        web.container_definitions.as_mut().unwrap()[0].environment =
            Some(vec![var("RAILS_ENV", "production"), var("THREADS", "5")]);
        worker.container_definitions.as_mut().unwrap()[0].environment =
            Some(vec![var("RAILS_ENV", "production")]);
        let files = layout(
            "prod",
            "shop",
            None,
            &[service("web", web), service("worker", worker)],
        )
        .unwrap();
        assert_eq!(files.len(), 2 + 2, "one shared template");
        assert!(
            files[0]
                .content
                .contains("    environment: {THREADS: \"5\"}"),
            "{}",
            files[0].content
        );
        assert!(files[1].content.contains("RAILS_ENV"));
        assert!(!files[1].content.contains("THREADS"));
    }

    #[test]
    fn autoscaled_counts_are_left_out() {
        let mut s = service("web", definition("web", "shop:1", &["puma"]));
        s.autoscaled = true;
        let files = layout("prod", "shop", None, &[s]).unwrap();
        assert!(
            !files[0].content.contains("desiredCount:"),
            "{}",
            files[0].content
        );
    }

    #[test]
    fn each_service_names_its_service_definition_of_user_fields_and_tags() {
        let files = layout(
            "prod",
            "shop",
            None,
            &[service("web", definition("web", "shop:1", &["puma"]))],
        )
        .unwrap();
        assert!(
            files[0]
                .content
                .contains("    serviceDefinition: service-definitions/prod-web.json\n"),
            "{}",
            files[0].content
        );
        let web = files
            .iter()
            .find(|f| f.path == "service-definitions/prod-web.json")
            .unwrap();
        assert_eq!(
            web.content,
            "{\n  \"launchType\": \"FARGATE\",\n  \"tags\": [\n    {\n      \"key\": \"team\",\n      \"value\": \"shop\"\n    }\n  ]\n}\n"
        );
    }

    #[test]
    fn services_on_different_images_are_refused() {
        let err = layout(
            "prod",
            "shop",
            None,
            &[
                service("web", definition("web", "shop:1", &["puma"])),
                service("search", definition("search", "elasticsearch:8", &[])),
            ],
        )
        .unwrap_err();
        assert!(matches!(err, LayoutError::MixedImages { ref service, .. } if service == "search"));
        assert!(err.to_string().contains("--service"));
    }

    #[test]
    fn odd_scalars_are_quoted() {
        assert_eq!(quote("web"), "web");
        assert_eq!(quote("0.0.0.0"), "0.0.0.0");
        assert_eq!(quote("1.5"), "\"1.5\"");
        assert_eq!(quote("-b"), "\"-b\"");
        assert_eq!(quote("yes"), "\"yes\"");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("123"), "\"123\"");
    }
}
