#!/usr/bin/env bash
# Installs the local ECS emulator (moto + what the plugin needs, requirements.txt)
# and its checkers (ruff, mypy, pytest, requirements-dev.txt) into a venv.
#   venv: ${DECKHAND_VENV:-<repo root>/.venv}   python: ${PYTHON:-python3}
# Idempotent and fast: skips pip when the sha256 of both requirements files equals
# the one stored in the venv by the last successful install. Needs no TTY.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${DECKHAND_VENV:-$root/.venv}"
req="$here/requirements.txt"
req_dev="$here/requirements-dev.txt"
stamp="$venv/.deckhand-emulator-requirements.sha256"
# One hash over both files' hashes: a change to either reinstalls.
want="$(cd "$here" && sha256sum requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"

up_to_date() {
    [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}

if up_to_date; then
    echo "emulator: venv up to date ($venv)"
    exit 0
fi

mkdir -p "$venv"
# Serialise concurrent installs (e.g. parallel test runners) on one venv.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv/.deckhand-install.lock"
    flock 9
    if up_to_date; then
        echo "emulator: venv up to date ($venv)"
        exit 0
    fi
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off
"$venv/bin/python" -m pip install --quiet -r "$req" -r "$req_dev"
"$venv/bin/python" -c 'import moto, boto3, flask, werkzeug, mypy, pytest' >/dev/null
"$venv/bin/ruff" --version >/dev/null
echo "$want" >"$stamp"
echo "emulator: installed $(grep -m1 '^moto' "$req") and $(grep -m1 '^ruff' "$req_dev"), $(grep -m1 '^mypy' "$req_dev"), $(grep -m1 '^pytest' "$req_dev") into $venv"
