"""Patches to moto's ECS models and responses. Target: moto 5.2.5 exactly.

Each patch says which ECS behaviour it supplies. All lifecycle state is computed
lazily from wall-clock timestamps when it is read: there are no background threads.

- DeckhandTask / DeckhandContainer (replace moto.ecs.models.Task / Container use in
  RunTask): RunTask tasks are RUNNING for `taskRunSeconds`, then STOPPED with an exit
  code (task rules may choose exit code, run time and reason); StopTask stops at once
  (exit 143, stopCode UserInitiated). Every container definition becomes a container.
- DeckhandService (replaces moto.ecs.models.Service): rolling deployments that complete,
  fail (circuit breaker) and roll back over time; scaling that takes time; stores the
  CreateService fields moto drops (deploymentConfiguration, ...).
- Backend methods: stop_task, describe_tasks, describe_services (10-service limit),
  create_service, update_service,
  _calculate_task_resource_requirements (containers without memory).
- Response methods: CreateService (keeps dropped fields), ListTasks (ECS filters and
  default desiredStatus RUNNING), DescribeTasks (failures for missing tasks).
"""

from __future__ import annotations

import copy
import datetime as _dt
import heapq
import itertools
import time
import uuid
from typing import Any

from botocore import xform_name
from moto.core.responses import ActionResult
from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import (
    EcsClientException,
    ECSException,
    InvalidParameterException,
)
from moto.moto_api._internal import mock_random

from .state import STATE

_Task = ecs_models.Task
_Container = ecs_models.Container
_Service = ecs_models.Service
_Backend = ecs_models.EC2ContainerServiceBackend
_Response = ecs_responses.EC2ContainerServiceResponse

DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

# CreateService fields that moto 5.2.5 accepts but does not store; we keep them on
# the service (snake_case attribute = what moto's serializer looks up).
CREATE_SERVICE_DROPPED_FIELDS = (
    "capacityProviderStrategy",
    "placementConstraints",
    "placementStrategy",
    "healthCheckGracePeriodSeconds",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "serviceConnectConfiguration",
    "volumeConfigurations",
)


def _utc(ts: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc)


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in (update or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


def _fake_task_id() -> str:
    return uuid.uuid4().hex


# ===========================================================================
# Tasks (RunTask one-off tasks)
# ===========================================================================


class DeckhandContainer(_Container):
    """One container of a task, for container definition `index` (moto only ever
    builds the first one). lastStatus/exitCode follow the task's lifecycle."""

    def __init__(self, task_def: Any, index: int, task: DeckhandTask):
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
        self._dh_exit_code = 0

    # moto's Container.__init__ assigns these; our values are computed.
    @property
    def last_status(self) -> str:
        return "STOPPED" if self._dh_task._dh_stop_info() else "RUNNING"

    @last_status.setter
    def last_status(self, value: str) -> None:
        pass

    @property
    def exitCode(self) -> int | None:  # noqa: N802 (moto's attribute name)
        info = self._dh_task._dh_stop_info()
        if not info:
            return None
        if info["stopCode"] == "UserInitiated":
            return 143
        return self._dh_exit_code

    @exitCode.setter
    def exitCode(self, value: Any) -> None:  # noqa: N802
        pass


def _rule_matches(rule: dict[str, Any], image: str, command: list[str]) -> bool:
    if rule["imageContains"] is not None and rule["imageContains"] not in (image or ""):
        return False
    if rule["commandContains"] is not None and not any(
        rule["commandContains"] in str(part) for part in command
    ):
        return False
    return True


class DeckhandTask(_Task):
    """A RunTask task with a wall-clock lifecycle instead of moto's per-DescribeTasks
    state stepping: RUNNING for runSeconds (default config taskRunSeconds; -1 = never
    stops), then STOPPED with stopCode EssentialContainerExited and the exit code
    chosen by the first matching task rule (default 0)."""

    def __init__(self, cluster: Any, task_definition: Any, *args: Any, **kwargs: Any):
        self._dh_user_stop: dict[str, Any] | None = None
        self._dh_stop_at: float | None = None
        super().__init__(cluster, task_definition, *args, **kwargs)
        now = time.time()
        cfg = STATE.current_config()
        rules = STATE.rules_for(STATE.current_access_key)

        self.containers = [
            DeckhandContainer(task_definition, i, self)
            for i in range(len(task_definition.container_definitions))
        ]
        overrides_by_name = {
            o.get("name"): o for o in (self.overrides or {}).get("containerOverrides", []) or []
        }
        run_seconds = float(cfg["taskRunSeconds"])
        reason = "Essential container in task exited"
        chosen = None
        for rule in rules:
            hits = []
            for c in self.containers:
                override = overrides_by_name.get(c.name, {})
                command = override.get("command") or c.command or []
                if _rule_matches(rule, c.image, command):
                    hits.append(c)
            if hits:
                chosen = rule
                for c in hits:
                    c._dh_exit_code = rule["exitCode"]
                break
        if chosen is not None:
            if chosen["runSeconds"] is not None:
                run_seconds = chosen["runSeconds"]
            if chosen["stoppedReason"]:
                reason = chosen["stoppedReason"]
        self._dh_natural_reason = reason
        self._dh_stop_at = None if run_seconds < 0 else now + run_seconds

        self.created_at = _utc(now)
        self.pull_started_at = _utc(now)
        self.pull_stopped_at = _utc(now)
        self.started_at = _utc(now)
        self.connectivity = "CONNECTED"
        self.connectivity_at = _utc(now)
        self.availability_zone = f"{self.region_name}a"
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.version = 2
        if self.launch_type == "FARGATE":
            self.platform_version = self.platform_version or "1.4.0"
            self.platform_family = "Linux"

    def _dh_stop_info(self) -> dict[str, Any] | None:
        if self._dh_user_stop is not None:
            return self._dh_user_stop
        if self._dh_stop_at is not None and time.time() >= self._dh_stop_at:
            return {
                "at": self._dh_stop_at,
                "stopCode": "EssentialContainerExited",
                "reason": self._dh_natural_reason,
            }
        return None

    def dh_stop_by_user(self, reason: str | None) -> None:
        if self._dh_stop_info() is None:
            self._dh_user_stop = {
                "at": time.time(),
                "stopCode": "UserInitiated",
                "reason": reason or "Task stopped by user",
            }

    # moto's ManagedState `status` (lastStatus) - computed, setter ignored.
    @property
    def status(self) -> str:
        return "STOPPED" if self._dh_stop_info() else "RUNNING"

    @status.setter
    def status(self, value: str) -> None:
        pass

    @property
    def desired_status(self) -> str:
        return "STOPPED" if self._dh_stop_info() else "RUNNING"

    @desired_status.setter
    def desired_status(self, value: str) -> None:
        pass

    @property
    def stop_code(self) -> str | None:
        info = self._dh_stop_info()
        return info["stopCode"] if info else None

    @property
    def stopped_reason(self) -> str | None:
        info = self._dh_stop_info()
        return info["reason"] if info else None

    @stopped_reason.setter
    def stopped_reason(self, value: str) -> None:
        pass

    @property
    def stopping_at(self) -> _dt.datetime | None:
        info = self._dh_stop_info()
        return _utc(info["at"]) if info else None

    @property
    def execution_stopped_at(self) -> _dt.datetime | None:
        info = self._dh_stop_info()
        return _utc(info["at"]) if info else None

    @property
    def stopped_at(self) -> _dt.datetime | None:
        info = self._dh_stop_info()
        return _utc(info["at"]) if info else None


# ===========================================================================
# Services (rolling deployments)
# ===========================================================================


class DeckhandService(_Service):
    """A service whose deployments progress over time (see module docstring and
    README). State advances lazily: every read of deployments/events/counts/
    taskDefinition first applies the timers that are due."""

    def __init__(self, *args: Any, **kwargs: Any):
        self._dh_ready = False
        self._dh_deployments: list[dict[str, Any]] = []
        self._dh_events: list[dict[str, Any]] = []
        self._dh_timers: list[tuple[float, int, str, str]] = []
        self._dh_timer_seq = itertools.count()
        self._dh_td: str | None = None
        super().__init__(*args, **kwargs)
        now = time.time()
        self.created_at = _utc(now)
        self.created_by = f"arn:aws:iam::{self._account_id}:role/deckhand-emulator"
        self.deployment_configuration = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
        self.platform_family = "Linux" if self.launch_type == "FARGATE" else None
        if self.launch_type == "FARGATE" and not self.platform_version:
            self.platform_version = "LATEST"
        self._dh_last_good_td = self._dh_td
        if self.deployment_controller.get("type", "ECS") == "ECS":
            dep = self._dh_new_deployment(self._dh_td, now)
            dep.update(
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {dep['id']} completed.",
                runningCount=self.desired_count,
                pendingCount=0,
            )
            self._dh_deployments = [dep]
            if self.desired_count > 0:
                self._dh_event(now, self._dh_started_message(self.desired_count))
            self._dh_event(now, f"(service {self.name}) has reached a steady state.")
        self._dh_ready = True

    # ---- lazily refreshed attributes (moto assigns them in __init__) ---------
    @property
    def deployments(self) -> list[dict[str, Any]]:
        self._dh_refresh()
        return self._dh_deployments

    @deployments.setter
    def deployments(self, value: list[dict[str, Any]]) -> None:
        if self._dh_ready:
            self._dh_deployments = value

    @property
    def events(self) -> list[dict[str, Any]]:
        self._dh_refresh()
        return self._dh_events

    @events.setter
    def events(self, value: list[dict[str, Any]]) -> None:
        if self._dh_ready:
            self._dh_events = value

    @property
    def task_definition(self) -> str | None:
        self._dh_refresh()
        return self._dh_td

    @task_definition.setter
    def task_definition(self, value: str | None) -> None:
        self._dh_td = value

    @property
    def running_count(self) -> int:
        self._dh_refresh()
        if self.status != "ACTIVE":
            return 0
        return sum(d["runningCount"] for d in self._dh_deployments)

    @running_count.setter
    def running_count(self, value: int) -> None:
        pass

    @property
    def pending_count(self) -> int:
        self._dh_refresh()
        if self.status != "ACTIVE":
            return 0
        return sum(d["pendingCount"] for d in self._dh_deployments)

    @pending_count.setter
    def pending_count(self, value: int) -> None:
        pass

    # ---- helpers ----------------------------------------------------------
    @staticmethod
    def _dh_rollout_seconds() -> float:
        # Read when a deployment/scale starts (config of the caller's access key) and
        # kept on the deployment as "_rollout", so later reads by other keys agree.
        return float(STATE.current_config()["rolloutSeconds"])

    def _dh_new_deployment(self, td_arn: str | None, now: float) -> dict[str, Any]:
        dep_id = _deployment_id()
        dep = {
            "id": dep_id,
            "status": "PRIMARY",
            "taskDefinition": td_arn,
            "desiredCount": self.desired_count,
            "pendingCount": self.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": _utc(now),
            "updatedAt": _utc(now),
            "launchType": self.launch_type,
            # Fargate deployments show the resolved platform version, the service "LATEST".
            "platformVersion": "1.4.0" if self.platform_version == "LATEST" else self.platform_version,
            "platformFamily": getattr(self, "platform_family", None),
            "networkConfiguration": self.network_configuration or None,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
            "_rollout": self._dh_rollout_seconds(),
        }
        cps = getattr(self, "capacity_provider_strategy", None)
        if cps:
            dep["capacityProviderStrategy"] = cps
            dep.pop("launchType")
        return dep

    def _dh_event(self, at: float, message: str) -> None:
        self._dh_events.insert(0, {"id": str(uuid.uuid4()), "createdAt": _utc(at), "message": message})
        del self._dh_events[100:]

    def _dh_started_message(self, n: int) -> str:
        tasks = " ".join(f"(task {_fake_task_id()})" for _ in range(min(n, 10)))
        return f"(service {self.name}) has started {n} tasks: {tasks}."

    def _dh_stopped_message(self, n: int) -> str:
        tasks = " ".join(f"(task {_fake_task_id()})" for _ in range(min(n, 10)))
        return f"(service {self.name}) has stopped {n} running tasks: {tasks}."

    def _dh_schedule(self, due: float, kind: str, dep_id: str) -> None:
        heapq.heappush(self._dh_timers, (due, next(self._dh_timer_seq), kind, dep_id))

    def _dh_cancel(self, dep_id: str, kinds: tuple[str, ...] = ("complete", "fail", "scale")) -> None:
        self._dh_timers = [t for t in self._dh_timers if not (t[3] == dep_id and t[2] in kinds)]
        heapq.heapify(self._dh_timers)

    def _dh_find(self, dep_id: str) -> dict[str, Any] | None:
        return next((d for d in self._dh_deployments if d["id"] == dep_id), None)

    def _dh_primary(self) -> dict[str, Any] | None:
        return next((d for d in self._dh_deployments if d["status"] == "PRIMARY"), None)

    def _dh_td_is_crashing(self, td_arn: str | None) -> bool:
        if not td_arn:
            return False
        markers = STATE.current_config()["crashingImageMarkers"]
        try:
            td = self._backend.describe_task_definition(td_arn)
        except ECSException:
            return False
        images = [c.get("image") or "" for c in td.container_definitions]
        return any(m and m in image for m in markers for image in images)

    @staticmethod
    def _dh_failure_threshold(desired: int) -> int:
        # ECS circuit breaker: failed-task threshold = clamp(0.5 * desired, 3, 200)
        return max(3, min(200, (desired + 1) // 2))

    # ---- state machine ------------------------------------------------------
    def _dh_refresh(self) -> None:
        if not self._dh_ready:
            return
        now = time.time()
        while self._dh_timers and self._dh_timers[0][0] <= now:
            due, _, kind, dep_id = heapq.heappop(self._dh_timers)
            dep = self._dh_find(dep_id)
            if dep is None:
                continue
            if kind == "complete":
                self._dh_complete(dep, due)
            elif kind == "fail":
                self._dh_fail(dep, due)
            elif kind == "scale":
                self._dh_scaled(dep, due)
        # Deployments whose tasks keep crashing without a circuit breaker never end;
        # ECS keeps counting failed tasks.
        for dep in self._dh_deployments:
            if dep.get("_stuckSince") is not None and dep["rolloutState"] == "IN_PROGRESS":
                interval = max(dep["_rollout"], 0.001)
                dep["failedTasks"] = int((now - dep["_stuckSince"]) / interval) * max(1, dep["desiredCount"])

    def _dh_complete(self, dep: dict[str, Any], at: float) -> None:
        dep.update(
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {dep['id']} completed.",
            runningCount=dep["desiredCount"],
            pendingCount=0,
            updatedAt=_utc(at),
        )
        if dep["status"] == "PRIMARY":
            self._dh_deployments = [dep]
            self._dh_last_good_td = dep["taskDefinition"]
        self._dh_event(at, f"(service {self.name}) has reached a steady state.")

    def _dh_fail(self, dep: dict[str, Any], at: float) -> None:
        dep.update(
            rolloutState="FAILED",
            rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
            failedTasks=self._dh_failure_threshold(dep["desiredCount"]),
            runningCount=0,
            pendingCount=0,
            updatedAt=_utc(at),
        )
        breaker = (self.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
        if dep["status"] == "PRIMARY" and breaker.get("rollback"):
            dep["status"] = "ACTIVE"
            rollback = self._dh_new_deployment(self._dh_last_good_td, at)
            rollback["_rollout"] = dep["_rollout"]
            self._dh_deployments.insert(0, rollback)
            self._dh_td = self._dh_last_good_td
            self._dh_event(
                at,
                f"(service {self.name}) (deployment {dep['id']}) deployment failed: tasks failed to start. "
                f"(service {self.name}) rolling back to deployment {rollback['id']}.",
            )
            self._dh_schedule(at + rollback["_rollout"], "complete", rollback["id"])
        else:
            self._dh_event(
                at,
                f"(service {self.name}) (deployment {dep['id']}) deployment failed: tasks failed to start.",
            )

    def _dh_scaled(self, dep: dict[str, Any], at: float) -> None:
        dep.update(runningCount=dep["desiredCount"], pendingCount=0, updatedAt=_utc(at))
        self._dh_event(at, f"(service {self.name}) has reached a steady state.")

    def dh_start_deployment(self, td_arn: str | None) -> dict[str, Any]:
        """UpdateService with a new task definition (or forceNewDeployment)."""
        self._dh_refresh()
        now = time.time()
        for d in self._dh_deployments:
            if d["status"] == "PRIMARY":
                d["status"] = "ACTIVE"
                d["updatedAt"] = _utc(now)
            self._dh_cancel(d["id"])
        dep = self._dh_new_deployment(td_arn, now)
        self._dh_deployments.insert(0, dep)
        self._dh_td = td_arn
        due = now + dep["_rollout"]
        if self._dh_td_is_crashing(td_arn):
            breaker = (self.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
            if breaker.get("enable"):
                self._dh_schedule(due, "fail", dep["id"])
            else:
                dep["_stuckSince"] = now
        else:
            self._dh_schedule(due, "complete", dep["id"])
        if self.desired_count > 0:
            self._dh_event(now, self._dh_started_message(self.desired_count))
        return dep

    def dh_scale(self, desired: int) -> None:
        """UpdateService that changes only desiredCount."""
        self._dh_refresh()
        now = time.time()
        primary = self._dh_primary()
        if primary is None:
            return
        old_desired = primary["desiredCount"]
        primary["desiredCount"] = desired
        primary["updatedAt"] = _utc(now)
        if primary["rolloutState"] != "COMPLETED":
            primary["pendingCount"] = desired if primary["rolloutState"] == "IN_PROGRESS" else 0
            return  # an unfinished deployment ends at the new desired count
        self._dh_cancel(primary["id"], ("scale",))
        running = primary["runningCount"]
        primary["pendingCount"] = max(0, desired - running)
        if desired == running and desired == old_desired:
            return
        if desired > running:
            self._dh_event(now, self._dh_started_message(desired - running))
        elif desired < running:
            self._dh_event(now, self._dh_stopped_message(running - desired))
        primary["_rollout"] = self._dh_rollout_seconds()
        self._dh_schedule(now + primary["_rollout"], "scale", primary["id"])


# ===========================================================================
# Backend method patches
# ===========================================================================


def _find_task(backend: Any, cluster_name: str, task_str: str) -> Any:
    task_id = task_str.split("/")[-1]
    for arn, task in backend.tasks.get(cluster_name, {}).items():
        if arn.split("/")[-1] == task_id:
            return task
    return None


def stop_task(self: Any, cluster_str: str, task_str: str, reason: str | None) -> Any:
    """StopTask: STOPPED at once (stopCode UserInitiated, exit 143); an unknown task is
    a ClientException (moto 5.2.5 raises a bare Exception -> HTTP 500)."""
    cluster = self._get_cluster(cluster_str)
    task = _find_task(self, cluster.name, task_str or "")
    if task is None:
        raise EcsClientException("The referenced task was not found.")
    if isinstance(task, DeckhandTask):
        was_running = task._dh_stop_info() is None
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


def describe_tasks(self: Any, cluster_str: str, tasks: list[str]) -> list[Any]:
    """DescribeTasks without moto's state stepping (task.advance()); looks only in the
    given cluster; results in request order. Missing ones: see _describe_tasks_response."""
    cluster = self._get_cluster(cluster_str)
    if not tasks:
        raise InvalidParameterException("Tasks cannot be empty.")
    if len(tasks) > 100:
        raise InvalidParameterException("Tasks cannot have more than 100 elements.")
    found = []
    for task_str in tasks:
        task = _find_task(self, cluster.name, task_str)
        if task is not None and task not in found:
            found.append(task)
    return found


def list_tasks_filtered(
    self: Any,
    cluster_str: str,
    container_instance: str | None,
    family: str | None,
    started_by: str | None,
    service_name: str | None,
    desired_status: str | None,
    launch_type: str | None,
) -> list[Any]:
    """ListTasks as ECS filters it: desiredStatus defaults to RUNNING; serviceName
    matches only tasks of that service (group "service:NAME", none are simulated);
    family matches the task definition family of any revision."""
    cluster = self._get_cluster(cluster_str)
    status = desired_status or "RUNNING"
    out = []
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


def _task_resource_requirements(task_definition: Any) -> dict[str, Any]:
    """RunTask resource sums that tolerate containers without memory/cpu (common for
    Fargate, where only the task-level cpu/memory are set). moto 5.2.5 adds None -> 500."""
    cpu = memory = 0
    ports: list[Any] = []
    for cd in task_definition.container_definitions:
        cpu += int(cd.get("cpu", cd.get("Cpu", 0)) or 0)
        memory += int(
            cd.get("memory") or cd.get("Memory") or cd.get("memoryReservation") or cd.get("MemoryReservation") or 0
        )
        for mapping in cd.get("portMappings", cd.get("PortMappings", [])) or []:
            port = mapping.get("hostPort", mapping.get("HostPort"))
            if port is not None:
                ports.append(port)
    if memory == 0 and task_definition.memory:
        memory = int(task_definition.memory)
    if cpu == 0 and task_definition.cpu:
        cpu = int(task_definition.cpu)
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": []}


_orig_register_task_definition = _Backend.register_task_definition


def _task_size(value: Any, per_unit: int, units: tuple[str, ...]) -> Any:
    """'1 vCPU' -> '1024', '0.5 GB' -> '512', '512' -> '512' (as ECS stores them)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    for unit in units:
        if text.endswith(unit):
            number = float(text[: -len(unit)].strip())
            return str(int(number * per_unit))
    return str(value)


def register_task_definition(self: Any, *args: Any, **kwargs: Any) -> Any:
    """Task-level cpu/memory may be registered with units; ECS stores CPU units and
    MiB (moto 5.2.5 keeps the text and then fails RunTask on it)."""
    if "cpu" in kwargs:
        kwargs["cpu"] = _task_size(kwargs["cpu"], 1024, ("vcpu",))
    if "memory" in kwargs:
        kwargs["memory"] = _task_size(kwargs["memory"], 1024, ("gib", "gb")) if any(
            str(kwargs["memory"]).strip().lower().endswith(u) for u in ("gib", "gb")
        ) else _task_size(kwargs["memory"], 1, ("mib", "mb"))
    return _orig_register_task_definition(self, *args, **kwargs)


_orig_describe_services = _Backend.describe_services


def describe_services(self: Any, cluster_str: str, service_names_or_arns: list[str]) -> Any:
    """DescribeServices takes at most 10 services, as in ECS (moto has no limit)."""
    if len(service_names_or_arns or []) > 10:
        raise InvalidParameterException("Services cannot have more than 10 elements.")
    return _orig_describe_services(self, cluster_str, service_names_or_arns)


_orig_create_service = _Backend.create_service


def create_service(self: Any, cluster_str: str, service_name: str, *args: Any, **kwargs: Any) -> Any:
    """CreateService on a name whose service is still ACTIVE fails as in ECS (moto
    silently replaces it)."""
    cluster = self._get_cluster(cluster_str)
    existing = self.services.get(f"{cluster.name}:{service_name}")
    if existing is not None and existing.status == "ACTIVE":
        raise InvalidParameterException("Creation of service was not idempotent.")
    return _orig_create_service(self, cluster_str, service_name, *args, **kwargs)


def update_service(self: Any, props: dict[str, Any]) -> Any:
    """UpdateService with deployments: a different task definition (resolved to its
    ARN), forceNewDeployment or a new networkConfiguration starts a deployment;
    desiredCount alone scales over time. Other fields are stored as given."""
    props = dict(props)
    cluster_str = props.pop("cluster", None) or "default"
    service_str = props.pop("service")
    td_str = props.pop("task_definition", None)
    force = bool(props.pop("force_new_deployment", False))
    desired = props.pop("desired_count", None)
    dep_conf = props.pop("deployment_configuration", None)
    net_conf = props.pop("network_configuration", None)

    cluster = self._get_cluster(cluster_str)
    service = self._get_service(cluster_str, service_str.split("/")[-1])
    if service.status != "ACTIVE":
        raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")

    new_td_arn = None
    if td_str:
        td = self.describe_task_definition(td_str)
        if td.status != "ACTIVE":
            raise EcsClientException(f"TaskDefinition is inactive ({td.arn}).")
        new_td_arn = td.arn
    if dep_conf is not None:
        service.deployment_configuration = _deep_merge(service.deployment_configuration, dep_conf)
    network_changed = False
    if net_conf is not None:
        net_conf = service._validate_network(net_conf)
        network_changed = net_conf != service.network_configuration
        service.network_configuration = net_conf
    for key, value in props.items():
        if value is not None:
            setattr(service, key, value)

    if desired is not None:
        service.desired_count = int(desired)
    if (new_td_arn and new_td_arn != service.task_definition) or force or network_changed:
        service.dh_start_deployment(new_td_arn or service.task_definition)
    elif desired is not None:
        service.dh_scale(int(desired))
    self.update_cluster_resources(cluster, 0)
    return service


# ===========================================================================
# Response method patches
# ===========================================================================

_orig_create_service_response = _Response.create_service


def _create_service_response(self: Any) -> ActionResult:
    """CreateService: keep deploymentConfiguration (with ECS's defaults filled in) and
    the other fields moto 5.2.5 drops."""
    result = _orig_create_service_response(self)
    service = self.ecs_backend._get_service(
        self._get_param("cluster", "default"), self._get_param("serviceName")
    )
    given = self._get_param("deploymentConfiguration")
    service.deployment_configuration = _deep_merge(DEFAULT_DEPLOYMENT_CONFIGURATION, given or {})
    for field in CREATE_SERVICE_DROPPED_FIELDS:
        value = self._get_param(field)
        if value is not None:
            setattr(service, xform_name(field), value)
    if self._get_param("capacityProviderStrategy"):
        for dep in service._dh_deployments:
            dep["capacityProviderStrategy"] = self._get_param("capacityProviderStrategy")
            dep.pop("launchType", None)
    return result


def _update_service_response(self: Any) -> ActionResult:
    """UpdateService: parameter names converted with botocore's xform_name."""
    props = {xform_name(k): v for k, v in self._get_params().items()}
    return ActionResult({"service": self.ecs_backend.update_service(props)})


def _list_tasks_response(self: Any) -> ActionResult:
    tasks = list_tasks_filtered(
        self.ecs_backend,
        self._get_param("cluster", "default"),
        self._get_param("containerInstance"),
        self._get_param("family"),
        self._get_param("startedBy"),
        self._get_param("serviceName"),
        self._get_param("desiredStatus"),
        self._get_param("launchType"),
    )
    return ActionResult({"taskArns": [t.task_arn for t in tasks]})


def _describe_tasks_response(self: Any) -> ActionResult:
    """DescribeTasks: failures[] with reason MISSING for unknown tasks (moto returns none)."""
    cluster = self._get_param("cluster", "default")
    wanted = self._get_param("tasks", [])
    tasks = self.ecs_backend.describe_tasks(cluster, wanted)
    found_ids = {t.task_arn.split("/")[-1] for t in tasks}
    failures = []
    for task_str in wanted:
        if task_str.split("/")[-1] not in found_ids:
            if task_str.startswith("arn:"):
                arn = task_str
            else:
                backend = self.ecs_backend
                cname = cluster.split("/")[-1]
                arn = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:task/{cname}/{task_str}"
            failures.append({"arn": arn, "reason": "MISSING"})
    if "TAGS" in self._get_param("include", []):
        self._include_in_response(ecs_responses.DESCRIBE_TASKS_TAGS)
    else:
        self._exclude_from_response(ecs_responses.DESCRIBE_TASKS_TAGS)
    return ActionResult({"tasks": tasks, "failures": failures})


_applied = False


def apply() -> None:
    """Install the patches (idempotent). Call before the first request."""
    global _applied
    if _applied:
        return
    # Model classes are looked up by name inside moto's backend methods.
    ecs_models.Task = DeckhandTask
    ecs_models.Service = DeckhandService
    _Backend._calculate_task_resource_requirements = staticmethod(_task_resource_requirements)
    _Backend.stop_task = stop_task
    _Backend.register_task_definition = register_task_definition
    _Backend.describe_tasks = describe_tasks
    _Backend.describe_services = describe_services
    _Backend.create_service = create_service
    _Backend.update_service = update_service
    _Response.create_service = _create_service_response
    _Response.update_service = _update_service_response
    _Response.list_tasks = _list_tasks_response
    _Response.describe_tasks = _describe_tasks_response
    _applied = True
