// Ethernet framing and neighbour resolution of a wire run: mpdrill's side of the link answers
// ARP (IPv4) and neighbour solicitations (IPv6) for its own addresses — the script's remote
// address and every extra one (caddrN) — and learns the target's MAC from what it sends.
// Received frames are parsed through base's ByteReader (errors name the byte offset); ARP and
// IP framing are written with ByteWriter, ICMPv6 neighbour messages built by libtins (which
// computes their checksum).
#ifndef MPDRILL_ENGINE_WIRE_ETHERNET_H_
#define MPDRILL_ENGINE_WIRE_ETHERNET_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "engine/capture/dissect.h"

namespace mpdrill::wire {

using MacAddress = std::array<std::uint8_t, 6>;
inline constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
std::string MacToString(const MacAddress& mac);  // "02:00:00:00:00:01"

inline constexpr std::uint16_t kEtherIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherArp = 0x0806;
inline constexpr std::uint16_t kEtherIpv6 = 0x86dd;
inline constexpr std::size_t kEthernetHeader = 14;

struct EthernetFrame {
  MacAddress dst{}, src{};
  std::uint16_t type = 0;
  Bytes payload;  // into the frame
};
// Error "byte N: ..." on a frame too short or with a VLAN tag (not supported).
Result<EthernetFrame, std::string> ParseEthernet(Bytes frame);
// dst ‖ src ‖ type (from the IP version nibble) ‖ packet. Error if not IPv4/IPv6.
Result<std::vector<std::uint8_t>, std::string> FrameIp(const MacAddress& dst, const MacAddress& src,
                                                       Bytes ip_packet);

struct ArpMessage {
  std::uint16_t op = 0;  // 1 request, 2 reply
  MacAddress sender_mac{};
  std::array<std::uint8_t, 4> sender_ip{};
  MacAddress target_mac{};
  std::array<std::uint8_t, 4> target_ip{};
};
inline constexpr std::uint16_t kArpRequest = 1;
inline constexpr std::uint16_t kArpReply = 2;
// Ethernet/IPv4 ARP only; offsets in errors count from the ARP header.
Result<ArpMessage, std::string> ParseArp(Bytes payload);
// The whole frame (broadcast for a request, to target_mac for a reply).
std::vector<std::uint8_t> BuildArpFrame(const ArpMessage& m);

struct NeighbourMessage {
  std::uint8_t type = 0;  // 135 solicitation, 136 advertisement
  std::array<std::uint8_t, 16> ip_src{};
  std::array<std::uint8_t, 16> target{};
  std::optional<MacAddress> link_address;  // source (NS) / target (NA) link-layer option
};
inline constexpr std::uint8_t kNeighbourSolicit = 135;
inline constexpr std::uint8_t kNeighbourAdvert = 136;
// nullopt for an IPv6 packet that is not an NS/NA (no extension headers are walked).
Result<std::optional<NeighbourMessage>, std::string> ParseNeighbour(Bytes ipv6_packet);
// A solicited advertisement for `target` (ours) to the soliciting host, as a whole frame.
std::vector<std::uint8_t> BuildNeighbourAdvert(const MacAddress& own_mac,
                                               const std::array<std::uint8_t, 16>& target,
                                               const MacAddress& dst_mac,
                                               const std::array<std::uint8_t, 16>& dst_ip);
// A solicitation for `target` from `source` (ours), to its solicited-node multicast group.
std::vector<std::uint8_t> BuildNeighbourSolicit(const MacAddress& own_mac,
                                                const std::array<std::uint8_t, 16>& source,
                                                const std::array<std::uint8_t, 16>& target);

// What to do with one received frame.
struct FrameAction {
  std::optional<std::vector<std::uint8_t>> reply;      // inject this (ARP reply, NA)
  std::optional<std::vector<std::uint8_t>> ip_packet;  // an IP packet for the runner
  std::optional<std::string> skipped;                  // why the frame was dropped (verbose)
};

// mpdrill's addresses on the link and what it learned of the other hosts. Not thread-safe:
// LinkPacketIo calls it under its lock.
class Neighbours {
 public:
  explicit Neighbours(MacAddress own_mac) : own_mac_(own_mac) {}
  const MacAddress& own_mac() const { return own_mac_; }
  void AddOwnAddress(const capture::IpAddress& address);
  bool IsOwn(const capture::IpAddress& address) const;
  // Answers ARP / NS for our addresses, learns senders' MACs, passes IP packets for our MAC
  // (or broadcast/multicast) through. Never fails: a frame it cannot parse is skipped.
  FrameAction OnFrame(Bytes frame);
  std::optional<MacAddress> MacOf(const capture::IpAddress& address) const;
  // The MAC the last IP packet or neighbour message came from (the target, on a point-to-point
  // link), if any.
  std::optional<MacAddress> last_peer() const { return last_peer_; }
  // An ARP request / NS from `source` (ours) asking for `target`'s MAC.
  std::vector<std::uint8_t> Solicit(const capture::IpAddress& source,
                                    const capture::IpAddress& target) const;
  void Learn(const capture::IpAddress& address, const MacAddress& mac);

 private:
  MacAddress own_mac_;
  std::vector<capture::IpAddress> own_;
  std::map<std::array<std::uint8_t, 17>, MacAddress> learned_;  // version ‖ bytes
  std::optional<MacAddress> last_peer_;
};

// The source and destination of an IPv4/IPv6 packet (nullopt if it is neither or too short).
std::optional<std::pair<capture::IpAddress, capture::IpAddress>> IpEndpoints(Bytes ip_packet);

}  // namespace mpdrill::wire

#endif  // MPDRILL_ENGINE_WIRE_ETHERNET_H_
