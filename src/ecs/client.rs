//! [`EcsClient`]: the [`Ecs`] calls on the real `aws-sdk-ecs` client.
//!
//! Built from the standard AWS config (`AWS_ENDPOINT_URL` honoured, rustls +
//! ring). Every request is counted by operation through an SDK interceptor;
//! DescribeServices goes 10 names per call, a few calls at a time;
//! DescribeTaskDefinition by ARN is answered from a bounded cache;
//! mutating calls pass the [`RateLimiter`] first. Retries of throttling and
//! 5xx are the SDK's standard retry mode; what survives them is an
//! [`AwsError`] for the caller's backoff.

use super::cache::TaskDefinitionCache;
use super::calls::CallCounter;
use super::credentials::CredentialSource;
use super::error::AwsError;
use super::limiter::RateLimiter;
use super::lookups::LookupClients;
use super::session::{Reach, client_for, counting, shared_config};
use super::types::{
    AwsVpc, Cluster, CreateServiceRequest, Deployment, DeploymentStatus, DesiredStatus,
    LiveAutoscaling, RolloutState, RunTaskOutcome, RunTaskRequest, ScalingSuspension, Service,
    ServiceDeployment, ServiceEvent, TargetTrackingPolicy, Task, TaskContainer, TaskDefinition,
    UpdateServiceRequest,
};
use super::{AwsClient, DESCRIBE_SERVICES_BATCH, Ecs, READ_CONCURRENCY};
use crate::taskdef::model::{Tag, TaskDefinitionSpec};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types as sdk;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The ECS client.
#[derive(Clone)]
pub struct EcsClient {
    client: Client,
    autoscaling: aws_sdk_applicationautoscaling::Client,
    region: Option<String>,
    calls: Arc<CallCounter>,
    task_definitions: Arc<TaskDefinitionCache>,
    limiter: Arc<RateLimiter>,
    credentials: Arc<CredentialSource>,
    lookups: LookupClients,
}

impl EcsClient {
    /// Build a client from the standard AWS config; `region` overrides the
    /// configured one.
    ///
    /// Fails before any request when an endpoint variable is not a URL or
    /// `AWS_PROFILE` names a profile that does not exist.
    pub async fn connect(region: Option<&str>) -> Result<EcsClient, AwsError> {
        EcsClient::connect_to(&Reach::region(region)).await
    }

    /// A client that reaches `reach`: its region, as its role when it has
    /// one (an environment's `roleArn`, assumed from deckhand's own
    /// credentials).
    pub async fn connect_to(reach: &Reach) -> Result<EcsClient, AwsError> {
        let (shared, credentials) = shared_config(reach).await?;
        let calls = Arc::new(CallCounter::default());
        let interceptor = counting(calls.clone());
        let client = client_for!(aws_sdk_ecs, &shared, None::<&str>, interceptor);
        let autoscaling = client_for!(
            aws_sdk_applicationautoscaling,
            &shared,
            None::<&str>,
            interceptor
        );
        let lookups = LookupClients::new(shared.clone(), interceptor, credentials.clone());
        Ok(EcsClient {
            lookups,
            client,
            autoscaling,
            region: shared.region().map(|r| r.to_string()),
            calls,
            task_definitions: Arc::default(),
            limiter: Arc::new(RateLimiter::from_env()),
            credentials,
        })
    }

    /// ListTasks of `cluster` by desired status, and by `startedBy` or service.
    async fn list_tasks_where(
        &self,
        cluster: &str,
        started_by: Option<&str>,
        service: Option<&str>,
        status: DesiredStatus,
    ) -> Result<Vec<String>, AwsError> {
        self.need_region()?;
        let out = self
            .client
            .list_tasks()
            .cluster(cluster)
            .set_started_by(started_by.map(str::to_owned))
            .set_service_name(service.map(str::to_owned))
            .desired_status(match status {
                DesiredStatus::Running => sdk::DesiredStatus::Running,
                DesiredStatus::Stopped => sdk::DesiredStatus::Stopped,
            })
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListTasks", e, &self.credentials))?;
        Ok(out.task_arns().to_vec())
    }

    /// No call can be signed without a region: say so before sending anything.
    fn need_region(&self) -> Result<(), AwsError> {
        if self.region.is_none() {
            return Err(AwsError::NoRegion);
        }
        Ok(())
    }

    /// The Application Auto Scaling calls.
    fn scaling(&self) -> super::autoscaling::Scaling<'_> {
        super::autoscaling::Scaling {
            client: &self.autoscaling,
            credentials: &self.credentials,
        }
    }

    fn remember(&self, td: &sdk::TaskDefinition, tags: Option<Vec<Tag>>) -> Arc<TaskDefinition> {
        let mut spec = super::taskdef::from_sdk(td);
        spec.tags = tags.filter(|t| !t.is_empty());
        let arn = td.task_definition_arn().unwrap_or_default().to_owned();
        let described = Arc::new(TaskDefinition {
            family_revision: format!("{}:{}", td.family().unwrap_or_default(), td.revision()),
            arn: arn.clone(),
            spec,
        });
        self.task_definitions.insert(&described);
        described
    }

    fn cached(&self, arn: &str) -> Option<Arc<TaskDefinition>> {
        self.task_definitions.get(arn)
    }

    fn cluster_error(&self, cluster: &str, e: AwsError) -> AwsError {
        if e.code() == Some("ClusterNotFoundException") {
            AwsError::ClusterNotFound {
                cluster: cluster.to_owned(),
                region: self.region.clone(),
            }
        } else {
            e
        }
    }
}

fn tags_of(tags: &[sdk::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

fn sdk_tags(tags: &[(String, String)]) -> Vec<sdk::Tag> {
    tags.iter()
        .map(|(k, v)| sdk::Tag::builder().key(k).value(v).build())
        .collect()
}

fn service_of(s: &sdk::Service) -> Service {
    Service {
        name: s.service_name().unwrap_or_default().to_owned(),
        arn: s.service_arn().unwrap_or_default().to_owned(),
        status: s.status().unwrap_or_default().to_owned(),
        task_definition: s.task_definition().unwrap_or_default().to_owned(),
        desired_count: s.desired_count(),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        launch_type: s.launch_type().map(|l| l.as_str().to_owned()),
        network: s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .map(|v| AwsVpc {
                subnets: v.subnets().to_vec(),
                security_groups: v.security_groups().to_vec(),
                assign_public_ip: v.assign_public_ip().map(|a| a.as_str().to_owned()),
            }),
        deployments: s.deployments().iter().map(deployment_of).collect(),
        events: s
            .events()
            .iter()
            .take(20)
            .map(|e| ServiceEvent {
                id: e.id().unwrap_or_default().to_owned(),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect(),
        tags: tags_of(s.tags()),
        current_service_deployment: s.current_service_deployment().map(str::to_owned),
        resource_management_type: s.resource_management_type().map(|r| r.as_str().to_owned()),
        definition: std::sync::Arc::new(super::servicedef::from_sdk(s)),
    }
}

fn deployment_of(d: &sdk::Deployment) -> Deployment {
    Deployment {
        id: d.id().unwrap_or_default().to_owned(),
        status: match d.status() {
            Some("PRIMARY") => DeploymentStatus::Primary,
            Some("ACTIVE") => DeploymentStatus::Active,
            _ => DeploymentStatus::Inactive,
        },
        task_definition: d.task_definition().unwrap_or_default().to_owned(),
        rollout_state: d.rollout_state().and_then(|r| match r {
            sdk::DeploymentRolloutState::Completed => Some(RolloutState::Completed),
            sdk::DeploymentRolloutState::Failed => Some(RolloutState::Failed),
            sdk::DeploymentRolloutState::InProgress => Some(RolloutState::InProgress),
            _ => None,
        }),
        rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
        desired_count: d.desired_count(),
        running_count: d.running_count(),
    }
}

/// `…:task-definition/FAMILY:REV` → FAMILY.
fn family_of(arn: &str) -> Option<&str> {
    arn.rsplit_once("task-definition/")?
        .1
        .rsplit_once(':')
        .map(|(f, _)| f)
}

/// `…:task-definition/FAMILY:REV` → REV.
fn revision_of(arn: &str) -> u64 {
    arn.rsplit_once(':')
        .and_then(|(_, r)| r.parse().ok())
        .unwrap_or(0)
}

fn task_of(t: &sdk::Task) -> Task {
    Task {
        arn: t.task_arn().unwrap_or_default().to_owned(),
        last_status: t.last_status().unwrap_or_default().to_owned(),
        desired_status: t.desired_status().unwrap_or_default().to_owned(),
        started_by: t.started_by().map(str::to_owned),
        task_definition: t.task_definition_arn().unwrap_or_default().to_owned(),
        stopped_reason: t.stopped_reason().map(str::to_owned),
        stop_code: t.stop_code().map(|c| c.as_str().to_owned()),
        containers: t
            .containers()
            .iter()
            .map(|c| TaskContainer {
                name: c.name().unwrap_or_default().to_owned(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_owned),
            })
            .collect(),
        tags: tags_of(t.tags()),
    }
}

fn network(vpc: &AwsVpc) -> Result<sdk::NetworkConfiguration, AwsError> {
    let config = sdk::AwsVpcConfiguration::builder()
        .set_subnets(Some(vpc.subnets.clone()))
        .set_security_groups(Some(vpc.security_groups.clone()))
        .set_assign_public_ip(
            vpc.assign_public_ip
                .as_deref()
                .map(sdk::AssignPublicIp::from),
        )
        .build()
        .map_err(AwsError::request("networkConfiguration"))?;
    Ok(sdk::NetworkConfiguration::builder()
        .awsvpc_configuration(config)
        .build())
}

impl AwsClient for EcsClient {
    fn calls(&self) -> Arc<CallCounter> {
        self.calls.clone()
    }

    fn region(&self) -> Option<String> {
        self.region.clone()
    }
}

impl Ecs for EcsClient {
    async fn describe_cluster(&self, cluster: &str) -> Result<Cluster, AwsError> {
        self.need_region()?;
        let out = self
            .client
            .describe_clusters()
            .clusters(cluster)
            .include(sdk::ClusterField::Tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeClusters", e, &self.credentials))?;
        out.clusters()
            .iter()
            .find(|c| c.status() != Some("INACTIVE"))
            .map(|c| Cluster {
                arn: c.cluster_arn().unwrap_or_default().to_owned(),
                tags: tags_of(c.tags()),
            })
            .ok_or_else(|| AwsError::ClusterNotFound {
                cluster: cluster.to_owned(),
                region: self.region.clone(),
            })
    }

    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<Service>, AwsError> {
        use futures_util::StreamExt;
        self.need_region()?;
        let batches: Vec<Vec<String>> = names
            .chunks(DESCRIBE_SERVICES_BATCH)
            .map(<[String]>::to_vec)
            .collect();
        // The futures are made up front (they do nothing until polled): a
        // closure inside the stream would not be `Send` for every lifetime.
        let calls: Vec<_> = batches
            .into_iter()
            .map(|batch| {
                self.client
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(batch))
                    .include(sdk::ServiceField::Tags)
                    .send()
            })
            .collect();
        let results: Vec<_> = futures_util::stream::iter(calls)
            .buffered(READ_CONCURRENCY)
            .collect()
            .await;
        let mut services = Vec::new();
        for result in results {
            let out = result.map_err(|e| {
                self.cluster_error(
                    cluster,
                    AwsError::from_sdk("DescribeServices", e, &self.credentials),
                )
            })?;
            services.extend(
                out.services()
                    .iter()
                    .filter(|s| s.status() != Some("INACTIVE"))
                    .map(service_of),
            );
        }
        Ok(services)
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        self.need_region()?;
        let mut names = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .client
                .list_services()
                .cluster(cluster)
                .max_results(100)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| {
                    self.cluster_error(
                        cluster,
                        AwsError::from_sdk("ListServices", e, &self.credentials),
                    )
                })?;
            names.extend(
                out.service_arns()
                    .iter()
                    .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
            );
            match out.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => break,
            }
        }
        Ok(names)
    }

    async fn describe_task_definition(
        &self,
        reference: &str,
    ) -> Result<Option<Arc<TaskDefinition>>, AwsError> {
        if let Some(hit) = self.cached(reference) {
            return Ok(Some(hit));
        }
        self.need_region()?;
        let result = self
            .client
            .describe_task_definition()
            .task_definition(reference)
            .include(sdk::TaskDefinitionField::Tags)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let e = AwsError::from_sdk("DescribeTaskDefinition", e, &self.credentials);
                // ECS answers ClientException for an unknown family or ARN.
                if e.code() == Some("ClientException") {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let Some(td) = out.task_definition() else {
            return Ok(None);
        };
        let tags: Vec<Tag> = out
            .tags()
            .iter()
            .map(super::taskdef::tag_from_sdk)
            .collect();
        Ok(Some(self.remember(td, Some(tags))))
    }

    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> Result<Arc<TaskDefinition>, AwsError> {
        self.need_region()?;
        let request = super::taskdef::register_request(&self.client, spec)
            .map_err(AwsError::request("RegisterTaskDefinition"))?;
        self.limiter.acquire("RegisterTaskDefinition").await;
        let out = request
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RegisterTaskDefinition", e, &self.credentials))?;
        let td = out.task_definition().ok_or_else(|| AwsError::Other {
            operation: "RegisterTaskDefinition",
            detail: "ECS returned no task definition".into(),
            cause: None,
        })?;
        Ok(self.remember(td, spec.tags.clone()))
    }

    async fn create_service(&self, request: &CreateServiceRequest) -> Result<(), AwsError> {
        self.need_region()?;
        let call = self
            .client
            .create_service()
            .cluster(&request.cluster)
            .service_name(&request.service)
            .task_definition(&request.task_definition)
            .desired_count(request.desired_count);
        let call = super::servicedef::create_request(call, &request.definition)
            .map_err(AwsError::request("CreateService"))?;
        self.limiter.acquire("CreateService").await;
        call.send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateService", e, &self.credentials))?;
        Ok(())
    }

    async fn update_service(
        &self,
        request: &UpdateServiceRequest,
    ) -> Result<Option<String>, AwsError> {
        self.need_region()?;
        let mut call = self
            .client
            .update_service()
            .cluster(&request.cluster)
            .service(&request.service)
            .set_task_definition(request.task_definition.clone())
            .set_desired_count(request.desired_count);
        if let Some(configuration) = &request.configuration {
            call = super::servicedef::update_request(call, configuration)
                .map_err(AwsError::request("UpdateService"))?;
        }
        self.limiter.acquire("UpdateService").await;
        let out = call
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateService", e, &self.credentials))?;
        Ok(out
            .service()
            .and_then(|s| {
                s.deployments()
                    .iter()
                    .find(|d| d.status() == Some("PRIMARY"))
            })
            .and_then(|d| d.id().map(str::to_owned)))
    }

    async fn run_task(&self, request: &RunTaskRequest) -> Result<RunTaskOutcome, AwsError> {
        self.need_region()?;
        let mut call = self
            .client
            .run_task()
            .cluster(&request.cluster)
            .task_definition(&request.task_definition)
            .count(1)
            .started_by(&request.started_by)
            .client_token(&request.client_token)
            .set_tags(Some(sdk_tags(&request.tags)))
            .set_launch_type(request.launch_type.as_deref().map(sdk::LaunchType::from))
            .overrides(
                sdk::TaskOverride::builder()
                    .container_overrides(
                        sdk::ContainerOverride::builder()
                            .name(&request.container)
                            .set_command(Some(request.command.clone()))
                            .build(),
                    )
                    .build(),
            );
        if let Some(vpc) = &request.network {
            call = call.network_configuration(network(vpc)?);
        }
        self.limiter.acquire("RunTask").await;
        let out = call
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RunTask", e, &self.credentials))?;
        if let Some(failure) = out.failures().first() {
            return Ok(RunTaskOutcome::NotStarted(
                format!(
                    "{} {}",
                    failure.reason().unwrap_or("failure"),
                    failure.detail().unwrap_or("")
                )
                .trim()
                .to_owned(),
            ));
        }
        out.tasks()
            .first()
            .and_then(|t| t.task_arn())
            .map(|arn| RunTaskOutcome::Started(arn.to_owned()))
            .ok_or_else(|| AwsError::Other {
                operation: "RunTask",
                detail: "ECS started no task and reported no failure".into(),
                cause: None,
            })
    }

    async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> Result<Vec<Task>, AwsError> {
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        self.need_region()?;
        let mut tasks = Vec::new();
        // DescribeTasks takes at most 100 tasks per call.
        for chunk in arns.chunks(100) {
            let out = self
                .client
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .include(sdk::TaskField::Tags)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeTasks", e, &self.credentials))?;
            tasks.extend(out.tasks().iter().map(task_of));
        }
        Ok(tasks)
    }

    async fn list_tasks(
        &self,
        cluster: &str,
        started_by: &str,
        status: DesiredStatus,
    ) -> Result<Vec<String>, AwsError> {
        self.list_tasks_where(cluster, Some(started_by), None, status)
            .await
    }

    async fn list_service_tasks(
        &self,
        cluster: &str,
        service: &str,
        status: DesiredStatus,
    ) -> Result<Vec<String>, AwsError> {
        self.list_tasks_where(cluster, None, Some(service), status)
            .await
    }

    async fn list_task_definitions(
        &self,
        family: &str,
        limit: usize,
    ) -> Result<Vec<String>, AwsError> {
        self.need_region()?;
        let mut arns = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .client
                .list_task_definitions()
                .family_prefix(family)
                .sort(sdk::SortOrder::Desc)
                .max_results(100)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListTaskDefinitions", e, &self.credentials))?;
            // The prefix also matches longer families: keep this one only.
            arns.extend(
                out.task_definition_arns()
                    .iter()
                    .filter(|arn| family_of(arn) == Some(family))
                    .cloned(),
            );
            match out.next_token() {
                Some(token) if !token.is_empty() && arns.len() < limit => {
                    next = Some(token.to_owned())
                }
                _ => break,
            }
        }
        // Newest first, whatever order the service answered in.
        arns.sort_by_key(|arn| std::cmp::Reverse(revision_of(arn)));
        arns.truncate(limit);
        Ok(arns)
    }

    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("StopTask").await;
        self.client
            .stop_task()
            .cluster(cluster)
            .task(task)
            .reason(reason)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("StopTask", e, &self.credentials))?;
        Ok(())
    }

    async fn autoscaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, LiveAutoscaling>, AwsError> {
        self.need_region()?;
        self.scaling().autoscaling_of(cluster, services).await
    }

    async fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        min_capacity: i32,
        max_capacity: i32,
    ) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("RegisterScalableTarget").await;
        self.scaling()
            .register_scalable_target(cluster, service, (min_capacity, max_capacity))
            .await
    }

    async fn put_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        policy: &TargetTrackingPolicy,
    ) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("PutScalingPolicy").await;
        self.scaling()
            .put_scaling_policy(cluster, service, policy)
            .await
    }

    async fn delete_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("DeleteScalingPolicy").await;
        self.scaling()
            .delete_scaling_policy(cluster, service, name)
            .await
    }

    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> Result<Vec<ServiceDeployment>, AwsError> {
        self.need_region()?;
        let mut found = Vec::new();
        for batch in arns.chunks(super::DESCRIBE_SERVICE_DEPLOYMENTS_BATCH) {
            let out = self
                .client
                .describe_service_deployments()
                .set_service_deployment_arns(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    AwsError::from_sdk("DescribeServiceDeployments", e, &self.credentials)
                })?;
            found.extend(out.service_deployments().iter().map(|d| {
                ServiceDeployment {
                    arn: d.service_deployment_arn().unwrap_or_default().to_owned(),
                    status: d
                        .status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    status_reason: d.status_reason().map(str::to_owned),
                    lifecycle_stage: d.lifecycle_stage().map(|s| s.as_str().to_owned()),
                    target_revision: d
                        .target_service_revision()
                        .and_then(|r| r.arn())
                        .map(str::to_owned),
                    rollback_reason: d.rollback().and_then(|r| r.reason()).map(str::to_owned),
                }
            }));
        }
        Ok(found)
    }

    async fn stop_service_deployment(&self, arn: &str) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("StopServiceDeployment").await;
        self.client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(sdk::StopServiceDeploymentStopType::Rollback)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("StopServiceDeployment", e, &self.credentials))?;
        Ok(())
    }

    async fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("TagResource").await;
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(tags)))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("TagResource", e, &self.credentials))?;
        Ok(())
    }

    async fn scaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ScalingSuspension>, AwsError> {
        self.need_region()?;
        self.scaling().scaling_of(cluster, services).await
    }

    async fn set_scaling(
        &self,
        cluster: &str,
        service: &str,
        state: ScalingSuspension,
    ) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("RegisterScalableTarget").await;
        self.scaling().set_scaling(cluster, service, state).await
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.need_region()?;
        self.limiter.acquire("UntagResource").await;
        self.client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UntagResource", e, &self.credentials))?;
        Ok(())
    }
}

impl super::Lookups for EcsClient {
    async fn describe_images(
        &self,
        region: &str,
        account: &str,
        repository: &str,
        references: &[String],
    ) -> Result<BTreeSet<String>, AwsError> {
        self.lookups
            .describe_images(region, account, repository, references)
            .await
    }

    async fn roles_exist(&self, names: &[String]) -> Result<BTreeSet<String>, AwsError> {
        self.lookups.roles_exist(names).await
    }

    async fn parameters_exist(
        &self,
        region: &str,
        names: &[String],
    ) -> Result<BTreeSet<String>, AwsError> {
        self.lookups.parameters_exist(region, names).await
    }

    async fn secret_exists(&self, region: &str, id: &str) -> Result<bool, AwsError> {
        self.lookups.secret_exists(region, id).await
    }

    async fn log_group_exists(&self, region: &str, name: &str) -> Result<bool, AwsError> {
        self.lookups.log_group_exists(region, name).await
    }

    async fn describe_target_groups(
        &self,
        region: &str,
        arns: &[String],
    ) -> Result<Vec<super::TargetGroup>, AwsError> {
        self.lookups.describe_target_groups(region, arns).await
    }

    async fn function_exists(&self, region: &str, function: &str) -> Result<bool, AwsError> {
        self.lookups.function_exists(region, function).await
    }

    async fn log_tail(
        &self,
        region: &str,
        group: &str,
        stream: &str,
        lines: usize,
    ) -> Result<Vec<String>, AwsError> {
        self.lookups.log_tail(region, group, stream, lines).await
    }
}
