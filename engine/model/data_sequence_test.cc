// DSS rules of the reference model: mappings, retransmissions, checksums spanning segments,
// DATA_ACK and DATA_FIN. Real checksums via mpdrill::crypto; one broken rule per test.
#include "engine/model/data_sequence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/model/mapping.h"
#include "engine/model/test_builder.h"

namespace mpdrill::model {
namespace {

using ::testing::ElementsAre;
using testing::HandshakeParams;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Scenario;

constexpr Side kC = Side::kClient;
constexpr Side kS = Side::kServer;
constexpr std::uint8_t kAck = kTcpAck;

std::vector<std::uint8_t> Slice(const std::vector<std::uint8_t>& v, std::size_t from,
                                std::size_t n) {
  return {v.begin() + from, v.begin() + from + n};
}

TEST(Expand32, PicksNearestValue) {
  EXPECT_EQ(Expand32(0x1'0000'0010ULL, 0x20), 0x1'0000'0020ULL);
  EXPECT_EQ(Expand32(0x1'ffff'fff0ULL, 0x10), 0x2'0000'0010ULL);        // wrapped forward
  EXPECT_EQ(Expand32(0x2'0000'0010ULL, 0xfffffff0), 0x1'ffff'fff0ULL);  // just behind
  EXPECT_EQ(Expand32(0xffff'ffff'ffff'fff0ULL, 0x5), 0x5ULL);           // 64-bit wrap
}

TEST(SsnRanges, ModularOverlap) {
  EXPECT_TRUE(SsnRangesOverlap(1, 100, 50, 10));
  EXPECT_FALSE(SsnRangesOverlap(1, 100, 101, 10));
  EXPECT_TRUE(SsnRangesOverlap(0xfffffff0u, 0x20, 5, 1));
  EXPECT_FALSE(SsnRangesOverlap(1, 0, 1, 10));
}

TEST(ModelDss, ThirtyTwoBitDsnAndDataAckAreExpanded) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 100);
  const auto payload = Scenario::Bytes(30);
  codec::Dss d = s.MapDss(0, kC, payload);
  d.flags = codec::kDssFlagMapping | codec::kDssFlagDataAck;  // 4-byte DSN and DATA_ACK
  d.dsn &= 0xffffffff;
  d.data_ack &= 0xffffffff;
  s.Send(0, kC, kAck, payload, {d});
  s.AdvanceDsn(kC, 30);
  codec::Dss ack = s.AckDss(kS);
  ack.flags = codec::kDssFlagDataAck;
  ack.data_ack &= 0xffffffff;
  s.Send(0, kS, kAck, {}, {ack});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].data_bytes[0], 130u);
}

TEST(ModelDss, D2ChecksumMissingWhenNegotiated) {
  Scenario s;
  s.Handshake({.server_checksum = true});
  const auto payload = Scenario::Bytes(20);
  codec::Dss d = s.MapDss(0, kC, payload);
  d.checksum.reset();
  s.Send(0, kC, kAck, payload, {d});
  ASSERT_THAT(s.Rules(), ElementsAre("D2")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation, HasSubstr("expected: present actual: absent"));
}

TEST(ModelDss, D2ChecksumPresentWhenNotNegotiated) {
  Scenario s;
  s.Handshake();
  const auto payload = Scenario::Bytes(20);
  codec::Dss d = s.MapDss(0, kC, payload);
  d.checksum = Scenario::Checksum(d.dsn, d.ssn, d.data_level_length, payload);
  s.Send(0, kC, kAck, payload, {d});
  EXPECT_THAT(s.Rules(), ElementsAre("D2")) << s.Dump();
}

TEST(ModelDss, D3WrongChecksum) {
  Scenario s;
  s.Handshake({.client_checksum = true});
  const auto payload = Scenario::Bytes(20);
  codec::Dss d = s.MapDss(0, kC, payload);
  const std::uint16_t right = *d.checksum;
  *d.checksum ^= 0x0101;
  s.Send(0, kC, kAck, payload, {d});
  ASSERT_THAT(s.Rules(), ElementsAre("D3")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation, HasSubstr("expected: " + Hex(right)));
}

// One mapping of 300 bytes sent as three segments, each carrying the mapping (as Linux does
// after TSO): the checksum covers all of them.
struct SpanningMapping {
  Scenario s;
  std::vector<std::uint8_t> payload = Scenario::Bytes(300, 3);
  codec::Dss dss;
  explicit SpanningMapping(bool corrupt) {
    s.Handshake({.client_checksum = true});
    dss = s.MapDss(0, kC, payload);
    if (corrupt) payload[150] ^= 0x40;  // the bytes on the wire differ from those summed
  }
  void Send(std::size_t i, std::optional<std::uint32_t> cut = std::nullopt) {
    s.Send(0, kC, kAck, Slice(payload, i * 100, 100), {dss}, cut);
  }
};

TEST(ModelDss, ChecksumSpanningSegmentsIsVerified) {
  SpanningMapping m(/*corrupt=*/false);
  m.Send(0);
  m.Send(1);
  m.Send(2);
  EXPECT_THAT(m.s.Rules(), IsEmpty()) << m.s.Dump();
  EXPECT_EQ(m.s.observer().LiveSummaries()[0].checksum_stats.verified, 1u);
}

TEST(ModelDss, D3ChecksumSpanningSegments) {
  SpanningMapping m(/*corrupt=*/true);
  m.Send(0);
  m.Send(1);
  EXPECT_THAT(m.s.Rules(), IsEmpty()) << "not complete yet";
  m.Send(2);
  EXPECT_THAT(m.s.Rules(), ElementsAre("D3")) << m.s.Dump();
}

TEST(ModelDss, CutPayloadIsUnverifiableNotViolation) {
  SpanningMapping m(/*corrupt=*/true);
  m.Send(0);
  m.Send(1, 64);  // the capture kept 64 of 100 bytes
  m.Send(2);
  EXPECT_THAT(m.s.Rules(), IsEmpty()) << m.s.Dump();
  const auto stats = m.s.observer().LiveSummaries()[0].checksum_stats;
  EXPECT_EQ(stats.unverifiable, 1u);
  EXPECT_EQ(stats.verified + stats.failed, 0u);
}

TEST(ModelDss, ReorderedAndRetransmittedSegmentsOfOneMapping) {
  Scenario s;
  s.Handshake({.client_checksum = true});
  const auto payload = Scenario::Bytes(200);
  const codec::Dss d = s.MapDss(0, kC, payload);
  // Hand-built segments: second half first, then the first half twice.
  auto seg = [&](std::uint32_t offset, std::uint64_t index) {
    std::vector<codec::Option> opts = {d};
    const auto part = Slice(payload, offset, 100);
    Segment g;
    g.index = 100 + index;
    g.src = testing::V4(198, 51, 100, 1, 40000);
    g.dst = testing::V4(203, 0, 113, 1, 80);
    g.seq = 0x10000001u + offset;
    g.ack = 0x20000001u;
    g.flags = kAck;
    g.payload_length = 100;
    g.payload = part;
    g.options = opts;
    ViolationSink v;
    s.observer().Observe(g, &v);
    return v;
  };
  EXPECT_TRUE(seg(100, 0).empty());
  EXPECT_TRUE(seg(0, 1).empty());
  EXPECT_TRUE(seg(0, 2).empty());
  EXPECT_EQ(s.observer().LiveSummaries()[0].checksum_stats.verified, 1u);
  EXPECT_EQ(s.observer().LiveSummaries()[0].subflows[0].retransmitted_bytes[0], 100u);
}

TEST(ModelDss, F3MpFailNamesTheFailedMapping) {
  for (bool right : {true, false}) {
    Scenario s;
    s.Handshake({.client_checksum = true});
    s.Data(kC, 30);
    const auto payload = Scenario::Bytes(20);
    codec::Dss d = s.MapDss(0, kC, payload);
    *d.checksum ^= 0x0101;  // corrupted on the way (D3 is reported against the mapping)
    s.Send(0, kC, kAck, payload, {d});
    codec::MpFail fail;
    fail.dsn = right ? d.dsn : d.dsn + 20;
    s.Send(0, kS, kAck, {}, {fail});
    EXPECT_THAT(s.observer().LiveSummaries()[0].mp_fail_sent, ElementsAre(0u, 1u));
    if (right) {
      EXPECT_THAT(s.Rules(), ElementsAre("D3")) << s.Dump();
    } else {
      ASSERT_THAT(s.Rules(), ElementsAre("D3", "F3")) << s.Dump();
      EXPECT_EQ(s.violations()[1].sender, kS);
      EXPECT_THAT(s.violations()[1].explanation,
                  HasSubstr("expected: " + Hex(d.dsn) + " actual: " + Hex(d.dsn + 20)));
    }
  }
}

// Rule F2 on a lone subflow: the server finds a bad checksum and sends MP_FAIL; the client
// echoes it and falls back with an infinite mapping (what Linux 6.18 does, docs/check.md).
// Data the client had already queued may still go out first under the mappings it was written
// with (Linux does, found by fuzz/live_fuzzer.cc): a capture cannot tell queued from new data,
// so that is not F2.
TEST(ModelDss, F2LoneSubflowFallsBackAfterItsQueuedData) {
  Scenario s;
  s.Handshake({.client_checksum = true});
  const auto payload = Scenario::Bytes(20);
  codec::Dss d = s.MapDss(0, kC, payload);
  *d.checksum ^= 0x0101;
  s.Send(0, kC, kAck, payload, {d});
  codec::MpFail fail;
  fail.dsn = d.dsn;
  s.Send(0, kS, kAck, {}, {fail});
  s.Send(0, kC, kAck, {}, {fail, s.AckDss(kC)});  // the echo
  s.AdvanceDsn(kC, 20);
  s.Data(kC, 30);  // queued before the MP_FAIL arrived
  s.InfiniteMapping(0, kC, 30);
  EXPECT_THAT(s.Rules(), ElementsAre("D3")) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kFallback);
}

// Rule F2 with several subflows: the receiver of the bad checksum resets the subflow, the RST
// carrying MP_FAIL (Linux 6.18 adds MP_TCPRST reason 6); MP_FAIL on a plain ACK is F2.
TEST(ModelDss, F2SeveralSubflowsResetTheFailingOne) {
  for (bool with_rst : {true, false}) {
    Scenario s;
    s.Handshake({.client_checksum = true});
    s.Data(kC, 10);
    const std::size_t sf = s.Join();
    const auto payload = Scenario::Bytes(20);
    codec::Dss d = s.MapDss(sf, kC, payload);
    *d.checksum ^= 0x0101;
    s.Send(sf, kC, kAck, payload, {d});
    codec::MpFail fail;
    fail.dsn = d.dsn;
    if (with_rst) {
      s.Send(sf, kS, kTcpRst | kAck, {}, {fail, codec::MpTcpRst{0, 6}});
      EXPECT_THAT(s.Rules(), ElementsAre("D3")) << s.Dump();
    } else {
      s.Send(sf, kS, kAck, {}, {fail});
      ASSERT_THAT(s.Rules(), ElementsAre("D3", "F2")) << s.Dump();
      EXPECT_EQ(s.violations()[1].sender, kS);
      EXPECT_THAT(s.violations()[1].explanation,
                  HasSubstr("while subflow 0 is established: expected: RST with MP_FAIL"));
    }
  }
}

TEST(ModelDss, D5SsnNotRelativeToIsn) {
  Scenario s;
  s.Handshake();
  const auto payload = Scenario::Bytes(20);
  codec::Dss d = s.MapDss(0, kC, payload);
  d.ssn = 0x10000001u;  // the absolute sequence number
  s.Send(0, kC, kAck, payload, {d});
  ASSERT_THAT(s.Rules(), ElementsAre("D5")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation,
              HasSubstr("expected: a mapping covering relative SSN 1..20"));
}

TEST(ModelDss, D9ConflictingMappingVsRetransmission) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  const auto payload = Scenario::Bytes(100);
  const codec::Dss d = s.MapDss(0, kC, payload);
  auto send_at_ssn = [&](const codec::Dss& dss, std::uint64_t index) {
    std::vector<codec::Option> opts = {dss};
    Segment g;
    g.index = index;
    g.src = testing::V4(198, 51, 100, 1, 40000);
    g.dst = testing::V4(203, 0, 113, 1, 80);
    g.seq = 0x10000000u + dss.ssn;
    g.ack = 0x20000001u;
    g.flags = kAck;
    g.payload_length = 100;
    g.payload = payload;
    g.options = opts;
    ViolationSink v;
    s.observer().Observe(g, &v);
    return v;
  };
  EXPECT_TRUE(send_at_ssn(d, 50).empty());
  EXPECT_TRUE(send_at_ssn(d, 51).empty()) << "a retransmission repeats its mapping";
  codec::Dss with_fin = d;  // Linux adds the DATA_FIN to the last mapping on retransmission
  with_fin.flags |= codec::kDssFlagDataFin;
  with_fin.data_level_length += 1;
  EXPECT_TRUE(send_at_ssn(with_fin, 52).empty());
  codec::Dss moved = d;
  moved.dsn += 40;
  const ViolationSink v = send_at_ssn(moved, 53);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, codec::RuleId::kD9);
  EXPECT_THAT(v[0].explanation, HasSubstr("conflicting mapping for SSN 11"));
}

TEST(ModelDss, D10DataAckBackwards) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 100);
  codec::Dss back = s.AckDss(kS);
  back.data_ack -= 50;
  s.Send(0, kS, kAck, {}, {back});
  ASSERT_THAT(s.Rules(), ElementsAre("D10")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation, HasSubstr("moved backwards"));
}

TEST(ModelDss, OlderDataAckOnReorderedSegmentIsNotBackwards) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 100);
  s.Data(kC, 100);
  codec::Dss back = s.AckDss(kS);
  back.data_ack -= 100;
  s.ack_lag = 100;  // the segment itself is old: its TCP ACK is behind too
  s.Send(0, kS, kAck, {}, {back});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
}

TEST(ModelDss, D10DataAckBeyondSentData) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 100);
  codec::Dss ahead = s.AckDss(kS);
  ahead.data_ack += 1;
  s.Send(0, kS, kAck, {}, {ahead});
  ASSERT_THAT(s.Rules(), ElementsAre("D10")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation, HasSubstr("beyond the data sent"));
}

TEST(ModelDss, DataFinOnDataMappingAndItsAck) {
  Scenario s;
  s.Handshake();
  const auto payload = Scenario::Bytes(100);
  s.Send(0, kC, kAck | kTcpFin, payload, {s.MapDss(0, kC, payload, /*data_fin=*/true)});
  s.AdvanceDsn(kC, 101);  // the DATA_FIN takes one DSN
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].data_bytes[0], 100u);
}

TEST(ModelDss, D8DataFinNotCountedInLength) {
  Scenario s;
  s.Handshake();
  const auto payload = Scenario::Bytes(100);
  codec::Dss d = s.MapDss(0, kC, payload, /*data_fin=*/true);
  d.data_level_length = 100;  // should be 101
  s.Send(0, kC, kAck, payload, {d});
  EXPECT_THAT(s.Rules(), ElementsAre("D8")) << s.Dump();
  // The receiver reads 99 bytes and the DATA_FIN on the 100th DSN, and acknowledges them
  // (Linux 6.18, found by fuzz/live_fuzzer.cc): within what was sent, no D10.
  codec::Dss ack = s.AckDss(kS);
  ack.data_ack = d.dsn + 100;
  s.Send(0, kS, kAck, {}, {ack});
  EXPECT_THAT(s.Rules(), ElementsAre("D8")) << s.Dump();
}

// The mapping of D8 is still checked: a corrupted checksum on it is a D3, and an MP_FAIL
// naming it answers that, no F3 (the live fuzzer's F3 finding: Linux 6.18 sends MP_FAIL for
// such a mapping, fuzz/findings/live_d8_checksum_mp_fail).
TEST(ModelDss, D8MappingChecksumIsVerifiedAndItsMpFailIsRight) {
  Scenario s;
  s.Handshake({.client_checksum = true});
  const auto payload = Scenario::Bytes(100);
  codec::Dss d = s.MapDss(0, kC, payload, /*data_fin=*/true);
  d.data_level_length = 100;  // should be 101
  d.checksum = Scenario::Checksum(d.dsn, d.ssn, 100, Slice(payload, 0, 99));
  *d.checksum ^= 0x0101;  // and corrupted
  s.Send(0, kC, kAck, payload, {d});
  EXPECT_THAT(s.Rules(), ElementsAre("D8", "D3")) << s.Dump();
  codec::MpFail fail;
  fail.dsn = d.dsn;
  s.Send(0, kS, kAck, {}, {fail});
  EXPECT_THAT(s.Rules(), ElementsAre("D8", "D3")) << s.Dump();
}

TEST(ModelDss, D8DataAfterDataFin) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  s.DataFin(kC);
  const auto payload = Scenario::Bytes(10);
  codec::Dss d = s.MapDss(0, kC, payload);
  d.dsn -= 1;  // reuses the DSN the DATA_FIN took
  s.Send(0, kC, kAck, payload, {d});
  EXPECT_THAT(s.Rules(), ElementsAre("D8")) << s.Dump();
}

}  // namespace
}  // namespace mpdrill::model
