#!/usr/bin/env bash
# The same suite on several kernels: the host's, and each kernel image booted with
# `mpdrill vm`; one table script x variant x kernel, the rows where kernels disagree first,
# with each disagreeing cell's first error below the table.
#   ci/matrix.sh [-b BUILD_DIR] [-C DIR] [--no-host] [--markdown] -k IMAGE [-k IMAGE...] SUITE...
# A run that fails on one kernel but passes on another is retried there twice (FLAKY if it
# then passes). -C DIR runs from DIR (the upstream suite wants its own directory); SUITE are `mpdrill run`
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
abs_kernels=()
for k in "${kernels[@]}"; do
  k=$(cd "$(dirname "$k")" && pwd)/$(basename "$k")
  abs_kernels+=("$k")
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
images=()
[ $host -eq 1 ] && images+=(host)
images+=("${abs_kernels[@]}")
PYTHONPATH="$here/ci" python3 - "$out" "$markdown" "$mpdrill" "$cwd" "$here/build/vm-cache" "${#labels[@]}" \
  "${labels[@]}" "${images[@]}" <<'PY'
import re, shlex, subprocess, sys
out, markdown, mpdrill, cwd, cache = sys.argv[1], sys.argv[2] == '1', sys.argv[3], sys.argv[4], sys.argv[5]
n = int(sys.argv[6])
labels, images = sys.argv[7:7 + n], sys.argv[7 + n:7 + 2 * n]
from verdicts import FLAG, parse

cols = [parse(open(f'{out}/{i}.txt', errors='replace')) for i in range(n)]
keys = sorted(set().union(*cols))

# A run that fails on one kernel and passes on another is run again there, twice, alone (one
# guest boot per kernel and try): a TCG guest on a loaded machine misses timing tolerances
# now and then. One that then passes is FLAKY, never PASS; the first error stays shown.
for attempt in (2, 3):
    for i, image in enumerate(images):
        again = [k for k in keys if cols[i].get(k, ('-',))[0] not in ('PASS', 'FLAKY', '-')
                 and any(c.get(k, ('-',))[0] == 'PASS' for c in cols)]
        if not again:
            continue
        runs = '; '.join(f"{shlex.quote(mpdrill)} run --ip_version={FLAG.get(v, v)} ./{shlex.quote(s)}"
                         for s, v in again)
        cmd = ['sh', '-c', runs] if image == 'host' else \
              [mpdrill, 'vm', '--kernel', image, '--cache', cache, '--', 'sh', '-c', runs]
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors='replace')
        for k, v in parse(r.stdout.splitlines()).items():
            if k in again and v[0] == 'PASS':
                cols[i][k] = ('FLAKY', f'passed on try {attempt}; try 1: {cols[i][k][1]}')
        print(f'matrix: {labels[i]}: {len(again)} run(s) again (try {attempt})', file=sys.stderr)

def same(v):
    return 'PASS' if v in ('PASS', 'FLAKY') else v
differ = [k for k in keys if len({same(c.get(k, ('-',))[0]) for c in cols}) > 1]
same_rows = [k for k in keys if k not in differ]
if markdown:
    print('| script | variant | ' + ' | '.join(labels) + ' |')
    print('|---|---|' + '---|' * len(labels))
    for k in differ + same_rows:
        print(f'| {k[0]} | {k[1]} | ' + ' | '.join(c.get(k, ('-',))[0] for c in cols) + ' |')
else:
    w = max([len(k[0]) for k in keys] + [6])
    print(f"{'script':{w}} {'variant':15} " + ' '.join(f'{l[:22]:22}' for l in labels))
    for k in differ + same_rows:
        print(f'{k[0]:{w}} {k[1]:15} ' + ' '.join(f"{c.get(k, ('-',))[0]:22}" for c in cols))
print()
for k in differ + [k for k in same_rows if any(c.get(k, ('-',))[0] == 'FLAKY' for c in cols)]:
    for label, c in zip(labels, cols):
        v, err = c.get(k, ('-', ''))
        if v != 'PASS':
            print(f'{k[0]} ({k[1]}) on {label}: {v} {err[:200]}')
counts = ', '.join(f"{l}: {sum(1 for k in keys if c.get(k, ('-',))[0] == 'PASS')}/{len(keys)} pass"
                   f" + {sum(1 for k in keys if c.get(k, ('-',))[0] == 'FLAKY')} flaky"
                   for l, c in zip(labels, cols))
print(f'\n{len(keys)} runs, {len(differ)} differ between kernels; {counts}')
PY
