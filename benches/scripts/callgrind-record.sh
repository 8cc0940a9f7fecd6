#!/bin/sh
# Instructions per operation of statsd-exporter-core's store (benches/src/bin/callgrind_record.rs):
# (Ir(N) - Ir(0)) / N under valgrind --tool=callgrind, profile `callgrind` (opt-level 3, fat
# LTO, one codegen unit). Deterministic (fixed clock, fixed input). Usage:
#   benches/scripts/callgrind-record.sh [row ...]      # default: every row
# Record rows use N = 32000 samples (64 series × 500: one summary buffer flush per series); expose rows N = 2 expositions of 100 000 series and
# also print the cost per series (expose_summaries: 2 000 series, the others 100 000).
set -eu
cd "$(dirname "$0")/../.."
cargo build -q --profile callgrind -p statsd-benches --bin callgrind_record
target="${CARGO_TARGET_DIR:-target}"
bin="$target/callgrind/callgrind_record"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ir() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" "$1" "$2" >/dev/null 2>"$tmp/log"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log"
}
rows="$*"
[ -n "$rows" ] || rows="$("$bin" --list)"
printf '%-16s %14s\n' row "Ir/op"
for row in $rows; do
    case "$row" in
        expose_*) n=2 ;;
        *) n=32000 ;;
    esac
    base=$(ir "$row" 0)
    total=$(ir "$row" "$n")
    per=$(( (total - base) / n ))
    case "$row" in
        expose_summaries) printf '%-16s %14s   (%s per series)\n' "$row" "$per" "$(( per / 2000 ))" ;;
        expose_*) printf '%-16s %14s   (%s per series)\n' "$row" "$per" "$(( per / 100000 ))" ;;
        *) printf '%-16s %14s\n' "$row" "$per" ;;
    esac
done
