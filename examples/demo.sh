#!/usr/bin/env bash
# The deckhand demo, end to end against the local ECS emulator:
#   1. start the emulator and seed a Rails-style environment (web + worker, one image);
#   2. make a config repo from examples/shop and plan: no changes;
#   3. commit a new image and a new migration revision, plan, apply, fail, revert;
#   4. add production, promote staging's release to it, roll production back now;
#   5. signed commits only (--trust), with ssh-keygen when it is installed;
#   6. the controller's web UI (left open in a browser until Enter, on a terminal).
# Needs nothing but this repo: the emulator is installed into .venv on first run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Until every service runs its desired count (a restored worker takes a
# few seconds to start its tasks), at most 30 s.
wait_running() {
  for _ in $(seq 1 60); do
    "$deckhand" status --repo "$1" --env staging --format json 2>/dev/null |
      .venv/bin/python -c 'import json,sys; s=json.load(sys.stdin)["services"]; sys.exit(0 if all(x.get("runningCount")==x.get("desiredCount") for x in s) else 1)' && return 0
    sleep 0.5
  done
}

bash scripts/deps.sh build
bash emulator/install.sh
say "Building deckhand (the first build takes several minutes, most of it the AWS SDK)"
cargo build --bin deckhand
deckhand="$root/target/debug/deckhand"

work="$(mktemp -d "${TMPDIR:-/tmp}/deckhand-demo.XXXXXX")"
emulator_pid="" controller_pid=""
cleanup() {
  for pid in $controller_pid $emulator_pid; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say "Starting the local ECS emulator"
.venv/bin/python emulator/server.py --port 0 --parent-pid $$ >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do grep -q '^READY ' "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^READY //p' "$work/emulator.out")"
[ -n "$url" ] || { cat "$work/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
echo "ECS emulator at $url"
export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
export DECKHAND_CACHE_DIR="$work/cache"

say "Creating a config repo from examples/shop"
cp -r examples/shop "$work/config"
git -C "$work/config" init -q -b main
git -C "$work/config" add -A
git -C "$work/config" -c user.name=demo -c user.email=demo@example.com commit -q -m "staging: shop 3f9c2e1, schema 20261101000000"
git -C "$work/config" log --oneline

# seed ENV CLUSTER COUNT: ECS as if ENV had been deployed by hand (its
# rendered definitions, COUNT tasks of web and worker, schema 20261101000000).
seed() {
  "$deckhand" render --repo "$work/config" --env "$1" >"$work/rendered-$1.json"
  .venv/bin/python - "$url" "$work/rendered-$1.json" "$1" "$2" "$3" <<'PY'
import json, sys, urllib.request
url, rendered, env, cluster, count = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4], int(sys.argv[5])
seed = {
    # What the task definitions name, so that apply's preflight finds it.
    "images": [f"123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:{t}" for t in ("3f9c2e1", "9a8b7c6", "b4d1dea")],
    "roles": ["arn:aws:iam::123456789012:role/shop-app", "arn:aws:iam::123456789012:role/shop-ecs-execution"],
    "parameters": {"/shop/database-url": "postgres://shop@db/shop", "/shop/secret-key-base": "demo"},
    "logGroups": ["/ecs/shop"],
    "cluster": cluster,
    "clusterTags": {f"deckhand:{env}:schema-revision": "20261101000000"},
    "network": True,
    "services": [
        {"name": name, "taskDefinition": rendered[name], "desiredCount": count, "launchType": "FARGATE",
         "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}}
        for name in ("web", "worker")
    ],
}
req = urllib.request.Request(url + "/_deckhand/seed", json.dumps(seed).encode(), {"Content-Type": "application/json"})
out = json.load(urllib.request.urlopen(req))
for name, svc in out["services"].items():
    print(f"  {name}: {svc['taskDefinitionArn']}")
PY
}

say "Seeding ECS as if staging had been deployed by hand: cluster, network, web x2, worker x2"
seed staging shop-staging 2

say "deckhand plan: the spec against live ECS (expect no changes)"
"$deckhand" plan --repo "$work/config" --env staging

say "deckhand verify: could ECS run it? (images in ECR, roles, secrets, log groups)"
"$deckhand" verify --repo "$work/config" --env staging

say "Adopting an existing cluster instead: deckhand init writes a config repo from what runs"
"$deckhand" init --cluster shop-staging --env staging --repo "$work/adopted"
sed -n '/^services:/,$p' "$work/adopted/environments/staging.yaml"
"$deckhand" plan --repo "$work/adopted" --env staging --detailed-exitcode

say "A release commit: new image 9a8b7c6, new schema revision 20261120093000"
sed -i -e 's/shop:3f9c2e1/shop:9a8b7c6/' -e 's/20261101000000/20261120093000/' "$work/config/environments/staging.yaml"
git -C "$work/config" -c user.name=demo -c user.email=demo@example.com commit -q -am "staging: shop 9a8b7c6, schema 20261120093000"
git -C "$work/config" log --oneline -1

say "deckhand plan --detailed-exitcode (exit 2: there are changes)"
set +e
"$deckhand" plan --repo "$work/config" --env staging --detailed-exitcode
echo "exit code: $?"
set -e

say "The same plan as JSON, for scripts (steps only)"
"$deckhand" plan --repo "$work/config" --env staging --format json |
  .venv/bin/python -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps({k: p[k] for k in ("environment","commit","changed","steps")}, indent=2))'

say "deckhand apply: register → quiesce worker → migrate (once, exit code checked) → update → wait → restore"
export DECKHAND_POLL_INTERVAL=500ms
"$deckhand" apply --repo "$work/config" --env staging --yes

say "ECS now equals git: the plan shows no changes"
"$deckhand" plan --repo "$work/config" --env staging

say "A release whose migration fails (the emulator makes image b4d1dea's migration exit 1)"
.venv/bin/python - "$url" <<'PY'
import json, sys, urllib.request
rule = {"imageContains": "b4d1dea", "exitCode": 1, "stoppedReason": "Essential container in task exited",
        "logLines": ["== 20261201000000 AddSkuIndexToOrders: migrating =====",
                     "-- add_index(:orders, :sku, {unique: true})",
                     "rails aborted!",
                     "PG::UniqueViolation: ERROR:  could not create unique index \"index_orders_on_sku\"",
                     "DETAIL:  Key (sku)=(TSHIRT-M) is duplicated."]}
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_deckhand/task-rules", json.dumps(rule).encode(), {"Content-Type": "application/json"}))
PY
sed -i -e 's/shop:9a8b7c6/shop:b4d1dea/' -e 's/20261120093000/20261201000000/' "$work/config/environments/staging.yaml"
git -C "$work/config" -c user.name=demo -c user.email=demo@example.com commit -q -am "staging: shop b4d1dea, schema 20261201000000"
set +e
"$deckhand" apply --repo "$work/config" --env staging --yes
echo "exit code: $?"
set -e

wait_running "$work/config"
say "Nothing half-done: services still run revision 2 (9a8b7c6), the worker is back at 2/2, the schema revision is unchanged"
"$deckhand" status --repo "$work/config" --env staging

say "GitOps: revert the bad commit; ECS already runs it, so the controller only records the commit on the services"
git -C "$work/config" -c user.name=demo -c user.email=demo@example.com revert --no-edit HEAD >/dev/null
git -C "$work/config" log --oneline -1
"$deckhand" controller --once --repo "file://$work/config"
wait_running "$work/config"
"$deckhand" status --repo "$work/config" --env staging

say "deckhand history: every release, recorded in ECS (newest first)"
"$deckhand" history --repo "$work/config" --env staging

say "Production: its own environment file, taking releases from staging only (seeded with 1 task each)"
sed -e 's/shop-staging/shop-production/g' -e 's/^# The staging environment.*/# Production: releases come from staging (deckhand promote staging production)./' \
  examples/shop/environments/staging.yaml >"$work/config/environments/production.yaml"
printf '\npromotion:\n  from: staging\n' >>"$work/config/environments/production.yaml"
git -C "$work/config" add -A
git -C "$work/config" -c user.name=demo -c user.email=demo@example.com commit -q -m "production: shop 3f9c2e1, from staging"
seed production shop-production 1
"$deckhand" apply --repo "$work/config" --env production --yes >/dev/null
"$deckhand" history --repo "$work/config" --env production

say "deckhand promote staging production: staging's release that succeeded and runs, as one commit"
"$deckhand" promote staging production --repo "$work/config" --dry-run
"$deckhand" promote staging production --repo "$work/config" --yes --git-author "Release Bot <release@example.com>"
git -C "$work/config" show --stat --format='%an: %B' HEAD | sed '/^$/d'

say "The promotion is released like any commit (the migration runs once in production)"
"$deckhand" apply --repo "$work/config" --env production --yes
"$deckhand" history --repo "$work/config" --env production

say "Something is wrong in production: roll back now (the schema stays at 20261120093000), and hold"
"$deckhand" rollback production --repo "$work/config" --now --accept-schema --reason "error rate up after v2" --yes --git-author "Ada Lovelace <ada@example.com>"
git -C "$work/config" log --format='%h %s' -1
"$deckhand" history --repo "$work/config" --env production --limit 3
"$deckhand" release-hold production --repo "$work/config"

if command -v ssh-keygen >/dev/null; then
  say "Guardrails: --trust applies only commits signed by a key it knows"
  ssh-keygen -q -t ed25519 -N '' -C release-bot -f "$work/release-bot"
  echo "release-bot@example.com $(cat "$work/release-bot.pub")" >"$work/allowed_signers"
  if ! "$deckhand" plan --repo "$work/config" --env production --trust "$work/allowed_signers" >/dev/null; then
    echo "(refused, exit 1: the head commit is not signed)"
  fi
  git -C "$work/config" -c user.name=demo -c user.email=demo@example.com -c gpg.format=ssh \
    -c user.signingkey="$work/release-bot" commit -q -S --allow-empty -m "Signed by the release bot"
  "$deckhand" plan --repo "$work/config" --env production --trust "$work/allowed_signers" | sed -n 1p
fi

say "The controller's web UI: what runs where, what will change, what happened"
port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$deckhand" controller --repo "file://$work/config" --listen "127.0.0.1:$port" >"$work/controller.log" 2>&1 &
controller_pid=$!
for _ in $(seq 1 60); do
  # Every environment reconciled once (each commit is recorded on its services).
  curl -fsS "http://127.0.0.1:$port/status" 2>/dev/null |
    .venv/bin/python -c 'import json,sys; e=json.load(sys.stdin)["environments"]; sys.exit(0 if e and all(x.get("lastResult") for x in e) else 1)' 2>/dev/null && break
  sleep 0.5
done
echo "GET http://127.0.0.1:$port/ (the environment's row, as text):"
curl -fsS "http://127.0.0.1:$port/" | .venv/bin/python -c '
import html, re, sys
row = re.search(r"<tr id=\"env-staging\".*?</tr>", sys.stdin.read(), re.S).group(0)
cells = [html.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
for label, cell in zip(["environment", "state", "applied commit", "image", "schema", "last release", "failures in a row"], cells):
    text = " ".join(cell)
    print(f"  {label:<18} {text}")'
if [ -t 0 ] && [ -z "${CI:-}" ]; then
  echo
  echo "Open http://127.0.0.1:$port/ in a browser (it updates itself every 2 s). Press Enter to stop."
  read -r _ || true   # input closed (EOF): the demo is done all the same
fi
kill "$controller_pid" 2>/dev/null || true
wait "$controller_pid" 2>/dev/null || true
