//! `deckhand init`: adopt a cluster's running services into a config repo.
//! [`read`] describes them through [`Ecs`] (read-only), [`layout`] turns
//! them into files (pure; each service's definition cut down by
//! [`service_definition`]), [`write()`] puts the files in the repo directory,
//! never over existing ones unless forced.

pub mod layout;
pub mod service_definition;

use crate::ecs::{AwsError, Ecs};
use layout::{AdoptedService, LayoutError, RepoFile};
use std::path::{Path, PathBuf};

/// Why `init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    /// ECS failed.
    #[error(transparent)]
    Ecs(#[from] AwsError),
    /// The services do not make one environment.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The environment name cannot be used.
    #[error("--env {name:?}: {why}")]
    BadEnvironmentName {
        /// The name given.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A `--service` is not in the cluster.
    #[error(
        "service '{service}' is not in cluster '{cluster}': the cluster has {}",
        if .available.is_empty() { "no services".to_owned() } else { .available.join(", ") }
    )]
    ServiceNotFound {
        /// The service asked for.
        service: String,
        /// The cluster.
        cluster: String,
        /// The services there are.
        available: Vec<String>,
    },
    /// Services that ECS Express Mode manages were asked for (or found).
    #[error(
        "{} managed by Amazon ECS Express Mode: deckhand does not manage Express Mode services (ECS owns their load balancer, scaling and deployments); adopt the cluster's other services with --service, and keep changing {} with `aws ecs update-express-gateway-service` or the console",
        if .0.len() == 1 { format!("service '{}' is", .0[0]) } else { format!("services {} are", .0.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")) },
        if .0.len() == 1 { "it" } else { "them" }
    )]
    ExpressMode(Vec<String>),
    /// Files exist and `--force` was not given.
    #[error("{} already exist{}: nothing was written; pass --force to overwrite", .0.join(", "), if .0.len() == 1 { "s" } else { "" })]
    Exists(Vec<String>),
    /// Writing failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Describe `only` (or every service of `cluster`, by name): their
/// configuration and tags, their task definitions and whether they are
/// autoscaled.
pub async fn read<E: Ecs>(
    ecs: &E,
    cluster: &str,
    only: &[String],
) -> Result<Vec<AdoptedService>, AdoptError> {
    ecs.describe_cluster(cluster).await?;
    let mut all = ecs.list_services(cluster).await?;
    all.sort();
    let names = if only.is_empty() {
        all.clone()
    } else {
        only.to_vec()
    };
    let services = ecs.describe_services(cluster, &names).await?;
    if let Some(express) = crate::live::express::ExpressServices::among(
        services
            .iter()
            .map(|s| (s.name.as_str(), s.resource_management_type.as_deref())),
    ) {
        return Err(AdoptError::ExpressMode(express.services));
    }
    let scaling = ecs.scaling_of(cluster, &names).await?;
    let mut adopted = Vec::with_capacity(names.len());
    for name in &names {
        let service = services.iter().find(|s| &s.name == name).ok_or_else(|| {
            AdoptError::ServiceNotFound {
                service: name.clone(),
                cluster: cluster.to_owned(),
                available: all.clone(),
            }
        })?;
        let td = ecs
            .describe_task_definition(&service.task_definition)
            .await?
            .ok_or_else(|| AwsError::Api {
                operation: "DescribeTaskDefinition",
                code: "ClientException".into(),
                message: format!("{} is not described", service.task_definition),
                status: 400,
            })?;
        adopted.push(AdoptedService {
            name: name.clone(),
            desired_count: service.desired_count,
            task_definition: td.spec.clone(),
            autoscaled: scaling.contains_key(name),
            definition: service.definition.clone(),
            tags: service.tags.clone(),
        });
    }
    Ok(adopted)
}

/// The files for environment `name` (checked as an environment name first).
pub fn files(
    name: &str,
    cluster: &str,
    region: Option<&str>,
    services: &[AdoptedService],
) -> Result<Vec<RepoFile>, AdoptError> {
    if let Some(why) = crate::spec::limits::environment_name(name) {
        return Err(AdoptError::BadEnvironmentName {
            name: name.to_owned(),
            why,
        });
    }
    Ok(layout::layout(name, cluster, region, services)?)
}

/// Write `files` under `repo`; refuse, writing nothing, if any exists and
/// `force` is false. Returns the paths written.
pub fn write(repo: &Path, files: &[RepoFile], force: bool) -> Result<Vec<PathBuf>, AdoptError> {
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|f| repo.join(&f.path).exists())
            .map(|f| repo.join(&f.path).display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(AdoptError::Exists(existing));
        }
    }
    let mut written = Vec::new();
    for file in files {
        let path = repo.join(&file.path);
        let io = |source| AdoptError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, &file.content).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}
