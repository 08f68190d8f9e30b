//! Waiting on ECS: services draining to zero, a one-off task stopping, and
//! rollouts finishing. Each wait polls with batched describes, reports
//! progress (counts, rollout state, new service events) and ends on its
//! timeout.
//!
//! What each poll means is decided by the pure functions of
//! [`super::verdict`]: a rollout is judged by the deployment deckhand created,
//! and a circuit-breaker rollback is never reported as success.

use super::progress::Progress;
use super::verdict::{self, RolloutHealth, RolloutWatch, TaskOutcome};
use crate::ecs::{AwsError, Ecs, Service, ServiceDeployment, Task};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

/// Poll settings: a wait polls soon after the change, then about every
/// half of the time it has waited so far, up to `interval` — a short rollout
/// or migration is seen within a fraction of a second, and a long one costs
/// one describe per interval.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    /// The longest delay between two polls.
    pub interval: Duration,
}

/// The shortest delay between two polls.
const FIRST_POLL: Duration = Duration::from_millis(250);

impl Polling {
    /// The delay before the next poll, `waited` into the wait.
    fn next_delay(self, waited: Duration) -> Duration {
        (waited / 2).clamp(FIRST_POLL.min(self.interval), self.interval)
    }
}

/// How the rollouts of a wait ended.
#[derive(Debug, Default)]
pub struct Rollouts {
    /// Each watched service's verdict.
    pub health: BTreeMap<String, RolloutHealth>,
    /// The service deployment found to be ours, by service (ECS reports one
    /// for every strategy; the emulator and older deployments may not).
    pub service_deployments: BTreeMap<String, ServiceDeployment>,
}

/// Wait until every watched rollout completes or fails, or `timeout` passes.
/// A rollout is judged by its service deployment when ECS reports the one
/// deckhand started, else by the deployment's rollout state.
pub async fn rollouts<E: Ecs>(
    ecs: &E,
    cluster: &str,
    watches: &[RolloutWatch],
    timeout: Duration,
    polling: Polling,
    progress: &Progress,
    step: &str,
) -> Result<Rollouts, AwsError> {
    let start = Instant::now();
    let mut seen = Watching::default();
    loop {
        let pending: Vec<&RolloutWatch> = watches
            .iter()
            .filter(|w| !seen.results.contains_key(&w.service))
            .collect();
        if pending.is_empty() {
            return Ok(seen.into_rollouts());
        }
        let names: Vec<String> = pending.iter().map(|w| w.service.clone()).collect();
        let described = ecs.describe_services(cluster, &names).await?;
        let deployments = current_service_deployments(ecs, &pending, &described).await?;
        for watch in pending {
            match described.iter().find(|s| s.name == watch.service) {
                Some(service) => seen.observe(watch, service, &deployments, progress, step),
                None => {
                    seen.results.insert(
                        watch.service.clone(),
                        RolloutHealth::Failed("the service disappeared".into()),
                    );
                }
            }
        }
        seen.first_poll = false;
        if seen.results.len() == watches.len() {
            return Ok(seen.into_rollouts());
        }
        if start.elapsed() >= timeout {
            for watch in watches {
                seen.results
                    .entry(watch.service.clone())
                    .or_insert_with(|| {
                        RolloutHealth::Failed(format!(
                            "timed out after {}",
                            humantime::format_duration(timeout)
                        ))
                    });
            }
            return Ok(seen.into_rollouts());
        }
        tokio::time::sleep(polling.next_delay(start.elapsed())).await;
    }
}

/// What the polls of [`rollouts`] have seen so far.
struct Watching {
    /// Final verdicts, by service.
    results: BTreeMap<String, RolloutHealth>,
    /// The service deployments that are the release's, by service.
    ours: BTreeMap<String, ServiceDeployment>,
    /// Service events already shown.
    seen_events: HashSet<String>,
    /// The last progress line per service (a line is said once).
    last_line: BTreeMap<String, String>,
    /// The first poll only marks the events there are as seen.
    first_poll: bool,
}

impl Default for Watching {
    fn default() -> Self {
        Watching {
            results: BTreeMap::new(),
            ours: BTreeMap::new(),
            seen_events: HashSet::new(),
            last_line: BTreeMap::new(),
            first_poll: true,
        }
    }
}

impl Watching {
    /// One poll's view of one service: its new events, its progress line
    /// and, when final, its verdict.
    fn observe(
        &mut self,
        watch: &RolloutWatch,
        service: &crate::ecs::Service,
        deployments: &[ServiceDeployment],
        progress: &Progress,
        step: &str,
    ) {
        // New service events, oldest first.
        let mut new_events: Vec<&str> = Vec::new();
        for e in &service.events {
            if self.seen_events.insert(e.id.clone()) && !self.first_poll {
                new_events.push(&e.message);
            }
        }
        for message in new_events.iter().rev() {
            progress.say(step, format!("{}: event: {message}", watch.service));
        }
        let (health, state, sd) = judge(watch, service, deployments);
        if let Some(sd) = sd {
            self.ours.insert(watch.service.clone(), sd.clone());
        }
        let line = format!(
            "{}: {}/{} running, {state}",
            watch.service, service.running_count, service.desired_count,
        );
        if self.last_line.get(&watch.service) != Some(&line) {
            progress.say(step, &line);
            self.last_line.insert(watch.service.clone(), line);
        }
        if health.is_final() {
            self.results.insert(watch.service.clone(), health);
        }
    }

    fn into_rollouts(self) -> Rollouts {
        Rollouts {
            health: self.results,
            service_deployments: self.ours,
        }
    }
}

/// One rollout's verdict, its state in words, and the service deployment it
/// was judged by (when ECS reports the one deckhand started).
fn judge<'a>(
    watch: &RolloutWatch,
    service: &Service,
    deployments: &'a [ServiceDeployment],
) -> (RolloutHealth, String, Option<&'a ServiceDeployment>) {
    let sd = watch.deployment.as_deref().and_then(|id| {
        deployments
            .iter()
            .find(|sd| service.current_service_deployment.as_ref() == Some(&sd.arn))
            .filter(|sd| verdict::is_ours(id, sd))
    });
    match sd {
        Some(sd) => {
            let stage = sd
                .lifecycle_stage
                .as_deref()
                .map_or(String::new(), |s| format!(", stage {s}"));
            (
                verdict::service_deployment(sd),
                format!("deployment {}{stage}", sd.status),
                Some(sd),
            )
        }
        None => {
            let state = service
                .primary()
                .and_then(|d| d.rollout_state)
                .map_or("-", |r| r.as_str());
            (
                verdict::rollout(watch, service),
                format!("rollout {state}"),
                None,
            )
        }
    }
}

/// The service deployments ECS works on now for the watched services that
/// wait on a deployment: one batched DescribeServiceDeployments, none when
/// ECS reports none.
async fn current_service_deployments<E: Ecs>(
    ecs: &E,
    pending: &[&RolloutWatch],
    described: &[Service],
) -> Result<Vec<ServiceDeployment>, AwsError> {
    let arns: Vec<String> = pending
        .iter()
        .filter(|w| w.deployment.is_some())
        .filter_map(|w| described.iter().find(|s| s.name == w.service))
        .filter_map(|s| s.current_service_deployment.clone())
        .collect();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    ecs.describe_service_deployments(&arns).await
}

/// Wait until service deployment `arn` ends (after StopServiceDeployment);
/// None on timeout.
pub async fn service_deployment_ended<E: Ecs>(
    ecs: &E,
    arn: &str,
    timeout: Duration,
    polling: Polling,
    progress: &Progress,
    service: &str,
) -> Result<Option<ServiceDeployment>, AwsError> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        if let Some(sd) = ecs
            .describe_service_deployments(&[arn.to_owned()])
            .await?
            .into_iter()
            .next()
        {
            if verdict::service_deployment(&sd).is_final() {
                return Ok(Some(sd));
            }
            if sd.status != last {
                progress.say("rollback", format!("{service}: deployment {}", sd.status));
                last = sd.status;
            }
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        tokio::time::sleep(polling.next_delay(start.elapsed())).await;
    }
}

/// Wait until `services` run no task (after scaling them to 0).
pub async fn drained<E: Ecs>(
    ecs: &E,
    cluster: &str,
    services: &[String],
    timeout: Duration,
    polling: Polling,
    progress: &Progress,
) -> Result<bool, AwsError> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        let described = ecs.describe_services(cluster, services).await?;
        let busy = verdict::still_running(&described);
        if busy.is_empty() {
            return Ok(true);
        }
        let busy: Vec<String> = busy
            .iter()
            .map(|(name, n)| format!("{name} ({n} running)"))
            .collect();
        let line = format!("waiting for {}", busy.join(", "));
        if line != last {
            progress.say("quiesce", &line);
            last = line;
        }
        if start.elapsed() >= timeout {
            return Ok(false);
        }
        tokio::time::sleep(polling.next_delay(start.elapsed())).await;
    }
}

/// Wait until a one-off task stops; None on timeout.
pub async fn task_stopped<E: Ecs>(
    ecs: &E,
    cluster: &str,
    task: &str,
    container: &str,
    timeout: Duration,
    polling: Polling,
    progress: &Progress,
) -> Result<Option<(Task, TaskOutcome)>, AwsError> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        let state = ecs
            .describe_tasks(cluster, &[task.to_owned()])
            .await?
            .into_iter()
            .next();
        if let Some(state) = state {
            match verdict::task(&state, container) {
                TaskOutcome::Running(status) => {
                    if status != last {
                        progress.say("migrate", format!("task {status}"));
                        last = status;
                    }
                }
                outcome => return Ok(Some((state, outcome))),
            }
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        tokio::time::sleep(polling.next_delay(start.elapsed())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_start_fast_and_back_off_to_the_interval() {
        let polling = Polling {
            interval: Duration::from_secs(5),
        };
        let at = |ms| polling.next_delay(Duration::from_millis(ms)).as_millis();
        assert_eq!(
            [at(0), at(400), at(2000), at(6000), at(600_000)],
            [250, 250, 1000, 3000, 5000]
        );
        let short = Polling {
            interval: Duration::from_millis(100),
        };
        assert_eq!(short.next_delay(Duration::ZERO), Duration::from_millis(100));
    }
}
