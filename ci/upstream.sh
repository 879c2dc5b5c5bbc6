#!/bin/bash
# Runs the upstream MPTCP packetdrill suite (../shared/upstream/mptcp, GPL test data, never
# copied into the repo) with `mpdrill run` and prints, per script and variant, mpdrill's
# verdict next to the reference packetdrill's (verdicts.tsv), then a summary. Exit 1 when a
# run the reference passed does not pass under mpdrill (a regression against parity).
#   ci/upstream.sh [BUILD_DIR] [SUBDIR...]     e.g. ci/upstream.sh build/run sockopts dss
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/default}
shift || true
upstream=${MPDRILL_UPSTREAM:-$here/../shared/upstream}
[ -d "$upstream/mptcp" ] || { echo "no upstream suite at $upstream/mptcp: skipped"; exit 0; }
build=$(cd "$build" 2>/dev/null && pwd) || { echo "no build dir" >&2; exit 2; }
mpdrill=$build/cli/mpdrill
[ -x "$mpdrill" ] || { echo "no $mpdrill: build it first" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
dirs=("$@")
[ ${#dirs[@]} -eq 0 ] && dirs=(.)
# mpdrill's paths are relative to mptcp/ so they match verdicts.tsv's first column.
(cd "$upstream/mptcp" && "$mpdrill" run "${dirs[@]}") >"$out" 2>&1
python3 - "$upstream/verdicts.tsv" "$out" <<'PY'
import re, sys
ref = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    f = line.split('\t')
    if len(f) >= 3:
        ref[(f[0].lstrip('./'), f[1])] = (f[2], f[4] if len(f) > 4 else '')
mine = {}
for line in open(sys.argv[2]):
    m = re.match(r'^(PASS|FAIL|ERROR|ENV) (\S+) \(([^)]+)\) [0-9.]+s(?:: (.*))?$', line.rstrip('\n'))
    if m:
        mine[(m.group(2).lstrip('./'), m.group(3))] = (m.group(1), m.group(4) or '')
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
    print(f"{key[0]:58} {key[1]:15} {r:11} {m:7} {err[:120]}")
print(f"\nagree {same}, packetdrill PASS but mpdrill not {regress}, "
      f"mpdrill PASS but packetdrill not {fixed}, not run {missing}")
sys.exit(1 if regress else 0)
PY
