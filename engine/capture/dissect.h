// Pure, bounds-checked dissection of one captured frame down to its TCP segment. Link layers:
// Ethernet (with 802.1Q / 802.1ad / QinQ tags), Linux cooked SLL and SLL2, raw IP, IPv4-only /
// IPv6-only, BSD loopback (null / loop). Bytes go through ByteReader only (libtins throws on
// malformed options). No allocation: the segment's spans point into the frame.
#ifndef MPDRILL_ENGINE_CAPTURE_DISSECT_H_
#define MPDRILL_ENGINE_CAPTURE_DISSECT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "base/bytes.h"
#include "base/result.h"

namespace mpdrill::capture {

// Link-layer header types as libpcap reports them (pcap_datalink: DLT_ values) and as files
// store them (LINKTYPE_ values); both spellings of raw IP are accepted.
inline constexpr std::uint32_t kLinkNull = 0;        // DLT_NULL: 4-byte host-order family
inline constexpr std::uint32_t kLinkEthernet = 1;    // DLT_EN10MB
inline constexpr std::uint32_t kLinkRawBsd = 12;     // DLT_RAW on most systems
inline constexpr std::uint32_t kLinkRawBsdOs = 14;   // DLT_RAW on BSD/OS
inline constexpr std::uint32_t kLinkRaw = 101;       // LINKTYPE_RAW
inline constexpr std::uint32_t kLinkLoop = 108;      // DLT_LOOP: 4-byte big-endian family
inline constexpr std::uint32_t kLinkLinuxSll = 113;  // Linux cooked v1
inline constexpr std::uint32_t kLinkIpv4 = 228;
inline constexpr std::uint32_t kLinkIpv6 = 229;
inline constexpr std::uint32_t kLinkLinuxSll2 = 276;  // Linux cooked v2
bool IsSupportedLinkType(std::uint32_t linktype);

// TCP header flag bits (RFC 9293 §3.1; AE, formerly NS, is bit 8).
inline constexpr std::uint16_t kTcpFin = 0x001;
inline constexpr std::uint16_t kTcpSyn = 0x002;
inline constexpr std::uint16_t kTcpRst = 0x004;
inline constexpr std::uint16_t kTcpPsh = 0x008;
inline constexpr std::uint16_t kTcpAck = 0x010;
inline constexpr std::uint16_t kTcpUrg = 0x020;
inline constexpr std::uint16_t kTcpEce = 0x040;
inline constexpr std::uint16_t kTcpCwr = 0x080;
inline constexpr std::uint16_t kTcpAe = 0x100;

struct IpAddress {
  std::uint8_t version = 4;        // 4 or 6
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
  Bytes view() const { return {bytes.data(), version == 4 ? std::size_t{4} : std::size_t{16}}; }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Appends the textual form (dotted quad, or RFC 5952 for IPv6) without allocating beyond
// the string's own growth.
void AppendAddress(const IpAddress& address, std::string* out);

struct TcpSegment {
  IpAddress src;
  IpAddress dst;
  std::size_t ip_offset = 0;   // where the IP header starts in the frame
  bool ip_fragment = false;    // a first fragment: more fragments follow (payload incomplete)
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t data_offset = 0;  // in 32-bit words, as on the wire
  std::uint16_t flags = 0;       // kTcp* bits (reserved bits 9..11 dropped)
  std::uint8_t reserved = 0;     // the 3 reserved bits of byte 12
  std::uint16_t window = 0;
  std::uint16_t checksum = 0;
  std::uint16_t urgent = 0;
  std::size_t tcp_offset = 0;  // where the TCP header starts in the frame
  Bytes header;                // the whole TCP header (20..60 bytes), options included
  Bytes options;               // the option area (data_offset * 4 - 20 bytes)
  Bytes payload;               // payload bytes as captured (may be shorter: snap length)
  // Payload length from the IP length fields: what was on the wire. Greater than
  // payload.size() when the capture's snap length cut the frame; the TCP checksum then cannot
  // be verified.
  std::uint32_t payload_length = 0;
  std::uint32_t tcp_length() const { return static_cast<std::uint32_t>(header.size()) + payload_length; }
  bool payload_complete() const { return payload.size() == payload_length; }
  bool syn() const { return flags & kTcpSyn; }
  bool ack_flag() const { return flags & kTcpAck; }
  bool rst() const { return flags & kTcpRst; }
  bool fin() const { return flags & kTcpFin; }
};

// A frame that is well formed as far as it was read but carries no TCP header to look at.
enum class NotTcpReason : std::uint8_t {
  kNotIp,             // ethertype / family / version that is not IPv4 or IPv6 (ARP, LLDP, ...)
  kOtherProtocol,     // IP carrying UDP, ICMP, ...
  kLaterFragment,     // IPv4 or IPv6 fragment with a non-zero offset
  kNoNextHeader,      // IPv6 next header 59
};
struct NotTcp {
  NotTcpReason reason;
  std::uint8_t protocol = 0;  // kOtherProtocol: the IP protocol / next header number
};
std::string_view NotTcpReasonName(NotTcpReason reason);

using Dissection = std::variant<TcpSegment, NotTcp>;

// Why a frame could not be dissected. One code per failure point.
enum class DissectErrorCode : std::uint8_t {
  kUnsupportedLinkType,
  kTruncatedLinkHeader,
  kTruncatedVlanTag,
  kTooManyVlanTags,
  kTruncatedIpv4Header,
  kBadIpv4Version,
  kBadIpv4HeaderLength,
  kIpv4TotalLengthTooSmall,
  kTruncatedIpv6Header,
  kBadIpv6Version,
  kTruncatedIpv6ExtensionHeader,
  kIpv6ExtensionPastPayload,
  kTooManyIpv6ExtensionHeaders,
  kBadRawIpVersion,
  kTruncatedTcpHeader,
  kBadTcpDataOffset,
  kTcpHeaderPastIpLength,
  kTruncatedTcpOptions,
};

struct DissectError {
  DissectErrorCode code;
  std::size_t offset;       // of the byte that proved the failure, from the frame start
  std::string_view reason;  // unique sentence (static storage)
};

// Dissects one frame of the given link type. Never reads outside `frame`.
Result<Dissection, DissectError> Dissect(std::uint32_t linktype, Bytes frame);

// Only the IP layer: `packet` starts at an IPv4 or IPv6 header. `base_offset` is added to
// every offset reported (its position in the frame).
Result<Dissection, DissectError> DissectIp(Bytes packet, std::size_t base_offset = 0);

}  // namespace mpdrill::capture

#endif  // MPDRILL_ENGINE_CAPTURE_DISSECT_H_
