#!/usr/bin/env bash
# Idempotent set-up: installs the Debian packages mpdrill needs to build, test and run.
# Only packages that are missing are installed; a machine that has them all is left untouched.
set -euo pipefail

packages=(
  # build
  cmake ninja-build pkg-config g++ clang-14 lld-14 ccache
  # libraries
  libtins-dev libpcap-dev libboost-program-options-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing and sanitizer runtimes for clang 14
  libfuzzer-14-dev libclang-rt-14-dev
  # run-time tools used by the scripts and the tests (ip, ss, nstat, tc, sysctl, jq, ethtool)
  iproute2 procps jq ethtool python3 util-linux
  # capture comparison in benchmarks and field checks
  tshark
  # `mpdrill vm`: qemu, a static busybox for the guest's initramfs, dpkg-deb and xz/zstd to
  # unpack Debian kernel packages and their modules
  qemu-system-x86 busybox-static dpkg xz-utils zstd
  # .clusterfuzzlite/build.sh seed corpora (ctest clusterfuzzlite.build)
  zip unzip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: need root to install packages" >&2
  exit 3
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
