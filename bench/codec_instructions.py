#!/usr/bin/env python3
"""Instructions per codec::Decode / codec::Encode call, per benchmark (docs/performance.md).

  bench/codec_instructions.py [--filter REGEX] BINARY...

Runs each codec_bench benchmark under valgrind's callgrind and divides the instructions spent in
Decode (or Encode, subtype decoders included) by its number of calls. Unlike a rate, the count
does not depend on the machine's load: it is the figure to compare across sessions.
"""
import argparse
import os
import re
import subprocess
import tempfile

CALLEE = re.compile(r"\*\s+\S*mptcp_codec\.cc:mpdrill::codec::(Decode|Encode)\(")
CALLS = re.compile(r"\(([\d,]+)x\)")


def per_call(binary, name):
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
            instructions = int(caller.split()[0].replace(",", ""))
            calls = int(CALLS.search(caller).group(1).replace(",", ""))
            return m.group(1), instructions / calls
    return None, None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--filter", default="BM_Decode")
    p.add_argument("binaries", nargs="+")
    a = p.parse_args()
    names = subprocess.run([a.binaries[0], "--benchmark_list_tests", f"--benchmark_filter={a.filter}"],
                           capture_output=True, text=True, check=True).stdout.split()
    for i, b in enumerate(a.binaries):
        print(f"  [{i}] {b}")
    print(f"{'benchmark':20}" + "".join(f"{'[' + str(i) + ']':>32}" for i in range(len(a.binaries))))
    for name in names:
        row = f"{name:20}"
        for b in a.binaries:
            fn, n = per_call(b, name)
            row += f"{fn + ': ' + format(n, '.1f') if n else '?':>32}"
        print(row)


if __name__ == "__main__":
    main()
