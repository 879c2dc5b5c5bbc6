#!/usr/bin/env bash
# README command 1: set up, build, and run the main job: the project's own MPTCP conformance
# suite (scripts/mptcp) against the running kernel with `mpdrill run`, every script in each IP
# variant its name implies, each run in a private network namespace mpdrill creates (nothing
# is configured or sent in the host's namespace). Exit status: mpdrill run's (0 all passed,
# 1 a test failed, 2 a bad script, 3 no root or no TUN).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/build.sh default

if [ "$(id -u)" -ne 0 ]; then
  echo "main: mpdrill run needs root (network namespaces, TUN)" >&2
  exit 3
fi
exec build/default/cli/mpdrill run "$@" scripts/mptcp
