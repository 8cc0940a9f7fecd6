#!/usr/bin/env bash
# End-to-end benchmark of the statsd-exporter binary with the Mastodon mapping, on loopback:
# lines/s and CPU time per line over TCP and UDP, and UDP loss at given rates.
#
#   scripts/bench-exporter.sh                 # the default table (about a minute)
#   LINES=2000000 RATES="100000 500000" scripts/bench-exporter.sh
#   SERIES=100000 scripts/bench-exporter.sh     # resident memory per series (0: skip)
#
# It builds the release binaries, starts one exporter on free loopback ports, and for each
# run sends a bounded number of Mastodon-shaped lines with statsd-loadgen (loopback only,
# stops by itself). CPU per line = the exporter's user+system CPU time (from /proc, 10 ms
# ticks) over the lines it counted (statsd_exporter_lines_total); loss = 1 - received/sent.
# The machine is shared and noisy: read the numbers as orders of magnitude, run twice.
#
# Memory: for each series type (counters, then timers, which become summaries) a fresh
# exporter gets 10 000 Mastodon lines and one scrape, then SERIES distinct series over TCP
# (statsd-loadgen --series) and another scrape; RSS per series = the growth of VmRSS over
# SERIES. statsd_exporter is not measured here (Debian 12 has no package for it); feed it
# the same `statsd-loadgen --series` traffic to compare.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
LINES=${LINES:-2000000}
TCP_LINES=${TCP_LINES:-10000000}
RATES=${RATES:-"100000 250000 500000"}
SENDERS=${SENDERS:-4}
SERIES=${SERIES:-100000}
LINES_PER_DATAGRAM=${LINES_PER_DATAGRAM:-"1 10"}

cargo build --release -q -p statsd-exporter -p statsd-loadgen
exporter="$target_dir/release/statsd-exporter"
loadgen="$target_dir/release/statsd-loadgen"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
statsd_port=$(free_port)
web_port=$(free_port)
"$exporter" --statsd.mapping-config=examples/mastodon/statsd-mapping.yml \
  --statsd.listen-udp="127.0.0.1:$statsd_port" --statsd.listen-tcp="127.0.0.1:$statsd_port" \
  --web.listen-address="127.0.0.1:$web_port" --log.level=warn ${EXPORTER_FLAGS:-} &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$web_port/-/ready" >/dev/null && break; sleep 0.1; done

metric() { curl -s "http://127.0.0.1:$web_port/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
settle() { # wait until the exporter has processed everything it will get
  local last=-1 now
  for _ in $(seq 100); do
    now=$(metric statsd_exporter_lines_total)
    [ "$now" = "$last" ] && break
    last=$now; sleep 0.3
  done
}

run() { # transport lines rate lines_per_datagram
  local transport=$1 lines=$2 rate=$3 lpd=$4
  settle
  local lines0 cpu0 out lines1 cpu1 sent received
  lines0=$(metric statsd_exporter_lines_total); cpu0=$(cpu_ticks)
  out=$("$loadgen" --target="127.0.0.1:$statsd_port" --transport="$transport" --lines="$lines" \
    --rate="$rate" --senders="$SENDERS" --lines-per-datagram="$lpd" --max-seconds=120)
  settle
  lines1=$(metric statsd_exporter_lines_total); cpu1=$(cpu_ticks)
  sent=$(sed -n 's/.*sent_lines=\([0-9]*\).*/\1/p' <<<"$out")
  # Counters come in Go float notation (2e+06): let awk do the arithmetic.
  awk -v t="$transport" -v r="$rate" -v l="$lpd" -v s="$sent" -v a="$lines0" -v b="$lines1" \
      -v c="$((cpu1 - cpu0))" -v o="$out" -v rss="$(rss_kib)" 'BEGIN {
    split(o, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
    g = b - a
    printf "%-4s rate=%-8s lines/datagram=%-3s sent=%-9d achieved=%9.0f lines/s  received=%-9d loss=%6.2f%%  cpu/line=%6.0f ns  rss=%d KiB\n",
      t, (r == 0 ? "max" : r), l, s, v["lines_per_second"], g, (s > 0 ? 100 * (s - g) / s : 0), (g > 0 ? c * 1e7 / g : 0), rss
  }'
}

echo "# statsd-exporter $("$exporter" --version | sed 's/.*version //'), Mastodon mapping, $(nproc) CPUs, senders=$SENDERS"
run tcp "$TCP_LINES" 0 1
for lpd in $LINES_PER_DATAGRAM; do
  for rate in $RATES; do run udp "$LINES" "$rate" "$lpd"; done
done
echo "# series: $(curl -s "http://127.0.0.1:$web_port/metrics" | grep -c '^mastodon_')  udp_packet_drops_total: $(metric statsd_exporter_udp_packet_drops_total)"
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true

memory() { # c | ms
  statsd_port=$(free_port)
  web_port=$(free_port)
  "$exporter" --statsd.mapping-config=examples/mastodon/statsd-mapping.yml --statsd.listen-udp= \
    --statsd.listen-tcp="127.0.0.1:$statsd_port" --web.listen-address="127.0.0.1:$web_port" \
    --log.level=warn ${EXPORTER_FLAGS:-} &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$web_port/-/ready" >/dev/null && break; sleep 0.1; done
  "$loadgen" --target="127.0.0.1:$statsd_port" --transport=tcp --lines=10000 --senders=1 >/dev/null
  settle
  curl -s "http://127.0.0.1:$web_port/metrics" >/dev/null
  local before series0 after series1
  before=$(rss_kib)
  series0=$(curl -s "http://127.0.0.1:$web_port/metrics" | grep -c '^mastodon_')
  "$loadgen" --target="127.0.0.1:$statsd_port" --transport=tcp --lines="$SERIES" --senders=1 \
    --series="$SERIES" --series-type="$1" >/dev/null
  settle
  series1=$(curl -s "http://127.0.0.1:$web_port/metrics" | grep -c '^mastodon_')
  after=$(rss_kib)
  awk -v t="$1" -v n="$SERIES" -v a="$before" -v b="$after" -v s0="$series0" -v s1="$series1" 'BEGIN {
    printf "rss  type=%-3s new_series=%-8d exposed_lines=%d->%d  rss=%d->%d KiB  per_series=%.0f bytes\n",
      t, n, s0, s1, a, b, (b - a) * 1024 / n
  }'
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
}

if [ "$SERIES" -gt 0 ]; then
  memory c
  memory ms
fi
