#!/usr/bin/env bash
# ctest fuzz_wait.same_traces (docs/fuzzing.md, "What the kernel answers, and how long the
# harness waits"): inputs mean the same under live_fuzzer's wait rule and the old one
# (MPDRILL_LIVE_FUZZ_QUIET_US=2000, quiet for 2 ms after every packet). Each input below — the
# seeds whose packets the kernel answers from its MPTCP worker (ADD_ADDR, REMOVE_ADDR, joins it
# opens, DATA_FIN, MP_FAIL, MP_FASTCLOSE) and from its application — runs traced under both;
# the traces (every packet in wire order) must be equal. A pair that differs runs once more
# before it counts: a loaded machine can delay the kernel's worker past either quiet time.
# It guards what is answered within the write and the wait steps; it cannot tell 0.5 ms of
# quiet from none (the worker usually runs before the harness's next read anyway).
#   fuzz/live_wait_run_test.sh SOURCE_DIR BINARY_DIR
# Exit 0 pass, 1 fail, 77 skipped (no root / TUN).
set -uo pipefail
src=$1
fuzzer=$2/fuzz/live_fuzzer
[ "$(id -u)" -eq 0 ] || { echo "live_wait_run_test: skipped: needs root (network namespace, TUN)"; exit 77; }
tmp=$(mktemp -d /tmp/mpdrill-wait-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export MPDRILL_LIVE_FUZZ_RULE_OFF=D10
traced() {  # INPUT TRACE [QUIET_US]
  MPDRILL_LIVE_FUZZ_QUIET_US=${3:-0} MPDRILL_LIVE_FUZZ_TRACE=$2 "$fuzzer" "$1" >"$tmp/log" 2>&1
  if grep -q "live_fuzzer: skipped" "$tmp/log"; then
    echo "live_wait_run_test: skipped: $(grep "live_fuzzer: skipped" "$tmp/log")"; exit 77
  fi
}
failed=0
for name in add_remove_addr ipv6_add_remove_addr kernel_client_joins kernel_client_refused_joins \
    mapped_kernel_client_joins data_datafin fastclose mp_fail server_app_write join_data; do
  input=$src/corpus/live_fuzzer/$name
  same=0
  for attempt in 1 2; do
    traced "$input" "$tmp/old" 2000
    traced "$input" "$tmp/new"
    if cmp -s "$tmp/old" "$tmp/new"; then same=1; break; fi
    echo "live_wait_run_test: $name: traces differ (attempt $attempt):"
    diff "$tmp/old" "$tmp/new" | head -20
  done
  lines=$(grep -c . "$tmp/new")
  if [ "$same" = 1 ] && [ "$lines" -gt 4 ]; then
    echo "live_wait_run_test: $name: same $lines packets and writes under both waits"
  else
    echo "live_wait_run_test: FAIL: $name ($lines trace lines)" >&2
    failed=1
  fi
done
exit "$failed"
