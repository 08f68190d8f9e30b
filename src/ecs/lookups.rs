//! The read-only lookups of preflight and of migration logs, on the real
//! `aws-sdk-ecr`, `-iam`, `-ssm`, `-secretsmanager`, `-cloudwatchlogs`,
//! `-elasticloadbalancingv2` and `-lambda` clients: built from the same AWS config as the ECS client, one set per
//! region (an image's registry or a secret may live in another region than
//! the cluster), counted by the same interceptor.
//!
//! "Not found" is an answer here, not an error: each service's not-found
//! error code becomes `false` / absence.

use super::credentials::CredentialSource;
use super::error::AwsError;
use super::session::client_for;
use super::types::TargetGroup;
use aws_config::SdkConfig;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// SSM GetParameters takes at most this many names.
const PARAMETERS_BATCH: usize = 10;
/// Target groups asked for in one DescribeTargetGroups.
const TARGET_GROUPS_BATCH: usize = 20;

/// The lookup clients of one region.
#[derive(Clone)]
struct RegionClients {
    ecr: aws_sdk_ecr::Client,
    ssm: aws_sdk_ssm::Client,
    secrets: aws_sdk_secretsmanager::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    lambda: aws_sdk_lambda::Client,
}

/// Lookup clients by region, made on first use.
#[derive(Clone)]
pub(super) struct LookupClients {
    shared: SdkConfig,
    interceptor: SharedInterceptor,
    credentials: Arc<CredentialSource>,
    iam: aws_sdk_iam::Client,
    regions: Arc<Mutex<HashMap<String, RegionClients>>>,
}

impl LookupClients {
    pub(super) fn new(
        shared: SdkConfig,
        interceptor: SharedInterceptor,
        credentials: Arc<CredentialSource>,
    ) -> LookupClients {
        let iam = client_for!(aws_sdk_iam, &shared, None::<&str>, interceptor);
        LookupClients {
            shared,
            interceptor,
            credentials,
            iam,
            regions: Arc::default(),
        }
    }

    fn region(&self, region: &str) -> RegionClients {
        let mut regions = self.regions.lock().expect("lookup clients lock");
        regions
            .entry(region.to_owned())
            .or_insert_with(|| RegionClients {
                ecr: client_for!(aws_sdk_ecr, &self.shared, Some(region), self.interceptor),
                ssm: client_for!(aws_sdk_ssm, &self.shared, Some(region), self.interceptor),
                secrets: client_for!(
                    aws_sdk_secretsmanager,
                    &self.shared,
                    Some(region),
                    self.interceptor
                ),
                logs: client_for!(
                    aws_sdk_cloudwatchlogs,
                    &self.shared,
                    Some(region),
                    self.interceptor
                ),
                elb: client_for!(
                    aws_sdk_elasticloadbalancingv2,
                    &self.shared,
                    Some(region),
                    self.interceptor
                ),
                lambda: client_for!(aws_sdk_lambda, &self.shared, Some(region), self.interceptor),
            })
            .clone()
    }

    fn error<E, R>(
        &self,
        operation: &'static str,
        error: aws_sdk_ecs::error::SdkError<E, R>,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + super::error::HttpStatus + Send + Sync + 'static,
    {
        AwsError::from_sdk(operation, error, &self.credentials)
    }

    pub(super) async fn describe_images(
        &self,
        region: &str,
        account: &str,
        repository: &str,
        references: &[String],
    ) -> Result<BTreeSet<String>, AwsError> {
        use aws_sdk_ecr::types::ImageIdentifier;
        let ecr = self.region(region).ecr;
        let id = |r: &String| {
            if r.starts_with("sha256:") {
                ImageIdentifier::builder().image_digest(r).build()
            } else {
                ImageIdentifier::builder().image_tag(r).build()
            }
        };
        let answer = ecr
            .describe_images()
            .registry_id(account)
            .repository_name(repository)
            .set_image_ids(Some(references.iter().map(id).collect()))
            .send()
            .await;
        match answer {
            Ok(out) => {
                let mut found = BTreeSet::new();
                for detail in out.image_details() {
                    if let Some(digest) = detail.image_digest() {
                        found.insert(digest.to_owned());
                    }
                    found.extend(detail.image_tags().iter().cloned());
                }
                Ok(references
                    .iter()
                    .filter(|r| found.contains(*r))
                    .cloned()
                    .collect())
            }
            Err(e) => match e.code() {
                Some("RepositoryNotFoundException") => Ok(BTreeSet::new()),
                // One of several is missing: ask one by one to tell which.
                Some("ImageNotFoundException") if references.len() > 1 => {
                    let mut found = BTreeSet::new();
                    for reference in references {
                        let one = Box::pin(self.describe_images(
                            region,
                            account,
                            repository,
                            std::slice::from_ref(reference),
                        ))
                        .await?;
                        found.extend(one);
                    }
                    Ok(found)
                }
                Some("ImageNotFoundException") => Ok(BTreeSet::new()),
                _ => Err(self.error("DescribeImages", e)),
            },
        }
    }

    pub(super) async fn roles_exist(&self, names: &[String]) -> Result<BTreeSet<String>, AwsError> {
        // IAM has no batch read: one GetRole per role, all at once.
        let lookups = names.iter().map(|name| async move {
            match self.iam.get_role().role_name(name).send().await {
                Ok(_) => Ok(Some(name.clone())),
                Err(e) if e.code() == Some("NoSuchEntity") => Ok(None),
                Err(e) => Err(self.error("GetRole", e)),
            }
        });
        Ok(futures_util::future::try_join_all(lookups)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    pub(super) async fn parameters_exist(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<BTreeSet<String>, AwsError> {
        let ssm = self.region(region).ssm;
        let mut found = BTreeSet::new();
        for batch in names.chunks(PARAMETERS_BATCH) {
            let out = ssm
                .get_parameters()
                .set_names(Some(batch.to_vec()))
                .with_decryption(false)
                .send()
                .await
                .map_err(|e| self.error("GetParameters", e))?;
            let invalid: BTreeSet<&str> = out
                .invalid_parameters()
                .iter()
                .map(String::as_str)
                .collect();
            found.extend(
                batch
                    .iter()
                    .filter(|n| !invalid.contains(n.as_str()))
                    .cloned(),
            );
        }
        Ok(found)
    }

    pub(super) async fn secret_exists(&self, region: &str, id: &str) -> Result<bool, AwsError> {
        let secrets = self.region(region).secrets;
        match secrets.describe_secret().secret_id(id).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(false),
            Err(e) => Err(self.error("DescribeSecret", e)),
        }
    }

    pub(super) async fn log_group_exists(
        &self,
        region: &str,
        name: &str,
    ) -> Result<bool, AwsError> {
        let logs = self.region(region).logs;
        let out = logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .map_err(|e| self.error("DescribeLogGroups", e))?;
        Ok(out
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(name)))
    }

    /// Twenty target groups a call; a batch naming one that does not exist
    /// fails as a whole (TargetGroupNotFound), so that batch is asked again
    /// one by one.
    pub(super) async fn describe_target_groups(
        &self,
        region: &str,
        arns: &[String],
    ) -> Result<Vec<TargetGroup>, AwsError> {
        let elb = self.region(region).elb;
        let ask = |arns: Vec<String>| {
            let elb = elb.clone();
            async move {
                match elb
                    .describe_target_groups()
                    .set_target_group_arns(Some(arns))
                    .send()
                    .await
                {
                    Ok(out) => Ok(Some(
                        out.target_groups()
                            .iter()
                            .map(|g| TargetGroup {
                                arn: g.target_group_arn().unwrap_or_default().to_owned(),
                                target_type: g.target_type().map(|t| t.as_str().to_owned()),
                                load_balancers: g.load_balancer_arns().len(),
                            })
                            .collect::<Vec<_>>(),
                    )),
                    Err(e) if e.code() == Some("TargetGroupNotFound") => Ok(None),
                    Err(e) => Err(self.error("DescribeTargetGroups", e)),
                }
            }
        };
        let mut found = Vec::new();
        for batch in arns.chunks(TARGET_GROUPS_BATCH) {
            match ask(batch.to_vec()).await? {
                Some(groups) => found.extend(groups),
                None if batch.len() > 1 => {
                    for arn in batch {
                        found.extend(ask(vec![arn.clone()]).await?.into_iter().flatten());
                    }
                }
                None => {}
            }
        }
        Ok(found)
    }

    pub(super) async fn function_exists(
        &self,
        region: &str,
        function: &str,
    ) -> Result<bool, AwsError> {
        let lambda = self.region(region).lambda;
        match lambda.get_function().function_name(function).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(false),
            Err(e) => Err(self.error("GetFunction", e)),
        }
    }

    pub(super) async fn log_tail(
        &self,
        region: &str,
        group: &str,
        stream: &str,
        lines: usize,
    ) -> Result<Vec<String>, AwsError> {
        let logs = self.region(region).logs;
        let answer = logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(false)
            .limit(i32::try_from(lines).unwrap_or(i32::MAX))
            .send()
            .await;
        match answer {
            Ok(out) => {
                let mut messages: Vec<String> = out
                    .events()
                    .iter()
                    .filter_map(|e| e.message().map(|m| m.trim_end().to_owned()))
                    .collect();
                let keep = messages.len().saturating_sub(lines);
                messages.drain(..keep);
                Ok(messages)
            }
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(Vec::new()),
            Err(e) => Err(self.error("GetLogEvents", e)),
        }
    }
}
