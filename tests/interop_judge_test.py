#!/usr/bin/env python3
"""ci/interop.py's verdicts on cells made here: clean, known (by rule, rule@side, stall,
wildcards), FAIL for what the expectations do not explain, skipped; the mpdrill peer's cells
(one capture of the link, the live model's rules on a failure) the same way. The check lines are in
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


def link_cell(out, client, server, scenario, status="ok", reason="", live_rules=(), rules=()):
    """A cell of the mpdrill peer: cell.txt says captures=link, one check-link.jsonl."""
    d = os.path.join(out, f"{client}-{server}-{scenario}")
    os.makedirs(d)
    with open(os.path.join(d, "cell.txt"), "w") as f:
        f.write(f"client={client}\nserver={server}\nscenario={scenario}\nstatus={status}\n"
                f"reason={reason}\nclient_kernel={'none' if client == 'mpdrill' else '6.18'}\n"
                f"server_kernel={'none' if server == 'mpdrill' else '6.18'}\n"
                "client_output=mpdrill sent=1 kernel wrote=1 packets=9 subflows=1\n"
                "captures=link\n" + "".join(f"live_rule={r}\n" for r in live_rules))
    with open(os.path.join(d, "check-link.jsonl"), "w") as f:
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
        if len(cols) > 10 and cols[1] in ("host", "mpdrill"):
            verdicts[cols[4]] = cols[10]
            if cols[1] == "mpdrill" or cols[2] == "mpdrill":
                verdicts[cols[4] + ":columns"] = (cols[6], cols[7])
    return r.returncode, verdicts, r.stdout + r.stderr


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
        link_cell(out, "mpdrill", "host", "live-bulk")
        link_cell(out, "host", "mpdrill", "live-sided", rules=["D10"])
        link_cell(out, "host", "mpdrill", "live-elsewhere", rules=["D10"])
        link_cell(out, "mpdrill", "host", "live-finding", status="failed",
                  reason="live_fuzzer exit 134: the live model: model: D10 ...",
                  live_rules=["D10"])
        link_cell(out, "mpdrill", "host", "live-other", status="failed",
                  reason="live_fuzzer exit 134: the live model: model: D3 ...", live_rules=["D3"])
        code, verdicts, out_text = run(
            out, "* * mp-fail G1\nhost host stalls stall\nhost * stalls D3@server\n"
                 "host host sided D10@server\nhost mpdrill live-sided D10@link\n"
                 "host mpdrill live-elsewhere D10@client\nmpdrill host live-finding D10\n")
        check("live-bulk (one capture, clean)", verdicts.get("live-bulk"), "clean")
        check("live-bulk's columns", verdicts.get("live-bulk:columns"),
              ("mptcp 1 subflow, close data-fin", "the same capture (one link)"))
        check("live-sided (D10@link)", verdicts.get("live-sided"), "known")
        check("live-elsewhere (a link's D10 is not the client side's)",
              verdicts.get("live-elsewhere"), "FAIL")
        check("live-finding (the live model's D10 explained by D10)",
              verdicts.get("live-finding"), "known")
        check("live-other (the live model's D3, unexplained)", verdicts.get("live-other"), "FAIL")
        check("the violations name the link", "| link: D10 |" in out_text, True)
        check("the peers line names the mpdrill peer",
              "mpdrill = live_fuzzer, userspace" in out_text, True)
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
