// One guest from start to end: starts qemu (its own process group, killed with mpdrill by
// PR_SET_PDEATHSIG), streams the command's output from the control directory as it grows,
// scans the console, and ends the guest — by PID — on a signal, a timeout, or a watchdog:
// no guest heartbeat for `watchdog` once it is up (a hung kernel), or no boot within
// `boot_timeout`. Says how the guest ended; leaves no process behind.
#ifndef MPDRILL_VM_MACHINE_H_
#define MPDRILL_VM_MACHINE_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "vm/console_scan.h"
#include "vm/qemu.h"
#include "vm/vm_error.h"

namespace mpdrill::vm {

enum class Ending {
  kExited,       // the command ran and the guest wrote its exit code
  kSetupError,   // the guest's init failed (message from /ctl/error or the console), or
                 // the host end of its tap could not be brought up
  kKernelLacks,  // the guest found a needed feature missing (MPTCP, TUN)
  kPanic,        // kernel panic (console), qemu ended
  kHang,         // watchdog: no heartbeat (or no boot) in time; qemu killed
  kTimeout,      // --timeout passed with the guest alive; qemu killed
  kInterrupted,  // SIGINT/SIGTERM; qemu killed
  kVanished,     // qemu ended with none of the above (a crash of qemu, a reboot)
};

const char* EndingName(Ending ending);

struct MachineRun {
  QemuConfig qemu;
  std::filesystem::path ctl_dir;  // shared as kTagCtl, holds guest.sh
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  std::chrono::milliseconds boot_timeout{std::chrono::seconds(180)};
  std::chrono::milliseconds watchdog{std::chrono::seconds(30)};
  std::string tap;     // qemu's tap: brought up on the host once it exists ("" = none)
  int signal_fd = -1;  // signalfd for SIGINT/SIGTERM, or -1
  std::function<void(std::string_view)> on_stdout, on_stderr;  // streamed command output
  std::function<void(double boot_seconds, const std::string& ready)> on_ready;
};

struct MachineOutcome {
  Ending ending = Ending::kVanished;
  int exit_code = -1;        // kExited: the command's
  std::string ready;         // "<uname -r> <uptime> <idle>" as the guest wrote it
  std::string message;       // set-up error / lacking feature / qemu's stderr
  double boot_seconds = 0;   // host wall time to the guest's ready
  double seconds = 0;        // host wall time of the whole guest
  int qemu_status = -1;      // qemu's exit code (128 + N for signal N)
  ConsoleScanner console;
};

// kQemu / kMissingTool when qemu cannot be started at all; any guest ending is an outcome.
VmResult<MachineOutcome> RunMachine(const MachineRun& run);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_MACHINE_H_
