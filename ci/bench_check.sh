#!/usr/bin/env bash
# Throughput of `mpdrill check` on a large capture of real MPTCP traffic, beside tshark's MPTCP
# analysis and a plain libpcap read of the same frames, in one run (docs/performance.md,
# section "mpdrill check").
#
#   ci/bench_check.sh [--packets N] [--tshark-packets M] [--keep] [--build-dir DIR]
#
# 1. builds mpdrill, mpdrill-mkcapture and mpdrill-mkbig in DIR (default build/check, an
#    optimised RelWithDebInfo build; configured if missing);
# 2. captures real kernel MPTCP traffic with `mpdrill-mkcapture --scenario all` (private
#    network namespaces: needs root, never touches the host network);
# 3. replicates those frames into BIG.pcap (N packets, default 1,000,000) and SMALL.pcap
#    (M packets, default 100,000: tshark's analysis keeps per-frame state and is far slower);
# 4. times, best of 3: a plain libpcap read of BIG (pcap_next_ex over every record, compiled
#    here from 15 lines of C), `mpdrill check` (text and JSON) on BIG and SMALL, and
#    `tshark -o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE` on SMALL (when tshark
#    is installed); prints packets/s and the ratios check/tshark and check/plain read.
#
# Every command runs under `timeout`. Exit codes: 0 done, 1 `mpdrill check` reported
# violations on real traffic, 2 usage, 3 environment (not root, build or capture failure).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

packets=1000000
tshark_packets=100000
keep=0
build_dir="$root/build/check"
usage="usage: ci/bench_check.sh [--packets N] [--tshark-packets M] [--keep] [--build-dir DIR]"
while [ $# -gt 0 ]; do
  case "$1" in
    --packets) packets=${2:-}; shift 2 ;;
    --tshark-packets) tshark_packets=${2:-}; shift 2 ;;
    --keep) keep=1; shift ;;
    --build-dir) build_dir=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for n in "$packets" "$tshark_packets"; do
  case "$n" in ''|*[!0-9]*) echo "$usage" >&2; exit 2 ;; esac
done
if [ "$(id -u)" != 0 ]; then echo "bench_check.sh: needs root (network namespaces)" >&2; exit 3; fi

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=g++ >/dev/null || { echo "bench_check.sh: configure failed" >&2; exit 3; }
fi
cmake --build "$build_dir" -j2 --target mpdrill mpdrill-mkcapture mpdrill-mkbig >/dev/null ||
  { echo "bench_check.sh: build failed" >&2; exit 3; }
bin=$build_dir

work=$(mktemp -d /tmp/mpdrill-bench-check.XXXXXX)
cleanup() { if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

timeout 600 "$bin/sandbox/mpdrill-mkcapture" --scenario all --out "$work/caps" -q >"$work/caps.log" 2>&1 ||
  { echo "bench_check.sh: mpdrill-mkcapture failed (see $work/caps.log)" >&2; keep=1; exit 3; }
timeout 600 "$bin/bench/mpdrill-mkbig" --packets "$packets" --out "$work/big.pcap" "$work/caps"/*.pcap >/dev/null &&
  timeout 600 "$bin/bench/mpdrill-mkbig" --packets "$tshark_packets" --out "$work/small.pcap" "$work/caps"/*.pcap >/dev/null ||
  { echo "bench_check.sh: mpdrill-mkbig failed" >&2; exit 3; }

# The baseline: every record read through libpcap, nothing else.
cat >"$work/plain_read.c" <<'EOF'
#include <pcap/pcap.h>
#include <stdio.h>
int main(int argc, char** argv) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(argv[1], err);
  if (!p) { fprintf(stderr, "%s\n", err); return 2; }
  struct pcap_pkthdr* h; const u_char* d; unsigned long n = 0, bytes = 0;
  while (pcap_next_ex(p, &h, &d) == 1) { ++n; bytes += d[0] + h->caplen; }
  printf("%lu %lu\n", n, bytes);
  pcap_close(p);
  return 0;
}
EOF
cc -O2 -o "$work/plain_read" "$work/plain_read.c" -lpcap ||
  { echo "bench_check.sh: cannot compile the plain libpcap reader" >&2; exit 3; }

calc() { python3 -c "print($1)"; }
# best_of3 NAME PACKETS CMD...: best wall time of three runs; leaves packets/s in $rate.
# `mpdrill check` exits 1 on violations: that is an error here (real traffic must be clean).
best_of3() {
  local name=$1 n=$2 best="" t0 t1 t rc
  shift 2
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    timeout 1800 "$@" >"$work/out" 2>"$work/stderr"
    rc=$?
    t1=$(date +%s.%N)
    if [ "$rc" != 0 ]; then
      echo "bench_check.sh: '$name' exited $rc" >&2
      head -5 "$work/out" "$work/stderr" >&2
      [ "$rc" = 1 ] && exit 1
      exit 3
    fi
    t=$(calc "$t1 - $t0")
    if [ -z "$best" ] || [ "$(calc "$t < $best")" = True ]; then best=$t; fi
  done
  rate=$(calc "$n / $best")
  printf '%-46s %9d pkts  best %8.3f s  %12.0f pkts/s\n' "$name" "$n" "$best" "$rate"
}

echo "mpdrill check throughput ($(nproc) cores, $(uname -r)); real MPTCP frames replicated"
best_of3 "plain libpcap read                  BIG" "$packets" "$work/plain_read" "$work/big.pcap"
plain=$rate
best_of3 "mpdrill check --format text         BIG" "$packets" "$bin/cli/mpdrill" check "$work/big.pcap"
check_big=$rate
best_of3 "mpdrill check --format json         BIG" "$packets" "$bin/cli/mpdrill" check --format json "$work/big.pcap"
best_of3 "mpdrill check --format text         SMALL" "$tshark_packets" "$bin/cli/mpdrill" check "$work/small.pcap"
check_small=$rate
printf 'check / plain read (BIG):      %.3f  (target >= 0.25)\n' "$(calc "$check_big / $plain")"
if command -v tshark >/dev/null; then
  best_of3 "tshark MPTCP analysis               SMALL" "$tshark_packets" \
    tshark -n -r "$work/small.pcap" -o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE \
    -o tcp.analyze_sequence_numbers:TRUE -T fields -e frame.number -e mptcp.analysis.subflows
  printf 'check / tshark analysis (SMALL): %.1f  (target >= 20)\n' "$(calc "$check_small / $rate")"
else
  echo "tshark not installed: no tshark comparison"
fi
