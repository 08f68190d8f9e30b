//! The least-privilege IAM policy for applying environments, derived from
//! their specs and rendered task definitions: pure, no AWS access.
//!
//! Each statement names the resources it can: the clusters, their services
//! (by name), their service deployments and tasks, the task-definition
//! families, `iam:PassRole` on exactly the roles the task definitions use
//! (only to ECS tasks) and the roles the service definitions name (only to
//! ECS), and the read-only lookups of `verify` and of migration logs (ECR
//! repositories, roles, parameters, secrets, log groups, and the target
//! groups and Lambda hook functions of service definitions). Actions that IAM
//! cannot scope to a resource (RegisterTaskDefinition, DescribeTaskDefinition,
//! ListTasks, Application Auto Scaling) get `*`, with an `ecs:cluster`
//! condition where IAM supports one.
//!
//! The service-deployment calls are scoped as the ECS developer guide's
//! example policy ("Permissions required for viewing Amazon ECS service
//! deployments") scopes them: ListServiceDeployments on the service,
//! DescribeServiceDeployments and StopServiceDeployment on its deployments
//! (`service-deployment/<cluster>/<service>/*`).

use crate::spec::{Environment, render};
use crate::taskdef::model::TaskDefinitionSpec;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Where ARNs point when the spec does not say.
struct Scope {
    partition: String,
    account: String,
}

/// The policy document for `environments`. `account` overrides the account
/// read off the definitions' role ARNs; `default_region` is used for
/// environments without `region:` (else `*`); `lock_table` adds the lease
/// calls on that DynamoDB table.
pub fn policy(
    environments: &[Environment],
    account: Option<&str>,
    default_region: Option<&str>,
    lock_table: Option<&str>,
) -> Value {
    let definitions: Vec<(&Environment, TaskDefinitionSpec)> = environments
        .iter()
        .flat_map(|env| {
            render::definitions(env)
                .into_iter()
                .map(move |r| (env, r.task_definition))
        })
        .collect();
    let roles: BTreeSet<String> = definitions
        .iter()
        .flat_map(|(_, td)| [td.task_role_arn.clone(), td.execution_role_arn.clone()])
        .flatten()
        .collect();
    let service_roles: Vec<String> = environments
        .iter()
        .flat_map(|env| &env.services)
        .filter_map(|s| s.service_definition.as_ref())
        .flat_map(|file| crate::servicedef::roles_named(&file.definition))
        .collect();
    let scope = Scope::of(
        &roles
            .iter()
            .chain(service_roles.iter().filter(|r| r.starts_with("arn:")))
            .cloned()
            .collect(),
        account,
    );
    let resources = Resources::of(environments, &scope, default_region);
    let mut statements = ecs_statements(&resources);
    if !roles.is_empty() {
        let mut pass = statement("PassTaskRoles", &["iam:PassRole"], &roles);
        pass["Condition"] =
            json!({"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}});
        statements.push(pass);
        statements.push(statement("VerifyRoles", &["iam:GetRole"], &roles));
    }
    if !service_roles.is_empty() {
        let arns: BTreeSet<String> = service_roles
            .iter()
            .map(|role| scope.role_arn(role))
            .collect();
        let mut pass = statement("PassServiceRoles", &["iam:PassRole"], &arns);
        pass["Condition"] = json!({"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}});
        statements.push(pass);
        statements.push(statement("VerifyServiceRoles", &["iam:GetRole"], &arns));
    }
    statements.extend(service_definition_lookups(environments));
    if environments
        .iter()
        .flat_map(|env| &env.services)
        .any(|s| s.autoscaling.is_some())
    {
        statements.extend(autoscaling_statements(&scope));
    }
    statements.extend(lookups(&definitions, &scope, default_region));
    if let Some(table) = lock_table {
        // Leases: conditional writes, and the replicas' scan of the table.
        let region = default_region.unwrap_or("*");
        let (p, a) = (&scope.partition, &scope.account);
        statements.push(statement(
            "LockTable",
            &[
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Scan",
            ],
            &BTreeSet::from([format!("arn:{p}:dynamodb:{region}:{a}:table/{table}")]),
        ));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

impl Scope {
    /// The partition of the roles' ARNs (else `aws`), and `account` or the
    /// roles' account (else `*`).
    fn of(roles: &BTreeSet<String>, account: Option<&str>) -> Scope {
        let field = |n| {
            roles
                .iter()
                .find_map(|r| r.split(':').nth(n).map(str::to_owned))
        };
        Scope {
            partition: field(1).unwrap_or_else(|| "aws".into()),
            account: account
                .map(str::to_owned)
                .or_else(|| field(4))
                .unwrap_or_else(|| "*".into()),
        }
    }

    /// A role as CreateService takes it (an ARN, a name or `path/name`) as an ARN.
    fn role_arn(&self, role: &str) -> String {
        if role.starts_with("arn:") {
            role.to_owned()
        } else {
            let (p, a) = (&self.partition, &self.account);
            format!("arn:{p}:iam::{a}:role/{}", role.trim_start_matches('/'))
        }
    }
}

/// The `sts:AssumeRole` statement deckhand's own credentials need for the
/// environments' `roleArn`s (session names `deckhand-<environment>`); None
/// when no environment has one.
pub fn assume_roles(environments: &[Environment]) -> Option<Value> {
    let roles: BTreeSet<String> = environments
        .iter()
        .filter_map(|e| e.role_arn.clone())
        .collect();
    if roles.is_empty() {
        return None;
    }
    let mut assume = statement("AssumeEnvironmentRoles", &["sts:AssumeRole"], &roles);
    assume["Condition"] = json!({"StringLike": {"sts:RoleSessionName": "deckhand-*"}});
    Some(assume)
}

/// What `verify` looks up of the service definitions: their target groups
/// (ELB's Describe actions take no resource: `*`) and their Lambda hook
/// functions (by ARN).
fn service_definition_lookups(environments: &[Environment]) -> Vec<Value> {
    let mut needs = crate::preflight::need::Needs::default();
    for env in environments {
        let region = env.region.as_deref().unwrap_or("*");
        for service in &env.services {
            if let Some(file) = &service.service_definition {
                needs.add_service_definition(region, &service.name, &file.definition);
            }
        }
    }
    let mut statements = Vec::new();
    if !needs.target_groups.is_empty() {
        statements.push(statement(
            "VerifyTargetGroups",
            &["elasticloadbalancing:DescribeTargetGroups"],
            &BTreeSet::from(["*".to_owned()]),
        ));
    }
    if !needs.functions.is_empty() {
        let functions: BTreeSet<String> = needs.functions.into_keys().map(|(_, f)| f).collect();
        statements.push(statement(
            "VerifyHookFunctions",
            &["lambda:GetFunction"],
            &functions,
        ));
    }
    statements
}

/// The ECS resources the environments release to, as ARNs.
struct Resources {
    clusters: BTreeSet<String>,
    services: BTreeSet<String>,
    /// `service-deployment/<cluster>/<service>/*`.
    service_deployments: BTreeSet<String>,
    tasks: BTreeSet<String>,
    families: BTreeSet<String>,
}

impl Resources {
    fn of(environments: &[Environment], scope: &Scope, default_region: Option<&str>) -> Resources {
        let (p, a) = (&scope.partition, &scope.account);
        let mut r = Resources {
            clusters: BTreeSet::new(),
            services: BTreeSet::new(),
            service_deployments: BTreeSet::new(),
            tasks: BTreeSet::new(),
            families: BTreeSet::new(),
        };
        for env in environments {
            let region = env.region.as_deref().or(default_region).unwrap_or("*");
            let (cluster_arn, name) = match env.cluster.strip_prefix("arn:") {
                Some(_) => (
                    env.cluster.clone(),
                    env.cluster.rsplit('/').next().unwrap_or("*").to_owned(),
                ),
                None => (
                    format!("arn:{p}:ecs:{region}:{a}:cluster/{}", env.cluster),
                    env.cluster.clone(),
                ),
            };
            let prefix = cluster_arn
                .split(":cluster/")
                .next()
                .unwrap_or_default()
                .to_owned();
            for service in &env.services {
                r.services
                    .insert(format!("{prefix}:service/{name}/{}", service.name));
                r.service_deployments.insert(format!(
                    "{prefix}:service-deployment/{name}/{}/*",
                    service.name
                ));
                r.families
                    .insert(format!("{prefix}:task-definition/{}:*", service.family));
            }
            if env.migration.is_some() {
                r.families.insert(format!(
                    "{prefix}:task-definition/{}:*",
                    env.migration_family()
                ));
            }
            r.tasks.insert(format!("{prefix}:task/{name}/*"));
            r.clusters.insert(cluster_arn);
        }
        r
    }
}

/// The ECS and Application Auto Scaling statements.
fn ecs_statements(r: &Resources) -> Vec<Value> {
    vec![
        statement("ReadClusters", &["ecs:DescribeClusters"], &r.clusters),
        statement(
            "ReleaseServices",
            &[
                "ecs:DescribeServices",
                "ecs:UpdateService",
                "ecs:CreateService",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:ListServiceDeployments",
            ],
            &r.services,
        ),
        // Rollouts of every strategy are judged, and stopped with rollback,
        // by their service deployment.
        statement(
            "WatchServiceDeployments",
            &[
                "ecs:DescribeServiceDeployments",
                "ecs:StopServiceDeployment",
            ],
            &r.service_deployments,
        ),
        // The lease, the schema revision and the last release are cluster tags.
        statement(
            "RecordOnClusters",
            &["ecs:TagResource", "ecs:UntagResource"],
            &r.clusters,
        ),
        statement("RunMigrations", &["ecs:RunTask"], &r.families),
        statement(
            "WatchMigrations",
            &["ecs:DescribeTasks", "ecs:StopTask", "ecs:TagResource"],
            &r.tasks,
        ),
        json!({
            "Sid": "ListInClusters",
            "Effect": "Allow",
            "Action": ["ecs:ListTasks", "ecs:ListServices"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": r.clusters.iter().collect::<Vec<_>>()}},
        }),
        // The release history is a task-definition family too.
        json!({
            "Sid": "TaskDefinitions",
            "Effect": "Allow",
            "Action": [
                "ecs:RegisterTaskDefinition",
                "ecs:DescribeTaskDefinition",
                "ecs:ListTaskDefinitions",
            ],
            "Resource": "*",
        }),
        json!({
            "Sid": "SuspendAutoscalingWhileQuiesced",
            "Effect": "Allow",
            "Action": [
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:RegisterScalableTarget",
            ],
            "Resource": "*",
        }),
    ]
}

/// Declared autoscaling: deckhand's target-tracking policies (the scalable
/// target itself is in SuspendAutoscalingWhileQuiesced).
fn autoscaling_statements(scope: &Scope) -> Vec<Value> {
    let mut out = Vec::new();
    // Declared autoscaling: deckhand's target-tracking policies (the
    // scalable target itself is in SuspendAutoscalingWhileQuiesced).
    out.push(json!({
        "Sid": "DeclaredAutoscaling",
        "Effect": "Allow",
        "Action": [
            "application-autoscaling:DescribeScalingPolicies",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:DeleteScalingPolicy",
        ],
        "Resource": "*",
    }));
    // A first scalable target of an account creates Application Auto
    // Scaling's service-linked role for ECS.
    out.push(json!({
        "Sid": "AutoscalingServiceLinkedRole",
        "Effect": "Allow",
        "Action": ["iam:CreateServiceLinkedRole"],
        "Resource": format!(
            "arn:{}:iam::{}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
            scope.partition, scope.account
        ),
        "Condition": {"StringLike": {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}},
    }));
    out
}

fn statement(sid: &str, actions: &[&str], resources: &BTreeSet<String>) -> Value {
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources.iter().collect::<Vec<_>>(),
    })
}

/// The read-only lookups of `verify` and the migration log: ECR
/// repositories, parameters, secrets and log groups the definitions name.
fn lookups(
    definitions: &[(&Environment, TaskDefinitionSpec)],
    scope: &Scope,
    default_region: Option<&str>,
) -> Vec<Value> {
    let (p, a) = (&scope.partition, &scope.account);
    let mut repositories = BTreeSet::new();
    let mut parameters = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    let mut log_groups = BTreeSet::new();
    for (env, td) in definitions {
        let region = env.region.as_deref().or(default_region).unwrap_or("*");
        for c in td.container_definitions.iter().flatten() {
            if let Some(repo) = c.image.as_deref().and_then(|i| ecr_repository(i, p)) {
                repositories.insert(repo);
            }
            for from in c
                .secrets
                .iter()
                .flatten()
                .filter_map(|s| s.value_from.as_deref())
            {
                match secret_resource(from, scope, region) {
                    Secret::Manager(arn) => secrets.insert(arn),
                    Secret::Parameter(arn) => parameters.insert(arn),
                };
            }
            if let Some(log) = &c.log_configuration
                && log.log_driver.as_deref() == Some("awslogs")
                && let Some(group) = log.options.as_ref().and_then(|o| o.get("awslogs-group"))
            {
                let region = log
                    .options
                    .as_ref()
                    .and_then(|o| o.get("awslogs-region"))
                    .map_or(region, String::as_str);
                log_groups.insert(format!("arn:{p}:logs:{region}:{a}:log-group:{group}:*"));
            }
        }
    }
    let mut out = Vec::new();
    // Only existence is checked: parameters with WithDecryption false, their
    // values never read.
    for (sid, action, resources) in [
        ("VerifyImages", "ecr:DescribeImages", &repositories),
        ("VerifyParameters", "ssm:GetParameters", &parameters),
        ("VerifySecrets", "secretsmanager:DescribeSecret", &secrets),
    ] {
        if !resources.is_empty() {
            out.push(statement(sid, &[action], resources));
        }
    }
    if !log_groups.is_empty() {
        out.push(json!({
            "Sid": "VerifyLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups"],
            "Resource": "*",
        }));
        out.push(statement(
            "ReadMigrationLogs",
            &["logs:GetLogEvents"],
            &log_groups,
        ));
    }
    out
}

/// What a container secret's `valueFrom` names, as a policy resource.
enum Secret {
    /// A Secrets Manager secret (its ARN, any JSON key or version).
    Manager(String),
    /// An SSM parameter's ARN.
    Parameter(String),
}

fn secret_resource(from: &str, scope: &Scope, region: &str) -> Secret {
    let (p, a) = (&scope.partition, &scope.account);
    if from.contains(":secretsmanager:") {
        // A JSON key or version may follow the secret's ARN.
        let arn: Vec<&str> = from.split(':').take(7).collect();
        Secret::Manager(format!("{}*", arn.join(":")))
    } else if from.starts_with("arn:") {
        Secret::Parameter(from.to_owned())
    } else {
        let name = from.trim_start_matches('/');
        Secret::Parameter(format!("arn:{p}:ssm:{region}:{a}:parameter/{name}"))
    }
}

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG` → the repository's ARN.
fn ecr_repository(image: &str, partition: &str) -> Option<String> {
    let (host, path) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    let name = path.split(['@', ':']).next()?;
    Some(format!(
        "arn:{partition}:ecr:{region}:{account}:repository/{name}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_images_name_their_repository() {
        assert_eq!(
            ecr_repository(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:3f9c",
                "aws"
            )
            .as_deref(),
            Some("arn:aws:ecr:us-east-1:123456789012:repository/shop/web")
        );
        assert_eq!(
            ecr_repository(
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:ab",
                "aws"
            )
            .as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/shop")
        );
        assert_eq!(ecr_repository("nginx:1.27", "aws"), None);
        assert_eq!(ecr_repository("ghcr.io/acme/shop:1", "aws"), None);
    }

    fn shop_staging() -> Environment {
        let loc = crate::source::RepoLocation {
            repo: concat!(env!("CARGO_MANIFEST_DIR"), "/examples/shop").into(),
            git_ref: None,
            cache_dir: std::env::temp_dir(),
            auth: Default::default(),
            trust: None,
        };
        let snapshot = crate::source::Snapshot::open(&loc).unwrap();
        crate::spec::load(&snapshot, "staging").unwrap()
    }

    fn by_sid(doc: &Value, sid: &str) -> Option<Value> {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
    }

    #[test]
    fn roles_a_service_definition_names_may_be_passed_to_ecs_only() {
        let mut env = shop_staging();
        let definition = crate::servicedef::parse_service_definition(
            &json!({
                "role": "ecs/shop-elb",
                "deploymentConfiguration": {
                    "strategy": "BLUE_GREEN",
                    "lifecycleHooks": [{
                        "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:smoke",
                        "roleArn": "arn:aws:iam::123456789012:role/shop-hooks",
                        "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                        "hookDetails": {"roleArn": "not-a-role-ecs-is-given"}
                    }]
                },
                "volumeConfigurations": [{"name": "data", "managedEBSVolume": {
                    "roleArn": "arn:aws:iam::123456789012:role/shop-ebs", "sizeInGiB": 10
                }}]
            })
            .to_string(),
        )
        .unwrap();
        env.services[0].service_definition = Some(crate::spec::ServiceDefinitionFile {
            path: "service-definitions/web.json".into(),
            definition: std::sync::Arc::new(definition),
        });
        let doc = policy(std::slice::from_ref(&env), None, Some("us-east-1"), None);
        let pass = by_sid(&doc, "PassServiceRoles").expect("a PassServiceRoles statement");
        assert_eq!(
            pass["Resource"],
            json!([
                "arn:aws:iam::123456789012:role/ecs/shop-elb",
                "arn:aws:iam::123456789012:role/shop-ebs",
                "arn:aws:iam::123456789012:role/shop-hooks"
            ])
        );
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            "ecs.amazonaws.com"
        );
        // verify looks them up, and the hook's function.
        assert_eq!(
            by_sid(&doc, "VerifyServiceRoles").unwrap()["Resource"],
            pass["Resource"]
        );
        assert_eq!(
            by_sid(&doc, "VerifyHookFunctions").unwrap()["Resource"],
            json!(["arn:aws:lambda:us-east-1:123456789012:function:smoke"])
        );
        assert!(
            by_sid(&doc, "VerifyTargetGroups").is_none(),
            "no load balancer"
        );
        // Without service definitions, no such statement.
        let plain = policy(&[shop_staging()], None, None, None);
        for sid in [
            "PassServiceRoles",
            "VerifyServiceRoles",
            "VerifyHookFunctions",
        ] {
            assert!(by_sid(&plain, sid).is_none(), "{sid}");
        }
    }

    #[test]
    fn roles_of_environments_are_assumed_by_deckhands_own_credentials() {
        assert_eq!(assume_roles(&[shop_staging()]), None);
        let mut prod = shop_staging();
        prod.role_arn = Some("arn:aws:iam::210987654321:role/deckhand".into());
        let assume = assume_roles(&[shop_staging(), prod]).unwrap();
        assert_eq!(assume["Action"], json!(["sts:AssumeRole"]));
        assert_eq!(
            assume["Resource"],
            json!(["arn:aws:iam::210987654321:role/deckhand"])
        );
        assert_eq!(
            assume["Condition"]["StringLike"]["sts:RoleSessionName"],
            "deckhand-*"
        );
    }

    #[test]
    fn service_deployments_are_watched_and_stopped_on_the_services_own() {
        let env = shop_staging();
        let doc = policy(std::slice::from_ref(&env), None, Some("us-east-1"), None);
        let watch = by_sid(&doc, "WatchServiceDeployments").unwrap();
        assert_eq!(
            watch["Action"],
            json!([
                "ecs:DescribeServiceDeployments",
                "ecs:StopServiceDeployment"
            ])
        );
        for service in &env.services {
            let arn = format!(
                "arn:aws:ecs:us-east-1:123456789012:service-deployment/{}/{}/*",
                env.cluster, service.name
            );
            assert!(
                watch["Resource"].as_array().unwrap().contains(&json!(arn)),
                "{watch}"
            );
        }
        let release = by_sid(&doc, "ReleaseServices").unwrap();
        assert!(
            release["Action"]
                .as_array()
                .unwrap()
                .contains(&json!("ecs:ListServiceDeployments"))
        );
    }

    #[test]
    fn the_shop_example_gets_scoped_statements() {
        let env = shop_staging();
        let doc = policy(std::slice::from_ref(&env), None, None, None);
        let text = doc.to_string();
        let by_sid = |sid: &str| by_sid(&doc, sid).unwrap_or_else(|| panic!("no {sid} in {text}"));
        let region = env.region.clone().unwrap_or_else(|| "*".into());
        assert_eq!(
            by_sid("ReadClusters")["Resource"],
            json!([format!(
                "arn:aws:ecs:{region}:123456789012:cluster/{}",
                env.cluster
            )])
        );
        let pass = by_sid("PassTaskRoles");
        assert_eq!(
            pass["Resource"],
            json!([
                "arn:aws:iam::123456789012:role/shop-app",
                "arn:aws:iam::123456789012:role/shop-ecs-execution"
            ])
        );
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            "ecs-tasks.amazonaws.com"
        );
        let families = by_sid("RunMigrations")["Resource"].clone();
        assert!(
            families
                .to_string()
                .contains(&format!("task-definition/{}:*", env.migration_family())),
            "{families}"
        );
        for service in &env.services {
            assert!(
                by_sid("ReleaseServices")["Resource"]
                    .to_string()
                    .contains(&format!("/{}\"", service.name))
            );
        }
        assert!(text.contains("application-autoscaling:RegisterScalableTarget"));
        assert!(!text.contains("\"Action\":\"*\""), "{text}");
    }
}
