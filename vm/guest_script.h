// The shell the guest runs, generated on the host. Two parts:
// - /init in the initramfs (the same for every boot of a kernel, so it is cached): mounts
//   proc/sys/dev, loads the modules in order, mounts the control directory and the host root
//   over virtio-9p, then runs /ctl/guest.sh.
// - /ctl/guest.sh (one per invocation): the writable mounts, the feature checks, the
//   heartbeat, and the command run chrooted in the host root with its output in /ctl.
// A set-up failure is one line "mpdrill-vm: error: ..." on the console (and in /ctl/error
// once /ctl is mounted), then the guest reboots, which ends qemu (-no-reboot).
#ifndef MPDRILL_VM_GUEST_SCRIPT_H_
#define MPDRILL_VM_GUEST_SCRIPT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vm/net.h"

namespace mpdrill::vm {

// Files in the control directory shared with the guest (read-write).
inline constexpr std::string_view kCtlGuestScript = "guest.sh";
inline constexpr std::string_view kCtlStdout = "stdout";
inline constexpr std::string_view kCtlStderr = "stderr";
inline constexpr std::string_view kCtlExit = "exit";        // the command's exit code
inline constexpr std::string_view kCtlReady = "ready";      // "uname -r" and /proc/uptime
inline constexpr std::string_view kCtlHeartbeat = "heartbeat";
inline constexpr std::string_view kCtlError = "error";      // a set-up failure
inline constexpr std::string_view kCtlLacks = "lacks";      // a missing kernel feature
inline constexpr std::string_view kCtlTapUp = "tap-up";     // the host end of the tap is up

// The 9p mount tags.
inline constexpr std::string_view kTagHostRoot = "hostroot";
inline constexpr std::string_view kTagCtl = "mpdrillctl";

// Console prefix of a set-up failure.
inline constexpr std::string_view kGuestErrorPrefix = "mpdrill-vm: error: ";

std::string InitScript(const std::vector<std::string>& modules_in_order);

struct GuestShare {
  std::string tag;   // 9p mount tag
  std::string path;  // absolute; mounted at the same path in the guest
  bool readonly = false;
};

struct GuestPlan {
  std::vector<GuestShare> shares;  // mounted in order (parents first)
  std::string cwd;                // absolute; the command starts here
  std::vector<std::string> argv;  // argv[0] a path or a name looked up in PATH
  std::vector<std::pair<std::string, std::string>> env;
  bool need_mptcp = true;  // fail (kCtlLacks) when the kernel has no MPTCP
  bool need_tun = true;    // ... or no /dev/net/tun
  GuestNics nics;          // eth0 (tap), eth1 (control): up before the command runs
};

std::string GuestScript(const GuestPlan& plan);

// The part of the guest script that sets the NICs up (docs/vm.md "Networking"): each found
// by name and checked by MAC, eth0 up with no address and no IPv6 of its own (no
// link-local, no DAD, no router solicitation or autoconf: it sends nothing unasked), eth1
// 10.0.2.15/24 with IPv6 off; then, bounded, until both have carrier and are
// operationally up (their qdisc attached) and the host end of the tap is up.
std::string GuestNetScript(const GuestNics& nics);

// The script that only proves the guest came up (the KVM probe).
std::string ProbeScript();

// A word quoted for POSIX sh: 'it'\''s'.
std::string ShellQuote(std::string_view word);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_GUEST_SCRIPT_H_
