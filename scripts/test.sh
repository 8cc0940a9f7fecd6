#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every test of the
# workspace (unit, integration, doc tests and the examples' tests).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cargo test --workspace --locked
