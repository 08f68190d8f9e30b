"""Seed an environment through the real AWS APIs (boto3 against the emulator): ECS and
EC2, and the ECR images, IAM roles, SSM parameters, Secrets Manager secrets,
CloudWatch Logs groups, target groups and Lambda functions a preflight check looks up.

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
      "expressMode": true,          (optional: DescribeServices reports resourceManagementType ECS)
      ...any other CreateService parameter, passed through as given...}],
   "images": ["ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG", ".../REPO@sha256:DIGEST", ...],
   "roles": ["arn:aws:iam::123456789012:role/PATH/NAME", ...],
   "parameters": {"/NAME" | "arn:aws:ssm:REGION:123456789012:parameter/NAME": "value", ...},
   "secrets": ["NAME", ...] | {"NAME": "value", ...},
   "logGroups": ["/ecs/NAME", ...],
   "targetGroups": [{"name": "NAME", "targetType": "ip"|"instance", "attached": true|false}, ...],
   "functions": ["NAME", ...]}                                         (all optional)
Output:
  {"cluster": arn, "vpc": id|null, "subnets": [...], "securityGroups": [...],
   "taskDefinitions": {family: arn}, "services": {name: {"serviceArn", "taskDefinitionArn"}},
   "images": {reference: "sha256:..."}, "roles": {name: arn}, "parameters": {given name: arn},
   "secrets": {name: arn}, "logGroups": {name: arn}, "targetGroups": {name: arn},
   "functions": {name: arn}}
An attached target group is the default action of an HTTP listener on a load balancer of
its own (in a VPC of its own); functions are Python functions that return SUCCEEDED.
Existing images, roles, secrets and log groups are kept (a secret given a value gets it
as its new current value); parameters are overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from typing import Any

from . import SEED_ACCESS_KEY

ACCOUNT_ID = "123456789012"

# ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG][@sha256:DIGEST]
_ECR_IMAGE_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)$")
_PARAMETER_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:ssm:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):parameter/(?P<name>.+)$"
)
ECS_TASKS_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
DEFAULT_SECRET_VALUE = "deckhand-seed"


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


_client_lock = threading.Lock()
_session: Any = None
_client_cache: dict[tuple[str, str, str], Any] = {}


def _client(endpoint: str, service: str, region: str) -> Any:
    """A boto3 client signed with SEED_ACCESS_KEY, cached per (endpoint, service,
    region): building clients (from one session) is most of a seed call's time."""
    import boto3
    from botocore.config import Config

    global _session
    with _client_lock:
        key = (endpoint, service, region)
        if key not in _client_cache:
            if _session is None:
                _session = boto3.session.Session(
                    aws_access_key_id=SEED_ACCESS_KEY,
                    aws_secret_access_key="deckhand-seed-secret",
                    region_name="us-east-1",
                )
            config = Config(retries={"mode": "standard", "max_attempts": 3})
            _client_cache[key] = _session.client(service, region_name=region, endpoint_url=endpoint, config=config)
        return _client_cache[key]


def _clients(endpoint: str, region: str) -> tuple[Any, Any]:
    return _client(endpoint, "ecs", region), _client(endpoint, "ec2", region)


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _image_manifest(reference: str) -> str:
    """A small, valid Docker image manifest (v2 schema 2), different per reference so
    that every seeded image has its own digest."""
    seed = hashlib.sha256(reference.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1470,
                "digest": f"sha256:{seed}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 3623807,
                    "digest": "sha256:" + hashlib.sha256((seed + "/layer").encode()).hexdigest(),
                }
            ],
        }
    )


def _strings(value: Any, field: str, what: str) -> list[str]:
    """`value` as a list of strings, or a SeedError naming `field` and `what` its items are."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SeedError(f"{field} must be a list of {what}")
    return value


def seed_images(endpoint: str, images: Any) -> dict[str, str]:
    """ECR repositories (created if missing) and images: REPO:TAG (no tag = latest),
    REPO@sha256:D (an image with exactly that digest) or REPO:TAG@sha256:D. Existing
    images are kept. -> {reference: image digest}."""
    images = _strings(images, "images", "image references")
    out: dict[str, str] = {}
    for ref in images:
        m = _ECR_IMAGE_RE.match(ref)
        if not m:
            raise SeedError(
                f"images: {ref!r} is not an ECR image reference "
                "(ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or ...@sha256:DIGEST)"
            )
        if m["account"] != ACCOUNT_ID:
            raise SeedError(f"images: {ref!r}: the emulator's account is {ACCOUNT_ID}")
        ecr = _client(endpoint, "ecr", m["region"])
        repo, digest = m["repo"], m["digest"]
        tag = m["tag"] or (None if digest else "latest")
        try:
            ecr.create_repository(repositoryName=repo)
        except Exception as exc:
            if _error_code(exc) != "RepositoryAlreadyExistsException":
                raise
        image_id = {"imageDigest": digest} if digest else {"imageTag": tag}
        try:
            found = ecr.describe_images(repositoryName=repo, imageIds=[image_id])["imageDetails"]
        except Exception as exc:
            if _error_code(exc) != "ImageNotFoundException":
                raise
            found = []
        if found:  # that tag (or digest) is already there: keep it
            out[ref] = found[0]["imageDigest"]
            continue
        params: dict[str, Any] = {"repositoryName": repo, "imageManifest": _image_manifest(ref)}
        if tag:
            params["imageTag"] = tag
        if digest:
            params["imageDigest"] = digest
        try:
            out[ref] = ecr.put_image(**params)["image"]["imageId"]["imageDigest"]
        except Exception as exc:
            # Another seed (a concurrent test) pushed the same image first.
            if _error_code(exc) != "ImageAlreadyExistsException":
                raise
            out[ref] = ecr.describe_images(repositoryName=repo, imageIds=[image_id])["imageDetails"][0]["imageDigest"]
    return out


def seed_roles(endpoint: str, roles: Any) -> dict[str, str]:
    """IAM roles by ARN (or bare name), trusted by ecs-tasks.amazonaws.com, created if
    missing. -> {role name: role ARN}."""
    roles = _strings(roles, "roles", "IAM role ARNs")
    iam = _client(endpoint, "iam", "us-east-1")
    out: dict[str, str] = {}
    for arn in roles:
        if arn.startswith("arn:"):
            m = _ROLE_ARN_RE.match(arn)
            if not m:
                raise SeedError(f"roles: {arn!r} is not an IAM role ARN (arn:aws:iam::{ACCOUNT_ID}:role/NAME)")
            if m["account"] != ACCOUNT_ID:
                raise SeedError(f"roles: {arn!r}: the emulator's account is {ACCOUNT_ID}")
            name, path = m["name"], m["path"]
        else:
            name, path = arn, "/"
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except Exception as exc:
            if _error_code(exc) != "NoSuchEntity":
                raise
            try:
                role = iam.create_role(
                    RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(ECS_TASKS_TRUST_POLICY)
                )["Role"]
            except Exception as exc2:
                # A concurrent seed created it first.
                if _error_code(exc2) != "EntityAlreadyExists":
                    raise
                role = iam.get_role(RoleName=name)["Role"]
        out[name] = role["Arn"]
    return out


def seed_parameters(endpoint: str, parameters: Any, region: str) -> dict[str, str]:
    """SSM SecureString parameters, name -> value; a name may be a parameter ARN (its
    region is used; `parameter/a/b` is the name `/a/b`). Overwritten if present.
    -> {name as given: parameter ARN}."""
    if not isinstance(parameters, dict) or not all(isinstance(v, str) for v in parameters.values()):
        raise SeedError("parameters must be an object of name -> string value")
    out: dict[str, str] = {}
    for given, value in parameters.items():
        name, where = given, region
        if given.startswith("arn:"):
            m = _PARAMETER_ARN_RE.match(given)
            if not m:
                raise SeedError(
                    f"parameters: {given!r} is not an SSM parameter ARN "
                    f"(arn:aws:ssm:REGION:{ACCOUNT_ID}:parameter/NAME)"
                )
            if m["account"] != ACCOUNT_ID:
                raise SeedError(f"parameters: {given!r}: the emulator's account is {ACCOUNT_ID}")
            name, where = "/" + m["name"], m["region"]
        ssm = _client(endpoint, "ssm", where)
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        out[given] = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    return out


def seed_secrets(endpoint: str, secrets: Any, region: str) -> dict[str, str]:
    """Secrets Manager secrets: a list of names (value "deckhand-seed") or name -> value.
    Existing ones are kept (a given value becomes their current value).
    -> {name: secret ARN, with the random 6-character suffix}."""
    if isinstance(secrets, list) and all(isinstance(n, str) for n in secrets):
        wanted: dict[str, str | None] = {n: None for n in secrets}
    elif isinstance(secrets, dict) and all(isinstance(v, str) for v in secrets.values()):
        wanted = dict(secrets)
    else:
        raise SeedError("secrets must be a list of names or an object of name -> string value")
    sm = _client(endpoint, "secretsmanager", region)
    out: dict[str, str] = {}
    for name, value in wanted.items():
        try:
            arn = sm.describe_secret(SecretId=name)["ARN"]
        except Exception as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
            arn = sm.create_secret(Name=name, SecretString=value or DEFAULT_SECRET_VALUE)["ARN"]
        else:
            if value is not None:
                sm.put_secret_value(SecretId=arn, SecretString=value)
        out[name] = arn
    return out


def seed_log_groups(endpoint: str, groups: Any, region: str) -> dict[str, str]:
    """CloudWatch Logs groups, created if missing. -> {name: log group ARN}."""
    groups = _strings(groups, "logGroups", "log group names")
    logs = _client(endpoint, "logs", region)
    out: dict[str, str] = {}
    for name in groups:
        try:
            logs.create_log_group(logGroupName=name)
        except Exception as exc:
            if _error_code(exc) != "ResourceAlreadyExistsException":
                raise
        out[name] = f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{name}"
    return out


def seed_target_groups(endpoint: str, groups: Any, region: str) -> dict[str, str]:
    """Elastic Load Balancing target groups, created if missing, each attached (by
    default) to a load balancer of its own. -> {name: target group ARN}."""
    if not isinstance(groups, list) or not all(isinstance(g, dict) and isinstance(g.get("name"), str) for g in groups):
        raise SeedError('targetGroups must be a list of {"name": ..., "targetType": ..., "attached": ...}')
    elb = _client(endpoint, "elbv2", region)
    ec2 = _client(endpoint, "ec2", region)
    out: dict[str, str] = {}
    for group in groups:
        name = group["name"]
        try:
            out[name] = elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
            continue
        except Exception as exc:
            if _error_code(exc) != "TargetGroupNotFound":
                raise
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        arn = elb.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType=group.get("targetType", "ip")
        )["TargetGroups"][0]["TargetGroupArn"]
        if group.get("attached", True):
            subnets = [
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
                    "SubnetId"
                ]
                for i, zone in enumerate("ab")
            ]
            lb = elb.create_load_balancer(Name=f"{name}-lb"[:32], Subnets=subnets)["LoadBalancers"][0]
            elb.create_listener(
                LoadBalancerArn=lb["LoadBalancerArn"],
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
            )
        out[name] = arn
    return out


def seed_functions(endpoint: str, functions: Any, region: str) -> dict[str, str]:
    """Lambda functions, created if missing. -> {name: function ARN}."""
    functions = _strings(functions, "functions", "function names")
    import io
    import zipfile

    lam = _client(endpoint, "lambda", region)
    role = seed_roles(endpoint, [f"arn:aws:iam::{ACCOUNT_ID}:role/deckhand-seed-lambda"])["deckhand-seed-lambda"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("hook.py", 'def handler(event, context):\n    return {"hookStatus": "SUCCEEDED"}\n')
    out: dict[str, str] = {}
    for name in functions:
        try:
            out[name] = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        except Exception as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
            out[name] = lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="hook.handler",
                Code={"ZipFile": code.getvalue()},
            )["FunctionArn"]
    return out


def _mark_express_mode(region: str, cluster: str, name: str) -> None:
    """Make a service look as one Express Mode made (DescribeServices reports its
    resourceManagementType as ECS). CreateExpressGatewayService itself, with the load
    balancer and scaling ECS would make, is not emulated."""
    from moto.ecs.models import ecs_backends

    from . import backend
    from .state import STATE

    with STATE.backend_lock:
        service = backend.find_service(ecs_backends[ACCOUNT_ID][region], cluster, name)
        if service is None:
            raise SeedError(f"services: {name}: not found after CreateService")
        service.resource_management_type = "ECS"


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
        cluster = ecs.create_cluster(clusterName=cluster_name, tags=_tags(state.get("clusterTags"), "clusterTags"))[
            "cluster"
        ]

        result: dict[str, Any] = {
            "cluster": cluster["clusterArn"],
            "vpc": None,
            "subnets": [],
            "securityGroups": [],
            "taskDefinitions": {},
            "services": {},
        }
        # The resources a preflight check looks up (before the services that use them).
        for key, seeder in (
            ("images", lambda v: seed_images(endpoint, v)),
            ("roles", lambda v: seed_roles(endpoint, v)),
            ("parameters", lambda v: seed_parameters(endpoint, v, region)),
            ("secrets", lambda v: seed_secrets(endpoint, v, region)),
            ("logGroups", lambda v: seed_log_groups(endpoint, v, region)),
            ("targetGroups", lambda v: seed_target_groups(endpoint, v, region)),
            ("functions", lambda v: seed_functions(endpoint, v, region)),
        ):
            if state.get(key) is not None:
                result[key] = seeder(state[key])

        if state.get("network"):
            vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            # RunTask with awsvpc fails in moto unless DNS hostnames are on.
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
            subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{region}a")[
                "Subnet"
            ]["SubnetId"]
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
            params = {k: v for k, v in svc.items() if k not in ("name", "taskDefinition", "tags", "expressMode")}
            td_input = svc.get("taskDefinition")
            if isinstance(td_input, str):
                td = ecs.describe_task_definition(taskDefinition=td_input)["taskDefinition"]
            else:
                td = register(td_input, f"services[{i}].taskDefinition")
            if "networkConfiguration" not in params and td.get("networkMode") == "awsvpc" and result["subnets"]:
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
            if svc.get("expressMode"):
                _mark_express_mode(region, cluster_name, svc["name"])
            result["services"][svc["name"]] = {
                "serviceArn": service["serviceArn"],
                "taskDefinitionArn": td["taskDefinitionArn"],
            }
        return result
    except ClientError as exc:
        raise SeedError(f"seeding failed: {exc}") from exc
    except (ParamValidationError, TypeError) as exc:  # bad parameter names/types in the input
        raise SeedError(f"seeding failed: {exc}") from exc
