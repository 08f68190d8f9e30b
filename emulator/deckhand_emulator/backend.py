"""Backend method overrides for RunTask resource sums and services.

ECS behaviour supplied, and why moto 5.2.5 needs it:
- RunTask resource sums tolerate containers without cpu/memory when the task sets them
  (common for Fargate; moto adds None and answers 500), and do not reserve dynamic host
  ports (`hostPort: 0`, bridge mode), which ECS assigns from the ephemeral range.
- DescribeServices takes at most 10 services (moto has no limit).
- CreateService on a name whose service is still ACTIVE fails (moto replaces it),
  unless it repeats that service's clientToken (ECS's idempotency: the same service).
- UpdateService refuses what it cannot change (service_config.validate_update), applies
  every field it has, starts one deployment when a field that triggers one changed
  (or forceNewDeployment) and scales over time for desiredCount alone (moto swaps the
  deployment at once); see deployments.py.
- The services' deployments for the service-deployment operations (responses.py).
RegisterTaskDefinition / DescribeTaskDefinition: see taskdefs.py.
"""

from __future__ import annotations

from typing import Any, cast

from botocore import xform_name
from moto.ecs import models as ecs_models
from moto.ecs.exceptions import ECSException, InvalidParameterException

from . import service_config as sc
from .deployments import DeckhandService
from .service_deployments import ServiceDeployment, arn_parts
from .util import container_defs

Backend = ecs_models.EC2ContainerServiceBackend

# moto's implementations, wrapped below (captured before apply() replaces them).
_orig_describe_services = Backend.describe_services
_orig_create_service = Backend.create_service

MAX_DESCRIBE_SERVICES = 10


def task_resource_requirements(task_definition: ecs_models.TaskDefinition) -> dict[str, Any]:
    """RunTask resource sums that tolerate containers without memory/cpu (common for
    Fargate, where only the task-level cpu/memory are set; moto 5.2.5 adds None -> 500)
    and leave dynamic host ports (hostPort 0) unreserved."""
    cpu = memory = 0
    ports: list[Any] = []
    for cd in container_defs(task_definition):
        cpu += int(cd.get("cpu", cd.get("Cpu", 0)) or 0)
        memory += int(
            cd.get("memory") or cd.get("Memory") or cd.get("memoryReservation") or cd.get("MemoryReservation") or 0
        )
        for mapping in cd.get("portMappings", cd.get("PortMappings", [])) or []:
            port = mapping.get("hostPort", mapping.get("HostPort"))
            if port:  # 0 = a dynamic host port: not reserved
                ports.append(port)
    if memory == 0 and task_definition.memory:
        memory = int(task_definition.memory)
    if cpu == 0 and task_definition.cpu:
        cpu = int(task_definition.cpu)
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": []}


def describe_services(self: Backend, cluster_str: str, service_names_or_arns: list[str]) -> Any:
    """DescribeServices takes at most 10 services, as in ECS (moto has no limit)."""
    if len(service_names_or_arns or []) > MAX_DESCRIBE_SERVICES:
        raise InvalidParameterException("Services cannot have more than 10 elements.")
    return _orig_describe_services(self, cluster_str, service_names_or_arns)


def create_service(self: Backend, cluster_str: str, service_name: str, *args: Any, **kwargs: Any) -> Any:
    """CreateService on a name whose service is still ACTIVE fails as in ECS (moto
    silently replaces it)."""
    cluster = self._get_cluster(cluster_str)
    existing = self.services.get(f"{cluster.name}:{service_name}")
    if existing is not None and existing.status == "ACTIVE":
        raise InvalidParameterException("Creation of service was not idempotent.")
    return _orig_create_service(self, cluster_str, service_name, *args, **kwargs)


def same_client_token(self: Backend, cluster_str: str, service_name: str, token: str | None) -> DeckhandService | None:
    """The ACTIVE service a repeated CreateService (same clientToken) refers to."""
    if not token:
        return None
    cluster = self._get_cluster(cluster_str)
    existing = self.services.get(f"{cluster.name}:{service_name}")
    if isinstance(existing, DeckhandService) and existing.status == "ACTIVE" and existing.client_token == token:
        return existing
    return None


# snake_case (as moto's responses hand the parameters over) -> the API's names.
_API_NAMES = {xform_name(name): name for name in sc.CREATE_SERVICE_FIELDS | sc.UPDATE_SERVICE_FIELDS}


def update_service(self: Backend, props: dict[str, Any]) -> DeckhandService:
    """UpdateService as ECS does it (service_config.py, deployments.py): refuses what it
    cannot change, applies every field, starts one deployment when one is due."""
    params = {_API_NAMES.get(k, k): v for k, v in props.items()}
    cluster_str = params.pop("cluster", None) or "default"
    service_str = params.pop("service")
    cluster = self._get_cluster(cluster_str)
    service = cast(DeckhandService, self._get_service(cluster_str, service_str.split("/")[-1]))
    if service.status != "ACTIVE":
        raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")
    sc.validate_update(params, sc.controller_type(service.deployment_controller), service.launch_type)
    service.dh_update(params)
    self.update_cluster_resources(cluster, 0)
    return service


def find_service(self: Backend, cluster_name: str, service_name: str) -> DeckhandService | None:
    """An ACTIVE service by cluster and service name (no error when missing)."""
    service = self.services.get(f"{cluster_name}:{service_name}")
    if isinstance(service, DeckhandService) and service.status == "ACTIVE":
        return service
    return None


def find_service_deployment(self: Backend, arn: str) -> tuple[DeckhandService, ServiceDeployment] | None:
    """A service deployment by ARN (in this region's backend). A deleted service's
    deployments are gone, as in ECS."""
    parts = arn_parts(arn, "service-deployment")
    if parts is None:
        return None
    service = find_service(self, *parts)
    if service is None:
        return None
    sd = next((d for d in service.dh_service_deployments() if d.arn == arn), None)
    return (service, sd) if sd is not None else None
