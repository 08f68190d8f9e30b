"""Backend method overrides for RunTask resource sums and services.

ECS behaviour supplied, and why moto 5.2.5 needs it:
- RunTask resource sums tolerate containers without cpu/memory when the task sets them
  (common for Fargate; moto adds None and answers 500), and do not reserve dynamic host
  ports (`hostPort: 0`, bridge mode), which ECS assigns from the ephemeral range.
- DescribeServices takes at most 10 services (moto has no limit).
- CreateService on a name whose service is still ACTIVE fails (moto replaces it).
- UpdateService starts a deployment for a new task definition, forceNewDeployment or a
  new networkConfiguration, and scales over time for desiredCount alone (moto swaps
  the deployment at once); see deployments.py.
RegisterTaskDefinition / DescribeTaskDefinition: see taskdefs.py.
"""

from __future__ import annotations

from typing import Any, cast

from moto.ecs import models as ecs_models
from moto.ecs.exceptions import EcsClientException, ECSException, InvalidParameterException

from .deployments import DeckhandService
from .util import container_defs, deep_merge

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


def update_service(self: Backend, props: dict[str, Any]) -> DeckhandService:
    """UpdateService with deployments: a different task definition (resolved to its
    ARN), forceNewDeployment or a new networkConfiguration starts a deployment;
    desiredCount alone scales over time. Other fields are stored as given."""
    props = dict(props)
    cluster_str = props.pop("cluster", None) or "default"
    service_str = props.pop("service")
    td_str = props.pop("task_definition", None)
    force = bool(props.pop("force_new_deployment", False))
    desired = props.pop("desired_count", None)
    dep_conf = props.pop("deployment_configuration", None)
    net_conf = props.pop("network_configuration", None)

    cluster = self._get_cluster(cluster_str)
    service = cast(DeckhandService, self._get_service(cluster_str, service_str.split("/")[-1]))
    if service.status != "ACTIVE":
        raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")

    new_td_arn = None
    if td_str:
        td = self.describe_task_definition(td_str)
        if td.status != "ACTIVE":
            raise EcsClientException(f"TaskDefinition is inactive ({td.arn}).")
        new_td_arn = td.arn
    if dep_conf is not None:
        service.deployment_configuration = deep_merge(service.deployment_configuration, dep_conf)
    network_changed = False
    if net_conf is not None:
        net_conf = service._validate_network(net_conf)
        network_changed = net_conf != service.network_configuration
        service.network_configuration = net_conf
    for key, value in props.items():
        if value is not None:
            setattr(service, key, value)

    if desired is not None:
        service.desired_count = int(desired)
    if (new_td_arn and new_td_arn != service.task_definition) or force or network_changed:
        service.dh_start_deployment(new_td_arn or service.task_definition)
    elif desired is not None:
        service.dh_scale(int(desired))
    self.update_cluster_resources(cluster, 0)
    return service
