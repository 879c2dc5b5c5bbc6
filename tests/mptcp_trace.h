// A pcap of one MPTCP connection, decoded for the cross-module capture tests: every TCP
// segment (engine/capture), every kind-30 option decoded with its segment's flags
// (engine/codec), and the connection's keys, so the tests can recompute with engine/crypto
// what the kernel put on the wire.
#ifndef MPDRILL_TESTS_MPTCP_TRACE_H_
#define MPDRILL_TESTS_MPTCP_TRACE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/capture/dissect.h"
#include "engine/capture/pcap_reader.h"
#include "engine/codec/mptcp_codec.h"

namespace mpdrill::tests {

// Which end of the connection sent a segment.
enum class Side { kClient, kServer };

struct TraceOption {
  std::size_t segment_index = 0;  // into Trace::segments
  std::vector<std::uint8_t> bytes;
  std::optional<codec::Decoded> decoded;
  std::optional<codec::DecodeError> error;
};

// One subflow direction: (src, sport) -> (dst, dport).
struct FlowKey {
  capture::IpAddress src;
  capture::IpAddress dst;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  FlowKey Reversed() const { return {dst, src, dport, sport}; }
  friend auto operator<=>(const FlowKey& a, const FlowKey& b) {
    return std::tie(a.src.bytes, a.dst.bytes, a.sport, a.dport) <=>
           std::tie(b.src.bytes, b.dst.bytes, b.sport, b.dport);
  }
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

struct Trace {
  std::string path;
  std::vector<capture::CapturedSegment> segments;
  std::vector<TraceOption> options;   // in capture order
  std::vector<std::string> problems;  // walker stops, unreadable frames
  // From the MP_CAPABLE handshake (RFC 8684 §3.1): the third ACK carries both keys.
  std::optional<std::uint64_t> client_key;
  std::optional<std::uint64_t> server_key;
  std::optional<std::uint64_t> synack_key;  // the key of the MP_CAPABLE SYN/ACK (C6)
  // Initial sequence number of each subflow direction (from its SYN or SYN/ACK).
  std::map<FlowKey, std::uint32_t> isn;
  // Addresses that sent an MP_CAPABLE/MP_JOIN SYN (client) or SYN/ACK (server).
  std::vector<capture::IpAddress> client_addresses;
  std::vector<capture::IpAddress> server_addresses;

  const capture::TcpSegment& SegmentOf(const TraceOption& o) const {
    return segments[o.segment_index].tcp;
  }
  std::uint64_t FrameOf(const TraceOption& o) const {
    return segments[o.segment_index].frame_number;
  }
  std::optional<Side> SenderOf(const capture::TcpSegment& s) const;
  std::optional<std::uint64_t> KeyOf(Side side) const {
    return side == Side::kClient ? client_key : server_key;
  }
};

// Reads and decodes `path`. Fails only if the file cannot be read.
Result<Trace, std::string> LoadTrace(const std::string& path);

// "frame N: <hex of the option> (<script form or decode error>)" for failure messages.
std::string Describe(const Trace& trace, const TraceOption& option);

// Short name of an option's form, e.g. "mp_capable/syn", "mp_join/ack", "dss/map+csum",
// "add_addr/echo/v6", "mp_tcprst". Coverage tests compare sets of these.
std::string FormOf(const codec::Option& option);

std::string Hex(std::span<const std::uint8_t> bytes);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_MPTCP_TRACE_H_
