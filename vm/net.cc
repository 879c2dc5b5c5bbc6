#include "vm/net.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>

#include "base/files.h"
#include "sandbox/netns.h"
#include "sandbox/rtnl.h"

namespace mpdrill::vm {
namespace {

VmError NetError(std::string message) {
  return VmError{VmErrorCode::kNetwork, std::move(message)};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

// The initial user namespace's inode is fixed (PROC_USER_INIT_INO, since Linux 3.8).
constexpr ino_t kInitialUserNsInode = 0xEFFFFFFDu;

// Whether the calling thread's network namespace belongs to a user namespace other than the
// initial one (`unshare -rn`, a rootless container): then it is not the initial network
// namespace, which belongs to the initial user namespace.
bool OwnedByAnotherUserNamespace() {
  const int net = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (net < 0) return false;
  const int user = ioctl(net, NS_GET_USERNS);
  close(net);
  if (user < 0) return false;
  struct stat st {};
  const bool other = fstat(user, &st) == 0 && st.st_ino != kInitialUserNsInode;
  close(user);
  return other;
}

}  // namespace

std::optional<std::string> NormalizeMac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2) {
      if (text[i] != ':') return std::nullopt;
      out += ':';
      continue;
    }
    if (HexDigit(text[i]) < 0) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  }
  if (HexDigit(out[1]) & 1) return std::nullopt;  // the group bit: a multicast address
  return out;
}

std::string CheckIfName(std::string_view name) {
  if (name.empty()) return "an interface name cannot be empty";
  if (name.size() >= IFNAMSIZ) {
    return "'" + std::string(name) + "' is longer than " + std::to_string(IFNAMSIZ - 1) +
           " bytes (IFNAMSIZ)";
  }
  if (name == "." || name == "..") return "'" + std::string(name) + "' is not an interface name";
  for (char c : name) {
    if (c == '/' || c == ':' || c == ',' || std::isspace(static_cast<unsigned char>(c)) ||
        !std::isprint(static_cast<unsigned char>(c))) {
      return "'" + std::string(name) + "' holds a character an interface name cannot have ('" +
             std::string(1, c) + "')";
    }
  }
  return "";
}

std::optional<ino_t> InitialNetnsInode() {
  if (auto init = sandbox::NetnsInodeOfPid(1)) return *init;
  auto comm = ReadFile("/proc/2/comm", 64);
  if (comm && *comm == "kthreadd\n") {
    if (auto kthreadd = sandbox::NetnsInodeOfPid(2)) return *kthreadd;
  }
  return std::nullopt;
}

VmStatus CheckPrivateNetns(std::string_view why) {
  if (OwnedByAnotherUserNamespace()) return Ok{};
  auto here = sandbox::CurrentNetnsInode();
  const std::optional<ino_t> host = InitialNetnsInode();
  if (!here || !host) {
    return Unexpected{NetError(
        std::string(why) + " needs a private network namespace, and whether this is one cannot be "
        "told: " + (!here ? here.error().message
                          : "neither /proc/1/ns/net nor kthreadd's /proc/2/ns/net is readable"))};
  }
  if (*here == *host) {
    return Unexpected{NetError(
        std::string(why) + " refused in the host's network namespace (mpdrill puts nothing there): "
        "run mpdrill vm in a namespace of its own, e.g. `unshare -n mpdrill vm ...` or "
        "`ip netns exec NS mpdrill vm ...`")};
  }
  return Ok{};
}

bool NetDeviceExists(const std::string& name) { return if_nametoindex(name.c_str()) != 0; }

VmStatus TapHostUp(const std::string& name) {
  if (auto s = CheckPrivateNetns("bringing up tap " + name); !s) return s;
  // No IPv6 on the host end: the guest's eth0 sees only what the user sends.
  (void)WriteFile("/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6", "1");
  if (auto s = sandbox::rtnl::LinkUp(name); !s) {
    return Unexpected{VmError{VmErrorCode::kNetwork, "tap " + name + ": " + s.error().message}};
  }
  return Ok{};
}

VmStatus LoopbackUpIfPrivate() {
  if (!CheckPrivateNetns("")) return Ok{};
  if (auto s = sandbox::rtnl::LinkUp("lo"); !s) {
    return Unexpected{VmError{VmErrorCode::kNetwork, "lo: " + s.error().message}};
  }
  return Ok{};
}

}  // namespace mpdrill::vm
