// `mpdrill vm` as a library: a kernel image and a command in, how the guest ended out.
// Prepares the kernel (kernel_prep), picks the accelerator (accel, probing KVM by a boot),
// lays out the control directory and the guest script, shares the host root read-only and
// the chosen directories read-write at their own paths, runs the machine, and removes every
// file it made. The CLI (cli/cmd_vm.cc) only parses flags and prints.
#ifndef MPDRILL_VM_SESSION_H_
#define MPDRILL_VM_SESSION_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vm/accel.h"
#include "vm/kernel_prep.h"
#include "vm/machine.h"
#include "vm/vm_error.h"

namespace mpdrill::vm {

struct VmRequest {
  KernelRequest kernel;  // work_dir is set by RunVm
  AccelMode accel = AccelMode::kAuto;
  std::string qemu = "qemu-system-x86_64";
  int cpus = 2;
  int memory_mib = 2048;
  std::vector<std::string> append;  // more kernel command-line words
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  std::chrono::milliseconds boot_timeout{std::chrono::seconds(180)};
  std::chrono::milliseconds watchdog{std::chrono::seconds(30)};
  std::vector<std::string> argv;  // the guest command (a path or a name in the guest's PATH)
  std::string cwd;                // absolute; shared read-write
  std::vector<std::string> rw_dirs;  // more read-write directories (absolute)
  std::vector<std::pair<std::string, std::string>> env;
  bool need_mptcp = true;
  bool need_tun = true;
  GuestNics nics;  // --tap (needs a private network namespace), --control-port
  std::string console_copy;  // keep the console log here ("" = not kept)
  int signal_fd = -1;
  std::function<void(std::string_view)> on_stdout, on_stderr;
  std::function<void(const std::string&)> on_status;  // one-line progress for the user
};

struct VmReport {
  PreparedKernel kernel;
  AccelChoice accel;
  MachineOutcome outcome;
};

VmResult<VmReport> RunVm(const VmRequest& request);

// Directories the guest cannot have shared read-write (the root, /proc, /sys, /dev) are
// refused; returns the message or "".
std::string CheckRwDir(const std::string& dir);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_SESSION_H_
