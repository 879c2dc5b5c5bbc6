#!/usr/bin/env bash
# ctest fuzz_script.run (docs/fuzzing.md, "Findings as scripts"): `mpdrill fuzz script` of the
# minimized D10 finding and of an ipv6 and an ipv4-mapped-ipv6 seed, each then run by
# `mpdrill run --model=warn` in all three IP variants: the handshake the script asserts must
# match the kernel's (the model only warns, so a kernel that fixed D10 passes too).
#   fuzz/live_script_run_test.sh SOURCE_DIR BINARY_DIR
# Exit 0 pass, 1 fail, 77 skipped (no root / TUN).
set -uo pipefail
src=$1
mpdrill=$2/cli/mpdrill
[ "$(id -u)" -eq 0 ] || { echo "live_script_run_test: skipped: needs root (mpdrill run)"; exit 77; }
tmp=$(mktemp -d /tmp/mpdrill-script-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for input in fuzz/findings/live_d10_segment_longer_than_mapping.min \
    corpus/live_fuzzer/ipv6_data_datafin corpus/live_fuzzer/mapped_data_datafin; do
  name=$(basename "$input").pkt
  "$mpdrill" fuzz script "$src/$input" --out "$tmp/$name" || {
    echo "live_script_run_test: FAIL: mpdrill fuzz script $input" >&2; exit 1; }
done
(cd "$tmp" && "$mpdrill" run --model=warn .) >"$tmp/run.log" 2>&1
rc=$?
cat "$tmp/run.log"
[ "$rc" -ne 3 ] || { echo "live_script_run_test: skipped: mpdrill run: no TUN or namespaces"; exit 77; }
[ "$rc" -eq 0 ] || { echo "live_script_run_test: FAIL: mpdrill run exit $rc" >&2; exit 1; }
grep -q "^mpdrill run: 9 run(s), 9 passed" "$tmp/run.log" || {
  echo "live_script_run_test: FAIL: expected 9 passing runs" >&2; exit 1; }
