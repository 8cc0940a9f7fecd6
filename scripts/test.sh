#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every test of the
# workspace (unit, integration, doc tests and the examples' tests).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cargo test --workspace --locked

# statsd-proto's portable (SWAR) byte scans, which non-x86-64 targets build: the same suite
# with the SSE2 module swapped out (its own target dir, so the main build stays cached).
RUSTFLAGS="--cfg statsd_proto_portable" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/portable" \
    cargo test -p statsd-proto --locked
