#!/bin/bash
# Runs the kernel's plain-TCP packetdrill selftests (../shared/upstream/kernel-tcp, GPL test
# data of the Linux kernel, never copied into the repo) with mpdrill invoked as `packetdrill`,
# each script and IP version exactly as the kernel's ksft_runner.sh runs it (its flags, one
# script per invocation; mpdrill puts every run in its own network namespace), and tables each
# run against google packetdrill's verdict on this kernel (kernel-tcp/verdicts.tsv).
# Exit 1 when a run the reference passed does not pass under mpdrill and is not listed in the
# ratchet file ci/kernel_tcp.known (runs not passing yet, each with its cause); a listed run
# that now passes is reported so the list shrinks (docs/kernel-tcp.md).
#   ci/kernel_tcp.sh [BUILD_DIR] [SCRIPT_PREFIX...]    e.g. ci/kernel_tcp.sh build/default tcp_fastopen
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/default}
shift || true
suite=${MPDRILL_KERNEL_TCP:-$here/../shared/upstream/kernel-tcp}
[ -d "$suite/net/packetdrill" ] || { echo "no kernel-tcp suite at $suite: skipped"; exit 0; }
build=$(cd "$build" 2>/dev/null && pwd) || { echo "no build dir" >&2; exit 2; }
pd=$build/packetdrill-bin/packetdrill
[ -x "$pd" ] || { echo "no $pd: build it first" >&2; exit 2; }
exec python3 - "$suite" "$pd" "$here/ci/kernel_tcp.known" "$@" <<'PY'
import os, re, subprocess, sys, time
suite, pd, known_path = sys.argv[1:4]
prefixes = sys.argv[4:]
pkdir = os.path.join(suite, 'net', 'packetdrill')
# ksft_runner.sh's per-IP-version flags (kernel-tcp/net/packetdrill/ksft_runner.sh).
FLAGS = {
    'ipv4': ['--ip_version=ipv4', '--local_ip=192.168.0.1', '--gateway_ip=192.168.0.1',
             '--netmask_ip=255.255.0.0', '--remote_ip=192.0.2.1',
             '-D', 'TFO_COOKIE=3021b9d889017eeb', '-D', 'TFO_COOKIE_ZERO=b7c12350a90dc8f5',
             '-D', 'CMSG_LEVEL_IP=SOL_IP', '-D', 'CMSG_TYPE_RECVERR=IP_RECVERR'],
    'ipv6': ['--ip_version=ipv6', '--mtu=1520', '--local_ip=fd3d:0a0b:17d6::1',
             '--gateway_ip=fd3d:0a0b:17d6:8888::1', '--remote_ip=fd3d:fa7b:d17d::1',
             '-D', 'TFO_COOKIE=c1d1e9742a47a9bc', '-D', 'TFO_COOKIE_ZERO=82af1a8f9a205c34',
             '-D', 'CMSG_LEVEL_IP=SOL_IPV6', '-D', 'CMSG_TYPE_RECVERR=IPV6_RECVERR'],
}
LINE = re.compile(r'^(PASS|FAIL|ERROR|ENV) (\S+) \(([^)]+)\) [0-9.]+s(?:: (.*))?$')

def versions(script):
    # ksft_runner.sh: the script's own --ip_version= lines, else ipv4 and ipv6.
    vs = [l.split('=', 1)[1].strip() for l in open(os.path.join(pkdir, script))
          if l.startswith('--ip_version=')]
    return vs or ['ipv4', 'ipv6']

def run(script, v):
    try:
        r = subprocess.run([pd] + FLAGS[v] + [script], cwd=pkdir, capture_output=True,
                           text=True, timeout=300)
        out, code = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired:
        return 'FAIL', 'timed out after 300 s (the whole packetdrill invocation)'
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            # packetdrill's verdict is its exit code; the line gives the cause.
            return ('PASS' if code == 0 else m.group(1)), (m.group(4) or '')
    first = next((l for l in out.splitlines() if l.strip()), '')
    return ('PASS' if code == 0 else 'ERROR'), f'exit {code}: {first}'

def cause(err):
    # The field, expected and actual (or the first error) without the script's name.
    err = re.sub(r'^\S+\.pkt:(\d+): ', r'line \1: ', err)
    return err[:150]

ref = {}
for line in open(os.path.join(suite, 'verdicts.tsv')).read().splitlines()[1:]:
    f = line.split('\t')
    if len(f) >= 3:
        ref[(f[0], f[1])] = f[2]
known = {}
if os.path.exists(known_path):
    for line in open(known_path):
        if line.strip() and not line.startswith('#'):
            f = line.rstrip('\n').split('\t')
            known[(f[0], f[1])] = f[2] if len(f) > 2 else ''

scripts = sorted(s for s in os.listdir(pkdir) if s.endswith('.pkt')
                 and (not prefixes or any(s.startswith(p) for p in prefixes)))
start = time.monotonic()
mine, flaky = {}, {}
for s in scripts:
    for v in versions(s):
        mine[(s, v)] = run(s, v)
# A reference pass that failed is run again after the whole pass, up to twice: timing on a
# loaded machine (every such failure seen is a timing error: a packet or call a few ms late).
# It counts as failing only if every try fails.
for key in sorted(k for k in mine if ref.get(k) == 'PASS' and mine[k][0] != 'PASS'):
    for attempt in (2, 3):
        again = run(*key)
        if again[0] == 'PASS':
            flaky[key] = (attempt, mine[key][1])
            mine[key] = again
            break
wall = time.monotonic() - start

agree = kept = ref_pass = 0
lost, listed_pass, gained, unlisted = [], [], [], []
print(f"{'script':62} {'ver':4} {'pktdrill':8} {'mpdrill':7} {'':8} cause (mpdrill's first error)")
for key in sorted(set(mine) | {k for k in ref if not prefixes or any(k[0].startswith(p) for p in prefixes)}):
    r = ref.get(key, '-')
    m, err = mine.get(key, ('-', 'not run'))
    same = (r == 'PASS') == (m == 'PASS')
    agree += same
    if r == 'PASS':
        ref_pass += 1
        if m == 'PASS':
            kept += 1
            if key in known:
                listed_pass.append(key)
        else:
            lost.append(key)
            if key not in known:
                unlisted.append(key)
    elif m == 'PASS':
        gained.append(key)
    if key in flaky:
        err = f'flaky: passed on try {flaky[key][0]}; try 1: {flaky[key][1]}'
    tag = 'agree' if same else 'DISAGREE'
    print(f"{key[0]:62} {key[1]:4} {r:8} {m:7} {tag:8} {cause(err) if m != 'PASS' or key in flaky else ''}")
print(f"\n{len(mine)} runs in {wall:.0f} s: agree {agree}; reference passes kept {kept}/{ref_pass} "
      f"(flaky {len(flaky)}); mpdrill PASS but packetdrill not {len(gained)}")
for key in listed_pass:
    print(f"now passes, remove it from ci/kernel_tcp.known: {key[0]}\t{key[1]}")
for key in unlisted:
    print(f"REGRESSION (packetdrill passes, mpdrill not, not in ci/kernel_tcp.known): "
          f"{key[0]} {key[1]}: {cause(mine[key][1])}")
if os.environ.get('KERNEL_TCP_WRITE_KNOWN'):
    # Rewrites the ratchet file from this run (only what still does not pass).
    with open(known_path, 'w') as f:
        f.write('# ci/kernel_tcp.sh ratchet: runs google packetdrill passes that mpdrill does not\n'
                '# pass yet (script, IP version, cause). Only ever shrinks (docs/kernel-tcp.md).\n')
        for key in sorted(lost):
            f.write(f"{key[0]}\t{key[1]}\t{cause(mine[key][1])}\n")
sys.exit(1 if unlisted else 0)
PY
