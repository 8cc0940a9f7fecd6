#!/usr/bin/env bash
# Instructions per line through the whole statsd-exporter binary (TCP read -> parse -> map ->
# record), counted by callgrind: a noise-free companion to scripts/bench-exporter.sh.
#
#   scripts/callgrind-exporter.sh            # 100000 Mastodon-shaped lines
#   LINES=20000 scripts/callgrind-exporter.sh
#   KEEP=/tmp/exporter.callgrind scripts/callgrind-exporter.sh   # keep the profile for callgrind_annotate
#
# The exporter runs under valgrind with the Mastodon mapping and TCP only; statsd-loadgen
# sends LINES lines over one loopback connection; once /metrics shows them all, the exporter
# is stopped through /-/quit. The figure is the inclusive cost of the TCP connection loop
# (socket reads, line splitting, the core pipeline, the store) divided by LINES, so mapping
# compilation and start-up are not included.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
LINES=${LINES:-100000}
command -v valgrind >/dev/null || { echo "valgrind missing: scripts/install-deps.sh" >&2; exit 1; }
cargo build --release -q -p statsd-exporter -p statsd-loadgen
exporter="$target_dir/release/statsd-exporter"
loadgen="$target_dir/release/statsd-loadgen"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
statsd_port=$(free_port)
web_port=$(free_port)
out=$(mktemp /tmp/callgrind-exporter.XXXXXX)
valgrind --tool=callgrind --callgrind-out-file="$out" "$exporter" \
  --statsd.mapping-config=examples/mastodon/statsd-mapping.yml --statsd.listen-udp= \
  --statsd.listen-tcp="127.0.0.1:$statsd_port" --web.listen-address="127.0.0.1:$web_port" \
  --web.enable-lifecycle --log.level=warn 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$web_port/-/ready" >/dev/null && break; sleep 0.5; done
"$loadgen" --target="127.0.0.1:$statsd_port" --transport=tcp --lines="$LINES" --senders=1 --max-seconds=280 >/dev/null
for _ in $(seq 600); do
  seen=$(curl -s "http://127.0.0.1:$web_port/metrics" | awk '$1 == "statsd_exporter_lines_total" { printf "%d", $2 }')
  [ "${seen:-0}" -ge "$LINES" ] && break
  sleep 0.5
done
curl -s -X POST "http://127.0.0.1:$web_port/-/quit" >/dev/null
wait $pid || true
trap - EXIT
annotated=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null)
if ! awk -v n="$LINES" '/statsd_exporter::listener::tcp::serve \[/ { gsub(",", "", $1); printf "lines=%d instructions/line=%.0f (TCP read to store, Mastodon mapping)\n", n, $1 / n; found = 1; exit } END { exit !found }' <<<"$annotated"; then
  echo "callgrind-exporter: statsd_exporter::listener::tcp::serve not in the profile ($out kept)" >&2
  exit 1
fi
if [ -n "${KEEP:-}" ]; then mv "$out" "$KEEP"; echo "callgrind output kept in $KEEP"; else rm -f "$out"; fi
