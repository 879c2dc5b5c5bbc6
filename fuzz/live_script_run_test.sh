#!/usr/bin/env bash
# ctest fuzz_script.run (docs/fuzzing.md, "Findings as scripts"): the minimized D10 finding,
# an ipv6 seed with a join after data and an ipv4-mapped-ipv6 seed, each run traced by
# live_fuzzer, written by `mpdrill fuzz script --trace`, then run by `mpdrill run
# --model=warn` in all three IP variants: the kernel's packets the script asserts must match
# (the model only warns, so a kernel that fixed D10 passes too).
#   fuzz/live_script_run_test.sh SOURCE_DIR BINARY_DIR
# Exit 0 pass, 1 fail, 77 skipped (no root / TUN).
set -uo pipefail
src=$1
mpdrill=$2/cli/mpdrill
[ "$(id -u)" -eq 0 ] || { echo "live_script_run_test: skipped: needs root (mpdrill run)"; exit 77; }
tmp=$(mktemp -d /tmp/mpdrill-script-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for input in fuzz/findings/live_d10_segment_longer_than_mapping.min \
    corpus/live_fuzzer/ipv6_join_data corpus/live_fuzzer/mapped_data_datafin; do
  name=$(basename "$input").pkt
  # The input's run, traced (a kernel finding ends live_fuzzer with abort: that is fine here).
  MPDRILL_LIVE_FUZZ_TRACE="$tmp/trace" "$2/fuzz/live_fuzzer" "$src/$input" >"$tmp/fuzz.log" 2>&1
  if grep -q "live_fuzzer: skipped" "$tmp/fuzz.log"; then
    echo "live_script_run_test: skipped: $(grep "live_fuzzer: skipped" "$tmp/fuzz.log")"; exit 77
  fi
  "$mpdrill" fuzz script "$src/$input" --trace "$tmp/trace" --out "$tmp/$name" 2>"$tmp/err" || {
    cat "$tmp/err"; echo "live_script_run_test: FAIL: mpdrill fuzz script $input" >&2; exit 1; }
  if [ -s "$tmp/err" ]; then cat "$tmp/err"; echo "live_script_run_test: FAIL: $input" >&2; exit 1; fi
done
(cd "$tmp" && "$mpdrill" run --model=warn .) >"$tmp/run.log" 2>&1
rc=$?
cat "$tmp/run.log"
[ "$rc" -ne 3 ] || { echo "live_script_run_test: skipped: mpdrill run: no TUN or namespaces"; exit 77; }
[ "$rc" -eq 0 ] || { echo "live_script_run_test: FAIL: mpdrill run exit $rc" >&2; exit 1; }
grep -q "^mpdrill run: 9 run(s), 9 passed" "$tmp/run.log" || {
  echo "live_script_run_test: FAIL: expected 9 passing runs" >&2; exit 1; }
