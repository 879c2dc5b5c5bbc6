#include "vm/kernel_image.h"

#include <cstdio>
#include <string_view>

namespace mpdrill::vm {
namespace {

// Linux boot protocol (Documentation/arch/x86/boot.rst): offsets in the real-mode header.
constexpr std::size_t kBootFlagOffset = 0x1FE;      // 0xAA55
constexpr std::size_t kHeaderMagicOffset = 0x202;   // "HdrS"
constexpr std::size_t kProtocolOffset = 0x206;      // u16 version
constexpr std::size_t kKernelVersionOffset = 0x20E; // u16: string at value + 0x200
constexpr std::size_t kMaxVersionLength = 256;

constexpr std::string_view kArMagic = "!<arch>\n";

VmError Bad(std::size_t offset, const std::string& what) {
  return VmError{VmErrorCode::kBadImage, "offset " + std::to_string(offset) + ": " + what};
}

// Little-endian fields through the bounds-checked reader (the header is little-endian).
bool ReadLe16(Bytes data, std::size_t offset, std::uint16_t* out) {
  ByteReader r(data);
  std::uint16_t big = 0;
  if (!r.Skip(offset) || !r.ReadU16(&big)) return false;
  *out = static_cast<std::uint16_t>((big >> 8) | (big << 8));
  return true;
}

bool HasAt(Bytes data, std::size_t offset, std::string_view magic) {
  ByteReader r(data);
  Bytes got;
  if (!r.Skip(offset) || !r.ReadBytes(magic.size(), &got)) return false;
  return std::string_view(reinterpret_cast<const char*>(got.data()), got.size()) == magic;
}

}  // namespace

const char* VmErrorCodeName(VmErrorCode code) {
  switch (code) {
    case VmErrorCode::kNotAKernel: return "not-a-kernel";
    case VmErrorCode::kBadImage: return "bad-image";
    case VmErrorCode::kMissingModule: return "missing-module";
    case VmErrorCode::kKernelLacks: return "kernel-lacks";
    case VmErrorCode::kMissingTool: return "missing-tool";
    case VmErrorCode::kIo: return "io";
    case VmErrorCode::kQemu: return "qemu";
    case VmErrorCode::kNetwork: return "network";
  }
  return "?";
}

VmResult<ImageKind> SniffImage(Bytes head) {
  if (HasAt(head, 0, kArMagic)) return ImageKind::kDebianPackage;
  if (HasAt(head, kHeaderMagicOffset, "HdrS")) return ImageKind::kBzImage;
  std::string found = "no \"HdrS\" at offset 514 (0x202) and no \"!<arch>\" at offset 0";
  if (head.size() < kHeaderMagicOffset + 4) {
    found = "only " + std::to_string(head.size()) + " byte(s): too short for a bzImage header";
  } else if (HasAt(head, 0, "\x7f" "ELF")) {
    found = "an ELF file (vmlinux?): boot the compressed bzImage (arch/x86/boot/bzImage)";
  }
  return Unexpected{VmError{VmErrorCode::kNotAKernel,
                            "not a kernel image (a bzImage or a Debian linux-image package): " +
                                found}};
}

VmResult<BzImageInfo> ParseBzImage(Bytes head) {
  std::uint16_t boot_flag = 0;
  if (!ReadLe16(head, kBootFlagOffset, &boot_flag) || boot_flag != 0xAA55) {
    return Unexpected{Bad(kBootFlagOffset, "boot flag: expected: 0xaa55")};
  }
  if (!HasAt(head, kHeaderMagicOffset, "HdrS")) {
    return Unexpected{Bad(kHeaderMagicOffset, "header magic: expected: HdrS")};
  }
  BzImageInfo info;
  if (!ReadLe16(head, kProtocolOffset, &info.boot_protocol)) {
    return Unexpected{Bad(kProtocolOffset, "truncated boot protocol version")};
  }
  if (info.boot_protocol < 0x0200) {
    char v[16];
    std::snprintf(v, sizeof(v), "0x%04x", info.boot_protocol);
    return Unexpected{Bad(kProtocolOffset, std::string("boot protocol ") + v + " too old")};
  }
  std::uint16_t pointer = 0;
  if (!ReadLe16(head, kKernelVersionOffset, &pointer) || pointer == 0) {
    return Unexpected{Bad(kKernelVersionOffset, "no kernel_version pointer")};
  }
  const std::size_t at = std::size_t{pointer} + 0x200;
  ByteReader r(head);
  if (!r.Skip(at)) return Unexpected{Bad(at, "kernel_version string past the end of the header")};
  std::uint8_t c = 0;
  while (info.version.size() < kMaxVersionLength) {
    if (!r.ReadU8(&c)) return Unexpected{Bad(r.offset(), "unterminated kernel_version string")};
    if (c == 0) break;
    if (c < 0x20 || c > 0x7e) return Unexpected{Bad(r.offset() - 1, "kernel_version: non-text byte")};
    info.version.push_back(static_cast<char>(c));
  }
  if (c != 0) return Unexpected{Bad(at, "kernel_version longer than 256 bytes")};
  info.release = info.version.substr(0, info.version.find(' '));
  if (info.release.empty()) return Unexpected{Bad(at, "empty kernel_version string")};
  return info;
}

}  // namespace mpdrill::vm
