// From what the user hands `mpdrill vm --kernel` to what qemu boots: the bzImage and an
// initramfs holding busybox, the generated /init and the modules the guest needs, unpacked
// and in load order. A Debian linux-image package is unpacked with dpkg-deb once: its kernel
// and the chosen modules are cached under the cache directory by the package's SHA-256.
// Everything that can be checked before booting is (no kernel, no module, no MPTCP in the
// package's config); what cannot (a bare bzImage's built-in features) the guest checks.
#ifndef MPDRILL_VM_KERNEL_PREP_H_
#define MPDRILL_VM_KERNEL_PREP_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vm/vm_error.h"

namespace mpdrill::vm {

struct KernelRequest {
  std::filesystem::path image;                      // bzImage or linux-image-*.deb
  std::optional<std::filesystem::path> modules;     // for a bzImage: lib/modules/<release>
                                                    // or an INSTALL_MOD_PATH holding it
  std::filesystem::path cache_dir;                  // "" = do not cache
  std::filesystem::path work_dir;                   // scratch, removed by the caller
  std::filesystem::path busybox = "/bin/busybox";   // static (Debian busybox-static)
  std::vector<std::string> extra_modules;           // --module NAME: load these too
  bool need_nic = false;  // a guest NIC: virtio_net (one of OptionalModules) must be there
};

struct PreparedKernel {
  std::filesystem::path vmlinuz;
  std::filesystem::path initramfs;  // in work_dir
  std::string release;              // uname -r
  std::string version;              // the bzImage's full version string
  std::string identity;             // SHA-256 of the image file (hex)
  std::string label;                // the image's file name
  std::vector<std::string> loaded;  // modules in the initramfs, load order
  std::vector<std::string> skipped; // optional modules the kernel does not have
  bool from_cache = false;
};

// The modules every guest needs (virtio-9p for the host root, TUN for `mpdrill run`), and
// the ones loaded when the kernel has them (scripts use qdiscs, ss -M, veth).
const std::vector<std::string>& RequiredModules();
const std::vector<std::string>& OptionalModules();

VmResult<PreparedKernel> PrepareKernel(const KernelRequest& request);

// SHA-256 of a file, hex.
VmResult<std::string> Sha256File(const std::filesystem::path& path);

// The default cache directory: $MPDRILL_CACHE_DIR, else $XDG_CACHE_HOME/mpdrill, else
// $HOME/.cache/mpdrill.
std::filesystem::path DefaultCacheDir();

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_KERNEL_PREP_H_
