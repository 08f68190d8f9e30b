#!/usr/bin/env bash
# The test command: installs the system packages the tests need (apt-get, only
# the missing ones; scripts/deps.sh names them) and the local ECS emulator (a
# venv with a pinned moto and the pinned Python checkers, once), checks the
# emulator's Python (ruff lint and format, mypy) and runs its self-test (pytest),
# checks the Rust formatting and lints, then runs every Rust test — unit tests
# with no server, and the integration tests against the emulator. `.ci/run` runs
# exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh test
bash emulator/install.sh
.venv/bin/ruff check emulator
.venv/bin/ruff format --check emulator
.venv/bin/mypy --config-file emulator/pyproject.toml
.venv/bin/python -m pytest -q emulator/test_emulator.py
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Library unit tests, then the integration binary (there are no doc tests).
cargo test --locked --lib --bins --test it
