//! The calls that change ECS, on the same [`Ecs`] wrapper as the reads: every
//! one passes a client-side token bucket sized to ECS's per-account limits
//! (UpdateService 5/s, RegisterTaskDefinition 1/s, …) before it is sent, so a
//! release of many services never trips ECS's throttling in the first place.

use super::ecs::{Ecs, EcsError};
use crate::live::AwsVpc;
use crate::taskdef::model::TaskDefinitionSpec;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerOverride, DesiredStatus, LaunchType,
    NetworkConfiguration, Tag, TaskOverride,
};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Sustained requests per second ECS allows per account, by operation.
fn ecs_rate(operation: &str) -> f64 {
    match operation {
        "RegisterTaskDefinition" => 1.0,
        "UpdateService" | "CreateService" | "RunTask" | "StopTask" => 5.0,
        _ => 10.0,
    }
}

/// One token bucket per operation.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<&'static str, (f64, Instant)>>,
}

impl RateLimiter {
    /// Wait until a call of `operation` fits its bucket, and take the token.
    pub async fn acquire(&self, operation: &'static str) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().expect("rate limiter lock");
                let rate = ecs_rate(operation);
                let now = Instant::now();
                let (tokens, last) = buckets.entry(operation).or_insert((rate, now));
                *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
                *last = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    None
                } else {
                    Some(Duration::from_secs_f64((1.0 - *tokens) / rate))
                }
            };
            match wait {
                None => return,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }
}

/// A one-off task as DescribeTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    /// Task ARN.
    pub arn: String,
    /// `PROVISIONING`, `RUNNING`, `STOPPED`, …
    pub last_status: String,
    /// Why it stopped.
    pub stopped_reason: Option<String>,
    /// `EssentialContainerExited`, `UserInitiated`, `TaskFailedToStart`, …
    pub stop_code: Option<String>,
    /// Exit code of the container that ran the command.
    pub exit_code: Option<i32>,
    /// The task's tags.
    pub tags: HashMap<String, String>,
}

/// Where and how a one-off task runs.
#[derive(Debug, Clone)]
pub struct RunTaskRequest {
    /// Cluster name.
    pub cluster: String,
    /// Task definition ARN.
    pub task_definition: String,
    /// Container whose command is overridden.
    pub container: String,
    /// The command.
    pub command: Vec<String>,
    /// Launch type, e.g. `FARGATE`.
    pub launch_type: Option<String>,
    /// awsvpc settings.
    pub network: Option<AwsVpc>,
    /// `startedBy`.
    pub started_by: String,
    /// Task tags.
    pub tags: Vec<(String, String)>,
}

fn sdk_tags(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

impl Ecs {
    /// RegisterTaskDefinition; returns the new ARN (and caches the definition).
    pub async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> Result<String, EcsError> {
        let request = crate::taskdef::sdk::register_request(self.client(), spec).map_err(|e| {
            EcsError::Other {
                operation: "RegisterTaskDefinition",
                detail: e.to_string(),
            }
        })?;
        self.limiter().acquire("RegisterTaskDefinition").await;
        let out = request
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("RegisterTaskDefinition", e))?;
        let td = out.task_definition().ok_or_else(|| EcsError::Other {
            operation: "RegisterTaskDefinition",
            detail: "ECS returned no task definition".into(),
        })?;
        let arn = td.task_definition_arn().unwrap_or_default().to_owned();
        self.remember(td, spec.tags.clone());
        Ok(arn)
    }

    /// UpdateService: a new task definition and/or count. Returns the PRIMARY
    /// deployment's ID after the update (the one to watch).
    pub async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        task_definition: Option<&str>,
        desired_count: Option<i32>,
    ) -> Result<Option<String>, EcsError> {
        self.limiter().acquire("UpdateService").await;
        let out = self
            .client()
            .update_service()
            .cluster(cluster)
            .service(service)
            .set_task_definition(task_definition.map(str::to_owned))
            .set_desired_count(desired_count)
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("UpdateService", e))?;
        Ok(out
            .service()
            .and_then(|s| {
                s.deployments()
                    .iter()
                    .find(|d| d.status() == Some("PRIMARY"))
            })
            .and_then(|d| d.id().map(str::to_owned)))
    }

    /// CreateService from the repo's CreateService input, with deckhand's
    /// cluster, name, task definition and count.
    pub async fn create_service(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        desired_count: i32,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), EcsError> {
        let mut request = self
            .client()
            .create_service()
            .cluster(cluster)
            .service_name(service)
            .task_definition(task_definition)
            .desired_count(desired_count);
        if let Some(lt) = input.get("launchType").and_then(|v| v.as_str()) {
            request = request.launch_type(LaunchType::from(lt));
        }
        if let Some(pv) = input.get("platformVersion").and_then(|v| v.as_str()) {
            request = request.platform_version(pv);
        }
        if let Some(vpc) = input
            .get("networkConfiguration")
            .and_then(|n| n.get("awsvpcConfiguration"))
        {
            let strings = |key: &str| -> Vec<String> {
                vpc.get(key)
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            };
            request = request.network_configuration(network(&AwsVpc {
                subnets: strings("subnets"),
                security_groups: strings("securityGroups"),
                assign_public_ip: vpc
                    .get("assignPublicIp")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            })?);
        }
        if let Some(secs) = input
            .get("healthCheckGracePeriodSeconds")
            .and_then(|v| v.as_i64())
        {
            request = request.health_check_grace_period_seconds(secs as i32);
        }
        self.limiter().acquire("CreateService").await;
        request
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("CreateService", e))?;
        Ok(())
    }

    /// RunTask for a one-off task; returns its ARN.
    pub async fn run_task(&self, req: &RunTaskRequest) -> Result<String, EcsError> {
        let mut request = self
            .client()
            .run_task()
            .cluster(&req.cluster)
            .task_definition(&req.task_definition)
            .count(1)
            .started_by(&req.started_by)
            .set_tags(Some(sdk_tags(&req.tags)))
            .overrides(
                TaskOverride::builder()
                    .container_overrides(
                        ContainerOverride::builder()
                            .name(&req.container)
                            .set_command(Some(req.command.clone()))
                            .build(),
                    )
                    .build(),
            );
        if let Some(lt) = &req.launch_type {
            request = request.launch_type(LaunchType::from(lt.as_str()));
        }
        if let Some(vpc) = &req.network {
            request = request.network_configuration(network(vpc)?);
        }
        self.limiter().acquire("RunTask").await;
        let out = request
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("RunTask", e))?;
        if let Some(failure) = out.failures().first() {
            return Err(EcsError::Api {
                operation: "RunTask",
                code: "TaskFailedToStart".into(),
                message: format!(
                    "{} {}",
                    failure.reason().unwrap_or("failure"),
                    failure.detail().unwrap_or("")
                )
                .trim()
                .to_owned(),
            });
        }
        out.tasks()
            .first()
            .and_then(|t| t.task_arn())
            .map(str::to_owned)
            .ok_or_else(|| EcsError::Other {
                operation: "RunTask",
                detail: "ECS started no task".into(),
            })
    }

    /// DescribeTasks (with tags) for one-off tasks; `container` selects the exit code.
    pub async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
        container: &str,
    ) -> Result<Vec<TaskState>, EcsError> {
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .client()
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns.to_vec()))
            .include(aws_sdk_ecs::types::TaskField::Tags)
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("DescribeTasks", e))?;
        Ok(out
            .tasks()
            .iter()
            .map(|t| TaskState {
                arn: t.task_arn().unwrap_or_default().to_owned(),
                last_status: t.last_status().unwrap_or_default().to_owned(),
                stopped_reason: t.stopped_reason().map(str::to_owned),
                stop_code: t.stop_code().map(|c| c.as_str().to_owned()),
                exit_code: t
                    .containers()
                    .iter()
                    .find(|c| c.name() == Some(container))
                    .and_then(|c| c.exit_code()),
                tags: t
                    .tags()
                    .iter()
                    .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value()?.to_owned())))
                    .collect(),
            })
            .collect())
    }

    /// ARNs of RUNNING tasks started by `started_by`.
    pub async fn running_tasks_started_by(
        &self,
        cluster: &str,
        started_by: &str,
    ) -> Result<Vec<String>, EcsError> {
        let out = self
            .client()
            .list_tasks()
            .cluster(cluster)
            .started_by(started_by)
            .desired_status(DesiredStatus::Running)
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("ListTasks", e))?;
        Ok(out.task_arns().to_vec())
    }

    /// StopTask.
    pub async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> Result<(), EcsError> {
        self.limiter().acquire("StopTask").await;
        self.client()
            .stop_task()
            .cluster(cluster)
            .task(task)
            .reason(reason)
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("StopTask", e))?;
        Ok(())
    }

    /// TagResource.
    pub async fn tag(&self, arn: &str, tags: &[(String, String)]) -> Result<(), EcsError> {
        self.limiter().acquire("TagResource").await;
        self.client()
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(tags)))
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("TagResource", e))?;
        Ok(())
    }

    /// UntagResource.
    pub async fn untag(&self, arn: &str, keys: &[String]) -> Result<(), EcsError> {
        self.limiter().acquire("UntagResource").await;
        self.client()
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("UntagResource", e))?;
        Ok(())
    }
}

fn network(vpc: &AwsVpc) -> Result<NetworkConfiguration, EcsError> {
    let config = AwsVpcConfiguration::builder()
        .set_subnets(Some(vpc.subnets.clone()))
        .set_security_groups(Some(vpc.security_groups.clone()))
        .set_assign_public_ip(vpc.assign_public_ip.as_deref().map(AssignPublicIp::from))
        .build()
        .map_err(|e| EcsError::Other {
            operation: "networkConfiguration",
            detail: e.to_string(),
        })?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(config)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn register_task_definition_is_held_to_one_per_second() {
        let limiter = RateLimiter::default();
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            limiter.acquire("RegisterTaskDefinition").await;
        }
        // One token to start with, then one per second.
        assert_eq!(start.elapsed().as_secs(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn update_service_allows_a_burst_of_five() {
        let limiter = RateLimiter::default();
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            limiter.acquire("UpdateService").await;
        }
        assert_eq!(start.elapsed().as_millis(), 0);
        limiter.acquire("UpdateService").await;
        assert_eq!(start.elapsed().as_millis(), 200);
    }
}
