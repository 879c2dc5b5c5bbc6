// qemu-system-x86_64's command line for an mpdrill guest: no default devices, network
// interfaces only when asked for (vm/net.h), the kernel and initramfs given directly, the serial console to a file, the
// host root read-only and the control/working directories read-write over virtio-9p, and
// -no-reboot so that a reboot (the guest's way to finish) or a panic (panic=-1) ends qemu.
#ifndef MPDRILL_VM_QEMU_H_
#define MPDRILL_VM_QEMU_H_

#include <string>
#include <vector>

#include "vm/net.h"

namespace mpdrill::vm {

enum class Accel { kKvm, kTcg };

const char* AccelName(Accel accel);

struct QemuShare {
  std::string tag;
  std::string path;
  bool readonly = false;
};

struct QemuConfig {
  std::string qemu = "qemu-system-x86_64";
  Accel accel = Accel::kTcg;
  int cpus = 2;
  int memory_mib = 2048;
  std::string kernel;
  std::string initrd;
  std::string console_log;  // the guest's ttyS0
  std::vector<QemuShare> shares;
  std::vector<std::string> extra_append;  // more kernel command-line words
  GuestNics nics;  // first on the PCI bus, tap before control: the guest's eth0, eth1
};

// The kernel command line: serial console, panic=-1 (reboot at once: qemu ends),
// printk.devkmsg=on (run markers written to /dev/kmsg are never rate-limited away),
// loglevel=6 (warnings and notices on the console, not the boot chatter), rdinit=/init,
// tsc=reliable (TCG's TSC follows the host clock; without it the guest falls back to the
// HPET, whose every read is an emulated MMIO access, and the runner's clock reads crawl).
std::string KernelCommandLine(const QemuConfig& config);

std::vector<std::string> QemuArgv(const QemuConfig& config);

// The -netdev/-device pairs of the guest's NICs: a tap NAME qemu creates (no scripts) and
// user networking restricted to one forwarded port, each a virtio-net-pci with a fixed MAC.
std::vector<std::string> QemuNicArgs(const GuestNics& nics);

// qemu option values double their commas.
std::string QemuEscape(const std::string& value);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_QEMU_H_
