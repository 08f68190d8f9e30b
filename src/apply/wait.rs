//! Waiting on ECS: services draining to zero, a one-off task stopping, and
//! rollouts finishing. Each wait polls with batched describes, reports
//! progress (counts, rollout state, new service events) and ends on its
//! timeout.
//!
//! A rollout is judged by the deployment deckhand created: `COMPLETED` is
//! success; `FAILED` (the circuit breaker), the deployment being replaced, or
//! the service going back to another task definition is failure — a
//! circuit-breaker rollback is never reported as success.

use super::progress::Progress;
use crate::live::mutate::TaskState;
use crate::live::{Ecs, EcsError};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

/// One service whose rollout is awaited.
#[derive(Debug, Clone)]
pub struct RolloutWatch {
    /// Service name.
    pub service: String,
    /// The deployment UpdateService created (None for count-only updates).
    pub deployment: Option<String>,
    /// The task definition the service must end up on.
    pub task_definition: String,
    /// The count it must reach.
    pub desired_count: Option<i32>,
}

/// How one rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutResult {
    /// Reached its steady state on the new task definition.
    Completed,
    /// Failed, with why.
    Failed(String),
}

/// Poll settings.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    /// Between two polls.
    pub interval: Duration,
}

/// Wait until every watched rollout completes or fails, or `timeout` passes.
pub async fn rollouts(
    ecs: &Ecs,
    cluster: &str,
    watches: &[RolloutWatch],
    timeout: Duration,
    polling: Polling,
    progress: &Progress,
    step: &str,
) -> Result<BTreeMap<String, RolloutResult>, EcsError> {
    let start = Instant::now();
    let mut results = BTreeMap::new();
    let mut seen_events: HashSet<String> = HashSet::new();
    let mut first_poll = true;
    let mut last_line: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let pending: Vec<&RolloutWatch> = watches
            .iter()
            .filter(|w| !results.contains_key(&w.service))
            .collect();
        if pending.is_empty() {
            return Ok(results);
        }
        let names: Vec<String> = pending.iter().map(|w| w.service.clone()).collect();
        let described = ecs.describe_services(cluster, &names).await?;
        for watch in pending {
            let Some(service) = described.get(&watch.service) else {
                results.insert(
                    watch.service.clone(),
                    RolloutResult::Failed("the service disappeared".into()),
                );
                continue;
            };
            // New service events, oldest first (the first poll only marks them seen).
            let mut new_events: Vec<&str> = Vec::new();
            for e in service.events() {
                if let Some(id) = e.id()
                    && seen_events.insert(id.to_owned())
                    && !first_poll
                {
                    new_events.push(e.message().unwrap_or_default());
                }
            }
            for message in new_events.iter().rev() {
                progress.say(step, format!("{}: event: {message}", watch.service));
            }
            let verdict = judge(watch, service);
            let primary = service
                .deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"));
            let line = format!(
                "{}: {}/{} running, rollout {}",
                watch.service,
                service.running_count(),
                service.desired_count(),
                primary
                    .and_then(|d| d.rollout_state())
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_else(|| "-".into())
            );
            if last_line.get(&watch.service) != Some(&line) {
                progress.say(step, &line);
                last_line.insert(watch.service.clone(), line);
            }
            if let Some(result) = verdict {
                results.insert(watch.service.clone(), result);
            }
        }
        first_poll = false;
        if results.len() == watches.len() {
            return Ok(results);
        }
        if start.elapsed() >= timeout {
            for watch in watches {
                results.entry(watch.service.clone()).or_insert_with(|| {
                    RolloutResult::Failed(format!(
                        "timed out after {}",
                        humantime::format_duration(timeout)
                    ))
                });
            }
            return Ok(results);
        }
        tokio::time::sleep(polling.interval).await;
    }
}

/// The verdict on one service now: None while still in progress.
fn judge(watch: &RolloutWatch, service: &aws_sdk_ecs::types::Service) -> Option<RolloutResult> {
    let deployments = service.deployments();
    let primary = deployments.iter().find(|d| d.status() == Some("PRIMARY"));
    let counts_reached = |d: &aws_sdk_ecs::types::Deployment| {
        watch
            .desired_count
            .is_none_or(|n| d.running_count() == n && service.running_count() == n)
    };
    match &watch.deployment {
        Some(id) => {
            let ours = deployments.iter().find(|d| d.id() == Some(id.as_str()));
            match ours {
                Some(d) if d.rollout_state().map(|r| r.as_str()) == Some("FAILED") => {
                    Some(RolloutResult::Failed(
                        d.rollout_state_reason()
                            .unwrap_or("the deployment failed")
                            .to_owned(),
                    ))
                }
                Some(d) if d.status() != Some("PRIMARY") => Some(RolloutResult::Failed(format!(
                    "deployment {id} was replaced; the service went back to {}",
                    primary
                        .and_then(|p| p.task_definition())
                        .unwrap_or("another task definition")
                ))),
                Some(d) if d.rollout_state().map(|r| r.as_str()) == Some("COMPLETED") => {
                    counts_reached(d).then_some(RolloutResult::Completed)
                }
                Some(_) => None,
                None if service.task_definition() != Some(watch.task_definition.as_str()) => {
                    Some(RolloutResult::Failed(format!(
                        "deployment {id} is gone and the service runs {} (rolled back)",
                        service
                            .task_definition()
                            .unwrap_or("another task definition")
                    )))
                }
                None => primary
                    .filter(|p| p.rollout_state().map(|r| r.as_str()) == Some("COMPLETED"))
                    .filter(|p| counts_reached(p))
                    .map(|_| RolloutResult::Completed),
            }
        }
        None => primary
            .filter(|p| counts_reached(p) && service.pending_count() == 0)
            .map(|_| RolloutResult::Completed),
    }
}

/// Wait until `services` run no task (after scaling them to 0).
pub async fn drained(
    ecs: &Ecs,
    cluster: &str,
    services: &[String],
    timeout: Duration,
    polling: Polling,
    progress: &Progress,
) -> Result<bool, EcsError> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        let described = ecs.describe_services(cluster, services).await?;
        let busy: Vec<String> = described
            .values()
            .filter(|s| s.running_count() > 0 || s.pending_count() > 0)
            .map(|s| {
                format!(
                    "{} ({} running)",
                    s.service_name().unwrap_or_default(),
                    s.running_count()
                )
            })
            .collect();
        if busy.is_empty() {
            return Ok(true);
        }
        let line = format!("waiting for {}", busy.join(", "));
        if line != last {
            progress.say("quiesce", &line);
            last = line;
        }
        if start.elapsed() >= timeout {
            return Ok(false);
        }
        tokio::time::sleep(polling.interval).await;
    }
}

/// Wait until a one-off task stops; None on timeout.
pub async fn task_stopped(
    ecs: &Ecs,
    cluster: &str,
    task: &str,
    container: &str,
    timeout: Duration,
    polling: Polling,
    progress: &Progress,
) -> Result<Option<TaskState>, EcsError> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        let state = ecs
            .describe_tasks(cluster, &[task.to_owned()], container)
            .await?
            .into_iter()
            .next();
        if let Some(state) = state {
            if state.last_status == "STOPPED" {
                return Ok(Some(state));
            }
            if state.last_status != last {
                progress.say("migrate", format!("task {}", state.last_status));
                last = state.last_status.clone();
            }
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        tokio::time::sleep(polling.interval).await;
    }
}
