#include "sandbox/rtnl.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace mpdrill::sandbox::rtnl {
namespace {

constexpr std::size_t kBufferSize = 512;

// One request: the netlink header, the family struct, then attributes, each appended with
// its bounds checked against the fixed buffer.
class Request {
 public:
  Request(std::uint16_t type, std::uint16_t flags) {
    header()->nlmsg_len = NLMSG_LENGTH(0);
    header()->nlmsg_type = type;
    header()->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    header()->nlmsg_seq = 1;
  }
  template <typename T>
  T* Body() {
    if (header()->nlmsg_len == NLMSG_LENGTH(0)) header()->nlmsg_len = NLMSG_LENGTH(sizeof(T));
    return reinterpret_cast<T*>(NLMSG_DATA(header()));
  }
  bool Attr(std::uint16_t type, const void* data, std::size_t size) {
    const std::size_t at = NLMSG_ALIGN(header()->nlmsg_len);
    const std::size_t len = RTA_LENGTH(size);
    if (at + RTA_ALIGN(len) > buf_.size()) return false;
    auto* rta = reinterpret_cast<rtattr*>(buf_.data() + at);
    rta->rta_type = type;
    rta->rta_len = static_cast<unsigned short>(len);
    std::memcpy(RTA_DATA(rta), data, size);
    header()->nlmsg_len = static_cast<std::uint32_t>(at + RTA_ALIGN(len));
    return true;
  }
  const std::uint8_t* data() const { return buf_.data(); }
  std::size_t size() { return header()->nlmsg_len; }

 private:
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  alignas(nlmsghdr) std::array<std::uint8_t, kBufferSize> buf_{};
};

SandboxError Fail(const std::string& what, int err) { return ErrnoError(what, err); }

// Sends the request and waits for the kernel's acknowledgement (an error message with 0, or
// the errno).
SandboxStatus Transact(Request& req, const std::string& what) {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Unexpected{Fail(what + ": netlink socket", errno)};
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0) {
    const int err = errno;
    close(fd);
    return Unexpected{Fail(what + ": netlink send", err)};
  }
  alignas(nlmsghdr) std::array<std::uint8_t, 4096> reply{};
  ssize_t n;
  do {
    n = recv(fd, reply.data(), reply.size(), 0);
  } while (n < 0 && errno == EINTR);
  const int recv_err = errno;
  close(fd);
  if (n < 0) return Unexpected{Fail(what + ": netlink receive", recv_err)};
  const auto* h = reinterpret_cast<const nlmsghdr*>(reply.data());
  if (!NLMSG_OK(h, static_cast<unsigned>(n)) || h->nlmsg_type != NLMSG_ERROR ||
      h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
    return Unexpected{SandboxError{SandboxErrorCode::kSyscall, what + ": unexpected netlink reply"}};
  }
  const auto* e = reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(h));
  if (e->error != 0) return Unexpected{Fail(what, -e->error)};
  return Ok{};
}

struct Address {
  int family = AF_UNSPEC;
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size() const { return family == AF_INET ? 4 : 16; }
};

bool ParseAddress(const std::string& text, Address* out) {
  if (inet_pton(AF_INET, text.c_str(), out->bytes.data()) == 1) {
    out->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out->bytes.data()) == 1) {
    out->family = AF_INET6;
    return true;
  }
  return false;
}

SandboxResult<int> IfIndex(const std::string& name) {
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return Unexpected{Fail("no interface " + name, errno)};
  return static_cast<int>(index);
}

SandboxError BadAddress(const std::string& text) {
  return SandboxError{SandboxErrorCode::kInvalidArgument, "not an IP address: " + text};
}

}  // namespace

namespace {

// An RTM_NEWLINK request changing device `name`, its ifinfomsg filled in.
SandboxStatus NewLinkRequest(const std::string& name, Request* req, ifinfomsg** ifi) {
  auto index = IfIndex(name);
  if (!index) return Unexpected{index.error()};
  *ifi = req->Body<ifinfomsg>();
  (*ifi)->ifi_family = AF_UNSPEC;
  (*ifi)->ifi_index = *index;
  return Ok{};
}

}  // namespace

SandboxStatus LinkUp(const std::string& name, int mtu) {
  Request req(RTM_NEWLINK, 0);
  ifinfomsg* ifi = nullptr;
  if (auto s = NewLinkRequest(name, &req, &ifi); !s) return s;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  const std::uint32_t m = static_cast<std::uint32_t>(mtu);
  if (mtu > 0 && !req.Attr(IFLA_MTU, &m, sizeof(m))) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "netlink request too long"}};
  }
  return Transact(req, "link " + name + " up");
}

SandboxStatus MoveLink(const std::string& name, int netns_fd) {
  Request req(RTM_NEWLINK, 0);
  ifinfomsg* ifi = nullptr;
  if (auto s = NewLinkRequest(name, &req, &ifi); !s) return s;
  const std::uint32_t fd = static_cast<std::uint32_t>(netns_fd);
  if (!req.Attr(IFLA_NET_NS_FD, &fd, sizeof(fd))) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "netlink request too long"}};
  }
  return Transact(req, "moving link " + name + " to another namespace");
}

SandboxStatus AddAddress(const std::string& name, const std::string& address, int prefix_len,
                         bool nodad) {
  Address a;
  if (!ParseAddress(address, &a)) return Unexpected{BadAddress(address)};
  auto index = IfIndex(name);
  if (!index) return Unexpected{index.error()};
  Request req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = req.Body<ifaddrmsg>();
  ifa->ifa_family = static_cast<std::uint8_t>(a.family);
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(prefix_len);
  ifa->ifa_index = static_cast<std::uint32_t>(*index);
  ifa->ifa_flags = nodad ? IFA_F_NODAD : 0;
  const std::uint32_t flags = nodad ? IFA_F_NODAD : 0;
  if (!req.Attr(IFA_LOCAL, a.bytes.data(), a.size()) ||
      !req.Attr(IFA_ADDRESS, a.bytes.data(), a.size()) ||
      !req.Attr(IFA_FLAGS, &flags, sizeof(flags))) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "address request too long"}};
  }
  return Transact(req, "address " + address + "/" + std::to_string(prefix_len) + " on " + name);
}

SandboxStatus AddRoute(const std::string& name, const std::string& prefix, int prefix_len,
                       const std::string& gateway) {
  Address dst, via;
  if (!ParseAddress(prefix, &dst)) return Unexpected{BadAddress(prefix)};
  if (!ParseAddress(gateway, &via) || via.family != dst.family) return Unexpected{BadAddress(gateway)};
  auto index = IfIndex(name);
  if (!index) return Unexpected{index.error()};
  Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  auto* rtm = req.Body<rtmsg>();
  rtm->rtm_family = static_cast<std::uint8_t>(dst.family);
  rtm->rtm_dst_len = static_cast<std::uint8_t>(prefix_len);
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  const std::uint32_t oif = static_cast<std::uint32_t>(*index);
  if ((prefix_len > 0 && !req.Attr(RTA_DST, dst.bytes.data(), dst.size())) ||
      !req.Attr(RTA_GATEWAY, via.bytes.data(), via.size()) ||
      !req.Attr(RTA_OIF, &oif, sizeof(oif))) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "route request too long"}};
  }
  return Transact(req, "route " + prefix + "/" + std::to_string(prefix_len) + " via " + gateway +
                           " dev " + name);
}

}  // namespace mpdrill::sandbox::rtnl
