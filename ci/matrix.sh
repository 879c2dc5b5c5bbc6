#!/usr/bin/env bash
# The same suite on several kernels: the host's, and each kernel image booted with
# `mpdrill vm`; one table script x variant x kernel, the rows where kernels disagree first,
# with each disagreeing cell's first error below the table.
#   ci/matrix.sh [-b BUILD_DIR] [-C DIR] [--no-host] [--markdown] -k IMAGE [-k IMAGE...] SUITE...
# -C DIR runs from DIR (the upstream suite wants its own directory); SUITE are `mpdrill run`
# arguments relative to it. Exit 0 when every kernel ran; the table is the result.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build/default
cwd=$PWD
host=1
markdown=0
kernels=()
suite=()
while [ $# -gt 0 ]; do
  case "$1" in
    -b) build=$2; shift 2 ;;
    -C) cwd=$2; shift 2 ;;
    -k) kernels+=("$2"); shift 2 ;;
    --no-host) host=0; shift ;;
    --markdown) markdown=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) suite+=("$1"); shift ;;
  esac
done
[ ${#suite[@]} -gt 0 ] || { echo "matrix: no suite given" >&2; exit 2; }
build=$(cd "$build" && pwd)
mpdrill=$build/cli/mpdrill
[ -x "$mpdrill" ] || { echo "matrix: no $mpdrill: build it first" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
labels=()
if [ $host -eq 1 ]; then
  label="host $(uname -r)"
  echo "matrix: $label" >&2
  start=$(date +%s%N)
  (cd "$cwd" && "$mpdrill" run "${suite[@]}") >"$out/${#labels[@]}.txt" 2>&1 || true
  echo "matrix: $label: $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
  labels+=("$label")
fi
for k in "${kernels[@]}"; do
  k=$(cd "$(dirname "$k")" && pwd)/$(basename "$k")
  echo "matrix: $k" >&2
  start=$(date +%s%N)
  n=${#labels[@]}
  (cd "$cwd" && "$mpdrill" vm --kernel "$k" --cache "$here/build/vm-cache" -- run "${suite[@]}") \
    >"$out/$n.txt" 2>"$out/$n.err" || true
  release=$(sed -n 's/^mpdrill vm: \([^ ]*\) up in.*/\1/p' "$out/$n.err" | head -n 1)
  [ -n "$release" ] || { echo "matrix: $k did not boot:" >&2; cat "$out/$n.err" >&2; exit 3; }
  echo "matrix: $release: $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
  labels+=("$release")
done
python3 - "$out" "$markdown" "${labels[@]}" <<'PY'
import re, sys
out, markdown, labels = sys.argv[1], sys.argv[2] == '1', sys.argv[3:]
LINE = re.compile(r'^(PASS|FAIL|ERROR|ENV) (\S+) \(([^)]+)\) [0-9.]+s(?:: (.*))?$')
cols = []
for i in range(len(labels)):
    got = {}
    for line in open(f'{out}/{i}.txt', errors='replace'):
        m = LINE.match(line.rstrip('\n'))
        if m:
            got[(m.group(2).lstrip('./'), m.group(3))] = (m.group(1), m.group(4) or '')
    cols.append(got)
keys = sorted(set().union(*cols))
differ = [k for k in keys if len({c.get(k, ('-',))[0] for c in cols}) > 1]
same = [k for k in keys if k not in differ]
if markdown:
    print('| script | variant | ' + ' | '.join(labels) + ' |')
    print('|---|---|' + '---|' * len(labels))
    for k in differ + same:
        print(f'| {k[0]} | {k[1]} | ' + ' | '.join(c.get(k, ('-',))[0] for c in cols) + ' |')
else:
    w = max([len(k[0]) for k in keys] + [6])
    print(f"{'script':{w}} {'variant':15} " + ' '.join(f'{l[:22]:22}' for l in labels))
    for k in differ + same:
        print(f'{k[0]:{w}} {k[1]:15} ' + ' '.join(f"{c.get(k, ('-',))[0]:22}" for c in cols))
print()
for k in differ:
    for label, c in zip(labels, cols):
        v, err = c.get(k, ('-', ''))
        if v != 'PASS':
            print(f'{k[0]} ({k[1]}) on {label}: {v} {err[:200]}')
counts = ', '.join(f"{l}: {sum(1 for k in keys if c.get(k, ('-',))[0] == 'PASS')}/{len(keys)} pass"
                   for l, c in zip(labels, cols))
print(f'\n{len(keys)} runs, {len(differ)} differ between kernels; {counts}')
PY
