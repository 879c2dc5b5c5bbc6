#!/usr/bin/env bash
# Throughput of `mpdrill decode` on a large capture of real MPTCP traffic, against tshark on
# the same frames (docs/performance.md).
#
#   ci/bench.sh [--packets N] [--tshark-packets M] [--codec] [--keep] [--build-dir DIR]
#
# 1. builds mpdrill, mpdrill-mkcapture and mpdrill-mkbig (preset default, or in an already
#    configured optimised build directory DIR);
# 2. captures real kernel MPTCP traffic with `mpdrill-mkcapture --scenario all` (private
#    network namespaces: needs root, never touches the host network);
# 3. replicates those frames into BIG.pcap (N packets, default 1,000,000) and SMALL.pcap
#    (M packets, default 200,000: tshark is ~10x slower, so it gets the smaller file);
# 4. times, best of 3, `mpdrill decode --format json` and `--format text` on both files and
#    `tshark -r SMALL -T fields -e frame.number -e tcp.options.mptcp.subtype ...` (when tshark
#    is installed), and prints packets/s per wall second and per CPU second (user + sys) for
#    each, and the ratio mpdrill/tshark on SMALL (CPU time);
# 5. with --codec, also runs codec_bench (decode/encode options/s per subtype).
#
# Every command runs under `timeout`. Exit codes: 0 done, 2 usage, 3 environment (not root,
# build failure, capture failure).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

packets=1000000
tshark_packets=200000
codec=0
keep=0
build_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --packets) packets=${2:-}; shift 2 ;;
    --tshark-packets) tshark_packets=${2:-}; shift 2 ;;
    --codec) codec=1; shift ;;
    --keep) keep=1; shift ;;
    --build-dir) build_dir=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: ci/bench.sh [--packets N] [--tshark-packets M] [--codec] [--keep] [--build-dir DIR]" >&2; exit 2 ;;
  esac
done
for n in "$packets" "$tshark_packets"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: packet counts must be positive integers" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench.sh: mpdrill-mkcapture needs root (network namespaces)" >&2; exit 3; }

targets=(mpdrill mpdrill-mkcapture mpdrill-mkbig)
[ "$codec" -eq 1 ] && targets+=(codec_bench)
if [ -n "$build_dir" ]; then
  bin=$(cd "$build_dir" && pwd) || exit 2
  cmake --build "$bin" -j "${MPDRILL_BUILD_JOBS:-2}" --target "${targets[@]}" >/dev/null ||
    { echo "bench.sh: build failed" >&2; exit 3; }
else
  cmake --preset default >/dev/null || { echo "bench.sh: configure failed" >&2; exit 3; }
  cmake --build --preset default -j "${MPDRILL_BUILD_JOBS:-2}" --target "${targets[@]}" >/dev/null ||
    { echo "bench.sh: build failed" >&2; exit 3; }
  bin=$root/build/default
fi

work=$(mktemp -d /tmp/mpdrill-bench.XXXXXX)
cleanup() { [ "$keep" -eq 1 ] && echo "bench.sh: files kept in $work" || rm -rf "$work"; }
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
timeout 600 "$bin/sandbox/mpdrill-mkcapture" --scenario all --out "$work/caps" -q >"$work/caps.log" 2>&1 ||
  { cat "$work/caps.log" >&2; echo "bench.sh: mpdrill-mkcapture failed" >&2; exit 3; }
timeout 600 "$bin/bench/mpdrill-mkbig" --packets "$packets" --out "$work/big.pcap" "$work/caps"/*.pcap >/dev/null &&
  timeout 600 "$bin/bench/mpdrill-mkbig" --packets "$tshark_packets" --out "$work/small.pcap" "$work/caps"/*.pcap >/dev/null ||
  { echo "bench.sh: mpdrill-mkbig failed" >&2; exit 3; }
echo "== BIG.pcap $packets packets ($(du -m "$work/big.pcap" | cut -f1) MiB), SMALL.pcap $tshark_packets packets, from $(cat "$work/caps"/*.pcap | wc -c) bytes of real captures"

# calc EXPR: floating-point arithmetic and comparisons (1/0) through awk.
calc() { awk "BEGIN { printf \"%.6f\", ($1) }" | sed 's/\.000000$//'; }

# best_of3 NAME PACKETS CMD...: runs CMD three times (stdout to /dev/null) under bash's `time`
# and prints the best wall time, the best CPU time (user + sys) and packets/s for each. The rate
# left in $rate is per CPU second: on a shared machine (other builds running) wall time mostly
# measures the run queue, CPU time what the command itself costs. decode exits 1 when it reports
# violations: that is a result, not a failure; anything above 1 is.
best_of3() {
  local name=$1 n=$2 best="" best_cpu="" t cpu rc
  shift 2
  for _ in 1 2 3; do
    { TIMEFORMAT='%R %U %S'; time timeout 900 "$@" >/dev/null 2>"$work/stderr"; } 2>"$work/time"
    rc=$?
    if [ "$rc" -gt 1 ]; then
      echo "bench.sh: $name failed (exit $rc): $(head -3 "$work/stderr")" >&2
      rate=0
      return 1
    fi
    read -r t u s < <(tail -1 "$work/time")
    cpu=$(calc "$u + $s")
    if [ -z "$best" ] || [ "$(calc "$t < $best")" = 1 ]; then best=$t; fi
    if [ -z "$best_cpu" ] || [ "$(calc "$cpu < $best_cpu")" = 1 ]; then best_cpu=$cpu; fi
  done
  # Never divide by zero (times have millisecond resolution).
  [ "$(calc "$best_cpu < 0.01")" = 1 ] && best_cpu=0.01
  [ "$(calc "$best < 0.01")" = 1 ] && best=0.01
  rate=$(calc "$n / $best_cpu")
  printf '%-40s %8d pkts  wall %7.2f s %10.0f pkts/s  cpu %7.2f s %10.0f pkts/s\n' "$name" "$n" \
    "$best" "$(calc "$n / $best")" "$best_cpu" "$rate"
}

best_of3 "mpdrill decode --format json  BIG" "$packets" "$bin/cli/mpdrill" decode --format json "$work/big.pcap"
best_of3 "mpdrill decode --format text  BIG" "$packets" "$bin/cli/mpdrill" decode --format text "$work/big.pcap"
best_of3 "mpdrill decode --format json  SMALL" "$tshark_packets" "$bin/cli/mpdrill" decode --format json "$work/small.pcap"
json_small=$rate
best_of3 "mpdrill decode --format text  SMALL" "$tshark_packets" "$bin/cli/mpdrill" decode --format text "$work/small.pcap"
text_small=$rate
if command -v tshark >/dev/null; then
  best_of3 "tshark -T fields (mptcp)       SMALL" "$tshark_packets" tshark -n -r "$work/small.pcap" -T fields \
    -e frame.number -e tcp.options.mptcp.subtype -e tcp.options.mptcp.rawdataseqno \
    -e tcp.options.mptcp.sendkey
  tshark_rate=$rate
  if [ "$(calc "$tshark_rate > 0")" = 1 ]; then
    printf '== ratio mpdrill/tshark on SMALL (CPU time): json %.1fx, text %.1fx (target: json >= 20x)\n' \
      "$(calc "$json_small / $tshark_rate")" "$(calc "$text_small / $tshark_rate")"
  fi
else
  echo "== tshark not installed: no comparison"
fi

if [ "$codec" -eq 1 ]; then
  echo "== codec_bench (options/s = items_per_second)"
  timeout 600 "$bin/engine/codec/codec_bench" --benchmark_min_time=0.3 2>/dev/null |
    awk '/^BM_/ { r = "?"; for (i = 1; i <= NF; i++) if ($i ~ /^items_per_second=/) r = substr($i, 18);
                  l = ($NF ~ /^items_per_second=/) ? "" : $NF
                  printf "%-22s %-14s %s options/s\n", $1, l, r }'
fi
