//! Verdicts: pure functions over what ECS reports, deciding how a rollout,
//! a drain or a one-off task stands. No I/O; the waits in [`super::wait`]
//! poll ECS and ask these. Table-tested on fixtures below.

use crate::ecs::{DeploymentStatus, RolloutState, Service, ServiceDeployment, Task};

/// What a rollout is expected to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// How a rollout stands, worst last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutHealth {
    /// Still replacing tasks.
    InProgress,
    /// Steady state on the new task definition at the desired count.
    Completed,
    /// The deployment failed (the circuit breaker, a failed start), with why.
    Failed(String),
    /// ECS put the service back on another task definition (circuit-breaker rollback).
    RolledBack(String),
    /// Someone else's deployment replaced ours.
    Replaced(String),
}

impl RolloutHealth {
    /// Is the rollout over, one way or the other?
    pub fn is_final(&self) -> bool {
        !matches!(self, RolloutHealth::InProgress)
    }

    /// Why it did not complete, if it did not.
    pub fn failure(&self) -> Option<&str> {
        match self {
            RolloutHealth::Failed(why)
            | RolloutHealth::RolledBack(why)
            | RolloutHealth::Replaced(why) => Some(why),
            RolloutHealth::InProgress | RolloutHealth::Completed => None,
        }
    }
}

/// Judge one rollout from the service as ECS describes it now. A
/// circuit-breaker rollback is never taken for success.
pub fn rollout(watch: &RolloutWatch, service: &Service) -> RolloutHealth {
    let primary = service.primary();
    let counts_reached = |running: i32| {
        watch
            .desired_count
            .is_none_or(|n| running == n && service.running_count == n)
    };
    let completed = |d: &crate::ecs::Deployment| {
        d.rollout_state == Some(RolloutState::Completed) && counts_reached(d.running_count)
    };
    let Some(id) = &watch.deployment else {
        // A count-only update: the primary deployment reaches the count.
        return match primary {
            Some(p) if counts_reached(p.running_count) && service.pending_count == 0 => {
                RolloutHealth::Completed
            }
            _ => RolloutHealth::InProgress,
        };
    };
    let other = || {
        primary
            .map(|p| p.task_definition.clone())
            .filter(|td| !td.is_empty())
            .unwrap_or_else(|| service.task_definition.clone())
    };
    match service.deployments.iter().find(|d| &d.id == id) {
        Some(d) if d.rollout_state == Some(RolloutState::Failed) => {
            let why = d
                .rollout_state_reason
                .clone()
                .unwrap_or_else(|| "the deployment failed".into());
            if service.task_definition != watch.task_definition {
                RolloutHealth::RolledBack(format!("{why}; ECS rolled back to {}", other()))
            } else {
                RolloutHealth::Failed(why)
            }
        }
        Some(d) if d.status != DeploymentStatus::Primary => {
            if other() == watch.task_definition {
                RolloutHealth::Replaced(format!(
                    "deployment {id} was replaced by another deployment"
                ))
            } else {
                RolloutHealth::RolledBack(format!(
                    "deployment {id} was replaced; the service went back to {}",
                    other()
                ))
            }
        }
        Some(d) if completed(d) => RolloutHealth::Completed,
        Some(_) => RolloutHealth::InProgress,
        None if service.task_definition != watch.task_definition => {
            RolloutHealth::RolledBack(format!(
                "deployment {id} is gone and the service runs {} (rolled back)",
                service.task_definition
            ))
        }
        None => match primary {
            Some(p) if completed(p) => RolloutHealth::Completed,
            _ => RolloutHealth::InProgress,
        },
    }
}

/// Whether service deployment `sd` is the one UpdateService started as
/// deployment `id` (`ecs-svc/<n>`): ECS names the target revision after it
/// (UpdateService returns no deployment ARN; Terraform matches the same way).
pub fn is_ours(id: &str, sd: &ServiceDeployment) -> bool {
    let number = id.rsplit('/').next().unwrap_or_default();
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && sd
            .target_revision
            .as_deref()
            .is_some_and(|arn| arn.contains(number))
}

/// Judge a rollout from its service deployment, for every strategy
/// (ROLLING, BLUE_GREEN, LINEAR, CANARY): a rollback, however it ends, is
/// never success.
pub fn service_deployment(sd: &ServiceDeployment) -> RolloutHealth {
    let why = |fallback: &str| {
        sd.rollback_reason
            .as_deref()
            .or(sd.status_reason.as_deref())
            .map(|reason| reason.trim_end_matches('.').to_owned())
            .unwrap_or_else(|| fallback.to_owned())
    };
    match sd.status.as_str() {
        "SUCCESSFUL" => RolloutHealth::Completed,
        "ROLLBACK_SUCCESSFUL" => RolloutHealth::RolledBack(format!(
            "{}; ECS rolled the deployment back",
            why("the deployment failed")
        )),
        "ROLLBACK_FAILED" => RolloutHealth::Failed(format!(
            "{}; ECS could not roll the deployment back either: the service needs a look",
            why("the deployment failed")
        )),
        "STOPPED" => RolloutHealth::Failed(format!(
            "the deployment was stopped: {}",
            why("no reason given")
        )),
        // PENDING, IN_PROGRESS, STOP_REQUESTED, ROLLBACK_REQUESTED,
        // ROLLBACK_IN_PROGRESS, and any status ECS adds later.
        _ => RolloutHealth::InProgress,
    }
}

/// Services still running tasks after being scaled to 0, with their counts.
/// Empty means drained.
pub fn still_running(services: &[Service]) -> Vec<(String, i32)> {
    services
        .iter()
        .filter(|s| s.running_count > 0 || s.pending_count > 0)
        .map(|s| (s.name.clone(), s.running_count + s.pending_count))
        .collect()
}

/// How a one-off task stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    /// Not stopped yet: its last status.
    Running(String),
    /// Stopped, and `container` exited 0.
    Succeeded,
    /// Stopped any other way, with the exit code (if any) and why.
    Failed {
        /// The container's exit code.
        exit_code: Option<i32>,
        /// The most specific reason ECS gives.
        reason: String,
    },
}

/// Judge a one-off task whose command runs in `container`.
pub fn task(task: &Task, container: &str) -> TaskOutcome {
    if task.last_status != "STOPPED" {
        return TaskOutcome::Running(task.last_status.clone());
    }
    let ours = task.containers.iter().find(|c| c.name == container);
    let exit_code = ours.and_then(|c| c.exit_code);
    if exit_code == Some(0) {
        return TaskOutcome::Succeeded;
    }
    let reason = ours
        .and_then(|c| c.reason.clone())
        .or_else(|| task.stopped_reason.clone())
        .or_else(|| task.stop_code.clone())
        .unwrap_or_else(|| "no reason given".into());
    TaskOutcome::Failed { exit_code, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::{Deployment, TaskContainer};

    const OLD: &str = "arn:td/web:1";
    const NEW: &str = "arn:td/web:2";

    fn deployment(id: &str, status: DeploymentStatus, td: &str, state: RolloutState) -> Deployment {
        Deployment {
            id: id.into(),
            status,
            task_definition: td.into(),
            rollout_state: Some(state),
            rollout_state_reason: None,
            desired_count: 2,
            running_count: 2,
        }
    }

    fn service(td: &str, running: i32, deployments: Vec<Deployment>) -> Service {
        Service {
            name: "web".into(),
            task_definition: td.into(),
            desired_count: 2,
            running_count: running,
            deployments,
            ..Service::default()
        }
    }

    fn watch(deployment: Option<&str>) -> RolloutWatch {
        RolloutWatch {
            service: "web".into(),
            deployment: deployment.map(str::to_owned),
            task_definition: NEW.into(),
            desired_count: Some(2),
        }
    }

    use DeploymentStatus::{Active, Primary};
    use RolloutState::{Completed, Failed, InProgress};

    fn sd(status: &str, revision: &str) -> ServiceDeployment {
        ServiceDeployment {
            arn: "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/web/x".into(),
            status: status.into(),
            target_revision: Some(format!(
                "arn:aws:ecs:us-east-1:123456789012:service-revision/c/web/{revision}"
            )),
            ..ServiceDeployment::default()
        }
    }

    #[test]
    fn service_deployment_verdicts() {
        let mut rolled_back = sd("ROLLBACK_SUCCESSFUL", "1");
        rolled_back.rollback_reason = Some("circuit breaker: 3 tasks failed".into());
        let mut stopped = sd("STOPPED", "1");
        stopped.status_reason = Some("stopped by a user".into());
        let cases = [
            (sd("SUCCESSFUL", "1"), "Completed"),
            (sd("PENDING", "1"), "InProgress"),
            (sd("IN_PROGRESS", "1"), "InProgress"),
            (sd("STOP_REQUESTED", "1"), "InProgress"),
            (sd("ROLLBACK_REQUESTED", "1"), "InProgress"),
            (sd("ROLLBACK_IN_PROGRESS", "1"), "InProgress"),
            (sd("A_STATUS_ECS_ADDS_LATER", "1"), "InProgress"),
            (
                rolled_back,
                "RolledBack(\"circuit breaker: 3 tasks failed; ECS rolled the deployment back\")",
            ),
            (
                sd("ROLLBACK_FAILED", "1"),
                "Failed(\"the deployment failed; ECS could not roll the deployment back either: the service needs a look\")",
            ),
            (
                stopped,
                "Failed(\"the deployment was stopped: stopped by a user\")",
            ),
        ];
        for (deployment, expected) in cases {
            assert_eq!(
                format!("{:?}", service_deployment(&deployment)),
                expected,
                "{}",
                deployment.status
            );
        }
    }

    #[test]
    fn a_service_deployment_is_ours_when_its_target_revision_is_named_after_our_deployment() {
        assert!(is_ours("ecs-svc/4711", &sd("IN_PROGRESS", "4711")));
        assert!(!is_ours("ecs-svc/4711", &sd("IN_PROGRESS", "4712")));
        assert!(!is_ours("ecs-svc/", &sd("IN_PROGRESS", "4711")));
        assert!(!is_ours("d2", &sd("IN_PROGRESS", "d2")));
        let mut without_revision = sd("IN_PROGRESS", "4711");
        without_revision.target_revision = None;
        assert!(!is_ours("ecs-svc/4711", &without_revision));
    }

    #[test]
    fn rollout_verdicts() {
        let mut failed = deployment("d2", Primary, NEW, Failed);
        failed.rollout_state_reason = Some("tasks failed to start".into());
        let mut failed_back = failed.clone();
        failed_back.status = Active;
        let cases: Vec<(&str, RolloutWatch, Service, RolloutHealth)> = vec![
            (
                "ours completed at the count",
                watch(Some("d2")),
                service(NEW, 2, vec![deployment("d2", Primary, NEW, Completed)]),
                RolloutHealth::Completed,
            ),
            (
                "ours completed but the count is not reached yet",
                watch(Some("d2")),
                service(NEW, 1, vec![deployment("d2", Primary, NEW, Completed)]),
                RolloutHealth::InProgress,
            ),
            (
                "ours in progress",
                watch(Some("d2")),
                service(
                    NEW,
                    2,
                    vec![
                        deployment("d2", Primary, NEW, InProgress),
                        deployment("d1", Active, OLD, Completed),
                    ],
                ),
                RolloutHealth::InProgress,
            ),
            (
                "circuit breaker stopped ours, no rollback",
                watch(Some("d2")),
                service(NEW, 0, vec![failed.clone()]),
                RolloutHealth::Failed("tasks failed to start".into()),
            ),
            (
                "circuit breaker rolled back to the old definition",
                watch(Some("d2")),
                service(
                    OLD,
                    2,
                    vec![deployment("d3", Primary, OLD, InProgress), failed_back],
                ),
                RolloutHealth::RolledBack(
                    "tasks failed to start; ECS rolled back to arn:td/web:1".into(),
                ),
            ),
            (
                "ours replaced by another deployment of the same definition",
                watch(Some("d2")),
                service(
                    NEW,
                    2,
                    vec![
                        deployment("d3", Primary, NEW, InProgress),
                        deployment("d2", Active, NEW, InProgress),
                    ],
                ),
                RolloutHealth::Replaced("deployment d2 was replaced by another deployment".into()),
            ),
            (
                "ours replaced by a deployment of the old definition",
                watch(Some("d2")),
                service(
                    OLD,
                    2,
                    vec![
                        deployment("d3", Primary, OLD, InProgress),
                        deployment("d2", Active, NEW, InProgress),
                    ],
                ),
                RolloutHealth::RolledBack(
                    "deployment d2 was replaced; the service went back to arn:td/web:1".into(),
                ),
            ),
            (
                "ours gone, service on another definition",
                watch(Some("d2")),
                service(OLD, 2, vec![deployment("d9", Primary, OLD, Completed)]),
                RolloutHealth::RolledBack(
                    "deployment d2 is gone and the service runs arn:td/web:1 (rolled back)".into(),
                ),
            ),
            (
                "ours gone, primary on our definition completed",
                watch(Some("d2")),
                service(NEW, 2, vec![deployment("d9", Primary, NEW, Completed)]),
                RolloutHealth::Completed,
            ),
            (
                "count-only update reached",
                watch(None),
                service(NEW, 2, vec![deployment("d1", Primary, NEW, InProgress)]),
                RolloutHealth::Completed,
            ),
            (
                "count-only update still scaling",
                watch(None),
                service(NEW, 1, vec![deployment("d1", Primary, NEW, InProgress)]),
                RolloutHealth::InProgress,
            ),
        ];
        for (name, watch, service, expected) in cases {
            assert_eq!(rollout(&watch, &service), expected, "{name}");
        }
    }

    #[test]
    fn drain_waits_for_running_and_pending_tasks() {
        let mut busy = service(OLD, 1, vec![]);
        busy.name = "worker".into();
        let mut pending = service(OLD, 0, vec![]);
        pending.name = "mailer".into();
        pending.pending_count = 1;
        let idle = service(OLD, 0, vec![]);
        assert_eq!(
            still_running(&[busy, pending, idle.clone()]),
            [("worker".to_owned(), 1), ("mailer".to_owned(), 1)]
        );
        assert!(still_running(&[idle]).is_empty());
    }

    fn stopped(exit_code: Option<i32>, reason: Option<&str>, stopped_reason: Option<&str>) -> Task {
        Task {
            arn: "arn:task/1".into(),
            last_status: "STOPPED".into(),
            stopped_reason: stopped_reason.map(str::to_owned),
            stop_code: Some("EssentialContainerExited".into()),
            containers: vec![
                TaskContainer {
                    name: "sidecar".into(),
                    exit_code: Some(0),
                    reason: None,
                },
                TaskContainer {
                    name: "app".into(),
                    exit_code,
                    reason: reason.map(str::to_owned),
                },
            ],
            ..Task::default()
        }
    }

    #[test]
    fn migration_task_verdicts() {
        let running = Task {
            last_status: "RUNNING".into(),
            ..Task::default()
        };
        let cases = [
            ("running", running, TaskOutcome::Running("RUNNING".into())),
            (
                "exit 0 of the migration container",
                stopped(Some(0), None, Some("Essential container in task exited")),
                TaskOutcome::Succeeded,
            ),
            (
                "exit 1 with the task's reason",
                stopped(Some(1), None, Some("Essential container in task exited")),
                TaskOutcome::Failed {
                    exit_code: Some(1),
                    reason: "Essential container in task exited".into(),
                },
            ),
            (
                "never started: the container's reason wins",
                stopped(
                    None,
                    Some("CannotPullContainerError: pull image manifest has been retried"),
                    Some("Task failed to start"),
                ),
                TaskOutcome::Failed {
                    exit_code: None,
                    reason: "CannotPullContainerError: pull image manifest has been retried".into(),
                },
            ),
            (
                "no reason at all: the stop code",
                stopped(Some(137), None, None),
                TaskOutcome::Failed {
                    exit_code: Some(137),
                    reason: "EssentialContainerExited".into(),
                },
            ),
        ];
        for (name, t, expected) in cases {
            assert_eq!(task(&t, "app"), expected, "{name}");
        }
    }
}
