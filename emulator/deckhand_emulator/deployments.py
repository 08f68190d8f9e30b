"""Service deployments: rolling updates that complete, fail (circuit breaker) and roll
back over time; scaling that takes time; service events; the stopped tasks of failed
deployments.

ECS behaviour supplied (README, "Service deployments"): CreateService starts one
COMPLETED PRIMARY deployment; a new task definition / forceNewDeployment / new network
configuration starts an IN_PROGRESS PRIMARY that completes after `rolloutSeconds`; an
image matching a crashing / OOM / unpullable image marker fails it (circuit breaker on,
optionally rolling back) or keeps it IN_PROGRESS with growing failedTasks (breaker off);
either way, after `rolloutSeconds` the deployment's failed tasks are left STOPPED
(service_tasks.py). desiredCount alone scales the PRIMARY after `rolloutSeconds`.
Events are newest first, at most 100.

Why moto needs it: moto 5.2.5's Service has a single static deployment whose counts
come from the MOTO_ECS_SERVICE_RUNNING environment variable, replaces its deployment
on update without any rollout, and emits no events.

State advances lazily from wall-clock timers whenever deployments, events, counts or
the task definition are read (no background threads). Deployments and events are
typed; `to_ecs()` gives the dicts moto's serializer reads, only when read.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from moto.ecs import models as ecs_models
from moto.ecs.exceptions import ECSException
from moto.moto_api._internal import mock_random

from .service_tasks import STOPPED_TASKS_PER_FAILURE, FailurePlan, leave_stopped_tasks, plan_failure
from .state import STATE
from .util import utc

DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

MAX_EVENTS = 100

DeploymentStatus = Literal["PRIMARY", "ACTIVE"]
RolloutState = Literal["IN_PROGRESS", "COMPLETED", "FAILED"]
# "tasks_failed": a failing deployment without circuit breaker leaves its stopped tasks.
TimerKind = Literal["complete", "fail", "scale", "tasks_failed"]
ALL_TIMER_KINDS: tuple[TimerKind, ...] = ("complete", "fail", "scale", "tasks_failed")


def _deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


def _fake_task_id() -> str:
    return uuid.uuid4().hex


def _failure_threshold(desired: int) -> int:
    # ECS circuit breaker: failed-task threshold = clamp(0.5 * desired, 3, 200)
    return max(3, min(200, (desired + 1) // 2))


@dataclass
class Deployment:
    """One entry of service.deployments. Timestamps are epoch seconds."""

    id: str
    task_definition: str | None
    desired_count: int
    created_at: float
    updated_at: float
    launch_type: str | None
    platform_version: str | None
    platform_family: str | None
    network_configuration: dict[str, Any] | None
    # Seconds this deployment's rollout / scaling takes: the config of the access key
    # that started it, so that later reads by other keys agree.
    rollout_seconds: float
    # Set = launchType is not shown (ECS shows one or the other).
    capacity_provider_strategy: list[dict[str, Any]] | None = None
    status: DeploymentStatus = "PRIMARY"
    rollout_state: RolloutState = "IN_PROGRESS"
    rollout_state_reason: str = ""
    pending_count: int = 0
    running_count: int = 0
    failed_tasks: int = 0
    # Crashing tasks without a circuit breaker: IN_PROGRESS forever from this time on.
    stuck_since: float | None = None
    # How this deployment's tasks fail (image markers, config at its start); None = fine.
    failure: FailurePlan | None = None

    def complete(self, at: float) -> None:
        self.rollout_state = "COMPLETED"
        self.rollout_state_reason = f"ECS deployment {self.id} completed."
        self.running_count = self.desired_count
        self.pending_count = 0
        self.updated_at = at

    def fail(self, at: float) -> None:
        self.rollout_state = "FAILED"
        self.rollout_state_reason = "ECS deployment circuit breaker: tasks failed to start."
        self.failed_tasks = _failure_threshold(self.desired_count)
        self.running_count = 0
        self.pending_count = 0
        self.updated_at = at

    def to_ecs(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "taskDefinition": self.task_definition,
            "desiredCount": self.desired_count,
            "pendingCount": self.pending_count,
            "runningCount": self.running_count,
            "failedTasks": self.failed_tasks,
            "createdAt": utc(self.created_at),
            "updatedAt": utc(self.updated_at),
        }
        if self.capacity_provider_strategy:
            out["capacityProviderStrategy"] = self.capacity_provider_strategy
        else:
            out["launchType"] = self.launch_type
        out["platformVersion"] = self.platform_version
        out["platformFamily"] = self.platform_family
        out["networkConfiguration"] = self.network_configuration
        out["rolloutState"] = self.rollout_state
        out["rolloutStateReason"] = self.rollout_state_reason
        return out


@dataclass(frozen=True)
class ServiceEvent:
    """One entry of service.events."""

    id: str
    created_at: float  # epoch seconds
    message: str

    def to_ecs(self) -> dict[str, Any]:
        return {"id": self.id, "createdAt": utc(self.created_at), "message": self.message}


class Timer(NamedTuple):
    """A state change due at `due` (heap-ordered by due, then creation)."""

    due: float
    seq: int
    kind: TimerKind
    deployment_id: str


class DeckhandService(ecs_models.Service):
    """A service whose deployments progress over time (see module docstring and
    README). State advances lazily: every read of deployments/events/counts/
    taskDefinition first applies the timers that are due."""

    def __init__(self, *args: Any, **kwargs: Any):
        # moto's __init__ assigns (and reads) the properties below; until _dh_ready
        # they neither refresh nor take moto's values.
        self._dh_ready = False
        self._dh_deployments: list[Deployment] = []
        self._dh_events: list[ServiceEvent] = []
        self._dh_timers: list[Timer] = []
        self._dh_timer_seq = itertools.count()
        self._dh_td: str | None = None
        super().__init__(*args, **kwargs)
        now = time.time()
        self.created_at = utc(now)
        self.created_by = f"arn:aws:iam::{self._account_id}:role/deckhand-emulator"
        self.deployment_configuration = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
        self.platform_family = "Linux" if self.launch_type == "FARGATE" else None
        if self.launch_type == "FARGATE" and not self.platform_version:
            self.platform_version = "LATEST"
        self._dh_last_good_td: str | None = self._dh_td  # rollback target
        if self.deployment_controller.get("type", "ECS") == "ECS":
            dep = self._dh_new_deployment(self._dh_td, now, self._dh_rollout_seconds())
            dep.rollout_state = "COMPLETED"
            dep.rollout_state_reason = f"ECS deployment {dep.id} completed."
            dep.running_count = self.desired_count
            dep.pending_count = 0
            self._dh_deployments = [dep]
            if self.desired_count > 0:
                self._dh_event(now, self._dh_started_message(self.desired_count))
            self._dh_event(now, f"(service {self.name}) has reached a steady state.")
        self._dh_ready = True

    # ---- lazily refreshed attributes (moto assigns them in __init__) ---------
    @property
    def deployments(self) -> list[dict[str, Any]]:
        self._dh_refresh()
        return [d.to_ecs() for d in self._dh_deployments]

    @deployments.setter
    def deployments(self, value: Any) -> None:
        pass  # moto's own initial deployment; ours is built in __init__

    @property
    def events(self) -> list[dict[str, Any]]:
        self._dh_refresh()
        return [e.to_ecs() for e in self._dh_events]

    @events.setter
    def events(self, value: Any) -> None:
        pass  # moto's empty list; ours is self._dh_events

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
        return sum(d.running_count for d in self._dh_deployments)

    @running_count.setter
    def running_count(self, value: int) -> None:
        pass

    @property
    def pending_count(self) -> int:
        self._dh_refresh()
        if self.status != "ACTIVE":
            return 0
        return sum(d.pending_count for d in self._dh_deployments)

    @pending_count.setter
    def pending_count(self, value: int) -> None:
        pass

    # ---- helpers ----------------------------------------------------------
    @staticmethod
    def _dh_rollout_seconds() -> float:
        # Read when a deployment/scale starts (config of the caller's access key) and
        # kept on the deployment, so later reads by other keys agree.
        return float(STATE.current_config().rollout_seconds)

    def _dh_new_deployment(self, td_arn: str | None, now: float, rollout_seconds: float) -> Deployment:
        dep_id = _deployment_id()
        return Deployment(
            id=dep_id,
            task_definition=td_arn,
            desired_count=self.desired_count,
            pending_count=self.desired_count,
            created_at=now,
            updated_at=now,
            launch_type=self.launch_type,
            # Fargate deployments show the resolved platform version, the service "LATEST".
            platform_version="1.4.0" if self.platform_version == "LATEST" else self.platform_version,
            platform_family=getattr(self, "platform_family", None),
            network_configuration=self.network_configuration or None,
            rollout_state_reason=f"ECS deployment {dep_id} in progress.",
            rollout_seconds=rollout_seconds,
            capacity_provider_strategy=getattr(self, "capacity_provider_strategy", None) or None,
        )

    def _dh_event(self, at: float, message: str) -> None:
        self._dh_events.insert(0, ServiceEvent(id=str(uuid.uuid4()), created_at=at, message=message))
        del self._dh_events[MAX_EVENTS:]

    def _dh_started_message(self, n: int) -> str:
        tasks = " ".join(f"(task {_fake_task_id()})" for _ in range(min(n, 10)))
        return f"(service {self.name}) has started {n} tasks: {tasks}."

    def _dh_stopped_message(self, n: int) -> str:
        tasks = " ".join(f"(task {_fake_task_id()})" for _ in range(min(n, 10)))
        return f"(service {self.name}) has stopped {n} running tasks: {tasks}."

    def _dh_schedule(self, due: float, kind: TimerKind, dep_id: str) -> None:
        heapq.heappush(self._dh_timers, Timer(due, next(self._dh_timer_seq), kind, dep_id))

    def _dh_cancel(self, dep_id: str, kinds: tuple[TimerKind, ...] = ALL_TIMER_KINDS) -> None:
        self._dh_timers = [t for t in self._dh_timers if not (t.deployment_id == dep_id and t.kind in kinds)]
        heapq.heapify(self._dh_timers)

    def _dh_find(self, dep_id: str) -> Deployment | None:
        return next((d for d in self._dh_deployments if d.id == dep_id), None)

    def _dh_primary(self) -> Deployment | None:
        return next((d for d in self._dh_deployments if d.status == "PRIMARY"), None)

    def _dh_breaker(self) -> tuple[bool, bool]:
        """(enable, rollback) of the deploymentCircuitBreaker."""
        breaker = (self.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
        return bool(breaker.get("enable")), bool(breaker.get("rollback"))

    def _dh_failure_plan(self, td_arn: str | None) -> FailurePlan | None:
        """How the tasks of a deployment of `td_arn` fail, by the image markers of the
        caller's config (crashing, OOM, unpullable); None = they start fine."""
        if not td_arn:
            return None
        try:
            td = self._backend.describe_task_definition(td_arn)
        except ECSException:
            return None
        return plan_failure(td, STATE.current_config())

    def _dh_leave_stopped_tasks(self, dep: Deployment, at: float) -> None:
        """The failed deployment's tasks, STOPPED with the reasons of its image markers."""
        if dep.failure is None or dep.desired_count <= 0 or not dep.task_definition:
            return
        leave_stopped_tasks(
            self._backend,
            self.cluster_name,
            self.name,
            dep.id,
            dep.task_definition,
            dep.failure,
            started=dep.created_at,
            failed=at,
            count=STOPPED_TASKS_PER_FAILURE,
            launch_type=dep.launch_type,
            platform_version=dep.platform_version,
            platform_family=dep.platform_family,
            network_configuration=dep.network_configuration,
            capacity_provider_strategy=dep.capacity_provider_strategy,
        )

    def dh_use_capacity_provider_strategy(self, strategy: list[dict[str, Any]]) -> None:
        """CreateService with capacityProviderStrategy (stored after moto built the
        service): its deployments show the strategy instead of a launchType."""
        for dep in self._dh_deployments:
            dep.capacity_provider_strategy = strategy

    # ---- state machine ------------------------------------------------------
    def dh_refresh(self) -> None:
        """Apply the state changes due by now (ListTasks/DescribeTasks call this so that
        a failed deployment's stopped tasks exist before tasks are looked up)."""
        self._dh_refresh()

    def _dh_refresh(self) -> None:
        if not self._dh_ready:
            return
        now = time.time()
        while self._dh_timers and self._dh_timers[0].due <= now:
            timer = heapq.heappop(self._dh_timers)
            dep = self._dh_find(timer.deployment_id)
            if dep is None:
                continue
            if timer.kind == "complete":
                self._dh_complete(dep, timer.due)
            elif timer.kind == "fail":
                self._dh_fail(dep, timer.due)
            elif timer.kind == "scale":
                self._dh_scaled(dep, timer.due)
            elif timer.kind == "tasks_failed":
                self._dh_leave_stopped_tasks(dep, timer.due)
        # Deployments whose tasks keep crashing without a circuit breaker never end;
        # ECS keeps counting failed tasks.
        for dep in self._dh_deployments:
            if dep.stuck_since is not None and dep.rollout_state == "IN_PROGRESS":
                interval = max(dep.rollout_seconds, 0.001)
                dep.failed_tasks = int((now - dep.stuck_since) / interval) * max(1, dep.desired_count)

    def _dh_complete(self, dep: Deployment, at: float) -> None:
        dep.complete(at)
        if dep.status == "PRIMARY":
            self._dh_deployments = [dep]
            self._dh_last_good_td = dep.task_definition
        self._dh_event(at, f"(service {self.name}) has reached a steady state.")

    def _dh_fail(self, dep: Deployment, at: float) -> None:
        dep.fail(at)
        self._dh_leave_stopped_tasks(dep, at)
        _, rollback_enabled = self._dh_breaker()
        if dep.status == "PRIMARY" and rollback_enabled:
            dep.status = "ACTIVE"
            rollback = self._dh_new_deployment(self._dh_last_good_td, at, dep.rollout_seconds)
            self._dh_deployments.insert(0, rollback)
            self._dh_td = self._dh_last_good_td
            self._dh_event(
                at,
                f"(service {self.name}) (deployment {dep.id}) deployment failed: tasks failed to start. "
                f"(service {self.name}) rolling back to deployment {rollback.id}.",
            )
            self._dh_schedule(at + rollback.rollout_seconds, "complete", rollback.id)
        else:
            self._dh_event(
                at,
                f"(service {self.name}) (deployment {dep.id}) deployment failed: tasks failed to start.",
            )

    def _dh_scaled(self, dep: Deployment, at: float) -> None:
        dep.running_count = dep.desired_count
        dep.pending_count = 0
        dep.updated_at = at
        self._dh_event(at, f"(service {self.name}) has reached a steady state.")

    def dh_start_deployment(self, td_arn: str | None) -> Deployment:
        """UpdateService with a new task definition (or forceNewDeployment)."""
        self._dh_refresh()
        now = time.time()
        for d in self._dh_deployments:
            if d.status == "PRIMARY":
                d.status = "ACTIVE"
                d.updated_at = now
            self._dh_cancel(d.id)
        dep = self._dh_new_deployment(td_arn, now, self._dh_rollout_seconds())
        self._dh_deployments.insert(0, dep)
        self._dh_td = td_arn
        due = now + dep.rollout_seconds
        dep.failure = self._dh_failure_plan(td_arn)
        if dep.failure is not None:
            breaker_enabled, _ = self._dh_breaker()
            if breaker_enabled:
                self._dh_schedule(due, "fail", dep.id)
            else:
                dep.stuck_since = now
                self._dh_schedule(due, "tasks_failed", dep.id)
        else:
            self._dh_schedule(due, "complete", dep.id)
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
        old_desired = primary.desired_count
        primary.desired_count = desired
        primary.updated_at = now
        if primary.rollout_state != "COMPLETED":
            primary.pending_count = desired if primary.rollout_state == "IN_PROGRESS" else 0
            return  # an unfinished deployment ends at the new desired count
        self._dh_cancel(primary.id, ("scale",))
        running = primary.running_count
        primary.pending_count = max(0, desired - running)
        if desired == running and desired == old_desired:
            return
        if desired > running:
            self._dh_event(now, self._dh_started_message(desired - running))
        elif desired < running:
            self._dh_event(now, self._dh_stopped_message(running - desired))
        primary.rollout_seconds = self._dh_rollout_seconds()
        self._dh_schedule(now + primary.rollout_seconds, "scale", primary.id)
