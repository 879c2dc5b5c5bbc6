#!/usr/bin/env bash
# The interop matrix (docs/interop.md): real MPTCP traffic between two implementations across
# a link of private network namespaces, both sides of the link captured with libpcap, every
# captured packet judged by `mpdrill check` (the reference model). Prints the matrix
# client x server x scenario with the violations by rule ID; exit 1 on a violation (or a
# failed cell) that ci/interop.expected does not explain, 77 without root (skipped).
#
#   bash ci/interop.sh [BUILD_DIR]        # BUILD_DIR: build/default
#
# INTEROP_PAIRS="host:host host:vm vm:host" (CLIENT:SERVER pairs, space-separated) chooses
# the peers (default host:host mpdrill:host host:mpdrill; mpdrill is live_fuzzer with a
# conforming input, tests/interop_live.h), INTEROP_SCENARIOS="bulk mp-fail" some scenarios
# (default: all), INTEROP_OUT where the cells, captures and matrix.md go (default: BUILD_DIR/interop,
# emptied first). A vm peer boots INTEROP_VM_KERNEL (default: Debian's 6.1 package from
# ci/fetch_kernel.sh in BUILD_DIR/kernels or build/kernels) with `mpdrill vm`; without one
# its pairs are skipped with the reason. INTEROP_IP="4 6" runs the cells over IPv4 and/or
# IPv6 (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/default}
if [ "$(id -u)" != 0 ]; then
  echo "interop: skipped: needs root (it creates network namespaces and captures in them)"
  exit 77
fi
tool=$build/tests/mpdrill-interop
mpdrill=$build/cli/mpdrill
live_fuzzer=$build/fuzz/live_fuzzer
for bin in "$tool" "$mpdrill"; do
  [ -x "$bin" ] || { echo "interop: $bin missing: build first (bash ci/build.sh default)" >&2; exit 2; }
done
out=${INTEROP_OUT:-$build/interop}
rm -rf "$out" && mkdir -p "$out"
scenario_args=()
for s in ${INTEROP_SCENARIOS:-}; do scenario_args+=(--scenario "$s"); done
# The system's python3 (a guest sees the host's root, not a user's shims).
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
kernel=${INTEROP_VM_KERNEL:-}
if [ -z "$kernel" ]; then
  kernel=$(ls "$build"/kernels/linux-image-6.1.0-*.deb build/kernels/linux-image-6.1.0-*.deb 2>/dev/null | head -1 || true)
fi
start=$(date +%s)
ran=0
for pair in ${INTEROP_PAIRS:-host:host mpdrill:host host:mpdrill}; do
  client=${pair%%:*} server=${pair##*:}
  if [[ " $client $server " == *" mpdrill "* && ! -x "$live_fuzzer" ]]; then
    echo "interop: $client -> $server skipped: $live_fuzzer missing (the mpdrill peer)"
    continue
  fi
  if [[ " $client $server " == *" vm "* && -z "$kernel" ]]; then
    echo "interop: $client -> $server skipped: no kernel package for the vm peer (bash ci/fetch_kernel.sh build/kernels)"
    continue
  fi
  for ip in ${INTEROP_IP:-4}; do
    "$tool" --client "$client" --server "$server" --ip "$ip" --out "$out" --python "$python" \
      --endpoint "$PWD/tests/interop_endpoint.py" --mpdrill "$(realpath "$mpdrill")" \
      --live-fuzzer "$(realpath "$live_fuzzer" 2>/dev/null || true)" \
      --vm-kernel "${kernel:+$(realpath "$kernel")}" --vm-cache "$(realpath "$build")/vm-cache" \
      "${scenario_args[@]}"
    ran=$((ran + 1))
  done
done
[ "$ran" -gt 0 ] || { echo "interop: skipped: no pair could run"; exit 77; }
compgen -G "$out/*-*-*/cell.txt" >/dev/null || { echo "interop: skipped: no cell (no scenario for these pairs)"; exit 77; }
# Every capture through the reference model; its exit code is in the JSON (violations). A
# cell with the mpdrill peer has one capture of the whole path (link).
for cell in "$out"/*-*-*/; do
  for side in client-side server-side link; do
    if [ -s "$cell/$side.pcap" ]; then
      "$mpdrill" check --format json "$cell/$side.pcap" >"$cell/check-$side.jsonl" 2>"$cell/check-$side.err" || true
    fi
  done
done
status=0
python3 ci/interop.py "$out" --expected ci/interop.expected \
  --scenarios "$("$tool" --list | cut -f1 | paste -sd,)" | tee "$out/matrix.md" || status=$?
echo "interop: $(($(date +%s) - start)) s; cells, captures and matrix.md in $out"
exit $status
