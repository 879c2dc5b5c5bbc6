#!/usr/bin/env bash
# Configures and builds one preset (default: "default"). Used by main.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
# ccache (installed by ci/setup.sh) keeps rebuilds of the same sources cheap: CI machines
# are handed back between runs, and the ClusterFuzzLite test rebuilds every fuzzer with clang.
if [ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ] && command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
