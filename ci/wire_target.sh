#!/bin/bash
# Sets up a wire target the way docs/wire.md describes, runs a command against it, and tears
# everything down again (on any exit, interrupt included):
#   mpdrill's namespace  --w0 == w1--  target namespace   (test link: no addresses on w0)
#                        --c0 == c1--                     (control link: 203.0.113.1 / .2)
# with `mpdrill agent` listening on 203.0.113.2:7000 in the target namespace (started again
# after each session, so COMMAND may call mpdrill run several times). COMMAND runs in
# mpdrill's namespace with MPDRILL_WIRE_ARGS set to the flags that reach the target, e.g.
#   ci/wire_target.sh build/default -- sh -c 'mpdrill run $MPDRILL_WIRE_ARGS scripts/mptcp'
# With --vm KERNEL the target is a `mpdrill vm` guest of that kernel instead (docs/vm.md
# "Networking"): its eth0 on tap w0 in mpdrill's namespace, the agent in the guest reached
# through the guest's control port at 127.0.0.1:7000; MPDRILL_WIRE_ARGS then also names the
# device (eth0) and scales the tolerances (MPDRILL_WIRE_TOLERANCE, default 10: an emulated
# guest answers tens of milliseconds late).
# Exit: COMMAND's, or 3 when the set-up fails (no root, no veth, the guest did not come up).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
vm_kernel=
if [ "${1:-}" = "--vm" ]; then
  vm_kernel=${2:-}
  shift 2 || true
  [ -f "$vm_kernel" ] || { echo "wire_target: --vm: no kernel image '$vm_kernel'" >&2; exit 2; }
fi
build=$(cd "${1:-$here/build/default}" 2>/dev/null && pwd) || { echo "wire_target: no build dir" >&2; exit 2; }
shift
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: ci/wire_target.sh [--vm KERNEL] BUILD_DIR -- COMMAND..." >&2; exit 2; }
mpdrill=$build/cli/mpdrill
[ "$(id -u)" = 0 ] || { echo "wire_target: needs root (namespaces, veth)" >&2; exit 3; }

tag=${MPDRILL_WIRE_TAG:-$$}  # names this set-up's namespaces (a test checks they go)
ns_m=mpdrill-wire-m-$tag ns_t=mpdrill-wire-t-$tag
work=$(mktemp -d "${TMPDIR:-/tmp}/mpdrill-wire.XXXXXX")
agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill -- "-$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  ip netns del "$ns_m" 2>/dev/null
  [ -z "$vm_kernel" ] && ip netns del "$ns_t" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "wire_target: set-up failed: $*" >&2; exit 3; }
if [ -n "$vm_kernel" ]; then
  ip netns add "$ns_m" || fail "ip netns add"
  ip -n "$ns_m" link set lo up || fail "lo up"
  head -c 32 /dev/urandom | base64 >"$work/token" && chmod 600 "$work/token" || fail "token"
  # The guest's command: one agent per session, until the guest is stopped (by pid, below).
  ip netns exec "$ns_m" setsid "$mpdrill" vm --kernel "$vm_kernel" --tap w0 --control-port 7000 \
    --rwdir "$work" --timeout 3600 -- /bin/sh -c '
      while "$0" agent --listen 10.0.2.15:7000 --token "$1" --wait 600 || [ $? = 4 ]; do :; done
    ' "$mpdrill" "$work/token" >>"$work/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1200); do  # a TCG boot takes 5-10 s; give it two minutes
    grep -q "agent: listening" "$work/agent.log" 2>/dev/null && break
    kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.log" >&2; fail "the guest did not come up"; }
    sleep 0.1
  done
  grep -q "agent: listening" "$work/agent.log" || { cat "$work/agent.log" >&2; fail "no agent in the guest"; }
  export MPDRILL_WIRE_ARGS="--target=wire:w0 --agent 127.0.0.1:7000 --agent-token $work/token --target-dev eth0 --tolerance_scale=${MPDRILL_WIRE_TOLERANCE:-10}"
else
  ip netns add "$ns_m" && ip netns add "$ns_t" || fail "ip netns add"
  ip -n "$ns_m" link add w0 type veth peer name w1 netns "$ns_t" || fail "veth w0/w1"
  ip -n "$ns_m" link add c0 type veth peer name c1 netns "$ns_t" || fail "veth c0/c1"
  # mpdrill's side of the test link: no address, no IPv6 (no ND/MLD of its own kernel), and
  # offloads off so pcap sees what crosses the link.
  ip netns exec "$ns_m" sysctl -q -w net.ipv6.conf.w0.disable_ipv6=1 || fail "disable_ipv6 on w0"
  ip netns exec "$ns_m" ethtool -K w0 tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  for ns in "$ns_m" "$ns_t"; do ip -n "$ns" link set lo up || fail "lo up"; done
  ip -n "$ns_m" link set w0 up && ip -n "$ns_m" link set c0 up || fail "links up"
  ip -n "$ns_t" link set w1 up && ip -n "$ns_t" link set c1 up || fail "links up"
  ip -n "$ns_m" addr add 203.0.113.1/24 dev c0 && ip -n "$ns_t" addr add 203.0.113.2/24 dev c1 ||
    fail "control addresses"
  head -c 32 /dev/urandom | base64 >"$work/token" && chmod 600 "$work/token" || fail "token"
  # One agent per session, one after the other, in a process group of their own (ended by
  # its id below); an agent that cannot start (exit 2/3) ends the loop.
  ip netns exec "$ns_t" setsid bash -c '
    while "$0" agent --listen 203.0.113.2:7000 --token "$1" --wait 600 || [ $? = 4 ]; do :; done
  ' "$mpdrill" "$work/token" 2>>"$work/agent.log" &
  agent_pid=$!
  # The agent says "listening" once bound; a client connecting earlier would be refused.
  for _ in $(seq 100); do
    grep -q listening "$work/agent.log" 2>/dev/null && break
    kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.log" >&2; fail "agent did not start"; }
    sleep 0.05
  done
  export MPDRILL_WIRE_ARGS="--target=wire:w0 --agent 203.0.113.2:7000 --agent-token $work/token"
fi
ip netns exec "$ns_m" "$@"
rc=$?
if grep -q "session .* ended: \(client lost\|protocol error\|failed\)" "$work/agent.log"; then
  echo "wire_target: an agent session did not end with shutdown:" >&2
  grep "ended:" "$work/agent.log" >&2
fi
exit $rc
