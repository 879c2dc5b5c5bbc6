#include "vm/qemu.h"

namespace mpdrill::vm {

const char* AccelName(Accel accel) {
  switch (accel) {
    case Accel::kKvm: return "kvm";
    case Accel::kTcg: return "tcg";
  }
  return "?";
}

std::string QemuEscape(const std::string& value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

std::string KernelCommandLine(const QemuConfig& config) {
  std::string s =
      "console=ttyS0 panic=-1 printk.devkmsg=on loglevel=6 rdinit=/init tsc=reliable";
  for (const std::string& w : config.extra_append) s += " " + w;
  return s;
}

std::vector<std::string> QemuNicArgs(const GuestNics& nics) {
  std::vector<std::string> a;
  if (!nics.tap.empty()) {
    a.insert(a.end(), {"-netdev", "tap,id=t0,ifname=" + QemuEscape(nics.tap) +
                                      ",script=no,downscript=no",
                       "-device", "virtio-net-pci,netdev=t0,mac=" + nics.tap_mac});
  }
  if (nics.control_port != 0) {
    // restrict=on: the guest reaches nothing beyond the forwarded port (no NAT out).
    const std::string port = std::to_string(nics.control_port);
    a.insert(a.end(), {"-netdev", "user,id=c0,restrict=on,ipv6=off,hostfwd=tcp:127.0.0.1:" +
                                      port + "-" + std::string(kControlGuestAddress) + ":" + port,
                       "-device", "virtio-net-pci,netdev=c0,mac=" + std::string(kControlMac)});
  }
  return a;
}

std::vector<std::string> QemuArgv(const QemuConfig& config) {
  std::vector<std::string> a = {config.qemu, "-nodefaults", "-no-user-config", "-no-reboot",
                                "-display", "none", "-monitor", "none"};
  switch (config.accel) {
    case Accel::kKvm:
      a.insert(a.end(), {"-accel", "kvm", "-cpu", "host"});
      break;
    case Accel::kTcg:
      a.insert(a.end(), {"-accel", "tcg,thread=multi", "-cpu", "max"});
      break;
  }
  a.insert(a.end(), {"-smp", std::to_string(config.cpus), "-m", std::to_string(config.memory_mib),
                     "-kernel", config.kernel, "-initrd", config.initrd, "-append",
                     KernelCommandLine(config), "-chardev",
                     "file,id=console,path=" + QemuEscape(config.console_log), "-serial",
                     "chardev:console"});
  const std::vector<std::string> nics = QemuNicArgs(config.nics);
  a.insert(a.end(), nics.begin(), nics.end());
  for (std::size_t i = 0; i < config.shares.size(); ++i) {
    const QemuShare& s = config.shares[i];
    const std::string id = "fs" + std::to_string(i);
    std::string fsdev = "local,id=" + id + ",path=" + QemuEscape(s.path) +
                        ",security_model=none,multidevs=remap";
    if (s.readonly) fsdev += ",readonly=on";
    a.insert(a.end(), {"-fsdev", fsdev, "-device",
                       "virtio-9p-pci,fsdev=" + id + ",mount_tag=" + QemuEscape(s.tag)});
  }
  return a;
}

}  // namespace mpdrill::vm
