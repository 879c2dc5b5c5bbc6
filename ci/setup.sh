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
  # consumers of `mpdrill run`'s reports in tests: prove / TAP::Parser (perl), xmllint
  # (JUnit against tests/junit.xsd), the kernel's KTAP parser (kunit_parser.py, taken from the
  # kernel source below)
  perl libxml2-utils linux-source-6.1
)

# The kernel's own KTAP parser (tools/testing/kunit/kunit_parser.py and its printer) out of
# Debian's kernel source tarball, where tests/ktap_counts.py looks for it.
install_kunit_parser() {
  local dir=/usr/local/share/mpdrill/kunit tarball
  [ -f "$dir/kunit_parser.py" ] && return 0
  tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1)
  [ -n "$tarball" ] || { echo "setup: no linux-source tarball: no KTAP parser" >&2; return 0; }
  [ "$(id -u)" -eq 0 ] || { echo "setup: need root to install the KTAP parser" >&2; return 0; }
  local top tmp
  top=$(basename "$tarball" .tar.xz)
  tmp=$(mktemp -d)
  tar -xJf "$tarball" -C "$tmp" "$top/tools/testing/kunit/kunit_parser.py" \
    "$top/tools/testing/kunit/kunit_printer.py"
  mkdir -p "$dir"
  cp "$tmp/$top/tools/testing/kunit/"kunit_p*.py "$dir/"
  rm -rf "$tmp"
  echo "setup: KTAP parser in $dir"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  install_kunit_parser
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
install_kunit_parser
echo "setup: done"
