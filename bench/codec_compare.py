#!/usr/bin/env python3
"""Compares codec_bench binaries (docs/performance.md, codec_bench section).

  bench/codec_compare.py rates [--rounds N] [--filter REGEX] [--min-time S] BINARY...
  bench/codec_compare.py instructions [--filter REGEX] BINARY...

e.g. bench/codec_compare.py rates --rounds 15 /tmp/codec_bench.old build/default/engine/codec/codec_bench

rates: for a noisy shared machine. Every round runs each benchmark once per binary, back to back
(the order flips every round), so a change of machine load hits all binaries alike; prints the
median and the best items/s per CPU second over the rounds. Compare ratios within one run.

instructions: runs each benchmark under valgrind's callgrind and divides the instructions spent
in codec::Decode (or Encode, subtype decoders included) by its number of calls. Unlike a rate,
the count does not depend on the machine's load: the figure to compare across sessions.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile

CALLEE = re.compile(r"\*\s+\S*mptcp_codec\.cc:mpdrill::codec::(Decode|Encode)\(")
CALLS = re.compile(r"\(([\d,]+)x\)")


def run_rate(binary, name, min_time):
    out = subprocess.run([binary, f"--benchmark_filter=^{re.escape(name)}$",
                          f"--benchmark_min_time={min_time}", "--benchmark_format=json"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    return [(bm.get("label", ""), bm["items_per_second"] / 1e6) for bm in json.loads(out)["benchmarks"]]


def rates(a, names):
    """table[name][binary] = "median [best]" M items/s over a.rounds alternating rounds."""
    found = {name: {b: [] for b in a.binaries} for name in names}
    labels = {}
    for r in range(a.rounds):
        for name in names:
            for b in (a.binaries if r % 2 == 0 else a.binaries[::-1]):
                for label, rate in run_rate(b, name, a.min_time):
                    labels[name] = label
                    found[name][b].append(rate)
    print(f"{a.rounds} alternating rounds; M items/s per CPU second: median [best]")
    table = {name: {b: f"{statistics.median(v):.1f} [{max(v):.1f}]" if v else "?"
                    for b, v in found[name].items()} for name in names}
    return table, labels


def instructions_per_call(binary, name):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary,
                        f"--benchmark_filter=^{re.escape(name)}$", "--benchmark_min_time=0.01"],
                       capture_output=True, timeout=600, check=True)
        lines = subprocess.run(["callgrind_annotate", "--tree=caller", "--inclusive=yes", out],
                               capture_output=True, text=True, check=True).stdout.splitlines()
    for caller, line in zip(lines, lines[1:]):
        m = CALLEE.search(line)
        if m and "codec_bench.cc" in caller:
            count = int(caller.split()[0].replace(",", ""))
            calls = int(CALLS.search(caller).group(1).replace(",", ""))
            return f"{m.group(1)}: {count / calls:.1f}"
    return "?"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["rates", "instructions"])
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--filter", default="BM_Decode")
    p.add_argument("--min-time", default="0.1")
    p.add_argument("binaries", nargs="+")
    a = p.parse_args()
    names = subprocess.run([a.binaries[0], "--benchmark_list_tests", f"--benchmark_filter={a.filter}"],
                           capture_output=True, text=True, check=True).stdout.split()
    if a.mode == "rates":
        table, labels = rates(a, names)
    else:
        table = {name: {b: instructions_per_call(b, name) for b in a.binaries} for name in names}
        labels = {}
    for i, b in enumerate(a.binaries):
        print(f"  [{i}] {b}")
    print(f"{'benchmark':30}" + "".join(f"{'[' + str(i) + ']':>24}" for i in range(len(a.binaries))))
    for name in names:
        row = "".join(f"{table[name][b]:>24}" for b in a.binaries)
        print(f"{(name + ' ' + labels.get(name, '')):30}{row}")

if __name__ == "__main__":
    main()
