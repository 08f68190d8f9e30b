"""Stopped tasks that a failed service deployment leaves behind, with ECS's reasons.

ECS behaviour supplied: when a deployment's tasks keep failing (its task definition has
an image containing one of the config's image markers, see deployments.py), ECS keeps
the stopped tasks around, and ListTasks(serviceName=S, desiredStatus=STOPPED) /
DescribeTasks show them: group `service:S`, startedBy = the deployment id
(`ecs-svc/<digits>`), the deployment's task definition, lastStatus/desiredStatus
STOPPED, stopCode, stoppedReason, stoppingAt/stoppedAt/executionStoppedAt, and per
container lastStatus STOPPED, exitCode and reason. By the container's image:

- unpullableImageMarkers (default "unpushed", "missing"): the image cannot be pulled:
  stopCode TaskFailedToStart, stoppedReason (and that container's reason)
  `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to
  resolve ref <image>: not found`, no exitCode; the task never started (no startedAt).
- oomImageMarkers (default "oom"): stopCode EssentialContainerExited, stoppedReason
  `Essential container in task exited`, exitCode 137, reason
  `OutOfMemoryError: Container killed due to memory usage`.
- crashingImageMarkers (default "crash"): stopCode EssentialContainerExited, stoppedReason
  `Essential container in task exited`, exitCode 1.
A task with several failing containers takes the first kind in that order; its other
containers are STOPPED without an exit code (pull failure: never started) or with
exit code 0 (stopped by ECS after the essential container exited, and shut down
cleanly on SIGTERM).

Why moto needs it: moto 5.2.5 services have no tasks at all.

`plan_failure()` is evaluated when the deployment starts (config of the caller's access
key); `ServiceTask`s are built when the deployment has failed (deployments.py) and put
into the backend's task table, where ListTasks, DescribeTasks and StopTask find them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from moto.ecs import models as ecs_models
from moto.ecs.exceptions import ECSException
from moto.moto_api._internal import mock_random

from .state import EmulatorConfig
from .util import container_defs, utc

FailureKind = Literal["unpullable", "oom", "crash"]
# Most severe first: a task whose image cannot be pulled never starts its containers.
FAILURE_ORDER: tuple[FailureKind, ...] = ("unpullable", "oom", "crash")

# Stopped tasks created per failed deployment (ECS keeps many more; a few are enough
# to explain the failure).
STOPPED_TASKS_PER_FAILURE = 3

ESSENTIAL_EXITED = "Essential container in task exited"
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
# A container ECS stopped because the essential one exited (clean SIGTERM shutdown).
STOPPED_ALONG_EXIT_CODE = 0


def cannot_pull_reason(image: str) -> str:
    return (
        "CannotPullContainerError: pull image manifest has been retried 7 time(s): "
        f"failed to resolve ref {image}: not found"
    )


def image_failure(image: str | None, cfg: EmulatorConfig) -> FailureKind | None:
    """How a container with this image fails, by the config's markers (substrings)."""
    markers: dict[FailureKind, tuple[str, ...]] = {
        "unpullable": cfg.unpullable_image_markers,
        "oom": cfg.oom_image_markers,
        "crash": cfg.crashing_image_markers,
    }
    for kind in FAILURE_ORDER:
        if any(m and m in (image or "") for m in markers[kind]):
            return kind
    return None


@dataclass(frozen=True)
class FailurePlan:
    """How the tasks of a deployment fail: the task's kind and each container's."""

    kind: FailureKind
    containers: tuple[FailureKind | None, ...]  # per container definition, in order


def plan_failure(task_definition: ecs_models.TaskDefinition, cfg: EmulatorConfig) -> FailurePlan | None:
    """None = the deployment's tasks start fine."""
    kinds = tuple(image_failure(c.get("image"), cfg) for c in container_defs(task_definition))
    for kind in FAILURE_ORDER:
        if kind in kinds:
            return FailurePlan(kind=kind, containers=kinds)
    return None


class ServiceTaskContainer:
    """A container of a stopped service task (the attributes moto's serializer reads)."""

    def __init__(self, task: ServiceTask, cdef: dict[str, Any], kind: FailureKind | None, task_kind: FailureKind):
        self.container_arn = (
            f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/{task.cluster_name}/{task.id}/{uuid.uuid4()}"
        )
        self.task_arn = task.task_arn
        self.name = cdef.get("name")
        self.image = cdef.get("image")
        self.last_status = "STOPPED"
        self.health_status = "UNKNOWN"
        self.cpu = str(cdef.get("cpu", 0))
        self.memory = str(cdef["memory"]) if cdef.get("memory") is not None else None
        self.memory_reservation = str(cdef["memoryReservation"]) if cdef.get("memoryReservation") is not None else None
        self.network_interfaces: list[dict[str, Any]] = []
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.runtime_id: str | None = None
        if task_kind == "unpullable":
            if kind == "unpullable":
                self.reason = cannot_pull_reason(self.image or "")
            return  # no container of the task ever ran
        self.runtime_id = uuid.uuid4().hex + "-" + str(mock_random.randint(10**9, 10**10 - 1))
        if kind == "oom":
            self.exit_code = 137
            self.reason = OOM_REASON
        elif kind == "crash":
            self.exit_code = 1
        else:
            self.exit_code = STOPPED_ALONG_EXIT_CODE


class ServiceTask(ecs_models.Task):
    """A STOPPED task of a failed service deployment (module docstring). Built without
    moto's Task.__init__, which would attach a fresh in-use ENI; the ENI attachment of a
    stopped awsvpc task is DELETED."""

    def __init__(
        self,
        backend: ecs_models.EC2ContainerServiceBackend,
        cluster: ecs_models.Cluster,
        service_name: str,
        deployment_id: str,
        task_definition: ecs_models.TaskDefinition,
        plan: FailurePlan,
        created_at: float,
        stopped_at: float,
        launch_type: str | None,
        platform_version: str | None,
        platform_family: str | None,
        network_configuration: dict[str, Any] | None,
        capacity_provider_strategy: list[dict[str, Any]] | None,
    ):
        # ManagedState's bookkeeping (moto's advance() touches it); status is fixed below.
        self._transitions = [("STOPPED", "STOPPED")]
        self._status = "STOPPED"
        self._tick = 0
        self.model_name = "ecs::task"
        self.id = uuid.uuid4().hex  # ECS task ids are 32 hex digits
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.region_name = cluster.region_name
        self._account_id = backend.account_id
        self._backend = backend
        self.container_instance_arn = None
        self.resource_requirements = None
        self.task_definition_arn = task_definition.arn
        self.group = f"service:{service_name}"
        self.started_by = deployment_id
        self.tags: list[dict[str, str]] = []
        self.capacity_provider_name = (
            capacity_provider_strategy[0].get("capacityProvider") if capacity_provider_strategy else None
        )
        # ECS shows a capacityProviderName or a launchType, not both (moto types it str).
        self.launch_type = None if capacity_provider_strategy else launch_type  # type: ignore[assignment]
        self.platform_version = platform_version
        self.platform_family = platform_family
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.version = 4
        self.health_status = "UNKNOWN"
        self.availability_zone = f"{self.region_name}a"
        self.connectivity = "CONNECTED"
        self.overrides = {
            "containerOverrides": [{"name": c.get("name")} for c in container_defs(task_definition)],
            "inferenceAcceleratorOverrides": [],
        }
        self.desired_status = "STOPPED"
        self.dh_plan = plan

        first_failing = next(
            (
                cdef
                for cdef, kind in zip(container_defs(task_definition), plan.containers, strict=True)
                if kind == plan.kind
            ),
            container_defs(task_definition)[0],
        )
        if plan.kind == "unpullable":
            self.stop_code = "TaskFailedToStart"
            self.stopped_reason = cannot_pull_reason(first_failing.get("image") or "")
        else:
            self.stop_code = "EssentialContainerExited"
            self.stopped_reason = ESSENTIAL_EXITED

        run = max(stopped_at - created_at, 0.0)
        self.created_at = utc(created_at)
        self.connectivity_at = utc(created_at + run * 0.1)
        self.pull_started_at = utc(created_at + run * 0.2)
        if plan.kind == "unpullable":
            self.pull_stopped_at = None
            self.started_at = None
        else:
            self.pull_stopped_at = utc(created_at + run * 0.4)
            self.started_at = utc(created_at + run * 0.5)
        self.stopping_at = utc(stopped_at)
        self.execution_stopped_at = utc(stopped_at)
        self.stopped_at = utc(stopped_at)

        self.attachments: list[dict[str, Any]] = []
        awsvpc = (network_configuration or {}).get("awsvpcConfiguration") or {}
        private_ip = f"10.0.{mock_random.randint(0, 255)}.{mock_random.randint(4, 254)}"
        if task_definition.network_mode == "awsvpc" and awsvpc.get("subnets"):
            eni = f"eni-{uuid.uuid4().hex[:17]}"
            self.attachments.append(
                {
                    "id": str(uuid.uuid4()),
                    "type": "ElasticNetworkInterface",
                    "status": "DELETED",
                    "details": [
                        {"name": "subnetId", "value": awsvpc["subnets"][0]},
                        {"name": "networkInterfaceId", "value": eni},
                        {"name": "privateIPv4Address", "value": private_ip},
                    ],
                }
            )
        # Not moto Containers (whose BaseModel registers every instance with moto): plain
        # objects with the attributes moto's serializer reads.
        self.containers = [
            ServiceTaskContainer(self, cdef, kind, plan.kind)  # type: ignore[misc]
            for cdef, kind in zip(container_defs(task_definition), plan.containers, strict=True)
        ]
        if self.attachments:
            for c in self.containers:
                c.network_interfaces = [{"attachmentId": self.attachments[0]["id"], "privateIpv4Address": private_ip}]

    # moto's ManagedState `status` (lastStatus): always STOPPED, setter ignored.
    @property
    def status(self) -> str:
        return "STOPPED"

    @status.setter
    def status(self, value: str) -> None:
        pass


def leave_stopped_tasks(
    backend: ecs_models.EC2ContainerServiceBackend,
    cluster_name: str,
    service_name: str,
    deployment_id: str,
    task_definition_arn: str,
    plan: FailurePlan,
    started: float,
    failed: float,
    count: int,
    **service_fields: Any,
) -> list[ServiceTask]:
    """Create `count` stopped tasks of a deployment that ran from `started` to `failed`
    (one after the other within that time) and add them to the backend's tasks."""
    cluster = backend.clusters.get(cluster_name)
    if cluster is None:
        return []
    try:
        task_definition = backend.describe_task_definition(task_definition_arn)
    except ECSException:  # deleted meanwhile: nothing to describe the tasks with
        return []
    span = max(failed - started, 0.0)
    out = []
    for i in range(count):
        task = ServiceTask(
            backend,
            cluster,
            service_name,
            deployment_id,
            task_definition,
            plan,
            created_at=started + span * i / count,
            stopped_at=started + span * (i + 1) / count,
            **service_fields,
        )
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        out.append(task)
    return out
