#!/usr/bin/env bash
# Downloads a Debian kernel package for `mpdrill vm` tests and the kernel matrix, once: the
# .deb lands in DIR (default build/kernels) and is reused while it is there. Never installs
# it: mpdrill boots it in qemu.
#   ci/fetch_kernel.sh [DIR] [PACKAGE]
# PACKAGE defaults to what Debian's linux-image-amd64 depends on (the current 6.1 kernel);
# e.g. linux-image-6.12.107+deb12-amd64-unsigned for a 6.12. Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/kernels}
pkg=${2:-}
mkdir -p "$dir"
resolve() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'
}
if [ -z "$pkg" ]; then
  pkg=$(resolve)
  if [ -z "$pkg" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(resolve)
  fi
  if [ -z "$pkg" ]; then
    echo "fetch_kernel: cannot resolve linux-image-amd64 (apt lists missing?)" >&2
    exit 3
  fi
fi
existing=$(ls "$dir"/"${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
if [ -n "$existing" ]; then
  echo "$existing"
  exit 0
fi
# apt-get download writes into the working directory; _apt cannot write to a root-owned
# build tree, which apt only warns about.
if ! (cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1); then
  apt-get update -qq >/dev/null 2>&1 || true
  (cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
    echo "fetch_kernel: apt-get download $pkg failed" >&2
    exit 3
  }
fi
ls "$dir"/"${pkg}"_*.deb | head -n 1
