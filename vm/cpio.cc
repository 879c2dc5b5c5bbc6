#include "vm/cpio.h"

#include <sys/stat.h>

#include <cstdio>
#include <utility>

namespace mpdrill::vm {
namespace {

void PadTo4(std::string* out) {
  while (out->size() % 4 != 0) out->push_back('\0');
}

}  // namespace

void CpioWriter::AddDirectory(std::string_view path, std::uint32_t mode) {
  Add(path, S_IFDIR | (mode & 07777), {});
}

void CpioWriter::AddFile(std::string_view path, std::string_view data, std::uint32_t mode) {
  Add(path, S_IFREG | (mode & 07777), data);
}

void CpioWriter::Add(std::string_view path, std::uint32_t mode, std::string_view data) {
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  char header[111];
  std::snprintf(header, sizeof(header),
                "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", next_inode_++,
                mode, 0u, 0u, (mode & S_IFDIR) ? 2u : 1u, 0u, static_cast<unsigned>(data.size()),
                0u, 0u, 0u, 0u, static_cast<unsigned>(path.size() + 1), 0u);
  out_.append(header, 110);
  out_.append(path);
  out_.push_back('\0');
  PadTo4(&out_);
  out_.append(data);
  PadTo4(&out_);
}

std::string CpioWriter::Finish() {
  Add("TRAILER!!!", 0, {});
  next_inode_ = 1;
  return std::exchange(out_, {});
}

}  // namespace mpdrill::vm
