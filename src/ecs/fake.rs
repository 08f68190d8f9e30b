//! An in-memory ECS behind the [`Ecs`] trait, for fast unit tests of the
//! release and the controller on paused tokio time. It never replaces the
//! emulator tests: it models only what deckhand's logic depends on.
//!
//! The model: every DescribeServices is one tick for the services it
//! describes — a new deployment completes (or fails, and the circuit breaker
//! rolls the service back) after [`Behaviour::rollout_polls`] ticks; a count
//! change is reached on the next tick. Every DescribeTasks is one tick for
//! its tasks: RUNNING after one, STOPPED with [`Behaviour::exit_code`] after
//! [`Behaviour::task_polls`]. Stopped tasks stay listable, as in ECS.
//!
//! Faults, by call number (every call counts, reads included):
//! [`Faults::crash_after`] applies call k and then never answers it or any
//! later call (the process is gone); [`Faults::fail_after`] applies call k
//! and answers it with a 500; [`Faults::throttle`] answers call k with a
//! throttling error without applying it.

use super::calls::CallCounter;
use super::error::AwsError;
use super::types::{
    Autoscaling, Cluster, CreateServiceRequest, Deployment, DeploymentStatus, DesiredStatus,
    LiveAutoscaling, RolloutState, RunTaskOutcome, RunTaskRequest, ScalingSuspension, Service,
    ServiceDeployment, ServiceEvent, TargetTrackingPolicy, Task, TaskContainer, TaskDefinition,
    UpdateServiceRequest,
};
use super::{AwsClient, DESCRIBE_SERVICES_BATCH, Ecs, Lookups};
use crate::servicedef::ServiceDefinition;
use crate::taskdef::model::TaskDefinitionSpec;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

const ACCOUNT: &str = "arn:aws:ecs:us-east-1:123456789012";

tokio::task_local! {
    /// Who makes the calls of this task: a test's name for one of several
    /// concurrent runs, kept in [`State::calls_by`]. In such a scope every
    /// call first yields, so concurrent runs interleave call by call.
    pub static CALLER: &'static str;
}

/// The names of `names` not in `missing`.
fn present(missing: &BTreeSet<String>, names: &[String]) -> BTreeSet<String> {
    names
        .iter()
        .filter(|n| !missing.contains(*n))
        .cloned()
        .collect()
}

/// How the fake ECS behaves.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// DescribeServices ticks until a new deployment is done.
    pub rollout_polls: u32,
    /// DescribeTasks ticks until a task stops.
    pub task_polls: u32,
    /// Exit code of one-off tasks.
    pub exit_code: i32,
    /// This many of the next deployments (of any service) fail and are
    /// rolled back by the circuit breaker.
    pub failing_deployments: u32,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            rollout_polls: 2,
            task_polls: 3,
            exit_code: 0,
            failing_deployments: 0,
        }
    }
}

/// Injected faults, by 1-based call number.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Apply call k, then never answer again.
    pub crash_after: Option<u64>,
    /// Apply call k, then answer it with a 500.
    pub fail_after: Option<u64>,
    /// Answer call k with a throttling error, without applying it.
    pub throttle: Option<u64>,
}

/// One deployment in the fake.
#[derive(Debug, Clone)]
struct FakeDeployment {
    public: Deployment,
    ticks_left: u32,
    fails: bool,
}

/// One service in the fake.
#[derive(Debug, Clone)]
pub struct FakeService {
    /// What DescribeServices shows (deployments and events are kept below).
    pub service: Service,
    deployments: Vec<FakeDeployment>,
}

/// One task in the fake.
#[derive(Debug, Clone)]
pub struct FakeTask {
    /// What DescribeTasks shows.
    pub task: Task,
    /// The task definition it runs.
    pub task_definition: String,
    /// The service whose deployment started it (None: a one-off task).
    pub service: Option<String>,
    ticks: u32,
    client_token: String,
}

/// The whole fake state.
#[derive(Debug, Default)]
pub struct State {
    /// Clusters by name.
    pub clusters: BTreeMap<String, Cluster>,
    /// Services by (cluster, name).
    pub services: BTreeMap<(String, String), FakeService>,
    /// Task definitions by ARN.
    pub task_definitions: BTreeMap<String, Arc<TaskDefinition>>,
    /// Tasks by ARN.
    pub tasks: BTreeMap<String, FakeTask>,
    /// Application Auto Scaling targets by (cluster, service).
    pub scalable_targets: BTreeMap<(String, String), ScalingSuspension>,
    /// The capacity range and policies of the scalable targets, by (cluster, service).
    pub autoscaling: BTreeMap<(String, String), Autoscaling>,
    /// What preflight lookups do not find (`repository:reference`, role
    /// names, parameter names, secret IDs, log group names); everything
    /// else exists.
    pub missing: BTreeSet<String>,
    /// Log streams (`group/stream`) and their lines.
    pub logs: BTreeMap<String, Vec<String>>,
    /// Behaviour knobs.
    pub behaviour: Behaviour,
    /// Injected faults.
    pub faults: Faults,
    families: BTreeMap<String, u32>,
    next_id: u64,
    calls_made: u64,
    dead: bool,
    /// One line per call that took effect: `k Operation detail`.
    pub log: Vec<String>,
    /// `(caller, operation)` of every call that took effect in a
    /// [`CALLER`] scope.
    pub calls_by: Vec<(&'static str, &'static str)>,
}

/// The fake ECS (cheap to clone; clones share state).
#[derive(Clone)]
pub struct FakeEcs {
    state: Arc<Mutex<State>>,
    calls: Arc<CallCounter>,
    crashed: watch::Sender<bool>,
}

impl Default for FakeEcs {
    fn default() -> Self {
        FakeEcs {
            state: Arc::default(),
            calls: Arc::default(),
            crashed: watch::Sender::new(false),
        }
    }
}

enum Fault {
    None,
    Crash,
    Fail,
}

impl State {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn register(&mut self, spec: &TaskDefinitionSpec) -> Arc<TaskDefinition> {
        let family = spec.family.clone().unwrap_or_default();
        let revision = self.families.entry(family.clone()).or_default();
        *revision += 1;
        let arn = format!("{ACCOUNT}:task-definition/{family}:{revision}");
        let td = Arc::new(TaskDefinition {
            arn: arn.clone(),
            family_revision: format!("{family}:{revision}"),
            spec: spec.clone(),
        });
        self.task_definitions.insert(arn, td.clone());
        td
    }

    /// A steady service of `task_definition` (replacing one of the same name, as moto does).
    fn run_service(
        &mut self,
        cluster: &str,
        name: &str,
        task_definition: &str,
        desired_count: i32,
        tags: BTreeMap<String, String>,
    ) {
        let id = self.id();
        let deployment = FakeDeployment {
            public: Deployment {
                id: format!("ecs-svc/{id}"),
                status: DeploymentStatus::Primary,
                task_definition: task_definition.to_owned(),
                rollout_state: Some(RolloutState::Completed),
                rollout_state_reason: None,
                desired_count,
                running_count: desired_count,
            },
            ticks_left: 0,
            fails: false,
        };
        let service = Service {
            name: name.to_owned(),
            arn: format!("{ACCOUNT}:service/{cluster}/{name}"),
            status: "ACTIVE".into(),
            task_definition: task_definition.to_owned(),
            desired_count,
            running_count: desired_count,
            launch_type: Some("FARGATE".into()),
            deployments: vec![deployment.public.clone()],
            tags,
            ..Service::default()
        };
        self.services.insert(
            (cluster.to_owned(), name.to_owned()),
            FakeService {
                service,
                deployments: vec![deployment],
            },
        );
    }

    fn service_mut(&mut self, cluster: &str, name: &str) -> Result<&mut FakeService, AwsError> {
        self.services
            .get_mut(&(cluster.to_owned(), name.to_owned()))
            .ok_or_else(|| AwsError::Api {
                operation: "UpdateService",
                code: "ServiceNotFoundException".into(),
                message: format!("service {name} not found"),
                status: 400,
            })
    }

    /// The tags of the resource `arn`, wherever it is.
    fn tags_of(&mut self, arn: &str) -> Option<&mut BTreeMap<String, String>> {
        if let Some(c) = self.clusters.values_mut().find(|c| c.arn == arn) {
            return Some(&mut c.tags);
        }
        if let Some(s) = self.services.values_mut().find(|s| s.service.arn == arn) {
            return Some(&mut s.service.tags);
        }
        if let Some(t) = self.tasks.get_mut(arn) {
            return Some(&mut t.task.tags);
        }
        None
    }

    /// One DescribeServices tick of a service.
    fn tick_service(&mut self, key: &(String, String)) {
        let next = self.id();
        let Some(s) = self.services.get_mut(key) else {
            return;
        };
        let desired = s.service.desired_count;
        let mut rolled_back_to = None;
        let mut failed_definition = None;
        if let Some(d) = s.deployments.first_mut()
            && d.public.rollout_state == Some(RolloutState::InProgress)
        {
            d.ticks_left = d.ticks_left.saturating_sub(1);
            if d.ticks_left == 0 {
                if d.fails {
                    failed_definition = Some(d.public.task_definition.clone());
                    d.public.rollout_state = Some(RolloutState::Failed);
                    d.public.rollout_state_reason =
                        Some("ECS deployment circuit breaker: tasks failed to start.".into());
                    d.public.status = DeploymentStatus::Active;
                    rolled_back_to = s
                        .deployments
                        .get(1)
                        .map(|previous| previous.public.task_definition.clone());
                } else {
                    d.public.rollout_state = Some(RolloutState::Completed);
                    d.public.running_count = desired;
                    s.deployments.truncate(1);
                    s.service.events.insert(
                        0,
                        ServiceEvent {
                            id: format!("event-{next}"),
                            message: format!("(service {}) has reached a steady state.", key.1),
                        },
                    );
                }
            }
        }
        if let Some(td) = rolled_back_to {
            // The circuit breaker's rollback: a completed deployment of the previous definition.
            s.service.task_definition = td.clone();
            s.deployments.truncate(1);
            s.deployments.insert(
                0,
                FakeDeployment {
                    public: Deployment {
                        id: format!("ecs-svc/{next}"),
                        status: DeploymentStatus::Primary,
                        task_definition: td,
                        rollout_state: Some(RolloutState::Completed),
                        rollout_state_reason: None,
                        desired_count: desired,
                        running_count: desired,
                    },
                    ticks_left: 0,
                    fails: false,
                },
            );
        }
        if let Some(primary) = s.deployments.first_mut() {
            primary.public.desired_count = desired;
            if primary.public.rollout_state == Some(RolloutState::Completed) {
                primary.public.running_count = desired;
            }
        }
        // Scaling takes one tick.
        s.service.running_count = desired;
        s.service.deployments = s.deployments.iter().map(|d| d.public.clone()).collect();
        if let Some(td) = failed_definition {
            self.failed_start(&key.0, &key.1, td, format!("ecs-svc/{next}"));
        }
    }

    /// What the circuit breaker saw: a task of `service` that failed to start.
    fn failed_start(&mut self, cluster: &str, service: &str, td: String, started_by: String) {
        const REASON: &str =
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): not found";
        let id = self.id();
        let arn = format!("{ACCOUNT}:task/{cluster}/{id:032x}");
        let task = Task {
            arn: arn.clone(),
            last_status: "STOPPED".into(),
            desired_status: "STOPPED".into(),
            started_by: Some(started_by),
            task_definition: td.clone(),
            stopped_reason: Some(REASON.into()),
            stop_code: Some("TaskFailedToStart".into()),
            containers: vec![TaskContainer {
                name: "app".into(),
                exit_code: None,
                reason: Some(REASON.into()),
            }],
            tags: BTreeMap::new(),
        };
        self.tasks.insert(
            arn,
            FakeTask {
                task,
                task_definition: td,
                service: Some(service.to_owned()),
                ticks: u32::MAX,
                client_token: String::new(),
            },
        );
    }

    /// One DescribeTasks tick of a task.
    fn tick_task(&mut self, arn: &str) {
        let exit_code = self.behaviour.exit_code;
        let Some(t) = self.tasks.get_mut(arn) else {
            return;
        };
        if t.task.last_status == "STOPPED" {
            return;
        }
        t.ticks += 1;
        if t.ticks >= self.behaviour.task_polls {
            stop(
                t,
                Some(exit_code),
                "Essential container in task exited",
                "EssentialContainerExited",
            );
        } else {
            t.task.last_status = "RUNNING".into();
        }
    }
}

fn stop(t: &mut FakeTask, exit_code: Option<i32>, reason: &str, code: &str) {
    t.task.last_status = "STOPPED".into();
    t.task.desired_status = "STOPPED".into();
    t.task.stopped_reason = Some(reason.into());
    t.task.stop_code = Some(code.into());
    for c in &mut t.task.containers {
        c.exit_code = exit_code;
    }
}

impl FakeEcs {
    /// Change the state directly (seeding, behaviour, faults, inspection).
    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("fake state"))
    }

    /// A new process: faults cleared, answering again (ECS state kept).
    pub fn restart(&self) {
        self.with(|s| {
            s.faults = Faults::default();
            s.dead = false;
        });
        self.crashed.send_replace(false);
    }

    /// Resolves once a crash fault has fired.
    pub async fn crashed(&self) {
        let mut rx = self.crashed.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// A cluster with `tags`.
    pub fn add_cluster(&self, name: &str, tags: &[(&str, &str)]) -> String {
        let arn = format!("{ACCOUNT}:cluster/{name}");
        self.with(|s| {
            s.clusters.insert(
                name.to_owned(),
                Cluster {
                    arn: arn.clone(),
                    tags: tags
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                },
            )
        });
        arn
    }

    /// Register `spec` and run a steady service of it.
    pub fn add_service(
        &self,
        cluster: &str,
        name: &str,
        spec: &TaskDefinitionSpec,
        desired_count: i32,
        tags: &[(&str, &str)],
    ) {
        let tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.with(|s| {
            let td = s.register(spec);
            s.run_service(cluster, name, &td.arn, desired_count, tags);
        });
    }

    /// Carry out one call: count it, inject its fault, apply its effect.
    async fn call<T>(
        &self,
        operation: &'static str,
        effect: impl FnOnce(&mut State) -> Result<T, AwsError>,
    ) -> Result<T, AwsError> {
        // Concurrent runs in CALLER scopes interleave at every call.
        if CALLER.try_with(|_| ()).is_ok() {
            tokio::task::yield_now().await;
        }
        let (result, fault) = {
            let mut s = self.state.lock().expect("fake state");
            if s.dead {
                (None, Fault::Crash)
            } else {
                s.calls_made += 1;
                self.calls.record(operation);
                let k = s.calls_made;
                if s.faults.throttle == Some(k) {
                    return Err(AwsError::Api {
                        operation,
                        code: "ThrottlingException".into(),
                        message: "Rate exceeded".into(),
                        status: 400,
                    });
                }
                let result = effect(&mut s);
                if result.is_ok() {
                    s.log.push(format!("{k} {operation}"));
                    if let Ok(caller) = CALLER.try_with(|c| *c) {
                        s.calls_by.push((caller, operation));
                    }
                }
                let fault = if s.faults.crash_after == Some(k) {
                    s.dead = true;
                    Fault::Crash
                } else if s.faults.fail_after == Some(k) {
                    Fault::Fail
                } else {
                    Fault::None
                };
                (Some(result), fault)
            }
        };
        match (fault, result) {
            (Fault::Crash, _) | (_, None) => {
                self.crashed.send_replace(true);
                std::future::pending().await
            }
            (Fault::Fail, _) => Err(AwsError::Api {
                operation,
                code: "ServerException".into(),
                message: "internal error".into(),
                status: 500,
            }),
            (Fault::None, Some(result)) => result,
        }
    }
}

impl AwsClient for FakeEcs {
    fn calls(&self) -> Arc<CallCounter> {
        self.calls.clone()
    }

    fn region(&self) -> Option<String> {
        Some("us-east-1".into())
    }
}

impl Ecs for FakeEcs {
    async fn describe_cluster(&self, cluster: &str) -> Result<Cluster, AwsError> {
        self.call("DescribeClusters", |s| {
            s.clusters
                .get(cluster)
                .cloned()
                .ok_or_else(|| AwsError::ClusterNotFound {
                    cluster: cluster.to_owned(),
                    region: None,
                })
        })
        .await
    }

    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<Service>, AwsError> {
        let mut out = Vec::new();
        for batch in names.chunks(DESCRIBE_SERVICES_BATCH) {
            out.extend(
                self.call("DescribeServices", |s| {
                    let mut found = Vec::new();
                    for name in batch {
                        let key = (cluster.to_owned(), name.clone());
                        s.tick_service(&key);
                        if let Some(f) = s.services.get(&key) {
                            found.push(f.service.clone());
                        }
                    }
                    Ok(found)
                })
                .await?,
            );
        }
        Ok(out)
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        self.call("ListServices", |s| {
            Ok(s.services
                .keys()
                .filter(|(c, _)| c == cluster)
                .map(|(_, name)| name.clone())
                .collect())
        })
        .await
    }

    async fn describe_task_definition(
        &self,
        reference: &str,
    ) -> Result<Option<Arc<TaskDefinition>>, AwsError> {
        self.call("DescribeTaskDefinition", |s| {
            if let Some(td) = s.task_definitions.get(reference) {
                return Ok(Some(td.clone()));
            }
            let latest = s
                .families
                .get(reference)
                .map(|r| format!("{ACCOUNT}:task-definition/{reference}:{r}"));
            Ok(latest.and_then(|arn| s.task_definitions.get(&arn).cloned()))
        })
        .await
    }

    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> Result<Arc<TaskDefinition>, AwsError> {
        self.call("RegisterTaskDefinition", |s| Ok(s.register(spec)))
            .await
    }

    async fn create_service(&self, request: &CreateServiceRequest) -> Result<(), AwsError> {
        self.call("CreateService", |s| {
            let tags = request
                .definition
                .tags
                .iter()
                .flatten()
                .filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default())))
                .collect();
            s.run_service(
                &request.cluster,
                &request.service,
                &request.task_definition,
                request.desired_count,
                tags,
            );
            let created = s.service_mut(&request.cluster, &request.service)?;
            created.service.definition = Arc::new(ServiceDefinition {
                tags: None,
                ..(*request.definition).clone()
            });
            Ok(())
        })
        .await
    }

    async fn update_service(
        &self,
        request: &UpdateServiceRequest,
    ) -> Result<Option<String>, AwsError> {
        self.call("UpdateService", |s| {
            let id = s.id();
            let polls = s.behaviour.rollout_polls;
            let fails = s.behaviour.failing_deployments > 0;
            let exists = request
                .task_definition
                .as_ref()
                .is_none_or(|td| s.task_definitions.contains_key(td));
            if !exists {
                return Err(AwsError::Api {
                    operation: "UpdateService",
                    code: "ClientException".into(),
                    message: "TaskDefinition not found.".into(),
                    status: 400,
                });
            }
            let service = s.service_mut(&request.cluster, &request.service)?;
            if let Some(n) = request.desired_count {
                service.service.desired_count = n;
            }
            let mut started = false;
            if let Some(configuration) = &request.configuration {
                service.service.definition =
                    Arc::new(merged(&service.service.definition, configuration));
            }
            // A new task definition or configuration starts a deployment.
            let target = match &request.task_definition {
                Some(td) if *td != service.service.task_definition => Some(td.clone()),
                _ => request
                    .configuration
                    .as_ref()
                    .map(|_| service.service.task_definition.clone()),
            };
            if let Some(td) = &target {
                for d in &mut service.deployments {
                    d.public.status = DeploymentStatus::Active;
                }
                service.deployments.insert(
                    0,
                    FakeDeployment {
                        public: Deployment {
                            id: format!("ecs-svc/{id}"),
                            status: DeploymentStatus::Primary,
                            task_definition: td.clone(),
                            rollout_state: Some(RolloutState::InProgress),
                            rollout_state_reason: None,
                            desired_count: service.service.desired_count,
                            running_count: 0,
                        },
                        ticks_left: polls,
                        fails,
                    },
                );
                service.service.task_definition = td.clone();
                started = true;
            }
            service.service.deployments = service
                .deployments
                .iter()
                .map(|d| d.public.clone())
                .collect();
            let primary = service.deployments.first().map(|d| d.public.id.clone());
            if started && fails {
                s.behaviour.failing_deployments -= 1;
            }
            Ok(primary)
        })
        .await
    }

    async fn run_task(&self, request: &RunTaskRequest) -> Result<RunTaskOutcome, AwsError> {
        self.call("RunTask", |s| {
            if let Some(existing) = s
                .tasks
                .values()
                .find(|t| t.client_token == request.client_token)
            {
                return Ok(RunTaskOutcome::Started(existing.task.arn.clone()));
            }
            let id = s.id();
            let arn = format!("{ACCOUNT}:task/{}/{id:032x}", request.cluster);
            let task = Task {
                arn: arn.clone(),
                last_status: "PROVISIONING".into(),
                desired_status: "RUNNING".into(),
                started_by: Some(request.started_by.clone()),
                containers: vec![TaskContainer {
                    name: request.container.clone(),
                    ..TaskContainer::default()
                }],
                tags: request.tags.iter().cloned().collect(),
                ..Task::default()
            };
            s.tasks.insert(
                arn.clone(),
                FakeTask {
                    task,
                    task_definition: request.task_definition.clone(),
                    service: None,
                    ticks: 0,
                    client_token: request.client_token.clone(),
                },
            );
            Ok(RunTaskOutcome::Started(arn))
        })
        .await
    }

    async fn describe_tasks(&self, _cluster: &str, arns: &[String]) -> Result<Vec<Task>, AwsError> {
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        self.call("DescribeTasks", |s| {
            let mut out = Vec::new();
            for arn in arns {
                s.tick_task(arn);
                if let Some(t) = s.tasks.get(arn) {
                    out.push(t.task.clone());
                }
            }
            Ok(out)
        })
        .await
    }

    async fn list_tasks(
        &self,
        _cluster: &str,
        started_by: &str,
        status: DesiredStatus,
    ) -> Result<Vec<String>, AwsError> {
        self.call("ListTasks", |s| {
            Ok(s.tasks
                .values()
                .filter(|t| t.task.started_by.as_deref() == Some(started_by))
                .filter(|t| {
                    (t.task.desired_status == "STOPPED") == (status == DesiredStatus::Stopped)
                })
                .map(|t| t.task.arn.clone())
                .collect())
        })
        .await
    }

    async fn list_service_tasks(
        &self,
        _cluster: &str,
        service: &str,
        status: DesiredStatus,
    ) -> Result<Vec<String>, AwsError> {
        self.call("ListTasks", |s| {
            Ok(s.tasks
                .values()
                .filter(|t| t.service.as_deref() == Some(service))
                .filter(|t| {
                    (t.task.desired_status == "STOPPED") == (status == DesiredStatus::Stopped)
                })
                .map(|t| t.task.arn.clone())
                .collect())
        })
        .await
    }

    async fn list_task_definitions(
        &self,
        family: &str,
        limit: usize,
    ) -> Result<Vec<String>, AwsError> {
        self.call("ListTaskDefinitions", |s| {
            let prefix = format!("{ACCOUNT}:task-definition/{family}:");
            let mut arns: Vec<&String> = s
                .task_definitions
                .keys()
                .filter(|arn| arn.starts_with(&prefix))
                .collect();
            arns.sort_by_key(|arn| {
                std::cmp::Reverse(arn[prefix.len()..].parse::<u64>().unwrap_or(0))
            });
            Ok(arns.into_iter().take(limit).cloned().collect())
        })
        .await
    }

    async fn stop_task(&self, _cluster: &str, task: &str, reason: &str) -> Result<(), AwsError> {
        self.call("StopTask", |s| {
            if let Some(t) = s.tasks.get_mut(task)
                && t.task.last_status != "STOPPED"
            {
                stop(t, Some(143), reason, "UserInitiated");
            }
            Ok(())
        })
        .await
    }

    async fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> Result<(), AwsError> {
        self.call("TagResource", |s| {
            let target = s
                .tags_of(arn)
                .ok_or_else(|| not_found("TagResource", arn))?;
            target.extend(tags.iter().cloned());
            Ok(())
        })
        .await
    }

    async fn scaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ScalingSuspension>, AwsError> {
        self.call("DescribeScalableTargets", |s| {
            Ok(services
                .iter()
                .filter_map(|name| {
                    s.scalable_targets
                        .get(&(cluster.to_owned(), name.clone()))
                        .map(|state| (name.clone(), *state))
                })
                .collect())
        })
        .await
    }

    async fn set_scaling(
        &self,
        cluster: &str,
        service: &str,
        state: ScalingSuspension,
    ) -> Result<(), AwsError> {
        self.call("RegisterScalableTarget", |s| {
            let target = s
                .scalable_targets
                .get_mut(&(cluster.to_owned(), service.to_owned()))
                .ok_or_else(|| not_found("RegisterScalableTarget", service))?;
            *target = state;
            Ok(())
        })
        .await
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.call("UntagResource", |s| {
            let target = s
                .tags_of(arn)
                .ok_or_else(|| not_found("UntagResource", arn))?;
            for key in keys {
                target.remove(key);
            }
            Ok(())
        })
        .await
    }

    async fn autoscaling_of(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, LiveAutoscaling>, AwsError> {
        self.call("DescribeScalableTargets", |s| {
            Ok(services
                .iter()
                .filter_map(|name| {
                    let key = (cluster.to_owned(), name.clone());
                    let live = LiveAutoscaling {
                        target: s.autoscaling.get(&key)?.clone(),
                        suspended: s.scalable_targets.get(&key).copied().unwrap_or_default(),
                    };
                    Some((name.clone(), live))
                })
                .collect())
        })
        .await
    }

    async fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        min_capacity: i32,
        max_capacity: i32,
    ) -> Result<(), AwsError> {
        self.call("RegisterScalableTarget", |s| {
            let key = (cluster.to_owned(), service.to_owned());
            s.scalable_targets.entry(key.clone()).or_default();
            let target = s.autoscaling.entry(key).or_default();
            target.min_capacity = min_capacity;
            target.max_capacity = max_capacity;
            // As Application Auto Scaling does, whatever the suspended state:
            // a count outside the new range is scaled into it.
            if let Ok(service) = s.service_mut(cluster, service) {
                let desired = &mut service.service.desired_count;
                *desired = (*desired).clamp(min_capacity, max_capacity.max(min_capacity));
            }
            Ok(())
        })
        .await
    }

    async fn put_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        policy: &TargetTrackingPolicy,
    ) -> Result<(), AwsError> {
        self.call("PutScalingPolicy", |s| {
            let target = s
                .autoscaling
                .get_mut(&(cluster.to_owned(), service.to_owned()))
                .ok_or_else(|| not_found("PutScalingPolicy", service))?;
            target.policies.retain(|p| p.name != policy.name);
            target.policies.push(policy.clone());
            Ok(())
        })
        .await
    }

    async fn delete_scaling_policy(
        &self,
        cluster: &str,
        service: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        self.call("DeleteScalingPolicy", |s| {
            if let Some(target) = s
                .autoscaling
                .get_mut(&(cluster.to_owned(), service.to_owned()))
            {
                target.policies.retain(|p| p.name != name);
            }
            Ok(())
        })
        .await
    }

    /// The fake's services report no service deployment (rollouts are judged
    /// by their deployments' rollout state), so there is none to describe.
    async fn describe_service_deployments(
        &self,
        _arns: &[String],
    ) -> Result<Vec<ServiceDeployment>, AwsError> {
        self.call("DescribeServiceDeployments", |_| Ok(Vec::new()))
            .await
    }

    async fn stop_service_deployment(&self, arn: &str) -> Result<(), AwsError> {
        self.call("StopServiceDeployment", |_| {
            Err(not_found("StopServiceDeployment", arn))
        })
        .await
    }
}

impl Lookups for FakeEcs {
    async fn describe_images(
        &self,
        _region: &str,
        _account: &str,
        repository: &str,
        references: &[String],
    ) -> Result<BTreeSet<String>, AwsError> {
        self.call("DescribeImages", |s| {
            Ok(references
                .iter()
                .filter(|r| !s.missing.contains(&format!("{repository}:{r}")))
                .cloned()
                .collect())
        })
        .await
    }

    async fn roles_exist(&self, names: &[String]) -> Result<BTreeSet<String>, AwsError> {
        self.call("GetRole", |s| Ok(present(&s.missing, names)))
            .await
    }

    async fn parameters_exist(
        &self,
        _region: &str,
        names: &[String],
    ) -> Result<BTreeSet<String>, AwsError> {
        self.call("GetParameters", |s| Ok(present(&s.missing, names)))
            .await
    }

    async fn secret_exists(&self, _region: &str, id: &str) -> Result<bool, AwsError> {
        self.call("DescribeSecret", |s| Ok(!s.missing.contains(id)))
            .await
    }

    async fn log_group_exists(&self, _region: &str, name: &str) -> Result<bool, AwsError> {
        self.call("DescribeLogGroups", |s| Ok(!s.missing.contains(name)))
            .await
    }

    /// Every target group not in `missing` exists with target type `ip`
    /// behind one load balancer, except that a name starting `instance-`
    /// has type `instance` and one starting `detached-` has no load balancer.
    async fn describe_target_groups(
        &self,
        _region: &str,
        arns: &[String],
    ) -> Result<Vec<super::TargetGroup>, AwsError> {
        self.call("DescribeTargetGroups", |s| {
            Ok(present(&s.missing, arns)
                .into_iter()
                .map(|arn| super::TargetGroup {
                    target_type: Some(
                        if arn.contains("/instance-") {
                            "instance"
                        } else {
                            "ip"
                        }
                        .into(),
                    ),
                    load_balancers: usize::from(!arn.contains("/detached-")),
                    arn,
                })
                .collect())
        })
        .await
    }

    async fn function_exists(&self, _region: &str, function: &str) -> Result<bool, AwsError> {
        self.call("GetFunction", |s| Ok(!s.missing.contains(function)))
            .await
    }

    async fn log_tail(
        &self,
        _region: &str,
        group: &str,
        stream: &str,
        lines: usize,
    ) -> Result<Vec<String>, AwsError> {
        self.call("GetLogEvents", |s| {
            let all = s
                .logs
                .get(&format!("{group}/{stream}"))
                .cloned()
                .unwrap_or_default();
            Ok(all[all.len().saturating_sub(lines)..].to_vec())
        })
        .await
    }
}

fn not_found(operation: &'static str, arn: &str) -> AwsError {
    AwsError::Api {
        operation,
        code: "InvalidParameterException".into(),
        message: format!("the resource {arn} does not exist"),
        status: 400,
    }
}

/// The tasks whose `key` tag is `value`.
pub fn tasks_tagged(state: &State, key: &str, value: &str) -> BTreeSet<String> {
    state
        .tasks
        .values()
        .filter(|t| t.task.tags.get(key).map(String::as_str) == Some(value))
        .map(|t| t.task.arn.clone())
        .collect()
}

/// `base` with the fields `changes` sets replaced (what UpdateService does).
fn merged(base: &ServiceDefinition, changes: &ServiceDefinition) -> ServiceDefinition {
    let mut merged = serde_json::to_value(base).expect("serializes");
    if let (Some(into), serde_json::Value::Object(fields)) = (
        merged.as_object_mut(),
        serde_json::to_value(changes).expect("serializes"),
    ) {
        into.extend(fields);
    }
    serde_json::from_value(merged).expect("a definition's fields")
}
