#!/bin/sh
# Instructions per parsed line for the five statsd-proto shapes:
# (Ir(N) - Ir(0)) / N under valgrind --tool=callgrind, N = 20000, profile `callgrind`
# (opt-level 3, fat LTO, one codegen unit). Deterministic; usage:
#   benches/scripts/callgrind-parse.sh [exporter|dogstatsd|reference]
# (`reference`: statsd_proto's nom reference parser, strict DogStatsD grammar.)
set -eu
mode="${1:-exporter}"
n=20000
cd "$(dirname "$0")/../.."
cargo build -q --profile callgrind -p statsd-benches --bin callgrind_parse --bin callgrind_parse_stream
target="${CARGO_TARGET_DIR:-target}"
bin="$target/callgrind/callgrind_parse"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ir() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" "$1" "$2" "$mode" >/dev/null 2>"$tmp/log"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log"
}
printf '%-12s %12s   (mode %s, N=%d)\n' shape "Ir/line" "$mode" "$n"
for shape in plain timer_rate tags5 packed4 full; do
    base=$(ir "$shape" 0)
    total=$(ir "$shape" "$n")
    printf '%-12s %12s\n' "$shape" "$(( (total - base) / n ))"
done
[ "$mode" = reference ] && exit 0
# The Mastodon stream: 1 MB through Parser::packet (statsd_exporter mode), 3 times.
stream="$target/callgrind/callgrind_parse_stream"
irs() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$stream" "$1" >/dev/null 2>"$tmp/log"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log"
}
base=$(irs 0)
total=$(irs 3)
lines=$(sed -n 's/lines per stream: //p' "$tmp/log")
printf '%-12s %12s   (%s lines per MB, via Parser::packet)\n' mastodon "$(( (total - base) / (3 * lines) ))" "$lines"
