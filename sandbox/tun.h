// A TUN device (IFF_TUN | IFF_NO_PI: raw IPv4/IPv6 packets, no link header) opened in the
// calling thread's network namespace. Refuses to open in `forbidden_netns` (the host's
// namespace, as seen by the caller before it unshared): a TUN must only ever exist inside a
// namespace the caller made itself.
#ifndef MPDRILL_SANDBOX_TUN_H_
#define MPDRILL_SANDBOX_TUN_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sandbox/sandbox_error.h"

namespace mpdrill::sandbox {

class TunDevice {
 public:
  // Creates device `name` (e.g. "tun0"), sets its MTU and brings it up. kHostNamespace if the
  // calling thread is in `forbidden_netns`; kPermission without CAP_NET_ADMIN; kSyscall when
  // /dev/net/tun is missing or the name is taken. With `gso` the device carries a virtio-net
  // header (IFF_VNET_HDR, as packetdrill's), so Write can inject a TCP packet as one GSO
  // packet of a given segment size; Read strips the header.
  static SandboxResult<TunDevice> Open(const std::string& name, int mtu, ino_t forbidden_netns,
                                       bool gso = false);

  TunDevice(TunDevice&& other) noexcept;
  TunDevice& operator=(TunDevice&& other) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();  // closes the descriptor: the kernel deletes the (non-persistent) device

  const std::string& name() const { return name_; }
  int fd() const { return fd_; }
  int ifindex() const { return ifindex_; }

  // Writes one IP packet: the kernel receives it as if from the wire. A non-zero `gso_size`
  // (a device opened with `gso` only) makes a TCP packet one GSO packet of that segment size.
  SandboxStatus Write(std::span<const std::uint8_t> packet, std::uint16_t gso_size = 0);
  // Reads one packet the kernel sent out of the device, waiting at most `timeout`;
  // nullopt on timeout.
  SandboxResult<std::optional<std::vector<std::uint8_t>>> Read(std::chrono::microseconds timeout);

 private:
  TunDevice(int fd, std::string name, int ifindex)
      : fd_(fd), name_(std::move(name)), ifindex_(ifindex) {}
  std::vector<std::uint8_t> Packet(std::vector<std::uint8_t> buf, ssize_t n) const;
  int fd_ = -1;
  std::string name_;
  int ifindex_ = 0;
  bool vnet_hdr_ = false;
};

// Whether /dev/net/tun can be opened at all (for skipping tests / exit code 3).
bool TunAvailable();

}  // namespace mpdrill::sandbox

#endif  // MPDRILL_SANDBOX_TUN_H_
