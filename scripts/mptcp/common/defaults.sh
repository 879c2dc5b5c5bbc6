#!/bin/sh
# Baseline for scripts/mptcp: runs inside the run's private network namespace (every setting
# below is per-namespace) so the kernel's choices the scripts assert are pinned:
# receive buffer max 15 MiB => window scale 8 on SYN/SYN-ACK; timestamps and SACK on; no ECN;
# MPTCP on, checksums off unless a script turns them on; no path-manager endpoints.
sysctl -q -w net.ipv4.tcp_rmem="4096 540000 15728640" >/dev/null
sysctl -q -w net.ipv4.tcp_wmem="4096 262144 4194304" >/dev/null
sysctl -q -w net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_ecn=0 >/dev/null
sysctl -q -w net.mptcp.enabled=1 net.mptcp.checksum_enabled=0 >/dev/null
ip mptcp endpoint flush
exit 0
