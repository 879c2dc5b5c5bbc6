"""The verdict lines `mpdrill run` prints, read back by the CI scripts (upstream.sh,
matrix.sh): `VERDICT script (variant) 1.234s[: first error]`."""
import re

LINE = re.compile(r'^(PASS|FAIL|ERROR|ENV|FLAKY|KERNEL-[A-Z-]+) (\S+) \(([^)]+)\) [0-9.]+s(?:: (.*))?$')
# verdicts.tsv's variant names -> mpdrill run's --ip_version values.
FLAG = {'ipv4': 'ipv4', 'ipv4-mapped-v6': 'ipv4-mapped-ipv6', 'ipv6': 'ipv6'}


def parse(lines):
    """{(script without ./, variant): (verdict, first error)} for every verdict line."""
    got = {}
    for line in lines:
        m = LINE.match(line.rstrip('\n'))
        if m:
            got[(m.group(2).lstrip('./'), m.group(3))] = (m.group(1), m.group(4) or '')
    return got
