// The TCP side of a run: sniffed packets as the runner sees them, and the flow table that
// maps between the script's numbers and the kernel's (packetdrill's rules: inbound sequence
// numbers are the script's own; the kernel's sequence space is offset by the ISN it chose,
// learned from its SYN or SYN-ACK; inbound TS ecr values are mapped to the kernel's TS val
// that the script value stood for).
#ifndef MPDRILL_ENGINE_RUN_LIVE_PACKET_H_
#define MPDRILL_ENGINE_RUN_LIVE_PACKET_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/bind/binder.h"
#include "engine/capture/dissect.h"
#include "engine/run/run_config.h"
#include "engine/run/wire.h"
#include "parser/ast.h"

namespace mpdrill::run {

struct LivePacket {
  capture::IpAddress src, dst;
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t flags = 0;
  std::uint16_t window = 0;
  std::uint16_t urgent = 0;
  std::uint8_t tos = 0;  // IPv4 TOS / IPv6 traffic class (ECN in the low 2 bits)
  std::uint8_t ttl = 0;
  std::vector<std::uint8_t> options;  // the option area as sniffed
  LiveOptions decoded_options;        // `options` walked and decoded once, by ParseLive
  std::vector<std::uint8_t> payload;
  std::uint32_t payload_length = 0;
  std::int64_t time = 0;  // usecs since the run's time 0
};

// A sniffed IP packet carrying TCP, or nullopt (not TCP, malformed, later fragment).
std::optional<LivePacket> ParseLive(std::span<const std::uint8_t> ip_packet, std::int64_t time);

// Several sniffed segments as one (packetdrill's coalescing): the first's header and options
// (decoded as they were), every payload, the flags (but CWR) of the last, as packetdrill.
LivePacket Coalesce(const std::vector<LivePacket>& segments);

// "<field>: expected: X actual: Y", the form of every packet mismatch.
std::string Mismatch(const std::string& field, const std::string& expected,
                     const std::string& actual);
// The script's TTL and TOS (ECN bits aside), where it gives them, against a sniffed packet's.
void MatchIpFields(const std::optional<parser::IpInfo>& ip, std::uint8_t ttl, std::uint8_t tos,
                   std::vector<std::string>* out);

struct PacketError {
  bool script_error = false;  // the script asks for something impossible (exit 2)
  std::string message;
};

// One TCP connection (an MPTCP subflow) of the run, by its four-tuple.
struct Flow {
  capture::IpAddress local_addr;   // kernel side
  capture::IpAddress remote_addr;  // script (TUN) side
  std::uint16_t local_port = 0;    // kernel side
  std::uint16_t remote_port = 0;   // script (TUN) side
  bool kernel_client = false;
  // Past the SYN: an inbound ACK or a kernel non-SYN packet was seen. A SYN with the same ISN
  // on a flow not yet established is a retransmission, otherwise it opens a new flow.
  bool established = false;
  std::optional<std::uint32_t> remote_isn;
  bool local_isn_known = false;
  std::uint32_t script_local_isn = 0;
  std::uint32_t live_local_isn = 0;
  // packetdrill's numbering: the sequence numbers of a SYN or SYN/ACK are ISNs as written,
  // those of every other packet count from the ISNs (tcpdump's relative numbers): after
  // `< S 999000:999000(0)` and `> S. 1234:1234(0) ack 999001` the script writes
  // `< . 1:1(0) ack 1`. These are added to a script value to get the live one.
  // In the kernel's sequence space:
  std::uint32_t local_offset(bool syn) const {
    return syn ? live_local_isn - script_local_isn : live_local_isn;
  }
  // In the script's own: its SYN's (or SYN/ACK's) sequence number, for non-SYN packets.
  std::uint32_t remote_offset(bool syn) const { return syn ? 0 : script_remote_isn; }
  std::uint32_t script_remote_isn = 0;
  // One past the kernel's FIN (its sequence number + 1), once a FIN of this flow was matched.
  std::optional<std::uint32_t> fin_end;
};

class FlowTable {
 public:
  FlowTable(const RunConfig& config, std::uint16_t first_remote_port);

  // The bytes of an inbound script packet, picking (or creating, for a SYN) its flow.
  Result<std::vector<std::uint8_t>, PacketError> BuildInbound(const parser::Packet& packet);
  // An inbound ICMP/ICMPv6 message about the current connection (engine/run/icmp.h).
  Result<std::vector<std::uint8_t>, PacketError> BuildInboundIcmp(const parser::Packet& packet);
  // Mismatches of the sniffed packet against the script's, each
  // "<field>: expected: X actual: Y"; empty if it matches. Learns ISNs and TS values.
  // `ts_tolerance_usecs`: how far the TS val may be off with --tcp_ts_tick_usecs (packetdrill:
  // max(--tolerance_usecs, --tolerance_percent x the event's time since the start)).
  Result<std::vector<std::string>, PacketError> MatchOutbound(const parser::Packet& packet,
                                                              const LivePacket& live,
                                                              std::int64_t ts_tolerance_usecs = 0);
  // Whether a sniffed packet can be the script's outbound packet at all: it belongs to a known
  // flow, or it is the kernel's SYN of a new one and the script expects a SYN. Others are
  // ignored while waiting, as packetdrill ignores packets of no socket it knows (e.g. the
  // SYN of a subflow the kernel's path manager opens that the script does not follow).
  bool Expected(const parser::Packet& packet, const LivePacket& live) const;
  // Coalescing: whether more sniffed segments are needed to make up the script packet, and
  // whether `next` continues `segments` (same flow, contiguous, no SYN/RST, the same DSS
  // mapping or none on both, the same other MPTCP options).
  bool WantsMore(const parser::Packet& packet, const std::vector<LivePacket>& segments) const;
  bool Continues(const std::vector<LivePacket>& segments, const LivePacket& next) const;
  // The sniffed packet in script syntax, in script sequence space.
  std::string FormatLive(const LivePacket& live) const;

 private:
  // What a script packet's `src > dst` pins, in kernel (local) / script (remote) terms.
  struct TupleSpec {
    std::optional<capture::IpAddress> local, remote;
    std::optional<std::uint16_t> local_port, remote_port;
  };
  // Resolves the packet's tuple (none: all unset). Outbound, `live` is the sniffed packet:
  // address names seen there first are bound to what it carries (docs/run-mptcp.md).
  Result<TupleSpec, PacketError> ResolveTuple(const parser::Packet& packet, std::uint16_t flags,
                                              const LivePacket* live);
  static bool Matches(const Flow& flow, const TupleSpec& t);
  // MatchOutbound's steps, in order; each appends "<field>: expected: X actual: Y" to `out`.
  // The sniffed packet's flow: a known one, or a new one for the kernel's SYN (else nullptr).
  Flow* LearnFlow(const LivePacket& live);
  std::string UnknownConnection(const LivePacket& live) const;  // the mismatch without a flow
  void MatchTuple(const TupleSpec& tuple, const Flow& flow, const LivePacket& live,
                  std::vector<std::string>* out) const;
  // The script's options against the sniffed ones: MPTCP ones through the binder, the others
  // in order (MatchPlainOptions); `<...>` only lets the binder observe.
  Status<PacketError> MatchOptions(const parser::TcpSegment& seg, const Flow& flow,
                                   const LivePacket& live, std::int64_t ts_tolerance_usecs,
                                   std::vector<std::string>* out);
  void MatchPlainOptions(const std::vector<parser::TcpOption>& want,
                         const std::vector<const LiveOption*>& got,
                         std::int64_t ts_tolerance_usecs, std::vector<std::string>* out);
  // packetdrill's TS rule: learns the script -> live TS val mapping, checks the val only with
  // --tcp_ts_tick_usecs and never the ecr.
  void MatchTimestamp(const parser::OptTimestamp& want, const parser::OptTimestamp& got,
                      std::int64_t ts_tolerance_usecs, std::vector<std::string>* out);
  // The flow of an inbound packet (created for a new SYN or an unknown tuple); sets current_.
  Flow& InboundFlow(const TupleSpec& t, bool syn_only, std::uint32_t start_seq);
  // The flow of a sniffed packet by its four-tuple; the non-const one makes it current.
  Flow* FindLive(const LivePacket& live);
  const Flow* FindLive(const LivePacket& live) const;
  std::optional<std::uint32_t> MapEcr(std::uint32_t script_ecr) const;
  // packetdrill substitutes -D names in the script's text; the parser keeps `mss NAME` and
  // `FO NAME` symbolic, and they are resolved here against the run's definitions.
  Result<parser::TcpOption, PacketError> ResolveSymbols(const parser::TcpOption& option) const;
  bind::PacketView View(const Flow& flow, parser::Direction dir, std::uint16_t flags,
                        std::uint32_t relative_seq, std::span<const std::uint8_t> payload) const;

  const RunConfig& config_;
  capture::IpAddress local_, remote_;  // primary addresses: kernel side, script side
  std::vector<Flow> flows_;
  std::size_t current_ = 0;  // index into flows_ (valid when non-empty)
  std::uint16_t next_remote_port_;
  std::map<std::uint32_t, std::uint32_t> ts_val_map_;  // script TS val -> live TS val
  std::optional<std::pair<std::uint32_t, std::uint32_t>> first_ts_;  // script, live
  bind::Binder binder_;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_LIVE_PACKET_H_
