"""Patches to moto 5.2.5's Application Auto Scaling backend, so that scalable targets
of ECS services behave as AWS documents them where moto differs in a way a client sees:

- PutScalingPolicy and PutScheduledAction need a registered scalable target: without
  one, `ObjectNotFoundException` (HTTP 400) `No scalable target registered for service
  namespace: NS, resource ID: ID, scalable dimension: DIM` and nothing is stored (moto
  stores the policy, with its CloudWatch alarms).
- RegisterScalableTarget with MinCapacity and/or MaxCapacity on an ACTIVE ECS service
  whose desiredCount is outside the target's (resulting) range sets desiredCount to the
  nearest bound, as an UpdateService would: the service scales over time and gets ECS's
  "has started / has stopped N tasks" event. API reference: "If the specified resource
  is not active in the target service, this operation does not change the resource's
  current capacity. Otherwise, it changes the resource's current capacity to a value
  that is inside of this range." The target's SuspendedState plays no part: AWS
  documents suspension as covering only scaling that policies and scheduled actions
  trigger. A call with neither capacity (e.g. only SuspendedState) changes no count.
  (moto leaves desiredCount alone.)
- DeregisterScalableTarget deletes the target's scaling policies (and their CloudWatch
  alarms) and scheduled actions (moto keeps them).
- DeregisterScalableTarget of a missing target and DeleteScalingPolicy of a missing
  policy answer `ObjectNotFoundException` (moto: ValidationException), with moto's
  messages (`No scalable target found for ...`, `No scaling policy found for ...`).

RegisterScalableTarget with only some parameters keeps the others (moto already does).
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling import models as aas_models
from moto.core.exceptions import JsonRESTError

from . import backend
from .util import patch

Backend = aas_models.ApplicationAutoscalingBackend

# moto's implementations, wrapped below (captured before apply() replaces them).
_orig_register_scalable_target = Backend.register_scalable_target
_orig_deregister_scalable_target = Backend.deregister_scalable_target
_orig_put_scaling_policy = Backend.put_scaling_policy
_orig_delete_scaling_policy = Backend.delete_scaling_policy
_orig_put_scheduled_action = Backend.put_scheduled_action

ECS_NAMESPACE = "ecs"
ECS_DESIRED_COUNT = "ecs:service:DesiredCount"

_applied = False


class ObjectNotFoundException(JsonRESTError):
    """Application Auto Scaling's ObjectNotFoundException (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__("ObjectNotFoundException", message)


def _target(self: Backend, namespace: str, resource_id: str, dimension: str) -> aas_models.FakeScalableTarget | None:
    """The registered scalable target, if any."""
    target = self.targets.get(dimension, {}).get(resource_id)
    if target is None or target.service_namespace != namespace:
        return None
    return target


def _require_target(self: Backend, namespace: str, resource_id: str, dimension: str) -> None:
    if _target(self, namespace, resource_id, dimension) is None:
        raise ObjectNotFoundException(
            f"No scalable target registered for service namespace: {namespace}, resource ID: {resource_id}, "
            f"scalable dimension: {dimension}"
        )


def _clamp_ecs_service(self: Backend, target: aas_models.FakeScalableTarget) -> None:
    """Move an ACTIVE ECS service's desiredCount into the target's range (an
    UpdateService on the caller's behalf); a service that is not ACTIVE is left alone."""
    parts = target.resource_id.split("/")
    if len(parts) != 3 or parts[0] != "service":
        return
    _, cluster, name = parts
    ecs = self.ecs_backend
    service = backend.find_service(ecs, cluster, name)
    if service is None:
        return
    desired = int(service.desired_count)
    wanted = desired
    if target.min_capacity is not None and wanted < int(target.min_capacity):
        wanted = int(target.min_capacity)
    if target.max_capacity is not None and wanted > int(target.max_capacity):
        wanted = int(target.max_capacity)
    if wanted != desired:
        ecs.update_service({"cluster": cluster, "service": name, "desiredCount": wanted})


def register_scalable_target(
    self: Backend,
    namespace: str,
    r_id: str,
    dimension: str,
    min_capacity: int | None,
    max_capacity: int | None,
    role_arn: str,
    suspended_state: str,
) -> aas_models.FakeScalableTarget:
    """Create or update (moto), then clamp an ECS service's desiredCount into the
    range when the call gave a capacity."""
    target = _orig_register_scalable_target(
        self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state
    )
    if (
        namespace == ECS_NAMESPACE
        and dimension == ECS_DESIRED_COUNT
        and (min_capacity is not None or max_capacity is not None)
    ):
        _clamp_ecs_service(self, target)
    return target


def deregister_scalable_target(self: Backend, namespace: str, r_id: str, dimension: str) -> None:
    """Remove the target with its scaling policies (and their alarms) and scheduled
    actions; a missing target is ObjectNotFoundException."""
    if _target(self, namespace, r_id, dimension) is None:
        raise ObjectNotFoundException(
            f"No scalable target found for service namespace: {namespace}, resource ID: {r_id}, "
            f"scalable dimension: {dimension}"
        )
    _orig_deregister_scalable_target(self, namespace, r_id, dimension)
    ident = (namespace, r_id, dimension)
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == ident:
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
    self.scheduled_actions = [
        a for a in self.scheduled_actions if (a.service_namespace, a.resource_id, a.scalable_dimension) != ident
    ]


def put_scaling_policy(
    self: Backend,
    policy_name: str,
    service_namespace: str,
    resource_id: str,
    scalable_dimension: str,
    policy_body: dict[str, Any],
    policy_type: str | None,
) -> aas_models.FakeApplicationAutoscalingPolicy:
    """moto's PutScalingPolicy, after checking that the target is registered."""
    _require_target(self, service_namespace, resource_id, scalable_dimension)
    return _orig_put_scaling_policy(
        self, policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type
    )


def delete_scaling_policy(
    self: Backend, policy_name: str, service_namespace: str, resource_id: str, scalable_dimension: str
) -> None:
    """moto's DeleteScalingPolicy; a missing policy is ObjectNotFoundException."""
    key = aas_models.FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name
    )
    if key not in self.policies:
        raise ObjectNotFoundException(
            f"No scaling policy found for service namespace: {service_namespace}, resource ID: {resource_id}, "
            f"scalable dimension: {scalable_dimension}, policy name: {policy_name}"
        )
    _orig_delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)


def put_scheduled_action(
    self: Backend,
    service_namespace: str,
    schedule: str,
    timezone: str,
    scheduled_action_name: str,
    resource_id: str,
    scalable_dimension: str,
    start_time: str,
    end_time: str,
    scalable_target_action: str,
) -> None:
    """moto's PutScheduledAction, after checking that the target is registered."""
    _require_target(self, service_namespace, resource_id, scalable_dimension)
    _orig_put_scheduled_action(
        self,
        service_namespace,
        schedule,
        timezone,
        scheduled_action_name,
        resource_id,
        scalable_dimension,
        start_time,
        end_time,
        scalable_target_action,
    )


def apply() -> None:
    """Install the patches (idempotent)."""
    global _applied
    if _applied:
        return
    patch(Backend, "register_scalable_target", register_scalable_target)
    patch(Backend, "deregister_scalable_target", deregister_scalable_target)
    patch(Backend, "put_scaling_policy", put_scaling_policy)
    patch(Backend, "delete_scaling_policy", delete_scaling_policy)
    patch(Backend, "put_scheduled_action", put_scheduled_action)
    _applied = True
