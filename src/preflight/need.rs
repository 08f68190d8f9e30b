//! What a set of task definitions needs to exist before ECS can run them:
//! pure. Each need remembers every place that names it (service, container,
//! field), so one missing thing is reported once per place, and the lookups
//! can be batched by what they are (one ECR call per repository, SSM
//! parameters ten at a time).

use crate::servicedef::ServiceDefinition;
use crate::taskdef::model::TaskDefinitionSpec;
use std::collections::{BTreeMap, BTreeSet};

/// Where a definition names something: `web: container app: image`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The service (or `migration`).
    pub service: String,
    /// The container; None for task-level fields (roles).
    pub container: Option<String>,
    /// The field, e.g. `image`, `secrets[DATABASE_URL].valueFrom`.
    pub field: String,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.container {
            Some(c) => write!(f, "{}: container {c}: {}", self.service, self.field),
            None => write!(f, "{}: {}", self.service, self.field),
        }
    }
}

/// An image in ECR: the registry's account and region, the repository, and
/// a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EcrImage {
    /// Registry account.
    pub account: String,
    /// Registry region.
    pub region: String,
    /// Repository name (may contain `/`).
    pub repository: String,
    /// `latest`, `3f9c2e1`, or `sha256:…`.
    pub reference: String,
}

/// A secret's source, as `valueFrom` names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretSource {
    /// An SSM parameter: its region and name (`/shop/database-url`).
    Parameter {
        /// Region.
        region: String,
        /// Name, with its leading `/` when it has a path.
        name: String,
    },
    /// A Secrets Manager secret: its region and ARN (without a JSON key,
    /// version stage or version ID suffix).
    Secret {
        /// Region.
        region: String,
        /// The secret's ARN (or name).
        id: String,
    },
}

/// Everything to look up, each with the places that name it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Needs {
    /// ECR images.
    pub images: BTreeMap<EcrImage, Vec<Place>>,
    /// Images outside ECR: not checked (said so).
    pub skipped_images: BTreeMap<String, Vec<Place>>,
    /// IAM role names.
    pub roles: BTreeMap<String, Vec<Place>>,
    /// Parameters and secrets.
    pub secrets: BTreeMap<SecretSource, Vec<Place>>,
    /// CloudWatch Logs groups (region, name) that must exist.
    pub log_groups: BTreeMap<(String, String), Vec<Place>>,
    /// Target groups (region, ARN) the service definitions route to.
    pub target_groups: BTreeMap<(String, String), Vec<Place>>,
    /// Lambda lifecycle-hook functions (region, ARN or name).
    pub functions: BTreeMap<(String, String), Vec<Place>>,
    /// Services whose task definition uses the awsvpc network mode: their
    /// target groups must have target type `ip`.
    pub awsvpc_services: BTreeSet<String>,
}

impl Needs {
    /// "1 image(s), 2 role(s), 2 secret(s), 1 log group(s)": what was
    /// checked, with ", 2 target group(s), 1 function(s)" when service
    /// definitions name some.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} image(s), {} role(s), {} secret(s), {} log group(s)",
            self.images.len(),
            self.roles.len(),
            self.secrets.len(),
            self.log_groups.len()
        );
        if !self.target_groups.is_empty() || !self.functions.is_empty() {
            out += &format!(
                ", {} target group(s), {} function(s)",
                self.target_groups.len(),
                self.functions.len()
            );
        }
        out
    }
}

impl Needs {
    /// What a service's service definition names, in `region` (the
    /// cluster's) unless an ARN says otherwise: its roles, the target groups
    /// of its load balancers (primary and blue/green alternate), and the
    /// Lambda functions of its lifecycle hooks.
    pub fn add_service_definition(
        &mut self,
        region: &str,
        service: &str,
        definition: &ServiceDefinition,
    ) {
        self.add_service_roles(service, &crate::servicedef::roles_named(definition));
        let place = |field: String| Place {
            service: service.to_owned(),
            container: None,
            field: format!("serviceDefinition {field}"),
        };
        for (i, lb) in definition.load_balancers.iter().flatten().enumerate() {
            let alternate = lb
                .advanced_configuration
                .as_ref()
                .and_then(|a| a.alternate_target_group_arn.as_ref());
            for (field, arn) in [
                ("targetGroupArn", lb.target_group_arn.as_ref()),
                ("advancedConfiguration.alternateTargetGroupArn", alternate),
            ] {
                if let Some(arn) = arn.filter(|a| !a.is_empty()) {
                    self.target_groups
                        .entry((arn_region(arn, region), arn.clone()))
                        .or_default()
                        .push(place(format!("loadBalancers[{i}].{field}")));
                }
            }
        }
        let hooks = definition
            .deployment_configuration
            .as_ref()
            .and_then(|d| d.lifecycle_hooks.as_ref());
        for (i, hook) in hooks.into_iter().flatten().enumerate() {
            let lambda = hook
                .target_type
                .as_deref()
                .is_none_or(|t| t == "AWS_LAMBDA");
            if let Some(arn) = hook
                .hook_target_arn
                .as_ref()
                .filter(|a| lambda && !a.is_empty())
            {
                self.functions
                    .entry((arn_region(arn, region), arn.clone()))
                    .or_default()
                    .push(place(format!(
                        "deploymentConfiguration.lifecycleHooks[{i}].hookTargetArn"
                    )));
            }
        }
    }

    /// Roles a service's service definition names (ARNs, names or
    /// `path/name`), looked up by name.
    fn add_service_roles(&mut self, service: &str, roles: &[String]) {
        for role in roles {
            let name = role_name(role).or_else(|| {
                (!role.starts_with("arn:"))
                    .then(|| role.rsplit('/').next().map(str::to_owned))
                    .flatten()
            });
            if let Some(name) = name {
                self.roles.entry(name).or_default().push(Place {
                    service: service.to_owned(),
                    container: None,
                    field: "serviceDefinition role".into(),
                });
            }
        }
    }
}

/// The region of an ARN (`arn:aws:SERVICE:REGION:…`); `default` for a name.
fn arn_region(arn: &str, default: &str) -> String {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, _, region, ..] if !region.is_empty() => (*region).to_owned(),
        _ => default.to_owned(),
    }
}

/// What `definitions` (by service) need, in `region` (the cluster's).
pub fn needs(region: &str, definitions: &[(String, &TaskDefinitionSpec)]) -> Needs {
    let mut out = Needs::default();
    for (service, td) in definitions {
        if td.network_mode.as_deref() == Some("awsvpc") {
            out.awsvpc_services.insert(service.clone());
        }
        let place = |container: Option<&str>, field: String| Place {
            service: service.clone(),
            container: container.map(str::to_owned),
            field,
        };
        for (field, arn) in [
            ("taskRoleArn", &td.task_role_arn),
            ("executionRoleArn", &td.execution_role_arn),
        ] {
            if let Some(name) = arn.as_deref().and_then(role_name) {
                out.roles
                    .entry(name)
                    .or_default()
                    .push(place(None, field.to_owned()));
            }
        }
        for c in td.container_definitions.iter().flatten() {
            let name = c.name.as_deref();
            if let Some(image) = c.image.as_deref() {
                match ecr_image(image) {
                    Some(ecr) => out
                        .images
                        .entry(ecr)
                        .or_default()
                        .push(place(name, "image".into())),
                    None => out
                        .skipped_images
                        .entry(image.to_owned())
                        .or_default()
                        .push(place(name, "image".into())),
                }
            }
            for secret in c.secrets.iter().flatten() {
                let (Some(var), Some(from)) = (&secret.name, &secret.value_from) else {
                    continue;
                };
                out.secrets
                    .entry(secret_source(from, region))
                    .or_default()
                    .push(place(name, format!("secrets[{var}].valueFrom")));
            }
            if let Some(log) = &c.log_configuration
                && log.log_driver.as_deref() == Some("awslogs")
                && let Some(options) = &log.options
                && let Some(group) = options.get("awslogs-group")
                && options.get("awslogs-create-group").map(String::as_str) != Some("true")
            {
                let group_region = options
                    .get("awslogs-region")
                    .cloned()
                    .unwrap_or_else(|| region.to_owned());
                out.log_groups
                    .entry((group_region, group.clone()))
                    .or_default()
                    .push(place(name, "logConfiguration.options.awslogs-group".into()));
            }
        }
    }
    out
}

/// `arn:aws:iam::123456789012:role/path/name` → `name`.
fn role_name(arn: &str) -> Option<String> {
    let resource = arn.split(':').nth(5)?;
    let path = resource.strip_prefix("role/")?;
    path.rsplit('/').next().map(str::to_owned)
}

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPO(:TAG|@DIGEST)`; None for
/// other registries.
pub fn ecr_image(image: &str) -> Option<EcrImage> {
    let (host, path) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?.to_owned();
    let (repository, reference) = if let Some((repo, digest)) = path.split_once('@') {
        (repo, digest.to_owned())
    } else {
        match path.rsplit_once(':') {
            Some((repo, tag)) => (repo, tag.to_owned()),
            None => (path, "latest".to_owned()),
        }
    };
    Some(EcrImage {
        account: account.to_owned(),
        region,
        repository: repository.to_owned(),
        reference,
    })
}

/// Where `valueFrom` points. Secrets Manager ARNs may carry
/// `:json-key:version-stage:version-id` after the secret's name; SSM
/// parameters are an ARN or a name in the task's region.
pub fn secret_source(value_from: &str, region: &str) -> SecretSource {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "secretsmanager" {
        return SecretSource::Secret {
            region: parts[3].to_owned(),
            id: parts[..7].join(":"),
        };
    }
    if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "ssm" {
        let resource = parts[5..].join(":");
        let name = resource.strip_prefix("parameter").unwrap_or(&resource);
        // `parameter/shop/db` names `/shop/db`; `parameter/db` names `db`.
        let name = match name.strip_prefix('/') {
            Some(rest) if rest.contains('/') => format!("/{rest}"),
            Some(rest) => rest.to_owned(),
            None => name.to_owned(),
        };
        return SecretSource::Parameter {
            region: parts[3].to_owned(),
            name,
        };
    }
    SecretSource::Parameter {
        region: region.to_owned(),
        name: value_from.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::model::parse_task_definition;

    #[test]
    fn images_are_told_apart_by_registry() {
        let ecr = ecr_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:3f9c").unwrap();
        assert_eq!(
            (ecr.repository.as_str(), ecr.reference.as_str()),
            ("shop/web", "3f9c")
        );
        let digest =
            ecr_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:ab").unwrap();
        assert_eq!(
            (digest.region.as_str(), digest.reference.as_str()),
            ("eu-west-1", "sha256:ab")
        );
        assert_eq!(
            ecr_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop")
                .unwrap()
                .reference,
            "latest"
        );
        assert_eq!(ecr_image("nginx:1.27"), None);
        assert_eq!(ecr_image("ghcr.io/acme/shop:1"), None);
    }

    #[test]
    fn secret_sources_understand_suffixes_and_names() {
        let cases = [
            (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf:password::",
                SecretSource::Secret {
                    region: "us-east-1".into(),
                    id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf"
                        .into(),
                },
            ),
            (
                "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/database-url",
                SecretSource::Parameter {
                    region: "eu-west-1".into(),
                    name: "/shop/database-url".into(),
                },
            ),
            (
                "arn:aws:ssm:eu-west-1:123456789012:parameter/plain",
                SecretSource::Parameter {
                    region: "eu-west-1".into(),
                    name: "plain".into(),
                },
            ),
            (
                "/shop/secret-key-base",
                SecretSource::Parameter {
                    region: "us-east-1".into(),
                    name: "/shop/secret-key-base".into(),
                },
            ),
        ];
        for (from, expected) in cases {
            assert_eq!(secret_source(from, "us-east-1"), expected, "{from}");
        }
    }

    #[test]
    fn needs_name_every_place_once_per_definition() {
        let td = parse_task_definition(
            r#"{"family": "x", "taskRoleArn": "arn:aws:iam::1:role/app", "executionRoleArn": "arn:aws:iam::1:role/path/exec",
              "containerDefinitions": [
                {"name": "app", "image": "1.dkr.ecr.us-east-1.amazonaws.com/shop:1", "memory": 512,
                 "secrets": [{"name": "DB", "valueFrom": "/shop/db"}],
                 "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/shop", "awslogs-stream-prefix": "app"}}},
                {"name": "proxy", "image": "nginx:1.27", "memory": 64,
                 "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/proxy", "awslogs-create-group": "true"}}}]}"#,
        )
        .unwrap();
        let n = needs("us-east-1", &[("web".into(), &td), ("worker".into(), &td)]);
        assert_eq!(n.images.len(), 1);
        assert_eq!(n.images.values().next().unwrap().len(), 2, "web and worker");
        assert_eq!(n.skipped_images.len(), 1);
        assert_eq!(n.roles.keys().collect::<Vec<_>>(), ["app", "exec"]);
        assert_eq!(n.secrets.len(), 1);
        assert_eq!(
            n.log_groups.keys().collect::<Vec<_>>(),
            [&("us-east-1".to_owned(), "/ecs/shop".to_owned())],
            "a group with awslogs-create-group is not needed"
        );
        let place = &n.secrets.values().next().unwrap()[0];
        assert_eq!(
            place.to_string(),
            "web: container app: secrets[DB].valueFrom"
        );
    }
}
