#!/usr/bin/env bash
# README command 2: set up, build, and run every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/build.sh default
ctest --preset default -j "$(nproc)" --timeout 300
