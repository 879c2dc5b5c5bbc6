#!/usr/bin/env bash
# Benchmark: one suite's wall on the host kernel and inside `mpdrill vm` (the guest's boot
# included and shown apart), measured in the same run, with their ratio and the verdicts that
# differ. TCG when the host has no usable KVM (docs/vm.md).
#   ci/bench_vm.sh [-b BUILD_DIR] [-k KERNEL_IMAGE] [-C DIR] [SUITE...]   (default scripts/mptcp)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build/default
kernel=
cwd=$here
suite=()
while [ $# -gt 0 ]; do
  case "$1" in
    -b) build=$2; shift 2 ;;
    -k) kernel=$2; shift 2 ;;
    -C) cwd=$2; shift 2 ;;
    *) suite+=("$1"); shift ;;
  esac
done
[ ${#suite[@]} -gt 0 ] || suite=(scripts/mptcp)
[ -n "$kernel" ] || kernel=$(bash "$here/ci/fetch_kernel.sh" "$here/build/kernels")
kernel=$(cd "$(dirname "$kernel")" && pwd)/$(basename "$kernel")
mpdrill=$(cd "$build" && pwd)/cli/mpdrill
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

start=$(date +%s%N)
(cd "$cwd" && "$mpdrill" run "${suite[@]}") >"$tmp/host.txt" 2>&1 || true
host_ms=$(ms "$start")
start=$(date +%s%N)
(cd "$cwd" && "$mpdrill" vm --kernel "$kernel" --cache "$here/build/vm-cache" -- run "${suite[@]}") \
  >"$tmp/guest.txt" 2>"$tmp/guest.err" || true
guest_ms=$(ms "$start")
python3 - "$tmp" "$host_ms" "$guest_ms" <<'PY'
import re, sys
tmp, host_ms, guest_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
LINE = re.compile(r'^(PASS|FAIL|ERROR|ENV|FLAKY|KERNEL-[A-Z-]+) (\S+) \(([^)]+)\) ([0-9.]+)s')
def runs(path):
    return {(m.group(2), m.group(3)): (m.group(1), float(m.group(4)))
            for m in map(LINE.match, open(path, errors='replace')) if m}
host, guest = runs(f'{tmp}/host.txt'), runs(f'{tmp}/guest.txt')
err = open(f'{tmp}/guest.err', errors='replace').read()
up = re.search(r'mpdrill vm: (\S+) up in ([0-9.]+) s under (\w+)', err)
if not up:
    print('bench_vm: the guest did not come up:\n' + err)
    sys.exit(3)
boot = float(up.group(2))
in_guest = guest_ms / 1000 - boot
print(f'suite: {len(host)} runs on the host ({host_ms / 1000:.1f} s), {len(guest)} in the guest')
print(f'host {host_ms / 1000:.1f} s | guest {up.group(1)} under {up.group(3)}: {guest_ms / 1000:.1f} s '
      f'(boot {boot:.1f} s, suite {in_guest:.1f} s)')
print(f'ratio guest/host: {guest_ms / host_ms:.2f}x with the boot, {in_guest * 1000 / host_ms:.2f}x without')
diff = sorted(k for k in set(host) | set(guest) if host.get(k, ('-',))[0] != guest.get(k, ('-',))[0])
for k in diff:
    print(f'  differs: {k[0]} ({k[1]}): host {host.get(k, ("-",))[0]}, guest {guest.get(k, ("-",))[0]}')
print(f'{len(diff)} verdict(s) differ')
PY
