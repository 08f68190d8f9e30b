"""Response-method overrides and additions (request parameters -> backend -> result).

ECS behaviour supplied, and why moto 5.2.5 needs it:
- CreateService: refuses what ECS refuses (service_config.validate_create), stores every
  field with ECS's defaults (deployments.DeckhandService.dh_configure; moto drops many),
  makes the creation's deployment and service deployment; a repeated clientToken returns
  the service it created.
- UpdateService: parameter names converted with botocore's xform_name and handed to
  backend.update_service.
- ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment,
  DescribeServiceRevisions: moto 5.2.5 has none of them (service_deployments.py).
- ListTasks: ECS's filters and default desiredStatus RUNNING (tasks.list_tasks_filtered).
- DescribeTasks: failures[] with reason MISSING for unknown tasks (moto returns none).
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
import time
from typing import Any, cast

from botocore import xform_name
from moto.core.responses import ActionResult
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import ECSException, InvalidParameterException, ServiceNotFoundException

from . import backend as backend_mod
from . import service_config as sc
from .deployments import DeckhandService
from .service_deployments import arn_parts
from .tasks import list_tasks_filtered

Response = ecs_responses.EC2ContainerServiceResponse

# moto's implementation, wrapped below (captured before apply() replaces it).
_orig_create_service = Response.create_service

MAX_DESCRIBE_SERVICE_DEPLOYMENTS = 20
MAX_DESCRIBE_SERVICE_REVISIONS = 20
DEFAULT_LIST_RESULTS = 20
MAX_LIST_RESULTS = 100
# ListServiceDeployments' createdAt filter must be within the last 3 months.
CREATED_AT_WINDOW_SECONDS = 90 * 24 * 3600
VALID_STATUSES = (
    "PENDING",
    "SUCCESSFUL",
    "STOPPED",
    "STOP_REQUESTED",
    "IN_PROGRESS",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_SUCCESSFUL",
    "ROLLBACK_FAILED",
)


def create_service(self: Response) -> ActionResult:
    """CreateService with every field stored (see the module docstring)."""
    params = self._get_params()
    cluster_str = str(params.get("cluster") or "default")
    name = str(params.get("serviceName") or "")
    repeated = backend_mod.same_client_token(self.ecs_backend, cluster_str, name, params.get("clientToken"))
    if repeated is not None:
        return ActionResult({"service": repeated})
    network_mode = None
    if params.get("taskDefinition"):
        network_mode = self.ecs_backend.describe_task_definition(params["taskDefinition"]).network_mode
    sc.validate_create(params, network_mode)
    result = _orig_create_service(self)
    service = cast(DeckhandService, self.ecs_backend._get_service(cluster_str, name))
    service.dh_configure(params, network_mode)
    service.dh_finish_create()
    cluster = self.ecs_backend._get_cluster(cluster_str)
    self.ecs_backend.update_cluster_resources(cluster, service.running_count, task_state="RUNNING")
    return result


class _ServiceAsUpdated:
    """UpdateService's `service`: the service after the call, but with the
    currentServiceDeployment it had before. ECS makes the new service deployment after
    answering (aws/containers-roadmap#2709: UpdateService gives no usable deployment
    ARN); clients find it with DescribeServices or ListServiceDeployments."""

    def __init__(self, service: DeckhandService, current_service_deployment: str | None):
        self._service = service
        self.current_service_deployment = current_service_deployment

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)


def update_service(self: Response) -> ActionResult:
    """UpdateService: parameter names converted with botocore's xform_name."""
    params = self._get_params()
    props = {xform_name(k): v for k, v in params.items()}
    before = backend_mod.find_service(
        self.ecs_backend,
        str(params.get("cluster") or "default").split("/")[-1],
        str(params.get("service") or "").split("/")[-1],
    )
    current = before.current_service_deployment if before is not None else None
    service = cast(DeckhandService, self.ecs_backend.update_service(props))
    return ActionResult({"service": _ServiceAsUpdated(service, current)})


# ---- service deployments ------------------------------------------------------------


def _epoch(value: Any) -> float | None:
    """A timestamp parameter (epoch seconds, as the SDKs send them, or ISO 8601)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        parsed = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameterException(f"Invalid timestamp '{value}'.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.UTC)
    return parsed.timestamp()


def _wire_ms(epoch: float) -> int:
    """A stored time as the clients see it: epoch milliseconds (the serializer truncates)."""
    return math.floor(epoch * 1000)


def _int_param(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterException(f"{name} must be an integer.")
    return value


def list_service_deployments(self: Response) -> ActionResult:
    """ListServiceDeployments: the service's deployments, newest first, filtered by
    status and createdAt (within the last 3 months), paginated (maxResults 1..100,
    default 20)."""
    params = self._get_params()
    cluster = self.ecs_backend._get_cluster(params.get("cluster") or "default")
    service_str = params.get("service")
    if not service_str:
        raise InvalidParameterException("service must be specified.")
    service = backend_mod.find_service(self.ecs_backend, cluster.name, str(service_str).split("/")[-1])
    if service is None:
        raise ServiceNotFoundException()
    now = time.time()
    statuses = params.get("status") or []
    bad = [s for s in statuses if s not in VALID_STATUSES]
    if bad:
        raise InvalidParameterException(f"Invalid service deployment status '{bad[0]}'.")
    created = params.get("createdAt") or {}
    before, after = _epoch(created.get("before")), _epoch(created.get("after"))
    for value in (before, after):
        if value is not None and value < now - CREATED_AT_WINDOW_SECONDS:
            raise InvalidParameterException("Before and After time filter must be within the last 3 months")
    max_results = DEFAULT_LIST_RESULTS
    if params.get("maxResults") is not None:
        max_results = _int_param(params["maxResults"], "maxResults")
        if not 1 <= max_results <= MAX_LIST_RESULTS:
            raise InvalidParameterException("maxResults must be between 1 and 100.")
    start = 0
    if params.get("nextToken"):
        try:
            start = int(base64.urlsafe_b64decode(str(params["nextToken"]).encode()).decode())
        except ValueError:
            raise InvalidParameterException("Invalid nextToken.") from None
    matching = [
        sd
        for sd in service.dh_service_deployments()
        if (not statuses or sd.status_at(now) in statuses)
        and (before is None or _wire_ms(sd.created_at) < round(before * 1000))
        and (after is None or _wire_ms(sd.created_at) > round(after * 1000))
    ]
    page = matching[start : start + max_results]
    out: dict[str, Any] = {"serviceDeployments": [sd.brief(now) for sd in page]}
    if start + max_results < len(matching):
        out["nextToken"] = base64.urlsafe_b64encode(str(start + max_results).encode()).decode()
    return ActionResult(out)


def describe_service_deployments(self: Response) -> ActionResult:
    """DescribeServiceDeployments: at most 20 ARNs, in request order; unknown ones in
    failures[] with reason MISSING."""
    arns = self._get_param("serviceDeploymentArns") or []
    if not arns:
        raise InvalidParameterException("serviceDeploymentArns must contain at least one ARN.")
    if len(arns) > MAX_DESCRIBE_SERVICE_DEPLOYMENTS:
        raise InvalidParameterException("serviceDeploymentArns cannot have more than 20 elements.")
    now = time.time()
    found, failures = [], []
    for arn in arns:
        hit = backend_mod.find_service_deployment(self.ecs_backend, arn)
        if hit is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        service, sd = hit
        found.append(sd.to_ecs(now, service.dh_deployments()))
    return ActionResult({"serviceDeployments": found, "failures": failures})


def stop_service_deployment(self: Response) -> ActionResult:
    """StopServiceDeployment (stopType ROLLBACK, the default): a PENDING / IN_PROGRESS
    deployment rolls back; one already stopping or rolling back goes on; a finished one
    is a ConflictException."""
    arn = self._get_param("serviceDeploymentArn")
    stop_type = self._get_param("stopType") or "ROLLBACK"
    if stop_type != "ROLLBACK":
        raise InvalidParameterException(f"stopType {stop_type} is not supported; the valid value is ROLLBACK.")
    hit = backend_mod.find_service_deployment(self.ecs_backend, arn or "")
    if hit is None:
        raise ECSException("ServiceDeploymentNotFoundException", "The service deployment was not found.")
    service, sd = hit
    if not service.dh_stop_service_deployment(sd):
        status = sd.status_at(time.time())
        raise ECSException(
            "ConflictException",
            f"The service deployment is {status} and can no longer be stopped.",
        )
    return ActionResult({"serviceDeploymentArn": sd.arn})


def describe_service_revisions(self: Response) -> ActionResult:
    """DescribeServiceRevisions: at most 20 ARNs; unknown ones in failures[] (MISSING)."""
    arns = self._get_param("serviceRevisionArns") or []
    if not arns:
        raise InvalidParameterException("serviceRevisionArns must contain at least one ARN.")
    if len(arns) > MAX_DESCRIBE_SERVICE_REVISIONS:
        raise InvalidParameterException("serviceRevisionArns cannot have more than 20 elements.")
    found, failures = [], []
    for arn in arns:
        parts = arn_parts(arn, "service-revision")
        service = backend_mod.find_service(self.ecs_backend, *parts) if parts else None
        revision = service.dh_revision(arn) if service is not None else None
        if revision is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(revision.to_ecs())
    return ActionResult({"serviceRevisions": found, "failures": failures})


# ---- tasks ----------------------------------------------------------------------------


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
