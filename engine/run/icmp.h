// Inbound ICMP / ICMPv6 messages of `mpdrill run` with packetdrill's semantics (its
// icmp_packet.c): `< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]` quotes the IP
// header of the connection's outbound direction and the first 8 bytes of its TCP header
// (ports and the sequence number, mapped into the kernel's space), followed by as many zero
// bytes as the quoted segment's payload, so the kernel demuxes it to the connection.
#ifndef MPDRILL_ENGINE_RUN_ICMP_H_
#define MPDRILL_ENGINE_RUN_ICMP_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/capture/dissect.h"
#include "parser/ast.h"

namespace mpdrill::run {

struct IcmpTypeCode {
  std::uint8_t type = 0, code = 0;
};
// packetdrill's names (`unreachable`, `frag_needed`, `packet_too_big`, `type_N`, `code_N`,
// no code = 0) for ICMPv4 or ICMPv6; a name that is none of them may be a -D symbol standing
// for one (`-D CODE=host_unreachable ... icmp unreachable CODE`, as google's run_all.py
// passes). Error text naming what is unknown.
Result<IcmpTypeCode, std::string> ParseIcmpTypeCode(
    const std::string& type, const std::string& code, bool v6,
    const std::map<std::string, std::string>& defines = {});

// The script spelling of a type and code: "unreachable port_unreachable", "echo_reply",
// "type_42 code_1" for what has no name (the code left out when 0 and unnamed).
std::string IcmpTypeCodeName(const IcmpTypeCode& kind, bool v6);

struct WireIcmp {
  capture::IpAddress src, dst;  // outer header: the script's side to the kernel's
  IcmpTypeCode kind;
  std::optional<std::uint32_t> mtu;  // frag_needed (v4, 16 bits) / packet_too_big (v6)
  std::optional<std::uint16_t> echo_id;
  // The quoted TCP segment (or UDP datagram): its connection in the kernel's outbound
  // direction.
  std::uint8_t quoted_protocol = 6;  // IPPROTO_TCP or IPPROTO_UDP (17)
  capture::IpAddress quoted_src, quoted_dst;
  std::uint16_t quoted_sport = 0, quoted_dport = 0;
  std::uint32_t quoted_seq = 0;  // TCP
  std::uint32_t quoted_payload = 0;
  parser::IpInfo ip;
};

// The script's message without its addresses and quote: type and code, mtu, id, IP fields.
Result<WireIcmp, std::string> IcmpFromScript(
    const parser::Packet& packet, bool v6, const std::map<std::string, std::string>& defines = {});

// Bytes of the IP packet, checksums filled in.
Result<std::vector<std::uint8_t>, std::string> BuildIcmpPacket(const WireIcmp& icmp);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_ICMP_H_
