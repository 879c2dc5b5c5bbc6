#!/usr/bin/env bash
# Wall time of the upstream MPTCP packetdrill suite (../shared/upstream/mptcp) under
# `mpdrill run`, serially and with -j (default auto), in one go on the same machine and build,
# with the same flags ci/upstream.sh uses; prints both walls, their ratio, what -j auto made of
# the machine (runs at once, wake-up latency) and every run whose verdict differs.
#
#   ci/bench_run.sh [BUILD_DIR] [JOBS] [SUBDIR...]    e.g. ci/bench_run.sh build/default auto dss
#
# The walls depend on the load: on a shared 2-core machine the -j figure is only indicative
# (the scheduler caps concurrency when wake-ups come late). Every mpdrill call runs under
# `timeout`. Exit codes: 0 the same verdicts, 1 some differ, 2 usage / no build, 0 with a
# note when the upstream suite is absent.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/default}
shift || true
jobs=${1:-auto}
shift || true
upstream=${MPDRILL_UPSTREAM:-$here/../shared/upstream}
[ -d "$upstream/mptcp" ] || { echo "no upstream suite at $upstream/mptcp: skipped"; exit 0; }
build=$(cd "$build" 2>/dev/null && pwd) || { echo "no build dir" >&2; exit 2; }
mpdrill=$build/cli/mpdrill
[ -x "$mpdrill" ] || { echo "no $mpdrill: build it first" >&2; exit 2; }
dirs=("$@")
[ ${#dirs[@]} -eq 0 ] && dirs=(.)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {  # run NAME -j VALUE: wall seconds to $tmp/NAME.wall, JSON Lines to $tmp/NAME.json
  local name=$1 j=$2 t0 t1
  t0=$(date +%s.%N)
  (cd "$upstream/mptcp" && timeout 1800 "$mpdrill" run -j "$j" --json "$tmp/$name.json" \
     "${dirs[@]}") >"$tmp/$name.out" 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l >"$tmp/$name.wall" 2>/dev/null ||
    python3 -c "print($t1 - $t0)" >"$tmp/$name.wall"
}

run serial 1
run parallel "$jobs"
python3 - "$tmp" "$jobs" <<'PY'
import json, sys
tmp, jobs = sys.argv[1:3]

def load(name):
    runs, summary = {}, {}
    for line in open(f'{tmp}/{name}.json'):
        r = json.loads(line)
        if r['type'] == 'run':
            runs[(r['script'], r['variant'])] = r
        else:
            summary = r
    return runs, summary, float(open(f'{tmp}/{name}.wall').read())

s_runs, s_sum, s_wall = load('serial')
p_runs, p_sum, p_wall = load('parallel')
print(f"serial (-j 1):     {s_wall:8.1f} s wall, {s_sum.get('runs')} runs, "
      f"{s_sum.get('passed')} passed, {s_sum.get('failed')} failed")
print(f"parallel (-j {jobs}): {p_wall:8.1f} s wall, {p_sum.get('runs')} runs, "
      f"{p_sum.get('passed')} passed, {p_sum.get('failed')} failed; at most "
      f"{p_sum.get('max_concurrency')} at once, wake-up p99 {p_sum.get('wakeup_p99_usecs')} us "
      f"at start, {p_sum.get('wakeup_p99_usecs_max')} us at most")
print(f"ratio parallel/serial: {p_wall / s_wall:.3f}")
diff = 0
for key in sorted(set(s_runs) | set(p_runs)):
    a = s_runs.get(key, {}).get('verdict', '-')
    b = p_runs.get(key, {}).get('verdict', '-')
    if a != b:
        diff += 1
        err = (p_runs.get(key) or s_runs.get(key) or {}).get('first_error', '')
        print(f"differs: {key[0]} ({key[1]}): serial {a}, -j {jobs} {b}: {err[:140]}")
print(f"{diff} verdict(s) differ")
sys.exit(1 if diff else 0)
PY
