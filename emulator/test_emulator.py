"""Self-check of the deckhand ECS emulator: starts its own server and drives it with boto3.

Run: .venv/bin/python -m pytest -q emulator/test_emulator.py [-k SUBSTRING]
(conftest.py: the shared server, the order, the server's stderr after a failure).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from conftest import Emulator, StartEmulator

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
SEED_SCRIPT = os.path.join(HERE, "seed.py")
# rolloutSeconds / taskRunSeconds set (per access key) by the timing tests. Tests check
# intermediate states right after a call, so this must exceed a slow call on a busy machine.
FAST = 1.0

# The shared server (conftest.py's `emulator`), set for the helpers below before any test.
URL = ""
STARTUP_SECONDS = 0.0


@pytest.fixture(scope="session", autouse=True)
def _shared_server(emulator: Emulator) -> None:
    global URL, STARTUP_SECONDS
    URL, STARTUP_SECONDS = emulator.url, emulator.startup_seconds


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def http(
    method: str,
    path: str,
    body: Any = None,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, str], Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(
        (url or URL) + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, hdrs, text = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, text = exc.code, dict(exc.headers), exc.read()
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text.decode("utf-8", "replace")
    return status, hdrs, parsed


def admin(method: str, path: str, body: Any = None) -> Any:
    status, _, parsed = http(method, "/_deckhand" + path, body)
    assert status == 200, f"{method} /_deckhand{path} -> {status} {parsed}"
    return parsed


def new_key(prefix: str = "AKTEST") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12].upper()}"


def client(service: str, key: str, attempts: int = 3, region: str = "us-east-1") -> Any:
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        # total_max_attempts counts the first try too (as the Rust SDK's standard mode: 3)
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def fast(key: str, **extra: Any) -> None:
    admin("POST", "/config", {"accessKey": key, "rolloutSeconds": FAST, "taskRunSeconds": FAST, **extra})


def calls(key: str) -> list[dict[str, Any]]:
    return admin("GET", f"/calls?accessKey={key}")["calls"]


def wait_until(fn: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value {last!r})")


def td_input(
    family: str,
    image: str = "nginx:1.27",
    command: list[str] | None = None,
    extra_containers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": family, "image": image, "memory": 512, "essential": True}
    if command:
        container["command"] = command
    return {
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [container] + (extra_containers or []),
    }


def seed_env(cluster: str, services: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    body = {"cluster": cluster, "network": True, "services": services or [], **extra}
    return admin("POST", "/seed", body)


def new_cluster(
    prefix: str,
    services: list[dict[str, Any]] | None = None,
    task_definitions: list[dict[str, Any]] | None = None,
    fast_config: dict[str, Any] | None = None,
) -> tuple[str, str, Any, dict[str, Any]]:
    """A new access key (with fast timings and `fast_config` when given), and a new cluster
    `prefix-xxxxxx` seeded with `services` and `task_definitions`: the key, the cluster, an
    ECS client and what the seed returned."""
    key = new_key()
    if fast_config is not None:
        fast(key, **fast_config)
    cluster = f"{prefix}-{uuid.uuid4().hex[:6]}"
    seeded = seed_env(cluster, services, **({"taskDefinitions": task_definitions} if task_definitions else {}))
    return key, cluster, client("ecs", key), seeded


def fast_cluster(
    prefix: str,
    services: list[dict[str, Any]],
    task_definitions: list[dict[str, Any]] | None = None,
    **config: Any,
) -> tuple[str, str, Any, dict[str, Any]]:
    """`new_cluster` with fast timings (and `config`)."""
    return new_cluster(prefix, services, task_definitions, config)


def web_service(name: str = "web", rollback: bool = True, enable: bool = True, desired: int = 2) -> dict[str, Any]:
    return {
        "name": name,
        "taskDefinition": td_input(name),
        "desiredCount": desired,
        "launchType": "FARGATE",
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": enable, "rollback": rollback}},
        "tags": {"team": "shop"},
    }


def describe(ecs: Any, cluster: str, name: str) -> dict[str, Any]:
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]


def register(ecs: Any, family: str, image: str = "nginx:1.27") -> str:
    return ecs.register_task_definition(**td_input(family, image))["taskDefinition"]["taskDefinitionArn"]


def run_task(
    ecs: Any,
    cluster: str,
    seeded: dict[str, Any],
    td: str,
    command: list[str] | None = None,
    started_by: str | None = None,
    container: str | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": td,
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": seeded["subnets"], "securityGroups": seeded["securityGroups"]}
        },
    }
    if command:
        params["overrides"] = {
            "containerOverrides": [{"name": container or td.split("/")[-1].split(":")[0], "command": command}]
        }
    if started_by:
        params["startedBy"] = started_by
    resp = ecs.run_task(**params)
    assert not resp["failures"], resp["failures"]
    return resp["tasks"][0]


def describe_task(ecs: Any, cluster: str, arn: str) -> dict[str, Any]:
    return ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]


def expect_client_error(fn: Callable[[], Any], code: str, status: int | None = None) -> ClientError:
    try:
        fn()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == code, exc.response["Error"]
        if status is not None:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == status, exc.response["ResponseMetadata"]
        return exc
    raise AssertionError(f"expected {code}")


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------


def test_startup_ready_line_and_health() -> None:
    assert URL.startswith("http://127.0.0.1:")
    assert STARTUP_SECONDS < 5.0, f"READY after {STARTUP_SECONDS:.2f}s"
    status, _, body = http("GET", "/_deckhand/health")
    assert status == 200 and body["ok"] is True and body["motoVersion"] == "5.2.5"
    status, _, body = http("GET", "/_deckhand/nope")
    assert status == 404


def test_config_get_set_per_key_and_validation() -> None:
    key = new_key()
    cfg = admin("GET", "/config")
    assert cfg == {
        "taskRunSeconds": 1.0,
        "rolloutSeconds": 1.0,
        "stageSeconds": 0.1,
        "minuteSeconds": 0.1,
        "crashingImageMarkers": ["crash"],
        "oomImageMarkers": ["oom"],
        "unpullableImageMarkers": ["unpushed", "missing"],
    }, cfg
    out = admin("POST", "/config", {"accessKey": key, "rolloutSeconds": 0.5, "crashingImageMarkers": ["boom"]})
    assert out["rolloutSeconds"] == 0.5 and out["crashingImageMarkers"] == ["boom"] and out["taskRunSeconds"] == 1.0
    assert admin("GET", f"/config?accessKey={key}")["rolloutSeconds"] == 0.5
    assert admin("GET", "/config")["rolloutSeconds"] == 1.0  # global untouched
    status, _, body = http("POST", "/_deckhand/config", {"rolloutSeconds": "fast"})
    assert status == 400 and "rolloutSeconds" in body["error"]
    status, _, body = http("POST", "/_deckhand/config", {"bogus": 1})
    assert status == 400
    out = admin("POST", "/config", {"accessKey": key, "stageSeconds": 0.25, "minuteSeconds": 0.02})
    assert out["stageSeconds"] == 0.25 and out["minuteSeconds"] == 0.02
    status, _, body = http("POST", "/_deckhand/config", {"accessKey": key, "minuteSeconds": -1})
    assert status == 400 and "minuteSeconds" in body["error"]
    out = admin("POST", "/config", {"accessKey": key, "oomImageMarkers": ["bloat"], "unpullableImageMarkers": []})
    assert out["oomImageMarkers"] == ["bloat"] and out["unpullableImageMarkers"] == []
    status, _, body = http("POST", "/_deckhand/config", {"accessKey": key, "oomImageMarkers": "oom"})
    assert status == 400 and "oomImageMarkers" in body["error"]
    admin("DELETE", f"/config?accessKey={key}")
    assert admin("GET", f"/config?accessKey={key}")["rolloutSeconds"] == 1.0


def test_call_log_records_ecs_calls_per_access_key() -> None:
    key, other = new_key(), new_key()
    ecs, ecs_other = client("ecs", key), client("ecs", other)
    ecs.create_cluster(clusterName="calls-c")
    ecs.describe_clusters(clusters=["calls-c"], include=["TAGS"])
    expect_client_error(lambda: ecs.list_services(cluster="no-such-cluster"), "ClusterNotFoundException")
    ecs_other.list_clusters()
    client("ec2", key).describe_vpcs()  # not ECS: not logged

    mine = calls(key)
    assert [c["operation"] for c in mine] == ["CreateCluster", "DescribeClusters", "ListServices"], mine
    assert [c["status"] for c in mine] == [200, 200, 400], mine
    assert all(c["accessKey"] == key for c in mine)
    assert mine[0]["params"] == {"clusterName": "calls-c"}
    assert mine[1]["params"] == {"clusters": ["calls-c"], "include": ["TAGS"]}
    seqs = [c["seq"] for c in mine]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [c["operation"] for c in calls(other)] == ["ListClusters"]
    everyone = admin("GET", "/calls")["calls"]
    assert {key, other} <= {c["accessKey"] for c in everyone}
    assert [c["seq"] for c in everyone] == sorted(c["seq"] for c in everyone)

    assert admin("POST", f"/calls/reset?accessKey={key}")["removed"] == 3
    assert calls(key) == [] and len(calls(other)) == 1


def test_fault_throttle_count_is_retried_by_sdk() -> None:
    key = new_key()
    ecs = client("ecs", key)
    ecs.create_cluster(clusterName="faults-c")
    admin("POST", "/faults", {"accessKey": key, "operation": "DescribeClusters", "kind": "throttle", "count": 2})
    resp = ecs.describe_clusters(clusters=["faults-c"])  # 3 attempts: 2 throttled + 1 ok
    assert resp["clusters"][0]["clusterName"] == "faults-c"
    got = [(c["operation"], c["status"]) for c in calls(key)]
    assert got == [
        ("CreateCluster", 200),
        ("DescribeClusters", 400),
        ("DescribeClusters", 400),
        ("DescribeClusters", 200),
    ], got
    assert admin("GET", "/faults")["faults"] == [] or all(
        f["accessKey"] != key for f in admin("GET", "/faults")["faults"]
    )


def test_fault_wire_format_throttle_and_500() -> None:
    key = new_key()
    admin("POST", "/faults", {"accessKey": key, "operation": "ListClusters", "kind": "throttle", "count": 1})
    admin("POST", "/faults", {"accessKey": key, "operation": "ListClusters", "kind": "error500", "count": 1})
    hdrs = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/ecs/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    status, h, body = http("POST", "/", raw=b"{}", headers=hdrs)
    assert status == 400 and body == {"__type": "ThrottlingException", "message": "Rate exceeded"}, (status, body)
    assert {k.lower(): v for k, v in h.items()}["x-amzn-errortype"] == "ThrottlingException"
    status, h, body = http("POST", "/", raw=b"{}", headers=hdrs)
    assert status == 500 and body == {"__type": "ServerException", "message": "injected"}, (status, body)
    status, _, body = http("POST", "/", raw=b"{}", headers=hdrs)
    assert status == 200 and "clusterArns" in body
    ecs = client("ecs", key, attempts=1)
    admin("POST", "/faults", {"accessKey": key, "operation": "*", "kind": "error500", "count": 1})
    expect_client_error(lambda: ecs.list_clusters(), "ServerException", 500)
    assert [c["status"] for c in calls(key)] == [400, 500, 200, 500]


def test_fault_every_kth_any_key_and_clear() -> None:
    key, other = new_key(), new_key()
    ecs = client("ecs", key, attempts=1)
    ecs_other = client("ecs", other, attempts=1)
    admin("POST", "/faults", {"accessKey": key, "operation": "ListClusters", "kind": "throttle", "every": 2})
    outcomes = []
    for _ in range(4):
        try:
            ecs.list_clusters()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    assert outcomes == ["ok", "ThrottlingException", "ok", "ThrottlingException"], outcomes
    ecs_other.list_clusters()  # scoped to `key`: other keys unaffected
    assert admin("DELETE", f"/faults?accessKey={key}")["removed"] == 1
    ecs.list_clusters()
    ecs.list_clusters()

    # no accessKey = any key; custom kind
    fault = admin(
        "POST",
        "/faults",
        {
            "operation": "ListServices",
            "kind": "custom",
            "httpStatus": 400,
            "errorType": "AccessDeniedException",
            "message": "nope",
            "count": 1,
        },
    )["fault"]
    assert fault["accessKey"] is None
    expect_client_error(lambda: ecs_other.list_services(cluster="x"), "AccessDeniedException", 400)
    admin("POST", "/faults", {"operation": "*", "kind": "throttle", "count": 5})
    status, _, _ = http("POST", "/_deckhand/faults", {"kind": "explode", "count": 1})
    assert status == 400
    status, _, _ = http("POST", "/_deckhand/faults", {"kind": "throttle"})
    assert status == 400
    admin("DELETE", "/faults")
    assert admin("GET", "/faults")["faults"] == []
    ecs.list_clusters()


def test_unimplemented_operation_is_a_fast_400() -> None:
    key = new_key()
    ecs = client("ecs", key)
    expect_client_error(
        lambda: ecs.continue_service_deployment(
            serviceDeploymentArn="arn:aws:ecs:us-east-1:123456789012:x", hookId="h", action="CONTINUE"
        ),
        "UnsupportedFeatureException",
        400,
    )
    assert [(c["operation"], c["status"]) for c in calls(key)] == [("ContinueServiceDeployment", 400)]


def test_seed_creates_environment_without_logging() -> None:
    cluster = "shop-staging-" + uuid.uuid4().hex[:6]
    before = len(admin("GET", "/calls")["calls"])
    admin("POST", "/faults", {"operation": "*", "kind": "error500", "count": 50})  # must not hit the seeder
    try:
        res = seed_env(
            cluster,
            [web_service("web"), {**web_service("worker", desired=1), "tags": {}}],
            clusterTags={"deckhand:staging:schema-revision": "20261101000000"},
            taskDefinitions=[td_input("migrate", command=["./migrate"])],
        )
    finally:
        admin("DELETE", "/faults")
    assert len(admin("GET", "/calls")["calls"]) == before, "seed calls were logged"
    assert res["cluster"] == f"arn:aws:ecs:us-east-1:123456789012:cluster/{cluster}"
    assert len(res["subnets"]) == 1 and len(res["securityGroups"]) == 1 and res["vpc"].startswith("vpc-")
    assert res["taskDefinitions"]["migrate"].endswith("task-definition/migrate:1")
    assert set(res["services"]) == {"web", "worker"}
    assert res["services"]["web"]["serviceArn"].endswith(f"service/{cluster}/web")

    key = new_key()
    ecs, ec2 = client("ecs", key), client("ec2", key)
    c = ecs.describe_clusters(clusters=[cluster], include=["TAGS"])["clusters"][0]
    assert {"key": "deckhand:staging:schema-revision", "value": "20261101000000"} in c["tags"]
    vpc = res["vpc"]
    attr = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    assert attr["EnableDnsHostnames"]["Value"] is True
    svc = ecs.describe_services(cluster=cluster, services=["web"], include=["TAGS"])["services"][0]
    assert svc["taskDefinition"] == res["services"]["web"]["taskDefinitionArn"]
    assert svc["desiredCount"] == 2 and svc["runningCount"] == 2 and svc["pendingCount"] == 0
    assert svc["launchType"] == "FARGATE"
    assert svc["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == res["subnets"]
    assert svc["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == res["securityGroups"]
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert svc["tags"] == [{"key": "team", "value": "shop"}]
    (dep,) = svc["deployments"]
    assert dep["status"] == "PRIMARY" and dep["rolloutState"] == "COMPLETED"
    assert dep["runningCount"] == 2 and dep["pendingCount"] == 0 and dep["desiredCount"] == 2
    assert dep["id"].startswith("ecs-svc/")

    # bad input -> 400
    status, _, body = http("POST", "/_deckhand/seed", {"services": []})
    assert status == 400 and "cluster" in body["error"]


def test_seed_script_cli() -> None:
    cluster = "cli-" + uuid.uuid4().hex[:6]
    state = {"cluster": cluster, "network": True, "services": [web_service("api", desired=1)]}
    proc = subprocess.run(
        [sys.executable, SEED_SCRIPT, "--endpoint", URL],
        input=json.dumps(state),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["services"]["api"]["serviceArn"].endswith(f"/{cluster}/api")
    svc = describe(client("ecs", new_key()), cluster, "api")
    assert svc["runningCount"] == 1
    proc = subprocess.run(
        [sys.executable, SEED_SCRIPT, "--endpoint", URL], input="{}", capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0 and "cluster" in proc.stderr


def test_create_service_keeps_deployment_configuration_and_rejects_duplicates() -> None:
    _, cluster, ecs, res = new_cluster("create")
    td = register(ecs, "svc-a")
    net = {"awsvpcConfiguration": {"subnets": res["subnets"], "securityGroups": res["securityGroups"]}}
    svc = ecs.create_service(
        cluster=cluster,
        serviceName="a",
        taskDefinition=td,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=net,
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": False},
            "minimumHealthyPercent": 50,
        },
        healthCheckGracePeriodSeconds=30,
        enableExecuteCommand=True,
    )["service"]
    assert svc["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 50,
        "strategy": "ROLLING",
    }, svc["deploymentConfiguration"]
    d = describe(ecs, cluster, "a")
    assert d["deploymentConfiguration"]["minimumHealthyPercent"] == 50
    assert d["healthCheckGracePeriodSeconds"] == 30 and d["enableExecuteCommand"] is True
    assert d["deployments"][0]["rolloutState"] == "COMPLETED" and d["runningCount"] == 1
    expect_client_error(
        lambda: ecs.create_service(
            cluster=cluster,
            serviceName="a",
            taskDefinition=td,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=net,
        ),
        "InvalidParameterException",
        400,
    )
    # default deploymentConfiguration
    ecs.create_service(
        cluster=cluster,
        serviceName="b",
        taskDefinition=td,
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration=net,
    )
    b = describe(ecs, cluster, "b")
    assert b["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "strategy": "ROLLING",
    }
    assert b["runningCount"] == 0 and b["deployments"][0]["rolloutState"] == "COMPLETED"


def test_rolling_deployment_completes_over_time() -> None:
    _, cluster, ecs, seeded = fast_cluster("roll", [web_service("web")])
    old_td = seeded["services"]["web"]["taskDefinitionArn"]
    new_td = register(ecs, "web", "nginx:1.28")
    assert new_td != old_td
    # family:rev is resolved to the ARN
    updated = ecs.update_service(cluster=cluster, service="web", taskDefinition=new_td.split("/")[-1])["service"]
    assert updated["taskDefinition"] == new_td
    svc = describe(ecs, cluster, "web")
    assert svc["taskDefinition"] == new_td
    assert len(svc["deployments"]) == 2, svc["deployments"]
    primary, old = svc["deployments"]
    assert primary["status"] == "PRIMARY" and primary["rolloutState"] == "IN_PROGRESS"
    assert primary["runningCount"] == 0 and primary["desiredCount"] == 2 and primary["taskDefinition"] == new_td
    assert primary["id"].startswith("ecs-svc/") and primary["id"] != old["id"]
    assert old["status"] == "ACTIVE" and old["taskDefinition"] == old_td and old["runningCount"] == 2
    assert svc["runningCount"] == 2
    assert "has started 2 tasks" in svc["events"][0]["message"]

    def done() -> Any:
        s = describe(ecs, cluster, "web")
        return s if len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED" else None

    svc = wait_until(done, timeout=10)
    (dep,) = svc["deployments"]
    assert dep["id"] == primary["id"] and dep["status"] == "PRIMARY" and dep["runningCount"] == 2
    assert dep["pendingCount"] == 0 and dep["taskDefinition"] == new_td
    assert svc["runningCount"] == 2 and svc["taskDefinition"] == new_td
    assert svc["events"][0]["message"] == "(service web) has reached a steady state."
    times = [e["createdAt"] for e in svc["events"]]
    assert times == sorted(times, reverse=True)

    # same task definition again: no new deployment
    ecs.update_service(cluster=cluster, service="web", taskDefinition=new_td)
    assert len(describe(ecs, cluster, "web")["deployments"]) == 1


def test_crashing_image_fails_and_rolls_back() -> None:
    _, cluster, ecs, seeded = fast_cluster("crash", [web_service("web", rollback=True)])
    good_td = seeded["services"]["web"]["taskDefinitionArn"]
    bad_td = register(ecs, "web", "registry/crash-loop:1")
    ecs.update_service(cluster=cluster, service="web", taskDefinition=bad_td)
    svc = describe(ecs, cluster, "web")
    assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS" and svc["taskDefinition"] == bad_td

    def failed() -> Any:
        s = describe(ecs, cluster, "web")
        return s if any(d["rolloutState"] == "FAILED" for d in s["deployments"]) else None

    svc = wait_until(failed, timeout=10)
    by_td = {d["taskDefinition"]: d for d in svc["deployments"]}
    failed_dep = by_td[bad_td]
    assert failed_dep["status"] == "ACTIVE" and failed_dep["rolloutState"] == "FAILED"
    assert failed_dep["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert failed_dep["failedTasks"] >= 1 and failed_dep["runningCount"] == 0
    primary = svc["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["taskDefinition"] == good_td
    if primary["rolloutState"] == "IN_PROGRESS":  # may already be done on a slow machine
        assert primary["runningCount"] == 0
    assert svc["taskDefinition"] == good_td
    messages = [e["message"] for e in svc["events"]]
    assert any("deployment failed" in m and "rolling back" in m for m in messages), messages

    def settled() -> Any:
        s = describe(ecs, cluster, "web")
        return s if len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED" else None

    svc = wait_until(settled, timeout=10)
    assert svc["deployments"][0]["taskDefinition"] == good_td and svc["runningCount"] == 2
    assert svc["deployments"][0]["id"] == primary["id"]
    assert svc["events"][0]["message"].endswith("has reached a steady state.")


def test_crashing_image_without_rollback_stays_failed_primary() -> None:
    _, cluster, ecs, seeded = fast_cluster(
        "norb", [web_service("web", rollback=False)], crashingImageMarkers=["kaboom"]
    )
    good_td = seeded["services"]["web"]["taskDefinitionArn"]
    not_crashing = register(ecs, "web", "registry/crash:2")  # "crash" is not a marker for this key
    ecs.update_service(cluster=cluster, service="web", taskDefinition=not_crashing)
    wait_until(lambda: describe(ecs, cluster, "web")["deployments"][0]["rolloutState"] == "COMPLETED", timeout=10)
    bad_td = register(ecs, "web", "registry/kaboom:1")
    ecs.update_service(cluster=cluster, service="web", taskDefinition=bad_td)
    svc = wait_until(
        lambda: (lambda s: s if s["deployments"][0]["rolloutState"] == "FAILED" else None)(
            describe(ecs, cluster, "web")
        ),
        timeout=10,
    )
    primary = svc["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["taskDefinition"] == bad_td
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert svc["taskDefinition"] == bad_td
    old = svc["deployments"][1]
    assert old["status"] == "ACTIVE" and old["taskDefinition"] == not_crashing and old["runningCount"] == 2
    assert svc["runningCount"] == 2
    assert any("deployment failed" in e["message"] for e in svc["events"])
    assert good_td != not_crashing
    time.sleep(FAST * 1.2)
    assert describe(ecs, cluster, "web")["deployments"][0]["rolloutState"] == "FAILED"

    # a later good deployment replaces the failed one and cleans up
    ecs.update_service(cluster=cluster, service="web", taskDefinition=good_td)
    svc = wait_until(
        lambda: (lambda s: s if len(s["deployments"]) == 1 else None)(describe(ecs, cluster, "web")), timeout=10
    )
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED" and svc["taskDefinition"] == good_td


def test_crashing_image_without_circuit_breaker_never_finishes() -> None:
    _, cluster, ecs, _ = fast_cluster("nocb", [web_service("web", enable=False, rollback=False)])
    bad_td = register(ecs, "web", "crash:1")
    ecs.update_service(cluster=cluster, service="web", taskDefinition=bad_td)
    time.sleep(FAST * 1.5)
    primary = describe(ecs, cluster, "web")["deployments"][0]
    assert primary["rolloutState"] == "IN_PROGRESS" and primary["runningCount"] == 0
    assert primary["failedTasks"] > 0


def test_desired_count_only_scales_over_time() -> None:
    _, cluster, ecs, _ = fast_cluster("scale", [web_service("web", desired=2)])
    dep_id = describe(ecs, cluster, "web")["deployments"][0]["id"]
    ecs.update_service(cluster=cluster, service="web", desiredCount=4)
    svc = describe(ecs, cluster, "web")
    assert len(svc["deployments"]) == 1 and svc["deployments"][0]["id"] == dep_id
    assert svc["desiredCount"] == 4 and svc["deployments"][0]["desiredCount"] == 4
    assert svc["runningCount"] == 2 and svc["pendingCount"] == 2
    wait_until(lambda: describe(ecs, cluster, "web")["runningCount"] == 4, timeout=10)
    svc = describe(ecs, cluster, "web")
    assert svc["deployments"][0]["runningCount"] == 4 and svc["pendingCount"] == 0
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"

    ecs.update_service(cluster=cluster, service="web", desiredCount=0)
    svc = describe(ecs, cluster, "web")
    assert svc["desiredCount"] == 0 and svc["runningCount"] == 4
    assert any("has stopped 4 running tasks" in e["message"] for e in svc["events"][:2])
    wait_until(lambda: describe(ecs, cluster, "web")["runningCount"] == 0, timeout=10)
    assert len(describe(ecs, cluster, "web")["deployments"]) == 1


def test_force_new_deployment_same_task_definition() -> None:
    _, cluster, ecs, seeded = fast_cluster("force", [web_service("web")])
    td = seeded["services"]["web"]["taskDefinitionArn"]
    first_id = describe(ecs, cluster, "web")["deployments"][0]["id"]
    ecs.update_service(cluster=cluster, service="web", forceNewDeployment=True)
    svc = describe(ecs, cluster, "web")
    assert len(svc["deployments"]) == 2
    assert svc["deployments"][0]["id"] != first_id and svc["deployments"][0]["taskDefinition"] == td
    assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    wait_until(lambda: len(describe(ecs, cluster, "web")["deployments"]) == 1, timeout=10)
    svc = describe(ecs, cluster, "web")
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED" and svc["runningCount"] == 2


def test_update_service_errors() -> None:
    _, cluster, ecs, _ = new_cluster("uerr", [web_service("web")])
    expect_client_error(
        lambda: ecs.update_service(cluster=cluster, service="nope", desiredCount=1), "ServiceNotFoundException", 400
    )
    expect_client_error(
        lambda: ecs.update_service(cluster=cluster, service="web", taskDefinition="web:99"), "ClientException", 400
    )
    missing = ecs.describe_services(cluster=cluster, services=["nope"])
    assert missing["failures"][0]["reason"] == "MISSING"
    expect_client_error(
        lambda: ecs.describe_services(cluster=cluster, services=[f"s{i}" for i in range(11)]),
        "InvalidParameterException",
        400,
    )


def test_run_task_runs_then_stops_with_exit_code_from_rule() -> None:
    key, cluster, ecs, seeded = fast_cluster(
        "task", [], task_definitions=[td_input("migrate", command=["./migrate", "up"])]
    )
    td = seeded["taskDefinitions"]["migrate"]
    admin("POST", "/task-rules", {"accessKey": key, "commandContains": "fail-migration", "exitCode": 1})

    task = run_task(ecs, cluster, seeded, td, command=["./migrate", "fail-migration"], started_by="deckhand")
    assert task["lastStatus"] == "RUNNING" and task["desiredStatus"] == "RUNNING"
    assert task["containers"][0]["lastStatus"] == "RUNNING" and "exitCode" not in task["containers"][0]
    assert "stopCode" not in task and "stoppedAt" not in task
    assert task["attachments"][0]["type"] == "ElasticNetworkInterface"
    t = describe_task(ecs, cluster, task["taskArn"])
    assert t["lastStatus"] == "RUNNING" and "exitCode" not in t["containers"][0]

    t = wait_until(
        lambda: (lambda x: x if x["lastStatus"] == "STOPPED" else None)(describe_task(ecs, cluster, task["taskArn"])),
        timeout=10,
    )
    assert t["desiredStatus"] == "STOPPED" and t["stopCode"] == "EssentialContainerExited"
    assert t["stoppedReason"] == "Essential container in task exited"
    assert t["containers"][0]["lastStatus"] == "STOPPED" and t["containers"][0]["exitCode"] == 1
    assert t["stoppedAt"] >= t["startedAt"] and "executionStoppedAt" in t
    assert t["overrides"]["containerOverrides"][0]["command"] == ["./migrate", "fail-migration"]

    # no override: task definition command ("./migrate up") does not match -> exit 0
    ok = run_task(ecs, cluster, seeded, td)
    t = wait_until(
        lambda: (lambda x: x if x["lastStatus"] == "STOPPED" else None)(describe_task(ecs, cluster, ok["taskArn"])),
        timeout=10,
    )
    assert t["containers"][0]["exitCode"] == 0 and t["stopCode"] == "EssentialContainerExited"

    # a rule matching the task definition command; and another access key is not affected
    admin(
        "POST",
        "/task-rules",
        {
            "accessKey": key,
            "commandContains": "up",
            "exitCode": 3,
            "runSeconds": 0.05,
            "stoppedReason": "migration exploded",
        },
    )
    t3 = run_task(ecs, cluster, seeded, td)
    t = wait_until(
        lambda: (lambda x: x if x["lastStatus"] == "STOPPED" else None)(describe_task(ecs, cluster, t3["taskArn"])),
        timeout=10,
    )
    assert t["containers"][0]["exitCode"] == 3 and t["stoppedReason"] == "migration exploded"
    other = client("ecs", new_key())
    t4 = run_task(other, cluster, seeded, td)
    assert describe_task(other, cluster, t4["taskArn"])["lastStatus"] == "RUNNING"  # default 1.0 s, exit 0
    t = wait_until(
        lambda: (lambda x: x if x["lastStatus"] == "STOPPED" else None)(describe_task(other, cluster, t4["taskArn"])),
        timeout=10,
    )
    assert t["containers"][0]["exitCode"] == 0
    rules = admin("GET", "/task-rules")["rules"]
    assert len([r for r in rules if r["accessKey"] == key]) == 2
    assert admin("DELETE", f"/task-rules?accessKey={key}")["removed"] == 2


def test_image_rule_and_multi_container_tasks() -> None:
    key = new_key()
    fast(key)
    cluster = "multi-" + uuid.uuid4().hex[:6]
    sidecar = {"name": "sidecar", "image": "envoy:1", "memory": 128, "essential": False}
    seeded = seed_env(cluster, taskDefinitions=[td_input("job", image="jobs/broken-job:1", extra_containers=[sidecar])])
    admin("POST", "/task-rules", {"accessKey": key, "imageContains": "broken-job", "exitCode": 2})
    ecs = client("ecs", key)
    task = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["job"])
    assert [c["name"] for c in task["containers"]] == ["job", "sidecar"]
    assert all(c["taskArn"] == task["taskArn"] for c in task["containers"])
    assert task["containers"][1]["image"] == "envoy:1"
    t = wait_until(
        lambda: (lambda x: x if x["lastStatus"] == "STOPPED" else None)(describe_task(ecs, cluster, task["taskArn"])),
        timeout=10,
    )
    codes = {c["name"]: c["exitCode"] for c in t["containers"]}
    assert codes == {"job": 2, "sidecar": 0}, codes
    status, _, _ = http("POST", "/_deckhand/task-rules", {"exitCode": "one"})
    assert status == 400
    admin("DELETE", "/task-rules")


def test_run_task_with_task_level_memory_only() -> None:
    key = new_key()
    fast(key)
    cluster = "tmem-" + uuid.uuid4().hex[:6]
    td = td_input("tasklevel")
    del td["containerDefinitions"][0]["memory"]  # only task-level cpu/memory, as on Fargate
    seeded = seed_env(cluster, taskDefinitions=[td])
    ecs = client("ecs", key)
    task = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["tasklevel"])
    assert task["lastStatus"] == "RUNNING" and task["cpu"] == "256" and task["memory"] == "512"


def test_never_stopping_task_and_stop_task() -> None:
    key, cluster, ecs, seeded = fast_cluster("stop", [], task_definitions=[td_input("migrate", command=["./migrate"])])
    td = seeded["taskDefinitions"]["migrate"]
    admin("POST", "/task-rules", {"accessKey": key, "commandContains": "hang", "runSeconds": -1, "exitCode": 9})
    task = run_task(ecs, cluster, seeded, td, command=["hang"])
    time.sleep(FAST * 1.2)
    t = describe_task(ecs, cluster, task["taskArn"])
    assert t["lastStatus"] == "RUNNING" and "exitCode" not in t["containers"][0]
    stopped = ecs.stop_task(cluster=cluster, task=task["taskArn"], reason="deckhand: timed out")["task"]
    assert stopped["lastStatus"] == "STOPPED" and stopped["desiredStatus"] == "STOPPED"
    assert stopped["stopCode"] == "UserInitiated" and stopped["stoppedReason"] == "deckhand: timed out"
    assert stopped["containers"][0]["exitCode"] == 143
    t = describe_task(ecs, cluster, task["taskArn"])
    assert t["stopCode"] == "UserInitiated" and t["containers"][0]["exitCode"] == 143
    # stopping again keeps the first stop; stopping by id works
    again = ecs.stop_task(cluster=cluster, task=task["taskArn"].split("/")[-1], reason="second")["task"]
    assert again["stoppedReason"] == "deckhand: timed out"
    expect_client_error(
        lambda: ecs.stop_task(cluster=cluster, task="0123456789abcdef0123456789abcdef"), "ClientException", 400
    )
    admin("DELETE", f"/task-rules?accessKey={key}")


def test_list_tasks_and_describe_missing() -> None:
    key, cluster, ecs, seeded = fast_cluster(
        "list", [web_service("web")], task_definitions=[td_input("migrate"), td_input("report")]
    )
    admin("POST", "/task-rules", {"accessKey": key, "imageContains": "nginx", "runSeconds": -1})
    long_a = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["migrate"], started_by="deckhand/migrate")
    long_b = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["report"], started_by="someone-else")
    admin("DELETE", f"/task-rules?accessKey={key}")
    short = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["migrate"], started_by="deckhand/migrate")
    arns = lambda **kw: set(ecs.list_tasks(cluster=cluster, **kw)["taskArns"])  # noqa: E731
    assert arns() == {long_a["taskArn"], long_b["taskArn"], short["taskArn"]}
    assert arns(startedBy="deckhand/migrate") == {long_a["taskArn"], short["taskArn"]}
    assert arns(family="report") == {long_b["taskArn"]}
    wait_until(lambda: describe_task(ecs, cluster, short["taskArn"])["lastStatus"] == "STOPPED", timeout=10)
    assert arns() == {long_a["taskArn"], long_b["taskArn"]}
    assert arns(desiredStatus="RUNNING", startedBy="deckhand/migrate") == {long_a["taskArn"]}
    assert arns(desiredStatus="STOPPED") == {short["taskArn"]}
    assert arns(serviceName="web") == set()
    ecs.stop_task(cluster=cluster, task=long_a["taskArn"])
    assert arns(family="migrate", desiredStatus="STOPPED") == {long_a["taskArn"], short["taskArn"]}

    missing = "0123456789abcdef0123456789abcdef"
    resp = ecs.describe_tasks(cluster=cluster, tasks=[long_b["taskArn"], missing])
    assert [t["taskArn"] for t in resp["tasks"]] == [long_b["taskArn"]]
    assert resp["failures"] == [
        {"arn": f"arn:aws:ecs:us-east-1:123456789012:task/{cluster}/{missing}", "reason": "MISSING"}
    ]
    ecs.stop_task(cluster=cluster, task=long_b["taskArn"])


def awslogs(group: str, prefix: str | None = "ecs", region: str = "us-east-1") -> dict[str, Any]:
    options = {"awslogs-group": group, "awslogs-region": region}
    if prefix:
        options["awslogs-stream-prefix"] = prefix
    return {"logDriver": "awslogs", "options": options}


def stopped(ecs: Any, cluster: str, arn: str) -> dict[str, Any]:
    return wait_until(
        lambda: (lambda x: x if x["lastStatus"] == "STOPPED" else None)(describe_task(ecs, cluster, arn)), timeout=10
    )


def test_task_log_lines_written_to_cloudwatch_logs_when_task_stops() -> None:
    key = new_key()
    fast(key)
    cluster = "logs-" + uuid.uuid4().hex[:6]
    group = f"/ecs/migrate-{uuid.uuid4().hex[:6]}"
    td = td_input(
        "migrate",
        command=["./migrate", "up"],
        extra_containers=[
            {
                "name": "sidecar",
                "image": "envoy:1",
                "memory": 128,
                "essential": False,
                "logConfiguration": awslogs(group),
            },
            {"name": "quiet", "image": "busybox", "memory": 64, "essential": False},
        ],
    )
    td["containerDefinitions"][0]["logConfiguration"] = awslogs(group)
    seeded = seed_env(cluster, taskDefinitions=[td])
    rule = admin(
        "POST",
        "/task-rules",
        {
            "accessKey": key,
            "commandContains": "fail",
            "exitCode": 1,
            "logLines": ["applying 0001_init", 'error: relation "users" exists\nrollback', ""],
        },
    )["rule"]
    assert rule["logLines"] == ["applying 0001_init", 'error: relation "users" exists\nrollback', ""], rule
    ecs, logs = client("ecs", key), client("logs", key)

    task = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["migrate"], command=["./migrate", "fail"])
    task_id = task["taskArn"].split("/")[-1]
    stream = f"ecs/migrate/{task_id}"
    # running: the group (created by the driver) and both awslogs streams exist, no events yet
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group], groups
    streams = {s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]}
    assert streams == {stream, f"ecs/sidecar/{task_id}"}, streams
    assert logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"] == []

    t = stopped(ecs, cluster, task["taskArn"])
    resp = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    events = resp["events"]
    assert [e["message"] for e in events] == ["applying 0001_init", 'error: relation "users" exists', "rollback"]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    assert t["startedAt"].timestamp() * 1000 - 1 <= stamps[0] and stamps[-1] <= t["stoppedAt"].timestamp() * 1000 + 1
    # the tail: startFromHead false with a limit gives the last events
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=False, limit=2)
    assert [e["message"] for e in tail["events"]] == ['error: relation "users" exists', "rollback"]
    # reading on from the forward token: nothing more, and the same token again
    more = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startFromHead=True, nextToken=resp["nextForwardToken"]
    )
    assert more["events"] == [] and more["nextForwardToken"] == resp["nextForwardToken"]
    # the sidecar's command does not match the rule: its stream has no events
    assert (
        logs.get_log_events(logGroupName=group, logStreamName=f"ecs/sidecar/{task_id}", startFromHead=True)["events"]
        == []
    )

    # no matching rule: the stream is created, no events; StopTask flushes a rule's lines too
    plain = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["migrate"])
    stopped(ecs, cluster, plain["taskArn"])
    plain_stream = f"ecs/migrate/{plain['taskArn'].split('/')[-1]}"
    assert logs.get_log_events(logGroupName=group, logStreamName=plain_stream, startFromHead=True)["events"] == []
    admin(
        "POST",
        "/task-rules",
        {"accessKey": key, "commandContains": "hang", "runSeconds": -1, "logLines": ["waiting for lock"]},
    )
    hung = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["migrate"], command=["hang"])
    hung_stream = f"ecs/migrate/{hung['taskArn'].split('/')[-1]}"
    assert logs.get_log_events(logGroupName=group, logStreamName=hung_stream, startFromHead=True)["events"] == []
    ecs.stop_task(cluster=cluster, task=hung["taskArn"], reason="timeout")
    got = logs.get_log_events(logGroupName=group, logStreamName=hung_stream, startFromHead=True)["events"]
    assert [e["message"] for e in got] == ["waiting for lock"]

    # missing stream of an existing group: AWS's message (moto said the group was missing)
    exc = expect_client_error(
        lambda: logs.get_log_events(logGroupName=group, logStreamName="ecs/nope/x"), "ResourceNotFoundException", 400
    )
    assert exc.response["Error"]["Message"] == "The specified log stream does not exist."
    status, _, body = http("POST", "/_deckhand/task-rules", {"logLines": "not a list"})
    assert status == 400 and "logLines" in body["error"]
    admin("DELETE", f"/task-rules?accessKey={key}")


def test_task_logs_without_stream_prefix_and_in_awslogs_region() -> None:
    key = new_key()
    fast(key)
    cluster = "logs2-" + uuid.uuid4().hex[:6]
    group = f"/ecs/report-{uuid.uuid4().hex[:6]}"
    td = td_input("report")
    td["containerDefinitions"][0]["logConfiguration"] = awslogs(group, prefix=None, region="eu-west-1")
    seeded = seed_env(cluster, taskDefinitions=[td])
    admin("POST", "/task-rules", {"accessKey": key, "imageContains": "nginx", "logLines": ["done"]})
    ecs = client("ecs", key)
    task = run_task(ecs, cluster, seeded, seeded["taskDefinitions"]["report"])
    t = stopped(ecs, cluster, task["taskArn"])
    assert client("logs", key).describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []  # other region
    logs = client("logs", key, region="eu-west-1")
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert stream["logStreamName"] == t["containers"][0]["runtimeId"]  # no prefix: the container's id
    events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True)
    assert [e["message"] for e in events["events"]] == ["done"]
    admin("DELETE", f"/task-rules?accessKey={key}")


def failing_deployment(ecs: Any, cluster: str, service: str, image: str) -> tuple[str, str]:
    """Update `service` to a task definition with `image`; (deployment id, task definition ARN)."""
    td = register(ecs, service, image)
    updated = ecs.update_service(cluster=cluster, service=service, taskDefinition=td)["service"]
    primary = updated["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["taskDefinition"] == td
    return primary["id"], td


def test_failed_deployment_leaves_stopped_tasks_with_reasons() -> None:
    key = new_key()
    fast(key)
    cluster = "stopped-" + uuid.uuid4().hex[:6]
    names = ["pull", "oom", "crash"]
    seed_env(cluster, [web_service(n, rollback=True) for n in names])
    ecs = client("ecs", key)
    images = {
        "pull": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:unpushed-3f9c2e1",
        "oom": "registry/shop-oom:2",
        "crash": "registry/crash-loop:1",
    }
    deployments = {n: failing_deployment(ecs, cluster, n, images[n]) for n in names}

    def failed(name: str) -> bool:
        return any(d["rolloutState"] == "FAILED" for d in describe(ecs, cluster, name)["deployments"])

    for n in names:
        wait_until(partial(failed, n), timeout=10)

    for n in names:
        dep_id, td = deployments[n]
        assert dep_id.startswith("ecs-svc/") and dep_id[len("ecs-svc/") :].isdigit()
        arns = ecs.list_tasks(cluster=cluster, serviceName=n, desiredStatus="STOPPED")["taskArns"]
        assert len(arns) == 3, arns
        assert ecs.list_tasks(cluster=cluster, serviceName=n)["taskArns"] == []  # RUNNING: none
        assert set(ecs.list_tasks(cluster=cluster, startedBy=dep_id, desiredStatus="STOPPED")["taskArns"]) == set(arns)
        resp = ecs.describe_tasks(cluster=cluster, tasks=arns)
        assert not resp["failures"] and len(resp["tasks"]) == 3
        for t in resp["tasks"]:
            assert t["taskArn"].startswith(f"arn:aws:ecs:us-east-1:123456789012:task/{cluster}/")
            assert len(t["taskArn"].split("/")[-1]) == 32
            assert t["group"] == f"service:{n}" and t["startedBy"] == dep_id
            assert t["taskDefinitionArn"] == td
            assert t["lastStatus"] == "STOPPED" and t["desiredStatus"] == "STOPPED"
            assert t["launchType"] == "FARGATE"
            assert t["createdAt"] <= t["stoppedAt"]
            assert t["attachments"][0]["status"] == "DELETED"
            (c,) = t["containers"]
            assert c["name"] == n and c["image"] == images[n] and c["lastStatus"] == "STOPPED"
            if n == "pull":
                reason = (
                    "CannotPullContainerError: pull image manifest has been retried 7 time(s): "
                    f"failed to resolve ref {images[n]}: not found"
                )
                assert t["stopCode"] == "TaskFailedToStart" and t["stoppedReason"] == reason
                assert c["reason"] == reason and "exitCode" not in c and "startedAt" not in t
            elif n == "oom":
                assert t["stopCode"] == "EssentialContainerExited"
                assert t["stoppedReason"] == "Essential container in task exited"
                assert c["exitCode"] == 137 and c["reason"] == "OutOfMemoryError: Container killed due to memory usage"
                assert t["startedAt"] <= t["stoppedAt"]
            else:
                assert t["stopCode"] == "EssentialContainerExited"
                assert t["stoppedReason"] == "Essential container in task exited"
                assert c["exitCode"] == 1 and "reason" not in c
        # StopTask on one of them: unchanged
        first = next(t for t in resp["tasks"] if t["taskArn"] == arns[0])
        again = ecs.stop_task(cluster=cluster, task=arns[0], reason="cleanup")["task"]
        assert (again["stopCode"], again["stoppedReason"], again["stoppedAt"]) == (
            first["stopCode"],
            first["stoppedReason"],
            first["stoppedAt"],
        )
        messages = [e["message"] for e in describe(ecs, cluster, n)["events"]]
        assert any(
            m.startswith(f"(service {n}) (deployment {dep_id}) deployment failed: tasks failed to start.")
            for m in messages
        ), messages
    # the unpullable image failed the deployment like a crashing one and rolled back
    assert describe(ecs, cluster, "pull")["taskDefinition"] != deployments["pull"][1]
    expect_client_error(
        lambda: ecs.list_tasks(cluster=cluster, serviceName="nope", desiredStatus="STOPPED"),
        "ServiceNotFoundException",
        400,
    )


def test_stopped_service_tasks_multi_container_custom_markers_and_no_breaker() -> None:
    _, cluster, ecs, _ = fast_cluster(
        "stopped2",
        [web_service("web", rollback=False), web_service("api", enable=False, rollback=False)],
        oomImageMarkers=["bloat"],
        unpullableImageMarkers=[],
    )
    # "missing" is no marker for this key; "bloat" is its OOM marker; the sidecar is stopped by ECS
    td = ecs.register_task_definition(
        **td_input(
            "web",
            "registry/bloat:1",
            extra_containers=[{"name": "envoy", "image": "envoy:missing", "memory": 128, "essential": False}],
        )
    )["taskDefinition"]
    dep_id = ecs.update_service(cluster=cluster, service="web", taskDefinition=td["taskDefinitionArn"])["service"][
        "deployments"
    ][0]["id"]
    wait_until(lambda: describe(ecs, cluster, "web")["deployments"][0]["rolloutState"] == "FAILED", timeout=10)
    arns = ecs.list_tasks(cluster=cluster, serviceName="web", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
    assert len(tasks) == 3
    for t in tasks:
        app, envoy = t["containers"]
        assert t["startedBy"] == dep_id and t["stopCode"] == "EssentialContainerExited"
        assert app["exitCode"] == 137 and app["reason"].startswith("OutOfMemoryError")
        assert envoy["name"] == "envoy" and envoy["exitCode"] == 0 and "reason" not in envoy
    # no circuit breaker: the deployment stays IN_PROGRESS, but its stopped tasks show up
    api_dep, api_td = failing_deployment(ecs, cluster, "api", "registry/crash:9")
    wait_until(
        lambda: ecs.list_tasks(cluster=cluster, serviceName="api", desiredStatus="STOPPED")["taskArns"], timeout=10
    )
    arns = ecs.list_tasks(cluster=cluster, serviceName="api", desiredStatus="STOPPED")["taskArns"]
    assert len(arns) == 3
    t = describe_task(ecs, cluster, arns[0])
    assert t["startedBy"] == api_dep and t["taskDefinitionArn"] == api_td and t["containers"][0]["exitCode"] == 1
    assert describe(ecs, cluster, "api")["deployments"][0]["rolloutState"] == "IN_PROGRESS"


def ecr_image(repo: str, tag: str, region: str = "us-east-1") -> str:
    return f"123456789012.dkr.ecr.{region}.amazonaws.com/{repo}:{tag}"


def test_seed_preflight_resources_and_read_apis() -> None:
    cluster = "pre-" + uuid.uuid4().hex[:6]
    suffix = uuid.uuid4().hex[:6]
    repo = f"shop-{suffix}"
    digest_ref = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repo}@sha256:{'ab' * 32}"
    images = [
        ecr_image(repo, "3f9c2e1"),
        ecr_image(repo, "3f9c2e2"),
        ecr_image(f"team/{repo}", "v1", "eu-west-1"),
        digest_ref,
    ]
    role_arns = [
        f"arn:aws:iam::123456789012:role/shop-task-{suffix}",
        f"arn:aws:iam::123456789012:role/service-role/shop-exec-{suffix}",
    ]
    param_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter/shop-{suffix}/db-url"
    parameters = {param_arn: "postgres://db", f"/shop-{suffix}/api-key": "k3y"}
    body: dict[str, Any] = {
        "images": images,
        "roles": role_arns,
        "parameters": parameters,
        "secrets": {f"shop-{suffix}/db": "pw"},
        "logGroups": [f"/ecs/shop-{suffix}", f"/ecs/shop-{suffix}-worker"],
    }
    before = len(admin("GET", "/calls")["calls"])
    admin("POST", "/faults", {"operation": "*", "kind": "error500", "count": 50})  # must not hit the seeder
    try:
        res = seed_env(cluster, **body)
    finally:
        admin("DELETE", "/faults")
    assert len(admin("GET", "/calls")["calls"]) == before, "seed calls were logged"

    assert set(res["images"]) == set(images) and all(d.startswith("sha256:") for d in res["images"].values())
    assert len(set(res["images"].values())) == 4 and res["images"][digest_ref] == f"sha256:{'ab' * 32}"
    assert res["roles"] == {f"shop-task-{suffix}": role_arns[0], f"shop-exec-{suffix}": role_arns[1]}, res["roles"]
    assert res["parameters"] == {
        param_arn: param_arn,
        f"/shop-{suffix}/api-key": f"arn:aws:ssm:us-east-1:123456789012:parameter/shop-{suffix}/api-key",
    }
    secret_arn = res["secrets"][f"shop-{suffix}/db"]
    assert re.fullmatch(
        rf"arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-{suffix}/db-[A-Za-z0-9]{{6}}", secret_arn
    ), secret_arn
    assert res["logGroups"] == {g: f"arn:aws:logs:us-east-1:123456789012:log-group:{g}" for g in body["logGroups"]}

    key = new_key()
    # ECR DescribeImages by tag / digest; a missing tag is ImageNotFoundException
    ecr = client("ecr", key)
    (img,) = ecr.describe_images(registryId="123456789012", repositoryName=repo, imageIds=[{"imageTag": "3f9c2e1"}])[
        "imageDetails"
    ]
    assert img["imageDigest"] == res["images"][images[0]] and img["imageTags"] == ["3f9c2e1"]
    assert img["repositoryName"] == repo and img["registryId"] == "123456789012"
    by_digest = ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": f"sha256:{'ab' * 32}"}])
    assert by_digest["imageDetails"][0]["imageDigest"] == f"sha256:{'ab' * 32}"
    expect_client_error(
        lambda: ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "nope"}]), "ImageNotFoundException", 400
    )
    expect_client_error(
        lambda: ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "3f9c2e1"}, {"imageTag": "nope"}]),
        "ImageNotFoundException",
        400,
    )  # one of several missing: the call fails
    both = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "3f9c2e1"}, {"imageTag": "3f9c2e2"}])
    assert {t for d in both["imageDetails"] for t in d["imageTags"]} == {"3f9c2e1", "3f9c2e2"}
    expect_client_error(
        lambda: ecr.describe_images(repositoryName="no-such-repo", imageIds=[{"imageTag": "x"}]),
        "RepositoryNotFoundException",
        400,
    )
    eu = client("ecr", key, region="eu-west-1").describe_images(
        repositoryName=f"team/{repo}", imageIds=[{"imageTag": "v1"}]
    )
    assert eu["imageDetails"][0]["imageDigest"] == res["images"][images[2]]

    # IAM GetRole; missing -> NoSuchEntity (404) with AWS's message
    iam = client("iam", key)
    role = iam.get_role(RoleName=f"shop-exec-{suffix}")["Role"]
    assert role["Arn"] == role_arns[1] and role["Path"] == "/service-role/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    exc = expect_client_error(lambda: iam.get_role(RoleName=f"nope-{suffix}"), "NoSuchEntity", 404)
    assert exc.response["Error"]["Message"] == f"The role with name nope-{suffix} cannot be found."

    # SSM GetParameters: names or ARNs, missing ones in InvalidParameters, at most 10 names
    ssm = client("ssm", key)
    plain = ssm.get_parameters(
        Names=[param_arn, f"arn:aws:ssm:us-east-1:123456789012:parameter/shop-{suffix}/gone"], WithDecryption=False
    )
    assert [p["ARN"] for p in plain["Parameters"]] == [param_arn]
    assert plain["InvalidParameters"] == [f"arn:aws:ssm:us-east-1:123456789012:parameter/shop-{suffix}/gone"]
    got = ssm.get_parameters(
        Names=[param_arn, f"/shop-{suffix}/api-key", f"/shop-{suffix}/missing"], WithDecryption=True
    )
    assert {p["ARN"]: (p["Type"], p["Value"]) for p in got["Parameters"]} == {
        param_arn: ("SecureString", "postgres://db"),
        f"arn:aws:ssm:us-east-1:123456789012:parameter/shop-{suffix}/api-key": ("SecureString", "k3y"),
    }
    assert got["InvalidParameters"] == [f"/shop-{suffix}/missing"]
    expect_client_error(lambda: ssm.get_parameters(Names=[f"/p{i}" for i in range(11)]), "ValidationException", 400)

    # Secrets Manager DescribeSecret by name / ARN; missing -> ResourceNotFoundException (400, as AWS)
    sm = client("secretsmanager", key)
    assert sm.describe_secret(SecretId=f"shop-{suffix}/db")["ARN"] == secret_arn
    assert sm.describe_secret(SecretId=secret_arn)["Name"] == f"shop-{suffix}/db"
    assert sm.get_secret_value(SecretId=secret_arn)["SecretString"] == "pw"
    expect_client_error(lambda: sm.describe_secret(SecretId=f"nope-{suffix}"), "ResourceNotFoundException", 400)

    # CloudWatch Logs DescribeLogGroups by prefix
    logs = client("logs", key)
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/ecs/shop-{suffix}")["logGroups"]
    assert [g["logGroupName"] for g in groups] == body["logGroups"]
    assert all(g["logGroupClass"] == "STANDARD" for g in groups)
    assert logs.describe_log_groups(logGroupNamePrefix=f"/ecs/none-{suffix}")["logGroups"] == []
    expect_client_error(
        lambda: logs.get_log_events(logGroupName=f"/nope-{suffix}", logStreamName="s"), "ResourceNotFoundException", 400
    )

    # seeding again keeps what exists (same digests, same secret ARN)
    again = seed_env(cluster, **{**body, "secrets": [f"shop-{suffix}/db"]})
    assert again["images"] == res["images"] and again["secrets"] == res["secrets"]
    assert sm.get_secret_value(SecretId=secret_arn)["SecretString"] == "pw"

    for bad in (
        {"images": ["nginx:1.27"]},
        {"images": [ecr_image(repo, "x").replace("123456789012", "210987654321")]},
        {"roles": ["arn:aws:iam::123456789012:user/bob"]},
        {"parameters": ["/a"]},
        {"secrets": [1]},
        {"logGroups": "/ecs/x"},
    ):
        status, _, resp = http("POST", "/_deckhand/seed", {"cluster": cluster, **bad})
        assert status == 400 and resp["error"], (bad, status, resp)


def test_concurrent_requests() -> None:
    key = new_key()
    cluster = "conc-" + uuid.uuid4().hex[:6]
    seed_env(cluster, [web_service("web")])
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            ecs = client("ecs", key)
            for _ in range(5):
                assert describe(ecs, cluster, "web")["serviceName"] == "web"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    # an admin call answers while ECS calls are in flight
    admin("GET", "/config")
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(calls(key)) == 40


def register_td(ecs: Any, **params: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register; return (RegisterTaskDefinition response, DescribeTaskDefinition's taskDefinition)."""
    resp = ecs.register_task_definition(**params)
    described = ecs.describe_task_definition(taskDefinition=resp["taskDefinition"]["taskDefinitionArn"])
    return resp, described["taskDefinition"]


def ec2_td(family: str, containers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"family": family, "containerDefinitions": containers, **extra}


def test_taskdef_task_size_units_are_described_as_numbers() -> None:
    ecs = client("ecs", new_key())
    c = [{"name": "a", "image": "nginx"}]
    cases = [  # (cpu, memory) registered -> described; Fargate needs a valid combination
        (("1 vCPU", "2 GB"), ("1024", "2048")),
        ((".5 vCPU", "1 GB"), ("512", "1024")),
        (("0.25 vcpu", ".5 GB"), ("256", "512")),
        (("2vCPU", "4gb"), ("2048", "4096")),
        (("256", "512"), ("256", "512")),
    ]
    for (cpu, mem), want in cases:
        _, td = register_td(
            ecs,
            family="units",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu=cpu,
            memory=mem,
            containerDefinitions=c,
        )
        assert (td["cpu"], td["memory"]) == want, (cpu, mem, td["cpu"], td["memory"])
    _, td = register_td(ecs, **ec2_td("units-ec2", c, cpu="0.5 vCPU", memory=".5 GB"))
    assert (td["cpu"], td["memory"]) == ("512", "512")
    for cpu, mem, field in (
        ("1 GHz", "512", "cpu"),
        ("256", "512 MiB", "memory"),
        ("one", "512", "cpu"),
        ("256", "1.5", "memory"),
    ):
        exc = expect_client_error(
            partial(ecs.register_task_definition, **ec2_td("units-bad", c, cpu=cpu, memory=mem)), "ClientException", 400
        )
        assert exc.response["Error"]["Message"] == f"Invalid '{field}' setting for task.", exc.response["Error"]


def test_taskdef_port_mapping_defaults() -> None:
    ecs = client("ecs", new_key())

    def mappings(network_mode: str | None, pms: list[dict[str, Any]]) -> list[dict[str, Any]]:
        extra = {"networkMode": network_mode} if network_mode else {}
        _, td = register_td(
            ecs, **ec2_td("ports", [{"name": "a", "image": "nginx", "memory": 128, "portMappings": pms}], **extra)
        )
        return td["containerDefinitions"][0]["portMappings"]

    for mode in ("awsvpc", "host"):
        assert mappings(mode, [{"containerPort": 80}, {"containerPort": 53, "protocol": "udp"}]) == [
            {"containerPort": 80, "hostPort": 80, "protocol": "tcp"},
            {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
        ]
        assert mappings(mode, [{"containerPort": 81, "hostPort": 81}]) == [
            {"containerPort": 81, "hostPort": 81, "protocol": "tcp"}
        ]
    for bridge in ("bridge", None):  # bridge is ECS's default: an omitted hostPort is dynamic (0)
        assert mappings(bridge, [{"containerPort": 80}, {"containerPort": 443, "hostPort": 8443}]) == [
            {"containerPort": 80, "hostPort": 0, "protocol": "tcp"},
            {"containerPort": 443, "hostPort": 8443, "protocol": "tcp"},
        ]
    assert mappings("awsvpc", [{"containerPort": 8000, "hostPort": 80}]) == [  # kept as registered
        {"containerPort": 8000, "hostPort": 80, "protocol": "tcp"}
    ]
    assert mappings("awsvpc", [{"containerPortRange": "8000-8010"}]) == [
        {"protocol": "tcp", "containerPortRange": "8000-8010"}
    ]


def test_bridge_dynamic_host_ports_are_not_reserved() -> None:
    key = new_key()
    ecs, ec2 = client("ecs", key), client("ec2", key)
    cluster = "bridge-" + uuid.uuid4().hex[:6]
    ecs.create_cluster(clusterName=cluster)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.large")["Instances"][0]
    ecs.register_container_instance(
        cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]})
    )
    td, _ = register_td(
        ecs,
        **ec2_td(
            "bridge-web", [{"name": "web", "image": "nginx", "memory": 128, "portMappings": [{"containerPort": 80}]}]
        ),
    )
    resp = ecs.run_task(
        cluster=cluster, taskDefinition=td["taskDefinition"]["taskDefinitionArn"], launchType="EC2", count=2
    )
    assert len(resp["tasks"]) == 2 and not resp["failures"], resp  # both on the one instance


def test_taskdef_health_check_defaults() -> None:
    ecs = client("ecs", new_key())
    cmd = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
    _, td = register_td(
        ecs,
        **ec2_td(
            "hc",
            [
                {"name": "a", "image": "nginx", "memory": 128, "healthCheck": {"command": cmd}},
                {
                    "name": "b",
                    "image": "nginx",
                    "memory": 128,
                    "healthCheck": {"command": cmd, "interval": 10, "timeout": 2, "retries": 5, "startPeriod": 60},
                },
            ],
        ),
    )
    a, b = td["containerDefinitions"]
    assert a["healthCheck"] == {"command": cmd, "interval": 30, "timeout": 5, "retries": 3}  # no startPeriod
    assert b["healthCheck"] == {"command": cmd, "interval": 10, "timeout": 2, "retries": 5, "startPeriod": 60}


def test_taskdef_container_defaults() -> None:
    ecs = client("ecs", new_key())
    _, td = register_td(
        ecs,
        **ec2_td(
            "cdefaults",
            [
                {"name": "a", "image": "nginx", "memory": 128},
                {
                    "name": "b",
                    "image": "nginx",
                    "memoryReservation": 64,
                    "cpu": 10,
                    "essential": False,
                    "environment": [{"name": "X", "value": "1"}],
                    "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}],
                },
            ],
        ),
    )
    a, b = td["containerDefinitions"]
    assert a == {
        "name": "a",
        "image": "nginx",
        "memory": 128,
        "cpu": 0,
        "essential": True,
        "portMappings": [],
        "environment": [],
        "mountPoints": [],
        "volumesFrom": [],
        "systemControls": [],
    }, a
    assert b["cpu"] == 10 and b["essential"] is False and b["memoryReservation"] == 64 and "memory" not in b
    assert b["environment"] == [{"name": "X", "value": "1"}]
    assert b["systemControls"] == [{"namespace": "net.core.somaxconn", "value": "1024"}]
    assert "ulimits" not in a and "environmentFiles" not in a and "secrets" not in a


def test_taskdef_network_mode_as_registered() -> None:
    ecs = client("ecs", new_key())
    c = [{"name": "a", "image": "nginx", "memory": 128}]
    _, td = register_td(ecs, **ec2_td("nm-none", c))
    assert "networkMode" not in td, td  # ECS's default is bridge, but it is not described
    for mode in ("bridge", "host", "awsvpc", "none"):
        _, td = register_td(ecs, **ec2_td("nm-" + mode, c, networkMode=mode))
        assert td["networkMode"] == mode
    for extra in (
        {"requiresCompatibilities": ["EC2", "FARGATE"], "networkMode": "bridge"},
        {"requiresCompatibilities": ["FARGATE"]},
        {"requiresCompatibilities": ["FARGATE"], "networkMode": "host"},
    ):
        exc = expect_client_error(
            partial(ecs.register_task_definition, **ec2_td("nm-fargate", c, cpu="256", memory="512", **extra)),
            "ClientException",
            400,
        )
        assert exc.response["Error"]["Message"] == "Fargate only supports network mode ‘awsvpc’."
    _, td = register_td(
        ecs,
        **ec2_td(
            "nm-both", c, cpu="256", memory="512", networkMode="awsvpc", requiresCompatibilities=["EC2", "FARGATE"]
        ),
    )
    assert td["networkMode"] == "awsvpc"


def test_taskdef_memory_and_fargate_validation() -> None:
    ecs = client("ecs", new_key())
    # EC2: memoryReservation alone is enough (moto 5.2.5 rejected it), so is task-level memory
    _, td = register_td(
        ecs,
        **ec2_td("mem", [{"name": "a", "image": "nginx", "memoryReservation": 128}], requiresCompatibilities=["EC2"]),
    )
    assert td["containerDefinitions"][0]["memoryReservation"] == 128
    register_td(ecs, **ec2_td("mem", [{"name": "a", "image": "nginx"}], memory="512", requiresCompatibilities=["EC2"]))
    exc = expect_client_error(
        lambda: ecs.register_task_definition(**ec2_td("mem", [{"name": "a", "image": "nginx"}])), "ClientException"
    )
    assert exc.response["Error"]["Message"] == (
        "Invalid setting for container 'a'. At least one of 'memory' or 'memoryReservation' must be specified."
    )
    fargate = {"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"]}
    c = [{"name": "a", "image": "nginx"}]
    for extra, message in (
        ({"memory": "512"}, "Fargate requires that 'cpu' be defined at the task level."),
        ({"cpu": "256"}, "Fargate requires that 'memory' be defined at the task level."),
        ({"cpu": "256", "memory": "4096"}, "No Fargate configuration exists for given values."),
        ({"cpu": "300", "memory": "512"}, "No Fargate configuration exists for given values."),
        (
            {"cpu": "256", "memory": "512", "ipcMode": "task"},
            "Tasks using the Fargate launch type do not support ipcMode.",
        ),
    ):
        exc = expect_client_error(
            partial(ecs.register_task_definition, **ec2_td("fg", c, **fargate, **extra)), "ClientException"
        )
        assert exc.response["Error"]["Message"] == message, (extra, exc.response["Error"])
    exc = expect_client_error(
        lambda: ecs.register_task_definition(**ec2_td("tags", c, memory="512", tags=[])), "ClientException"
    )
    assert exc.response["Error"]["Message"] == "Tags can not be empty."


def test_taskdef_registered_fields_are_described_back() -> None:
    ecs = client("ecs", new_key())
    container = {
        "name": "app",
        "image": "shop:1",
        "memory": 512,
        "memoryReservation": 256,
        "cpu": 128,
        "essential": True,
        "portMappings": [
            {"containerPort": 80, "hostPort": 80, "protocol": "tcp", "name": "http", "appProtocol": "http"}
        ],
        "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
        "secrets": [{"name": "S", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/s"}],
        "mountPoints": [{"sourceVolume": "efs", "containerPath": "/data", "readOnly": True}],
        "volumesFrom": [],
        "command": ["run"],
        "entryPoint": ["sh", "-c"],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/shop"}},
        "healthCheck": {"command": ["CMD", "true"], "interval": 10, "timeout": 3, "retries": 2, "startPeriod": 5},
        "dependsOn": [{"containerName": "side", "condition": "START"}],
        "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
        "user": "1000",
        "dockerLabels": {"team": "shop"},
        "systemControls": [],
        "readonlyRootFilesystem": True,
    }
    side = {
        "name": "side",
        "image": "envoy:1",
        "memory": 128,
        "essential": False,
        "cpu": 0,
        "portMappings": [],
        "environment": [],
        "mountPoints": [],
        "volumesFrom": [],
        "systemControls": [],
    }
    registered = {
        "family": "roundtrip",
        "taskRoleArn": "arn:aws:iam::123456789012:role/app",
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "networkMode": "awsvpc",
        "containerDefinitions": [container, side],
        "volumes": [
            {
                "name": "efs",
                "efsVolumeConfiguration": {
                    "fileSystemId": "fs-1",
                    "rootDirectory": "/app",
                    "transitEncryption": "ENABLED",
                },
            },
            {"name": "dv", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": True, "driver": "local"}},
            {"name": "h", "host": {"sourcePath": "/var/x"}},
            {
                "name": "fsx",
                "fsxWindowsFileServerVolumeConfiguration": {
                    "fileSystemId": "fs-2",
                    "rootDirectory": "share",
                    "authorizationConfig": {
                        "credentialsParameter": "arn:aws:ssm:us-east-1:123456789012:parameter/c",
                        "domain": "d",
                    },
                },
            },
        ],
        "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.os-type == linux"}],
        "requiresCompatibilities": ["EC2"],
        "cpu": "1024",
        "memory": "2048",
        "pidMode": "host",
        "ipcMode": "host",
        "proxyConfiguration": {
            "type": "APPMESH",
            "containerName": "side",
            "properties": [{"name": "IgnoredUID", "value": "1337"}],
        },
        "inferenceAccelerators": [{"deviceName": "d1", "deviceType": "eia2.medium"}],
        "ephemeralStorage": {"sizeInGiB": 30},
        "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        "enableFaultInjection": True,
        "trustedExecutionConfiguration": {"isolationMode": "SHARED"},
        "tags": [{"key": "team", "value": "shop"}],
    }
    resp, td = register_td(ecs, **registered)
    additions = {"taskDefinitionArn", "revision", "status", "compatibilities", "registeredAt", "registeredBy"}
    assert set(td) == (set(registered) - {"tags"}) | additions, set(td) ^ ((set(registered) - {"tags"}) | additions)
    for field, value in registered.items():
        if field != "tags":
            assert td[field] == value, (field, td[field], value)
    assert resp["taskDefinition"] == td  # the response's task definition is the stored one
    assert resp["tags"] == registered["tags"]
    tagged = ecs.describe_task_definition(taskDefinition="roundtrip", include=["TAGS"])
    assert tagged["tags"] == registered["tags"]
    # unset, enableFaultInjection is not described (as ECS); false is kept as false
    _, plain = register_td(ecs, **ec2_td("fi", [{"name": "a", "image": "nginx", "memory": 64}]))
    assert "enableFaultInjection" not in plain and "trustedExecutionConfiguration" not in plain
    _, off = register_td(
        ecs, **ec2_td("fi", [{"name": "a", "image": "nginx", "memory": 64}], enableFaultInjection=False)
    )
    assert off["enableFaultInjection"] is False
    resp = ecs.register_task_definition(**ec2_td("fi", [{"name": "a", "image": "nginx", "memory": 64}]))
    assert "tags" not in resp


def test_taskdef_registration_stamp_and_compatibilities() -> None:
    key = new_key()
    ecs = client("ecs", key)
    before = time.time()
    _, fargate = register_td(
        ecs,
        family="stamp",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "a", "image": "nginx"}],
    )
    after = time.time()
    assert before - 1 <= fargate["registeredAt"].timestamp() <= after + 1, fargate["registeredAt"]
    assert fargate["registeredBy"] == client("sts", key).get_caller_identity()["Arn"]
    assert fargate["compatibilities"] == ["EC2", "FARGATE", "MANAGED_INSTANCES"]
    c = [{"name": "a", "image": "nginx", "memory": 128}]
    assert register_td(ecs, **ec2_td("compat", c))[1]["compatibilities"] == ["EXTERNAL", "EC2"]
    assert register_td(ecs, **ec2_td("compat", c, networkMode="host", requiresCompatibilities=["EC2"]))[1][
        "compatibilities"
    ] == ["EXTERNAL", "EC2"]
    assert register_td(ecs, **ec2_td("compat", c, networkMode="awsvpc"))[1]["compatibilities"] == ["EC2"]
    # an EC2 task definition that would also run on Fargate reports FARGATE too
    assert register_td(
        ecs, **ec2_td("compat", c, networkMode="awsvpc", cpu="256", memory="512", requiresCompatibilities=["EC2"])
    )[1]["compatibilities"] == ["EC2", "FARGATE", "MANAGED_INSTANCES"]
    sc = [{**c[0], "portMappings": [{"containerPort": 80, "name": "http", "appProtocol": "http"}]}]
    assert register_td(ecs, **ec2_td("compat", sc, networkMode="bridge"))[1]["compatibilities"] == ["EC2"]


# ---------------------------------------------------------------------------
# services: every CreateService / UpdateService field, service deployments,
# BLUE_GREEN / LINEAR / CANARY
# ---------------------------------------------------------------------------

ACCOUNT = "123456789012"
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
TG = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup"
LISTENER_RULE = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener-rule/app/shop/0123456789abcdef"
LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
STAGE_ORDER = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
]


def ecs_raw(key: str, operation: str, body: dict[str, Any]) -> tuple[int, Any]:
    """An ECS request as the SDKs send it, without the SDK's own checks (timestamps with
    fractions of a second, members the operation does not have)."""
    status, _, parsed = http(
        "POST",
        "/",
        body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AmazonEC2ContainerServiceV20141113.{operation}",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/ecs/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    return status, parsed


def network(seeded: dict[str, Any]) -> dict[str, Any]:
    return {"awsvpcConfiguration": {"subnets": seeded["subnets"], "securityGroups": seeded["securityGroups"]}}


def strategy_service(
    name: str, strategy: str, bake: int = 1, rollback: bool = True, **deployment: Any
) -> dict[str, Any]:
    """A seeded web service with a load balancer and this deployment strategy."""
    svc = web_service(name, rollback=rollback)
    svc["deploymentConfiguration"].update(strategy=strategy, bakeTimeInMinutes=bake, **deployment)
    svc["loadBalancers"] = [
        {
            "targetGroupArn": f"{TG}/{name}-blue/0123456789abcdef",
            "containerName": name,
            "containerPort": 80,
            "advancedConfiguration": {
                "alternateTargetGroupArn": f"{TG}/{name}-green/0123456789abcdef",
                "productionListenerRule": f"{LISTENER_RULE}/1",
                "testListenerRule": f"{LISTENER_RULE}/2",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/ecs-infrastructure",
            },
        }
    ]
    return svc


def current_deployment_arn(ecs: Any, cluster: str, name: str) -> str:
    arn = describe(ecs, cluster, name)["currentServiceDeployment"]
    assert arn.startswith(f"arn:aws:ecs:us-east-1:{ACCOUNT}:service-deployment/{cluster}/{name}/"), arn
    return str(arn)


def describe_sd(ecs: Any, arn: str) -> dict[str, Any]:
    out = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    assert out["failures"] == [], out["failures"]
    return dict(out["serviceDeployments"][0])


def watch_sds(
    ecs: Any, arns: list[str], timeout: float = 30.0, until: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Poll DescribeServiceDeployments for all `arns` in one call each time (as fast as
    the server answers) until each is in a terminal status (or `until` holds for one);
    every deployment's responses, in order."""
    seen: dict[str, list[dict[str, Any]]] = {arn: [] for arn in arns}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = ecs.describe_service_deployments(serviceDeploymentArns=arns)
        assert out["failures"] == [], out["failures"]
        for sd in out["serviceDeployments"]:
            seen[sd["serviceDeploymentArn"]].append(sd)
        latest = [seen[arn][-1] for arn in arns]
        if until is not None and any(until(sd) for sd in latest):
            return seen
        if all(sd["status"] in TERMINAL for sd in latest):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"service deployments not finished within {timeout}s: {[seen[a][-1] for a in arns]}")


def watch_sd(
    ecs: Any, arn: str, timeout: float = 30.0, until: Callable[[dict[str, Any]], bool] | None = None
) -> list[dict[str, Any]]:
    """watch_sds for one service deployment."""
    return watch_sds(ecs, [arn], timeout, until)[arn]


def changes(seen: list[dict[str, Any]], *fields: str) -> list[tuple[Any, ...]]:
    """The distinct successive values of `fields` ("targetServiceRevision.x" for nested)."""

    def get(sd: dict[str, Any], f: str) -> Any:
        for part in f.split("."):
            sd = sd.get(part) if isinstance(sd, dict) else None  # type: ignore[assignment]
        return sd

    out: list[tuple[Any, ...]] = []
    for sd in seen:
        value = tuple(get(sd, f) for f in fields)
        if not out or out[-1] != value:
            out.append(value)
    return out


def in_documented_order(stages: list[Any]) -> bool:
    positions = [STAGE_ORDER.index(s) for s in stages if s is not None]
    return positions == sorted(positions)


def test_create_service_stores_every_field() -> None:
    _, cluster, ecs, seeded = new_cluster("allf")
    td = register(ecs, "allf")
    lbs = strategy_service("allf", "BLUE_GREEN")["loadBalancers"]
    registries = [{"registryArn": f"arn:aws:servicediscovery:us-east-1:{ACCOUNT}:service/srv-abc", "port": 80}]
    connect = {
        "enabled": True,
        "namespace": "shop",
        "services": [{"portName": "http", "clientAliases": [{"port": 80, "dnsName": "allf"}]}],
    }
    volumes = [
        {
            "name": "data",
            "managedEBSVolume": {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/ebs", "sizeInGiB": 10, "volumeType": "gp3"},
        }
    ]
    lattice = [{"roleArn": f"arn:aws:iam::{ACCOUNT}:role/lattice", "targetGroupArn": f"{TG}/l/1", "portName": "http"}]
    hooks = [
        {
            "hookTargetArn": f"{LAMBDA}:admission",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/hooks",
            "lifecycleStages": ["PRE_SCALE_UP"],
            "hookDetails": {"registry": "ecr"},
        },
        {
            "targetType": "PAUSE",
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"},
        },
    ]
    dc = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 150,
        "minimumHealthyPercent": 50,
        "alarms": {"alarmNames": ["shop-5xx"], "enable": True, "rollback": True},
        "strategy": "BLUE_GREEN",
        "bakeTimeInMinutes": 5,
        "lifecycleHooks": hooks,
    }
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 3}, {"capacityProvider": "FARGATE", "weight": 1}]
    created = ecs.create_service(
        cluster=cluster,
        serviceName="allf",
        taskDefinition=td,
        desiredCount=2,
        loadBalancers=lbs,
        serviceRegistries=registries,
        capacityProviderStrategy=strategy,
        platformVersion="1.4.0",
        deploymentConfiguration=dc,
        placementConstraints=[{"type": "distinctInstance"}],
        placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        networkConfiguration={
            "awsvpcConfiguration": {**network(seeded)["awsvpcConfiguration"], "assignPublicIp": "ENABLED"}
        },
        healthCheckGracePeriodSeconds=45,
        schedulingStrategy="REPLICA",
        deploymentController={"type": "ECS"},
        tags=[{"key": "team", "value": "shop"}],
        enableECSManagedTags=True,
        propagateTags="SERVICE",
        enableExecuteCommand=True,
        serviceConnectConfiguration=connect,
        volumeConfigurations=volumes,
        vpcLatticeConfigurations=lattice,
        availabilityZoneRebalancing="DISABLED",
    )["service"]
    svc = ecs.describe_services(cluster=cluster, services=["allf"], include=["TAGS"])["services"][0]
    for s in (created, svc):
        assert s["loadBalancers"] == lbs and s["serviceRegistries"] == registries
        assert s["capacityProviderStrategy"] == strategy and "launchType" not in s
        assert s["platformVersion"] == "1.4.0" and s["platformFamily"] == "Linux"
        assert s["placementConstraints"] == [{"type": "distinctInstance"}]
        assert s["placementStrategy"] == [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
        assert s["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
        assert s["healthCheckGracePeriodSeconds"] == 45 and s["schedulingStrategy"] == "REPLICA"
        assert s["deploymentController"] == {"type": "ECS"}
        assert s["enableECSManagedTags"] is True and s["propagateTags"] == "SERVICE"
        assert s["enableExecuteCommand"] is True and s["availabilityZoneRebalancing"] == "DISABLED"
        assert s["roleArn"] == SLR  # awsvpc: ECS's service-linked role
        assert s["tags"] == [{"key": "team", "value": "shop"}]
    got = svc["deploymentConfiguration"]
    assert got["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (got["maximumPercent"], got["minimumHealthyPercent"]) == (150, 50)
    assert got["alarms"] == {"alarmNames": ["shop-5xx"], "enable": True, "rollback": True}
    assert got["strategy"] == "BLUE_GREEN" and got["bakeTimeInMinutes"] == 5
    # lifecycle hooks: ECS's defaults filled in (targetType, timeoutConfiguration)
    assert got["lifecycleHooks"][0] == {
        **hooks[0],
        "targetType": "AWS_LAMBDA",
        "timeoutConfiguration": {"timeoutInMinutes": 1440, "action": "ROLLBACK"},
    }
    assert got["lifecycleHooks"][1] == hooks[1]
    (dep,) = svc["deployments"]
    assert dep["capacityProviderStrategy"] == strategy and "launchType" not in dep
    assert dep["serviceConnectConfiguration"] == connect and dep["volumeConfigurations"] == volumes
    assert dep["vpcLatticeConfigurations"] == lattice and dep["platformVersion"] == "1.4.0"
    # not in DescribeServices' output shape: the Service Connect/volume/lattice configuration
    # is the deployment's; the revision has all of it
    (rev,) = svc["currentServiceRevisions"]
    revision = ecs.describe_service_revisions(serviceRevisionArns=[rev["arn"]])["serviceRevisions"][0]
    assert revision["taskDefinition"] == td and revision["loadBalancers"] == lbs
    assert revision["serviceConnectConfiguration"] == connect and revision["volumeConfigurations"] == volumes
    assert revision["containerImages"][0]["image"] == "nginx:1.27"
    assert revision["containerImages"][0]["imageDigest"].startswith("sha256:")


def test_create_service_fills_ecs_defaults() -> None:
    _, cluster, ecs, seeded = new_cluster("dflt")
    fargate = ecs.create_service(
        cluster=cluster,
        serviceName="f",
        taskDefinition=register(ecs, "dflt"),
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=network(seeded),
    )["service"]
    assert fargate["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "strategy": "ROLLING",
    }
    assert fargate["platformVersion"] == "LATEST" and fargate["launchType"] == "FARGATE"
    assert fargate["deploymentController"] == {"type": "ECS"} and fargate["schedulingStrategy"] == "REPLICA"
    assert fargate["propagateTags"] == "NONE" and fargate["enableECSManagedTags"] is False
    assert fargate["enableExecuteCommand"] is False and fargate["availabilityZoneRebalancing"] == "ENABLED"
    assert fargate["placementConstraints"] == [] and fargate["placementStrategy"] == []
    assert fargate["loadBalancers"] == [] and fargate["serviceRegistries"] == []
    assert fargate["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert fargate["roleArn"] == SLR and "healthCheckGracePeriodSeconds" not in fargate
    # EC2, bridge network: no platform version, no service-linked role; a role name -> its ARN
    bridge = ecs.register_task_definition(
        family="dflt-ec2", containerDefinitions=[{"name": "a", "image": "nginx", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ec2 = ecs.create_service(cluster=cluster, serviceName="e", taskDefinition=bridge, desiredCount=0)["service"]
    assert ec2["launchType"] == "EC2" and "platformVersion" not in ec2 and "roleArn" not in ec2
    assert "networkConfiguration" not in ec2
    clb = [{"loadBalancerName": "classic", "containerName": "a", "containerPort": 80}]
    for role, arn in (
        ("ecsServiceRole", f"arn:aws:iam::{ACCOUNT}:role/ecsServiceRole"),
        ("/service-role/lb", f"arn:aws:iam::{ACCOUNT}:role/service-role/lb"),
        (f"arn:aws:iam::{ACCOUNT}:role/x", f"arn:aws:iam::{ACCOUNT}:role/x"),
    ):
        name = "r" + uuid.uuid4().hex[:4]
        s = ecs.create_service(
            cluster=cluster, serviceName=name, taskDefinition=bridge, desiredCount=0, loadBalancers=clb, role=role
        )["service"]
        assert s["roleArn"] == arn
    # strategy-specific defaults
    for strategy, block, defaults in (
        ("LINEAR", "linearConfiguration", {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}),
        ("CANARY", "canaryConfiguration", {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}),
    ):
        s = ecs.create_service(
            cluster=cluster,
            serviceName=strategy.lower(),
            taskDefinition=bridge,
            desiredCount=0,
            deploymentConfiguration={"strategy": strategy, "bakeTimeInMinutes": 3},
        )["service"]
        assert s["deploymentConfiguration"][block] == defaults, s["deploymentConfiguration"]
    daemon = ecs.create_service(cluster=cluster, serviceName="d", taskDefinition=bridge, schedulingStrategy="DAEMON")[
        "service"
    ]
    assert daemon["deploymentConfiguration"] == {"maximumPercent": 100, "minimumHealthyPercent": 0}


def test_create_service_refusals_and_client_token() -> None:
    _, cluster, ecs, seeded = new_cluster("cref")
    td = register(ecs, "cref")
    base = {"cluster": cluster, "taskDefinition": td, "desiredCount": 1, "networkConfiguration": network(seeded)}

    def refused(message: str, **params: Any) -> None:
        exc = expect_client_error(
            lambda: ecs.create_service(**{**base, "serviceName": "x", **params}), "InvalidParameterException", 400
        )
        assert message in exc.response["Error"]["Message"], exc.response["Error"]

    refused(
        "Specifying both a launch type and capacity provider strategy is not supported",
        launchType="FARGATE",
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    )
    refused(
        "The platform version must be null when specifying an EC2 launch type.",
        launchType="EC2",
        platformVersion="1.4.0",
    )
    refused(
        "You cannot specify an IAM role for services that require a service linked role.",
        launchType="FARGATE",
        role="r",
    )
    refused(
        "linearConfiguration is only valid",
        launchType="FARGATE",
        deploymentConfiguration={"linearConfiguration": {"stepPercent": 20.0}},
    )
    refused(
        "stepPercent",
        launchType="FARGATE",
        deploymentConfiguration={"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 2.0}},
    )
    refused(
        "bakeTimeInMinutes",
        launchType="FARGATE",
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1441},
    )
    refused(
        "PAUSE hooks cannot be configured at the TEST_TRAFFIC_SHIFT stage",
        launchType="FARGATE",
        deploymentConfiguration={
            "strategy": "BLUE_GREEN",
            "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["TEST_TRAFFIC_SHIFT"]}],
        },
    )
    refused(
        "hookTargetArn",
        launchType="FARGATE",
        deploymentConfiguration={"strategy": "BLUE_GREEN", "lifecycleHooks": [{"lifecycleStages": ["PRE_SCALE_UP"]}]},
    )
    assert ecs.list_services(cluster=cluster)["serviceArns"] == []
    # the same clientToken again is the same service; another token is a duplicate
    first = ecs.create_service(**base, serviceName="tok", launchType="FARGATE", clientToken="t-1")["service"]
    again = ecs.create_service(**base, serviceName="tok", launchType="FARGATE", clientToken="t-1")["service"]
    assert again["serviceArn"] == first["serviceArn"] and again["createdAt"] == first["createdAt"]
    expect_client_error(
        lambda: ecs.create_service(**base, serviceName="tok", launchType="FARGATE", clientToken="t-2"),
        "InvalidParameterException",
    )


def test_service_tags_are_listed_and_included() -> None:
    _, cluster, ecs, seeded = new_cluster("tags", [web_service("web")])
    arn = seeded["services"]["web"]["serviceArn"]
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "shop"}]
    assert "tags" not in describe(ecs, cluster, "web")
    with_tags = ecs.describe_services(cluster=cluster, services=["web"], include=["TAGS"])["services"][0]
    assert with_tags["tags"] == [{"key": "team", "value": "shop"}]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "staging"}])
    tags = {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "shop", "env": "staging"}


def test_update_service_applies_every_field_with_one_deployment() -> None:
    _, cluster, ecs, seeded = fast_cluster("upd", [web_service("web", desired=2)])
    before = describe(ecs, cluster, "web")
    first_sd = before["currentServiceDeployment"]
    # fields that start no deployment
    updated = ecs.update_service(
        cluster=cluster,
        service="web",
        healthCheckGracePeriodSeconds=60,
        enableExecuteCommand=True,
        enableECSManagedTags=True,
        propagateTags="TASK_DEFINITION",
        placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        availabilityZoneRebalancing="DISABLED",
        deploymentConfiguration={"maximumPercent": 150},
        networkConfiguration={
            "awsvpcConfiguration": {**network(seeded)["awsvpcConfiguration"], "assignPublicIp": "DISABLED"}
        },
        taskDefinition=seeded["services"]["web"]["taskDefinitionArn"],
    )["service"]
    svc = describe(ecs, cluster, "web")
    assert len(svc["deployments"]) == 1 and svc["currentServiceDeployment"] == first_sd
    assert svc["healthCheckGracePeriodSeconds"] == 60 and svc["enableExecuteCommand"] is True
    assert svc["enableECSManagedTags"] is True and svc["propagateTags"] == "TASK_DEFINITION"
    assert svc["availabilityZoneRebalancing"] == "DISABLED"
    assert svc["placementStrategy"] == [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
    # merged into the stored configuration
    assert svc["deploymentConfiguration"]["maximumPercent"] == 150
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert updated["healthCheckGracePeriodSeconds"] == 60
    # task definition + count + configuration in one call: one deployment, with all of them
    new_td = register(ecs, "web", "nginx:1.28")
    updated = ecs.update_service(
        cluster=cluster,
        service="web",
        taskDefinition=new_td,
        desiredCount=3,
        deploymentConfiguration={"minimumHealthyPercent": 50},
        loadBalancers=[{"targetGroupArn": f"{TG}/web/1", "containerName": "web", "containerPort": 80}],
    )["service"]
    # UpdateService's answer still names the previous service deployment (ECS makes the
    # new one after answering); DescribeServices has the new one
    assert updated["currentServiceDeployment"] == first_sd
    svc = describe(ecs, cluster, "web")
    assert svc["currentServiceDeployment"] != first_sd
    primary, old = svc["deployments"]
    assert primary["taskDefinition"] == new_td and primary["desiredCount"] == 3 and old["status"] == "ACTIVE"
    assert svc["desiredCount"] == 3 and svc["deploymentConfiguration"]["minimumHealthyPercent"] == 50
    assert svc["loadBalancers"][0]["targetGroupArn"] == f"{TG}/web/1"
    listed = ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"]
    assert len(listed) == 2 and listed[0]["serviceDeploymentArn"] == svc["currentServiceDeployment"]
    sd = describe_sd(ecs, svc["currentServiceDeployment"])
    assert sd["deploymentConfiguration"]["minimumHealthyPercent"] == 50
    assert sd["targetServiceRevision"]["requestedTaskCount"] == 3
    # a field that triggers a deployment, changed alone: another deployment; the same value again: none
    for params, deploys in (
        ({"loadBalancers": [{"targetGroupArn": f"{TG}/web/2", "containerName": "web", "containerPort": 80}]}, True),
        ({"loadBalancers": [{"targetGroupArn": f"{TG}/web/2", "containerName": "web", "containerPort": 80}]}, False),
        ({"platformVersion": "1.4.0"}, True),
        ({"platformVersion": "1.4.0"}, False),
        ({"forceNewDeployment": True}, True),
        ({"desiredCount": 1}, False),
    ):
        n = len(ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"])
        ecs.update_service(cluster=cluster, service="web", **params)
        after = len(ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"])
        assert after == n + (1 if deploys else 0), (params, n, after)
    assert describe(ecs, cluster, "web")["platformVersion"] == "1.4.0"


def test_update_service_refuses_what_it_cannot_change() -> None:
    key, cluster, ecs, _ = new_cluster("uref", [web_service("web")])
    before = describe(ecs, cluster, "web")
    # UpdateService has no launchType / schedulingStrategy / role / tags: the SDKs cannot
    # send them, and a raw request's members the operation lacks change nothing
    for field, value in (("launchType", "EC2"), ("schedulingStrategy", "DAEMON"), ("role", "r"), ("tags", [])):
        status, body = ecs_raw(key, "UpdateService", {"cluster": cluster, "service": "web", field: value})
        assert status == 200, body
    unchanged = ecs.describe_services(cluster=cluster, services=["web"], include=["TAGS"])["services"][0]
    assert unchanged["launchType"] == "FARGATE" and unchanged["schedulingStrategy"] == "REPLICA"
    assert unchanged["roleArn"] == SLR and unchanged["tags"] == [{"key": "team", "value": "shop"}]
    assert len(unchanged["deployments"]) == 1
    exc = expect_client_error(
        lambda: ecs.update_service(
            cluster=cluster,
            service="web",
            desiredCount=5,
            deploymentConfiguration={"canaryConfiguration": {"canaryPercent": 10.0}},
        ),
        "InvalidParameterException",
    )
    assert "canaryConfiguration is only valid" in exc.response["Error"]["Message"]
    after = describe(ecs, cluster, "web")
    assert after["desiredCount"] == before["desiredCount"] and after["launchType"] == "FARGATE"
    assert after["deploymentConfiguration"] == before["deploymentConfiguration"]
    # CODE_DEPLOY and EXTERNAL services: only what their controller lets UpdateService change
    bridge = ecs.register_task_definition(
        family="uref-ec2", containerDefinitions=[{"name": "a", "image": "nginx", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    for controller in ("CODE_DEPLOY", "EXTERNAL"):
        name = controller.lower().replace("_", "")
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=bridge,
            desiredCount=1,
            deploymentController={"type": controller},
        )
        assert describe(ecs, cluster, name)["deployments"] == []
        exc = expect_client_error(
            lambda n=name: ecs.update_service(cluster=cluster, service=n, taskDefinition=bridge),  # type: ignore[misc]
            "InvalidParameterException",
        )
        assert exc.response["Error"]["Message"].startswith(
            f"Unable to update task definition on services with a {controller} deployment controller."
        )
        ecs.update_service(cluster=cluster, service=name, desiredCount=2, healthCheckGracePeriodSeconds=10)
        assert describe(ecs, cluster, name)["desiredCount"] == 2
    exc = expect_client_error(
        lambda: ecs.update_service(
            cluster=cluster,
            service="codedeploy",
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
        ),
        "InvalidParameterException",
    )
    # an EC2 service has no platform version
    ecs.create_service(cluster=cluster, serviceName="ec2", taskDefinition=bridge, desiredCount=0)
    exc = expect_client_error(
        lambda: ecs.update_service(cluster=cluster, service="ec2", platformVersion="1.4.0"), "InvalidParameterException"
    )
    assert exc.response["Error"]["Message"] == "The platform version must be null when specifying an EC2 launch type."


def test_service_deployment_rolling_success() -> None:
    _, cluster, ecs, seeded = fast_cluster("sdr", [web_service("web")])
    old_td = seeded["services"]["web"]["taskDefinitionArn"]
    (created,) = ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"]
    assert created["status"] == "SUCCESSFUL"
    first = describe_sd(ecs, created["serviceDeploymentArn"])
    assert first["sourceServiceRevisions"] == [] and first["targetServiceRevision"]["runningTaskCount"] == 2
    new_td = register(ecs, "web", "nginx:1.28")
    t0 = time.time()
    ecs.update_service(cluster=cluster, service="web", taskDefinition=new_td)
    svc = describe(ecs, cluster, "web")
    arn = current_deployment_arn(ecs, cluster, "web")
    primary, old = svc["deployments"]
    # the target revision is named by the digits of the PRIMARY's ecs-svc id (Terraform pairs them)
    sd = describe_sd(ecs, arn)
    assert sd["targetServiceRevision"]["arn"].endswith("/" + primary["id"].split("/")[1])
    assert sd["sourceServiceRevisions"][0]["arn"].endswith("/" + old["id"].split("/")[1])
    assert sd["sourceServiceRevisions"][0]["runningTaskCount"] == 2
    assert sd["status"] in ("PENDING", "IN_PROGRESS") and "lifecycleStage" not in sd
    assert sd["serviceArn"] == seeded["services"]["web"]["serviceArn"] and sd["clusterArn"].endswith(
        f":cluster/{cluster}"
    )
    assert sd["createdAt"].timestamp() >= t0 - 1
    assert sd["deploymentCircuitBreaker"] == {"status": "MONITORING", "failureCount": 0, "threshold": 3}
    assert sd["alarms"] == {"status": "DISABLED"}
    assert [r["arn"] for r in svc["currentServiceRevisions"]] == [
        sd["targetServiceRevision"]["arn"],
        sd["sourceServiceRevisions"][0]["arn"],
    ]
    seen = watch_sd(ecs, arn)
    statuses = [s for (s,) in changes(seen, "status")]
    assert statuses[-2:] == ["IN_PROGRESS", "SUCCESSFUL"] and set(statuses) <= {"PENDING", "IN_PROGRESS", "SUCCESSFUL"}
    done = seen[-1]
    assert done["finishedAt"] >= done["startedAt"] >= done["createdAt"]
    assert done["targetServiceRevision"]["runningTaskCount"] == 2
    assert done["sourceServiceRevisions"][0]["runningTaskCount"] == 0
    assert done["deploymentCircuitBreaker"]["status"] == "MONITORING_COMPLETE"
    # the legacy view agrees
    svc = describe(ecs, cluster, "web")
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED" and len(svc["deployments"]) == 1
    assert [r["arn"] for r in svc["currentServiceRevisions"]] == [done["targetServiceRevision"]["arn"]]
    revisions = ecs.describe_service_revisions(
        serviceRevisionArns=[done["targetServiceRevision"]["arn"], done["sourceServiceRevisions"][0]["arn"]]
    )
    assert [r["taskDefinition"] for r in revisions["serviceRevisions"]] == [new_td, old_td]
    assert revisions["serviceRevisions"][0]["networkConfiguration"] == svc["networkConfiguration"]
    listed = ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"]
    assert [b["serviceDeploymentArn"] for b in listed] == [arn, created["serviceDeploymentArn"]]
    assert listed[0]["targetServiceRevisionArn"] == done["targetServiceRevision"]["arn"]
    assert listed[0]["status"] == "SUCCESSFUL" and "finishedAt" in listed[0]


def test_service_deployment_circuit_breaker_rollback() -> None:
    _, cluster, ecs, seeded = fast_cluster("sdcb", [web_service("web", rollback=True)], rolloutSeconds=0.5)
    good_td = seeded["services"]["web"]["taskDefinitionArn"]
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "registry/crash:1"))
    arn = current_deployment_arn(ecs, cluster, "web")
    first = describe_sd(ecs, arn)
    source = first["sourceServiceRevisions"][0]["arn"]
    seen = watch_sd(ecs, arn)
    statuses = [s for (s,) in changes(seen, "status")]
    assert statuses[-1] == "ROLLBACK_SUCCESSFUL", statuses
    assert "ROLLBACK_IN_PROGRESS" in statuses and "IN_PROGRESS" in statuses
    assert in_order(
        statuses, ["PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"]
    )
    done = seen[-1]
    assert done["statusReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert done["rollback"]["serviceRevisionArn"] == source and done["rollback"]["startedAt"] <= done["finishedAt"]
    assert done["rollback"]["reason"]
    assert done["deploymentCircuitBreaker"] == {"status": "TRIGGERED", "failureCount": 3, "threshold": 3}
    svc = describe(ecs, cluster, "web")
    assert svc["taskDefinition"] == good_td and len(svc["deployments"]) == 1
    assert [r["arn"] for r in svc["currentServiceRevisions"]] == [source]
    # without rollback: the failed deployment is STOPPED
    ecs.update_service(
        cluster=cluster,
        service="web",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
        taskDefinition=register(ecs, "web", "registry/crash:2"),
    )
    seen = watch_sd(ecs, current_deployment_arn(ecs, cluster, "web"))
    done = seen[-1]
    assert done["status"] == "STOPPED" and "stoppedAt" in done and "rollback" not in done
    assert done["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert describe(ecs, cluster, "web")["deployments"][0]["rolloutState"] == "FAILED"


def in_order(seen: list[str], order: list[str]) -> bool:
    positions = [order.index(s) for s in seen]
    return positions == sorted(positions)


def test_stop_service_deployment_rolls_back() -> None:
    _, cluster, ecs, seeded = fast_cluster("stop", [web_service("web", enable=False, rollback=False)])
    good_td = seeded["services"]["web"]["taskDefinitionArn"]
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "crash:1"))
    arn = current_deployment_arn(ecs, cluster, "web")
    time.sleep(FAST * 1.2)  # no circuit breaker: it never ends by itself
    stuck = describe_sd(ecs, arn)
    assert stuck["status"] == "IN_PROGRESS" and stuck["deploymentCircuitBreaker"] == {"status": "DISABLED"}
    assert ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")["serviceDeploymentArn"] == arn
    assert describe_sd(ecs, arn)["status"] in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
    # stopping it again while it rolls back goes on
    assert ecs.stop_service_deployment(serviceDeploymentArn=arn)["serviceDeploymentArn"] == arn
    done = watch_sd(ecs, arn)[-1]
    assert done["status"] == "ROLLBACK_SUCCESSFUL" and done["rollback"]["reason"]
    assert done["rollback"]["serviceRevisionArn"] == stuck["sourceServiceRevisions"][0]["arn"]
    svc = describe(ecs, cluster, "web")
    assert svc["taskDefinition"] == good_td and svc["deployments"][0]["rolloutState"] == "COMPLETED"
    assert len(svc["deployments"]) == 1
    # a finished deployment cannot be stopped; an unknown one is not found; only ROLLBACK
    expect_client_error(lambda: ecs.stop_service_deployment(serviceDeploymentArn=arn), "ConflictException", 400)
    expect_client_error(
        lambda: ecs.stop_service_deployment(serviceDeploymentArn=arn[:-4] + "zzzz"),
        "ServiceDeploymentNotFoundException",
        400,
    )
    expect_client_error(
        lambda: ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT"), "InvalidParameterException"
    )


def test_newer_deployment_stops_the_unfinished_one_and_rollback_can_fail() -> None:
    key, cluster, ecs, _ = fast_cluster("supr", [web_service("web")])
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "nginx:1.28"))
    first = current_deployment_arn(ecs, cluster, "web")
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "nginx:1.29"))
    second = current_deployment_arn(ecs, cluster, "web")
    stopping = describe_sd(ecs, first)
    assert stopping["status"] in ("STOP_REQUESTED", "STOPPED"), stopping  # STOP_REQUESTED for stageSeconds
    assert "newer service deployment" in stopping["statusReason"]
    # stopping it with rollback now: it goes on stopping
    assert ecs.stop_service_deployment(serviceDeploymentArn=first)["serviceDeploymentArn"] == first
    stopped = watch_sd(ecs, first)[-1]
    assert stopped["status"] == "STOPPED" and stopped["stoppedAt"] >= stopped["createdAt"]
    assert len(describe_sd(ecs, second)["sourceServiceRevisions"]) == 2
    assert watch_sd(ecs, second)[-1]["status"] == "SUCCESSFUL"
    # the rollback's own tasks fail (its image matches a marker now): ROLLBACK_FAILED
    fast(key, rolloutSeconds=0.4, crashingImageMarkers=["crash", "nginx:1.29"])
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "crash:3"))
    done = watch_sd(ecs, current_deployment_arn(ecs, cluster, "web"))[-1]
    assert done["status"] == "ROLLBACK_FAILED", done
    assert describe(ecs, cluster, "web")["deployments"][0]["rolloutState"] == "FAILED"


def test_list_and_describe_service_deployment_parameters() -> None:
    key, cluster, ecs, _ = fast_cluster("sdl", [web_service("web")])
    for _ in range(2):
        ecs.update_service(cluster=cluster, service="web", forceNewDeployment=True)
    arns = [
        b["serviceDeploymentArn"]
        for b in ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"]
    ]
    assert len(arns) == 3
    # pagination
    page = ecs.list_service_deployments(cluster=cluster, service="web", maxResults=2)
    assert [b["serviceDeploymentArn"] for b in page["serviceDeployments"]] == arns[:2]
    rest = ecs.list_service_deployments(cluster=cluster, service="web", maxResults=2, nextToken=page["nextToken"])
    assert [b["serviceDeploymentArn"] for b in rest["serviceDeployments"]] == arns[2:] and "nextToken" not in rest
    # filters: status, createdAt
    watch_sd(ecs, arns[1])  # the one the newest replaced: STOP_REQUESTED, then STOPPED
    by_status = ecs.list_service_deployments(cluster=cluster, service="web", status=["STOPPED"])["serviceDeployments"]
    assert [b["serviceDeploymentArn"] for b in by_status] == [arns[1]]
    created = describe_sd(ecs, arns[1])["createdAt"].timestamp()  # epoch seconds with a fraction, as sent
    for created_at, expected in (({"after": created}, arns[:1]), ({"before": created}, arns[2:])):
        status, body = ecs_raw(
            key, "ListServiceDeployments", {"cluster": cluster, "service": "web", "createdAt": created_at}
        )
        assert status == 200 and [b["serviceDeploymentArn"] for b in body["serviceDeployments"]] == expected, body
    exc = expect_client_error(
        lambda: ecs.list_service_deployments(
            cluster=cluster, service="web", createdAt={"after": time.time() - 100 * 24 * 3600}
        ),
        "InvalidParameterException",
    )
    assert exc.response["Error"]["Message"] == "Before and After time filter must be within the last 3 months"
    expect_client_error(
        lambda: ecs.list_service_deployments(cluster=cluster, service="web", maxResults=101),
        "InvalidParameterException",
    )
    expect_client_error(
        lambda: ecs.list_service_deployments(cluster=cluster, service="nope"), "ServiceNotFoundException"
    )
    expect_client_error(lambda: ecs.list_service_deployments(cluster="nope", service="web"), "ClusterNotFoundException")
    # describe: request order, unknown ones as failures, at most 20
    missing = arns[0][:-3] + "xyz"
    out = ecs.describe_service_deployments(serviceDeploymentArns=[arns[2], missing, arns[0]])
    assert [d["serviceDeploymentArn"] for d in out["serviceDeployments"]] == [arns[2], arns[0]]
    assert out["failures"] == [{"arn": missing, "reason": "MISSING"}]
    expect_client_error(
        lambda: ecs.describe_service_deployments(serviceDeploymentArns=arns * 7), "InvalidParameterException", 400
    )
    rev = describe_sd(ecs, arns[0])["targetServiceRevision"]["arn"]
    out = ecs.describe_service_revisions(serviceRevisionArns=[rev, rev[:-2] + "00"])
    assert len(out["serviceRevisions"]) == 1 and out["failures"][0]["reason"] == "MISSING"
    # a deleted service's deployments are gone
    ecs.update_service(cluster=cluster, service="web", desiredCount=0)
    ecs.delete_service(cluster=cluster, service="web", force=True)
    assert ecs.describe_service_deployments(serviceDeploymentArns=[arns[0]])["failures"][0]["reason"] == "MISSING"


def test_blue_green_walks_the_lifecycle_stages_and_bakes() -> None:
    _, cluster, ecs, seeded = fast_cluster(
        "bg", [strategy_service("web", "BLUE_GREEN", bake=4)], rolloutSeconds=0.6, stageSeconds=0.3, minuteSeconds=0.2
    )
    new_td = register(ecs, "web", "nginx:1.28")
    ecs.update_service(cluster=cluster, service="web", taskDefinition=new_td)
    arn = current_deployment_arn(ecs, cluster, "web")
    running_during_bake: list[int] = []

    def bake(sd: dict[str, Any]) -> bool:
        if sd.get("lifecycleStage") == "BAKE_TIME" and not running_during_bake:
            running_during_bake.append(describe(ecs, cluster, "web")["runningCount"])
        return False

    seen = watch_sd(ecs, arn, until=bake)
    stages = [s for (s,) in changes(seen, "lifecycleStage")]
    assert stages[0] is None and stages[1:] == STAGE_ORDER[1:], stages  # no RECONCILE_SERVICE: one revision ran
    assert [s for (s,) in changes(seen, "status")] == ["PENDING", "IN_PROGRESS", "SUCCESSFUL"]
    # the requested weights of the green (target) revision
    weights = changes(
        [s for s in seen if s["status"] == "IN_PROGRESS"],
        "lifecycleStage",
        "targetServiceRevision.requestedTestTrafficWeight",
        "targetServiceRevision.requestedProductionTrafficWeight",
    )
    assert ("POST_SCALE_UP", 0.0, 0.0) in weights and ("POST_TEST_TRAFFIC_SHIFT", 100.0, 0.0) in weights
    assert ("BAKE_TIME", 100.0, 100.0) in weights
    in_bake = [s for s in seen if s.get("lifecycleStage") == "BAKE_TIME"]
    assert in_bake[0]["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] == 0.0
    # both revisions run during the bake time; 4 minutes x 0.2 s
    assert running_during_bake == [4]
    bake_seconds = (in_bake[-1]["updatedAt"] - in_bake[0]["updatedAt"]).total_seconds()
    assert bake_seconds == 0.0  # updatedAt = the stage's start while in it
    times = [(s.get("lifecycleStage"), s["updatedAt"].timestamp()) for s in seen]
    starts: dict[str | None, float] = {}
    for stage, t in times:
        starts.setdefault(stage, t)
    assert 0.75 <= starts["CLEAN_UP"] - starts["BAKE_TIME"] <= 0.85, starts
    svc = describe(ecs, cluster, "web")
    assert svc["taskDefinition"] == new_td and len(svc["deployments"]) == 1 and svc["runningCount"] == 2
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"
    assert seeded["services"]["web"]["taskDefinitionArn"] != new_td


def test_linear_and_canary_shift_traffic_in_steps() -> None:
    key = new_key()
    fast(key, rolloutSeconds=0.4, stageSeconds=0.2, minuteSeconds=0.1)
    cluster = "lc-" + uuid.uuid4().hex[:6]
    seed_env(
        cluster,
        [
            strategy_service(
                "lin", "LINEAR", bake=0, linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 3}
            ),
            strategy_service(
                "can", "CANARY", bake=0, canaryConfiguration={"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 3}
            ),
        ],
    )
    ecs = client("ecs", key)
    for name in ("lin", "can"):
        ecs.update_service(cluster=cluster, service=name, taskDefinition=register(ecs, name, "nginx:1.28"))
    lin, can = (current_deployment_arn(ecs, cluster, n) for n in ("lin", "can"))
    watched = watch_sds(ecs, [lin, can])  # both in each DescribeServiceDeployments call
    for arn, expected in ((lin, [25.0, 50.0, 75.0, 100.0]), (can, [20.0, 100.0])):
        seen = watched[arn]
        assert seen[-1]["status"] == "SUCCESSFUL"
        shifts = changes(
            [s for s in seen if s.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT"],
            "targetServiceRevision.requestedProductionTrafficWeight",
        )
        assert [w for (w,) in shifts] == expected, shifts
        stages = [s for (s,) in changes(seen, "lifecycleStage")]
        assert in_documented_order(stages) and "BAKE_TIME" not in stages  # a bake time of 0
        shift = next(s for s in seen if s.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT")
        assert shift["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] == 100.0 - expected[0]


def test_blue_green_failing_image_rolls_back_and_stop_during_bake() -> None:
    _, cluster, ecs, seeded = fast_cluster(
        "bgf", [strategy_service("web", "BLUE_GREEN", bake=10)], rolloutSeconds=0.5, stageSeconds=0.1, minuteSeconds=0.5
    )
    good_td = seeded["services"]["web"]["taskDefinitionArn"]
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "registry/crash:1"))
    arn = current_deployment_arn(ecs, cluster, "web")
    seen = watch_sd(ecs, arn)
    done = seen[-1]
    assert done["status"] == "ROLLBACK_SUCCESSFUL" and done["lifecycleStage"] == "SCALE_UP", done
    assert in_order(
        [s for (s,) in changes(seen, "status")],
        ["PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"],
    )
    assert done["targetServiceRevision"]["requestedProductionTrafficWeight"] == 0.0
    assert done["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    svc = describe(ecs, cluster, "web")
    assert svc["taskDefinition"] == good_td and len(svc["deployments"]) == 1
    assert svc["deployments"][0]["status"] == "PRIMARY" and svc["deployments"][0]["rolloutState"] == "COMPLETED"
    assert any("rolling back to deployment" in e["message"] for e in svc["events"])
    assert len(ecs.list_tasks(cluster=cluster, serviceName="web", desiredStatus="STOPPED")["taskArns"]) == 3
    # a good deployment stopped during its bake time: back to blue at once
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "nginx:1.28"))
    arn = current_deployment_arn(ecs, cluster, "web")
    watch_sd(ecs, arn, until=lambda sd: sd.get("lifecycleStage") == "BAKE_TIME")
    assert describe(ecs, cluster, "web")["runningCount"] == 4
    ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    done = watch_sd(ecs, arn, timeout=5)[-1]
    assert done["status"] == "ROLLBACK_SUCCESSFUL" and done["lifecycleStage"] == "BAKE_TIME"
    svc = describe(ecs, cluster, "web")
    assert svc["taskDefinition"] == good_td and svc["runningCount"] == 2 and len(svc["deployments"]) == 1


def test_reconcile_stage_when_two_revisions_run() -> None:
    _, cluster, ecs, _ = fast_cluster("rec", [web_service("web")], stageSeconds=0.15, minuteSeconds=0.01)
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(ecs, "web", "nginx:1.28"))
    rolling = current_deployment_arn(ecs, cluster, "web")
    # switch to BLUE_GREEN while the rolling deployment still runs: one call, one deployment
    ecs.update_service(
        cluster=cluster,
        service="web",
        taskDefinition=register(ecs, "web", "nginx:1.29"),
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1},
    )
    arn = current_deployment_arn(ecs, cluster, "web")
    assert describe_sd(ecs, rolling)["status"] in ("STOP_REQUESTED", "STOPPED")
    seen = watch_sd(ecs, arn)
    stages = [s for (s,) in changes(seen, "lifecycleStage")]
    assert stages[:3] == [None, "RECONCILE_SERVICE", "PRE_SCALE_UP"] and in_documented_order(stages), stages
    assert seen[-1]["status"] == "SUCCESSFUL" and seen[-1]["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert len(ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"]) == 3


# ---------------------------------------------------------------------------
# Application Auto Scaling on ECS services (autoscaling.py)
# ---------------------------------------------------------------------------

DESIRED_COUNT = "ecs:service:DesiredCount"


def scaling_target(cluster: str, service: str) -> dict[str, str]:
    return {"ServiceNamespace": "ecs", "ResourceId": f"service/{cluster}/{service}", "ScalableDimension": DESIRED_COUNT}


def cpu_policy(cluster: str, service: str, name: str) -> dict[str, Any]:
    return {
        **scaling_target(cluster, service),
        "PolicyName": name,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": 120,
            "ScaleOutCooldown": 60,
        },
    }


def scheduled_action(cluster: str, service: str, name: str) -> dict[str, Any]:
    return {
        **scaling_target(cluster, service),
        "ScheduledActionName": name,
        "Schedule": "cron(0 8 * * ? *)",
        "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": 6},
    }


def scalable_target(aas: Any, cluster: str, service: str) -> dict[str, Any] | None:
    found = aas.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{service}"], ScalableDimension=DESIRED_COUNT
    )["ScalableTargets"]
    return found[0] if found else None


def policy_names(aas: Any, cluster: str, service: str) -> list[str]:
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=f"service/{cluster}/{service}")
    return sorted(p["PolicyName"] for p in policies["ScalingPolicies"])


def scheduled_action_names(aas: Any, cluster: str, service: str) -> list[str]:
    actions = aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=f"service/{cluster}/{service}")
    return sorted(a["ScheduledActionName"] for a in actions["ScheduledActions"])


def tracking_alarms(cw: Any, cluster: str, service: str) -> list[str]:
    alarms = cw.describe_alarms(AlarmNamePrefix=f"TargetTracking-service/{cluster}/{service}-")
    return [a["AlarmName"] for a in alarms["MetricAlarms"]]


def test_autoscaling_put_scaling_policy_needs_a_registered_target() -> None:
    key = new_key()
    cluster = "aasnf-" + uuid.uuid4().hex[:6]
    seed_env(cluster, [web_service("web", desired=2)])
    aas, cw = client("application-autoscaling", key), client("cloudwatch", key)
    exc = expect_client_error(
        lambda: aas.put_scaling_policy(**cpu_policy(cluster, "web", "cpu")), "ObjectNotFoundException", 400
    )
    assert exc.response["Error"]["Message"] == (
        f"No scalable target registered for service namespace: ecs, resource ID: service/{cluster}/web, "
        "scalable dimension: ecs:service:DesiredCount"
    )
    # nothing stored: no policy, no CloudWatch alarms
    assert policy_names(aas, cluster, "web") == []
    assert tracking_alarms(cw, cluster, "web") == []
    expect_client_error(
        lambda: aas.put_scheduled_action(**scheduled_action(cluster, "web", "morning")), "ObjectNotFoundException", 400
    )
    assert scheduled_action_names(aas, cluster, "web") == []

    aas.register_scalable_target(**scaling_target(cluster, "web"), MinCapacity=1, MaxCapacity=4)
    put = aas.put_scaling_policy(**cpu_policy(cluster, "web", "cpu"))
    assert put["PolicyARN"] and len(put["Alarms"]) == 2
    assert policy_names(aas, cluster, "web") == ["cpu"]
    assert len(tracking_alarms(cw, cluster, "web")) == 2
    aas.put_scheduled_action(**scheduled_action(cluster, "web", "morning"))
    assert scheduled_action_names(aas, cluster, "web") == ["morning"]
    # the target is per service: another service of the cluster has none
    expect_client_error(
        lambda: aas.put_scaling_policy(**cpu_policy(cluster, "other", "cpu")), "ObjectNotFoundException", 400
    )
    # nothing of this goes into the (ECS-only) call log
    assert calls(key) == []


def test_autoscaling_register_clamps_desired_count_into_the_range() -> None:
    key, cluster, ecs, _ = fast_cluster("aascl", [web_service("web", desired=1)])
    ecs, aas = client("ecs", key), client("application-autoscaling", key)

    # a new target whose minimum is above the count: desiredCount goes up to it, the
    # service scales over time (as after an UpdateService) with ECS's event
    aas.register_scalable_target(**scaling_target(cluster, "web"), MinCapacity=3, MaxCapacity=6)
    svc = describe(ecs, cluster, "web")
    assert svc["desiredCount"] == 3 and svc["runningCount"] == 1 and svc["pendingCount"] == 2
    assert "has started 2 tasks" in svc["events"][0]["message"]
    wait_until(lambda: describe(ecs, cluster, "web")["runningCount"] == 3, timeout=10)

    # inside the range: nothing changes
    events_before = len(describe(ecs, cluster, "web")["events"])
    aas.register_scalable_target(**scaling_target(cluster, "web"), MinCapacity=2, MaxCapacity=6)
    svc = describe(ecs, cluster, "web")
    assert svc["desiredCount"] == 3 and len(svc["events"]) == events_before

    # UpdateService may leave the range (ECS does not check it); a new maximum alone
    # brings the count down to it and keeps the minimum
    ecs.update_service(cluster=cluster, service="web", desiredCount=9)
    aas.register_scalable_target(**scaling_target(cluster, "web"), MaxCapacity=5)
    assert describe(ecs, cluster, "web")["desiredCount"] == 5
    target = scalable_target(aas, cluster, "web")
    assert target is not None and (target["MinCapacity"], target["MaxCapacity"]) == (2, 5)
    wait_until(lambda: describe(ecs, cluster, "web")["runningCount"] == 5, timeout=10)

    # a call without a capacity (only the suspended state) changes no count
    ecs.update_service(cluster=cluster, service="web", desiredCount=0)
    suspend_all = {
        "DynamicScalingInSuspended": True,
        "DynamicScalingOutSuspended": True,
        "ScheduledScalingSuspended": True,
    }
    aas.register_scalable_target(**scaling_target(cluster, "web"), SuspendedState=suspend_all)
    assert describe(ecs, cluster, "web")["desiredCount"] == 0

    # suspension covers policy and scheduled scaling only (AWS's SuspendedState doc):
    # a capacity given while suspended still moves the count into the range
    aas.register_scalable_target(**scaling_target(cluster, "web"), MinCapacity=4)
    assert describe(ecs, cluster, "web")["desiredCount"] == 4
    target = scalable_target(aas, cluster, "web")
    assert target is not None and target["SuspendedState"] == suspend_all
    assert (target["MinCapacity"], target["MaxCapacity"]) == (4, 5)

    # a resource that is not active is not changed (the API reference's exception)
    ecs.update_service(cluster=cluster, service="web", desiredCount=0)
    ecs.delete_service(cluster=cluster, service="web")
    aas.register_scalable_target(**scaling_target(cluster, "web"), MinCapacity=2)
    svc = describe(ecs, cluster, "web")
    assert svc["status"] != "ACTIVE" and svc["desiredCount"] == 0


def test_autoscaling_deregister_deletes_policies_and_scheduled_actions() -> None:
    key = new_key()
    cluster = "aasdr-" + uuid.uuid4().hex[:6]
    seed_env(cluster, [web_service("api", desired=2), web_service("worker", desired=2)])
    ecs, aas, cw = client("ecs", key), client("application-autoscaling", key), client("cloudwatch", key)
    for service in ("api", "worker"):
        aas.register_scalable_target(**scaling_target(cluster, service), MinCapacity=1, MaxCapacity=4)
        aas.put_scaling_policy(**cpu_policy(cluster, service, "cpu"))
        aas.put_scheduled_action(**scheduled_action(cluster, service, "morning"))
    aas.put_scaling_policy(**cpu_policy(cluster, "api", "cpu-2"))
    assert policy_names(aas, cluster, "api") == ["cpu", "cpu-2"]
    assert len(tracking_alarms(cw, cluster, "api")) == 4

    aas.deregister_scalable_target(**scaling_target(cluster, "api"))
    assert scalable_target(aas, cluster, "api") is None
    assert policy_names(aas, cluster, "api") == []
    assert scheduled_action_names(aas, cluster, "api") == []
    assert tracking_alarms(cw, cluster, "api") == []
    # the other service's target keeps everything
    assert scalable_target(aas, cluster, "worker") is not None
    assert policy_names(aas, cluster, "worker") == ["cpu"]
    assert scheduled_action_names(aas, cluster, "worker") == ["morning"]
    assert len(tracking_alarms(cw, cluster, "worker")) == 2
    # deregistering leaves the service's count as it is
    assert describe(ecs, cluster, "api")["desiredCount"] == 2

    # what is gone answers ObjectNotFoundException (moto: ValidationException)
    exc = expect_client_error(
        lambda: aas.deregister_scalable_target(**scaling_target(cluster, "api")), "ObjectNotFoundException", 400
    )
    assert exc.response["Error"]["Message"] == (
        f"No scalable target found for service namespace: ecs, resource ID: service/{cluster}/api, "
        "scalable dimension: ecs:service:DesiredCount"
    )
    expect_client_error(
        lambda: aas.delete_scaling_policy(**scaling_target(cluster, "api"), PolicyName="cpu"),
        "ObjectNotFoundException",
        400,
    )
    expect_client_error(
        lambda: aas.put_scaling_policy(**cpu_policy(cluster, "api", "cpu")), "ObjectNotFoundException", 400
    )
    # registered again, the target starts without policies
    aas.register_scalable_target(**scaling_target(cluster, "api"), MinCapacity=1, MaxCapacity=4)
    assert policy_names(aas, cluster, "api") == []
    aas.delete_scaling_policy(**scaling_target(cluster, "worker"), PolicyName="cpu")
    assert policy_names(aas, cluster, "worker") == [] and tracking_alarms(cw, cluster, "worker") == []


def test_autoscaling_register_with_some_parameters_keeps_the_others() -> None:
    key = new_key()
    cluster = "aaspt-" + uuid.uuid4().hex[:6]
    seed_env(cluster, [web_service("web", desired=2)])
    aas = client("application-autoscaling", key)
    role = "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/x"
    none_suspended = {
        "DynamicScalingInSuspended": False,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }
    aas.register_scalable_target(
        **scaling_target(cluster, "web"), MinCapacity=1, MaxCapacity=4, RoleARN=role, SuspendedState=none_suspended
    )
    first = scalable_target(aas, cluster, "web")
    assert first is not None
    arn = first["ScalableTargetARN"]

    def state() -> tuple[Any, ...]:
        t = scalable_target(aas, cluster, "web")
        assert t is not None and t["ScalableTargetARN"] == arn  # updated, not replaced
        return t["MinCapacity"], t["MaxCapacity"], t["RoleARN"], t["SuspendedState"]

    all_suspended = dict.fromkeys(none_suspended, True)
    aas.register_scalable_target(**scaling_target(cluster, "web"), SuspendedState=all_suspended)
    assert state() == (1, 4, role, all_suspended)
    aas.register_scalable_target(**scaling_target(cluster, "web"), MinCapacity=2)
    assert state() == (2, 4, role, all_suspended)
    aas.register_scalable_target(**scaling_target(cluster, "web"), MaxCapacity=8)
    assert state() == (2, 8, role, all_suspended)
    aas.register_scalable_target(**scaling_target(cluster, "web"), SuspendedState=none_suspended)
    assert state() == (2, 8, role, none_suspended)
    assert len(aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]) >= 1


@pytest.mark.run_last  # wipes the shared server
def test_moto_reset_also_resets_plugin_state() -> None:
    key = new_key()
    ecs = client("ecs", key)
    ecs.create_cluster(clusterName="reset-c")
    admin("POST", "/faults", {"accessKey": key, "operation": "Nothing", "kind": "throttle", "count": 3})
    admin("POST", "/task-rules", {"commandContains": "x", "exitCode": 1})
    admin("POST", "/config", {"rolloutSeconds": 7})
    status, _, _ = http("POST", "/moto-api/reset")
    assert status == 200
    assert admin("GET", "/calls")["calls"] == []
    assert admin("GET", "/faults")["faults"] == []
    assert admin("GET", "/task-rules")["rules"] == []
    assert admin("GET", "/config")["rolloutSeconds"] == 1.0
    assert ecs.list_clusters()["clusterArns"] == []
    # /_deckhand/reset does the same
    ecs.create_cluster(clusterName="reset-d")
    admin("POST", "/reset")
    assert admin("GET", "/calls")["calls"] == []
    assert ecs.list_clusters()["clusterArns"] == []


@pytest.mark.run_last  # starts servers of its own
def test_sigterm_and_parent_pid_stop_the_server(start_emulator: StartEmulator) -> None:
    server = start_emulator()
    try:
        assert http("GET", "/_deckhand/health", url=server.url)[0] == 200
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=10) == 0
    finally:
        server.stop()

    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc = subprocess.Popen(
        [sys.executable, SERVER, "--port", "0", "--parent-pid", str(parent.pid)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("READY ")
        parent.kill()
        parent.wait()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        if parent.poll() is None:
            parent.kill()


def test_seed_target_groups_and_functions_for_verify() -> None:
    suffix = uuid.uuid4().hex[:6]
    res = seed_env(
        "tg-" + suffix,
        targetGroups=[
            {"name": f"blue-{suffix}", "targetType": "ip"},
            {"name": f"loose-{suffix}", "attached": False},
            {"name": f"inst-{suffix}", "targetType": "instance"},
        ],
        functions=[f"smoke-{suffix}"],
    )
    key = new_key()
    elb = client("elbv2", key)
    groups = {
        g["TargetGroupName"]: g
        for g in elb.describe_target_groups(TargetGroupArns=list(res["targetGroups"].values()))["TargetGroups"]
    }
    assert groups[f"blue-{suffix}"]["TargetType"] == "ip" and len(groups[f"blue-{suffix}"]["LoadBalancerArns"]) == 1
    assert groups[f"loose-{suffix}"]["LoadBalancerArns"] == []
    assert groups[f"inst-{suffix}"]["TargetType"] == "instance"
    # One unknown ARN fails the whole batch, as ELB does.
    missing = res["targetGroups"][f"blue-{suffix}"].replace(f"blue-{suffix}", f"gone-{suffix}")
    expect_client_error(
        lambda: elb.describe_target_groups(TargetGroupArns=[res["targetGroups"][f"blue-{suffix}"], missing]),
        "TargetGroupNotFound",
    )
    lam = client("lambda", key)
    arn = res["functions"][f"smoke-{suffix}"]
    assert arn == f"arn:aws:lambda:us-east-1:123456789012:function:smoke-{suffix}"
    assert lam.get_function(FunctionName=arn)["Configuration"]["FunctionName"] == f"smoke-{suffix}"
    expect_client_error(lambda: lam.get_function(FunctionName=f"gone-{suffix}"), "ResourceNotFoundException", 404)
    # Seeding again keeps what exists.
    again = seed_env("tg-" + suffix, targetGroups=[{"name": f"blue-{suffix}"}], functions=[f"smoke-{suffix}"])
    assert again["targetGroups"][f"blue-{suffix}"] == res["targetGroups"][f"blue-{suffix}"]
    assert again["functions"] == {f"smoke-{suffix}": arn}


def test_seed_marks_an_express_mode_service() -> None:
    cluster = "xm-" + uuid.uuid4().hex[:6]
    seed_env(cluster, [{**web_service("api"), "expressMode": True}, web_service("web")])
    described = {
        s["serviceName"]: s
        for s in client("ecs", new_key()).describe_services(cluster=cluster, services=["api", "web"])["services"]
    }
    assert described["api"]["resourceManagementType"] == "ECS"
    assert "resourceManagementType" not in described["web"]


def test_assume_role_requests_are_recorded_with_their_external_id() -> None:
    key = new_key()
    sts = client("sts", key)
    role = "arn:aws:iam::210987654321:role/deckhand"
    sts.assume_role(RoleArn=role, RoleSessionName="deckhand-production", ExternalId="shop-7f3a")
    sts.assume_role(RoleArn=role, RoleSessionName="deckhand-staging")
    got = admin("GET", f"/assumed-roles?accessKey={key}")["assumedRoles"]
    assert got == [
        {"accessKey": key, "roleArn": role, "roleSessionName": "deckhand-production", "externalId": "shop-7f3a"},
        {"accessKey": key, "roleArn": role, "roleSessionName": "deckhand-staging", "externalId": None},
    ], got


def test_an_assume_role_fault_is_an_sts_error_and_ecs_faults_do_not_touch_sts() -> None:
    key = new_key()
    sts = client("sts", key, attempts=1)
    role = "arn:aws:iam::210987654321:role/deckhand"
    admin("POST", "/faults", {"accessKey": key, "operation": "*", "kind": "error500", "count": 1})
    sts.assume_role(RoleArn=role, RoleSessionName="deckhand-staging")  # "*" is any ECS operation
    admin("DELETE", "/faults", {"accessKey": key})
    admin(
        "POST",
        "/faults",
        {
            "accessKey": key,
            "operation": "AssumeRole",
            "kind": "custom",
            "httpStatus": 403,
            "errorType": "AccessDenied",
            "message": "not authorized to perform: sts:AssumeRole",
            "count": 1,
        },
    )
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role, RoleSessionName="deckhand-staging")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:AssumeRole" in refused.value.response["Error"]["Message"]
    sts.assume_role(RoleArn=role, RoleSessionName="deckhand-staging")  # the fault is spent
