#!/usr/bin/env bash
# What the deckhand GitHub Actions workflow runs, in the config repo's root.
#
#   deckhand-ci.sh plan    the markdown plan of every environment into $PLAN_FILE
#                          (the pull request's comment); exit 0 with or without
#                          changes, 1 when a plan fails (its error is in plan.md)
#   deckhand-ci.sh apply   apply every environment, in name order; stop at the
#                          first failure
#
# DECKHAND_ENVS (comma-separated) limits the environments; DECKHAND is the
# binary (default: deckhand on PATH); PLAN_FILE is where the plan goes
# (default: $RUNNER_TEMP/deckhand-plan.md, outside the checkout).
set -euo pipefail

deckhand=${DECKHAND:-deckhand}
if [ -n "${DECKHAND_ENVS:-}" ]; then
  IFS=, read -r -a envs <<< "$DECKHAND_ENVS"
else
  envs=()
  for file in environments/*.yaml; do
    [ -e "$file" ] || continue
    name=${file#environments/}
    envs+=("${name%.yaml}")
  done
fi
if [ ${#envs[@]} -eq 0 ]; then
  echo "no environments/*.yaml here" >&2
  exit 1
fi

case "${1:-}" in
  plan)
    out=${PLAN_FILE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/deckhand-plan.md}
    errors=$(mktemp)
    : > "$out"
    changes=false
    failed=false
    for env in "${envs[@]}"; do
      rc=0
      "$deckhand" plan --repo . --env "$env" --format markdown --detailed-exitcode >> "$out" 2> "$errors" || rc=$?
      case $rc in
        0) ;;
        2) changes=true ;;
        *)
          failed=true
          { echo "### $env: the plan failed"; echo; echo '```'; cat "$errors"; echo '```'; } >> "$out"
          ;;
      esac
      echo >> "$out"
    done
    rm -f "$errors"
    echo "changes=$changes" >> "${GITHUB_OUTPUT:-/dev/null}"
    [ "$failed" = false ]
    ;;
  apply)
    for env in "${envs[@]}"; do
      "$deckhand" apply --repo . --env "$env" --yes
    done
    ;;
  *)
    echo "usage: $0 plan|apply" >&2
    exit 2
    ;;
esac
