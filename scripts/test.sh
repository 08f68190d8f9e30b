#!/usr/bin/env bash
# The test command: installs the local ECS emulator (a venv with a pinned moto,
# once), checks formatting and lints, then runs every test — unit tests with no
# server, and the integration tests against the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."

bash emulator/install.sh
.venv/bin/python emulator/test_emulator.py
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Library unit tests, then the integration binary (there are no doc tests).
cargo test --locked --lib --bins --test it
