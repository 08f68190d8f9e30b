"""Seed an environment through the real ECS/EC2 APIs (boto3 against the emulator).

Used by `POST /_deckhand/seed` (endpoint = the server itself) and by
`emulator/seed.py --endpoint URL < state.json`. Calls are signed with the access key
SEED_ACCESS_KEY, which the emulator neither logs nor faults.

Input:
  {"region": "us-east-1", "cluster": "shop-staging",
   "clusterTags": {"k": "v"},
   "network": true,
   "taskDefinitions": [ {RegisterTaskDefinition input}, ... ],        (optional)
   "services": [
     {"name": "web",
      "taskDefinition": {RegisterTaskDefinition input} | "existing-arn-or-family:rev",
      "desiredCount": 2, "launchType": "FARGATE",
      "deploymentConfiguration": {...}, "tags": {"k": "v"},
      ...any other CreateService parameter, passed through as given...}]}
Output:
  {"cluster": arn, "vpc": id|null, "subnets": [...], "securityGroups": [...],
   "taskDefinitions": {family: arn}, "services": {name: {"serviceArn", "taskDefinitionArn"}}}
"""

from __future__ import annotations

import uuid
from typing import Any

from . import SEED_ACCESS_KEY


class SeedError(Exception):
    pass


def _tags(value: Any, what: str) -> list[dict[str, str]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [{"key": str(k), "value": str(v)} for k, v in value.items()]
    if isinstance(value, list):
        return value  # already [{"key":..., "value":...}]
    raise SeedError(f"{what} must be an object of key -> value")


def _clients(endpoint: str, region: str) -> tuple[Any, Any]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=SEED_ACCESS_KEY,
        aws_secret_access_key="deckhand-seed-secret",
        region_name=region,
    )
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    return (
        session.client("ecs", endpoint_url=endpoint, config=config),
        session.client("ec2", endpoint_url=endpoint, config=config),
    )


def seed(state: dict[str, Any], endpoint: str) -> dict[str, Any]:
    if not isinstance(state, dict):
        raise SeedError("seed input must be a JSON object")
    cluster_name = state.get("cluster")
    if not isinstance(cluster_name, str) or not cluster_name:
        raise SeedError("cluster (a name) is required")
    region = state.get("region") or "us-east-1"
    services = state.get("services") or []
    if not isinstance(services, list):
        raise SeedError("services must be a list")

    from botocore.exceptions import ClientError, ParamValidationError

    ecs, ec2 = _clients(endpoint, region)
    try:
        cluster = ecs.create_cluster(
            clusterName=cluster_name, tags=_tags(state.get("clusterTags"), "clusterTags")
        )["cluster"]

        result: dict[str, Any] = {
            "cluster": cluster["clusterArn"],
            "vpc": None,
            "subnets": [],
            "securityGroups": [],
            "taskDefinitions": {},
            "services": {},
        }

        if state.get("network"):
            vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            # RunTask with awsvpc fails in moto unless DNS hostnames are on.
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
            subnet_id = ec2.create_subnet(
                VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{region}a"
            )["Subnet"]["SubnetId"]
            sg_id = ec2.create_security_group(
                GroupName=f"{cluster_name}-{uuid.uuid4().hex[:8]}",
                Description=f"deckhand emulator seed for {cluster_name}",
                VpcId=vpc_id,
            )["GroupId"]
            result.update(vpc=vpc_id, subnets=[subnet_id], securityGroups=[sg_id])

        def register(td_input: Any, where: str) -> dict[str, Any]:
            if not isinstance(td_input, dict):
                raise SeedError(f"{where}: a task definition must be an object")
            td = ecs.register_task_definition(**td_input)["taskDefinition"]
            result["taskDefinitions"][td["family"]] = td["taskDefinitionArn"]
            return td

        for i, td_input in enumerate(state.get("taskDefinitions") or []):
            register(td_input, f"taskDefinitions[{i}]")

        for i, svc in enumerate(services):
            if not isinstance(svc, dict) or not isinstance(svc.get("name"), str):
                raise SeedError(f"services[{i}] needs a name")
            params = {k: v for k, v in svc.items() if k not in ("name", "taskDefinition", "tags")}
            td_input = svc.get("taskDefinition")
            if isinstance(td_input, str):
                td = ecs.describe_task_definition(taskDefinition=td_input)["taskDefinition"]
            else:
                td = register(td_input, f"services[{i}].taskDefinition")
            if (
                "networkConfiguration" not in params
                and td.get("networkMode") == "awsvpc"
                and result["subnets"]
            ):
                params["networkConfiguration"] = {
                    "awsvpcConfiguration": {
                        "subnets": result["subnets"],
                        "securityGroups": result["securityGroups"],
                        "assignPublicIp": "DISABLED",
                    }
                }
            tags = _tags(svc.get("tags"), f"services[{i}].tags")
            if tags:
                params["tags"] = tags
            service = ecs.create_service(
                cluster=cluster_name,
                serviceName=svc["name"],
                taskDefinition=td["taskDefinitionArn"],
                **params,
            )["service"]
            result["services"][svc["name"]] = {
                "serviceArn": service["serviceArn"],
                "taskDefinitionArn": td["taskDefinitionArn"],
            }
        return result
    except ClientError as exc:
        raise SeedError(f"seeding failed: {exc}") from exc
    except (ParamValidationError, TypeError) as exc:  # bad parameter names/types in the input
        raise SeedError(f"seeding failed: {exc}") from exc
