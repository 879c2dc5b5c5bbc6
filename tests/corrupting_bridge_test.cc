// The middlebox's frame logic, without a network: which segment it picks, and that the
// corrupted segment still passes TCP's checksum while its payload differs.
#include "tests/corrupting_bridge.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <variant>

#include "engine/capture/dissect.h"
#include "engine/capture/tcp_checksum.h"
#include "engine/capture/test_frames.h"

namespace mpdrill::tests {
namespace {

using capture::testing::Buf;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kServerPort = 8080;

capture::TcpSegment TcpOf(const Buf& frame) {
  const auto d = capture::Dissect(capture::kLinkEthernet, frame);
  EXPECT_TRUE(d.ok());
  if (!d.ok() || !std::holds_alternative<capture::TcpSegment>(d.value())) std::abort();
  return std::get<capture::TcpSegment>(d.value());
}

// Writes the right TCP checksum into an Ethernet frame built by test_frames (checksum 0).
Buf WithChecksum(Buf frame) {
  const capture::TcpSegment seg = TcpOf(frame);
  const std::uint16_t c = capture::TcpChecksum(
      seg.src, seg.dst, Bytes(frame).subspan(seg.tcp_offset, seg.tcp_length()));
  frame[seg.tcp_offset + 16] = static_cast<std::uint8_t>(c >> 8);
  frame[seg.tcp_offset + 17] = static_cast<std::uint8_t>(c);
  return frame;
}

bool ChecksumVerifies(const Buf& frame) {
  const capture::TcpSegment seg = TcpOf(frame);
  return capture::TcpChecksum(seg.src, seg.dst,
                              Bytes(frame).subspan(seg.tcp_offset, seg.tcp_length())) == 0;
}

struct Seg {
  std::uint16_t sport = 40000;
  std::uint32_t seq = 1000;
  std::uint16_t flags = capture::kTcpAck;
  std::size_t payload = 0;
  bool v6 = false;
  std::uint16_t dport = kServerPort;
  Buf options;
};

Buf Frame(const Seg& s) {
  capture::testing::TcpSpec tcp;
  tcp.sport = s.sport;
  tcp.dport = s.dport;
  tcp.seq = s.seq;
  tcp.flags = s.flags;
  tcp.options = s.options;
  for (std::size_t i = 0; i < s.payload; ++i) tcp.payload.push_back('a' + i % 26);
  const Buf segment = capture::testing::Tcp(tcp);
  if (s.v6) {
    return WithChecksum(
        capture::testing::Ethernet(kEtherIpv6, capture::testing::Ipv6({}, segment)));
  }
  return WithChecksum(capture::testing::Ethernet(kEtherIpv4, capture::testing::Ipv4({}, segment)));
}

// Every byte position (high and low half of a word, the odd last byte) in IPv4 and IPv6: one
// byte differs, and TCP's checksum still verifies.
TEST(FlipPayloadByte, ChangesOneByteAndKeepsTheTcpChecksumValid) {
  for (bool v6 : {false, true}) {
    for (std::size_t index : {0, 1, 2, 5, 6}) {  // payload of 7 bytes: 6 is the odd last one
      const Buf before = Frame({.payload = 7, .v6 = v6});
      Buf after = before;
      ASSERT_EQ(FlipPayloadByte(after, index, 0x01), FlipOutcome::kFlipped);
      EXPECT_TRUE(ChecksumVerifies(after)) << "v6 " << v6 << " index " << index;
      const std::size_t payload_at = TcpOf(before).tcp_offset + 20;
      std::size_t differing = 0;
      for (std::size_t i = 0; i < before.size(); ++i) {
        if (i == payload_at + index) {
          EXPECT_EQ(after[i], before[i] ^ 0x01);
        } else if (before[i] != after[i] && i != TcpOf(before).tcp_offset + 16 &&
                   i != TcpOf(before).tcp_offset + 17) {
          ++differing;
        }
      }
      EXPECT_EQ(differing, 0u) << "only the byte and the checksum change";
    }
  }
}

TEST(FlipPayloadByte, LeavesFramesItCannotCorruptAlone) {
  const Buf arp = capture::testing::Ethernet(kEtherArp, Buf(28, 0));
  Buf frame = arp;
  EXPECT_EQ(FlipPayloadByte(frame, 0, 1), FlipOutcome::kNotTcp);
  EXPECT_EQ(frame, arp);

  const Buf short_payload = Frame({.payload = 3});
  frame = short_payload;
  EXPECT_EQ(FlipPayloadByte(frame, 3, 1), FlipOutcome::kNoSuchByte);
  EXPECT_EQ(frame, short_payload);

  // A checksum left unfinished by transmit offload (here: wrong) is not "fixed" into a
  // valid one: the segment would be dropped by TCP anyway.
  Buf offloaded = Frame({.payload = 3});
  offloaded[TcpOf(offloaded).tcp_offset + 17] ^= 0xff;
  frame = offloaded;
  EXPECT_EQ(FlipPayloadByte(frame, 0, 1), FlipOutcome::kChecksumMismatch);
  EXPECT_EQ(frame, offloaded);
}

// The option-stripping middlebox: kind 30 becomes NOPs, other options and the payload stay,
// the length stays, TCP's checksum verifies.
TEST(StripMptcpOptions, TurnsMptcpOptionsIntoNopsAndKeepsTheChecksumValid) {
  for (bool v6 : {false, true}) {
    const Buf options = {2, 4, 0x05, 0xb4, 30, 8, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05};
    const Buf before = Frame({.payload = 5, .v6 = v6, .options = options});
    Buf after = before;
    ASSERT_EQ(StripMptcpOptions(after), FlipOutcome::kFlipped);
    EXPECT_TRUE(ChecksumVerifies(after));
    const capture::TcpSegment seg = TcpOf(after);
    EXPECT_EQ(Buf(seg.options.begin(), seg.options.end()),
              (Buf{2, 4, 0x05, 0xb4, 1, 1, 1, 1, 1, 1, 1, 1}));
    EXPECT_EQ(Buf(seg.payload.begin(), seg.payload.end()), (Buf{'a', 'b', 'c', 'd', 'e'}));
    EXPECT_EQ(after.size(), before.size());
  }
}

TEST(StripMptcpOptions, LeavesSegmentsWithoutMptcpOptionsAlone) {
  const Buf plain = Frame({.payload = 5, .options = {2, 4, 0x05, 0xb4}});
  Buf frame = plain;
  EXPECT_EQ(StripMptcpOptions(frame), FlipOutcome::kNotTcp);
  EXPECT_EQ(frame, plain);
  Buf offloaded = Frame({.payload = 3, .options = {30, 4, 0x10, 0x01}});
  offloaded[TcpOf(offloaded).tcp_offset + 17] ^= 0xff;
  frame = offloaded;
  EXPECT_EQ(StripMptcpOptions(frame), FlipOutcome::kChecksumMismatch);
  EXPECT_EQ(frame, offloaded);
}

// The plan counts new data on the initial subflow (the first SYN to the port): not the
// retransmission, not the server's segments, not the join's.
TEST(CorruptionPlan, PicksTheNthNewDataSegmentOfTheInitialSubflow) {
  CorruptionPlan plan({.server_port = kServerPort, .subflow = TargetSubflow::kInitial, .nth = 3});
  std::vector<Buf> frames = {
      Frame({.seq = 999, .flags = capture::kTcpSyn}),                           // initial SYN
      Frame({.sport = 40001, .seq = 5, .flags = capture::kTcpSyn}),             // join SYN
      Frame({.seq = 1000, .payload = 100}),                                     // 1st
      Frame({.sport = 40001, .seq = 6, .payload = 100}),                        // join: not counted
      Frame({.seq = 1000, .payload = 100}),                                     // retransmission
      Frame({.sport = kServerPort, .seq = 1, .payload = 100, .dport = 40000}),  // other way
      Frame({.seq = 1100, .payload = 100}),                                     // 2nd
      Frame({.seq = 1200, .payload = 0}),                                       // pure ACK
      Frame({.seq = 1200, .payload = 100}),                                     // 3rd: the target
      Frame({.seq = 1300, .payload = 100}),
  };
  std::optional<Corruption> hit;
  std::size_t hit_at = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Buf before = frames[i];
    if (auto c = plan.OnFrame(frames[i])) {
      EXPECT_FALSE(hit.has_value()) << "one frame only";
      hit = c;
      hit_at = i;
    } else {
      EXPECT_EQ(frames[i], before) << "frame " << i << " passes unchanged";
    }
  }
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit_at, 8u);
  EXPECT_EQ(hit->outcome, FlipOutcome::kFlipped);
  EXPECT_EQ(hit->seq, 1200u);
  EXPECT_EQ(hit->sport, 40000);
  EXPECT_EQ(hit->payload_length, 100u);
  EXPECT_TRUE(ChecksumVerifies(frames[8]));
  EXPECT_TRUE(plan.done());
}

TEST(CorruptionPlan, OnJoinedSubflowsCountsOnlyThose) {
  CorruptionPlan plan({.server_port = kServerPort, .subflow = TargetSubflow::kJoined, .nth = 2});
  std::vector<Buf> frames = {
      Frame({.seq = 999, .flags = capture::kTcpSyn}),
      Frame({.seq = 1000, .payload = 10}),
      Frame({.sport = 40001, .seq = 5, .flags = capture::kTcpSyn}),
      Frame({.sport = 40001, .seq = 6, .payload = 10}),
      Frame({.seq = 1010, .payload = 10}),
      Frame({.sport = 40001, .seq = 16, .payload = 10}),  // the target
  };
  std::optional<Corruption> hit;
  for (Buf& f : frames) {
    if (auto c = plan.OnFrame(f)) hit = c;
  }
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->sport, 40001);
  EXPECT_EQ(hit->seq, 16u);
}

}  // namespace
}  // namespace mpdrill::tests
