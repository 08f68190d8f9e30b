"""Services as ECS runs them: every CreateService / UpdateService field, deployments
that complete, fail (circuit breaker) and roll back over time, the service deployments
of the ECS API (service_deployments.py) with the BLUE_GREEN / LINEAR / CANARY lifecycle
stages, scaling that takes time, service events, the stopped tasks of failed
deployments.

ECS behaviour supplied (README, "Service deployments"): CreateService starts one
COMPLETED PRIMARY deployment (a SUCCESSFUL service deployment); a new task definition /
forceNewDeployment / another field that triggers a deployment starts an IN_PROGRESS
PRIMARY that completes after `rolloutSeconds` (ROLLING) or after its lifecycle stages
(BLUE_GREEN, LINEAR, CANARY: both revisions run until CLEAN_UP); an image matching a
crashing / OOM / unpullable image marker fails it (circuit breaker on, optionally
rolling back) or keeps it IN_PROGRESS with growing failedTasks (breaker off); either
way, the deployment's failed tasks are left STOPPED (service_tasks.py).
StopServiceDeployment rolls an unfinished deployment back. desiredCount alone scales
the PRIMARY after `rolloutSeconds`. Events are newest first, at most 100.

Why moto needs it: moto 5.2.5's Service keeps a few CreateService fields, has a single
static deployment whose counts come from the MOTO_ECS_SERVICE_RUNNING environment
variable, replaces its deployment on update without any rollout, emits no events and
has no service deployments.

State advances lazily from wall-clock timers whenever deployments, events, counts, the
task definition or service deployments are read (no background threads). Deployments
and events are typed; `to_ecs()` gives the dicts moto's serializer reads, only when
read.
"""

from __future__ import annotations

import copy
import hashlib
import heapq
import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from botocore import xform_name
from moto.ecs import models as ecs_models
from moto.ecs.exceptions import EcsClientException, ECSException
from moto.moto_api._internal import mock_random

from . import service_config as sc
from .service_deployments import (
    CIRCUIT_BREAKER_REASON,
    CIRCUIT_BREAKER_ROLLBACK_REASON,
    ROLLBACK_FAILED_REASON,
    SUPERSEDED_REASON,
    USER_ROLLBACK_REASON,
    ServiceDeployment,
    ServiceRevision,
    new_service_deployment_id,
    phase_end,
    plan_phases,
    revision_counts,
)
from .service_tasks import STOPPED_TASKS_PER_FAILURE, FailurePlan, leave_stopped_tasks, plan_failure
from .state import STATE, EmulatorConfig
from .util import container_defs, utc

MAX_EVENTS = 100

DeploymentStatus = Literal["PRIMARY", "ACTIVE"]
RolloutState = Literal["IN_PROGRESS", "COMPLETED", "FAILED"]
# "tasks_failed": a failing deployment without circuit breaker leaves its stopped tasks.
# "scaled_up": a BLUE_GREEN/LINEAR/CANARY deployment's tasks are running (end of SCALE_UP).
# "rolled_back": such a deployment's rollback is done (its tasks are gone).
TimerKind = Literal["complete", "fail", "scale", "tasks_failed", "scaled_up", "rolled_back"]
ALL_TIMER_KINDS: tuple[TimerKind, ...] = ("complete", "fail", "scale", "tasks_failed", "scaled_up", "rolled_back")

# CreateService / UpdateService fields stored as given (snake_case attribute = what
# moto's serializer reads for the Service member of that name).
PLAIN_FIELDS = (
    "placementConstraints",
    "placementStrategy",
    "healthCheckGracePeriodSeconds",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
    "gatewayConnectors",
    "monitoring",
    "propagateTags",
    "loadBalancers",
    "serviceRegistries",
)


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
    # The service revision this deployment runs (service_deployments.py).
    revision_arn: str = ""
    # Set = launchType is not shown (ECS shows one or the other).
    capacity_provider_strategy: list[dict[str, Any]] | None = None
    # Fields of the revision that deployments[] shows too (only when set).
    extra: dict[str, Any] | None = None
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
    stopped_tasks_left: bool = False
    # The service deployment this deployment is the target of / rolls back.
    service_deployment_arn: str | None = None
    rollback_for: str | None = None

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

    def drain(self, at: float) -> None:
        """Gone from the service (replaced or rolled back): no tasks any more."""
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
        out.update(copy.deepcopy(self.extra or {}))
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
    """A service with every CreateService field and deployments that progress over time
    (see module docstring and README). State advances lazily: every read of
    deployments/events/counts/taskDefinition/service deployments first applies the
    timers that are due."""

    def __init__(self, *args: Any, **kwargs: Any):
        # moto's __init__ assigns (and reads) the properties below; until _dh_ready
        # they neither refresh nor take moto's values.
        self._dh_ready = False
        self._dh_deployments: list[Deployment] = []
        self._dh_events: list[ServiceEvent] = []
        self._dh_timers: list[Timer] = []
        self._dh_timer_seq = itertools.count()
        self._dh_td: str | None = None
        self._dh_service_deployments: list[ServiceDeployment] = []  # newest first
        self._dh_revisions: dict[str, ServiceRevision] = {}
        self._dh_role_given = False
        self._dh_network_mode: str | None = None
        super().__init__(*args, **kwargs)
        now = time.time()
        self.created_at = utc(now)
        self.created_by = f"arn:aws:iam::{self._account_id}:role/deckhand-emulator"
        self.deployment_configuration = sc.deployment_configuration(None)
        self.capacity_provider_strategy: list[dict[str, Any]] | None = None
        self.client_token: str | None = None
        # "ECS" for a service Express Mode manages (seeded with expressMode); else absent.
        self.resource_management_type: str | None = None
        self.network_configuration = sc.network_configuration(self.network_configuration)  # type: ignore[assignment]
        self._dh_last_good_td: str | None = self._dh_td  # rollback target
        self._dh_ready = True

    # ---- lazily refreshed attributes (moto assigns them in __init__) ---------
    @property
    def deployments(self) -> list[dict[str, Any]]:
        self._dh_refresh()
        return [d.to_ecs() for d in self._dh_deployments]

    @deployments.setter
    def deployments(self, value: Any) -> None:
        pass  # moto's own initial deployment; ours is built in dh_finish_create

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

    @property
    def current_service_deployment(self) -> str | None:
        self._dh_refresh()
        return self._dh_service_deployments[0].arn if self._dh_service_deployments else None

    @property
    def current_service_revisions(self) -> list[dict[str, Any]] | None:
        """The revisions the service runs (its deployments[] entries), with counts."""
        self._dh_refresh()
        if not self._dh_service_deployments:
            return None
        out = []
        for arn in dict.fromkeys(d.revision_arn for d in self._dh_deployments if d.revision_arn):
            requested, running, pending = revision_counts(arn, self._dh_deployments)
            out.append(
                {"arn": arn, "requestedTaskCount": requested, "runningTaskCount": running, "pendingTaskCount": pending}
            )
        return out

    # ---- CreateService ----------------------------------------------------------
    def dh_configure(self, params: dict[str, Any], network_mode: str | None) -> None:
        """Store every CreateService field (moto keeps only some), with ECS's defaults."""
        self._dh_network_mode = network_mode
        daemon = self.scheduling_strategy == "DAEMON"
        self.deployment_configuration = sc.deployment_configuration(params.get("deploymentConfiguration"), daemon)
        self.client_token = params.get("clientToken")
        strategy = params.get("capacityProviderStrategy")
        if strategy:
            self.capacity_provider_strategy = strategy
            self.launch_type = None
        for name in PLAIN_FIELDS:
            if params.get(name) is not None:
                setattr(self, xform_name(name), copy.deepcopy(params[name]))
        self.placement_constraints = params.get("placementConstraints") or []
        self.placement_strategy = params.get("placementStrategy") or []
        self.enable_ecs_managed_tags = bool(params.get("enableECSManagedTags", False))
        self.enable_execute_command = bool(params.get("enableExecuteCommand", False))
        self.availability_zone_rebalancing = params.get("availabilityZoneRebalancing") or "ENABLED"
        self._dh_role_given = bool(params.get("role"))
        self._dh_set_platform()
        self._dh_set_role(params.get("role"))

    def _dh_partition(self) -> str:
        return self.cluster_arn.split(":")[1]

    def _dh_set_platform(self) -> None:
        fargate = sc.uses_fargate(self.launch_type, self.capacity_provider_strategy)
        if fargate and not self.platform_version:
            self.platform_version = "LATEST"
        self.platform_family = "Linux" if fargate else None

    def _dh_set_role(self, role: str | None) -> None:
        if role:
            self.role_arn = sc.role_arn(role, self._account_id, self._dh_partition())
        elif sc.needs_service_linked_role(
            self._dh_network_mode,
            self.load_balancers,
            self.service_registries,
            sc.controller_type(self.deployment_controller),
        ):
            self.role_arn = sc.service_linked_role_arn(self._account_id, self._dh_partition())
        else:
            self.role_arn = None

    def dh_finish_create(self) -> None:
        """The creation's deployment: one COMPLETED PRIMARY, one SUCCESSFUL service
        deployment (ECS controller only)."""
        if sc.controller_type(self.deployment_controller) != "ECS":
            return
        now = time.time()
        cfg = STATE.current_config()
        dep = self._dh_new_deployment(self._dh_td, now, cfg.rollout_seconds)
        dep.complete(now)
        self._dh_deployments = [dep]
        self._dh_last_good_td = self._dh_td
        if self.desired_count > 0:
            self._dh_event(now, self._dh_started_message(self.desired_count))
        self._dh_event(now, f"(service {self.name}) has reached a steady state.")
        sd = self._dh_new_service_deployment(dep, now, now, [], cfg)
        sd.end("SUCCESSFUL", now, self._dh_deployments)

    # ---- UpdateService ----------------------------------------------------------
    def dh_update(self, params: dict[str, Any]) -> None:
        """Apply every UpdateService field (already checked by
        service_config.validate_update); start one deployment if a field that triggers
        one changed (or forceNewDeployment), else scale for a new desiredCount."""
        self._dh_refresh()
        new_td: str | None = None
        network_mode = self._dh_network_mode
        if params.get("taskDefinition"):
            td = self._backend.describe_task_definition(params["taskDefinition"])
            if td.status != "ACTIVE":
                raise EcsClientException(f"TaskDefinition is inactive ({td.arn}).")
            new_td = td.arn
            network_mode = td.network_mode
        controller = self.deployment_controller
        if params.get("deploymentController") is not None:
            controller = params["deploymentController"]
        new_dc = None
        if params.get("deploymentConfiguration") is not None:
            merged = sc.merge_deployment_configuration(self.deployment_configuration, params["deploymentConfiguration"])
            new_dc = sc.deployment_configuration(merged, daemon=self.scheduling_strategy == "DAEMON")
            sc.validate_deployment_configuration(new_dc, sc.controller_type(controller))
        new_net = None
        if params.get("networkConfiguration") is not None:
            new_net = sc.network_configuration(self._validate_network(params["networkConfiguration"]))

        changed = []
        if new_td is not None and new_td != self._dh_td:
            changed.append("taskDefinition")
        if new_net is not None and new_net != self.network_configuration:
            changed.append("networkConfiguration")
        for name in sc.DEPLOYMENT_TRIGGERS:
            if name in ("taskDefinition", "networkConfiguration"):
                continue  # resolved / normalized above
            if params.get(name) is not None and params[name] != getattr(self, xform_name(name), None):
                changed.append(name)

        # apply (nothing above changed the service)
        self._dh_network_mode = network_mode
        if new_dc is not None:
            self.deployment_configuration = new_dc
        if new_net is not None:
            self.network_configuration = new_net
        if params.get("deploymentController") is not None:
            self.deployment_controller = params["deploymentController"]
        if params.get("capacityProviderStrategy") is not None:
            self._dh_set_capacity_provider_strategy(params["capacityProviderStrategy"])
        if params.get("platformVersion") is not None:
            self.platform_version = params["platformVersion"]
        for name in PLAIN_FIELDS:
            if params.get(name) is not None:
                setattr(self, xform_name(name), copy.deepcopy(params[name]))
        self._dh_set_platform()
        if not self._dh_role_given:
            self._dh_set_role(None)
        desired = params.get("desiredCount")
        if desired is not None:
            self.desired_count = int(desired)
        if changed or params.get("forceNewDeployment"):
            self.dh_start_deployment(new_td or self._dh_td)
        elif desired is not None:
            self.dh_scale(int(desired))

    def _dh_set_capacity_provider_strategy(self, strategy: list[dict[str, Any]]) -> None:
        if strategy:
            self.capacity_provider_strategy = strategy
            self.launch_type = None
        elif self.capacity_provider_strategy:
            # An empty list returns the service to a launch type.
            fargate = sc.uses_fargate(None, self.capacity_provider_strategy)
            self.capacity_provider_strategy = None
            self.launch_type = "FARGATE" if fargate else "EC2"

    # ---- helpers ----------------------------------------------------------
    @staticmethod
    def _dh_rollout_seconds() -> float:
        # Read when a deployment/scale starts (config of the caller's access key) and
        # kept on the deployment, so later reads by other keys agree.
        return float(STATE.current_config().rollout_seconds)

    def _dh_revision_arn(self, dep_id: str) -> str:
        return (
            f"arn:{self._dh_partition()}:ecs:{self.region_name}:{self._account_id}:"
            f"service-revision/{self.cluster_name}/{self.name}/{dep_id.split('/')[-1]}"
        )

    def _dh_container_images(self, td_arn: str | None) -> list[dict[str, Any]]:
        if not td_arn:
            return []
        try:
            td = self._backend.describe_task_definition(td_arn)
        except ECSException:
            return []
        out = []
        for cd in container_defs(td):
            image = str(cd.get("image") or "")
            digest = image.split("@", 1)[1] if "@" in image else "sha256:" + hashlib.sha256(image.encode()).hexdigest()
            out.append({"containerName": cd.get("name"), "imageDigest": digest, "image": image})
        return out

    def _dh_new_revision(self, dep: Deployment, now: float) -> None:
        """The service revision a new deployment runs: the service's configuration now."""
        fields: dict[str, Any] = {"taskDefinition": dep.task_definition}
        if dep.capacity_provider_strategy:
            fields["capacityProviderStrategy"] = copy.deepcopy(dep.capacity_provider_strategy)
        else:
            fields["launchType"] = dep.launch_type
        fields["platformVersion"] = dep.platform_version
        fields["platformFamily"] = dep.platform_family
        fields["loadBalancers"] = copy.deepcopy(self.load_balancers or [])
        fields["serviceRegistries"] = copy.deepcopy(self.service_registries or [])
        if dep.network_configuration:
            fields["networkConfiguration"] = copy.deepcopy(dep.network_configuration)
        fields["containerImages"] = self._dh_container_images(dep.task_definition)
        fields["guardDutyEnabled"] = False
        for name in ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"):
            value = getattr(self, xform_name(name), None)
            if value:
                fields[name] = copy.deepcopy(value)
        for name in ("gatewayConnectors", "monitoring"):
            value = getattr(self, xform_name(name), None)
            if value:
                fields[name] = copy.deepcopy(value)
        arn = self._dh_revision_arn(dep.id)
        dep.revision_arn = arn
        self._dh_revisions[arn] = ServiceRevision(arn, self.arn, self.cluster_arn, now, fields)

    def dh_revision(self, arn: str) -> ServiceRevision | None:
        return self._dh_revisions.get(arn)

    def _dh_new_deployment(
        self, td_arn: str | None, now: float, rollout_seconds: float, revision_arn: str | None = None
    ) -> Deployment:
        dep_id = _deployment_id()
        extra = {}
        for name in ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"):
            value = getattr(self, xform_name(name), None)
            if value:
                extra[name] = copy.deepcopy(value)
        dep = Deployment(
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
            network_configuration=copy.deepcopy(self.network_configuration) or None,
            rollout_state_reason=f"ECS deployment {dep_id} in progress.",
            rollout_seconds=rollout_seconds,
            capacity_provider_strategy=copy.deepcopy(self.capacity_provider_strategy) or None,
            extra=extra or None,
        )
        if revision_arn:
            dep.revision_arn = revision_arn
        else:
            self._dh_new_revision(dep, now)
        return dep

    def _dh_new_service_deployment(
        self, dep: Deployment, now: float, started: float, sources: list[str], cfg: EmulatorConfig
    ) -> ServiceDeployment:
        dc = copy.deepcopy(self.deployment_configuration or {})
        sd = ServiceDeployment(
            arn=(
                f"arn:{self._dh_partition()}:ecs:{self.region_name}:{self._account_id}:"
                f"service-deployment/{self.cluster_name}/{self.name}/{new_service_deployment_id()}"
            ),
            service_arn=self.arn,
            cluster_arn=self.cluster_arn,
            created_at=now,
            started_at=started,
            strategy=str(dc.get("strategy") or "ROLLING"),
            deployment_configuration=dc,
            target_deployment_id=dep.id,
            target_revision_arn=dep.revision_arn,
            source_revision_arns=sources,
            config=cfg,
            threshold=_failure_threshold(dep.desired_count),
        )
        dep.service_deployment_arn = sd.arn
        self._dh_service_deployments.insert(0, sd)
        return sd

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

    def dh_service_deployment(self, arn: str) -> ServiceDeployment | None:
        return next((sd for sd in self._dh_service_deployments if sd.arn == arn), None)

    def dh_service_deployments(self) -> list[ServiceDeployment]:
        """Newest first (state applied up to now)."""
        self._dh_refresh()
        return list(self._dh_service_deployments)

    def dh_deployments(self) -> list[Deployment]:
        self._dh_refresh()
        return list(self._dh_deployments)

    def _dh_breaker(self) -> tuple[bool, bool]:
        """(enable, rollback) of the deploymentCircuitBreaker."""
        breaker = (self.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
        return bool(breaker.get("enable")), bool(breaker.get("rollback"))

    def _dh_failure_plan(self, td_arn: str | None, cfg: EmulatorConfig | None = None) -> FailurePlan | None:
        """How the tasks of a deployment of `td_arn` fail, by the image markers of the
        config (default: the caller's): crashing, OOM, unpullable; None = they start fine."""
        if not td_arn:
            return None
        try:
            td = self._backend.describe_task_definition(td_arn)
        except ECSException:
            return None
        return plan_failure(td, cfg or STATE.current_config())

    def _dh_leave_stopped_tasks(self, dep: Deployment, at: float) -> None:
        """The failed deployment's tasks, STOPPED with the reasons of its image markers."""
        if dep.failure is None or dep.desired_count <= 0 or not dep.task_definition or dep.stopped_tasks_left:
            return
        dep.stopped_tasks_left = True
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
            elif timer.kind == "scaled_up":
                dep.running_count = dep.desired_count
                dep.pending_count = 0
                dep.updated_at = timer.due
            elif timer.kind == "rolled_back":
                self._dh_rolled_back(dep, timer.due)
        # Deployments whose tasks keep crashing without a circuit breaker never end;
        # ECS keeps counting failed tasks.
        for dep in self._dh_deployments:
            if dep.stuck_since is not None and dep.rollout_state == "IN_PROGRESS":
                interval = max(dep.rollout_seconds, 0.001)
                dep.failed_tasks = int((now - dep.stuck_since) / interval) * max(1, dep.desired_count)
                sd = self.dh_service_deployment(dep.service_deployment_arn or "")
                if sd is not None:
                    sd.failure_count = dep.failed_tasks

    def _dh_complete(self, dep: Deployment, at: float) -> None:
        dep.complete(at)
        if dep.status == "PRIMARY":
            for other in self._dh_deployments:
                if other is not dep:
                    other.drain(at)
            self._dh_deployments = [dep]
            self._dh_last_good_td = dep.task_definition
        self._dh_event(at, f"(service {self.name}) has reached a steady state.")
        sd = self.dh_service_deployment(dep.service_deployment_arn or "")
        if sd is not None and not sd.is_terminal():
            sd.end("SUCCESSFUL", at, self._dh_deployments)
        rolled_back = self.dh_service_deployment(dep.rollback_for or "")
        if rolled_back is not None and not rolled_back.is_terminal():
            rolled_back.end("ROLLBACK_SUCCESSFUL", at, self._dh_deployments)

    def _dh_fail(self, dep: Deployment, at: float) -> None:
        dep.fail(at)
        self._dh_leave_stopped_tasks(dep, at)
        failed_msg = f"(service {self.name}) (deployment {dep.id}) deployment failed: tasks failed to start."
        rolled_back = self.dh_service_deployment(dep.rollback_for or "")
        if rolled_back is not None:  # the rollback itself failed: nothing left to roll back to
            self._dh_event(at, failed_msg)
            if not rolled_back.is_terminal():
                rolled_back.end("ROLLBACK_FAILED", at, self._dh_deployments, ROLLBACK_FAILED_REASON)
            return
        sd = self.dh_service_deployment(dep.service_deployment_arn or "")
        if sd is not None:
            sd.breaker_triggered = True
            sd.failure_count = dep.failed_tasks
            sd.threshold = dep.failed_tasks
            sd.status_reason = CIRCUIT_BREAKER_REASON
        _, rollback_enabled = self._dh_breaker()
        if dep.status == "PRIMARY" and rollback_enabled:
            self._dh_roll_back(dep, sd, at, CIRCUIT_BREAKER_ROLLBACK_REASON, failed_msg)
        else:
            self._dh_event(at, failed_msg)
            if sd is not None and not sd.is_terminal():
                sd.end("STOPPED", at, self._dh_deployments, CIRCUIT_BREAKER_REASON)

    def _dh_rollback_revision(self, sd: ServiceDeployment | None) -> str | None:
        """The revision that runs the last good task definition (a source of `sd` first)."""
        candidates = [*(sd.source_revision_arns if sd else []), *reversed(list(self._dh_revisions))]
        for arn in candidates:
            revision = self._dh_revisions.get(arn)
            if revision is not None and revision.fields.get("taskDefinition") == self._dh_last_good_td:
                return arn
        return None

    def _dh_roll_back(
        self, dep: Deployment, sd: ServiceDeployment | None, at: float, reason: str, message_prefix: str
    ) -> None:
        """Roll the PRIMARY `dep` back to the last good task definition: traffic-shifting
        strategies return to the still-running source deployment; ROLLING (or when none
        runs) starts a rollback deployment of the last good revision."""
        cfg = sd.config if sd is not None else STATE.current_config()
        dep.status = "ACTIVE"
        dep.updated_at = at
        blue = None
        if sd is not None and sd.strategy != "ROLLING":
            blue = next(
                (d for d in self._dh_deployments if d is not dep and d.rollout_state == "COMPLETED"),
                None,
            )
        if blue is not None and sd is not None:
            blue.status = "PRIMARY"
            blue.updated_at = at
            self._dh_td = blue.task_definition
            sd.begin_rollback(at, reason, blue.revision_arn, cfg.stage_seconds)
            self._dh_schedule(at + 2 * cfg.stage_seconds, "rolled_back", dep.id)
            target_id = blue.id
        else:
            rollback = self._dh_new_deployment(
                self._dh_last_good_td, at, dep.rollout_seconds, revision_arn=self._dh_rollback_revision(sd)
            )
            rollback.failure = self._dh_failure_plan(self._dh_last_good_td, cfg)
            self._dh_deployments.insert(0, rollback)
            self._dh_td = self._dh_last_good_td
            if sd is not None:
                rollback.rollback_for = sd.arn
                sd.begin_rollback(
                    at, reason, rollback.revision_arn, min(cfg.stage_seconds, rollback.rollout_seconds / 2)
                )
            kind: TimerKind = "fail" if rollback.failure is not None else "complete"
            self._dh_schedule(at + rollback.rollout_seconds, kind, rollback.id)
            target_id = rollback.id
        self._dh_event(at, f"{message_prefix} (service {self.name}) rolling back to deployment {target_id}.")

    def _dh_rolled_back(self, dep: Deployment, at: float) -> None:
        """A traffic-shifting deployment's rollback is done: its tasks are gone."""
        dep.drain(at)
        self._dh_deployments = [d for d in self._dh_deployments if d is not dep]
        self._dh_event(at, f"(service {self.name}) has reached a steady state.")
        sd = self.dh_service_deployment(dep.service_deployment_arn or "")
        if sd is not None and not sd.is_terminal():
            sd.end("ROLLBACK_SUCCESSFUL", at, self._dh_deployments)

    def _dh_scaled(self, dep: Deployment, at: float) -> None:
        dep.running_count = dep.desired_count
        dep.pending_count = 0
        dep.updated_at = at
        self._dh_event(at, f"(service {self.name}) has reached a steady state.")

    def dh_start_deployment(self, td_arn: str | None) -> Deployment:
        """UpdateService that starts a deployment (new task definition, another field
        that triggers one, or forceNewDeployment): a new PRIMARY and its service
        deployment, ROLLING or through the lifecycle stages of the service's strategy."""
        self._dh_refresh()
        now = time.time()
        cfg = STATE.current_config()
        reconcile = len(self._dh_deployments) > 1
        for older in self._dh_service_deployments:
            if not older.is_terminal():
                # STOP_REQUESTED while its tasks are stopped, then STOPPED
                older.frozen_at = now
                older.end("STOPPED", now + cfg.stage_seconds, self._dh_deployments, SUPERSEDED_REASON)
        sources = list(dict.fromkeys(d.revision_arn for d in self._dh_deployments if d.revision_arn))
        for d in self._dh_deployments:
            if d.status == "PRIMARY":
                d.status = "ACTIVE"
                d.updated_at = now
            self._dh_cancel(d.id)
        dep = self._dh_new_deployment(td_arn, now, cfg.rollout_seconds)
        self._dh_deployments.insert(0, dep)
        self._dh_td = td_arn
        dep.failure = self._dh_failure_plan(td_arn, cfg)
        breaker_enabled, _ = self._dh_breaker()
        strategy = str((self.deployment_configuration or {}).get("strategy") or "ROLLING")
        if strategy == "ROLLING":
            sd = self._dh_new_service_deployment(
                dep, now, now + min(cfg.stage_seconds, dep.rollout_seconds / 2), sources, cfg
            )
            tasks_done = now + dep.rollout_seconds
            self._dh_schedule(tasks_done, "complete" if dep.failure is None else "tasks_failed", dep.id)
        else:
            sd = self._dh_new_service_deployment(dep, now, now + cfg.stage_seconds, sources, cfg)
            sd.phases = plan_phases(strategy, sd.deployment_configuration, sd.started_at, cfg, reconcile)
            tasks_done = phase_end(sd.phases, "SCALE_UP")
            if dep.failure is None:
                self._dh_schedule(tasks_done, "scaled_up", dep.id)
                self._dh_schedule(sd.phases[-1].end, "complete", dep.id)
            else:
                # The stages stop at SCALE_UP: the new tasks never become healthy.
                sd.frozen_at = tasks_done
                self._dh_schedule(tasks_done, "tasks_failed", dep.id)
        if dep.failure is not None:
            if breaker_enabled:
                self._dh_cancel(dep.id, ("tasks_failed",))
                self._dh_schedule(tasks_done, "fail", dep.id)
            else:
                dep.stuck_since = now
        if self.desired_count > 0:
            self._dh_event(now, self._dh_started_message(self.desired_count))
        return dep

    def dh_stop_service_deployment(self, sd: ServiceDeployment) -> bool:
        """StopServiceDeployment(ROLLBACK): an unfinished deployment rolls back (True);
        one already stopping or rolling back goes on (True); a finished one: False."""
        self._dh_refresh()
        now = time.time()
        status = sd.status_at(now)
        if status in ("STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"):
            return True
        if status not in ("PENDING", "IN_PROGRESS"):
            return False
        dep = self._dh_find(sd.target_deployment_id)
        if dep is None:
            return False
        self._dh_cancel(dep.id)
        if dep.failure is not None:
            self._dh_leave_stopped_tasks(dep, now)
        dep.rollout_state = "FAILED"
        dep.rollout_state_reason = f"ECS deployment {dep.id} stopped: StopServiceDeployment (ROLLBACK)."
        dep.stuck_since = None
        if sd.strategy == "ROLLING":
            dep.drain(now)
        sd.status_reason = USER_ROLLBACK_REASON
        self._dh_roll_back(
            dep,
            sd,
            now,
            USER_ROLLBACK_REASON,
            f"(service {self.name}) (deployment {dep.id}) deployment stopped: rollback requested.",
        )
        return True

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
