#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time on the stable toolchain (no sanitizer),
# starting from the committed seed corpus under fuzz/seeds/<target>/ when there is one.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Exits non-zero on the first crash; the crashing input is left under fuzz/artifacts/.
# Prints the number of executions each target ran, for the closing notes. With
# FUZZ_LOG_DIR set, each target's full libFuzzer log is kept there as <target>.log.
# A crash found here belongs in fuzz/regressions/<target>/ once fixed: the replay test
# (`cargo test -p statsd-benches --test fuzz_replay`) runs every file there as a test.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
shift || true
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --version 0.13.2 --locked

cd fuzz
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build --sanitizer none --release
# The fuzz crate has its own lock file and cargo fuzz has no --locked: fail when the build
# changed it, so that what is fuzzed is what is committed.
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- Cargo.lock; then
  git diff --stat -- Cargo.lock >&2
  echo "fuzz: the build changed fuzz/Cargo.lock; commit the change" >&2
  exit 1
fi

for target in "${targets[@]}"; do
  corpus="corpus/$target"
  mkdir -p "$corpus"
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  if [ -n "${FUZZ_LOG_DIR:-}" ]; then
    mkdir -p "$FUZZ_LOG_DIR"
    log="$FUZZ_LOG_DIR/$target.log"
  else
    log="$(mktemp)"
  fi
  if ! cargo fuzz run --sanitizer none --release "$target" "$corpus" "${seeds[@]}" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $target FAILED (see fuzz/artifacts/$target)" >&2
    exit 1
  fi
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "fuzz: $target ok, ${runs:-?} executions in ${seconds}s"
  [ -n "${FUZZ_LOG_DIR:-}" ] || rm -f "$log"
done
