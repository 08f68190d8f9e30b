"""The service's configuration as ECS stores it: CreateService / UpdateService fields,
the defaults ECS fills in, what it refuses, and which UpdateService fields start a new
deployment. Pure functions over the request's JSON (no moto patches here).

ECS behaviour supplied (README, "Services: every field"), and where each rule comes
from (botocore's ECS model documentation = the API reference, unless noted):
- deploymentConfiguration: maximumPercent 200 / minimumHealthyPercent 100 (REPLICA;
  DAEMON 100 / 0), deploymentCircuitBreaker {enable: false, rollback: false} and
  strategy ROLLING when not given (kayac/ecspresso's diff normalizer, which fills what
  DescribeServices returns); linearConfiguration {stepPercent 10.0,
  stepBakeTimeInMinutes 6} / canaryConfiguration {canaryPercent 5.0,
  canaryBakeTimeInMinutes 10} for LINEAR / CANARY; lifecycle hooks targetType
  AWS_LAMBDA and timeoutConfiguration {timeoutInMinutes 1440, action ROLLBACK};
  earlySuccessCriteria healthyPercent 100, sourceServiceRevisionCleanup BLOCKING.
- networkConfiguration.awsvpcConfiguration.assignPublicIp DISABLED when not given.
- role (a name or an ARN) -> roleArn (an ARN); without a role, services that need ECS's
  service-linked role (awsvpc, service discovery, an EXTERNAL controller, several
  target groups) show it as roleArn.
- UpdateService: the fields that "trigger a new service deployment" (taskDefinition,
  networkConfiguration, platformVersion, loadBalancers, serviceRegistries,
  serviceConnectConfiguration, volumeConfigurations, vpcLatticeConfigurations) do so
  only when they change; the others never do. CODE_DEPLOY and EXTERNAL services accept
  only the fields their controller lets UpdateService change.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from moto.ecs.exceptions import InvalidParameterException

# Every member of the API's CreateServiceRequest / UpdateServiceRequest (botocore 1.44).
CREATE_SERVICE_FIELDS = frozenset(
    {
        "cluster",
        "serviceName",
        "taskDefinition",
        "availabilityZoneRebalancing",
        "loadBalancers",
        "serviceRegistries",
        "desiredCount",
        "clientToken",
        "launchType",
        "capacityProviderStrategy",
        "platformVersion",
        "role",
        "deploymentConfiguration",
        "placementConstraints",
        "placementStrategy",
        "networkConfiguration",
        "healthCheckGracePeriodSeconds",
        "schedulingStrategy",
        "deploymentController",
        "tags",
        "enableECSManagedTags",
        "propagateTags",
        "enableExecuteCommand",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
        "gatewayConnectors",
        "monitoring",
    }
)
UPDATE_SERVICE_FIELDS = frozenset(
    {
        "cluster",
        "service",
        "desiredCount",
        "taskDefinition",
        "capacityProviderStrategy",
        "deploymentConfiguration",
        "availabilityZoneRebalancing",
        "networkConfiguration",
        "placementConstraints",
        "placementStrategy",
        "platformVersion",
        "forceNewDeployment",
        "healthCheckGracePeriodSeconds",
        "deploymentController",
        "enableExecuteCommand",
        "enableECSManagedTags",
        "loadBalancers",
        "propagateTags",
        "serviceRegistries",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
        "gatewayConnectors",
        "monitoring",
    }
)

# UpdateService fields that start a new service deployment when their value changes
# (each one's API doc: "This parameter triggers a new service deployment").
DEPLOYMENT_TRIGGERS = (
    "taskDefinition",
    "networkConfiguration",
    "platformVersion",
    "loadBalancers",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
)

# What UpdateService may change per deployment controller (UpdateService API doc).
# deploymentController too: since 2025 a service's controller can be changed (e.g. from
# CODE_DEPLOY to ECS for ECS's own blue/green).
CODE_DEPLOY_UPDATABLE = frozenset(
    {
        "deploymentController",
        "desiredCount",
        "deploymentConfiguration",
        "healthCheckGracePeriodSeconds",
        "placementConstraints",
        "placementStrategy",
        "enableECSManagedTags",
        "propagateTags",
    }
)
EXTERNAL_UPDATABLE = frozenset(
    {
        "deploymentController",
        "desiredCount",
        "placementConstraints",
        "placementStrategy",
        "healthCheckGracePeriodSeconds",
        "enableECSManagedTags",
        "propagateTags",
    }
)

STRATEGIES = ("ROLLING", "BLUE_GREEN", "LINEAR", "CANARY")
HOOK_STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
)
# "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT".
PAUSE_FORBIDDEN_STAGES = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")

LINEAR_DEFAULTS = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}
CANARY_DEFAULTS = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}
MAX_BAKE_MINUTES = 1440

SERVICE_LINKED_ROLE = "role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def refuse(message: str) -> InvalidParameterException:
    return InvalidParameterException(message)


def controller_type(controller: dict[str, Any] | None) -> str:
    return str((controller or {}).get("type") or "ECS")


# ---- deploymentConfiguration ------------------------------------------------------


def deployment_configuration(given: dict[str, Any] | None, daemon: bool = False) -> dict[str, Any]:
    """deploymentConfiguration as DescribeServices shows it: `given` with ECS's defaults
    filled in (see the module docstring)."""
    out = copy.deepcopy(given or {})
    if daemon:
        out.setdefault("maximumPercent", 100)
        out.setdefault("minimumHealthyPercent", 0)
    else:
        out.setdefault("deploymentCircuitBreaker", {"enable": False, "rollback": False})
        out.setdefault("maximumPercent", 200)
        out.setdefault("minimumHealthyPercent", 100)
        out.setdefault("strategy", "ROLLING")
    strategy = out.get("strategy")
    if strategy == "LINEAR":
        out["linearConfiguration"] = {**LINEAR_DEFAULTS, **(out.get("linearConfiguration") or {})}
    elif strategy == "CANARY":
        out["canaryConfiguration"] = {**CANARY_DEFAULTS, **(out.get("canaryConfiguration") or {})}
    for hook in out.get("lifecycleHooks") or []:
        if isinstance(hook, dict):
            hook.setdefault("targetType", "AWS_LAMBDA")
            timeout = hook.setdefault("timeoutConfiguration", {})
            if isinstance(timeout, dict):
                timeout.setdefault("timeoutInMinutes", 1440)
                timeout.setdefault("action", "ROLLBACK")
    early = out.get("earlySuccessCriteria")
    if isinstance(early, dict):
        early.setdefault("healthyPercent", 100)
        early.setdefault("sourceServiceRevisionCleanup", "BLOCKING")
    return out


def merge_deployment_configuration(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """UpdateService's deploymentConfiguration over the stored one: the given keys
    replace the stored ones (nested objects key by key, lists whole); a strategy change
    drops the other strategy's configuration block unless this call gives it."""
    out = copy.deepcopy(current)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **copy.deepcopy(value)}
        else:
            out[key] = copy.deepcopy(value)
    strategy = out.get("strategy")
    if strategy != "LINEAR" and "linearConfiguration" not in given:
        out.pop("linearConfiguration", None)
    if strategy != "CANARY" and "canaryConfiguration" not in given:
        out.pop("canaryConfiguration", None)
    return out


def _number_in(value: Any, low: float, high: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and low <= value <= high


def _tenths(value: float) -> bool:
    return math.isclose(value * 10, round(value * 10), abs_tol=1e-6)


def validate_deployment_configuration(dc: dict[str, Any], controller: str) -> None:
    """What ECS refuses in a deploymentConfiguration (InvalidParameterException). The
    rules are the API reference's; the messages are the emulator's own."""
    strategy = dc.get("strategy", "ROLLING")
    if strategy not in STRATEGIES:
        raise refuse(f"Invalid deployment strategy '{strategy}'. Valid values: {', '.join(STRATEGIES)}.")
    breaker = dc.get("deploymentCircuitBreaker") or {}
    if breaker.get("enable") and controller != "ECS":
        raise refuse(
            "The deployment circuit breaker can only be used for services using the rolling update (ECS) "
            "deployment type."
        )
    if "linearConfiguration" in dc and strategy != "LINEAR":
        raise refuse("linearConfiguration is only valid when the deployment strategy is LINEAR.")
    if "canaryConfiguration" in dc and strategy != "CANARY":
        raise refuse("canaryConfiguration is only valid when the deployment strategy is CANARY.")
    linear = dc.get("linearConfiguration") or {}
    if "stepPercent" in linear and not (
        _number_in(linear["stepPercent"], 3.0, 100.0) and _tenths(float(linear["stepPercent"]))
    ):
        raise refuse("linearConfiguration.stepPercent must be a multiple of 0.1 from 3.0 to 100.0.")
    canary = dc.get("canaryConfiguration") or {}
    if "canaryPercent" in canary and not (
        _number_in(canary["canaryPercent"], 0.1, 100.0) and _tenths(float(canary["canaryPercent"]))
    ):
        raise refuse("canaryConfiguration.canaryPercent must be a multiple of 0.1 from 0.1 to 100.0.")
    for name, value in (
        ("bakeTimeInMinutes", dc.get("bakeTimeInMinutes")),
        ("linearConfiguration.stepBakeTimeInMinutes", linear.get("stepBakeTimeInMinutes")),
        ("canaryConfiguration.canaryBakeTimeInMinutes", canary.get("canaryBakeTimeInMinutes")),
    ):
        if value is not None and not (_number_in(value, 0, MAX_BAKE_MINUTES) and float(value).is_integer()):
            raise refuse(f"{name} must be an integer from 0 to {MAX_BAKE_MINUTES}.")
    early = dc.get("earlySuccessCriteria") or {}
    if early.get("enable") and strategy != "ROLLING":
        raise refuse("Early success criteria can only be used with the ROLLING deployment strategy.")
    for hook in dc.get("lifecycleHooks") or []:
        stages = hook.get("lifecycleStages") or []
        if not stages:
            raise refuse("lifecycleStages must be specified for a deployment lifecycle hook.")
        unknown = [s for s in stages if s not in HOOK_STAGES]
        if unknown:
            raise refuse(f"Invalid lifecycle stage '{unknown[0]}'.")
        target = hook.get("targetType", "AWS_LAMBDA")
        if target == "PAUSE":
            bad = [s for s in stages if s in PAUSE_FORBIDDEN_STAGES]
            if bad:
                raise refuse(f"PAUSE hooks cannot be configured at the {bad[0]} stage.")
        elif not hook.get("hookTargetArn"):
            raise refuse("hookTargetArn must be specified for an AWS_LAMBDA lifecycle hook.")


# ---- other fields ------------------------------------------------------------------


def network_configuration(given: dict[str, Any] | None) -> dict[str, Any] | None:
    """networkConfiguration as ECS stores it: assignPublicIp DISABLED when not given."""
    if not given:
        return None
    out = copy.deepcopy(given)
    vpc = out.get("awsvpcConfiguration")
    if isinstance(vpc, dict):
        vpc.setdefault("assignPublicIp", "DISABLED")
    return out


def role_arn(role: str | None, account_id: str, partition: str = "aws") -> str | None:
    """The `role` parameter (a name, a path/name or an ARN) as roleArn."""
    if not role:
        return None
    if role.startswith("arn:"):
        return role
    return f"arn:{partition}:iam::{account_id}:role/{role.lstrip('/')}"


def service_linked_role_arn(account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:{SERVICE_LINKED_ROLE}"


def needs_service_linked_role(
    network_mode: str | None,
    load_balancers: list[dict[str, Any]] | None,
    service_registries: list[dict[str, Any]] | None,
    controller: str,
) -> bool:
    """The services that require ECS's service-linked role (CreateService's `role` doc)."""
    return (
        network_mode == "awsvpc"
        or bool(service_registries)
        or controller == "EXTERNAL"
        or len([lb for lb in load_balancers or [] if lb.get("targetGroupArn")]) > 1
    )


def uses_fargate(launch_type: str | None, capacity_provider_strategy: list[dict[str, Any]] | None) -> bool:
    if capacity_provider_strategy:
        return any(item.get("capacityProvider") in FARGATE_PROVIDERS for item in capacity_provider_strategy)
    return launch_type == "FARGATE"


def validate_create(params: dict[str, Any], network_mode: str | None) -> None:
    """What CreateService refuses beyond moto's own checks (InvalidParameterException)."""
    if params.get("launchType") and params.get("capacityProviderStrategy"):
        raise refuse(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
        )
    launch_type = params.get("launchType") or ("EC2" if not params.get("capacityProviderStrategy") else None)
    if launch_type == "EC2" and params.get("platformVersion"):
        raise refuse("The platform version must be null when specifying an EC2 launch type.")
    controller = controller_type(params.get("deploymentController"))
    if params.get("role") and needs_service_linked_role(
        network_mode, params.get("loadBalancers"), params.get("serviceRegistries"), controller
    ):
        raise refuse("You cannot specify an IAM role for services that require a service linked role.")
    if params.get("deploymentConfiguration") is not None:
        validate_deployment_configuration(
            deployment_configuration(
                params["deploymentConfiguration"], daemon=params.get("schedulingStrategy") == "DAEMON"
            ),
            controller,
        )


def validate_update(params: dict[str, Any], controller: str, launch_type: str | None) -> None:
    """What UpdateService refuses before anything changes (InvalidParameterException):
    fields the service's deployment controller does not let it change, a platformVersion
    for EC2. (Fields UpdateService does not have at all, e.g. launchType,
    schedulingStrategy, role, tags, never get here: the SDKs cannot send them, and moto's
    parser drops members the operation lacks.)"""
    if controller == "CODE_DEPLOY":
        allowed = CODE_DEPLOY_UPDATABLE
        hint = "Use AWS CodeDeploy to trigger a new deployment."
    elif controller == "EXTERNAL":
        allowed = EXTERNAL_UPDATABLE
        hint = "Use a task set (CreateTaskSet) to update the service."
    else:
        allowed = None
    if allowed is not None:
        given = [k for k, v in params.items() if k not in ("cluster", "service") and v is not None]
        bad = [k for k in given if k not in allowed and not (k == "forceNewDeployment" and not params[k])]
        if bad:
            what = "task definition" if bad[0] == "taskDefinition" else bad[0]
            raise refuse(f"Unable to update {what} on services with a {controller} deployment controller. {hint}")
    if params.get("platformVersion") and launch_type == "EC2":
        raise refuse("The platform version must be null when specifying an EC2 launch type.")
