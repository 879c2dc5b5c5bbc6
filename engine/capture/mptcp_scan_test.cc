#include "engine/capture/mptcp_scan.h"

#include <gtest/gtest.h>

#include "engine/capture/test_frames.h"

namespace mpdrill::capture {
namespace {

using testing::Buf;

TcpSegment SegmentWith(std::uint16_t flags, const Buf& options, Buf* storage,
                       std::size_t payload = 0) {
  testing::TcpSpec s;
  s.flags = flags;
  s.options = options;
  s.payload = Buf(payload, 0);
  *storage = testing::Ipv4({}, testing::Tcp(s));
  auto r = Dissect(kLinkRaw, *storage);
  if (!r.ok()) std::abort();
  return std::get<TcpSegment>(*r);
}

TEST(MptcpScan, SegmentInfoCarriesFlagsAndWirePayloadLength) {
  Buf storage;
  const TcpSegment seg = SegmentWith(kTcpSyn | kTcpAck, {}, &storage, 7);
  const codec::SegmentInfo info = SegmentInfoOf(seg);
  EXPECT_EQ(info.syn, true);
  EXPECT_EQ(info.ack, true);
  EXPECT_EQ(info.rst, false);
  EXPECT_EQ(info.payload_length, 7u);
}

TEST(MptcpScan, FindsEveryKind30OptionAmongOthers) {
  Buf storage;
  // mss 1460, nop, mp_prio backup, nop, dss dack4=9, sackOK
  const TcpSegment seg = SegmentWith(
      kTcpAck,
      {0x02, 0x04, 0x05, 0xb4, 0x01, 0x1e, 0x03, 0x51, 0x01, 0x1e, 0x08, 0x20, 0x01, 0, 0, 0, 9,
       0x04, 0x02},
      &storage);
  MptcpScan scan;
  ScanMptcpOptions(seg, &scan);
  ASSERT_EQ(scan.size, 2);
  EXPECT_EQ(scan.entries[0].offset, 5);
  EXPECT_EQ(scan.entries[0].subtype_nibble(), 5);
  ASSERT_TRUE(scan.entries[0].decoded.has_value());
  EXPECT_TRUE(std::get<codec::MpPrio>(scan.entries[0].decoded->option).backup);
  EXPECT_EQ(scan.entries[1].offset, 9);
  EXPECT_EQ(std::get<codec::Dss>(scan.entries[1].decoded->option).data_ack, 9u);
  EXPECT_FALSE(scan.stop.has_value());
  EXPECT_TRUE(scan.has_mptcp());
  EXPECT_EQ(scan.violation_count(), 0u);
}

TEST(MptcpScan, ReusedScanIsResetBetweenSegments) {
  Buf a, b;
  MptcpScan scan;
  ScanMptcpOptions(SegmentWith(kTcpAck, {0x1e, 0x03, 0x51}, &a), &scan);
  EXPECT_EQ(scan.size, 1);
  ScanMptcpOptions(SegmentWith(kTcpAck, {0x02, 0x04, 0x05, 0xb4}, &b), &scan);
  EXPECT_EQ(scan.size, 0);
  EXPECT_FALSE(scan.has_mptcp());
}

TEST(MptcpScan, DecodeErrorsAreKeptAsEntries) {
  Buf storage;
  MptcpScan scan;
  ScanMptcpOptions(SegmentWith(kTcpAck, {0x1e, 0x04, 0x50, 0x00}, &storage), &scan);  // mp_prio 4
  ASSERT_EQ(scan.size, 1);
  EXPECT_FALSE(scan.entries[0].decoded.has_value());
  ASSERT_TRUE(scan.entries[0].error.has_value());
  EXPECT_EQ(scan.entries[0].error->rule, codec::RuleId::kP1);
  EXPECT_EQ(scan.violation_count(), 1u);
}

TEST(MptcpScan, WalkStopOnAKind30ByteIsG5) {
  Buf storage;
  MptcpScan scan;
  ScanMptcpOptions(SegmentWith(kTcpAck, {0x01, 0x1e, 0x00, 0x01}, &storage), &scan);
  EXPECT_EQ(scan.size, 0);
  ASSERT_TRUE(scan.stop.has_value());
  EXPECT_EQ(scan.stop_at, 1);
  EXPECT_TRUE(scan.stop_on_mptcp);
  EXPECT_TRUE(scan.has_mptcp());
  EXPECT_EQ(scan.violation_count(), 1u);

  // A broken non-MPTCP option with no MPTCP option: nothing to report.
  ScanMptcpOptions(SegmentWith(kTcpAck, {0x08, 0x00, 0x01, 0x01}, &storage), &scan);
  EXPECT_TRUE(scan.stop.has_value());
  EXPECT_FALSE(scan.stop_on_mptcp);
  EXPECT_FALSE(scan.has_mptcp());
}

TEST(MptcpScan, MpCapableAndMpJoinInOneSynIsC10) {
  Buf storage;
  MptcpScan scan;
  const Buf both = {0x1e, 0x04, 0x01, 0x01, 0x1e, 0x0c, 0x10, 0x00, 0, 0, 0, 1, 0, 0, 0, 2};
  ScanMptcpOptions(SegmentWith(kTcpSyn, both, &storage), &scan);
  ASSERT_EQ(scan.segment_violations.size, 1);
  EXPECT_EQ(scan.segment_violations.items[0].rule, codec::RuleId::kC10);
  EXPECT_EQ(scan.segment_violations.items[0].offset, 4);
  // The same pair without SYN is not C10 (each option then breaks its own length rule).
  ScanMptcpOptions(SegmentWith(kTcpAck, both, &storage), &scan);
  EXPECT_EQ(scan.segment_violations.size, 0);
}

}  // namespace
}  // namespace mpdrill::capture
