// UDP datagrams and ICMP/ICMPv6 messages of `mpdrill run` on the wire (packetdrill's
// run_packet.c semantics): inbound UDP datagrams built with a zero-filled payload like
// packetdrill's, and sniffed UDP / ICMP packets read back for matching -- bounds-checked
// (ByteReader), never past the packet, no state.
#ifndef MPDRILL_ENGINE_RUN_DATAGRAM_H_
#define MPDRILL_ENGINE_RUN_DATAGRAM_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/capture/dissect.h"
#include "parser/ast.h"

namespace mpdrill::run {

struct WireUdp {
  capture::IpAddress src, dst;
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t payload_length = 0;  // zero bytes
  parser::IpInfo ip;                 // tos / ecn / ttl / flowlabel
};

// Bytes of the IP packet, the UDP checksum over the pseudo-header filled in (RFC 768: a
// computed 0 is sent as 0xffff). Error when the packet would pass 65535 bytes.
Result<std::vector<std::uint8_t>, std::string> BuildUdpPacket(const WireUdp& udp);

enum class DatagramKind : std::uint8_t { kUdp, kIcmp };

// A sniffed UDP datagram or ICMP/ICMPv6 message.
struct LiveDatagram {
  DatagramKind kind = DatagramKind::kUdp;
  capture::IpAddress src, dst;
  std::uint8_t tos = 0, ttl = 0;
  // UDP: the ports and the payload length (UDP length - 8).
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t payload_length = 0;
  // ICMP: type and code; for an error message, the quoted packet's protocol (0: none quoted)
  // and, when it quotes UDP, that datagram's ports and payload length as its header says.
  std::uint8_t icmp_type = 0, icmp_code = 0;
  std::uint8_t quoted_protocol = 0;
  std::uint16_t quoted_sport = 0, quoted_dport = 0;
  std::uint32_t quoted_payload_length = 0;
  std::int64_t time = 0;  // usecs since the run's time 0
};

// A sniffed IP packet carrying UDP, ICMP (IPv4) or ICMPv6 (no extension headers), or nullopt
// (TCP, anything else, malformed, a later fragment).
std::optional<LiveDatagram> ParseLiveDatagram(std::span<const std::uint8_t> ip_packet,
                                              std::int64_t time);

// ICMPv6 neighbour discovery and multicast listener messages (RFC 4861, RFC 2710/3810): the
// kernel sends them on its own on tun0; they are never the script's packet unless it names
// their type.
bool IsIcmpv6Housekeeping(std::uint8_t type);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_DATAGRAM_H_
