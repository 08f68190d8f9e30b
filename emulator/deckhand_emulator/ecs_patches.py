"""Installs the plugin's patches to moto's ECS models and responses (and, through
other_apis.py and autoscaling.py, to other services' APIs). Target: moto 5.2.5 exactly.

Which ECS behaviour each patch supplies, and why moto needs it, is in the module that
defines it:
- tasks.py: RunTask task lifecycle and task rules (DeckhandTask / DeckhandContainer),
  awslogs output in CloudWatch Logs (TaskLogs), StopTask, DescribeTasks, ListTasks
  filtering.
- deployments.py: DeckhandService: every CreateService / UpdateService field
  (service_config.py), deployments (ROLLING, BLUE_GREEN, LINEAR, CANARY), completion,
  circuit-breaker failure and rollback, service deployments and revisions
  (service_deployments.py), scaling over time, events.
- service_tasks.py: the STOPPED tasks failed deployments leave, with ECS's reasons.
- taskdefs.py: RegisterTaskDefinition / DescribeTaskDefinition as ECS validates, stores
  and describes them (units, defaults ECS adds, network mode, dropped fields, ...).
- backend.py: RunTask resource sums, DescribeServices (10-service limit), CreateService
  (no silent replace), UpdateService.
- responses.py: CreateService, UpdateService, ListTasks, DescribeTasks responses; the
  operations moto lacks: ListServiceDeployments, DescribeServiceDeployments,
  StopServiceDeployment, DescribeServiceRevisions.
- other_apis.py: IAM GetRole, Secrets Manager and CloudWatch Logs details.
- autoscaling.py: Application Auto Scaling on ECS services (ObjectNotFoundException
  without a target, desiredCount clamped into a registered range, deregistering
  deletes the target's policies and scheduled actions).

All lifecycle state is computed lazily from wall-clock timestamps when it is read:
there are no background threads.
"""

from __future__ import annotations

from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses

from . import autoscaling, backend, other_apis, responses, taskdefs, tasks
from .deployments import DeckhandService
from .tasks import DeckhandTask
from .util import add, patch

_applied = False


def apply() -> None:
    """Install the patches (idempotent). Call before the first request."""
    global _applied
    if _applied:
        return
    # Model classes are looked up by name inside moto's backend methods.
    patch(ecs_models, "Task", DeckhandTask)
    patch(ecs_models, "Service", DeckhandService)

    be = ecs_models.EC2ContainerServiceBackend
    patch(be, "_calculate_task_resource_requirements", staticmethod(backend.task_resource_requirements))
    patch(be, "stop_task", tasks.stop_task)
    patch(be, "register_task_definition", taskdefs.register_task_definition)
    patch(be, "_validate_container_defs", staticmethod(taskdefs.container_memory_required))
    patch(be, "describe_tasks", tasks.describe_tasks)
    patch(be, "describe_services", backend.describe_services)
    patch(be, "create_service", backend.create_service)
    patch(be, "update_service", backend.update_service)

    resp = ecs_responses.EC2ContainerServiceResponse
    patch(resp, "register_task_definition", taskdefs.register_task_definition_response)
    patch(resp, "create_service", responses.create_service)
    patch(resp, "update_service", responses.update_service)
    patch(resp, "list_tasks", responses.list_tasks)
    patch(resp, "describe_tasks", responses.describe_tasks)
    add(resp, "list_service_deployments", responses.list_service_deployments)
    add(resp, "describe_service_deployments", responses.describe_service_deployments)
    add(resp, "stop_service_deployment", responses.stop_service_deployment)
    add(resp, "describe_service_revisions", responses.describe_service_revisions)
    other_apis.apply()
    autoscaling.apply()
    _applied = True
