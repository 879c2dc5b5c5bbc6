// The reference model's input: one TCP segment of an MPTCP (or plain TCP) connection, already
// dissected. Independent of pcap and TUN: the capture dissector and the live engine both build
// it. The model never sees raw option bytes, only decoded codec::Option structs.
#ifndef MPDRILL_ENGINE_MODEL_SEGMENT_H_
#define MPDRILL_ENGINE_MODEL_SEGMENT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_option.h"

namespace mpdrill::model {

// TCP header flag bits (RFC 9293 §3.1), as in byte 13 of the header.
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpUrg = 0x20;

struct Endpoint {
  std::uint8_t ip_version = 4;          // 4 or 6
  std::array<std::uint8_t, 16> address{};  // first 4 bytes used for IPv4
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

struct Segment {
  std::uint64_t index = 0;      // frame number in the capture / event number live
  std::uint64_t timestamp_us = 0;  // injected clock value; the model never reads a clock
  Endpoint src;
  Endpoint dst;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;  // kTcp* bits
  std::uint16_t window = 0;  // raw header field (unscaled)
  std::optional<std::uint8_t> window_scale;  // the SYN's window-scale option, if any
  std::uint32_t payload_length = 0;  // TCP payload length from the IP header
  // The payload bytes actually available; may be shorter than payload_length (snaplen cut),
  // then checksums over it are "unverifiable", never violations.
  std::span<const std::uint8_t> payload;
  // Decoded MPTCP options of the segment, in header order.
  std::span<const codec::Option> options;
  // Per-packet rules the codec found; the model does not re-report them.
  std::span<const codec::Violation> codec_violations;

  bool syn() const { return flags & kTcpSyn; }
  bool ack_flag() const { return flags & kTcpAck; }
  bool fin() const { return flags & kTcpFin; }
  bool rst() const { return flags & kTcpRst; }
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_SEGMENT_H_
