"""One-off tasks (RunTask): lifecycle, task rules, StopTask, DescribeTasks, ListTasks.

ECS behaviour supplied: a RunTask task is RUNNING for `taskRunSeconds` (or its task
rule's `runSeconds`; -1 = never stops), then STOPPED with stopCode
EssentialContainerExited and an exit code per container (the first matching task rule
chooses it, default 0). StopTask stops at once (exit 143, stopCode UserInitiated).
Every container definition becomes a container.

Why moto needs it: moto 5.2.5 steps a task's state on each DescribeTasks call (no
wall clock, no exit codes), builds only the first container, answers StopTask on an
unknown task with a 500, and ListTasks ignores desiredStatus's RUNNING default and
`family`'s any-revision match.

State is computed from wall-clock timestamps when read: there are no background threads.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass
from typing import Any

from moto.ecs import models as ecs_models
from moto.ecs.exceptions import EcsClientException, InvalidParameterException
from moto.moto_api._internal import mock_random

from .state import STATE
from .util import utc

Backend = ecs_models.EC2ContainerServiceBackend

# Exit code of a container whose task was stopped by StopTask (SIGTERM).
USER_STOP_EXIT_CODE = 143


@dataclass(frozen=True)
class TaskStop:
    """Why and when a task stopped."""

    at: float  # epoch seconds
    stop_code: str  # "EssentialContainerExited" | "UserInitiated"
    reason: str


class DeckhandContainer(ecs_models.Container):
    """One container of a task, for container definition `index` (moto only ever
    builds the first one). lastStatus/exitCode follow the task's lifecycle."""

    def __init__(self, task_def: ecs_models.TaskDefinition, index: int, task: DeckhandTask):
        self._dh_task = task
        super().__init__(task_def)
        # moto sets taskArn to the task definition ARN; ECS uses the task's ARN.
        self.task_arn = task.task_arn
        self.container_arn = (
            f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/"
            f"{task.cluster_name}/{task.id}/{uuid.uuid4()}"
        )
        cdef = task_def.container_definitions[index]
        self.image = cdef.get("image")
        self.cpu = cdef.get("cpu", 0)
        self.memory = cdef.get("memory")
        self.memory_reservation = cdef.get("memoryReservation")
        self.environment = cdef.get("environment")
        self.name = cdef.get("name")
        self.command = cdef.get("command")
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

    @property
    def exitCode(self) -> int | None:  # noqa: N802 (moto's attribute name)
        info = self._dh_task.dh_stop_info()
        if not info:
            return None
        if info.stop_code == "UserInitiated":
            return USER_STOP_EXIT_CODE
        return self.dh_exit_code

    @exitCode.setter
    def exitCode(self, value: Any) -> None:  # noqa: N802
        pass


class DeckhandTask(ecs_models.Task):
    """A RunTask task with a wall-clock lifecycle instead of moto's per-DescribeTasks
    state stepping: RUNNING for runSeconds (default config taskRunSeconds; -1 = never
    stops), then STOPPED with stopCode EssentialContainerExited and the exit code
    chosen by the first matching task rule (default 0)."""

    def __init__(self, cluster: ecs_models.Cluster, task_definition: ecs_models.TaskDefinition,
                 *args: Any, **kwargs: Any):
        # Read by the computed properties below, which moto's __init__ already assigns.
        self._dh_user_stop: TaskStop | None = None
        self._dh_stop_at: float | None = None
        super().__init__(cluster, task_definition, *args, **kwargs)
        now = time.time()
        cfg = STATE.current_config()
        rules = STATE.rules_for(STATE.current_access_key)

        containers = [
            DeckhandContainer(task_definition, i, self)
            for i in range(len(task_definition.container_definitions))
        ]
        self.containers = list(containers)  # moto types it list[Container]
        overrides_by_name = {
            o.get("name"): o for o in (self.overrides or {}).get("containerOverrides", []) or []
        }
        run_seconds = float(cfg.task_run_seconds)
        reason = "Essential container in task exited"
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

    def dh_stop_info(self) -> TaskStop | None:
        """None while the task runs."""
        if self._dh_user_stop is not None:
            return self._dh_user_stop
        if self._dh_stop_at is not None and time.time() >= self._dh_stop_at:
            return TaskStop(at=self._dh_stop_at, stop_code="EssentialContainerExited", reason=self._dh_natural_reason)
        return None

    def dh_stop_by_user(self, reason: str | None) -> None:
        if self.dh_stop_info() is None:
            self._dh_user_stop = TaskStop(at=time.time(), stop_code="UserInitiated",
                                          reason=reason or "Task stopped by user")

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

    @property
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


def find_task(backend: Backend, cluster_name: str, task_str: str) -> ecs_models.Task | None:
    """A task of the cluster by ARN or bare id."""
    task_id = task_str.split("/")[-1]
    for arn, task in backend.tasks.get(cluster_name, {}).items():
        if arn.split("/")[-1] == task_id:
            return task
    return None


def stop_task(self: Backend, cluster_str: str, task_str: str, reason: str | None) -> ecs_models.Task:
    """StopTask: STOPPED at once (stopCode UserInitiated, exit 143); an unknown task is
    a ClientException (moto 5.2.5 raises a bare Exception -> HTTP 500)."""
    cluster = self._get_cluster(cluster_str)
    task = find_task(self, cluster.name, task_str or "")
    if task is None:
        raise EcsClientException("The referenced task was not found.")
    if isinstance(task, DeckhandTask):
        was_running = task.dh_stop_info() is None
        task.dh_stop_by_user(reason)
    else:  # tasks not created through RunTask (e.g. StartTask): moto's fields
        was_running = task.last_status != "STOPPED"
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stopped_reason = reason or "Task stopped by user"
    if was_running and task.container_instance_arn:
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
    matches only tasks of that service (group "service:NAME", none are simulated);
    family matches the task definition family of any revision."""
    cluster = self._get_cluster(cluster_str)
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
