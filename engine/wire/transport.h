// The runner's link to the machine under test, with its link layer explicit:
//   kIp       TUN (tun0 in the run's namespace): each unit is one IP packet;
//   kEthernet wire (--target=wire:IFACE): each unit is one Ethernet II frame, injected with
//             pcap_inject and sniffed through a BPF filter compiled by libpcap.
// A Transport only moves units; addressing (ARP, neighbour discovery, the target's MAC) is
// LinkPacketIo's job (link_packet_io.h), which turns either kind into the IP packets the runner
// speaks.
#ifndef MPDRILL_ENGINE_WIRE_TRANSPORT_H_
#define MPDRILL_ENGINE_WIRE_TRANSPORT_H_

#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/wire/ethernet.h"
#include "sandbox/tun.h"

namespace mpdrill::wire {

enum class LinkLayer : std::uint8_t {
  kIp,        // raw IPv4/IPv6 packets (TUN, IFF_NO_PI)
  kEthernet,  // Ethernet II frames (a veth, a tap, a NIC through libpcap)
};
std::string_view LinkLayerName(LinkLayer layer);  // "ip" / "ethernet"

class Transport {
 public:
  virtual ~Transport() = default;
  virtual LinkLayer link_layer() const = 0;
  virtual std::string_view device() const = 0;
  // Puts one unit (a frame or an IP packet, per link_layer()) on the device.
  virtual Status<std::string> Send(std::span<const std::uint8_t> unit) = 0;
  // The next unit from the device, waiting at most `timeout`; nullopt on timeout.
  virtual Result<std::optional<std::vector<std::uint8_t>>, std::string> Receive(
      std::chrono::microseconds timeout) = 0;
  // A descriptor that polls readable when a unit may be waiting (a reader thread waits on it
  // without holding the wire lock).
  virtual int selectable_fd() const = 0;
};

// TUN: IP packets (owns the device).
class TunTransport final : public Transport {
 public:
  explicit TunTransport(sandbox::TunDevice tun) : tun_(std::move(tun)) {}
  LinkLayer link_layer() const override { return LinkLayer::kIp; }
  std::string_view device() const override { return tun_.name(); }
  int selectable_fd() const override { return tun_.fd(); }
  Status<std::string> Send(std::span<const std::uint8_t> unit) override;
  Result<std::optional<std::vector<std::uint8_t>>, std::string> Receive(
      std::chrono::microseconds timeout) override;

 private:
  sandbox::TunDevice tun_;
};

// An Ethernet device through libpcap, opened in the calling thread's network namespace.
// Sniffs only frames coming in (PCAP_D_IN: never its own injections) that are ARP, IPv4 or
// IPv6 and addressed to the device's MAC, broadcast or multicast (the BPF filter). Frames are
// taken as the device hands them: with offloads on at the sender, a TCP segment may be
// larger than the MTU (coalesced) and its checksum partial; nothing here verifies checksums.
class PcapTransport final : public Transport {
 public:
  static Result<std::unique_ptr<PcapTransport>, std::string> Open(const std::string& device);
  ~PcapTransport() override;
  LinkLayer link_layer() const override { return LinkLayer::kEthernet; }
  std::string_view device() const override { return device_; }
  // The device's own MAC (SIOCGIFHWADDR), the source of every frame sent.
  const MacAddress& mac() const { return mac_; }
  const std::string& filter() const { return filter_; }
  int selectable_fd() const override { return pcap_get_selectable_fd(pcap_); }
  Status<std::string> Send(std::span<const std::uint8_t> unit) override;
  Result<std::optional<std::vector<std::uint8_t>>, std::string> Receive(
      std::chrono::microseconds timeout) override;

 private:
  PcapTransport(pcap_t* pcap, std::string device, MacAddress mac, std::string filter)
      : pcap_(pcap), device_(std::move(device)), mac_(mac), filter_(std::move(filter)) {}
  pcap_t* pcap_;
  std::string device_;
  MacAddress mac_;
  std::string filter_;
};

// The MAC of `device` in the calling thread's network namespace.
Result<MacAddress, std::string> DeviceMac(const std::string& device);

}  // namespace mpdrill::wire

#endif  // MPDRILL_ENGINE_WIRE_TRANSPORT_H_
