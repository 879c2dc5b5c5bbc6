#!/usr/bin/env bash
# Wall time of the upstream MPTCP packetdrill suite (../shared/upstream/mptcp) under
# `mpdrill run`, serially and with -j (default auto), in one go on the same machine and build,
# with the same flags ci/upstream.sh uses; prints both walls, their ratio, what -j auto made of
# the machine (runs at once, wake-up latency) and every run whose verdict differs.
#
#   ci/bench_run.sh [BUILD_DIR] [JOBS] [SUBDIR...]    e.g. ci/bench_run.sh build/default auto dss
#
# Also prints injection jitter of each run: p50/p99 of (write time - scheduled time) of the
# injected packets, and p50/p99 of |arrival - script time| of the kernel's packets the scripts
# time exactly. JITTER_LEVELS="1 4 16" adds one more -j run per level (of the same SUBDIRs)
# and prints the same figures for each. REPEATS=N runs the -j suite N times after the one
# serial run (the issue's target: every repeat at most 0.10x the serial wall, 0 verdicts
# differing from it) and prints each repeat's wall, ratio and differences, then the worst.
#
# It also prints the CPU seconds each suite used (runs and shell commands included) and how
# many cores' worth that was during the -j wall: near the core count, the CPU bounds it.
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

# run NAME -j VALUE: wall seconds to $tmp/NAME.wall, CPU seconds (user and system of mpdrill
# and every run, shell commands included) to $tmp/NAME.cpu, JSON Lines to $tmp/NAME.json.
run() {
  local name=$1 j=$2 t0 t1 TIMEFORMAT='%U %S'
  t0=$(date +%s.%N)
  { time { (cd "$upstream/mptcp" && timeout 1800 "$mpdrill" run -j "$j" --json "$tmp/$name.json" \
     "${dirs[@]}") >"$tmp/$name.out" 2>&1; }; } 2>"$tmp/$name.times"
  t1=$(date +%s.%N)
  awk '{ print $1 + $2 }' "$tmp/$name.times" >"$tmp/$name.cpu"
  echo "$t1 - $t0" | bc -l >"$tmp/$name.wall" 2>/dev/null ||
    python3 -c "print($t1 - $t0)" >"$tmp/$name.wall"
}

repeats=${REPEATS:-1}
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "REPEATS must be a positive count" >&2; exit 2; }
run serial 1
run parallel "$jobs"
for ((i = 2; i <= repeats; i++)); do run "parallel$i" "$jobs"; done
levels=${JITTER_LEVELS:-}
for l in $levels; do run "jitter$l" "$l"; done
python3 - "$tmp" "$jobs" "$levels" "$repeats" <<'PY'
import json, os, sys
tmp, jobs, levels, repeats = sys.argv[1:5]
repeats = int(repeats)

def quantile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(-(-q * len(v) // 1)) - 1))] if v else 0

def jitter(name, runs, summary):
    inj = [x for r in runs.values() for x in r.get('inbound_lateness_usecs', [])]
    rep = [abs(x) for r in runs.values() for x in r.get('outbound_offset_usecs', [])]
    print(f"  {name:18} injected: p50 {quantile(inj, .5):6d} us p99 {quantile(inj, .99):6d} us "
          f"({len(inj)} packets); kernel replies |offset|: p50 {quantile(rep, .5):6d} us "
          f"p99 {quantile(rep, .99):6d} us ({len(rep)}); at most {summary.get('max_concurrency')} at once")

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
# How much of the machine the -j suite needed: near the core count, the CPU bounds the wall.
p_cpu = float(open(f'{tmp}/parallel.cpu').read())
print(f"CPU: serial {float(open(f'{tmp}/serial.cpu').read()):.1f} s, -j {jobs} {p_cpu:.1f} s "
      f"(user + system, runs and their shell commands included): {p_cpu / p_wall:.2f} of "
      f"{os.cpu_count()} core(s) busy on average during the -j wall")
print("injection jitter:")
jitter('-j 1', s_runs, s_sum)
jitter(f'-j {jobs}', p_runs, p_sum)
for l in levels.split():
    runs, summary, wall = load(f'jitter{l}')
    jitter(f'-j {l} ({wall:.0f} s)', runs, summary)
    changed = sum(1 for k in set(s_runs) | set(runs)
                  if s_runs.get(k, {}).get('verdict') != runs.get(k, {}).get('verdict'))
    print(f"  {'':18} {changed} verdict(s) differ from -j 1")
diff = 0
for key in sorted(set(s_runs) | set(p_runs)):
    a = s_runs.get(key, {}).get('verdict', '-')
    b = p_runs.get(key, {}).get('verdict', '-')
    if a != b:
        diff += 1
        err = (p_runs.get(key) or s_runs.get(key) or {}).get('first_error', '')
        print(f"differs: {key[0]} ({key[1]}): serial {a}, -j {jobs} {b}: {err[:140]}")
print(f"{diff} verdict(s) differ")
if repeats > 1:
    ratios, total = [p_wall / s_wall], diff
    print(f"repeat 1: {p_wall:6.1f} s, ratio {p_wall / s_wall:.3f}, {diff} differ")
    for i in range(2, repeats + 1):
        runs, summary, wall = load(f'parallel{i}')
        keys = sorted(set(s_runs) | set(runs))
        changed = [k for k in keys if s_runs.get(k, {}).get('verdict') != runs.get(k, {}).get('verdict')]
        for k in changed:
            err = (runs.get(k) or {}).get('first_error', '')
            print(f"  repeat {i} differs: {k[0]} ({k[1]}): serial "
                  f"{s_runs.get(k, {}).get('verdict', '-')}, -j {jobs} "
                  f"{runs.get(k, {}).get('verdict', '-')}: {err[:140]}")
        ratios.append(wall / s_wall)
        total += len(changed)
        print(f"repeat {i}: {wall:6.1f} s, ratio {wall / s_wall:.3f}, {len(changed)} differ, "
              f"at most {summary.get('max_concurrency')} at once")
    print(f"{repeats} repeats: worst ratio {max(ratios):.3f}, best {min(ratios):.3f}; "
          f"{total} verdict change(s) in all")
    diff = total
sys.exit(1 if diff else 0)
PY
