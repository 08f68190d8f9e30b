"""Service deployments and service revisions (ListServiceDeployments,
DescribeServiceDeployments, StopServiceDeployment, DescribeServiceRevisions, and the
service's currentServiceDeployment / currentServiceRevisions), on the deployments of
deployments.py.

ECS behaviour supplied (README, "Service deployments (the API)"):
- CreateService and every UpdateService that starts a deployment (deployments.py) make
  one service deployment: `arn:aws:ecs:R:A:service-deployment/CLUSTER/SERVICE/<id>`.
  Its target service revision is `arn:aws:ecs:R:A:service-revision/CLUSTER/SERVICE/<n>`,
  `<n>` = the digits of the new deployments[] entry's `ecs-svc/<n>` (how Terraform
  pairs them); the source revisions are those of the deployments[] entries the service
  had when it started.
- Status: PENDING for `stageSeconds` (ROLLING: at most half the rollout), then
  IN_PROGRESS; SUCCESSFUL when the deployment completes; with the circuit breaker on
  and its rollback on: ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL
  (ROLLBACK_FAILED when the rollback's own tasks fail); breaker on without rollback:
  STOPPED; StopServiceDeployment(ROLLBACK) on a PENDING / IN_PROGRESS one: the rollback
  statuses; a deployment still running when a newer one starts: STOP_REQUESTED for
  `stageSeconds`, then STOPPED.
- BLUE_GREEN / LINEAR / CANARY walk the lifecycle stages on the emulator's clock
  (`stageSeconds` per short stage, SCALE_UP = `rolloutSeconds`, bake times in minutes
  x `minuteSeconds`), with the requested traffic weights of the target and source
  revisions; ROLLING reports no lifecycle stage.

Everything here is plain data; deployments.py drives the transitions (lazily, like the
rest of the service's state) and renders the API shapes with `to_ecs()` at read time.
"""

from __future__ import annotations

import copy
import math
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from .state import EmulatorConfig
from .util import utc

SDStatus = Literal[
    "PENDING",
    "IN_PROGRESS",
    "SUCCESSFUL",
    "STOPPED",
    "STOP_REQUESTED",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_SUCCESSFUL",
    "ROLLBACK_FAILED",
]
TERMINAL: tuple[SDStatus, ...] = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
# The order ECS documents (ServiceDeployment.lifecycleStage).
STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
)

CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
CIRCUIT_BREAKER_ROLLBACK_REASON = "Circuit breaker: the deployment failed, rolling back to the previous revision."
USER_ROLLBACK_REASON = "Rollback requested by StopServiceDeployment."
SUPERSEDED_REASON = "Service deployment stopped: a newer service deployment started."
ROLLBACK_FAILED_REASON = "The rollback deployment failed: tasks failed to start."

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


def new_service_deployment_id() -> str:
    """Like ECS's ids (`NCWGC2ZR-taawPAYrIaU5`): 22 URL-safe characters."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def arn_parts(arn: str, kind: str) -> tuple[str, str] | None:
    """(cluster, service) of a `...:<kind>/CLUSTER/SERVICE/<id>` ARN, else None."""
    marker = f":{kind}/"
    if not arn.startswith("arn:") or marker not in arn:
        return None
    parts = arn.split(marker, 1)[1].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1]


class RunningRevision(Protocol):
    """A deployments[] entry as far as revision counts go (deployments.Deployment)."""

    revision_arn: str
    desired_count: int
    running_count: int
    pending_count: int


def revision_counts(arn: str, deployments: Sequence[RunningRevision]) -> tuple[int, int, int]:
    """(requested, running, pending) of a revision: the sums over the service's current
    deployments[] entries running it."""
    mine = [d for d in deployments if d.revision_arn == arn]
    return (
        sum(d.desired_count for d in mine),
        sum(d.running_count for d in mine),
        sum(d.pending_count for d in mine),
    )


@dataclass(frozen=True)
class Phase:
    """One lifecycle stage of a BLUE_GREEN / LINEAR / CANARY deployment: [start, end),
    with the target revision's requested production / test traffic weights."""

    stage: str
    start: float
    end: float
    production_weight: float
    test_weight: float


def linear_weights(step_percent: float) -> list[float]:
    steps = max(1, math.ceil(100.0 / step_percent - 1e-9))
    return [round(min(100.0, step_percent * k), 1) for k in range(1, steps + 1)]


def plan_phases(strategy: str, dc: dict[str, Any], start: float, cfg: EmulatorConfig, reconcile: bool) -> list[Phase]:
    """The lifecycle stages of a non-ROLLING deployment, from `start` (its end of
    PENDING). LINEAR / CANARY repeat PRODUCTION_TRAFFIC_SHIFT per traffic step, with the
    step / canary bake time in between (none after the last step)."""
    stage_s, minute_s = cfg.stage_seconds, cfg.minute_seconds
    phases: list[Phase] = []
    t = start

    def add(stage: str, seconds: float, production: float = 0.0, test: float = 0.0) -> None:
        nonlocal t
        phases.append(Phase(stage, t, t + max(0.0, seconds), production, test))
        t += max(0.0, seconds)

    if reconcile:
        add("RECONCILE_SERVICE", stage_s)
    add("PRE_SCALE_UP", stage_s)
    add("SCALE_UP", cfg.rollout_seconds)
    add("POST_SCALE_UP", stage_s)
    add("TEST_TRAFFIC_SHIFT", stage_s, 0.0, 100.0)
    add("POST_TEST_TRAFFIC_SHIFT", stage_s, 0.0, 100.0)
    if strategy == "CANARY":
        canary = dc.get("canaryConfiguration") or {}
        percent = float(canary.get("canaryPercent", 5.0))
        add("PRODUCTION_TRAFFIC_SHIFT", stage_s, percent, 100.0)
        add("PRODUCTION_TRAFFIC_SHIFT", float(canary.get("canaryBakeTimeInMinutes", 10)) * minute_s, percent, 100.0)
        add("PRODUCTION_TRAFFIC_SHIFT", stage_s, 100.0, 100.0)
    elif strategy == "LINEAR":
        linear = dc.get("linearConfiguration") or {}
        step_bake = float(linear.get("stepBakeTimeInMinutes", 6)) * minute_s
        weights = linear_weights(float(linear.get("stepPercent", 10.0)))
        for i, weight in enumerate(weights):
            add("PRODUCTION_TRAFFIC_SHIFT", stage_s, weight, 100.0)
            if i < len(weights) - 1:
                add("PRODUCTION_TRAFFIC_SHIFT", step_bake, weight, 100.0)
    else:
        add("PRODUCTION_TRAFFIC_SHIFT", stage_s, 100.0, 100.0)
    add("POST_PRODUCTION_TRAFFIC_SHIFT", stage_s, 100.0, 100.0)
    add("BAKE_TIME", float(dc.get("bakeTimeInMinutes") or 0) * minute_s, 100.0, 100.0)
    add("CLEAN_UP", stage_s, 100.0, 100.0)
    return phases


def phase_end(phases: list[Phase], stage: str) -> float:
    """When the last phase of `stage` ends."""
    return max(p.end for p in phases if p.stage == stage)


@dataclass
class ServiceDeployment:
    """One service deployment. `status` is the stored status; PENDING (before
    `started_at`), STOP_REQUESTED (STOPPED, before `stopped_at`) and ROLLBACK_REQUESTED
    (before `rollback_in_progress_at`) are derived from the clock when read."""

    arn: str
    service_arn: str
    cluster_arn: str
    created_at: float
    started_at: float
    strategy: str
    deployment_configuration: dict[str, Any]
    target_deployment_id: str
    target_revision_arn: str
    source_revision_arns: list[str]
    # Config of the access key that started it (rollback deployments fail by it, too).
    config: EmulatorConfig
    phases: list[Phase] = field(default_factory=list)
    status: SDStatus = "IN_PROGRESS"
    status_reason: str | None = None
    finished_at: float | None = None
    stopped_at: float | None = None
    # When the phase plan stopped advancing (failure, rollback, superseded).
    frozen_at: float | None = None
    rollback_reason: str | None = None
    rollback_started_at: float | None = None
    rollback_in_progress_at: float | None = None
    rollback_revision_arn: str | None = None
    breaker_triggered: bool = False
    failure_count: int = 0
    threshold: int = 0
    # Revision counts kept when it ended: ECS reports a finished deployment's counts as
    # they were when it completed.
    final_counts: dict[str, tuple[int, int, int]] | None = None

    # ---- clock-derived views ---------------------------------------------------
    def status_at(self, now: float) -> SDStatus:
        if self.status == "IN_PROGRESS" and now < self.started_at:
            return "PENDING"
        if self.status == "STOPPED" and self.stopped_at is not None and now < self.stopped_at:
            return "STOP_REQUESTED"
        if (
            self.status == "ROLLBACK_IN_PROGRESS"
            and self.rollback_in_progress_at is not None
            and now < self.rollback_in_progress_at
        ):
            return "ROLLBACK_REQUESTED"
        return self.status

    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def phase_at(self, now: float) -> Phase | None:
        """The lifecycle stage at `now`; once the plan stopped (failure, rollback,
        superseded), the stage it stopped in (at a stage boundary: the earlier one)."""
        if not self.phases or now < self.started_at:
            return None
        frozen = self.frozen_at is not None and now >= self.frozen_at
        t = self.frozen_at if frozen and self.frozen_at is not None else now
        current = None
        for phase in self.phases:
            if phase.end <= phase.start:
                continue  # a zero-length stage (e.g. a bake time of 0) is never seen
            if phase.start < t or (phase.start == t and not frozen):
                current = phase
        return current

    # ---- transitions (deployments.py calls these) --------------------------------
    def end(
        self, status: SDStatus, at: float, deployments: Sequence[RunningRevision], reason: str | None = None
    ) -> None:
        """A terminal status, with the revision counts of that moment. (STOPPED with a
        later `at`: STOP_REQUESTED until then.)"""
        self.status = status
        if reason is not None:
            self.status_reason = reason
        if status == "STOPPED":
            self.stopped_at = at
        else:
            self.finished_at = at
        if self.frozen_at is None and status != "SUCCESSFUL":
            self.frozen_at = at
        arns = [self.target_revision_arn, *self.source_revision_arns]
        if self.rollback_revision_arn:
            arns.append(self.rollback_revision_arn)
        self.final_counts = {arn: revision_counts(arn, deployments) for arn in arns}

    def begin_rollback(self, at: float, reason: str, revision_arn: str | None, requested_seconds: float) -> None:
        self.status = "ROLLBACK_IN_PROGRESS"
        self.frozen_at = at if self.frozen_at is None else self.frozen_at
        self.rollback_reason = reason
        self.rollback_started_at = at
        self.rollback_in_progress_at = at + max(0.0, requested_seconds)
        self.rollback_revision_arn = revision_arn

    # ---- API shapes -------------------------------------------------------------
    def _times(self, now: float) -> list[float]:
        times = [self.created_at]
        if now >= self.started_at:
            times.append(self.started_at)
        phase = self.phase_at(now)
        if phase is not None:
            times.append(phase.start)
        for t in (
            self.rollback_started_at,
            self.rollback_in_progress_at,
            self.finished_at,
            self.stopped_at,
        ):
            if t is not None and t <= now:
                times.append(t)
        return times

    def _summary(
        self, arn: str, deployments: Sequence[RunningRevision], weights: tuple[float, float] | None
    ) -> dict[str, Any]:
        if self.final_counts is not None and arn in self.final_counts:
            requested, running, pending = self.final_counts[arn]
        else:
            requested, running, pending = revision_counts(arn, deployments)
        out: dict[str, Any] = {
            "arn": arn,
            "requestedTaskCount": requested,
            "runningTaskCount": running,
            "pendingTaskCount": pending,
        }
        if weights is not None:
            out["requestedProductionTrafficWeight"], out["requestedTestTrafficWeight"] = weights
        return out

    def _weights(self, now: float) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """((target production, test), (source production, test)) for traffic-shifting
        strategies; None for ROLLING."""
        if self.strategy == "ROLLING":
            return None
        if self.rollback_started_at is not None:
            return (0.0, 0.0), (100.0, 100.0)
        phase = self.phase_at(now)
        production, test = (phase.production_weight, phase.test_weight) if phase else (0.0, 0.0)
        return (production, test), (100.0 - production, 100.0 - test)

    def brief(self, now: float) -> dict[str, Any]:
        """ServiceDeploymentBrief (ListServiceDeployments)."""
        out: dict[str, Any] = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": utc(self.created_at),
            "targetServiceRevisionArn": self.target_revision_arn,
            "status": self.status_at(now),
        }
        if now >= self.started_at:
            out["startedAt"] = utc(self.started_at)
        if self.finished_at is not None and self.finished_at <= now:
            out["finishedAt"] = utc(self.finished_at)
        if self.status_reason:
            out["statusReason"] = self.status_reason
        return out

    def to_ecs(self, now: float, deployments: Sequence[RunningRevision]) -> dict[str, Any]:
        """ServiceDeployment (DescribeServiceDeployments)."""
        weights = self._weights(now)
        target_w, source_w = weights if weights else (None, None)
        out: dict[str, Any] = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": utc(self.created_at),
        }
        if now >= self.started_at:
            out["startedAt"] = utc(self.started_at)
        if self.finished_at is not None:
            out["finishedAt"] = utc(self.finished_at)
        if self.stopped_at is not None and self.stopped_at <= now:
            out["stoppedAt"] = utc(self.stopped_at)
        out["updatedAt"] = utc(max(self._times(now)))
        out["sourceServiceRevisions"] = [self._summary(a, deployments, source_w) for a in self.source_revision_arns]
        out["targetServiceRevision"] = self._summary(self.target_revision_arn, deployments, target_w)
        out["status"] = self.status_at(now)
        if self.status_reason:
            out["statusReason"] = self.status_reason
        phase = self.phase_at(now)
        if phase is not None:
            out["lifecycleStage"] = phase.stage
        out["deploymentConfiguration"] = copy.deepcopy(self.deployment_configuration)
        if self.rollback_started_at is not None:
            out["rollback"] = {
                "reason": self.rollback_reason,
                "startedAt": utc(self.rollback_started_at),
                "serviceRevisionArn": self.rollback_revision_arn,
            }
        out["deploymentCircuitBreaker"] = self._breaker(now)
        out["alarms"] = self._alarms()
        return out

    def _breaker(self, now: float) -> dict[str, Any]:
        breaker = self.deployment_configuration.get("deploymentCircuitBreaker") or {}
        if not breaker.get("enable"):
            return {"status": "DISABLED"}
        if self.breaker_triggered:
            status = "TRIGGERED"
        elif self.is_terminal():
            status = "MONITORING_COMPLETE"
        else:
            status = "MONITORING"
        return {"status": status, "failureCount": self.failure_count, "threshold": self.threshold}

    def _alarms(self) -> dict[str, Any]:
        alarms = self.deployment_configuration.get("alarms") or {}
        if not alarms.get("enable"):
            return {"status": "DISABLED"}
        return {
            "status": "MONITORING_COMPLETE" if self.is_terminal() else "MONITORING",
            "alarmNames": list(alarms.get("alarmNames") or []),
            "triggeredAlarmNames": [],
        }


@dataclass(frozen=True)
class ServiceRevision:
    """What a service revision pins (DescribeServiceRevisions): the task definition and
    the service's configuration when the deployment that made it started."""

    arn: str
    service_arn: str
    cluster_arn: str
    created_at: float
    fields: dict[str, Any]

    def to_ecs(self) -> dict[str, Any]:
        return {
            "serviceRevisionArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            **copy.deepcopy(self.fields),
            "createdAt": utc(self.created_at),
        }
