#!/usr/bin/env python3
"""The interop matrix's verdicts (ci/interop.sh, docs/interop.md).

Reads every cell directory mpdrill-interop wrote under OUT (cell.txt) and the JSON Lines of
`mpdrill check --format json` over its two captures (check-client-side.jsonl,
check-server-side.jsonl), and prints the matrix client x server x scenario as a Markdown
table: the traffic, what check saw (mode, subflows, how it closed, MP_FAIL, path events) and
the violations by rule ID with the side of the link they were seen on.

A cell with the mpdrill peer (tests/interop_live.h, `captures=link` in cell.txt) has one
capture of the whole path instead, check-link.jsonl: mpdrill's tun0 is the link, so both ends
see the same packets. Its live model's findings on the kernel (`live_rule=` lines) name the
rules of its failure.

A cell is `clean` (ran, no violation), `known` (violations or a failure listed in the
expectations file with the reason, docs/interop.md), `skipped` (the environment cannot run
it), or `FAIL` (anything else). Exit 1 when a cell is FAIL, else 0.

Expectations file: one line per explained outcome (`*` matches any peer or scenario),
    CLIENT SERVER SCENARIO OUTCOME  # where docs/interop.md explains it
OUTCOME: a rule ID seen on either side of the link (`G1`), or on one side (`G1@server`,
`G1@client`, `G1@link`), or found by the mpdrill peer's live model; `stall` for traffic that
ran into its deadline; `failed` for any failure.
"""
import argparse
import collections
import json
import os
import sys

SIDES = ("client-side", "server-side")
LINK = ("link",)


def sides_of(cell):
    """The captures of a cell: both sides of the link, or the one link of the mpdrill peer."""
    return LINK if cell.get("captures") == "link" else SIDES


def read_cell(path):
    cell = collections.defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            cell[key].append(value)
    return {k: (v if k in ("event", "live_rule") else v[-1]) for k, v in cell.items()}


def read_check(path):
    """Violations, path events and the summary of one capture's check; None if missing."""
    if not os.path.exists(path):
        return None
    out = {"violations": [], "path_events": [], "summary": None, "bad": []}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                out["bad"].append(f"{path}:{number}: not JSON")
                continue
            kind = obj.get("type")
            if kind == "violation":
                out["violations"].append(obj)
            elif kind == "path_event":
                out["path_events"].append(obj)
            elif kind == "summary":
                out["summary"] = obj
    return out


def read_expected(path):
    """[(client, server, scenario, outcome)]; `*` in the first three matches anything."""
    expected = []
    if not path or not os.path.exists(path):
        return expected
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if len(words) == 4:
                expected.append(tuple(words))
            elif words:
                print(f"{path}:{number}: expected CLIENT SERVER SCENARIO OUTCOME", file=sys.stderr)
    return expected


def allowed_for(key, expected):
    return {outcome for *pattern, outcome in expected
            if all(p in ("*", k) for p, k in zip(pattern, key))}


def describe(check):
    """What check saw on one side: 'mptcp 3 subflows data-fin' per connection."""
    summary = check["summary"] if check else None
    if summary is None:
        return "no summary"
    parts = []
    for conn in summary.get("connections", []):
        text = conn.get("mode", "?")
        subflows = conn.get("subflows", [])
        if conn.get("mode") in ("mptcp", "fallback"):
            text += f" {len(subflows)} subflow" + ("s" if len(subflows) != 1 else "")
        backup = sum(1 for s in subflows if s.get("backup"))
        if backup:
            text += f" ({backup} backup)"
        text += f", close {conn.get('close', '?')}"
        if conn.get("checksums"):
            text += ", csum"
        mp_fail = conn.get("mp_fail_sent", {})
        if mp_fail.get("client") or mp_fail.get("server"):
            text += f", MP_FAIL c{mp_fail.get('client', 0)}/s{mp_fail.get('server', 0)}"
        if conn.get("fallback_reason"):
            text += f", fallback: {conn['fallback_reason']}"
        parts.append(text)
    return "; ".join(parts) if parts else "no connection"


def rules_of(check):
    return collections.Counter(v.get("rule", "?") for v in check["violations"]) if check else {}


def judge(cell, checks, expected):
    """(verdict, unexplained reasons) for one cell."""
    key = (cell.get("client"), cell.get("server"), cell.get("scenario"))
    allowed = allowed_for(key, expected)
    if cell.get("status") == "skipped":
        return "skipped", []
    problems = []  # (the outcomes that explain it, what it is)
    if cell.get("status") != "ok":
        reason = cell.get("reason", "")
        names = {"failed", "stall"} if "deadline" in reason else {"failed"}
        names |= set(cell.get("live_rule", []))
        problems.append((names, f"traffic failed: {reason}"))
    for side, check in zip(sides_of(cell), checks):
        if check is None or check["summary"] is None:
            problems.append(({"failed"}, f"{side}: no check summary"))
            continue
        for bad in check["bad"]:
            problems.append(({"failed"}, bad))
        for rule in sorted(rules_of(check)):
            names = {rule, f"{rule}@{side.split('-')[0]}"}
            problems.append((names, f"{side}: {rule}"))
    unexplained = [why for names, why in problems if not names & allowed]
    if unexplained:
        return "FAIL", unexplained
    return ("known" if problems else "clean"), []


def cell_rows(out_dir, expected):
    rows = []
    for name in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, name, "cell.txt")
        if not os.path.exists(path):
            continue
        cell = read_cell(path)
        checks = [read_check(os.path.join(out_dir, name, f"check-{side}.jsonl"))
                  for side in sides_of(cell)]
        verdict, unexplained = judge(cell, checks, expected)
        rows.append((cell, checks, verdict, unexplained))
    return rows


def violations_text(cell, checks):
    parts = []
    for side, check in zip(sides_of(cell), checks):
        counts = rules_of(check)
        if counts:
            rules = " ".join(f"{r}×{n}" if n > 1 else r for r, n in sorted(counts.items()))
            parts.append(f"{side.split('-')[0]}: {rules}")
    return "; ".join(parts) if parts else "none"


def path_events_text(checks):
    kinds = collections.Counter()
    for check in checks:
        if check:
            kinds.update(e.get("kind", "?") for e in check["path_events"])
    return " ".join(f"{k}×{n}" if n > 1 else k for k, n in sorted(kinds.items())) or "none"


def traffic_text(cell):
    if cell.get("status") == "skipped":
        return "skipped: " + cell.get("reason", "")
    if cell.get("status") != "ok":
        return "FAILED: " + cell.get("reason", "")
    out = cell.get("client_output", "")
    return out.replace("client ok ", "") if out.startswith("client ok") else out


def print_matrix(rows, scenario_order):
    order = {name: i for i, name in enumerate(scenario_order)}
    rows = sorted(rows, key=lambda r: (r[0].get("client"), r[0].get("server"),
                                       r[0].get("ip", "v4"), order.get(r[0].get("scenario"), 99)))
    kernels = sorted({(r[0].get("client"), r[0].get("client_kernel", "?")) for r in rows} |
                     {(r[0].get("server"), r[0].get("server_kernel", "?")) for r in rows})
    print("Peers: " + ", ".join(
        f"{peer} = " + ("live_fuzzer, userspace" if kernel == "none" else f"Linux {kernel}")
        for peer, kernel in kernels))
    print()
    print("| client | server | ip | scenario | traffic (client) | check: client side | "
          "check: server side | violations | path events | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for cell, checks, verdict, _ in rows:
        server_side = describe(checks[1]) if len(checks) > 1 else "the same capture (one link)"
        print(f"| {cell.get('client')} | {cell.get('server')} | {cell.get('ip', 'v4')} | "
              f"{cell.get('scenario')} | "
              f"{traffic_text(cell)} | {describe(checks[0])} | {server_side} | "
              f"{violations_text(cell, checks)} | {path_events_text(checks)} | {verdict} |")
    for cell, _, _, _ in rows:
        extra = [f"middlebox: {cell['middlebox']}"] if cell.get("middlebox") else []
        extra += [f"event {e}" for e in cell.get("event", [])]
        if extra:
            print(f"\n{cell.get('client')} -> {cell.get('server')} {cell.get('scenario')} "
                  f"({cell.get('ip', 'v4')}): " +
                  "; ".join(extra))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--expected", help="expectations file (ci/interop.expected)")
    parser.add_argument("--scenarios", default="", help="scenario names in matrix order, commas")
    args = parser.parse_args()
    rows = cell_rows(args.out_dir, read_expected(args.expected))
    if not rows:
        print(f"interop: no cells under {args.out_dir}", file=sys.stderr)
        return 1
    print_matrix(rows, args.scenarios.split(","))
    failed = [(cell, why) for cell, _, verdict, why in rows if verdict == "FAIL"]
    for cell, why in failed:
        print(f"interop: FAIL {cell.get('client')} -> {cell.get('server')} "
              f"{cell.get('scenario')} ({cell.get('ip', 'v4')}): " + "; ".join(why),
              file=sys.stderr)
    counts = collections.Counter(verdict for _, _, verdict, _ in rows)
    print("\ninterop: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
