#include "vm/modinfo.h"

#include <algorithm>
#include <string_view>

namespace mpdrill::vm {
namespace {

// ELF64 header and section header fields used (System V gABI).
constexpr std::size_t kEhdrSize = 64;
constexpr std::size_t kShoffOffset = 0x28;
constexpr std::size_t kShentsizeOffset = 0x3A;
constexpr std::size_t kShnumOffset = 0x3C;
constexpr std::size_t kShstrndxOffset = 0x3E;
constexpr std::size_t kShdrSize = 64;
constexpr std::uint8_t kElfClass64 = 2;
constexpr std::uint8_t kElfData2Lsb = 1;

VmError Bad(std::size_t offset, const std::string& what) {
  return VmError{VmErrorCode::kBadImage,
                 "module ELF offset " + std::to_string(offset) + ": " + what};
}

// Reads an unsigned little-endian field of `size` bytes at `offset`.
bool ReadLe(Bytes data, std::size_t offset, std::size_t size, std::uint64_t* out) {
  ByteReader r(data);
  Bytes b;
  if (!r.Skip(offset) || !r.ReadBytes(size, &b)) return false;
  std::uint64_t v = 0;
  for (std::size_t i = size; i-- > 0;) v = (v << 8) | b[i];
  *out = v;
  return true;
}

struct Section {
  std::uint64_t name = 0, offset = 0, size = 0;
};

bool ReadSection(Bytes elf, std::uint64_t shoff, std::uint64_t index, Section* s) {
  const std::uint64_t at = shoff + index * kShdrSize;
  if (at < shoff || at > elf.size()) return false;
  return ReadLe(elf, at + 0, 4, &s->name) && ReadLe(elf, at + 24, 8, &s->offset) &&
         ReadLe(elf, at + 32, 8, &s->size);
}

std::vector<std::string> SplitDepends(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    const auto comma = v.find(',');
    std::string_view word = v.substr(0, comma);
    if (!word.empty()) out.push_back(NormalizeModuleName(std::string(word)));
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::string NormalizeModuleName(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

VmResult<ModInfo> ReadModInfo(Bytes elf) {
  if (elf.size() < kEhdrSize) return Unexpected{Bad(0, "shorter than an ELF64 header")};
  if (elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
    return Unexpected{Bad(0, "no ELF magic")};
  }
  if (elf[4] != kElfClass64) return Unexpected{Bad(4, "not ELF64")};
  if (elf[5] != kElfData2Lsb) return Unexpected{Bad(5, "not little-endian")};
  std::uint64_t shoff = 0, shentsize = 0, shnum = 0, shstrndx = 0;
  if (!ReadLe(elf, kShoffOffset, 8, &shoff) || !ReadLe(elf, kShentsizeOffset, 2, &shentsize) ||
      !ReadLe(elf, kShnumOffset, 2, &shnum) || !ReadLe(elf, kShstrndxOffset, 2, &shstrndx)) {
    return Unexpected{Bad(kShoffOffset, "truncated ELF header")};
  }
  if (shentsize != kShdrSize) return Unexpected{Bad(kShentsizeOffset, "section header size is not 64")};
  if (shstrndx >= shnum) return Unexpected{Bad(kShstrndxOffset, "section name table index out of range")};
  if (shoff > elf.size() || shnum * kShdrSize > elf.size() - shoff) {
    return Unexpected{Bad(kShoffOffset, "section headers past the end of the file")};
  }
  Section names;
  if (!ReadSection(elf, shoff, shstrndx, &names) || names.offset > elf.size() ||
      names.size > elf.size() - names.offset) {
    return Unexpected{Bad(shoff + shstrndx * kShdrSize, "section name table past the end")};
  }
  const std::string_view strtab(reinterpret_cast<const char*>(elf.data() + names.offset),
                                names.size);
  for (std::uint64_t i = 0; i < shnum; ++i) {
    Section s;
    if (!ReadSection(elf, shoff, i, &s)) return Unexpected{Bad(shoff + i * kShdrSize, "truncated section header")};
    if (s.name >= strtab.size()) continue;
    const std::string_view name = strtab.substr(s.name, strtab.find('\0', s.name) - s.name);
    if (name != ".modinfo") continue;
    if (s.offset > elf.size() || s.size > elf.size() - s.offset) {
      return Unexpected{Bad(shoff + i * kShdrSize, ".modinfo past the end of the file")};
    }
    std::string_view body(reinterpret_cast<const char*>(elf.data() + s.offset), s.size);
    ModInfo info;
    while (!body.empty()) {
      const auto nul = body.find('\0');
      const std::string_view entry = body.substr(0, nul);
      const auto eq = entry.find('=');
      if (eq != std::string_view::npos) {
        const std::string_view key = entry.substr(0, eq), value = entry.substr(eq + 1);
        if (key == "depends") info.depends = SplitDepends(value);
        if (key == "name") info.name = NormalizeModuleName(std::string(value));
        if (key == "vermagic") info.vermagic = std::string(value);
      }
      if (nul == std::string_view::npos) break;
      body.remove_prefix(nul + 1);
    }
    return info;
  }
  return Unexpected{Bad(shoff, "no .modinfo section: not a kernel module")};
}

}  // namespace mpdrill::vm
