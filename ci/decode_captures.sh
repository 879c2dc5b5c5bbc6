#!/usr/bin/env bash
# Demo of `mpdrill decode` (README command 1 before the engine existed): set up, build, capture real kernel MPTCP
# traffic between two private network namespaces (never the host's), and decode every capture
# with `mpdrill decode`, printing options per subtype and violations. Exits non-zero if a
# capture or a decode fails or any violation is found. Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/build.sh default

if [ "$(id -u)" -ne 0 ]; then
  echo "main: need root to create network namespaces for the captures" >&2
  exit 3
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "main: capturing real MPTCP traffic (mpdrill-mkcapture --scenario all)"
# The tool bounds every step itself; the timeout is a last resort.
if ! timeout 120 build/default/sandbox/mpdrill-mkcapture --scenario all --out "$tmp" --quiet; then
  echo "main: FAIL: mpdrill-mkcapture" >&2
  exit 1
fi

failures=0
total_violations=0
for pcap in "$tmp"/*.pcap; do
  name=$(basename "$pcap" .pcap)
  rc=0
  build/default/cli/mpdrill decode "$pcap" >"$tmp/$name.txt" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "main: FAIL: mpdrill decode $name exited $rc" >&2
    failures=$((failures + 1))
    continue
  fi
  json="$tmp/$name.jsonl"
  build/default/cli/mpdrill decode --format json "$pcap" >"$json" || true
  per_subtype=$(jq -rs 'group_by(.subtype) | map("\(.[0].subtype)=\(length)") | join(" ")' "$json")
  options=$(jq -s 'length' "$json")
  violations=$(jq -s '[.[].violations | length] | add // 0' "$json")
  printf '%-13s %4d options, %d violations: %s\n' "$name" "$options" "$violations" "$per_subtype"
  if [ "$violations" -ne 0 ] || [ "$rc" -ne 0 ]; then
    sed -n '/violation/{x;p;x;p}' "$tmp/$name.txt" | head -n 20 >&2
    failures=$((failures + 1))
  fi
  total_violations=$((total_violations + violations))
done

if [ "$failures" -ne 0 ]; then
  echo "main: FAIL: $failures capture(s) with errors or violations ($total_violations violations)" >&2
  exit 1
fi
echo "main: OK: every capture decoded without violations"
