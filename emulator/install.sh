#!/usr/bin/env bash
# Installs the ECS emulator (moto + deckhand plugin deps) into a venv.
# Venv: ${DECKHAND_VENV:-<repo root>/.venv}. Idempotent: skips pip when the
# hash of requirements.txt matches the one stored in the venv.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${DECKHAND_VENV:-$root/.venv}"
req="$here/requirements.txt"
stamp="$venv/.deckhand-emulator-requirements.sha256"

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "emulator: venv up to date at $venv"
    exit 0
fi

py="${PYTHON:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$py" -m venv "$venv"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$venv/bin/python" -m pip install --quiet --progress-bar off -r "$req"
"$venv/bin/python" -c 'import moto, boto3, werkzeug' 
echo "$want" > "$stamp"
echo "emulator: installed $(grep -m1 '^moto' "$req") into $venv"
