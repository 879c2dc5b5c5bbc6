// What a kernel image file is, from its first bytes: an x86 bzImage (Linux boot protocol
// header "HdrS" at 0x202, its version string found through the header's kernel_version
// field) or a Debian package (an ar archive, "!<arch>\n"). Pure: bytes in, facts out.
#ifndef MPDRILL_VM_KERNEL_IMAGE_H_
#define MPDRILL_VM_KERNEL_IMAGE_H_

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "vm/vm_error.h"

namespace mpdrill::vm {

enum class ImageKind { kBzImage, kDebianPackage };

// Bytes to read from the start of a file to sniff it and parse a bzImage's version string.
inline constexpr std::size_t kImageSniffBytes = 64 * 1024;

// kNotAKernel when the bytes are neither (the message says what was found at which offset).
VmResult<ImageKind> SniffImage(Bytes head);

struct BzImageInfo {
  std::uint16_t boot_protocol = 0;  // e.g. 0x020f
  std::string version;              // "6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 ..."
  std::string release;              // the first word of `version`: what `uname -r` says
};

// Parses the real-mode header of a bzImage. `head` is at least the first kImageSniffBytes
// bytes of the file (or the whole file if shorter).
VmResult<BzImageInfo> ParseBzImage(Bytes head);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_KERNEL_IMAGE_H_
