// The UDP side of a run and the kernel's ICMP messages, with packetdrill's semantics
// (run_packet.c): the script's UDP datagrams belong to one association between the kernel's
// address and port and the script's. Unless the script writes ports, it is the one the
// syscalls' `...` addresses name -- the kernel's local_ip:bind_port and the script's
// remote_ip:connect_port -- the kernel's port learned from its first datagram (a connected
// socket's ephemeral port), as packetdrill learns it after connect(). Inbound datagrams are
// built with a zero-filled payload; outbound ones are matched on ports and payload length;
// outbound ICMP / ICMPv6 messages on type and code (and, when the script quotes `[udp (N)]`,
// the quoted datagram's length).
#ifndef MPDRILL_ENGINE_RUN_LIVE_DATAGRAM_H_
#define MPDRILL_ENGINE_RUN_LIVE_DATAGRAM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/run/datagram.h"
#include "engine/run/live_packet.h"
#include "engine/run/run_config.h"
#include "parser/ast.h"

namespace mpdrill::run {

class DatagramTable {
 public:
  explicit DatagramTable(const RunConfig& config);

  // The bytes of an inbound `udp (N)` script packet, or of an inbound ICMP message quoting
  // the kernel's datagram (`icmp unreachable port_unreachable [udp (N)]`).
  Result<std::vector<std::uint8_t>, PacketError> BuildInbound(const parser::Packet& packet);
  // Whether an inbound script packet is this table's (else the TCP flow table's).
  static bool Owns(const parser::Packet& packet);
  // Whether a sniffed datagram can be the script's outbound UDP / ICMP packet at all (others
  // are skipped while waiting, as packetdrill skips packets of no socket it follows).
  bool Expected(const parser::Packet& packet, const LiveDatagram& live) const;
  // Mismatches, each "<field>: expected: X actual: Y"; empty if it matches. Learns the
  // kernel's port from its first datagram.
  Result<std::vector<std::string>, PacketError> MatchOutbound(const parser::Packet& packet,
                                                              const LiveDatagram& live);
  // The sniffed datagram in script syntax.
  std::string FormatLive(const LiveDatagram& live) const;

 private:
  struct Ends {
    capture::IpAddress local, remote;
    std::uint16_t local_port = 0, remote_port = 0;
  };
  // The association with what the script's packet writes (`[addr:]port > [addr:]port`).
  Result<Ends, PacketError> Resolve(const parser::Packet& packet) const;
  void MatchUdp(const parser::Packet& packet, const Ends& ends, const LiveDatagram& live,
                std::vector<std::string>* out);
  Status<PacketError> MatchIcmp(const parser::IcmpMessage& icmp, const LiveDatagram& live,
                                std::vector<std::string>* out) const;

  const RunConfig& config_;
  capture::IpAddress local_, remote_;
  std::optional<std::uint16_t> local_port_;  // learned from the kernel's first datagram
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_LIVE_DATAGRAM_H_
