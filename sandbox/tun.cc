#include "sandbox/tun.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "sandbox/netns.h"

namespace mpdrill::sandbox {
namespace {

constexpr std::size_t kVnetHdrLen = 10;  // sizeof(struct virtio_net_hdr)

constexpr std::size_t kMaxPacket = 65536;

// ifreq-based ioctl on a throwaway datagram socket of the current namespace.
SandboxStatus IfIoctl(unsigned long request, ifreq* ifr, const char* what) {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return MakeUnexpected(ErrnoError("socket for interface ioctl", errno));
  const int rc = ioctl(s, request, ifr);
  const int err = errno;
  close(s);
  if (rc < 0) return MakeUnexpected(ErrnoError(what, err));
  return Ok{};
}

}  // namespace

bool TunAvailable() {
  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}

SandboxResult<TunDevice> TunDevice::Open(const std::string& name, int mtu,
                                         ino_t forbidden_netns, bool gso) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return MakeUnexpected(SandboxError{SandboxErrorCode::kInvalidArgument, "bad TUN name '" + name + "'"});
  }
  auto here = CurrentNetnsInode();
  if (!here) return MakeUnexpected(here.error());
  if (*here == forbidden_netns) {
    return MakeUnexpected(SandboxError{SandboxErrorCode::kHostNamespace,
                                 "refusing to create " + name + " in the starting network namespace"});
  }
  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return MakeUnexpected(ErrnoError("open /dev/net/tun", errno));
  ifreq ifr{};
  ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (gso ? IFF_VNET_HDR : 0));
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int err = errno;
    close(fd);
    return MakeUnexpected(ErrnoError("TUNSETIFF " + name, err));
  }
  TunDevice dev(fd, name, 0);
  dev.vnet_hdr_ = gso;
  ifreq q{};
  std::memcpy(q.ifr_name, name.data(), name.size());
  q.ifr_mtu = mtu;
  if (auto s = IfIoctl(SIOCSIFMTU, &q, "SIOCSIFMTU"); !s) return MakeUnexpected(s.error());
  if (auto s = IfIoctl(SIOCGIFFLAGS, &q, "SIOCGIFFLAGS"); !s) return MakeUnexpected(s.error());
  q.ifr_flags = static_cast<short>(q.ifr_flags | IFF_UP | IFF_RUNNING);
  if (auto s = IfIoctl(SIOCSIFFLAGS, &q, "SIOCSIFFLAGS up"); !s) return MakeUnexpected(s.error());
  if (auto s = IfIoctl(SIOCGIFINDEX, &q, "SIOCGIFINDEX"); !s) return MakeUnexpected(s.error());
  dev.ifindex_ = q.ifr_ifindex;
  return dev;
}

TunDevice::TunDevice(TunDevice&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      ifindex_(other.ifindex_),
      vnet_hdr_(other.vnet_hdr_) {}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    ifindex_ = other.ifindex_;
    vnet_hdr_ = other.vnet_hdr_;
  }
  return *this;
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) close(fd_);
}

SandboxStatus TunDevice::Write(std::span<const std::uint8_t> packet, std::uint16_t gso_size) {
  if (gso_size != 0 && !vnet_hdr_) {
    return MakeUnexpected(SandboxError{SandboxErrorCode::kInvalidArgument,
                                       name_ + " was not opened for GSO writes"});
  }
  // struct virtio_net_hdr (linux/virtio_net.h, not C++-clean): u8 flags, u8 gso_type,
  // u16 hdr_len, u16 gso_size, u16 csum_start, u16 csum_offset, in native byte order.
  // packetdrill fills only the type (TCPV4 1, TCPV6 4) and the size.
  std::array<std::uint8_t, kVnetHdrLen> hdr{};
  if (gso_size != 0) {
    const bool v6 = !packet.empty() && (packet[0] >> 4) == 6;
    hdr[1] = v6 ? 4 : 1;
    std::memcpy(hdr.data() + 4, &gso_size, sizeof(gso_size));
  }
  iovec iov[2] = {{hdr.data(), hdr.size()},
                  {const_cast<std::uint8_t*>(packet.data()), packet.size()}};
  const std::size_t want = packet.size() + (vnet_hdr_ ? sizeof(hdr) : 0);
  const ssize_t n = vnet_hdr_ ? writev(fd_, iov, 2) : write(fd_, packet.data(), packet.size());
  if (n < 0) return MakeUnexpected(ErrnoError("write to " + name_, errno));
  if (static_cast<std::size_t>(n) != want) {
    return MakeUnexpected(SandboxError{SandboxErrorCode::kSyscall, "short write to " + name_});
  }
  return Ok{};
}

SandboxResult<std::optional<std::vector<std::uint8_t>>> TunDevice::Read(
    std::chrono::microseconds timeout) {
  std::vector<std::uint8_t> buf(kMaxPacket);
  const ssize_t n0 = read(fd_, buf.data(), buf.size());
  if (n0 >= 0) return std::optional<std::vector<std::uint8_t>>(Packet(std::move(buf), n0));
  if (errno != EAGAIN && errno != EINTR) return MakeUnexpected(ErrnoError("read from " + name_, errno));
  pollfd p{fd_, POLLIN, 0};
  // ppoll: microseconds (live_fuzzer waits 500 µs for quiet; poll would make that 1 ms).
  const long long us = std::clamp<long long>(timeout.count(), 0, 60'000'000);
  const timespec ts{static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000) * 1000};
  const int rc = ppoll(&p, 1, &ts, nullptr);
  if (rc < 0 && errno != EINTR) return MakeUnexpected(ErrnoError("poll " + name_, errno));
  if (rc <= 0) return std::optional<std::vector<std::uint8_t>>();
  const ssize_t n = read(fd_, buf.data(), buf.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return std::optional<std::vector<std::uint8_t>>();
    return MakeUnexpected(ErrnoError("read from " + name_, errno));
  }
  return std::optional<std::vector<std::uint8_t>>(Packet(std::move(buf), n));
}

// The packet of a read of `n` bytes: after the virtio-net header, if the device has one.
std::vector<std::uint8_t> TunDevice::Packet(std::vector<std::uint8_t> buf, ssize_t n) const {
  buf.resize(static_cast<std::size_t>(n));
  const std::size_t skip = vnet_hdr_ ? std::min(buf.size(), kVnetHdrLen) : 0;
  buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(skip));
  return buf;
}

}  // namespace mpdrill::sandbox
