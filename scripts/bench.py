#!/usr/bin/env python3
"""ECS call budget and wall time of deckhand, against the local emulator.

Prints numbers, asserts nothing. Scenarios:
  plan-100   one environment of 100 services: calls per `deckhand plan`, wall time
             (target: ceil(S/10) DescribeServices + 1 DescribeTaskDefinition per
             distinct live task definition + 1 DescribeClusters, zero mutating);
  release-2  the shop example (web + worker): a full release (new image + new
             schema revision), then a no-op apply: calls by operation, and the
             release's wall time beside its physical minimum (migration + rollout);
  release-10 ten services, a new image: the release's wall time beside the
             slowest rollout (target: within 2 s of it);
  release-bg one service `web` with a service definition (FARGATE, awsvpc,
             BLUE_GREEN with a 1-minute bake, circuit breaker with rollback),
             created by a first apply, then a release of a new image: the
             release's calls by operation and its wall time beside the
             deployment's length on the emulator's clock (its stage, rollout and
             minute knobs are set for the key and printed);
  plan-100-sd
             plan-100 with a service definition per service (launchType,
             networkConfiguration, a load balancer, circuit breaker, tags), the
             services seeded from them: calls per no-op `deckhand plan` (target
             as plan-100: ceil(S/10) DescribeServices, no extra call per service);
  guardrails the shop example with ignore rules and with `--trust` (an SSH-signed
             commit): calls of `plan` and of one `controller --once` reconcile
             beside the same without them (target: not one extra call), and
             the wall time of each;
  controller-100x10
             `deckhand controller` over 100 environments of 10 services each:
             ECS calls per no-op reconcile once warm (target: ceil(10/10) = 1
             DescribeServices + 1 DescribeClusters, 0 DescribeTaskDefinition),
             RSS while idle, CPU used between cycles, and the web UI's pages
             (size, time per request, the script's 304 poll).
  replicas-1000x10
             1000 environments of 10 services on a DynamoDB lock table: one
             replica (target RSS ≤ 64 MiB), then three sharing them: per
             replica, ECS calls per no-op reconcile, DynamoDB calls per lease
             round (target: 2 + one per held shard, not one per environment),
             RSS and CPU. Not in the default set (it takes ~10 minutes).

Usage: .venv/bin/python scripts/bench.py [SCENARIO...]   (after `cargo build`; set
DECKHAND_BIN to measure another binary, e.g. target/release/deckhand). The CLI polls
with its default interval (5s, the first poll after 250ms). BENCH_PROGRESS=1 prints an
apply's progress lines, BENCH_CALLS=1 its ECS calls in order.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DECKHAND = os.environ.get("DECKHAND_BIN", os.path.join(ROOT, "target", "debug", "deckhand"))


def start_emulator() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "emulator", "server.py"), "--port", "0", "--parent-pid", str(os.getpid())],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    for line in proc.stdout:
        if line.startswith("READY "):
            return proc, line.split()[1]
    raise SystemExit("emulator did not start")


def http(url: str, method: str = "GET", body: object | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def git(repo: str, *args: str) -> None:
    subprocess.run(["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=b@example.com", *args],
                   check=True, capture_output=True)


def deckhand(env: dict[str, str], *args: str) -> tuple[int, str, float]:
    start = time.perf_counter()
    out = subprocess.run([DECKHAND, *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return out.returncode, out.stdout + out.stderr, time.perf_counter() - start


def call_log(url: str, key: str) -> list[dict]:
    return http(f"{url}/_deckhand/calls?accessKey={key}")["calls"]


def calls(url: str, key: str) -> Counter:
    return Counter(c["operation"] for c in call_log(url, key))


def print_call_log(url: str, key: str) -> None:
    """The calls in order, each with what it names (BENCH_CALLS=1)."""
    for c in call_log(url, key):
        p = c.get("params") or {}
        what = p.get("services") or p.get("service") or p.get("serviceName") or p.get("serviceDeploymentArns") \
            or p.get("taskDefinition") or p.get("family") or p.get("resourceArn") or p.get("clusters") or ""
        detail = json.dumps(what)[:150] if what else ""
        print(f"    {c['seq']:>6} {c['operation']:<28} {c['status']} {detail}")


def reset_calls(url: str, key: str) -> None:
    http(f"{url}/_deckhand/calls/reset?accessKey={key}", "POST", {})


# What examples/shop's definitions name, so that apply's preflight finds it.
PREFLIGHT_SEED = {
    "images": [f"123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:{tag}" for tag in ("3f9c2e1", "9a8b7c6")],
    "roles": ["arn:aws:iam::123456789012:role/shop-app", "arn:aws:iam::123456789012:role/shop-ecs-execution"],
    "parameters": {"/shop/database-url": "postgres://bench@db/shop", "/shop/secret-key-base": "bench"},
    "logGroups": ["/ecs/shop"],
}


def seed(url: str, env_name: str, cluster: str, rendered: dict, counts: dict[str, int], revision: str) -> None:
    http(f"{url}/_deckhand/seed", "POST", {
        **PREFLIGHT_SEED,
        "cluster": cluster,
        "clusterTags": {f"deckhand:{env_name}:schema-revision": revision},
        "network": True,
        "services": [
            {"name": name, "taskDefinition": rendered[name], "desiredCount": count, "launchType": "FARGATE",
             "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}}
            for name, count in counts.items()
        ],
    })


def aws_env(url: str, key: str, work: str) -> dict[str, str]:
    """deckhand's environment against the emulator, as access key `key` (the call log's filter)."""
    # Without RUST_BACKTRACE: a developer's shell often sets it, production does not.
    inherited = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    return {**inherited, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_REGION": "us-east-1", "DECKHAND_CACHE_DIR": os.path.join(work, "cache")}


def timed_apply(url: str, key: str, env: dict[str, str], repo: str, name: str, title: str) -> float:
    """`deckhand apply --yes` of environment `name`: prints its calls, returns its wall time."""
    reset_calls(url, key)
    code, out, seconds = deckhand(env, "apply", "--repo", repo, "--env", name, "--yes")
    assert code == 0, out[-3000:]
    show(f"{title} ({seconds:.1f}s)", calls(url, key))
    if os.environ.get("BENCH_CALLS"):
        print_call_log(url, key)
    if os.environ.get("BENCH_PROGRESS"):
        print("".join(f"    {line}\n" for line in out.splitlines() if line.startswith("[")))
    return seconds


def show(title: str, counter: Counter) -> None:
    mutating = sum(n for op, n in counter.items() if not op.startswith(("Describe", "List")))
    print(f"  {title}: {sum(counter.values())} calls ({mutating} mutating): "
          + ", ".join(f"{op} {n}" for op, n in sorted(counter.items())))


def plan_100(url: str, work: str) -> None:
    key = "bench-plan"
    env = aws_env(url, key, work)
    repo = os.path.join(work, "plan100")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    services = "".join(f"  svc-{i:03d}:\n    command: [bin/rails, runner, job{i}]\n    desiredCount: 1\n" for i in range(100))
    with open(os.path.join(repo, "environments", "big.yaml"), "w") as fh:
        fh.write("cluster: big\nimage: shop:1\ntaskDefinition: task-definitions/app.json\nservices:\n" + services)
    os.remove(os.path.join(repo, "environments", "staging.yaml"))
    code, out, _ = deckhand(env, "render", "--repo", repo, "--env", "big")
    assert code == 0, out
    seed(url, "big", "big", json.loads(out), {f"svc-{i:03d}": 1 for i in range(100)}, "0")
    print("plan-100: 100 services, 100 distinct task definitions")
    times = []
    for _ in range(5):
        reset_calls(url, key)
        code, out, seconds = deckhand(env, "plan", "--repo", repo, "--env", "big", "--format", "json")
        assert code == 0 and '"changed": false' in out, out[-2000:]
        times.append(seconds)
    show("calls per plan", calls(url, key))
    print(f"  target: {-(-100 // 10)} DescribeServices + 100 DescribeTaskDefinition + 1 DescribeClusters = 111, 0 mutating")
    times.sort()
    print(f"  wall time per plan (5 runs): min {times[0]:.2f}s, median {times[2]:.2f}s, max {times[-1]:.2f}s")


def release_2(url: str, work: str) -> None:
    key = "bench-release"
    env = aws_env(url, key, work)
    repo = os.path.join(work, "release2")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    code, out, _ = deckhand(env, "render", "--repo", repo, "--env", "staging")
    seed(url, "staging", "shop-staging", json.loads(out), {"web": 2, "worker": 2}, "20261101000000")
    spec = os.path.join(repo, "environments", "staging.yaml")
    text = open(spec).read().replace("shop:3f9c2e1", "shop:9a8b7c6").replace("20261101000000", "20261120093000")
    open(spec, "w").write(text)
    git(repo, "commit", "-qam", "release")
    print("release-2: web + worker, new image and new schema revision (emulator: tasks run 1s, rollouts take 1s)")
    seconds = timed_apply(url, key, env, repo, "staging", "full release")
    minimum = TASK_SECONDS + ROLLOUT_SECONDS
    print(f"  wall time {seconds:.1f}s; physical minimum (migration {TASK_SECONDS:.0f}s + rollout {ROLLOUT_SECONDS:.0f}s)"
          f" {minimum:.1f}s; overhead {seconds - minimum:.1f}s (target ≤ 2s)")
    reset_calls(url, key)
    code, out, seconds = deckhand(env, "apply", "--repo", repo, "--env", "staging", "--yes")
    assert code == 0, out[-3000:]
    show(f"no-op apply ({seconds:.2f}s)", calls(url, key))


def promote_rollback(url: str, work: str) -> None:
    """Calls of a release with a smoke test, of promote into production, and
    of rollback --now there."""
    key = "bench-promote"
    env = {**aws_env(url, key, work), "DECKHAND_POLL_INTERVAL": "500ms"}
    repo = os.path.join(work, "promote")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    staging = os.path.join(repo, "environments", "staging.yaml")
    text = open(staging).read()
    production = text.replace("shop-staging", "shop-production") + "\npromotion:\n  from: staging\n"
    open(os.path.join(repo, "environments", "production.yaml"), "w").write(production)
    smoke = "smokeTest:\n  command: [bin/rails, runner, Smoke.run]\n  timeout: 1m\n\ndeploy:\n"
    open(staging, "w").write(text.replace("deploy:\n", smoke))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "initial")
    for name, cluster in (("staging", "shop-staging-p"), ("production", "shop-production-p")):
        path = os.path.join(repo, "environments", f"{name}.yaml")
        spec = open(path).read().replace(f"cluster: shop-{name}", f"cluster: {cluster}")
        open(path, "w").write(spec)
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qam", "clusters")
    for name, cluster in (("staging", "shop-staging-p"), ("production", "shop-production-p")):
        code, out, _ = deckhand(env, "render", "--repo", repo, "--env", name)
        assert code == 0, out[-2000:]
        seed(url, name, cluster, json.loads(out), {"web": 2, "worker": 2}, "20261101000000")
    # production's v1: a count change, so a rollback has somewhere to go.
    prod = os.path.join(repo, "environments", "production.yaml")
    prod_text = open(prod).read().replace("desiredCount: 2", "desiredCount: 3", 1)
    open(prod, "w").write(prod_text)
    staging_text = open(staging).read().replace("shop:3f9c2e1", "shop:9a8b7c6").replace("20261101000000", "20261120093000")
    open(staging, "w").write(staging_text)
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qam", "release")
    code, out, _ = deckhand(env, "apply", "--repo", repo, "--env", "production", "--yes")
    assert code == 0, out[-3000:]
    print("promote-rollback: staging releases with a smoke test; promote to production; rollback --now there")
    timed_apply(url, key, env, repo, "staging", "release with a smoke test")
    for title, args in (
        ("promote --dry-run", ("promote", "staging", "production", "--dry-run")),
        ("promote", ("promote", "staging", "production", "--yes", "--git-author", "Bench <bench@example.com>")),
    ):
        reset_calls(url, key)
        code, out, seconds = deckhand(env, *args, "--repo", repo)
        assert code == 0, out[-3000:]
        show(f"{title} ({seconds:.2f}s)", calls(url, key))
    timed_apply(url, key, env, repo, "production", "the promotion's release")
    reset_calls(url, key)
    code, out, seconds = deckhand(env, "rollback", "production", "--now", "--accept-schema", "--yes",
                                  "--git-author", "Bench <bench@example.com>", "--repo", repo)
    assert code == 0, out[-3000:]
    show(f"rollback --now ({seconds:.1f}s)", calls(url, key))


# The emulator's defaults: a one-off task runs this long, a deployment completes after this.
TASK_SECONDS = 1.0
ROLLOUT_SECONDS = 1.0


def release_10(url: str, work: str) -> None:
    key = "bench-release10"
    env = aws_env(url, key, work)
    repo = os.path.join(work, "release10")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    os.remove(os.path.join(repo, "environments", "staging.yaml"))
    services = "".join(f"  svc-{i}:\n    command: [bin/worker, q{i}]\n    desiredCount: 1\n" for i in range(10))
    spec = os.path.join(repo, "environments", "ten.yaml")
    with open(spec, "w") as fh:
        fh.write("cluster: ten\nimage: shop:1\ntaskDefinition: task-definitions/app.json\nservices:\n" + services)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    code, out, _ = deckhand(env, "render", "--repo", repo, "--env", "ten")
    assert code == 0, out
    seed(url, "ten", "ten", json.loads(out), {f"svc-{i}": 1 for i in range(10)}, "0")
    text = open(spec).read().replace("shop:1", "shop:2")
    open(spec, "w").write(text)
    git(repo, "commit", "-qam", "release")
    print("release-10: ten services, a new image (emulator: rollouts take 1s)")
    seconds = timed_apply(url, key, env, repo, "ten", "release")
    print(f"  wall time {seconds:.1f}s; physical minimum (the slowest rollout) {ROLLOUT_SECONDS:.1f}s;"
          f" overhead {seconds - ROLLOUT_SECONDS:.1f}s (target ≤ 2s)")


# The emulator's clock for release-bg, set for its access key (these are the emulator's
# defaults, set explicitly so the numbers below do not move with them): each short
# lifecycle stage, the SCALE_UP of the new tasks, one minute of a bake time.
BG_CONFIG = {"stageSeconds": 0.1, "rolloutSeconds": 1.0, "minuteSeconds": 0.1}
BG_BAKE_MINUTES = 1


def release_bg(url: str, work: str) -> None:
    key = "bench-release-bg"
    env = aws_env(url, key, work)
    http(f"{url}/_deckhand/config", "POST", {"accessKey": key, **BG_CONFIG})
    knobs = http(f"{url}/_deckhand/config?accessKey={key}")
    repo = os.path.join(work, "releasebg")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    os.remove(os.path.join(repo, "environments", "staging.yaml"))
    # The cluster and its network only: deckhand creates `web` from its service definition.
    seeded = http(f"{url}/_deckhand/seed", "POST", {**PREFLIGHT_SEED, "cluster": "bg", "network": True, "services": []})
    os.makedirs(os.path.join(repo, "service-definitions"))
    with open(os.path.join(repo, "service-definitions", "web.json"), "w") as fh:
        json.dump({
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": seeded["subnets"], "securityGroups": seeded["securityGroups"], "assignPublicIp": "DISABLED"}},
            "deploymentConfiguration": {
                "strategy": "BLUE_GREEN", "bakeTimeInMinutes": BG_BAKE_MINUTES,
                "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        }, fh, indent=2)
    spec = os.path.join(repo, "environments", "bg.yaml")
    with open(spec, "w") as fh:
        fh.write("cluster: bg\nimage: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1\n"
                 "taskDefinition: task-definitions/app.json\ncontainer: app\nservices:\n"
                 "  web:\n    command: [bin/rails, server, -b, 0.0.0.0]\n    desiredCount: 2\n"
                 "    serviceDefinition: service-definitions/web.json\n"
                 "deploy:\n  timeout: 10m\n  rollback: true\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    stage, rollout, minute = knobs["stageSeconds"], knobs["rolloutSeconds"], knobs["minuteSeconds"]
    print(f"release-bg: web, BLUE_GREEN with a {BG_BAKE_MINUTES}-minute bake (emulator config for the key:"
          f" stageSeconds {stage}, rolloutSeconds {rollout}, minuteSeconds {minute}; taskRunSeconds unused)")
    timed_apply(url, key, env, repo, "bg", "first apply (creates web)")
    with open(spec) as fh:
        text = fh.read().replace("shop:3f9c2e1", "shop:9a8b7c6")
    with open(spec, "w") as fh:
        fh.write(text)
    git(repo, "commit", "-qam", "release")
    seconds = timed_apply(url, key, env, repo, "bg", "release of a new image")
    # PENDING, PRE_SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT,
    # PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT, CLEAN_UP: one stage each;
    # SCALE_UP: a rollout; BAKE_TIME: the bake's minutes (no RECONCILE_SERVICE: web runs
    # one revision when the release starts).
    minimum = 8 * stage + rollout + BG_BAKE_MINUTES * minute
    print(f"  wall time {seconds:.1f}s; the deployment on the emulator's clock (8 stages × {stage}s + SCALE_UP"
          f" {rollout}s + bake {BG_BAKE_MINUTES} × {minute}s) {minimum:.1f}s; overhead {seconds - minimum:.1f}s")


def plan_100_sd(url: str, work: str) -> None:
    key = "bench-plan-sd"
    env = aws_env(url, key, work)
    repo = os.path.join(work, "plan100sd")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    os.remove(os.path.join(repo, "environments", "staging.yaml"))
    network = http(f"{url}/_deckhand/seed", "POST", {**PREFLIGHT_SEED, "cluster": "bigsd", "network": True, "services": []})
    os.makedirs(os.path.join(repo, "service-definitions"))
    definitions = {}
    for i in range(100):
        name = f"svc-{i:03d}"
        definitions[name] = {
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": network["subnets"], "securityGroups": network["securityGroups"], "assignPublicIp": "DISABLED"}},
            "loadBalancers": [{
                "targetGroupArn": f"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{name}/0123456789abcdef",
                "containerName": "app", "containerPort": 3000}],
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
            "tags": [{"key": "team", "value": "shop"}, {"key": "service", "value": name}],
        }
        with open(os.path.join(repo, "service-definitions", f"{name}.json"), "w") as fh:
            json.dump(definitions[name], fh, indent=2)
    services = "".join(f"  svc-{i:03d}:\n    command: [bin/rails, runner, job{i}]\n    desiredCount: 1\n"
                       f"    serviceDefinition: service-definitions/svc-{i:03d}.json\n" for i in range(100))
    with open(os.path.join(repo, "environments", "bigsd.yaml"), "w") as fh:
        fh.write("cluster: bigsd\nimage: shop:1\ntaskDefinition: task-definitions/app.json\nservices:\n" + services)
    code, out, _ = deckhand(env, "render", "--repo", repo, "--env", "bigsd")
    assert code == 0, out
    rendered = json.loads(out)
    # Seeded as CreateService would make them from their definitions.
    http(f"{url}/_deckhand/seed", "POST", {
        "cluster": "bigsd", "clusterTags": {"deckhand:bigsd:schema-revision": "0"}, "network": False,
        "services": [{"name": name, "taskDefinition": rendered[name], "desiredCount": 1, **definition}
                     for name, definition in definitions.items()],
    })
    print("plan-100-sd: 100 services, each with its own service definition, 100 distinct task definitions")
    times: list[float] = []
    changed: dict = {}
    for _ in range(5):
        reset_calls(url, key)
        code, out, seconds = deckhand(env, "plan", "--repo", repo, "--env", "bigsd", "--format", "json")
        assert code == 0, out[-2000:]
        changed = json.loads(out)
        times.append(seconds)
    log = call_log(url, key)
    counter = Counter(c["operation"] for c in log)
    show("calls per plan", counter)
    with_tags = all("TAGS" in ((c.get("params") or {}).get("include") or [])
                    for c in log if c["operation"] == "DescribeServices")
    print(f"  the services' tags read by the same DescribeServices (include TAGS): {'yes' if with_tags else 'no'}")
    if changed["changed"]:
        print(f"  NOT a no-op: {len(changed['steps'])} steps, e.g. {json.dumps(changed['steps'][:2])};"
              f" first diff: {json.dumps(changed.get('diffs', [])[:1])[:600]}")
    else:
        print("  plan: no change")
    met = (counter["DescribeServices"] == 10 and counter["DescribeClusters"] == 1
           and counter["DescribeTaskDefinition"] <= 100 and sum(counter.values()) <= 111)
    print(f"  target as plan-100: {-(-100 // 10)} DescribeServices + 100 DescribeTaskDefinition + 1 DescribeClusters"
          f" = 111, 0 mutating, no call per service definition: {'met' if met else 'NOT met'}")
    times.sort()
    print(f"  wall time per plan (5 runs): min {times[0]:.2f}s, median {times[2]:.2f}s, max {times[-1]:.2f}s")


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS, and its split: RssAnon (heap, stacks) and RssFile (mapped binary code)."""
    out = {}
    for line in open(f"/proc/{pid}/status"):
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(line.split()[1])
    return out


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric_sum(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


def ui_pages(addr: str, environment: str) -> None:
    """The web UI's pages: size, time per request, and the script's poll when nothing changed."""
    for path in ["/", f"/environments/{environment}", "/status"]:
        times, size, etag = [], 0, None
        for _ in range(20):
            t0 = time.perf_counter()
            with urllib.request.urlopen(f"http://{addr}{path}") as r:
                body = r.read()
                etag = r.headers.get("ETag")
            times.append(time.perf_counter() - t0)
            size = len(body)
        times.sort()
        print(f"  UI {path}: {size / 1024:.1f} KiB, median {1000 * times[len(times) // 2]:.1f} ms per request")
    # The script's poll right after a fetch of <main>: 304 while nothing changed.
    sep = "?part=main"
    with urllib.request.urlopen(f"http://{addr}/{sep}") as r:
        etag = r.headers.get("ETag")
    req = urllib.request.Request(f"http://{addr}/{sep}", headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(req)
        print("  UI poll: 200 (a reconcile finished in between)")
    except urllib.error.HTTPError as e:
        print(f"  UI poll with the current ETag: {e.code} (no body)")


def make_fleet(url: str, work: str, key: str, envs: int, per_env: int) -> str:
    """A config repo of `envs` environments of `per_env` services each, seeded in ECS as deployed."""
    repo = os.path.join(work, f"fleet-{envs}")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    os.remove(os.path.join(repo, "environments", "staging.yaml"))
    env = aws_env(url, key, work)
    for e in range(envs):
        services = "".join(f"  s{i}:\n    command: [bin/worker, q{i}]\n    desiredCount: 1\n" for i in range(per_env))
        with open(os.path.join(repo, "environments", f"env{e:04d}.yaml"), "w") as fh:
            fh.write(f"cluster: fleet-{e:04d}\nimage: shop:1\ntaskDefinition: task-definitions/app.json\nservices:\n{services}")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "fleet")
    print(f"  seeding {envs * per_env} services…", flush=True)
    # Every environment renders the same definitions (families are the service names).
    code, out, _ = deckhand(env, "render", "--repo", repo, "--env", "env0000")
    assert code == 0, out
    rendered = json.loads(out)
    for e in range(envs):
        http(f"{url}/_deckhand/seed", "POST", {
            "cluster": f"fleet-{e:04d}", "network": False,
            "services": [{"name": f"s{i}", "taskDefinition": rendered[f"s{i}"], "desiredCount": 1} for i in range(per_env)],
        })
    return repo


def free_addr() -> str:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1:%d" % s.getsockname()[1]


class Controller:
    """A `deckhand controller` process with its own access key (its own ECS call log)."""

    def __init__(self, url: str, work: str, key: str, repo: str, interval: int, *extra: str) -> None:
        self.url, self.key, self.addr = url, key, free_addr()
        self.proc = subprocess.Popen(
            [DECKHAND, "controller", "--repo", f"file://{repo}", "--interval", f"{interval}s",
             "--listen", self.addr, "--concurrency", "8", *extra],
            env=aws_env(url, key, work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def metrics(self) -> str:
        return urllib.request.urlopen(f"http://{self.addr}/metrics").read().decode()

    def metric(self, name: str) -> float:
        try:
            return metric_sum(self.metrics(), name)
        except OSError:
            return 0.0

    def status(self) -> dict:
        return json.load(urllib.request.urlopen(f"http://{self.addr}/status"))

    def held(self) -> int:
        """Shards this replica holds (0 until it serves /status)."""
        try:
            return len((self.status().get("replica") or {}).get("held", []))
        except OSError:
            return 0

    def wait_for_reconciles(self, n: float, limit: float = 600) -> None:
        deadline = time.time() + limit
        while self.metric("deckhand_reconciles_total") < n:
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("controller did not finish its first cycle")
            time.sleep(1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def resident_by_mapping(pid: int) -> list[tuple[int, str]]:
    """Resident KiB per mapped file (and [heap], [anon] for the rest), largest first."""
    by: Counter = Counter()
    name = ""
    for line in open(f"/proc/{pid}/smaps"):
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and ":" not in fields[0]:
            name = os.path.basename(fields[5]) if len(fields) > 5 else "[anon]"
        elif fields[0] == "Rss:":
            by[name] += int(fields[1])
    return sorted(((kib, n) for n, kib in by.items()), reverse=True)


def rss_line(pid: int, target: str) -> str:
    rss = rss_kib(pid)
    top = ", ".join(f"{n} {kib / 1024:.1f}" for kib, n in resident_by_mapping(pid)[:5])
    return (f"RSS {rss['VmRSS'] / 1024:.1f} MiB = {rss['RssAnon'] / 1024:.1f} MiB anonymous (heap, stacks)"
            f" + {rss['RssFile'] / 1024:.1f} MiB file-backed (code and read-only data) (target ≤ {target});"
            f" largest mappings (MiB): {top}")


def warm_cycles(url: str, ctls: list[Controller], seconds: float) -> None:
    """Per controller, over `seconds` of no-op cycles: ECS calls per reconcile, lock-table calls, CPU."""
    for c in ctls:
        reset_calls(url, c.key)
    before = [(c.metric("deckhand_reconciles_total"), cpu_seconds(c.proc.pid),
               Counter(lock_calls(c.metrics()))) for c in ctls]
    t0 = time.time()
    time.sleep(seconds)
    elapsed = time.time() - t0
    # Resources first: the /status read below is a large response of its own.
    resources = [(cpu_seconds(c.proc.pid), rss_line(c.proc.pid, "64 MiB")) for c in ctls]
    for i, (c, (reconciles0, cpu0, lock0)) in enumerate(zip(ctls, before)):
        reconciles = c.metric("deckhand_reconciles_total") - reconciles0
        warm = calls(url, c.key)
        lock = Counter(lock_calls(c.metrics()))
        lock.subtract(lock0)
        per = {op: n / max(reconciles, 1) for op, n in warm.items()}
        status = c.status()
        replica = status.get("replica") or {}
        held = len(replica.get("held", []))
        here = sum(1 for e in status["environments"] if (e.get("replica") or {}).get("here", True))
        print(f"  controller {i + 1}: {int(reconciles)} no-op reconciles of {here} environments in {elapsed:.0f}s;"
              " ECS calls per reconcile: " + (", ".join(f"{op} {n:.2f}" for op, n in sorted(per.items())) or "none"))
        if replica:
            rounds = elapsed / 10  # a round every third of the 30 s lease TTL
            print(f"    lock table: {sum(lock.values())} DynamoDB calls in {elapsed:.0f}s (≈{rounds:.0f} rounds,"
                  f" {sum(lock.values()) / rounds:.1f} per round) holding {held} of 32 shards: "
                  + ", ".join(f"{op} {n}" for op, n in sorted(lock.items())))
        cpu = resources[i][0] - cpu0
        print(f"    CPU {cpu:.2f}s over {elapsed:.0f}s ({100 * cpu / elapsed:.1f}% of one core); " + resources[i][1])


def lock_calls(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith("deckhand_lock_table_calls_total{"):
            op = line.split('operation="', 1)[1].split('"', 1)[0]
            out[op] = float(line.rsplit(" ", 1)[1])
    return out


def guardrails(url: str, work: str) -> None:
    """Ignore rules and --trust cost no AWS call: plan and a controller reconcile, each way."""
    key = "bench-guard"
    env = aws_env(url, key, work)
    repo = os.path.join(work, "guard")
    shutil.copytree(os.path.join(ROOT, "examples", "shop"), repo)
    signing = os.path.join(work, "guard-key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", signing], check=True)
    trust = os.path.join(work, "allowed_signers")
    with open(trust, "w") as fh:
        fh.write("bench@example.com " + open(signing + ".pub").read())
    git(repo, "init", "-q")
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", signing)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-S", "-m", "initial")
    code, out, _ = deckhand(env, "render", "--repo", repo, "--env", "staging")
    assert code == 0, out
    seed(url, "staging", "shop-staging", json.loads(out), {"web": 2, "worker": 2}, "20261101000000")
    print("guardrails: the shop example (web + worker), seeded as deployed; ECS calls and wall time")

    def measure(title: str, *extra: str) -> None:
        runs = [("plan", ["plan", "--repo", repo, "--env", "staging", *extra]),
                ("controller --once", ["controller", "--once", "--repo", f"file://{repo}", "--env", "staging", *extra])]
        for name, args in runs:
            reset_calls(url, key)
            code, out, seconds = deckhand(env, *args)
            assert code == 0, out[-2000:]
            show(f"{title}, {name} ({seconds:.2f}s)", calls(url, key))

    measure("no rules, no --trust")
    spec = os.path.join(repo, "environments", "staging.yaml")
    rules = ("ignore:\n"
             "  - service: \"*\"\n"
             "    taskDefinition:\n"
             "      - /containerDefinitions/app/environment/NEW_RELIC_APP_NAME\n"
             "      - /containerDefinitions/app/dockerLabels\n"
             "  - service: web\n"
             "    taskDefinition: [/containerDefinitions/app/secrets/DD_API_KEY]\n")
    with open(spec, "a") as fh:
        fh.write("\n" + rules)
    git(repo, "commit", "-q", "-a", "-S", "-m", "ignore rules")
    measure("3 ignore pointers")
    measure("3 ignore pointers and --trust", "--trust", trust)


def controller_100x10(url: str, work: str) -> None:
    envs, per_env, interval = 100, 10, 10
    print(f"controller-{envs}x{per_env}:", flush=True)
    repo = make_fleet(url, work, "bench-seed", envs, per_env)
    ctl = Controller(url, work, "bench-controller", repo, interval)
    try:
        ctl.wait_for_reconciles(envs)
        show("first cycle (cold caches)", calls(url, ctl.key))
        # Warm: count a few cycles and divide by the reconciles they made.
        warm_cycles(url, [ctl], 3 * interval)
        print(f"  target per environment: 1 DescribeServices + 1 DescribeClusters, 0 DescribeTaskDefinition")
        ui_pages(ctl.addr, "env0042")
        print("  right after the UI's requests: " + rss_line(ctl.proc.pid, "20 MiB idle"))
        # The controller hands free heap pages back after each fetch cycle.
        time.sleep(interval + 1)
        print("  idle, one cycle later: " + rss_line(ctl.proc.pid, "20 MiB idle"))
        print(f"  binary: {os.path.getsize(DECKHAND) / 1048576:.1f} MiB ({DECKHAND})")
    finally:
        ctl.stop()


def replicas_1000x10(url: str, work: str) -> None:
    """1000 environments × 10 services: one replica on a lock table, then three."""
    # BENCH_ENVS / BENCH_INTERVAL: a smaller, faster run of the same scenario.
    envs = int(os.environ.get("BENCH_ENVS", 1000))
    per_env, interval = 10, int(os.environ.get("BENCH_INTERVAL", 60))
    print(f"replicas-{envs}x{per_env} (interval {interval}s):", flush=True)
    repo = make_fleet(url, work, "bench-seed", envs, per_env)
    table = "bench-locks"
    code, out, _ = deckhand(aws_env(url, "bench-seed", work), "lock-table", "create", table)
    assert code == 0, out
    first = Controller(url, work, "bench-replica-1", repo, interval, "--lock-table", table)
    ctls = [first]
    try:
        t0 = time.time()
        first.wait_for_reconciles(envs)
        print(f"  one replica: first cycle of {envs} environments in {time.time() - t0:.0f}s")
        warm_cycles(url, [first], 2 * interval)
        ctls += [Controller(url, work, f"bench-replica-{i}", repo, interval, "--lock-table", table) for i in (2, 3)]
        t0 = time.time()
        while True:
            held = [c.held() for c in ctls]
            if sum(held) == 32 and all(held):
                break
            if time.time() - t0 > 300:
                raise SystemExit(f"the shards did not spread: {held}")
            time.sleep(1)
        print(f"  three replicas: shards spread {held} in {time.time() - t0:.0f}s")
        time.sleep(interval)  # every environment reconciled once by its new holder
        warm_cycles(url, ctls, 2 * interval)
    finally:
        for c in ctls:
            c.stop()


def main() -> None:
    if not os.path.exists(DECKHAND):
        raise SystemExit("build first: cargo build")
    proc, url = start_emulator()
    work = tempfile.mkdtemp(prefix="deckhand-bench-")
    scenarios = {"plan-100": plan_100, "release-2": release_2, "release-10": release_10,
                 "release-bg": release_bg, "plan-100-sd": plan_100_sd, "promote-rollback": promote_rollback, "guardrails": guardrails,
                 "controller-100x10": controller_100x10, "replicas-1000x10": replicas_1000x10}
    chosen = sys.argv[1:] or [name for name in scenarios if name != "replicas-1000x10"]
    unknown = [c for c in chosen if c not in scenarios]
    if unknown:
        raise SystemExit(f"unknown scenario {unknown}; choose from {list(scenarios)}")
    try:
        for name in chosen:
            scenarios[name](url, work)
    finally:
        proc.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
