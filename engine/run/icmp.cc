#include "engine/run/icmp.h"

#include <netinet/in.h>

#include <charconv>
#include <utility>

#include "base/bytes.h"
#include "engine/capture/tcp_checksum.h"
#include "engine/run/wire.h"

namespace mpdrill::run {
namespace {

struct Name {
  const char* text;
  std::uint8_t value;
};

// RFC 792 / RFC 1700 (IPv4) and RFC 4443 (IPv6), packetdrill's spellings.
constexpr Name kV4Types[] = {
    {"echo_reply", 0},          {"unreachable", 3},       {"source_quench", 4},
    {"redirect", 5},            {"echo_request", 8},      {"time_exceeded", 11},
    {"parameter_problem", 12},  {"timestamp_request", 13}, {"timestamp_reply", 14},
    {"information_request", 15}, {"information_reply", 16}, {"address_mask_request", 17},
    {"address_mask_reply", 18}};
constexpr Name kV4Unreachable[] = {
    {"net_unreachable", 0},      {"host_unreachable", 1},        {"protocol_unreachable", 2},
    {"port_unreachable", 3},     {"frag_needed", 4},             {"source_route_failed", 5},
    {"net_unknown", 6},          {"host_unknown", 7},            {"source_host_isolated", 8},
    {"net_prohibited", 9},       {"host_prohibited", 10},        {"net_unreachable_for_tos", 11},
    {"host_unreachable_for_tos", 12}, {"packet_filtered", 13},   {"precedence_violation", 14},
    {"precedence_cutoff", 15}};
constexpr Name kV6Types[] = {{"unreachable", 1},       {"packet_too_big", 2},
                             {"time_exceeded", 3},     {"parameter_problem", 4},
                             {"echo_request", 128},    {"echo_reply", 129}};
constexpr Name kV6Unreachable[] = {{"net_unreachable", 0}, {"no_route", 0},
                                   {"admin_prohibited", 1}, {"not_neighbour", 2},
                                   {"address_unreachable", 3}, {"port_unreachable", 4}};
constexpr Name kV6TimeExceeded[] = {{"exceeded_hop_limit", 0}, {"exceeded_frag_time", 1}};
constexpr Name kV6ParamProb[] = {{"header_field", 0}, {"unknown_next_header", 1},
                                 {"unknown_option", 2}};

// `prefix_N` (tcpdump-style numbers: type_3, code_4).
std::optional<std::uint8_t> Numbered(const std::string& text, std::string_view prefix) {
  if (text.rfind(prefix, 0) != 0) return std::nullopt;
  unsigned v = 0;
  const char* b = text.data() + prefix.size();
  const char* e = text.data() + text.size();
  const auto r = std::from_chars(b, e, v);
  if (r.ec != std::errc() || r.ptr != e || b == e || v > 255) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

template <std::size_t N>
std::optional<std::uint8_t> Lookup(const Name (&table)[N], const std::string& text) {
  for (const Name& n : table) {
    if (text == n.text) return n.value;
  }
  return std::nullopt;
}

template <std::size_t N>
const char* NameOf(const Name (&table)[N], std::uint8_t value) {
  for (const Name& n : table) {
    if (n.value == value) return n.text;
  }
  return nullptr;
}

// RFC 1071 one's complement sum, folded (not complemented).
std::uint32_t Sum(Bytes data) {
  ByteReader r(data);
  std::uint32_t sum = 0;
  std::uint16_t word = 0;
  while (r.ReadU16(&word)) sum += word;
  std::uint8_t last = 0;
  if (r.ReadU8(&last)) sum += static_cast<std::uint32_t>(last) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

}  // namespace

Result<IcmpTypeCode, std::string> ParseIcmpTypeCode(
    const std::string& type_name, const std::string& code_name, bool v6,
    const std::map<std::string, std::string>& defines) {
  const auto defined = [&](const std::string& name) {
    auto it = defines.find(name);
    return it == defines.end() ? name : it->second;
  };
  const std::string type = defined(type_name);
  const std::string code = defined(code_name);
  IcmpTypeCode tc;
  auto t = Numbered(type, "type_");
  if (!t) t = v6 ? Lookup(kV6Types, type) : Lookup(kV4Types, type);
  if (!t) return MakeUnexpected("unknown ICMP" + std::string(v6 ? "v6" : "") + " type '" + type + "'");
  tc.type = *t;
  if (code.empty()) return tc;  // no code: 0, as packetdrill
  auto c = Numbered(code, "code_");
  if (!c && !v6 && tc.type == 3) c = Lookup(kV4Unreachable, code);
  if (!c && v6 && tc.type == 1) c = Lookup(kV6Unreachable, code);
  if (!c && v6 && tc.type == 3) c = Lookup(kV6TimeExceeded, code);
  if (!c && v6 && tc.type == 4) c = Lookup(kV6ParamProb, code);
  if (!c) return MakeUnexpected("unknown code '" + code + "' for ICMP type '" + type + "'");
  tc.code = *c;
  return tc;
}

std::string IcmpTypeCodeName(const IcmpTypeCode& kind, bool v6) {
  const char* type = v6 ? NameOf(kV6Types, kind.type) : NameOf(kV4Types, kind.type);
  const char* code = nullptr;
  if (!v6 && kind.type == 3) code = NameOf(kV4Unreachable, kind.code);
  if (v6 && kind.type == 1) code = NameOf(kV6Unreachable, kind.code);
  if (v6 && kind.type == 3) code = NameOf(kV6TimeExceeded, kind.code);
  if (v6 && kind.type == 4) code = NameOf(kV6ParamProb, kind.code);
  std::string s = type ? type : "type_" + std::to_string(kind.type);
  if (code) {
    s += std::string(" ") + code;
  } else if (kind.code != 0) {
    s += " code_" + std::to_string(kind.code);
  }
  return s;
}

Result<WireIcmp, std::string> IcmpFromScript(const parser::Packet& packet, bool v6,
                                             const std::map<std::string, std::string>& defines) {
  const auto& icmp = std::get<parser::IcmpMessage>(packet.body);
  auto kind = ParseIcmpTypeCode(icmp.type, icmp.code, v6, defines);
  if (!kind) return MakeUnexpected(kind.error());
  WireIcmp m;
  m.kind = *kind;
  m.mtu = icmp.mtu;
  if (icmp.id) m.echo_id = static_cast<std::uint16_t>(*icmp.id);
  if (packet.ip_info) m.ip = *packet.ip_info;
  return m;
}

Result<std::vector<std::uint8_t>, std::string> BuildIcmpPacket(const WireIcmp& m) {
  const bool v6 = m.src.version == 6;
  if (m.mtu) {
    if (!v6 && !(m.kind.type == 3 && m.kind.code == 4)) {
      return MakeUnexpected(std::string("ICMPv4 mtu is only valid for unreachable frag_needed"));
    }
    if (v6 && !(m.kind.type == 2 && m.kind.code == 0)) {
      return MakeUnexpected(std::string("ICMPv6 mtu is only valid for packet_too_big"));
    }
    if (!v6 && *m.mtu > 0xffff) return MakeUnexpected(std::string("ICMPv4 mtu out of 16-bit range"));
  }
  // ICMP header (8), the quoted IP header, 8 bytes of the quoted TCP header (the whole UDP
  // header), its payload.
  const bool udp = m.quoted_protocol == IPPROTO_UDP;
  if (!udp && m.quoted_protocol != IPPROTO_TCP) {
    return MakeUnexpected(std::string("ICMP can quote a TCP segment or a UDP datagram only"));
  }
  const std::size_t quoted_ip = v6 ? 40 : 20;
  const std::size_t len = 8 + quoted_ip + 8 + m.quoted_payload;
  if ((v6 ? 40 : 20) + len > 65535) return MakeUnexpected(std::string("ICMP packet longer than 65535 bytes"));
  std::vector<std::uint8_t> icmp(len, 0);
  ByteWriter w(icmp);
  bool ok = w.WriteU8(m.kind.type) && w.WriteU8(m.kind.code) && w.WriteU16(0);
  if (v6) {
    ok = ok && (m.mtu ? w.WriteU32(*m.mtu)
                      : w.WriteU16(m.echo_id.value_or(0)) && w.WriteU16(0));
  } else {
    ok = ok && w.WriteU16(m.mtu ? 0 : m.echo_id.value_or(0)) &&
         w.WriteU16(m.mtu ? static_cast<std::uint16_t>(*m.mtu) : 0);
  }
  // The quoted IP header: its lengths claim the whole segment (20-byte TCP header + payload)
  // or datagram (8-byte UDP header + payload).
  const std::uint32_t quoted_transport = static_cast<std::uint32_t>((udp ? 8 : 20) + m.quoted_payload);
  const std::uint32_t quoted_total = static_cast<std::uint32_t>(quoted_ip) + quoted_transport;
  if (quoted_total > 65535) return MakeUnexpected(std::string("quoted packet longer than 65535 bytes"));
  if (v6) {
    ok = ok && w.WriteU32(0x60000000) && w.WriteU16(static_cast<std::uint16_t>(quoted_total - 40)) &&
         w.WriteU8(m.quoted_protocol) && w.WriteU8(64);
  } else {
    ok = ok && w.WriteU8(0x45) && w.WriteU8(0) && w.WriteU16(static_cast<std::uint16_t>(quoted_total)) &&
         w.WriteU32(0) && w.WriteU8(64) && w.WriteU8(m.quoted_protocol) && w.WriteU16(0);
  }
  ok = ok && w.WriteBytes(m.quoted_src.view()) && w.WriteBytes(m.quoted_dst.view()) &&
       w.WriteU16(m.quoted_sport) && w.WriteU16(m.quoted_dport) &&
       (udp ? w.WriteU16(static_cast<std::uint16_t>(quoted_transport)) && w.WriteU16(0)
            : w.WriteU32(m.quoted_seq));
  if (!ok) return MakeUnexpected(std::string("ICMP buffer too small"));
  std::uint16_t check = 0;
  if (v6) {
    // The TCP checksum's pseudo-header with next header 58 instead of 6.
    check = capture::UpdateChecksum(capture::TcpChecksum(m.src, m.dst, Bytes(icmp.data(), len)),
                                    IPPROTO_TCP, IPPROTO_ICMPV6);
  } else {
    check = static_cast<std::uint16_t>(~Sum(Bytes(icmp.data(), len)));
  }
  icmp[2] = static_cast<std::uint8_t>(check >> 8);
  icmp[3] = static_cast<std::uint8_t>(check);
  return FrameInIp(m.src, m.dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, m.ip,
                   static_cast<std::uint8_t>(m.ip.tos.value_or(0) & 0xfc), false, icmp);
}

}  // namespace mpdrill::run
