#!/usr/bin/env bash
# Throughput of live_fuzzer (docs/fuzzing.md, "Parallel workers"): inputs/s and injected
# packets/s per worker and for N workers at once, against 1 worker measured in the same run.
#
#   ci/bench_fuzz.sh [--seconds S] [--workers N] [--fuzzer BIN] [--vm KERNEL_IMAGE] [--no-baseline]
#
# Host (the default): each worker is one live_fuzzer process in a network namespace of its
# own (live_fuzzer unshares it), replaying corpus/live_fuzzer over and over for S seconds
# (default 20) with the reference model on (as always) and MPDRILL_LIVE_FUZZ_RULE_OFF=D10;
# its counts come from MPDRILL_LIVE_FUZZ_STATS. First 1 worker alone, then N (default: 3 per
# core, as a worker uses ~5 % of one) at once. Needs root and /dev/net/tun.
# --vm KERNEL_IMAGE: the same through `mpdrill fuzz campaign` (one guest per worker, TCG here:
# boots included in the time; S should then be 60 or more; N defaults to the number of cores).
#
# First of all, the baseline: 1 worker with the harness's old wait (MPDRILL_LIVE_FUZZ_QUIET_US=
# 2000: after every packet until the kernel has been quiet for 2 ms), in the same run, so the
# speed-up is printed as a ratio (--no-baseline skips it).
#
# Prints one line per worker and per run (with the CPU time live_fuzzer used: user + sys of
# the process, so the kernel's work in its system calls is counted, softirq work elsewhere is
# not, and the time the inputs' own wait steps took), the speed-up against the baseline, the
# scaling (N workers / 1 worker) and injected packets/s per core against the issue's target
# (1,000). A worker is latency-bound (the inputs' wait steps, and 0.5 ms of quiet after the
# packets the kernel may answer from its MPTCP worker), so more workers than cores still
# scale. Exit codes: 0 done, 2 usage, 3 environment (not root, no build).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=20
workers=""
fuzzer=$root/build/default/fuzz/live_fuzzer
kernel=""
baseline=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:-}; shift 2 ;;
    --workers) workers=${2:-}; shift 2 ;;
    --fuzzer) fuzzer=${2:-}; shift 2 ;;
    --vm) kernel=${2:-}; shift 2 ;;
    --no-baseline) baseline=0; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$workers" ]; then
  workers=$(nproc)
  [ -n "$kernel" ] || workers=$((3 * workers > 64 ? 64 : 3 * workers))
fi
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]] || ! [[ "$workers" =~ ^[1-9][0-9]*$ ]] || [ "$workers" -gt 64 ]; then
  echo "usage: ci/bench_fuzz.sh [--seconds S] [--workers N] [--fuzzer BIN] [--vm KERNEL_IMAGE] [--no-baseline]" >&2
  exit 2
fi
[ -x "$fuzzer" ] || { echo "bench_fuzz.sh: no live_fuzzer at $fuzzer (bash ci/build.sh default)" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "bench_fuzz.sh: needs root (network namespaces, TUN)" >&2; exit 3; }
scratch=$(mktemp -d /tmp/mpdrill-bench-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export MPDRILL_LIVE_FUZZ_RULE_OFF=${MPDRILL_LIVE_FUZZ_RULE_OFF:-D10}

stat_of() {  # FILE NAME -> the count, 0 when missing
  awk -v n="$2" '$1 == n { print $2; found = 1 } END { if (!found) print 0 }' "$1" 2>/dev/null || echo 0
}

# One host worker: live_fuzzer over the corpus (listed 50 times per process), restarted until
# the deadline; its stats accumulate over the processes.
host_worker() {  # ID DEADLINE_EPOCH
  local id=$1 deadline=$2 i=0 total_in=0 total_inj=0 total_wait=0 left cpu=0
  local args=()
  for _ in $(seq 50); do args+=("$root/corpus/live_fuzzer"); done
  while left=$((deadline - $(date +%s))); [ "$left" -gt 0 ]; do
    i=$((i + 1))
    # bash's `time`: the CPU time (user + sys) of live_fuzzer, waited for through timeout.
    { TIMEFORMAT='%U %S'; time MPDRILL_LIVE_FUZZ_STATS=$scratch/w$id.$i timeout -s TERM "$left" \
        "$fuzzer" "${args[@]}" >/dev/null 2>"$scratch/w$id.$i.err"; } 2>"$scratch/w$id.$i.cpu"
    cpu=$(awk -v c="$cpu" '{ printf "%.3f", c + $1 + $2 }' "$scratch/w$id.$i.cpu")
    total_in=$((total_in + $(stat_of "$scratch/w$id.$i" inputs)))
    total_inj=$((total_inj + $(stat_of "$scratch/w$id.$i" injected)))
    total_wait=$((total_wait + $(stat_of "$scratch/w$id.$i" wait_ms)))
    if grep -q "live_fuzzer: skipped" "$scratch/w$id.$i.err"; then
      cat "$scratch/w$id.$i.err" >&2
      break
    fi
  done
  echo "$total_in $total_inj $cpu $total_wait" > "$scratch/w$id.total"
}

# N workers at once for $seconds; prints a line per worker and the total, sets $rate_in and
# $rate_inj (the total's per-second figures).
run_host() {  # N
  local n=$1 deadline start end sum_in=0 sum_inj=0 sum_cpu=0
  rm -f "$scratch"/w*
  start=$(date +%s.%N)
  deadline=$(( $(date +%s) + seconds ))
  for id in $(seq "$n"); do host_worker "$id" "$deadline" & done
  wait
  end=$(date +%s.%N)
  for id in $(seq "$n"); do
    read -r in inj cpu wait_ms < "$scratch/w$id.total"
    sum_in=$((sum_in + in))
    sum_inj=$((sum_inj + inj))
    sum_cpu=$(awk -v a="$sum_cpu" -v b="$cpu" 'BEGIN { printf "%.3f", a + b }')
    awk -v n="$n" -v id="$id" -v i="$in" -v j="$inj" -v c="$cpu" -v w="$wait_ms" -v s="$start" -v e="$end" 'BEGIN {
      t = e - s; printf "  %d worker(s), worker %d: %d inputs, %d injected packets in %.1f s (%.2f CPU s, %.1f s in wait steps): %.1f inputs/s, %.0f injected packets/s, %.0f injected packets per CPU second\n", n, id, i, j, t, c, w / 1000, i / t, j / t, (c > 0 ? j / c : 0) }'
  done
  read -r rate_in rate_inj < <(awk -v i="$sum_in" -v j="$sum_inj" -v s="$start" -v e="$end" 'BEGIN { t = e - s; printf "%.2f %.1f\n", i / t, j / t }')
  echo "  $n worker(s) together: $sum_in inputs, $sum_inj injected packets, $sum_cpu CPU s: $rate_in inputs/s, $rate_inj injected packets/s"
}

# Through `mpdrill fuzz campaign` (guests): its summary lines carry the figures.
run_vm() {  # N
  local n=$1 out
  out=$("$root/build/default/cli/mpdrill" fuzz campaign --kernel "$kernel" --workers "$n" \
          --time "$seconds" --corpus "$root/corpus/live_fuzzer" --findings "$scratch/findings-$n" \
          --fuzzer "$fuzzer" 2>"$scratch/vm-$n.err")
  echo "$out" | grep -E '^(worker|all|finding)' | sed 's/^/  /'
  read -r rate_in rate_inj < <(echo "$out" | sed -n 's/^all .*: \([0-9.]*\) inputs\/s, \([0-9.]*\) injected packets\/s$/\1 \2/p')
  [ -n "${rate_in:-}" ] || { cat "$scratch/vm-$n.err" >&2; rate_in=0; rate_inj=0; }
}

mode=host
[ -n "$kernel" ] && mode="vm ($kernel)"
echo "bench_fuzz: live_fuzzer $fuzzer, $mode, ${seconds} s per run, $(nproc) core(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
runner=run_host
[ -n "$kernel" ] && runner=run_vm
base_in=0 base_inj=0
if [ "$baseline" = 1 ]; then
  echo "baseline, 1 worker, the old wait (MPDRILL_LIVE_FUZZ_QUIET_US=2000):"
  MPDRILL_LIVE_FUZZ_QUIET_US=2000 $runner 1
  base_in=$rate_in base_inj=$rate_inj
fi
echo "1 worker:"
$runner 1
one_in=$rate_in one_inj=$rate_inj
if [ "$baseline" = 1 ]; then
  awk -v a="$base_in" -v b="$base_inj" -v c="$one_in" -v d="$one_inj" 'BEGIN {
    printf "speed-up, 1 worker: %.2fx inputs/s, %.2fx injected packets/s (%.0f -> %.0f injected packets/s)\n", (a > 0 ? c / a : 0), (b > 0 ? d / b : 0), b, d }'
fi
echo "$workers workers:"
$runner "$workers"
awk -v a="$one_in" -v b="$one_inj" -v c="$rate_in" -v d="$rate_inj" -v n="$workers" -v cores="$(nproc)" 'BEGIN {
  used = n < cores ? n : cores
  printf "scaling: %d workers / 1 worker = %.2fx inputs/s, %.2fx injected packets/s\n", n, (a > 0 ? c / a : 0), (b > 0 ? d / b : 0)
  printf "injected packets/s per core: %.0f (1 worker), %.0f (%d workers on %d core(s)); target 1000\n", b, d / used, n, used
}'
