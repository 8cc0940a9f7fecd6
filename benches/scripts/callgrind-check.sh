#!/usr/bin/env bash
# Instruction-count regression check for the hot path (parse, map, record).
#
# Builds benches/src/bin/callgrind_suite.rs with `--profile callgrind`, runs every row
# under `valgrind --tool=callgrind` with n = 0 and n = N, and reports
# (Ir(N) - Ir(0)) / N: the instructions of one operation, without start-up and setup.
# Compares with benches/callgrind-baseline.txt and exits 1 if any row costs more than
# THRESHOLD percent (default 5) above its baseline, or if a row is missing on either side.
#
#   benches/scripts/callgrind-check.sh                     # check
#   UPDATE_BASELINE=1 benches/scripts/callgrind-check.sh   # rewrite the baseline (commit it)
#
# Environment: CALLGRIND_N (default 10000), THRESHOLD (percent, default 5),
# CARGO_TARGET_DIR (default target). See benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${CALLGRIND_N:-10000}
threshold=${THRESHOLD:-5}
baseline=benches/callgrind-baseline.txt
target=${CARGO_TARGET_DIR:-target}

if ! command -v valgrind >/dev/null; then
    echo "callgrind-check: valgrind is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
fi

cargo build --quiet --locked --profile callgrind -p statsd-benches --bin callgrind_suite
bin=$target/callgrind/callgrind_suite

# Total instructions of one run, from valgrind's "Collected : N" line.
instructions() {
    local ir
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 >/dev/null |
        sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p')
    if [[ -z $ir ]]; then
        echo "callgrind-check: no instruction count for row $1 (n = $2)" >&2
        exit 1
    fi
    echo "$ir"
}

measured=$(mktemp)
trap 'rm -f "$measured"' EXIT
for row in $("$bin" --list); do
    ir0=$(instructions "$row" 0)
    irn=$(instructions "$row" "$n")
    echo "$row $(( (irn - ir0 + n / 2) / n ))" >>"$measured"
done

if [[ ${UPDATE_BASELINE:-0} == 1 ]]; then
    {
        echo "# Instructions per operation: (Ir(N) - Ir(0)) / N with N = $n, from"
        echo "# benches/scripts/callgrind-check.sh; $(rustc --version), $(valgrind --version)."
        echo "# Regenerate deliberately: UPDATE_BASELINE=1 benches/scripts/callgrind-check.sh"
        cat "$measured"
    } >"$baseline"
    echo "callgrind-check: wrote $baseline"
    cat "$measured"
    exit 0
fi

if [[ ! -f $baseline ]]; then
    echo "callgrind-check: $baseline is missing; create it with UPDATE_BASELINE=1 $0" >&2
    exit 1
fi

awk -v threshold="$threshold" '
    FNR == NR { if ($0 !~ /^#/ && NF == 2) old[$1] = $2; next }
    { new[$1] = $2; order[++rows] = $1 }
    END {
        failed = 0
        printf "%-26s %12s %12s %9s\n", "row", "baseline", "new", "delta"
        for (i = 1; i <= rows; i++) {
            row = order[i]
            if (!(row in old)) {
                printf "%-26s %12s %12d %9s  NOT IN BASELINE\n", row, "-", new[row], "-"
                failed = 1
                continue
            }
            delta = (new[row] - old[row]) * 100.0 / old[row]
            mark = ""
            if (delta > threshold) { mark = "  REGRESSION"; failed = 1 }
            else if (delta < -threshold) { mark = "  improved: update the baseline" }
            printf "%-26s %12d %12d %+8.1f%%%s\n", row, old[row], new[row], delta, mark
        }
        for (row in old) if (!(row in new)) {
            printf "%-26s %12d %12s %9s  NOT MEASURED\n", row, old[row], "-", "-"
            failed = 1
        }
        if (failed) {
            printf "callgrind-check: FAILED (threshold %s%%); if the change is deliberate, run UPDATE_BASELINE=1 benches/scripts/callgrind-check.sh and commit the baseline\n", threshold
            exit 1
        }
        printf "callgrind-check: ok (threshold %s%%)\n", threshold
    }
' "$baseline" "$measured"
