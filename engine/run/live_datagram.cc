#include "engine/run/live_datagram.h"

#include <netinet/in.h>

#include <utility>
#include <variant>

#include "engine/run/icmp.h"
#include "engine/run/wire.h"

namespace mpdrill::run {
namespace {

std::string Num(std::uint64_t v) { return std::to_string(v); }

std::string Text(const capture::IpAddress& a) {
  std::string s;
  capture::AppendAddress(a, &s);
  return s;
}

std::string Endpoints(const capture::IpAddress& a, std::uint16_t ap, const capture::IpAddress& b,
                      std::uint16_t bp) {
  return Text(a) + ":" + Num(ap) + ">" + Text(b) + ":" + Num(bp);
}

}  // namespace

DatagramTable::DatagramTable(const RunConfig& config) : config_(config) {
  const bool v6 = config.wire_ipv6();
  local_ = ParseAddress(config.local_ip, v6).value_or(capture::IpAddress{});
  remote_ = ParseAddress(config.remote_ip, v6).value_or(capture::IpAddress{});
}

Result<DatagramTable::Ends, PacketError> DatagramTable::Resolve(
    const parser::Packet& packet) const {
  Ends e{local_, remote_, local_port_.value_or(config_.bind_port), config_.connect_port};
  if (!packet.tuple) return e;
  const bool inbound = packet.direction == parser::Direction::kInbound;
  // Inbound datagrams go from the script's side (remote) to the kernel's (local).
  const std::pair<const parser::Endpoint*, bool> sides[] = {
      {&packet.tuple->src, !inbound}, {&packet.tuple->dst, inbound}};
  for (const auto& [ep, local] : sides) {
    capture::IpAddress& address = local ? e.local : e.remote;
    std::uint16_t& port = local ? e.local_port : e.remote_port;
    switch (ep->kind) {
      case parser::Endpoint::Kind::kNone:
        break;
      case parser::Endpoint::Kind::kPort:
        port = ep->port;
        break;
      case parser::Endpoint::Kind::kAddressPort: {
        auto a = ParseAddress(ep->address, config_.wire_ipv6());
        if (!a) {
          return MakeUnexpected(PacketError{
              true, "'" + ep->address + "' is not an address of this run's IP version"});
        }
        address = *a;
        if (ep->port) port = ep->port;
        break;
      }
      case parser::Endpoint::Kind::kVar:
        return MakeUnexpected(PacketError{
            true, "addr[" + ep->var + "]: address variables name MPTCP subflows, not UDP ends"});
    }
  }
  return e;
}

bool DatagramTable::Owns(const parser::Packet& packet) {
  const auto* icmp = std::get_if<parser::IcmpMessage>(&packet.body);
  return std::holds_alternative<parser::UdpDatagram>(packet.body) ||
         (icmp && icmp->echoed == parser::IcmpMessage::Echoed::kUdp);
}

Result<std::vector<std::uint8_t>, PacketError> DatagramTable::BuildInbound(
    const parser::Packet& packet) {
  auto ends = Resolve(packet);
  if (!ends) return MakeUnexpected(ends.error());
  if (const auto* icmp = std::get_if<parser::IcmpMessage>(&packet.body)) {
    // The quote: the kernel's datagram to the script's side, as packetdrill leaves it.
    auto m = IcmpFromScript(packet, config_.wire_ipv6(), config_.DefineMap());
    if (!m) return MakeUnexpected(PacketError{true, m.error()});
    m->src = ends->remote;
    m->dst = ends->local;
    m->quoted_protocol = IPPROTO_UDP;
    m->quoted_src = ends->local;
    m->quoted_dst = ends->remote;
    m->quoted_sport = ends->local_port;
    m->quoted_dport = ends->remote_port;
    m->quoted_payload = icmp->echoed_payload;
    auto bytes = BuildIcmpPacket(*m);
    if (!bytes) return MakeUnexpected(PacketError{true, bytes.error()});
    return std::move(*bytes);
  }
  const auto& udp = std::get<parser::UdpDatagram>(packet.body);
  WireUdp w;
  w.src = ends->remote;
  w.dst = ends->local;
  w.sport = ends->remote_port;
  w.dport = ends->local_port;
  w.payload_length = udp.payload;
  if (packet.ip_info) w.ip = *packet.ip_info;
  auto bytes = BuildUdpPacket(w);
  if (!bytes) return MakeUnexpected(PacketError{true, bytes.error()});
  return std::move(*bytes);
}

bool DatagramTable::Expected(const parser::Packet& packet, const LiveDatagram& live) const {
  if (std::holds_alternative<parser::UdpDatagram>(packet.body)) {
    return live.kind == DatagramKind::kUdp;
  }
  const auto* icmp = std::get_if<parser::IcmpMessage>(&packet.body);
  if (!icmp || live.kind != DatagramKind::kIcmp) return false;
  if (live.src.version == 6 && IsIcmpv6Housekeeping(live.icmp_type)) {
    auto want = ParseIcmpTypeCode(icmp->type, icmp->code, true, config_.DefineMap());
    return want.ok() && want->type == live.icmp_type;
  }
  return true;
}

Result<std::vector<std::string>, PacketError> DatagramTable::MatchOutbound(
    const parser::Packet& packet, const LiveDatagram& live) {
  std::vector<std::string> out;
  if (const auto* icmp = std::get_if<parser::IcmpMessage>(&packet.body)) {
    if (!(live.src == local_ && live.dst == remote_)) {
      out.push_back(Mismatch("ip addresses", Text(local_) + ">" + Text(remote_),
                             Text(live.src) + ">" + Text(live.dst)));
    }
    if (auto s = MatchIcmp(*icmp, live, &out); !s) return MakeUnexpected(s.error());
  } else {
    auto ends = Resolve(packet);
    if (!ends) return MakeUnexpected(ends.error());
    MatchUdp(packet, *ends, live, &out);
  }
  MatchIpFields(packet.ip_info, live.ttl, live.tos, &out);
  return out;
}

void DatagramTable::MatchUdp(const parser::Packet& packet, const Ends& ends,
                             const LiveDatagram& live, std::vector<std::string>* out) {
  Ends want = ends;
  // The kernel's port, unless the script writes it: learned from its first datagram (a
  // connected socket's ephemeral port), as packetdrill learns it after connect().
  const bool pinned = packet.tuple && packet.tuple->src.kind != parser::Endpoint::Kind::kNone &&
                      packet.tuple->src.port != 0;
  if (!pinned && !local_port_) {
    local_port_ = live.sport;
    want.local_port = live.sport;
  }
  if (!(live.src == want.local && live.dst == want.remote && live.sport == want.local_port &&
        live.dport == want.remote_port)) {
    out->push_back(Mismatch("ip addresses",
                            Endpoints(want.local, want.local_port, want.remote, want.remote_port),
                            Endpoints(live.src, live.sport, live.dst, live.dport)));
  }
  const auto& udp = std::get<parser::UdpDatagram>(packet.body);
  if (live.payload_length != udp.payload) {
    out->push_back(Mismatch("udp payload length", Num(udp.payload), Num(live.payload_length)));
  }
}

Status<PacketError> DatagramTable::MatchIcmp(const parser::IcmpMessage& icmp,
                                             const LiveDatagram& live,
                                             std::vector<std::string>* out) const {
  const bool v6 = live.src.version == 6;
  auto want = ParseIcmpTypeCode(icmp.type, icmp.code, v6, config_.DefineMap());
  if (!want) return MakeUnexpected(PacketError{true, want.error()});
  const IcmpTypeCode got{live.icmp_type, live.icmp_code};
  if (want->type != got.type || want->code != got.code) {
    out->push_back(Mismatch(v6 ? "icmpv6 type and code" : "icmp type and code",
                            IcmpTypeCodeName(*want, v6), IcmpTypeCodeName(got, v6)));
  }
  using Echoed = parser::IcmpMessage::Echoed;
  switch (icmp.echoed) {
    case Echoed::kNone:
    case Echoed::kRaw:
      break;
    case Echoed::kTcp:
      if (live.quoted_protocol != IPPROTO_TCP) {
        out->push_back(Mismatch("icmp quoted protocol", Num(IPPROTO_TCP), Num(live.quoted_protocol)));
      }
      break;
    case Echoed::kUdp:
      if (live.quoted_protocol != IPPROTO_UDP) {
        out->push_back(Mismatch("icmp quoted protocol", Num(IPPROTO_UDP), Num(live.quoted_protocol)));
      } else if (live.quoted_payload_length != icmp.echoed_payload) {
        out->push_back(Mismatch("icmp quoted udp payload length", Num(icmp.echoed_payload),
                                Num(live.quoted_payload_length)));
      }
      break;
  }
  return Ok{};
}

std::string DatagramTable::FormatLive(const LiveDatagram& live) const {
  if (live.kind == DatagramKind::kUdp) {
    // IPv6 in brackets, so that the port stays readable: [2001:db8::1]:8080.
    const auto end = [](const capture::IpAddress& a, std::uint16_t port) {
      return (a.version == 6 ? "[" + Text(a) + "]" : Text(a)) + ":" + Num(port);
    };
    return "> " + end(live.src, live.sport) + " > " + end(live.dst, live.dport) + " udp (" +
           Num(live.payload_length) + ")";
  }
  const bool v6 = live.src.version == 6;
  std::string s = "> icmp " + IcmpTypeCodeName(IcmpTypeCode{live.icmp_type, live.icmp_code}, v6);
  if (live.quoted_protocol == IPPROTO_UDP) {
    s += " [udp (" + Num(live.quoted_payload_length) + ")]";
  } else if (live.quoted_protocol != 0) {
    s += " [protocol " + Num(live.quoted_protocol) + "]";
  }
  return s;
}

}  // namespace mpdrill::run
