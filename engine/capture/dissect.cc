#include "engine/capture/dissect.h"

#include <arpa/inet.h>

#include <cstring>

namespace mpdrill::capture {
namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;    // 802.1Q
constexpr std::uint16_t kEtherQinQ = 0x88a8;    // 802.1ad
constexpr std::uint16_t kEtherQinQOld = 0x9100;  // pre-standard QinQ
constexpr int kMaxVlanTags = 4;
constexpr int kMaxIpv6ExtensionHeaders = 16;
constexpr std::uint8_t kProtoTcp = 6;

using DissectResult = Result<Dissection, DissectError>;

Unexpected<DissectError> Fail(DissectErrorCode code, std::size_t offset, std::string_view reason) {
  return Unexpected<DissectError>{DissectError{code, offset, reason}};
}

bool IsVlanType(std::uint16_t type) {
  return type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld;
}

// `type` is an ethertype; `rest` starts right after it, at frame offset `offset`.
DissectResult DissectEthertype(std::uint16_t type, Bytes frame, std::size_t offset) {
  ByteReader r(frame.subspan(offset));
  for (int tags = 0; IsVlanType(type); ++tags) {
    if (tags == kMaxVlanTags) {
      return Fail(DissectErrorCode::kTooManyVlanTags, offset + r.offset(),
                  "ethernet: more than 4 VLAN tags");
    }
    std::uint16_t tci = 0;
    if (!r.ReadU16(&tci) || !r.ReadU16(&type)) {
      return Fail(DissectErrorCode::kTruncatedVlanTag, offset + r.offset(),
                  "ethernet: VLAN tag cut short");
    }
  }
  if (type != kEtherIpv4 && type != kEtherIpv6) return Dissection{NotTcp{NotTcpReason::kNotIp}};
  return DissectIp(r.rest(), offset + r.offset());
}

DissectResult DissectEthernet(Bytes frame) {
  ByteReader r(frame);
  std::uint16_t type = 0;
  if (!r.Skip(12) || !r.ReadU16(&type)) {
    return Fail(DissectErrorCode::kTruncatedLinkHeader, frame.size(),
                "ethernet: header shorter than 14 bytes");
  }
  return DissectEthertype(type, frame, r.offset());
}

// Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol.
DissectResult DissectSll(Bytes frame) {
  ByteReader r(frame);
  std::uint16_t protocol = 0;
  if (!r.Skip(14) || !r.ReadU16(&protocol)) {
    return Fail(DissectErrorCode::kTruncatedLinkHeader, frame.size(),
                "sll: header shorter than 16 bytes");
  }
  return DissectEthertype(protocol, frame, r.offset());
}

// Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address.
DissectResult DissectSll2(Bytes frame) {
  ByteReader r(frame);
  std::uint16_t protocol = 0;
  if (!r.ReadU16(&protocol) || !r.Skip(18)) {
    return Fail(DissectErrorCode::kTruncatedLinkHeader, frame.size(),
                "sll2: header shorter than 20 bytes");
  }
  return DissectEthertype(protocol, frame, r.offset());
}

// BSD loopback: a 4-byte address family, host order (null) or big-endian (loop).
DissectResult DissectLoopback(Bytes frame, bool big_endian_only) {
  ByteReader r(frame);
  std::array<std::uint8_t, 4> fam{};
  if (!r.ReadArray(&fam)) {
    return Fail(DissectErrorCode::kTruncatedLinkHeader, frame.size(),
                "loopback: header shorter than 4 bytes");
  }
  const std::uint32_t be = std::uint32_t{fam[0]} << 24 | fam[1] << 16 | fam[2] << 8 | fam[3];
  const std::uint32_t le = std::uint32_t{fam[3]} << 24 | fam[2] << 16 | fam[1] << 8 | fam[0];
  // The writer's byte order is unknown for null: families are small, so the non-zero half wins.
  const std::uint32_t family = big_endian_only || be < 0x10000 ? be : le;
  switch (family) {
    case 2:  // AF_INET everywhere
      break;
    case 10:  // AF_INET6: Linux
    case 24:  // NetBSD, OpenBSD
    case 28:  // FreeBSD
    case 30:  // macOS
      break;
    default:
      return Dissection{NotTcp{NotTcpReason::kNotIp}};
  }
  return DissectIp(r.rest(), r.offset());
}

DissectResult DissectRaw(Bytes frame) {
  std::uint8_t first = 0;
  if (!ByteReader(frame).PeekU8(&first)) {
    return Fail(DissectErrorCode::kTruncatedIpv4Header, 0, "raw: empty frame");
  }
  const int version = first >> 4;
  if (version != 4 && version != 6) {
    return Fail(DissectErrorCode::kBadRawIpVersion, 0, "raw: IP version is neither 4 nor 6");
  }
  return DissectIp(frame, 0);
}

// TCP header (RFC 9293 §3.1). `segment` holds the bytes as captured (may be cut by the snap
// length); `ip_payload_length` is what the IP layer says is there. Offsets count from `base`.
DissectResult DissectTcp(TcpSegment seg, Bytes segment, std::uint32_t ip_payload_length,
                         std::size_t base) {
  ByteReader r(segment);
  std::uint8_t offset_byte = 0, flags_byte = 0;
  if (!r.ReadU16(&seg.sport) || !r.ReadU16(&seg.dport) || !r.ReadU32(&seg.seq) ||
      !r.ReadU32(&seg.ack) || !r.ReadU8(&offset_byte) || !r.ReadU8(&flags_byte) ||
      !r.ReadU16(&seg.window) || !r.ReadU16(&seg.checksum) || !r.ReadU16(&seg.urgent)) {
    return Fail(DissectErrorCode::kTruncatedTcpHeader, base + segment.size(),
                "tcp: header shorter than 20 bytes");
  }
  seg.data_offset = offset_byte >> 4;
  seg.reserved = (offset_byte >> 1) & 0x7;
  seg.flags = static_cast<std::uint16_t>((offset_byte & 0x1) << 8 | flags_byte);
  const std::size_t header_length = std::size_t{seg.data_offset} * 4;
  if (header_length < 20) {
    return Fail(DissectErrorCode::kBadTcpDataOffset, base + 12, "tcp: data offset below 5");
  }
  if (header_length > ip_payload_length) {
    return Fail(DissectErrorCode::kTcpHeaderPastIpLength, base + 12,
                "tcp: data offset runs past the IP payload length");
  }
  Bytes options;
  if (!r.ReadBytes(header_length - 20, &options)) {
    return Fail(DissectErrorCode::kTruncatedTcpOptions, base + segment.size(),
                "tcp: option area cut short");
  }
  seg.tcp_offset = base;
  seg.header = segment.first(header_length);
  seg.options = options;
  seg.payload_length = ip_payload_length - static_cast<std::uint32_t>(header_length);
  const std::size_t captured = r.remaining() < seg.payload_length ? r.remaining()
                                                                   : seg.payload_length;
  seg.payload = r.rest().first(captured);
  return Dissection{seg};
}

DissectResult DissectIpv4(Bytes packet, std::size_t base) {
  ByteReader r(packet);
  std::uint8_t version_ihl = 0, tos = 0, ttl = 0, protocol = 0;
  std::uint16_t total_length = 0, id = 0, frag = 0, checksum = 0;
  TcpSegment seg;
  seg.src.version = seg.dst.version = 4;
  std::array<std::uint8_t, 4> src{}, dst{};
  if (!r.ReadU8(&version_ihl) || !r.ReadU8(&tos) || !r.ReadU16(&total_length) ||
      !r.ReadU16(&id) || !r.ReadU16(&frag) || !r.ReadU8(&ttl) || !r.ReadU8(&protocol) ||
      !r.ReadU16(&checksum) || !r.ReadArray(&src) || !r.ReadArray(&dst)) {
    return Fail(DissectErrorCode::kTruncatedIpv4Header, base + packet.size(),
                "ipv4: header shorter than 20 bytes");
  }
  if ((version_ihl >> 4) != 4) {
    return Fail(DissectErrorCode::kBadIpv4Version, base, "ipv4: version is not 4");
  }
  const std::size_t ihl = std::size_t{version_ihl & 0x0fu} * 4;
  if (ihl < 20) {
    return Fail(DissectErrorCode::kBadIpv4HeaderLength, base, "ipv4: header length below 20");
  }
  if (!r.Skip(ihl - 20)) {
    return Fail(DissectErrorCode::kTruncatedIpv4Header, base + packet.size(),
                "ipv4: options cut short");
  }
  // A total length of 0 is what TSO captures show: trust the captured bytes then.
  std::size_t length = total_length == 0 ? packet.size() : total_length;
  if (length < ihl) {
    return Fail(DissectErrorCode::kIpv4TotalLengthTooSmall, base + 2,
                "ipv4: total length smaller than the header");
  }
  std::copy(src.begin(), src.end(), seg.src.bytes.begin());
  std::copy(dst.begin(), dst.end(), seg.dst.bytes.begin());
  const std::uint16_t fragment_offset = frag & 0x1fff;
  const bool more_fragments = frag & 0x2000;
  if (fragment_offset != 0) return Dissection{NotTcp{NotTcpReason::kLaterFragment, protocol}};
  if (protocol != kProtoTcp) return Dissection{NotTcp{NotTcpReason::kOtherProtocol, protocol}};
  seg.ip_offset = base;
  seg.ip_fragment = more_fragments;
  // Ethernet padding past the total length is not TCP payload.
  Bytes rest = r.rest();
  if (rest.size() > length - ihl) rest = rest.first(length - ihl);
  return DissectTcp(seg, rest, static_cast<std::uint32_t>(length - ihl), base + ihl);
}

DissectResult DissectIpv6(Bytes packet, std::size_t base) {
  ByteReader r(packet);
  std::uint32_t vtf = 0;
  std::uint16_t payload_length = 0;
  std::uint8_t next = 0, hop_limit = 0;
  TcpSegment seg;
  seg.src.version = seg.dst.version = 6;
  if (!r.ReadU32(&vtf) || !r.ReadU16(&payload_length) || !r.ReadU8(&next) ||
      !r.ReadU8(&hop_limit) || !r.ReadArray(&seg.src.bytes) || !r.ReadArray(&seg.dst.bytes)) {
    return Fail(DissectErrorCode::kTruncatedIpv6Header, base + packet.size(),
                "ipv6: header shorter than 40 bytes");
  }
  if ((vtf >> 28) != 6) {
    return Fail(DissectErrorCode::kBadIpv6Version, base, "ipv6: version is not 6");
  }
  // Payload length 0 means a jumbogram or a TSO capture: trust the captured bytes then.
  std::size_t remaining = payload_length == 0 ? r.remaining() : payload_length;
  for (int count = 0;; ++count) {
    switch (next) {
      case kProtoTcp: {
        seg.ip_offset = base;
        Bytes rest = r.rest();
        if (rest.size() > remaining) rest = rest.first(remaining);
        return DissectTcp(seg, rest, static_cast<std::uint32_t>(remaining), base + r.offset());
      }
      case 59:  // No Next Header
        return Dissection{NotTcp{NotTcpReason::kNoNextHeader, next}};
      case 0:    // Hop-by-Hop Options
      case 43:   // Routing
      case 44:   // Fragment
      case 51:   // Authentication Header
      case 60:   // Destination Options
      case 135:  // Mobility
        break;
      default:
        return Dissection{NotTcp{NotTcpReason::kOtherProtocol, next}};
    }
    if (count == kMaxIpv6ExtensionHeaders) {
      return Fail(DissectErrorCode::kTooManyIpv6ExtensionHeaders, base + r.offset(),
                  "ipv6: more than 16 extension headers");
    }
    const std::size_t at = r.offset();
    std::uint8_t following = 0, len = 0;
    if (!r.ReadU8(&following) || !r.ReadU8(&len)) {
      return Fail(DissectErrorCode::kTruncatedIpv6ExtensionHeader, base + packet.size(),
                  "ipv6: extension header shorter than its 2-byte start");
    }
    std::size_t ext_length = 0;
    if (next == 44) {
      ext_length = 8;  // the fragment header has a fixed size; `len` is reserved
      std::uint16_t frag = 0;
      if (!r.ReadU16(&frag)) {
        return Fail(DissectErrorCode::kTruncatedIpv6ExtensionHeader, base + packet.size(),
                    "ipv6: fragment header cut short");
      }
      seg.ip_fragment = frag & 0x1;
      if ((frag >> 3) != 0) return Dissection{NotTcp{NotTcpReason::kLaterFragment, following}};
    } else if (next == 51) {
      ext_length = (std::size_t{len} + 2) * 4;  // RFC 4302: in 4-octet units, minus 2
    } else {
      ext_length = (std::size_t{len} + 1) * 8;  // RFC 8200: in 8-octet units, minus 1
    }
    if (ext_length > remaining) {
      return Fail(DissectErrorCode::kIpv6ExtensionPastPayload, base + at + 1,
                  "ipv6: extension header runs past the payload length");
    }
    if (!r.Skip(ext_length - (r.offset() - at))) {
      return Fail(DissectErrorCode::kTruncatedIpv6ExtensionHeader, base + packet.size(),
                  "ipv6: extension header body cut short");
    }
    remaining -= ext_length;
    next = following;
  }
}

}  // namespace

bool IsSupportedLinkType(std::uint32_t linktype) {
  switch (linktype) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRawBsd:
    case kLinkRawBsdOs:
    case kLinkRaw:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkIpv4:
    case kLinkIpv6:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

std::string_view NotTcpReasonName(NotTcpReason reason) {
  switch (reason) {
    case NotTcpReason::kNotIp:
      return "not IP";
    case NotTcpReason::kOtherProtocol:
      return "IP protocol other than TCP";
    case NotTcpReason::kLaterFragment:
      return "IP fragment after the first";
    case NotTcpReason::kNoNextHeader:
      return "IPv6 no next header";
  }
  return "?";
}

void AppendAddress(const IpAddress& address, std::string* out) {
  char buf[INET6_ADDRSTRLEN];
  if (address.version == 4) {
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      unsigned v = address.bytes[i];
      if (i) *p++ = '.';
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
    }
    out->append(buf, static_cast<std::size_t>(p - buf));
    return;
  }
  if (inet_ntop(AF_INET6, address.bytes.data(), buf, sizeof(buf)) != nullptr) out->append(buf);
}

DissectResult DissectIp(Bytes packet, std::size_t base_offset) {
  std::uint8_t first = 0;
  if (!ByteReader(packet).PeekU8(&first)) {
    return Fail(DissectErrorCode::kTruncatedIpv4Header, base_offset, "ip: no header byte");
  }
  if ((first >> 4) == 6) return DissectIpv6(packet, base_offset);
  return DissectIpv4(packet, base_offset);
}

DissectResult Dissect(std::uint32_t linktype, Bytes frame) {
  switch (linktype) {
    case kLinkEthernet:
      return DissectEthernet(frame);
    case kLinkLinuxSll:
      return DissectSll(frame);
    case kLinkLinuxSll2:
      return DissectSll2(frame);
    case kLinkRaw:
    case kLinkRawBsd:
    case kLinkRawBsdOs:
      return DissectRaw(frame);
    case kLinkIpv4:
      return DissectIpv4(frame, 0);
    case kLinkIpv6:
      return DissectIpv6(frame, 0);
    case kLinkNull:
      return DissectLoopback(frame, false);
    case kLinkLoop:
      return DissectLoopback(frame, true);
    default:
      return Fail(DissectErrorCode::kUnsupportedLinkType, 0, "link: unsupported link type");
  }
}

}  // namespace mpdrill::capture
