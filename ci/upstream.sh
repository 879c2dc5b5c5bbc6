#!/bin/bash
# Runs the upstream MPTCP packetdrill suite (../shared/upstream/mptcp, GPL test data, never
# copied into the repo) with `mpdrill run` and prints, per script and variant, mpdrill's
# verdict next to the reference packetdrill's (verdicts.tsv), then a summary. Exit 1 when a
# run the reference passed does not pass under mpdrill (a regression against parity).
#   ci/upstream.sh [--target tun|wire] [BUILD_DIR] [SUBDIR...]   e.g. ci/upstream.sh build/run dss
# --target wire: the same suite against a kernel behind a veth link, its syscalls run by
# `mpdrill agent` in the target's namespace (ci/wire_target.sh sets both up and tears them down).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
target=tun
if [ "${1:-}" = "--target" ]; then
  target=${2:-}
  shift 2 || true
fi
case $target in tun|wire) ;; *) echo "upstream: --target wants tun or wire, not '$target'" >&2; exit 2 ;; esac
build=${1:-$here/build/default}
shift || true
upstream=${MPDRILL_UPSTREAM:-$here/../shared/upstream}
[ -d "$upstream/mptcp" ] || { echo "no upstream suite at $upstream/mptcp: skipped"; exit 0; }
build=$(cd "$build" 2>/dev/null && pwd) || { echo "no build dir" >&2; exit 2; }
mpdrill=$build/cli/mpdrill
[ -x "$mpdrill" ] || { echo "no $mpdrill: build it first" >&2; exit 2; }
if [ "$target" = wire ] && [ -z "${MPDRILL_WIRE_ARGS:-}" ]; then
  # Again, inside mpdrill's namespace of a fresh wire target.
  exec bash "$here/ci/wire_target.sh" "$build" -- bash "$0" --target wire "$build" "$@"
fi
extra=()
[ "$target" = wire ] && read -r -a extra <<<"$MPDRILL_WIRE_ARGS"
export MPDRILL_RUN_EXTRA="${extra[*]}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
dirs=("$@")
[ ${#dirs[@]} -eq 0 ] && dirs=(.)
# mpdrill's paths are relative to mptcp/ so they match verdicts.tsv's first column.
(cd "$upstream/mptcp" && "$mpdrill" run "${extra[@]}" "${dirs[@]}") >"$out" 2>&1
PYTHONPATH="$here/ci" python3 - "$upstream/verdicts.tsv" "$out" "$mpdrill" "$upstream/mptcp" "${dirs[@]}" <<'PY'
import os, re, subprocess, sys
verdicts, first_out, mpdrill, suite = sys.argv[1:5]
wanted = [d.strip('./') for d in sys.argv[5:] if d.strip('./')]
from verdicts import FLAG, parse

ref = {}
for line in open(verdicts).read().splitlines()[1:]:
    f = line.split('\t')
    if len(f) >= 3 and (not wanted or any(f[0].lstrip('./').startswith(w) for w in wanted)):
        ref[(f[0].lstrip('./'), f[1])] = (f[2], f[4] if len(f) > 4 else '')
mine = parse(open(first_out))

# A run the reference passed that failed here is run again, alone, up to twice: timing on a
# loaded machine and kernel races (e.g. which ACK carries a repeated ADD_ADDR) make single
# runs of some upstream scripts flaky under any tool. It is a regression only if every try
# fails; one that passes on a retry is reported as flaky.
flaky = {}
for key in sorted(k for k in ref if ref[k][0] == 'PASS' and mine.get(k, ('-',))[0] not in ('PASS', '-')):
    for attempt in (2, 3):
        try:
            r = subprocess.run([mpdrill, 'run'] + os.environ['MPDRILL_RUN_EXTRA'].split() +
                               ['--ip_version=' + FLAG.get(key[1], key[1]), './' + key[0]],
                               cwd=suite, capture_output=True, text=True,
                               timeout=300)
            again = parse(r.stdout.splitlines()).get(key)
        except subprocess.TimeoutExpired:
            again = None
        if again and again[0] == 'PASS':
            flaky[key] = (attempt, mine[key][1])
            mine[key] = again
            break

same = regress = fixed = missing = 0
print(f"{'script':58} {'variant':15} {'packetdrill':11} {'mpdrill':7} first error (mpdrill)")
for key in sorted(set(ref) | set(mine)):
    r = ref.get(key, ('-', ''))[0]
    m, err = mine.get(key, ('-', ''))
    if m == '-':
        missing += 1
    elif r == 'PASS' and m != 'PASS':
        regress += 1
    elif r != 'PASS' and m == 'PASS':
        fixed += 1
    else:
        same += 1
    if key in flaky:
        err = f"flaky: passed on try {flaky[key][0]}; try 1: {flaky[key][1]}"
    print(f"{key[0]:58} {key[1]:15} {r:11} {m:7} {err[:120]}")
print(f"\nagree {same} (of which flaky {len(flaky)}), packetdrill PASS but mpdrill not {regress}, "
      f"mpdrill PASS but packetdrill not {fixed}, not run {missing}")
sys.exit(1 if regress or missing else 0)
PY
