#!/usr/bin/env python3
"""Feeds KTAP (stdin) to the kernel's own KTAP parser, tools/testing/kunit/kunit_parser.py
(from Debian's linux-source package: ci/setup.sh extracts it), and prints what it counted as
one JSON object: {"passed", "failed", "crashed", "skipped", "errors", "status"}.
Exit 77 when the parser is not installed (the caller skips)."""
import contextlib
import json
import os
import sys

KUNIT = os.environ.get('MPDRILL_KUNIT_DIR', '/usr/local/share/mpdrill/kunit')
if not os.path.exists(os.path.join(KUNIT, 'kunit_parser.py')):
    print(f'no kunit_parser.py in {KUNIT} (ci/setup.sh installs it)', file=sys.stderr)
    sys.exit(77)
sys.path.insert(0, KUNIT)
# Its printer writes to the sys.stdout it sees at import: its log goes to stderr instead.
with contextlib.redirect_stdout(sys.stderr):
    import kunit_parser  # noqa: E402

lines = sys.stdin.read().splitlines()
test = kunit_parser.parse_run_tests(lines)
c = test.counts
print(json.dumps({'passed': c.passed, 'failed': c.failed, 'crashed': c.crashed,
                  'skipped': c.skipped, 'errors': c.errors, 'status': test.status.name}))
