"""Response-method overrides (request parameters -> backend -> result).

ECS behaviour supplied, and why moto 5.2.5 needs it:
- CreateService: stores deploymentConfiguration (ECS's defaults filled in) and the
  other fields moto accepts but drops (capacityProviderStrategy, placement*, ...).
- UpdateService: parameter names converted with botocore's xform_name (the conversion
  CreateService uses for the fields it stores) and handed to backend.update_service,
  which stores them on the service as given.
- ListTasks: ECS's filters and default desiredStatus RUNNING (tasks.list_tasks_filtered).
- DescribeTasks: failures[] with reason MISSING for unknown tasks (moto returns none).
"""

from __future__ import annotations

from typing import cast

from botocore import xform_name
from moto.core.responses import ActionResult
from moto.ecs import responses as ecs_responses

from .deployments import DEFAULT_DEPLOYMENT_CONFIGURATION, DeckhandService
from .tasks import list_tasks_filtered
from .util import deep_merge

Response = ecs_responses.EC2ContainerServiceResponse

# moto's implementation, wrapped below (captured before apply() replaces it).
_orig_create_service = Response.create_service

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


def create_service(self: Response) -> ActionResult:
    """CreateService: keep deploymentConfiguration (with ECS's defaults filled in) and
    the other fields moto 5.2.5 drops."""
    result = _orig_create_service(self)
    service = cast(
        DeckhandService,
        self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName")),
    )
    given = self._get_param("deploymentConfiguration")
    service.deployment_configuration = deep_merge(DEFAULT_DEPLOYMENT_CONFIGURATION, given or {})
    for field in CREATE_SERVICE_DROPPED_FIELDS:
        value = self._get_param(field)
        if value is not None:
            setattr(service, xform_name(field), value)
    if self._get_param("capacityProviderStrategy"):
        service.dh_use_capacity_provider_strategy(self._get_param("capacityProviderStrategy"))
    return result


def update_service(self: Response) -> ActionResult:
    """UpdateService: parameter names converted with botocore's xform_name."""
    props = {xform_name(k): v for k, v in self._get_params().items()}
    return ActionResult({"service": self.ecs_backend.update_service(props)})


def list_tasks(self: Response) -> ActionResult:
    """ListTasks with ECS's filters (see tasks.list_tasks_filtered)."""
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


def describe_tasks(self: Response) -> ActionResult:
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
