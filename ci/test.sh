#!/usr/bin/env bash
# README command 2: set up, build, and run every test (ctest), then the upstream MPTCP
# packetdrill suite against this kernel, compared with the reference verdicts (only when
# ../shared/upstream exists: it is third-party test data, never part of the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
# ccache for this build and for the ClusterFuzzLite test's clang build of the fuzzers.
# Paths relative to the checkout and the build directory left out of the hash (its path is
# only in the debug info), so that clones in other folders share the cache.
if command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=1
fi
bash ci/build.sh default
# A Debian kernel package for the `mpdrill vm` tests (downloaded once, kept in build/kernels).
bash ci/fetch_kernel.sh build/kernels || echo "test: no kernel package: the vm tests skip"
# Tests' scratch files go to the build tree, emptied here, not to the machine's /tmp.
export TMPDIR=$PWD/build/test-tmp
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR" && chmod 1777 "$TMPDIR"
ctest --preset default -j "$(nproc)" --timeout 300
# After ctest, on an otherwise idle machine: -j auto (mpdrill run's default) measures the
# machine's wake-up latency and caps the runs at once; a lost reference PASS is re-run alone.
bash ci/upstream.sh build/default
# The same suite against a kernel behind a veth, syscalls through `mpdrill agent` (docs/wire.md).
bash ci/upstream.sh --target wire build/default
# The kernel's plain-TCP packetdrill selftests (../shared/upstream/kernel-tcp), as its
# ksft_runner.sh runs them, against google packetdrill's verdicts (ratchet: ci/kernel_tcp.known).
if [ -d ../shared/upstream/kernel-tcp ]; then bash ci/kernel_tcp.sh build/default; fi
