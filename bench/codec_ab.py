#!/usr/bin/env python3
"""A/B timing of Google Benchmark binaries on a noisy shared machine (docs/performance.md).

  bench/codec_ab.py [--rounds N] [--filter REGEX] [--min-time S] BINARY...

e.g. bench/codec_ab.py --rounds 15 --filter BM_Decode /tmp/codec_bench.old build/default/engine/codec/codec_bench

Every round runs each benchmark once per binary, back to back (the order flips every round), so
a change of machine load hits all binaries alike. Prints, per benchmark and binary, the median
and the best items/s over the rounds (Google Benchmark's rate, per CPU second). Read the ratio
of medians of one run; absolute rates move with the load of the other engineers' work.
"""
import argparse
import json
import re
import statistics
import subprocess


def run(binary, name, min_time):
    out = subprocess.run([binary, f"--benchmark_filter=^{re.escape(name)}$",
                          f"--benchmark_min_time={min_time}", "--benchmark_format=json"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    return json.loads(out)["benchmarks"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--filter", default="BM_Decode")
    p.add_argument("--min-time", default="0.1")
    p.add_argument("binaries", nargs="+")
    a = p.parse_args()
    names = subprocess.run([a.binaries[0], "--benchmark_list_tests", f"--benchmark_filter={a.filter}"],
                           capture_output=True, text=True, check=True).stdout.split()
    rates = {b: {} for b in a.binaries}
    labels = {}
    for r in range(a.rounds):
        for name in names:
            for b in (a.binaries if r % 2 == 0 else a.binaries[::-1]):
                for bm in run(b, name, a.min_time):
                    labels[name] = bm.get("label", "")
                    rates[b].setdefault(name, []).append(bm["items_per_second"] / 1e6)
    print(f"{a.rounds} alternating rounds; M items/s per CPU second: median [best]")
    for i, b in enumerate(a.binaries):
        print(f"  [{i}] {b}")
    print(f"{'benchmark':30}" + "".join(f"{'[' + str(i) + ']':>32}" for i in range(len(a.binaries))))
    for name in names:
        row = f"{(name + ' ' + labels.get(name, '')):30}"
        for b in a.binaries:
            v = rates[b].get(name)
            row += f"{statistics.median(v):22.1f} [{max(v):6.1f}]" if v else " " * 32
        print(row)


if __name__ == "__main__":
    main()
