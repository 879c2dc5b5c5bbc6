// The guest's network interfaces (docs/vm.md "Networking"), host side:
// - the test NIC: a tap device qemu creates (non-persistent: it vanishes with qemu) in the
//   network namespace `mpdrill vm` runs in, which must not be the host's initial one (the
//   project never puts anything there); the guest's eth0;
// - the control NIC: qemu user networking (libslirp) with restrict=on and one forwarded TCP
//   port from 127.0.0.1 to the guest's 10.0.2.15; the guest's eth1.
// What to validate before booting, and the host end of the tap brought up once qemu made it.
#ifndef MPDRILL_VM_NET_H_
#define MPDRILL_VM_NET_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "vm/vm_error.h"

namespace mpdrill::vm {

// Locally administered unicast MACs (the 52:54:00 prefix qemu uses, "mp" then 01/02).
inline constexpr std::string_view kDefaultTapMac = "52:54:00:6d:70:01";
inline constexpr std::string_view kControlMac = "52:54:00:6d:70:02";
// qemu user networking's default guest address and network.
inline constexpr std::string_view kControlGuestAddress = "10.0.2.15";
inline constexpr int kControlPrefixLen = 24;
// The guest's names for the two NICs.
inline constexpr std::string_view kGuestTapIf = "eth0";
inline constexpr std::string_view kGuestControlIf = "eth1";
// The module a NIC needs in the guest (its dependencies follow from .modinfo).
inline constexpr std::string_view kNicModule = "virtio_net";

struct GuestNics {
  std::string tap;          // "" = no test NIC
  std::string tap_mac = std::string(kDefaultTapMac);
  int control_port = 0;     // 0 = no control NIC
  bool any() const { return !tap.empty() || control_port != 0; }
};

// "52:54:00:6D:70:01" -> "52:54:00:6d:70:01"; nullopt unless six hex pairs separated by ':'
// forming a unicast address (a NIC cannot have a multicast MAC).
std::optional<std::string> NormalizeMac(std::string_view text);

// "" when `name` is a valid interface name (1..15 bytes, not "." or "..", no '/', ':',
// ',' or white space), else why not.
std::string CheckIfName(std::string_view name);

// The inode of the host's initial network namespace: /proc/1/ns/net's, else (PID 1 not
// readable, as in some containers) kthreadd's, /proc/2/ns/net (kernel threads always live
// in the initial namespace); nullopt when neither can be read.
std::optional<ino_t> InitialNetnsInode();

// Ok when the calling thread's network namespace (/proc/thread-self/ns/net) is not the
// host's initial one: it belongs to a user namespace other than the initial one, or its
// inode differs from InitialNetnsInode(); kNetwork otherwise, or when it cannot tell. `why` says what needs the
// private namespace, for the message.
VmStatus CheckPrivateNetns(std::string_view why);

// Whether a network device of that name exists in the calling thread's namespace.
bool NetDeviceExists(const std::string& name);

// The host end of the tap qemu created: IPv6 off on it (this namespace's kernel sends no
// DAD, router solicitation or MLD into the guest) and up, with no address. Only after
// CheckPrivateNetns.
VmStatus TapHostUp(const std::string& name);

// `ip link set lo up` when lo is down in a private namespace (`unshare -n` leaves it down and
// qemu's forwarded port binds 127.0.0.1); nothing in the initial namespace.
VmStatus LoopbackUpIfPrivate();

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_NET_H_
