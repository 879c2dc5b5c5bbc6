#!/usr/bin/env python3
"""ci/interop.py's verdicts on cells made here: clean, known (by rule, rule@side, stall,
wildcards), FAIL for what the expectations do not explain, skipped. The check lines are in
the form `mpdrill check --format json` writes (docs/check.md); no root, no network."""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = '{"type":"summary","connections":[{"mode":"mptcp","close":"data-fin","subflows":[{}]}]}'


def violation(rule):
    return ('{"type":"violation","frame":3,"rule":"%s","section":"RFC 8684","connection":1,'
            '"subflow":0,"sender":"server","message":"m","expected":null,"actual":null}' % rule)


def cell(out, scenario, status="ok", reason="", client_rules=(), server_rules=()):
    d = os.path.join(out, "host-host-" + scenario)
    os.makedirs(d)
    with open(os.path.join(d, "cell.txt"), "w") as f:
        f.write(f"client=host\nserver=host\nscenario={scenario}\nstatus={status}\n"
                f"reason={reason}\nclient_output=client ok sent=1 received=1 seconds=0.01\n")
    if status == "skipped":
        return
    for side, rules in (("client-side", client_rules), ("server-side", server_rules)):
        with open(os.path.join(d, f"check-{side}.jsonl"), "w") as f:
            f.write("".join(violation(r) + "\n" for r in rules) + SUMMARY + "\n")


def run(out, expected):
    path = os.path.join(out, "expected")
    with open(path, "w") as f:
        f.write(expected)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "ci", "interop.py"), out,
                        "--expected", path], capture_output=True, text=True, check=False)
    verdicts = {}
    for line in r.stdout.splitlines():
        cols = [c.strip() for c in line.split("|")]
        if len(cols) > 10 and cols[1] == "host":
            verdicts[cols[4]] = cols[10]
    return r.returncode, verdicts, r.stderr


def main():
    failures = []

    def check(what, got, want):
        if got != want:
            failures.append(f"{what}: expected {want!r}, got {got!r}")

    with tempfile.TemporaryDirectory() as out:
        cell(out, "bulk")
        cell(out, "mp-fail", server_rules=["G1", "G1"])
        cell(out, "stalls", status="failed", reason="client error: deadline: sent=1",
             server_rules=["D3"])
        cell(out, "broken", status="failed", reason="client error: connect: refused")
        cell(out, "sided", client_rules=["D10"])
        cell(out, "vm-only", status="skipped", reason="no kernel")
        code, verdicts, err = run(out, "* * mp-fail G1\nhost host stalls stall\n"
                                       "host * stalls D3@server\nhost host sided D10@server\n")
        check("bulk", verdicts.get("bulk"), "clean")
        check("mp-fail (a wildcard rule)", verdicts.get("mp-fail"), "known")
        check("stalls (stall, D3@server)", verdicts.get("stalls"), "known")
        check("broken (a failure no line explains)", verdicts.get("broken"), "FAIL")
        check("sided (D10 at the client's side, explained at the server's)",
              verdicts.get("sided"), "FAIL")
        check("vm-only", verdicts.get("vm-only"), "skipped")
        check("exit code with FAIL cells", code, 1)
        check("the FAIL lines name the cells", "FAIL host -> host broken (v4)" in err, True)
        code, verdicts, _ = run(out, "* * * failed\n* * * D10\n* * * G1\n* * * D3\n")
        check("exit code when everything is explained", code, 0)
        check("broken, explained by `failed`", verdicts.get("broken"), "known")
    for f in failures:
        print("FAIL: " + f)
    print(f"interop_judge_test: {'FAILED' if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
