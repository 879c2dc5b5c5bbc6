#include "engine/run/datagram.h"

#include <netinet/in.h>

#include "base/bytes.h"
#include "engine/capture/tcp_checksum.h"
#include "engine/run/wire.h"

namespace mpdrill::run {
namespace {

constexpr std::size_t kUdpHeader = 8;

// The fixed IP header at the reader (IPv4 options skipped): addresses, protocol, TOS, TTL,
// and the bytes after the header that its length field claims (or what is there, when
// `truncated_ok`: an ICMP error quotes only the start of a packet).
struct IpHeader {
  capture::IpAddress src, dst;
  std::uint8_t protocol = 0, tos = 0, ttl = 0;
  bool later_fragment = false;
  Bytes payload;
};

std::optional<IpHeader> ReadIpHeader(Bytes packet, bool truncated_ok) {
  ByteReader r(packet);
  std::uint8_t first = 0;
  if (!r.PeekU8(&first)) return std::nullopt;
  IpHeader h;
  std::size_t claimed = 0;
  if ((first >> 4) == 4) {
    std::uint8_t vihl = 0, tos = 0, ttl = 0, protocol = 0;
    std::uint16_t total = 0, id = 0, frag = 0, check = 0;
    h.src.version = h.dst.version = 4;
    if (!(r.ReadU8(&vihl) && r.ReadU8(&tos) && r.ReadU16(&total) && r.ReadU16(&id) &&
          r.ReadU16(&frag) && r.ReadU8(&ttl) && r.ReadU8(&protocol) && r.ReadU16(&check))) {
      return std::nullopt;
    }
    Bytes src, dst;
    const std::size_t ihl = static_cast<std::size_t>(vihl & 0x0f) * 4;
    if (ihl < 20 || !r.ReadBytes(4, &src) || !r.ReadBytes(4, &dst) || !r.Skip(ihl - 20)) {
      return std::nullopt;
    }
    std::copy(src.begin(), src.end(), h.src.bytes.begin());
    std::copy(dst.begin(), dst.end(), h.dst.bytes.begin());
    h.tos = tos;
    h.ttl = ttl;
    h.protocol = protocol;
    h.later_fragment = (frag & 0x1fff) != 0;
    if (total < ihl) return std::nullopt;
    claimed = total - ihl;
  } else if ((first >> 4) == 6) {
    std::uint32_t vtf = 0;
    std::uint16_t payload_len = 0;
    std::uint8_t next = 0, hops = 0;
    Bytes src, dst;
    h.src.version = h.dst.version = 6;
    if (!(r.ReadU32(&vtf) && r.ReadU16(&payload_len) && r.ReadU8(&next) && r.ReadU8(&hops) &&
          r.ReadBytes(16, &src) && r.ReadBytes(16, &dst))) {
      return std::nullopt;
    }
    std::copy(src.begin(), src.end(), h.src.bytes.begin());
    std::copy(dst.begin(), dst.end(), h.dst.bytes.begin());
    h.tos = static_cast<std::uint8_t>(vtf >> 20);
    h.ttl = hops;
    h.protocol = next;
    claimed = payload_len;
  } else {
    return std::nullopt;
  }
  if (claimed > r.remaining()) {
    if (!truncated_ok) return std::nullopt;
    claimed = r.remaining();
  }
  if (!r.ReadBytes(claimed, &h.payload)) return std::nullopt;
  return h;
}

// The quoted packet of an ICMP error (RFC 792: its IP header and at least 8 bytes after it).
void ReadQuoted(Bytes quoted, LiveDatagram* d) {
  auto h = ReadIpHeader(quoted, true);
  if (!h) return;
  d->quoted_protocol = h->protocol;
  if (h->protocol != IPPROTO_UDP) return;
  ByteReader r(h->payload);
  std::uint16_t len = 0;
  if (r.ReadU16(&d->quoted_sport) && r.ReadU16(&d->quoted_dport) && r.ReadU16(&len) &&
      len >= kUdpHeader) {
    d->quoted_payload_length = len - kUdpHeader;
  }
}

}  // namespace

Result<std::vector<std::uint8_t>, std::string> BuildUdpPacket(const WireUdp& u) {
  const bool v6 = u.src.version == 6;
  const std::size_t udp_len = kUdpHeader + u.payload_length;
  if ((v6 ? 40 : 20) + udp_len > 65535) {
    return MakeUnexpected(std::string("UDP packet longer than 65535 bytes"));
  }
  std::vector<std::uint8_t> datagram(udp_len, 0);  // payload zero-filled, as packetdrill's
  ByteWriter w(datagram);
  if (!(w.WriteU16(u.sport) && w.WriteU16(u.dport) &&
        w.WriteU16(static_cast<std::uint16_t>(udp_len)) && w.WriteU16(0))) {
    return MakeUnexpected(std::string("UDP buffer too small"));
  }
  // The TCP checksum's pseudo-header with protocol 17 instead of 6 (RFC 768 / RFC 8200 §8.1).
  std::uint16_t check =
      capture::UpdateChecksum(capture::TcpChecksum(u.src, u.dst, Bytes(datagram.data(), udp_len)),
                              IPPROTO_TCP, IPPROTO_UDP);
  if (check == 0) check = 0xffff;
  datagram[6] = static_cast<std::uint8_t>(check >> 8);
  datagram[7] = static_cast<std::uint8_t>(check);
  return FrameInIp(u.src, u.dst, IPPROTO_UDP, u.ip, TosByte(u.ip), false, datagram);
}

std::optional<LiveDatagram> ParseLiveDatagram(std::span<const std::uint8_t> ip_packet,
                                              std::int64_t time) {
  auto h = ReadIpHeader(Bytes(ip_packet.data(), ip_packet.size()), false);
  if (!h || h->later_fragment) return std::nullopt;
  LiveDatagram d;
  d.src = h->src;
  d.dst = h->dst;
  d.tos = h->tos;
  d.ttl = h->ttl;
  d.time = time;
  ByteReader r(h->payload);
  const bool v6 = h->src.version == 6;
  if (h->protocol == IPPROTO_UDP) {
    std::uint16_t len = 0;
    if (!(r.ReadU16(&d.sport) && r.ReadU16(&d.dport) && r.ReadU16(&len)) || len < kUdpHeader) {
      return std::nullopt;
    }
    d.kind = DatagramKind::kUdp;
    d.payload_length = len - kUdpHeader;
    return d;
  }
  if (h->protocol != (v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP})) return std::nullopt;
  std::uint16_t check = 0;
  std::uint32_t rest = 0;
  if (!(r.ReadU8(&d.icmp_type) && r.ReadU8(&d.icmp_code) && r.ReadU16(&check) &&
        r.ReadU32(&rest))) {
    return std::nullopt;
  }
  d.kind = DatagramKind::kIcmp;
  // Error messages quote the packet that caused them: ICMPv4 types 3, 4, 5, 11, 12; ICMPv6
  // types below 128 (RFC 4443 §2.1).
  const bool error = v6 ? d.icmp_type < 128
                        : (d.icmp_type == 3 || d.icmp_type == 4 || d.icmp_type == 5 ||
                           d.icmp_type == 11 || d.icmp_type == 12);
  if (error) ReadQuoted(r.rest(), &d);
  return d;
}

bool IsIcmpv6Housekeeping(std::uint8_t type) {
  // 130-132 MLD, 133-137 router/neighbour discovery and redirect, 143 MLDv2 report.
  return (type >= 130 && type <= 137) || type == 143;
}

}  // namespace mpdrill::run
