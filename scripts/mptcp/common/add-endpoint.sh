#!/bin/sh
# usage: add-endpoint.sh N FLAG...   e.g. add-endpoint.sh 1 signal
# Gives the kernel its N-th extra address ($OPT_LOCAL_IP + N on the last byte / hextet, which
# the binder calls saddrN or caddrN by role) on $OPT_LOCAL_DEV and makes it an MPTCP endpoint
# with the flags given (signal, subflow, backup, ...). Runs in the run's own namespace.
set -e
n=$1
shift
case $OPT_IP_VERSION in
  ipv6)
    head=${OPT_LOCAL_IP%:*}
    tail=${OPT_LOCAL_IP##*:}
    addr=$(printf '%s:%x' "$head" $((0x${tail:-0} + n)))
    ip -6 addr add "$addr/128" dev "$OPT_LOCAL_DEV" nodad
    ;;
  *)
    head=${OPT_LOCAL_IP%.*}
    tail=${OPT_LOCAL_IP##*.}
    addr="$head.$((tail + n))"
    ip addr add "$addr/32" dev "$OPT_LOCAL_DEV"
    ;;
esac
ip mptcp endpoint add "$addr" dev "$OPT_LOCAL_DEV" id "$n" "$@"
