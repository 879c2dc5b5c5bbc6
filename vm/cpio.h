// A cpio "newc" archive (the initramfs format the kernel unpacks, Documentation/
// driver-api/early-userspace/buffer-format.rst): 110-byte ASCII headers, names and data padded
// to 4 bytes, "TRAILER!!!" last. Pure: entries in, bytes out.
#ifndef MPDRILL_VM_CPIO_H_
#define MPDRILL_VM_CPIO_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace mpdrill::vm {

class CpioWriter {
 public:
  void AddDirectory(std::string_view path, std::uint32_t mode = 0755);
  void AddFile(std::string_view path, std::string_view data, std::uint32_t mode = 0644);
  // Writes the trailer and returns the archive; the writer is empty afterwards.
  std::string Finish();

 private:
  void Add(std::string_view path, std::uint32_t mode, std::string_view data);
  std::string out_;
  std::uint32_t next_inode_ = 1;
};

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_CPIO_H_
