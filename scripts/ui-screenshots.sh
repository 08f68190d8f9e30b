#!/usr/bin/env bash
# Makes the web UI page's pictures (docs/web-ui.md) (docs/ui-overview.png and
# docs/ui-environment.png): a controller over the local emulator with two
# environments — staging released, production waiting for approval
# (sync.auto: false) — photographed by headless Chromium.
# Needs what the tests need (`bash scripts/test.sh` installs it): .venv and chromium.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --quiet --bin deckhand
deckhand="$root/target/debug/deckhand"
work="$(mktemp -d "${TMPDIR:-/tmp}/deckhand-shots.XXXXXX")"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

.venv/bin/python emulator/server.py --port 0 --parent-pid $$ >"$work/emulator.out" 2>"$work/emulator.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^READY ' "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^READY //p' "$work/emulator.out")"
export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=shots AWS_SECRET_ACCESS_KEY=shots AWS_REGION=us-east-1
export DECKHAND_CACHE_DIR="$work/cache"

commit() { git -C "$work/config" -c user.name="$1" -c user.email=dev@example.com commit -q -am "$2"; }
cp -r examples/shop "$work/config"
sed -e 's/shop-staging/shop-production/g' "$work/config/environments/staging.yaml" >"$work/config/environments/production.yaml"
git -C "$work/config" init -q -b main
git -C "$work/config" add -A
commit "Ada Lovelace" "shop 3f9c2e1, schema 20261101000000"

for env in staging production; do
  "$deckhand" render --repo "$work/config" --env "$env" >"$work/rendered-$env.json"
  .venv/bin/python - "$url" "$work/rendered-$env.json" "$env" <<'PY'
import json, sys, urllib.request
url, rendered, env = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
def post(path, body):
    urllib.request.urlopen(urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}))
post("/_deckhand/seed", {
    "images": [f"123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:{t}" for t in ("3f9c2e1", "9a8b7c6")],
    "roles": ["arn:aws:iam::123456789012:role/shop-app", "arn:aws:iam::123456789012:role/shop-ecs-execution"],
    "parameters": {"/shop/database-url": "postgres://shop@db/shop", "/shop/secret-key-base": "demo"},
    "logGroups": ["/ecs/shop"],
    "cluster": f"shop-{env}",
    "clusterTags": {f"deckhand:{env}:schema-revision": "20261101000000"},
    "network": True,
    "services": [{"name": n, "taskDefinition": rendered[n], "desiredCount": 2, "launchType": "FARGATE",
                  "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}}
                 for n in ("web", "worker")],
})
post("/_deckhand/task-rules", {"commandContains": "db:migrate", "exitCode": 0, "runSeconds": 2, "logLines": [
    "== 20261120093000 AddSkuToOrders: migrating ===========================",
    "-- add_column(:orders, :sku, :string)", "   -> 0.0042s",
    "== 20261120093000 AddSkuToOrders: migrated (0.0043s) ==================="]})
PY
done
printf '\nsync:\n  auto: false   # production waits for a person\n' >>"$work/config/environments/production.yaml"
sed -i -e 's/shop:3f9c2e1/shop:9a8b7c6/' -e 's/20261101000000/20261120093000/' \
  "$work/config/environments/staging.yaml" "$work/config/environments/production.yaml"
commit "Grace Hopper" "Release shop 9a8b7c6: the sku column on orders"

port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DECKHAND_POLL_INTERVAL=500ms DECKHAND_INTERVAL=5s "$deckhand" controller \
  --repo "file://$work/config" --listen "127.0.0.1:$port" >"$work/controller.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/status" 2>/dev/null | grep -q '"lastResult":"applied"\|"lastResult":"in-sync"' && break
  sleep 0.5
done
sleep 3 # the history and the next reconcile

shot() {
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$2" --screenshot="$root/docs/$1" "http://127.0.0.1:$port$3" 2>/dev/null
  echo "docs/$1"
}
shot ui-overview.png 1200,420 /
shot ui-environment.png 1200,1500 /environments/production
shot ui-release.png 1200,1500 /environments/staging
