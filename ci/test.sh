#!/usr/bin/env bash
# README command 2: set up, build, and run every test (ctest), then the upstream MPTCP
# packetdrill suite against this kernel, compared with the reference verdicts (only when
# ../shared/upstream exists: it is third-party test data, never part of the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/build.sh default
ctest --preset default -j "$(nproc)" --timeout 300
# Serial and after ctest: its timing tolerances assume an otherwise idle run.
bash ci/upstream.sh build/default
# The kernel's plain-TCP packetdrill selftests (../shared/upstream/kernel-tcp), as its
# ksft_runner.sh runs them, against google packetdrill's verdicts (ratchet: ci/kernel_tcp.known).
if [ -d ../shared/upstream/kernel-tcp ]; then bash ci/kernel_tcp.sh build/default; fi
