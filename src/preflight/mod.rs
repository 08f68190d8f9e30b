//! Preflight: before a release changes anything, check that ECS could run
//! what it would register — every ECR image exists, the task and execution
//! roles exist, every secret's parameter or secret exists, every `awslogs`
//! group exists (unless the driver creates it) — and, for `verify`, what
//! the service definitions name: roles, target groups (attached to a load
//! balancer, of target type `ip` for awsvpc) and Lambda hook functions. `deckhand verify` runs it
//! alone; `apply` runs it first, before the lease, so a release that cannot
//! work stops with zero mutating calls.
//!
//! [`need`] says what to look up (pure), [`check`] looks it up through
//! [`Lookups`] in batches, and [`verdict`] turns the answers into problems and
//! warnings (pure). A lookup the credentials may not make is a warning.

pub mod need;

use crate::ecs::{AwsError, Lookups, TargetGroup};
use crate::servicedef::ServiceDefinition;
use crate::taskdef::model::TaskDefinitionSpec;
use need::{EcrImage, Needs, Place, SecretSource};
use std::collections::BTreeMap;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// It exists.
    Exists,
    /// It does not.
    Missing,
    /// The credentials may not look (`action` is the IAM action).
    Denied {
        /// e.g. `ecr:DescribeImages`.
        action: String,
    },
}

/// The answers, keyed like [`Needs`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Found {
    /// ECR images.
    pub images: BTreeMap<EcrImage, Presence>,
    /// IAM roles.
    pub roles: BTreeMap<String, Presence>,
    /// Parameters and secrets.
    pub secrets: BTreeMap<SecretSource, Presence>,
    /// Log groups.
    pub log_groups: BTreeMap<(String, String), Presence>,
    /// Target groups, and what ECS needs of those that exist.
    pub target_groups: BTreeMap<(String, String), (Presence, Option<TargetGroup>)>,
    /// Lambda functions.
    pub functions: BTreeMap<(String, String), Presence>,
}

/// The outcome of a preflight.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// One line per missing thing and place: the release cannot work.
    pub problems: Vec<String>,
    /// Checks not made (not ECR, or not allowed).
    pub warnings: Vec<String>,
}

impl Report {
    /// Nothing is missing.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Problems and warnings from what was needed and what was found: pure.
pub fn verdict(needs: &Needs, found: &Found) -> Report {
    let mut report = Report::default();
    let mut refused = Vec::new();
    let mut judge =
        |places: &[Place], presence: Option<&Presence>, what: String, fix: &str| match presence {
            Some(Presence::Exists) | None => {}
            Some(Presence::Missing) => {
                for place in places {
                    report.problems.push(format!("{place}: {what} {fix}"));
                }
            }
            Some(Presence::Denied { action }) => report.warnings.push(format!(
                "{}: could not check {what}: these credentials may not call {action}",
                places.first().map(ToString::to_string).unwrap_or_default()
            )),
        };
    for (image, places) in &needs.images {
        judge(
            places,
            found.images.get(image),
            format!(
                "{}.dkr.ecr.{}.amazonaws.com/{}{}{}",
                image.account,
                image.region,
                image.repository,
                if image.reference.starts_with("sha256:") {
                    "@"
                } else {
                    ":"
                },
                image.reference
            ),
            "is not in ECR: push it before releasing, or fix the image in the spec",
        );
    }
    for (role, places) in &needs.roles {
        judge(
            places,
            found.roles.get(role),
            format!("IAM role {role}"),
            "does not exist: create it, or fix the ARN in the task definition",
        );
    }
    for (source, places) in &needs.secrets {
        let (what, fix) = match source {
            SecretSource::Parameter { region, name } => (
                format!("SSM parameter {name} (region {region})"),
                "does not exist: create it (aws ssm put-parameter), or fix valueFrom",
            ),
            SecretSource::Secret { id, .. } => (
                format!("Secrets Manager secret {id}"),
                "does not exist: create it (aws secretsmanager create-secret), or fix valueFrom",
            ),
        };
        judge(places, found.secrets.get(source), what, fix);
    }
    for (key, places) in &needs.log_groups {
        judge(
            places,
            found.log_groups.get(key),
            format!("log group {} (region {})", key.1, key.0),
            "does not exist: create it, or set awslogs-create-group to \"true\"",
        );
    }
    service_definitions(needs, found, &mut judge, &mut refused);
    report.problems.extend(refused);
    for (image, places) in &needs.skipped_images {
        let services: Vec<&str> = places.iter().map(|p| p.service.as_str()).collect();
        report.warnings.push(format!(
            "image {image} ({}) is not in ECR: not checked",
            services.join(", ")
        ));
    }
    report
}

/// The target groups and hook functions of service definitions, judged
/// like the rest; what ECS would refuse of a target group that exists goes
/// to `refused`.
fn service_definitions(
    needs: &Needs,
    found: &Found,
    judge: &mut impl FnMut(&[Place], Option<&Presence>, String, &str),
    refused: &mut Vec<String>,
) {
    for (key, places) in &needs.target_groups {
        let (presence, group) = match found.target_groups.get(key) {
            Some((presence, group)) => (Some(presence), group.as_ref()),
            None => (None, None),
        };
        judge(
            places,
            presence,
            format!("target group {}", key.1),
            "does not exist: create it, or fix the ARN in the service definition",
        );
        if let Some(group) = group {
            refused.extend(target_group_problems(needs, places, group));
        }
    }
    for (key, places) in &needs.functions {
        judge(
            places,
            found.functions.get(key),
            format!("Lambda function {}", key.1),
            "does not exist: create it, or fix hookTargetArn in the service definition",
        );
    }
}

/// What ECS refuses of a target group that exists: one with no load
/// balancer, or of target type `instance` for a service in awsvpc mode.
fn target_group_problems(needs: &Needs, places: &[Place], group: &TargetGroup) -> Vec<String> {
    let mut problems = Vec::new();
    for place in places {
        if group.load_balancers == 0 {
            problems.push(format!(
                "{place}: target group {} is not attached to a load balancer, and ECS refuses \
                 it: add it to a listener (rule) of its load balancer",
                group.arn
            ));
        }
        let target_type = group.target_type.as_deref().unwrap_or("instance");
        if target_type != "ip" && needs.awsvpc_services.contains(&place.service) {
            problems.push(format!(
                "{place}: target group {} has target type {target_type}, but the task \
                 definition uses the awsvpc network mode, which needs target type ip: \
                 create the target group with --target-type ip",
                group.arn
            ));
        }
    }
    problems
}

/// The whole preflight of `definitions` (by service) and of what the
/// `services`' definitions name, in the client's region: what they need,
/// looked up, judged.
pub async fn run<E: Lookups>(
    ecs: &E,
    definitions: &[(String, &TaskDefinitionSpec)],
    services: &[(String, &ServiceDefinition)],
) -> Result<(Needs, Report), AwsError> {
    let region = ecs.region().unwrap_or_default();
    let mut needs = need::needs(&region, definitions);
    for (service, definition) in services {
        needs.add_service_definition(&region, service, definition);
    }
    let found = check(ecs, &needs).await?;
    let report = verdict(&needs, &found);
    Ok((needs, report))
}

/// Look up every need through `ecs`, batched: one DescribeImages per
/// repository, SSM parameters ten at a time, target groups twenty at a time
/// per region, one call per role, secret, log group and function.
/// AccessDenied becomes [`Presence::Denied`]; any other failure ends the
/// check.
pub async fn check<E: Lookups>(ecs: &E, needs: &Needs) -> Result<Found, AwsError> {
    let (images, roles, secrets, log_groups, target_groups, functions) = tokio::try_join!(
        check_images(ecs, needs),
        check_roles(ecs, needs),
        check_secrets(ecs, needs),
        check_log_groups(ecs, needs),
        check_target_groups(ecs, needs),
        check_functions(ecs, needs),
    )?;
    Ok(Found {
        images,
        roles,
        secrets,
        log_groups,
        target_groups,
        functions,
    })
}

async fn check_target_groups<E: Lookups>(
    ecs: &E,
    needs: &Needs,
) -> Result<BTreeMap<(String, String), (Presence, Option<TargetGroup>)>, AwsError> {
    let mut regions: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (region, arn) in needs.target_groups.keys() {
        regions.entry(region).or_default().push(arn.clone());
    }
    let lookups = regions.into_iter().map(|(region, arns)| async move {
        let answer = match ecs.describe_target_groups(region, &arns).await {
            Ok(groups) => groups,
            Err(e) => {
                let presence = denied(e)?;
                return Ok::<_, AwsError>(
                    arns.into_iter()
                        .map(|arn| ((region.to_owned(), arn), (presence.clone(), None)))
                        .collect::<Vec<_>>(),
                );
            }
        };
        Ok(arns
            .into_iter()
            .map(|arn| {
                let group = answer.iter().find(|g| g.arn == arn).cloned();
                let presence = if group.is_some() {
                    Presence::Exists
                } else {
                    Presence::Missing
                };
                ((region.to_owned(), arn), (presence, group))
            })
            .collect())
    });
    Ok(futures_util::future::try_join_all(lookups)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

async fn check_functions<E: Lookups>(
    ecs: &E,
    needs: &Needs,
) -> Result<BTreeMap<(String, String), Presence>, AwsError> {
    let lookups = needs.functions.keys().map(|key| async move {
        Ok::<_, AwsError>((key.clone(), one(ecs.function_exists(&key.0, &key.1).await)?))
    });
    Ok(futures_util::future::try_join_all(lookups)
        .await?
        .into_iter()
        .collect())
}

async fn check_images<E: Lookups>(
    ecs: &E,
    needs: &Needs,
) -> Result<BTreeMap<EcrImage, Presence>, AwsError> {
    let mut repositories: BTreeMap<(&str, &str, &str), Vec<&EcrImage>> = BTreeMap::new();
    for image in needs.images.keys() {
        repositories
            .entry((&image.account, &image.region, &image.repository))
            .or_default()
            .push(image);
    }
    let lookups =
        repositories
            .into_iter()
            .map(|((account, region, repository), images)| async move {
                let references: Vec<String> = images.iter().map(|i| i.reference.clone()).collect();
                let answer = ecs
                    .describe_images(region, account, repository, &references)
                    .await;
                let answers = batch(answer, &references)?;
                Ok::<_, AwsError>(images.into_iter().cloned().zip(answers).collect::<Vec<_>>())
            });
    let mut found = BTreeMap::new();
    for pairs in futures_util::future::try_join_all(lookups).await? {
        found.extend(pairs);
    }
    Ok(found)
}

async fn check_roles<E: Lookups>(
    ecs: &E,
    needs: &Needs,
) -> Result<BTreeMap<String, Presence>, AwsError> {
    let roles: Vec<String> = needs.roles.keys().cloned().collect();
    if roles.is_empty() {
        return Ok(BTreeMap::new());
    }
    let answers = batch(ecs.roles_exist(&roles).await, &roles)?;
    Ok(roles.into_iter().zip(answers).collect())
}

async fn check_secrets<E: Lookups>(
    ecs: &E,
    needs: &Needs,
) -> Result<BTreeMap<SecretSource, Presence>, AwsError> {
    let mut parameters: BTreeMap<&str, Vec<(&SecretSource, String)>> = BTreeMap::new();
    let mut secrets = Vec::new();
    for source in needs.secrets.keys() {
        match source {
            SecretSource::Parameter { region, name } => parameters
                .entry(region)
                .or_default()
                .push((source, name.clone())),
            SecretSource::Secret { region, id } => secrets.push(async move {
                Ok::<_, AwsError>((source.clone(), one(ecs.secret_exists(region, id).await)?))
            }),
        }
    }
    let parameter_lookups = parameters.into_iter().map(|(region, sources)| async move {
        let names: Vec<String> = sources.iter().map(|(_, n)| n.clone()).collect();
        let answers = batch(ecs.parameters_exist(region, &names).await, &names)?;
        Ok::<_, AwsError>(
            sources
                .into_iter()
                .map(|(s, _)| s.clone())
                .zip(answers)
                .collect::<Vec<_>>(),
        )
    });
    let (secrets, parameters) = tokio::try_join!(
        futures_util::future::try_join_all(secrets),
        futures_util::future::try_join_all(parameter_lookups),
    )?;
    let mut found: BTreeMap<SecretSource, Presence> = secrets.into_iter().collect();
    for pairs in parameters {
        found.extend(pairs);
    }
    Ok(found)
}

async fn check_log_groups<E: Lookups>(
    ecs: &E,
    needs: &Needs,
) -> Result<BTreeMap<(String, String), Presence>, AwsError> {
    let lookups = needs.log_groups.keys().map(|key| async move {
        Ok::<_, AwsError>((
            key.clone(),
            one(ecs.log_group_exists(&key.0, &key.1).await)?,
        ))
    });
    Ok(futures_util::future::try_join_all(lookups)
        .await?
        .into_iter()
        .collect())
}

/// The presence of each of `asked` in a batch answer (the set of those that exist).
fn batch(
    answer: Result<std::collections::BTreeSet<String>, AwsError>,
    asked: &[String],
) -> Result<Vec<Presence>, AwsError> {
    match answer {
        Ok(existing) => Ok(asked
            .iter()
            .map(|a| {
                if existing.contains(a) {
                    Presence::Exists
                } else {
                    Presence::Missing
                }
            })
            .collect()),
        Err(e) => {
            let presence = denied(e)?;
            Ok(vec![presence; asked.len()])
        }
    }
}

/// The presence of one thing.
fn one(answer: Result<bool, AwsError>) -> Result<Presence, AwsError> {
    match answer {
        Ok(true) => Ok(Presence::Exists),
        Ok(false) => Ok(Presence::Missing),
        Err(e) => denied(e),
    }
}

/// AccessDenied is an answer (the check was not allowed); other errors are errors.
fn denied(error: AwsError) -> Result<Presence, AwsError> {
    match error {
        AwsError::AccessDenied { action, .. } => Ok(Presence::Denied { action }),
        e => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::model::parse_task_definition;

    fn shop() -> Needs {
        let td = parse_task_definition(
            r#"{"family": "x", "taskRoleArn": "arn:aws:iam::1:role/app",
              "containerDefinitions": [{"name": "app", "image": "1.dkr.ecr.us-east-1.amazonaws.com/shop:9a8b", "memory": 512,
                 "secrets": [{"name": "DB", "valueFrom": "/shop/db"}]},
                {"name": "proxy", "image": "nginx:1.27", "memory": 64}]}"#,
        )
        .unwrap();
        need::needs("us-east-1", &[("web".into(), &td), ("worker".into(), &td)])
    }

    fn all(needs: &Needs, presence: Presence) -> Found {
        Found {
            images: needs
                .images
                .keys()
                .map(|k| (k.clone(), presence.clone()))
                .collect(),
            roles: needs
                .roles
                .keys()
                .map(|k| (k.clone(), presence.clone()))
                .collect(),
            secrets: needs
                .secrets
                .keys()
                .map(|k| (k.clone(), presence.clone()))
                .collect(),
            log_groups: needs
                .log_groups
                .keys()
                .map(|k| (k.clone(), presence.clone()))
                .collect(),
            target_groups: needs
                .target_groups
                .keys()
                .map(|k| {
                    let group = (presence == Presence::Exists).then(|| TargetGroup {
                        arn: k.1.clone(),
                        target_type: Some("ip".into()),
                        load_balancers: 1,
                    });
                    (k.clone(), (presence.clone(), group))
                })
                .collect(),
            functions: needs
                .functions
                .keys()
                .map(|k| (k.clone(), presence.clone()))
                .collect(),
        }
    }

    /// `shop` with web behind a blue/green load balancer and a Lambda
    /// hook, its task definition in awsvpc mode.
    fn blue_green() -> Needs {
        let td = parse_task_definition(
            r#"{"family": "x", "networkMode": "awsvpc",
              "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "memory": 512}]}"#,
        )
        .unwrap();
        let sd = crate::servicedef::parse_service_definition(
            r#"{"loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blue/1",
                  "containerName": "app", "containerPort": 80,
                  "advancedConfiguration": {"alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/green/2",
                    "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/x/1/2/3",
                    "roleArn": "arn:aws:iam::1:role/ecs-lb"}}],
                "deploymentConfiguration": {"strategy": "BLUE_GREEN", "lifecycleHooks": [
                  {"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:aws:lambda:eu-west-1:1:function:smoke",
                   "roleArn": "arn:aws:iam::1:role/hook", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]},
                  {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]}}"#,
        )
        .unwrap();
        let mut needs = need::needs("us-east-1", &[("web".into(), &td)]);
        needs.add_service_definition("us-east-1", "web", &sd);
        needs
    }

    #[test]
    fn a_service_definition_needs_its_target_groups_hook_functions_and_roles() {
        let needs = blue_green();
        let groups: Vec<&str> = needs.target_groups.keys().map(|k| k.1.as_str()).collect();
        assert_eq!(groups.len(), 2, "primary and alternate: {groups:?}");
        assert_eq!(
            needs.functions.keys().collect::<Vec<_>>(),
            [&(
                "eu-west-1".to_owned(),
                "arn:aws:lambda:eu-west-1:1:function:smoke".to_owned()
            )],
            "looked up in the function's region; a PAUSE hook names none"
        );
        assert_eq!(needs.roles.keys().collect::<Vec<_>>(), ["ecs-lb", "hook"]);
        assert!(needs.awsvpc_services.contains("web"));
        assert!(
            needs
                .summary()
                .ends_with(", 2 target group(s), 1 function(s)"),
            "{}",
            needs.summary()
        );
        assert!(verdict(&needs, &all(&needs, Presence::Exists)).passed());

        let report = verdict(&needs, &all(&needs, Presence::Missing));
        assert!(report.problems.contains(&"web: serviceDefinition loadBalancers[0].advancedConfiguration.alternateTargetGroupArn: target group arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/green/2 does not exist: create it, or fix the ARN in the service definition".to_owned()), "{report:#?}");
        assert!(report.problems.contains(&"web: serviceDefinition deploymentConfiguration.lifecycleHooks[0].hookTargetArn: Lambda function arn:aws:lambda:eu-west-1:1:function:smoke does not exist: create it, or fix hookTargetArn in the service definition".to_owned()), "{report:#?}");
    }

    #[test]
    fn a_target_group_ecs_would_refuse_is_a_problem() {
        let needs = blue_green();
        let mut found = all(&needs, Presence::Exists);
        for (_, group) in found.target_groups.values_mut() {
            let group = group.as_mut().unwrap();
            if group.arn.contains("/blue/") {
                group.load_balancers = 0;
            } else {
                group.target_type = Some("instance".into());
            }
        }
        let report = verdict(&needs, &found);
        assert_eq!(report.problems.len(), 2, "{report:#?}");
        assert!(
            report.problems[0].contains("targetgroup/blue/1 is not attached to a load balancer"),
            "{report:#?}"
        );
        assert!(report.problems[1].contains("targetgroup/green/2 has target type instance, but the task definition uses the awsvpc network mode"), "{report:#?}");
    }

    #[test]
    fn everything_found_passes_and_other_registries_are_said_to_be_skipped() {
        let needs = shop();
        let report = verdict(&needs, &all(&needs, Presence::Exists));
        assert!(report.passed(), "{report:?}");
        assert_eq!(
            report.warnings,
            ["image nginx:1.27 (web, worker) is not in ECR: not checked"]
        );
    }

    #[test]
    fn each_missing_thing_is_named_per_place_with_its_fix() {
        let needs = shop();
        let report = verdict(&needs, &all(&needs, Presence::Missing));
        assert!(!report.passed());
        assert!(report.problems.contains(
            &"web: container app: image: 1.dkr.ecr.us-east-1.amazonaws.com/shop:9a8b is not in ECR: push it before releasing, or fix the image in the spec".to_owned()
        ), "{report:#?}");
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.starts_with("worker: taskRoleArn: IAM role app does not exist"))
        );
        assert!(report.problems.iter().any(|p| p.starts_with("web: container app: secrets[DB].valueFrom: SSM parameter /shop/db (region us-east-1) does not exist")));
        // image, role and parameter, for web and for worker
        assert_eq!(report.problems.len(), 6);
    }

    #[test]
    fn a_check_that_may_not_be_made_is_a_warning() {
        let needs = shop();
        let mut found = all(&needs, Presence::Exists);
        for p in found.roles.values_mut() {
            *p = Presence::Denied {
                action: "iam:GetRole".into(),
            };
        }
        let report = verdict(&needs, &found);
        assert!(report.passed());
        assert!(report.warnings.iter().any(|w| w == "web: taskRoleArn: could not check IAM role app: these credentials may not call iam:GetRole"), "{report:#?}");
    }
}
