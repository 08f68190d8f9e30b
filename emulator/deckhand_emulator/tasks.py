"""One-off tasks (RunTask): lifecycle, task rules, awslogs output, StopTask,
DescribeTasks, ListTasks.

ECS behaviour supplied: a RunTask task is RUNNING for `taskRunSeconds` (or its task
rule's `runSeconds`; -1 = never stops), then STOPPED with stopCode
EssentialContainerExited and an exit code per container (the first matching task rule
chooses it, default 0). StopTask stops at once (exit 143, stopCode UserInitiated).
Every container definition becomes a container. A container whose logConfiguration
uses the awslogs driver gets its stream `PREFIX/CONTAINER/TASK_ID` in moto's CloudWatch
Logs when the task starts (group created if missing) and, once the task has stopped,
one event per line of its task rule's `logLines` (TaskLogs). ListTasks/DescribeTasks/
StopTask also see the stopped tasks of failed service deployments (service_tasks.py).

Why moto needs it: moto 5.2.5 steps a task's state on each DescribeTasks call (no
wall clock, no exit codes), builds only the first container, answers StopTask on an
unknown task with a 500, ListTasks ignores desiredStatus's RUNNING default,
`family`'s any-revision match and `serviceName`, and no task writes any logs.

State is computed from wall-clock timestamps when read: there are no background threads.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass
from typing import Any

from moto.ecs import models as ecs_models
from moto.ecs.exceptions import EcsClientException, InvalidParameterException, ServiceNotFoundException
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random

from .deployments import DeckhandService
from .state import STATE
from .util import container_defs, utc

Backend = ecs_models.EC2ContainerServiceBackend

# Exit code of a container whose task was stopped by StopTask (SIGTERM).
USER_STOP_EXIT_CODE = 143


@dataclass(frozen=True)
class TaskStop:
    """Why and when a task stopped."""

    at: float  # epoch seconds
    stop_code: str  # "EssentialContainerExited" | "UserInitiated"
    reason: str


@dataclass(frozen=True)
class AwslogsStream:
    """Where the awslogs log driver writes one container's output, and what."""

    region: str
    group: str
    stream: str
    lines: tuple[str, ...]  # one event per line, written when the task stops


def awslogs_stream(
    cdef: dict[str, Any],
    container_name: str | None,
    runtime_id: str,
    task_id: str,
    task_region: str,
    lines: tuple[str, ...],
) -> AwslogsStream | None:
    """The awslogs stream of a container definition, None for other log drivers. As the
    driver names it: `PREFIX/CONTAINER/TASK_ID` with awslogs-stream-prefix, else the
    container's id; the region is awslogs-region, else the task's."""
    conf = cdef.get("logConfiguration") or {}
    options = conf.get("options") or {}
    group = options.get("awslogs-group")
    if conf.get("logDriver") != "awslogs" or not group:
        return None
    prefix = options.get("awslogs-stream-prefix")
    stream = f"{prefix}/{container_name}/{task_id}" if prefix else runtime_id
    return AwslogsStream(region=options.get("awslogs-region") or task_region, group=group, stream=stream, lines=lines)


class TaskLogs:
    """The awslogs output of one RunTask task (state.PendingTaskLogs): the streams are
    created when the task starts, the events written once it has stopped, timestamps
    spread evenly over its run (milliseconds, in line order)."""

    def __init__(self, task: DeckhandTask, account_id: str, streams: list[AwslogsStream]):
        self.task = task
        self.account_id = account_id
        self.streams = streams

    def _ensure_stream(self, target: AwslogsStream) -> Any:
        backend = logs_backends[self.account_id][target.region]
        if target.group not in backend.groups:
            backend.create_log_group(target.group, {})
        backend.ensure_log_stream(target.group, target.stream)
        return backend

    def create_streams(self) -> None:
        for target in self.streams:
            self._ensure_stream(target)

    def flush_if_stopped(self) -> bool:
        info = self.task.dh_stop_info()
        if info is None:
            return False
        start_ms = int(self.task.dh_started_at * 1000)
        stop_ms = max(start_ms, int(info.at * 1000))
        for target in self.streams:
            # The driver sends one event per line and drops empty lines.
            lines = [line for entry in target.lines for line in entry.splitlines() if line]
            backend = self._ensure_stream(target)
            if not lines:
                continue
            n = len(lines)
            events = [
                {"timestamp": start_ms + (stop_ms - start_ms) * (i + 1) // (n + 1), "message": line}
                for i, line in enumerate(lines)
            ]
            backend.put_log_events(target.group, target.stream, events)
        return True


class DeckhandContainer(ecs_models.Container):
    """One container of a task, for container definition `index` (moto only ever
    builds the first one). lastStatus/exitCode follow the task's lifecycle."""

    def __init__(self, task_def: ecs_models.TaskDefinition, index: int, task: DeckhandTask):
        self._dh_task = task
        super().__init__(task_def)
        # moto sets taskArn to the task definition ARN; ECS uses the task's ARN.
        self.task_arn = task.task_arn
        self.container_arn = (
            f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/{task.cluster_name}/{task.id}/{uuid.uuid4()}"
        )
        cdef = container_defs(task_def)[index]
        # moto types these `object` (read from its untyped container definitions).
        self.image: str | None = cdef.get("image")
        self.cpu = cdef.get("cpu", 0)
        self.memory = cdef.get("memory")
        self.memory_reservation = cdef.get("memoryReservation")
        self.environment = cdef.get("environment")
        self.name: str | None = cdef.get("name")
        self.command: list[str] | None = cdef.get("command")
        self.essential = cdef.get("essential", True)
        self.health_status = "UNKNOWN"
        self.runtime_id = uuid.uuid4().hex + "-" + str(mock_random.randint(10**9, 10**10 - 1))
        self.dh_exit_code = 0  # when the task stops by itself

    # moto's Container.__init__ assigns these; our values are computed.
    @property
    def last_status(self) -> str:
        return "STOPPED" if self._dh_task.dh_stop_info() else "RUNNING"

    @last_status.setter
    def last_status(self, value: str) -> None:
        pass

    # moto's attribute name. None while the task runs: ECS then shows no exitCode (moto
    # types it int, always 0).
    @property  # type: ignore[override]
    def exitCode(self) -> int | None:
        info = self._dh_task.dh_stop_info()
        if not info:
            return None
        if info.stop_code == "UserInitiated":
            return USER_STOP_EXIT_CODE
        return self.dh_exit_code

    @exitCode.setter
    def exitCode(self, value: Any) -> None:
        pass


class DeckhandTask(ecs_models.Task):
    """A RunTask task with a wall-clock lifecycle instead of moto's per-DescribeTasks
    state stepping: RUNNING for runSeconds (default config taskRunSeconds; -1 = never
    stops), then STOPPED with stopCode EssentialContainerExited and the exit code
    chosen by the first matching task rule (default 0)."""

    def __init__(
        self, cluster: ecs_models.Cluster, task_definition: ecs_models.TaskDefinition, *args: Any, **kwargs: Any
    ):
        # Read by the computed properties below, which moto's __init__ already assigns.
        self._dh_user_stop: TaskStop | None = None
        self._dh_stop_at: float | None = None
        super().__init__(cluster, task_definition, *args, **kwargs)
        now = time.time()
        self.dh_started_at = now
        cfg = STATE.current_config()
        rules = STATE.rules_for(STATE.current_access_key)

        containers = [
            # moto's Container leaves CloudFormationModel's abstract methods unimplemented
            # (moto instantiates it all the same); so does this subclass.
            DeckhandContainer(task_definition, i, self)  # type: ignore[abstract]
            for i in range(len(container_defs(task_definition)))
        ]
        self.containers = list(containers)  # moto types it list[Container]
        overrides_by_name = {o.get("name"): o for o in (self.overrides or {}).get("containerOverrides", []) or []}
        run_seconds = float(cfg.task_run_seconds)
        reason = "Essential container in task exited"
        log_lines: dict[int, tuple[str, ...]] = {}  # id(container) -> its rule's logLines
        for rule in rules:
            hits = []
            for c in containers:
                override = overrides_by_name.get(c.name, {})
                command = override.get("command") or c.command or []
                if rule.matches(c.image, command):
                    hits.append(c)
            if hits:
                for c in hits:
                    c.dh_exit_code = rule.exit_code
                    log_lines[id(c)] = rule.log_lines
                if rule.run_seconds is not None:
                    run_seconds = rule.run_seconds
                if rule.stopped_reason:
                    reason = rule.stopped_reason
                break
        self._dh_natural_reason = reason
        self._dh_stop_at = None if run_seconds < 0 else now + run_seconds

        self.created_at = utc(now)
        self.pull_started_at = utc(now)
        self.pull_stopped_at = utc(now)
        self.started_at = utc(now)
        self.connectivity = "CONNECTED"
        self.connectivity_at = utc(now)
        self.availability_zone = f"{self.region_name}a"
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.version = 2
        if self.launch_type == "FARGATE":
            self.platform_version = self.platform_version or "1.4.0"
            self.platform_family = "Linux"

        task_id = self.task_arn.split("/")[-1]
        streams = [
            target
            for c, cdef in zip(containers, container_defs(task_definition), strict=True)
            if (
                target := awslogs_stream(
                    cdef, c.name, c.runtime_id, task_id, self.region_name, log_lines.get(id(c), ())
                )
            )
            is not None
        ]
        if streams:
            logs = TaskLogs(self, self._account_id, streams)
            logs.create_streams()
            STATE.add_pending_task_logs(logs)

    def dh_stop_info(self) -> TaskStop | None:
        """None while the task runs."""
        if self._dh_user_stop is not None:
            return self._dh_user_stop
        if self._dh_stop_at is not None and STATE.now() >= self._dh_stop_at:
            return TaskStop(at=self._dh_stop_at, stop_code="EssentialContainerExited", reason=self._dh_natural_reason)
        return None

    def dh_stop_by_user(self, reason: str | None) -> None:
        if self.dh_stop_info() is None:
            self._dh_user_stop = TaskStop(
                at=STATE.now(), stop_code="UserInitiated", reason=reason or "Task stopped by user"
            )

    # moto's ManagedState `status` (lastStatus) - computed, setter ignored.
    @property
    def status(self) -> str:
        return "STOPPED" if self.dh_stop_info() else "RUNNING"

    @status.setter
    def status(self, value: str) -> None:
        pass

    @property
    def desired_status(self) -> str:
        return "STOPPED" if self.dh_stop_info() else "RUNNING"

    @desired_status.setter
    def desired_status(self, value: str) -> None:
        pass

    @property
    def stop_code(self) -> str | None:
        info = self.dh_stop_info()
        return info.stop_code if info else None

    # None while the task runs: ECS then shows no stoppedReason (moto types it str, "").
    @property  # type: ignore[override]
    def stopped_reason(self) -> str | None:
        info = self.dh_stop_info()
        return info.reason if info else None

    @stopped_reason.setter
    def stopped_reason(self, value: str) -> None:
        pass

    @property
    def stopping_at(self) -> datetime.datetime | None:
        info = self.dh_stop_info()
        return utc(info.at) if info else None

    @property
    def execution_stopped_at(self) -> datetime.datetime | None:
        info = self.dh_stop_info()
        return utc(info.at) if info else None

    @property
    def stopped_at(self) -> datetime.datetime | None:
        info = self.dh_stop_info()
        return utc(info.at) if info else None


# ---- backend method overrides -------------------------------------------------


def refresh_services(backend: Backend, cluster_name: str) -> None:
    """Apply the due state changes of the cluster's services, so that the stopped tasks
    of deployments that have failed by now exist before tasks are looked up."""
    for service in list(backend.services.values()):
        if service.cluster_name == cluster_name and isinstance(service, DeckhandService):
            service.dh_refresh()


def find_task(backend: Backend, cluster_name: str, task_str: str) -> ecs_models.Task | None:
    """A task of the cluster by ARN or bare id."""
    task_id = task_str.split("/")[-1]
    for arn, task in backend.tasks.get(cluster_name, {}).items():
        if arn.split("/")[-1] == task_id:
            return task
    return None


def stop_task(self: Backend, cluster_str: str, task_str: str, reason: str | None) -> ecs_models.Task:
    """StopTask: STOPPED at once (stopCode UserInitiated, exit 143); a stopped task is
    returned unchanged; an unknown task is a ClientException (moto 5.2.5 raises a bare
    Exception -> HTTP 500)."""
    cluster = self._get_cluster(cluster_str)
    refresh_services(self, cluster.name)
    task = find_task(self, cluster.name, task_str or "")
    if task is None:
        raise EcsClientException("The referenced task was not found.")
    if task.last_status == "STOPPED":  # e.g. a failed service deployment's task: unchanged
        return task
    if isinstance(task, DeckhandTask):
        was_running = task.dh_stop_info() is None
        task.dh_stop_by_user(reason)
    else:  # tasks not created through RunTask (e.g. StartTask): moto's fields
        was_running = task.last_status != "STOPPED"
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stopped_reason = reason or "Task stopped by user"
    if was_running and task.container_instance_arn and task.resource_requirements is not None:
        instances = self.container_instances.get(cluster.name, {})
        instance = instances.get(task.container_instance_arn.split("/")[-1])
        if instance is not None:
            self.update_container_instance_resources(instance, task.resource_requirements, removing=True)
            self.update_cluster_resources(cluster, -1, task_state="RUNNING")
    return task


def describe_tasks(self: Backend, cluster_str: str, tasks: list[str]) -> list[ecs_models.Task]:
    """DescribeTasks without moto's state stepping (task.advance()); looks only in the
    given cluster; results in request order. Missing ones: see responses.describe_tasks."""
    cluster = self._get_cluster(cluster_str)
    refresh_services(self, cluster.name)
    if not tasks:
        raise InvalidParameterException("Tasks cannot be empty.")
    if len(tasks) > 100:
        raise InvalidParameterException("Tasks cannot have more than 100 elements.")
    found: list[ecs_models.Task] = []
    for task_str in tasks:
        task = find_task(self, cluster.name, task_str)
        if task is not None and task not in found:
            found.append(task)
    return found


def list_tasks_filtered(
    self: Backend,
    cluster_str: str,
    container_instance: str | None,
    family: str | None,
    started_by: str | None,
    service_name: str | None,
    desired_status: str | None,
    launch_type: str | None,
) -> list[ecs_models.Task]:
    """ListTasks as ECS filters it: desiredStatus defaults to RUNNING; serviceName
    matches only tasks of that service (group "service:NAME": the stopped tasks of its
    failed deployments, or RunTask tasks started with that group) and must name a
    service of the cluster (ServiceNotFoundException); family matches the task
    definition family of any revision."""
    cluster = self._get_cluster(cluster_str)
    refresh_services(self, cluster.name)
    if service_name and f"{cluster.name}:{service_name.split('/')[-1]}" not in self.services:
        raise ServiceNotFoundException()
    status = desired_status or "RUNNING"
    out: list[ecs_models.Task] = []
    for task in self.tasks.get(cluster.name, {}).values():
        if task.desired_status != status:
            continue
        if family and task.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] != family:
            continue
        if started_by and task.started_by != started_by:
            continue
        if service_name and task.group != f"service:{service_name.split('/')[-1]}":
            continue
        if container_instance and container_instance.split("/")[-1] not in (task.container_instance_arn or ""):
            continue
        if launch_type and task.launch_type != launch_type:
            continue
        out.append(task)
    return out
