"""Task definitions as ECS registers and describes them (RegisterTaskDefinition,
DescribeTaskDefinition, and the taskDefinition in RegisterTaskDefinition's response:
all three show the same stored object).

Each rule is one function below; its comment names the ECS behaviour. The sources are
the ECS API reference (RegisterTaskDefinition, TaskDefinition, ContainerDefinition,
PortMapping, HealthCheck), real `describe-task-definition` / `register-task-definition`
outputs published in public repositories, and the ECS error messages users report.

Validation on RegisterTaskDefinition (ClientException, ECS's message):
- task_cpu_units / task_memory_mib: task `cpu` is CPU units ("1024") or vCPUs
  ("1 vCPU", ".5 vcpu"); task `memory` is MiB ("2048") or GB ("2 GB", "0.5GB"); units are
  case-insensitive, the space optional. Anything else: "Invalid 'cpu' setting for task."
  / "Invalid 'memory' setting for task.".
- reject_empty_tags: `tags: []` -> "Tags can not be empty.".
- fargate_requires_awsvpc: requiresCompatibilities with FARGATE needs networkMode awsvpc
  (absent included) -> "Fargate only supports network mode ‘awsvpc’.".
- fargate_requires_task_size: ... and task-level cpu and memory -> "Fargate requires that
  'cpu' be defined at the task level." (then 'memory'), in one of Fargate's cpu/memory
  combinations -> "No Fargate configuration exists for given values.".
- fargate_rejects_ipc_mode: "Tasks using the Fargate launch type do not support ipcMode."
  (moto already rejects pidMode other than "task").
- container_memory_required: a container needs `memory` or `memoryReservation` (either is
  enough) unless the task sets `memory` (moto 5.2.5 also demanded `memory` itself on EC2).
(Not checked: a hostPort other than containerPort under awsvpc. ECS has answered "When
networkMode=awsvpc, the host ports and container ports in port mappings must match.", but
a 2024 describe output shows hostPort 80 for containerPort 8000 under awsvpc; such a
mapping is stored and described as registered.)

Stored as registered (moto 5.2.5 drops or rewrites them):
- keep_network_mode_as_registered: networkMode is what was sent; when none was sent it is
  not described at all (ECS's default is bridge, but describe output has no networkMode;
  moto wrote "bridge", and "awsvpc" whenever FARGATE was among the compatibilities).
- keep_dropped_fields: enableFaultInjection and trustedExecutionConfiguration are
  described only when registered; an unset enableFaultInjection is not described as
  false (real 2025/2026 CLI-registered outputs have no such key).
- register_response_tags: RegisterTaskDefinition's response has the `tags` it was given.
  (Volumes, placementConstraints, proxyConfiguration, inferenceAccelerators,
  ephemeralStorage, runtimePlatform, pidMode, ipcMode, roles, tags: moto keeps them.)

Added by ECS, as ECS reports them (only where the field was not registered):
- container_defaults: every container gets `cpu: 0`, `essential: true`,
  `portMappings: []`, `environment: []`, `mountPoints: []`, `volumesFrom: []` (moto
  already did these) and `systemControls: []` (current ECS). Nothing else is filled
  (no ulimits/environmentFiles/secrets: ECS reports those only when registered; the
  console sends them, the API does not add them).
- port_mapping_defaults: `protocol: "tcp"`; `hostPort` = containerPort under awsvpc and
  host; `hostPort: 0` (dynamic port) under bridge, also when networkMode is absent.
  Mappings with only containerPortRange get no hostPort.
- health_check_defaults: healthCheck gets `interval: 30`, `timeout: 5`, `retries: 3`;
  `startPeriod` stays absent.
- task_cpu_units / task_memory_mib: task cpu/memory given with units are described as
  numbers in strings ("1 vCPU" -> "1024", ".5 vCPU" -> "512", "2 GB" -> "2048",
  ".5 GB" -> "512"); plain numbers stay as given.
- compatibilities: what the task definition is valid for, whatever requiresCompatibilities
  says: awsvpc with a Fargate cpu/memory size -> ["EC2", "FARGATE", "MANAGED_INSTANCES"];
  other awsvpc, or Service Connect port mappings (appProtocol/name) -> ["EC2"]; else
  ["EXTERNAL", "EC2"] (ECS Anywhere runs bridge/host/none).
- registration_stamp: `registeredAt` (now) and `registeredBy` (the caller's ARN, as
  this emulator's STS GetCallerIdentity answers for the access key).

Not simulated: requiresAttributes (ECS derives them from many fields), deregisteredAt,
defaults inside volumes (moto's efsVolumeConfiguration.rootDirectory "/" is kept), and
most other field validation (ranges, names, Windows rules).
"""

from __future__ import annotations

import re
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import EcsClientException, TaskDefinitionMemoryError, TaskDefinitionMissingPropertyError
from moto.utilities.utils import get_partition

from .state import STATE
from .util import container_defs, set_fields, utc

Backend = ecs_models.EC2ContainerServiceBackend
Response = ecs_responses.EC2ContainerServiceResponse

# moto's implementation, wrapped below (captured before apply() replaces it).
_orig_register_task_definition = Backend.register_task_definition

# RegisterTaskDefinition request member -> backend keyword (moto's names, plus the two
# fields moto 5.2.5 does not read).
REGISTER_PARAMS = {
    "family": "family",
    "containerDefinitions": "container_definitions",
    "volumes": "volumes",
    "tags": "tags",
    "networkMode": "network_mode",
    "placementConstraints": "placement_constraints",
    "requiresCompatibilities": "requires_compatibilities",
    "cpu": "cpu",
    "memory": "memory",
    "taskRoleArn": "task_role_arn",
    "executionRoleArn": "execution_role_arn",
    "proxyConfiguration": "proxy_configuration",
    "inferenceAccelerators": "inference_accelerators",
    "runtimePlatform": "runtime_platform",
    "ipcMode": "ipc_mode",
    "pidMode": "pid_mode",
    "ephemeralStorage": "ephemeral_storage",
    "enableFaultInjection": "enable_fault_injection",
    "trustedExecutionConfiguration": "trusted_execution_configuration",
}

# Fargate's task sizes: cpu units -> allowed memory (MiB). ECS API reference,
# RegisterTaskDefinition `memory`/`cpu`.
FARGATE_SIZES: dict[int, range | tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: range(1024, 4096 + 1, 1024),
    1024: range(2048, 8192 + 1, 1024),
    2048: range(4096, 16384 + 1, 1024),
    4096: range(8192, 30720 + 1, 1024),
    8192: range(16384, 61440 + 1, 4096),
    16384: range(32768, 122880 + 1, 8192),
}

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)


# ---- validation ---------------------------------------------------------------


def _task_size(value: str | None, field: str, unit: str, per_unit: int) -> str | None:
    if value is None:
        return None
    match = _SIZE_RE.match(str(value))
    if not match or match.group(2).lower() not in ("", unit):
        raise EcsClientException(f"Invalid '{field}' setting for task.")
    number_text, suffix = match.group(1), match.group(2)
    if not suffix:
        if "." in number_text:
            raise EcsClientException(f"Invalid '{field}' setting for task.")
        return str(value).strip()  # a plain number stays as given
    amount = float(number_text) * per_unit
    if amount != int(amount) or amount <= 0:
        raise EcsClientException(f"Invalid '{field}' setting for task.")
    return str(int(amount))


def task_cpu_units(cpu: str | None) -> str | None:
    """ECS: task cpu is an integer of CPU units or a string of vCPUs ("1 vCPU", "1 vcpu"),
    converted to CPU units when registered ("1 vCPU" -> "1024", ".5 vCPU" -> "512")."""
    return _task_size(cpu, "cpu", "vcpu", 1024)


def task_memory_mib(memory: str | None) -> str | None:
    """ECS: task memory is an integer of MiB or a string of GB ("1GB", "1 GB"), converted
    to MiB when registered ("2 GB" -> "2048", ".5 GB" -> "512")."""
    return _task_size(memory, "memory", "gb", 1024)


def reject_empty_tags(tags: list[dict[str, str]] | None) -> None:
    """ECS: an empty tags list is a ClientException ("Tags can not be empty.")."""
    if tags is not None and len(tags) == 0:
        raise EcsClientException("Tags can not be empty.")


def _is_fargate(requires_compatibilities: list[str] | None) -> bool:
    return "FARGATE" in (requires_compatibilities or [])


def fargate_requires_awsvpc(requires_compatibilities: list[str] | None, network_mode: str | None) -> None:
    """ECS: Fargate task definitions must use networkMode awsvpc; any other mode, or none,
    is a ClientException (moto 5.2.5 silently switched them to awsvpc)."""
    if _is_fargate(requires_compatibilities) and network_mode != "awsvpc":
        raise EcsClientException("Fargate only supports network mode ‘awsvpc’.")


def fargate_requires_task_size(requires_compatibilities: list[str] | None, cpu: str | None, memory: str | None) -> None:
    """ECS: Fargate task definitions need task-level cpu and memory, in one of Fargate's
    cpu/memory combinations."""
    if not _is_fargate(requires_compatibilities):
        return
    if cpu is None:
        raise EcsClientException("Fargate requires that 'cpu' be defined at the task level.")
    if memory is None:
        raise EcsClientException("Fargate requires that 'memory' be defined at the task level.")
    allowed = FARGATE_SIZES.get(int(cpu))
    mem = int(memory)
    if allowed is None or mem not in allowed:
        raise EcsClientException("No Fargate configuration exists for given values.")


def fargate_rejects_ipc_mode(requires_compatibilities: list[str] | None, ipc_mode: str | None) -> None:
    """ECS: Fargate tasks have no ipcMode (moto 5.2.5 accepts it)."""
    if _is_fargate(requires_compatibilities) and ipc_mode is not None:
        raise EcsClientException("Tasks using the Fargate launch type do not support ipcMode.")


def container_memory_required(
    memory: str | None, container_definitions: list[dict[str, Any]], requires_compatibilities: list[str] | None
) -> None:
    """ECS: every container needs a name and an image, and `memory` or `memoryReservation`
    (either is enough) unless the task sets `memory`. moto 5.2.5 demanded `memory` itself
    for EC2 task definitions. (Replaces moto's `_validate_container_defs`; the capitalised
    keys are CloudFormation's.)"""
    for cd in container_definitions:
        if "name" not in cd and "Name" not in cd:
            raise TaskDefinitionMissingPropertyError("name")
        if "image" not in cd and "Image" not in cd:
            raise TaskDefinitionMissingPropertyError("image")
        if memory:
            continue
        if not any(cd.get(k) for k in ("memory", "Memory", "memoryReservation", "MemoryReservation")):
            raise TaskDefinitionMemoryError(str(cd.get("name") or cd.get("Name")))


# ---- what is stored and described ---------------------------------------------


def keep_network_mode_as_registered(td: ecs_models.TaskDefinition, network_mode: str | None) -> None:
    """ECS: networkMode is described as registered, and not at all when none was sent
    (moto 5.2.5 writes "bridge", or "awsvpc" whenever FARGATE is a compatibility)."""
    td.network_mode = network_mode


def keep_dropped_fields(
    td: ecs_models.TaskDefinition,
    enable_fault_injection: bool | None,
    trusted_execution_configuration: dict[str, Any] | None,
) -> None:
    """ECS: enableFaultInjection and trustedExecutionConfiguration are stored and described
    when registered (moto 5.2.5 drops them); unset, they are not described."""
    set_fields(
        td,
        enable_fault_injection=enable_fault_injection,
        trusted_execution_configuration=trusted_execution_configuration,
    )


def container_defaults(cd: dict[str, Any]) -> None:
    """ECS: containers registered without them are described with `cpu: 0`,
    `essential: true`, `portMappings: []`, `environment: []`, `mountPoints: []`,
    `volumesFrom: []` (moto 5.2.5 adds these) and `systemControls: []` (moto does not)."""
    for key, default in (
        ("cpu", 0),
        ("essential", True),
        ("portMappings", []),
        ("environment", []),
        ("mountPoints", []),
        ("volumesFrom", []),
        ("systemControls", []),
    ):
        if key not in cd:
            cd[key] = default.copy() if isinstance(default, list) else default


def port_mapping_defaults(cd: dict[str, Any], network_mode: str | None) -> None:
    """ECS: a port mapping's protocol defaults to "tcp"; an omitted hostPort is described
    as containerPort under awsvpc and host, and as 0 (a dynamic host port) under bridge,
    ECS's default mode. moto 5.2.5 leaves both out."""
    for pm in cd.get("portMappings") or []:
        pm.setdefault("protocol", "tcp")
        if "hostPort" in pm or "containerPort" not in pm:
            continue
        if network_mode in ("awsvpc", "host"):
            pm["hostPort"] = pm["containerPort"]
        elif network_mode in (None, "bridge"):
            pm["hostPort"] = 0


def health_check_defaults(cd: dict[str, Any]) -> None:
    """ECS: a healthCheck is described with interval 30, timeout 5 and retries 3 when they
    were not registered; startPeriod is not filled. moto 5.2.5 fills none."""
    hc = cd.get("healthCheck")
    if isinstance(hc, dict):
        hc.setdefault("interval", 30)
        hc.setdefault("timeout", 5)
        hc.setdefault("retries", 3)


def _fits_fargate(td: ecs_models.TaskDefinition) -> bool:
    if td.network_mode != "awsvpc" or td.cpu is None or td.memory is None:
        return False
    allowed = FARGATE_SIZES.get(int(td.cpu))
    return allowed is not None and int(td.memory) in allowed


def compatibilities(td: ecs_models.TaskDefinition) -> list[str]:
    """ECS: the launch types the task definition is valid for, whatever
    requiresCompatibilities says: always EC2; FARGATE (and, on current ECS,
    MANAGED_INSTANCES) when it uses awsvpc with a Fargate cpu/memory size; EXTERNAL
    (listed first) when it does not use awsvpc and has no Service Connect port mappings
    (appProtocol/name), which ECS Anywhere does not run. moto 5.2.5 reports ["EC2"], or
    ["EC2", "FARGATE"] when FARGATE was required."""
    if _fits_fargate(td):
        return ["EC2", "FARGATE", "MANAGED_INSTANCES"]
    service_connect = any(
        "appProtocol" in pm or "name" in pm for cd in container_defs(td) for pm in cd.get("portMappings") or []
    )
    if td.network_mode == "awsvpc" or service_connect:
        return ["EC2"]
    return ["EXTERNAL", "EC2"]


def registration_stamp(backend: Backend, td: ecs_models.TaskDefinition) -> None:
    """ECS: a task definition reports when (`registeredAt`) and by whom (`registeredBy`, the
    caller's principal ARN) it was registered; moto 5.2.5 reports neither. The principal
    is what this emulator's STS GetCallerIdentity answers for the request's access key."""
    set_fields(td, registered_at=utc(time.time()), registered_by=_caller_arn(backend))


def _caller_arn(backend: Backend) -> str:
    from moto.sts.models import sts_backends

    partition = get_partition(backend.region_name)
    try:
        sts = sts_backends[backend.account_id][partition]
        _, arn, _ = sts.get_caller_identity(STATE.current_access_key or "", backend.region_name)
        return arn
    except Exception:  # an identity is not worth failing a registration for
        return f"arn:{partition}:iam::{backend.account_id}:root"


# ---- patched methods ------------------------------------------------------------


def register_task_definition(
    self: Backend,
    family: str,
    container_definitions: list[dict[str, Any]],
    enable_fault_injection: bool | None = None,
    trusted_execution_configuration: dict[str, Any] | None = None,
    **kwargs: Any,
) -> ecs_models.TaskDefinition:
    """RegisterTaskDefinition with ECS's validation, storage and additions (module doc)."""
    requires = kwargs.get("requires_compatibilities")
    network_mode = kwargs.get("network_mode")
    kwargs["cpu"] = task_cpu_units(kwargs.get("cpu"))
    kwargs["memory"] = task_memory_mib(kwargs.get("memory"))
    reject_empty_tags(kwargs.get("tags"))
    fargate_requires_awsvpc(requires, network_mode)
    fargate_requires_task_size(requires, kwargs["cpu"], kwargs["memory"])
    fargate_rejects_ipc_mode(requires, kwargs.get("ipc_mode"))

    td = _orig_register_task_definition(self, family, container_definitions, **kwargs)

    keep_network_mode_as_registered(td, network_mode)
    keep_dropped_fields(td, enable_fault_injection, trusted_execution_configuration)
    for cd in container_defs(td):
        container_defaults(cd)
        port_mapping_defaults(cd, network_mode)
        health_check_defaults(cd)
    td.compatibilities = compatibilities(td)
    registration_stamp(self, td)
    return td


def register_task_definition_response(self: Response) -> ActionResult:
    """RegisterTaskDefinition: every request member reaches the backend (moto 5.2.5 reads
    neither enableFaultInjection nor trustedExecutionConfiguration), and the response has
    the registered `tags`, as ECS's does."""
    params = self._get_params()
    kwargs = {name: params[member] for member, name in REGISTER_PARAMS.items() if member in params}
    td = self.ecs_backend.register_task_definition(**kwargs)
    return ActionResult(register_response_tags({"taskDefinition": td}, td))


def register_response_tags(result: dict[str, Any], td: ecs_models.TaskDefinition) -> dict[str, Any]:
    """ECS: RegisterTaskDefinition answers with the task definition's tags when it has any
    (moto 5.2.5 leaves them out)."""
    if td.tags:
        result["tags"] = td.tags
    return result
