// The reference model on whole connections: handshakes, fallback, joins, address management,
// fast close, summaries. Every packet carries real keys, HMACs and checksums (mpdrill::crypto);
// each violation test breaks exactly one rule and expects exactly that rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/model/test_builder.h"

namespace mpdrill::model {
namespace {

using ::testing::ElementsAre;
using testing::HandshakeParams;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::JoinParams;
using testing::Scenario;

constexpr Side kC = Side::kClient;
constexpr Side kS = Side::kServer;
constexpr std::uint8_t kAck = kTcpAck;

TEST(ModelHandshake, CleanConnectionClosesWithDataFin) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 100);
  s.Data(kS, 1000);
  s.Data(kC, 7);
  s.DataFin(kC);
  s.DataFin(kS);
  s.CloseSubflow(0, kC);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().live_connections(), 0u);
  auto done = s.observer().TakeFinished();
  ASSERT_EQ(done.size(), 1u);
  const ConnectionSummary& c = done[0];
  EXPECT_EQ(c.mode, Mode::kMptcp);
  EXPECT_TRUE(c.mptcp_negotiated);
  EXPECT_FALSE(c.fallback);
  EXPECT_FALSE(c.checksums);
  EXPECT_EQ(c.close, CloseKind::kDataFin);
  EXPECT_EQ(c.data_bytes[0], 107u);
  EXPECT_EQ(c.data_bytes[1], 1000u);
  ASSERT_EQ(c.subflows.size(), 1u);
  EXPECT_EQ(c.subflows[0].state, SubflowState::kClosed);
  EXPECT_EQ(c.keys[0], Scenario::kClientKey);
  EXPECT_EQ(c.tokens[1], crypto::Token(Scenario::kServerKey));
  EXPECT_THAT(Describe(c), HasSubstr("close data-fin"));
}

TEST(ModelHandshake, ChecksumsVerifiedWhenEitherSideAsks) {
  for (bool client : {false, true}) {
    Scenario s;
    s.Handshake({.client_checksum = client, .server_checksum = !client});
    s.Data(kC, 333);
    s.Data(kS, 1);
    EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
    auto live = s.observer().LiveSummaries();
    ASSERT_EQ(live.size(), 1u);
    EXPECT_TRUE(live[0].checksums);
    EXPECT_EQ(live[0].checksum_stats.verified, 2u);
  }
}

TEST(ModelHandshake, C5MpCapableDataFormWithoutNegotiatedChecksum) {
  Scenario s;
  s.Handshake({.client_checksum = true});
  codec::MpCapable m = s.ThirdAckMpc();
  m.data_level_length = 10;  // 22-byte form: no checksum although A was set
  s.Send(0, kC, kAck | kTcpPsh, Scenario::Bytes(10), {m});
  EXPECT_THAT(s.Rules(), ElementsAre("C5")) << s.Dump();
}

TEST(ModelHandshake, MpCapableDataFormMapsIdsnPlusOne) {
  Scenario s;
  s.Handshake({.client_checksum = true});
  const auto payload = Scenario::Bytes(10);
  codec::MpCapable m = s.ThirdAckMpc();
  m.data_level_length = 10;
  m.checksum = Scenario::Checksum(s.next_dsn(kC), 1, 10, payload);
  s.Send(0, kC, kAck | kTcpPsh, payload, {m});
  s.AdvanceDsn(kC, 10);
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  s.Data(kC, 20);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].checksum_stats.verified, 2u);
}

TEST(ModelHandshake, C6EchoedKeyMismatch) {
  Scenario s;
  s.Handshake({.echoed_server_key = 0x1111});
  ASSERT_THAT(s.Rules(), ElementsAre("C6")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation,
              HasSubstr("expected: 0xfedcba9876543210 actual: 0x1111"));
  EXPECT_EQ(s.violations()[0].sender, kC);
  EXPECT_EQ(s.violations()[0].packet, 3u);
}

TEST(ModelHandshake, C7FirstDsnIsIdsnPlusOne) {
  Scenario s;
  s.Handshake();
  const auto payload = Scenario::Bytes(50);
  codec::Dss d = s.MapDss(0, kC, payload);
  d.dsn = s.idsn(kC);  // forgot the +1
  s.Send(0, kC, kAck, payload, {d});
  EXPECT_THAT(s.Rules(), ElementsAre("C7")) << s.Dump();
  // The receiver trims the byte below IDSN+1 and acknowledges the rest (Linux 6.18, found by
  // fuzz/live_fuzzer.cc): that DATA_ACK is within the data sent, no D10.
  codec::Dss ack = s.AckDss(kS);
  ack.data_ack = s.idsn(kC) + 50;
  s.Send(0, kS, kAck, {}, {ack});
  EXPECT_THAT(s.Rules(), ElementsAre("C7")) << s.Dump();

  Scenario t;
  t.Handshake();
  d = t.MapDss(0, kC, payload);
  d.dsn += 1000;  // SSN 1 of the initial subflow must be IDSN+1
  t.Send(0, kC, kAck, payload, {d});
  EXPECT_THAT(t.Rules(), ElementsAre("C7")) << t.Dump();
}

TEST(ModelFallback, C11SynAckWithoutMpCapableThenOptions) {
  Scenario s;
  s.Handshake({.syn_ack_mpc = false});
  EXPECT_THAT(s.Rules(), IsEmpty());
  auto live = s.observer().LiveSummaries();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_TRUE(live[0].fallback);
  EXPECT_EQ(live[0].fallback_reason, "SYN/ACK without MP_CAPABLE");
  s.Send(0, kC, kAck, Scenario::Bytes(10), {s.AckDss(kC)});
  EXPECT_THAT(s.Rules(), ElementsAre("C11")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation, HasSubstr("expected: no MPTCP option actual: dss"));
}

TEST(ModelFallback, PlainTcpIsNotMptcp) {
  Scenario s;
  s.Handshake({.syn_ack_mpc = false});
  s.Send(0, kC, kAck, Scenario::Bytes(10), {});
  s.Send(0, kS, kAck, {}, {});
  s.Send(0, kC, kTcpFin | kAck, {}, {});
  s.Send(0, kS, kTcpFin | kAck, {}, {});
  s.Send(0, kC, kAck, {}, {});
  EXPECT_THAT(s.Rules(), IsEmpty());
  auto done = s.observer().TakeFinished();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].close, CloseKind::kTcp);
  EXPECT_EQ(done[0].subflows[0].tcp_bytes[0], 10u);
}

TEST(ModelFallback, G4ThirdAckWithoutMpCapableIsFallbackNotViolation) {
  Scenario s;
  s.Handshake({.third_ack_mpc = false});
  s.Send(0, kC, kAck, Scenario::Bytes(10), {});
  s.Send(0, kS, kAck, Scenario::Bytes(20), {});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  auto live = s.observer().LiveSummaries();
  EXPECT_EQ(live[0].mode, Mode::kFallback);
  EXPECT_EQ(live[0].fallback_rule, codec::RuleId::kG4);
  EXPECT_EQ(live[0].fallback_reason, "third ACK without MP_CAPABLE");
}

TEST(ModelFallback, G1OptionAfterFallback) {
  Scenario s;
  s.Handshake({.third_ack_mpc = false});
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
  EXPECT_EQ(s.violations()[0].sender, kS);
}

TEST(ModelFallback, G2FirstDataWithoutDssFallsBack) {
  Scenario s;
  s.Handshake();
  s.Send(0, kC, kAck | kTcpPsh, Scenario::Bytes(10), {});  // DSS stripped on the way
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  auto live = s.observer().LiveSummaries();
  EXPECT_EQ(live[0].mode, Mode::kFallback);
  EXPECT_EQ(live[0].fallback_rule, codec::RuleId::kG2);
  EXPECT_EQ(live[0].fallback_reason, "first data without a DSS mapping");
  s.Send(0, kC, kAck, Scenario::Bytes(10), {s.AckDss(kC)});  // the sender has not noticed yet
  s.Send(0, kS, kAck, {}, {});  // the receiver acknowledges as plain TCP: it has fallen back
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();

  Scenario t;  // data mapped first, then a segment without DSS: not G2
  t.Handshake();
  t.Data(kC, 10);
  t.Send(0, kC, kAck, Scenario::Bytes(5), {});
  EXPECT_EQ(t.observer().LiveSummaries()[0].mode, Mode::kMptcp);
}

// Found by fuzz/live_fuzzer.cc: the first data carries a DSS mapping that does not cover it
// (a DATA_FIN mapping of length 1 on a 1-byte segment, D5). The mapping is broken, not
// missing: Linux 6.18 stays MPTCP and acknowledges with DSS, so that is no G2 fallback and no
// G1 against the receiver. Its DATA_FIN stands on its own (Linux takes a DATA_FIN of length 1
// whatever the SSN): the DATA_ACK covering it is not D10.
TEST(ModelFallback, G2NotTakenWhenTheFirstDataCarriesABrokenMapping) {
  Scenario s;
  s.Handshake();
  const auto payload = Scenario::Bytes(1);
  codec::Dss d = s.MapDss(0, kC, payload, /*data_fin=*/true);
  d.data_level_length = 1;  // the DATA_FIN only: maps none of the segment's byte
  s.Send(0, kC, kAck | kTcpPsh, payload, {d});
  EXPECT_THAT(s.Rules(), ElementsAre("D5")) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
  codec::Dss ack = s.AckDss(kS);
  ack.data_ack = d.dsn + 1;  // the DATA_FIN, not the byte
  s.Send(0, kS, kAck, {}, {ack});
  EXPECT_THAT(s.Rules(), ElementsAre("D5")) << s.Dump();
}

// Found by fuzz/live_fuzzer.cc: a join attempt on a connection that fell back (G2) before it.
// Linux 6.18 still finds the connection by its token, answers the MP_JOIN SYN and refuses the
// subflow at the third ACK with a RST carrying MP_TCPRST reason 1. MP_JOIN and MP_TCPRST are
// that refusal, not G1; a DSS on the attempt still is.
TEST(ModelFallback, G1NotForTheRefusalOfAJoinAfterFallback) {
  for (bool dss : {false, true}) {
    Scenario s;
    s.Handshake();
    s.Send(0, kC, kAck | kTcpPsh, Scenario::Bytes(10), {});  // DSS stripped: G2
    s.Send(0, kS, kAck, {}, {});                             // the server has fallen back
    const std::size_t sf = s.Join({.fourth_ack = false});
    if (dss) {
      s.Send(sf, kS, kTcpRst | kAck, {}, {codec::MpTcpRst{0, 1}, s.AckDss(kS)});
      EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
    } else {
      s.Send(sf, kS, kTcpRst | kAck, {}, {codec::MpTcpRst{0, 1}});
      EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
    }
  }
}

// Found by fuzz/live_fuzzer.cc: the client removes address ID 0 (its initial subflow's), the
// server closes that subflow, and the client then sends an infinite mapping on it. The server
// takes no more data there at the connection level and stays MPTCP: no fallback, no G1.
TEST(ModelFallback, G6NotOnARemovedSubflow) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  codec::RemoveAddr remove;
  remove.address_ids.data[remove.address_ids.size++] = 0;
  s.Send(0, kC, kAck, {}, {remove, s.AckDss(kC)});
  s.InfiniteMapping(0, kC, 20);
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
}

// Found by fuzz/live_fuzzer.cc: a subflow joined (its third ACK carried MP_JOIN), then
// the first data on the initial subflow comes without DSS. The connection can no longer fall
// back: Linux 6.18 resets that subflow with MP_TCPRST reason 6, which is no G1.
TEST(ModelFallback, G2NotAfterAJoin) {
  Scenario s;
  s.Handshake();
  s.Join({.fourth_ack = false});  // no DATA_ACK anywhere yet: the join alone decides
  s.Send(0, kC, kAck | kTcpPsh, Scenario::Bytes(10), {});  // DSS stripped
  s.Send(0, kS, kTcpRst | kAck, {}, {codec::MpTcpRst{0, 6}});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
}

// Found by fuzz/live_fuzzer.cc: a mapping of 1000 bytes, of which 100 were sent; then an
// infinite mapping on the next bytes, inside that mapping. That changes a mapping (D9), and
// the receiver, still inside the first one, does not fall back (Linux 6.18 goes on with DSS).
TEST(ModelFallback, InfiniteMappingInsideAnEarlierMappingIsD9NotAFallback) {
  Scenario s;
  s.Handshake();
  const auto first = Scenario::Bytes(100);
  codec::Dss d = s.MapDss(0, kC, first);
  d.data_level_length = 1000;
  s.Send(0, kC, kAck, first, {d});
  s.InfiniteMapping(0, kC, 50);
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), ElementsAre("D9")) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
}

// The same with the first mapping below IDSN+1 (C7): the receiver still holds it as the
// mapping of those subflow bytes (live fuzzer, fuzz/findings/live_c7_infinite_inside_mapping:
// Linux 6.18 acknowledged nothing of it and went on with DSS after the infinite mapping).
TEST(ModelFallback, InfiniteMappingInsideAMappingBelowIdsnIsD9NotAFallback) {
  Scenario s;
  s.Handshake();
  const auto first = Scenario::Bytes(100);
  codec::Dss d = s.MapDss(0, kC, first);
  d.dsn -= 9147;
  d.data_level_length = 1000;
  s.Send(0, kC, kAck, first, {d});
  s.InfiniteMapping(0, kC, 1);
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), ElementsAre("C7", "D9")) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
}

// Found by fuzz/live_fuzzer.cc: the client's DATA_FIN was acknowledged, then it sends an
// infinite mapping. Nothing is mapped after a DATA_FIN (D8); the server has closed that
// direction and stays MPTCP (Linux 6.18 goes on with DSS).
TEST(ModelFallback, InfiniteMappingAfterTheDataFinIsD8NotAFallback) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  s.DataFin(kC);
  s.InfiniteMapping(0, kC, 50);
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), ElementsAre("D8")) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
}

// Found by fuzz/live_fuzzer.cc: the receiver of an infinite mapping that cannot fall back
// (Linux 6.18: data missing at the connection level) resets the subflow with MP_TCPRST. That
// RST refuses the fallback: its MP_TCPRST is no G1.
TEST(ModelFallback, G6ReceiverMayRefuseWithARst) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 100);
  s.InfiniteMapping(0, kC, 40);
  s.Send(0, kS, kTcpRst | kAck, {}, {codec::MpTcpRst{0, 1}});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
}

// Found by fuzz/live_fuzzer.cc: Linux 6.18 sends its infinite mapping on a buffer that TSO
// splits into several segments, each carrying the same DSS. The same option again, before the
// receiver acknowledged the infinite mapping, is no G1; any other MPTCP option still is.
TEST(ModelFallback, G1NotForTheInfiniteMappingRepeatedOnItsSegments) {
  Scenario s;
  s.Handshake();
  const codec::Dss inf = s.InfiniteMapping(0, kS, 40);
  s.Send(0, kS, kAck, Scenario::Bytes(40), {inf});  // the next segment of the same buffer
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.Send(0, kS, kAck, Scenario::Bytes(40), {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
}

// Found by ci/interop.sh: captured at the receiver, its acknowledgement of the infinite
// mapping's first segment comes before the rest of the burst the sender had already sent
// (contiguous, the same DSS, microseconds later): no G1. The same DSS on later data, or on a
// segment that does not continue the burst, still is.
TEST(ModelFallback, G1NotForTheRestOfTheBurstAfterTheReceiversAck) {
  Scenario s;
  s.Handshake();
  const codec::Dss inf = s.InfiniteMapping(0, kC, 40);
  s.next_gap_us = 100;
  s.Send(0, kS, kAck, {}, {});  // acknowledges it (seen first at the server's side)
  s.next_gap_us = 100;  // 200 us after the first segment of the burst
  s.Send(0, kC, kAck, Scenario::Bytes(40), {inf});
  s.next_gap_us = 4000;  // an emulated sender segments in software: milliseconds apart
  s.Send(0, kC, kAck, Scenario::Bytes(40), {inf});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.next_gap_us = 50000;
  s.Send(0, kC, kAck, Scenario::Bytes(40), {inf});  // 50 ms later: a new write
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
}

// Found by fuzz/live_fuzzer.cc: the client's infinite mapping made the server fall back, and
// the server — which had been asked for one by MP_FAIL — still sends its own infinite mapping
// on its next data, TSO-repeated. Once from each side, that is the fallback signal itself, not
// G1; repeated after the client acknowledged it, it is.
TEST(ModelFallback, G1NotForEachSidesOwnInfiniteMapping) {
  Scenario s;
  s.Handshake();
  s.InfiniteMapping(0, kC, 40);
  s.Send(0, kS, kAck, {}, {});  // the server has fallen back
  const codec::Dss theirs = s.InfiniteMapping(0, kS, 100);
  s.ack_lag = 100;  // the client has not acknowledged it yet
  s.Send(0, kC, kAck, {}, {});
  s.Send(0, kS, kAck, Scenario::Bytes(100), {theirs});  // the next TSO segment
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.Send(0, kC, kAck, {}, {});  // acknowledges both
  s.next_gap_us = 50000;        // a later write, not the rest of the burst
  s.Send(0, kS, kAck, Scenario::Bytes(100), {theirs});
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
}

TEST(ModelFallback, G6InfiniteMappingFallsBack) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 100);
  s.InfiniteMapping(0, kC, 40);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].fallback_rule, codec::RuleId::kG6);
  s.Send(0, kC, kAck, Scenario::Bytes(10), {});  // plain TCP now: fine
  s.Send(0, kS, kAck, {}, {});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.Send(0, kC, kAck, {}, {s.AckDss(kC)});
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
}

// scripts/mptcp/checksum/mp_fail_infinite_mapping.pkt: Linux retransmits the segment that
// carried the infinite mapping with that DSS on it. A retransmission of what was sent before
// the fallback may carry its options; new data with a DSS is still G1.
TEST(ModelFallback, G1NotOnARetransmissionOfTheInfiniteMappingSegment) {
  Scenario s;
  s.Handshake();
  const codec::Dss inf = s.InfiniteMapping(0, kC, 40);
  s.seq_ahead = static_cast<std::uint32_t>(-40);  // the same 40 bytes again
  s.Send(0, kC, kAck, Scenario::Bytes(40), {inf});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.Send(0, kS, kAck, {}, {});  // the server acknowledges: both sides have fallen back
  s.next_gap_us = 50000;        // new data, later (not the rest of the first burst)
  s.Send(0, kC, kAck, Scenario::Bytes(10), {inf});
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
}

TEST(ModelFallback, G6PeerMayStillSendOptionsUntilItAcknowledges) {
  Scenario s;
  s.Handshake();
  s.InfiniteMapping(0, kC, 40);
  s.ack_lag = 40;  // sent before the infinite mapping reached the server
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.Send(0, kS, kAck, {}, {});  // acknowledges it: the server has fallen back too
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
  EXPECT_THAT(s.Rules(), ElementsAre("G1")) << s.Dump();
}

// Upstream dss/dss_ssn_specified_server.pkt: the client acknowledges with
// `dss dack8=1001 dsn8=1 ssn=1 dll=0` on a pure ACK — a DSS "mapping" of length 0 on a segment
// without data. It maps no byte, and Linux 6.18 never sees it: zero-length segments are
// dropped before the MPTCP layer (net/mptcp/options.c, mptcp_incoming_options), so the kernel
// goes on with DSS. Not an infinite mapping: no fallback, no G1 on the kernel's next DSS; its
// DATA_ACK still counts.
TEST(ModelFallback, ZeroLengthMappingOnAPureAckIsNoInfiniteMapping) {
  Scenario s;
  s.Handshake();
  s.Data(kS, 1000, 0, /*peer_ack=*/false);
  codec::Dss ack = s.AckDss(kC);
  ack.flags |= codec::kDssFlagMapping | codec::kDssFlagDsn8;
  ack.dsn = s.next_dsn(kC);
  ack.ssn = 1;
  ack.data_level_length = 0;
  s.Send(0, kC, kAck, {}, {ack});
  s.Data(kS, 1000, 0, /*peer_ack=*/false);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
  // Its DATA_ACK was taken: acknowledging 1000 bytes less now goes backwards (D10).
  codec::Dss back = s.AckDss(kC);
  back.data_ack -= 2000;
  s.Send(0, kC, kAck, {}, {back});
  EXPECT_THAT(s.Rules(), ElementsAre("D10")) << s.Dump();
}

// Found by fuzz/live_fuzzer.cc: the client resets the only subflow, then still sends data
// without DSS on it. The server has no socket for it any more (it answers with a RST): that is
// no first data without a mapping, no G2 fallback; the connection stays MPTCP and joinable.
TEST(ModelFallback, NothingArrivesOnAResetSubflow) {
  Scenario s;
  s.Handshake();
  s.Send(0, kC, kTcpRst | kAck, {}, {});
  s.Send(0, kC, kAck | kTcpPsh, Scenario::Bytes(100), {});
  s.Send(0, kS, kTcpRst, {}, {});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].mode, Mode::kMptcp);
  s.Join();
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
}

// Found by fuzz/live_fuzzer.cc: a connection the model retired (fell back, its subflow closed)
// may still be held by the host until its application closes it, and Linux 6.18 answers an
// MP_JOIN for its token (then refuses it). Within all_reset_linger_us that is no J2; later it is.
TEST(ModelJoin, J2NotForTheTokenOfAJustRetiredConnection) {
  for (std::uint64_t linger : {60'000'000ull, 0ull}) {
    Scenario s(Scenario::kClientKey, Scenario::kServerKey, {.all_reset_linger_us = linger});
    s.Handshake();
    s.Send(0, kC, kAck | kTcpPsh, Scenario::Bytes(10), {});  // DSS stripped: G2 fallback
    s.Send(0, kS, kAck, {}, {});
    s.Send(0, kC, kTcpFin | kAck, {}, {});
    s.Send(0, kS, kTcpFin | kAck, {}, {});
    s.Send(0, kC, kAck, {}, {});
    ASSERT_TRUE(s.observer().LiveSummaries().empty());  // finished and retired
    s.Join({.fourth_ack = false});
    if (linger > 0) {
      EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
    } else {
      EXPECT_THAT(s.Rules(), ElementsAre("J2")) << s.Dump();
    }
  }
}

TEST(ModelJoin, CleanJoinCarriesData) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  const std::size_t sf = s.Join();
  s.Data(kC, 500, sf);
  s.Data(kS, 300, sf);
  s.Data(kS, 30, 0);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  auto live = s.observer().LiveSummaries();
  ASSERT_EQ(live[0].subflows.size(), 2u);
  EXPECT_TRUE(live[0].subflows[1].joined);
  EXPECT_EQ(live[0].subflows[1].state, SubflowState::kEstablished);
  EXPECT_EQ(live[0].data_bytes[0], 510u);
}

TEST(ModelJoin, ServerInitiatedJoinUsesClientToken) {
  Scenario s;
  s.Handshake();
  const std::size_t sf = s.Join({.initiator = kS});
  s.Data(kS, 64, sf);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().LiveSummaries()[0].subflows.size(), 2u);
}

TEST(ModelJoin, J2UnknownTokenAccepted) {
  Scenario s;
  s.Handshake();
  s.Join({.token = 0xdeadbeef});
  EXPECT_THAT(s.Rules(), ElementsAre("J2")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation, HasSubstr("0xdeadbeef"));
}

TEST(ModelJoin, J2UnknownTokenRefusedIsFine) {
  Scenario s;
  s.Handshake();
  s.Join({.token = 0xdeadbeef, .refuse = true});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().stats().unknown_tokens, 1u);
  EXPECT_EQ(s.observer().pending_joins(), 0u);
  ObserverOptions lenient;  // a capture that may start mid-connection
  lenient.unknown_token_is_violation = false;
  Scenario t(Scenario::kClientKey, Scenario::kServerKey, lenient);
  t.Handshake();
  t.Join({.token = 0xdeadbeef});
  EXPECT_THAT(t.Rules(), IsEmpty()) << t.Dump();
}

TEST(ModelJoin, J3SynAckHmac) {
  Scenario s;
  s.Handshake();
  s.Join({.corrupt_syn_ack_hmac = true});
  EXPECT_THAT(s.Rules(), ElementsAre("J3")) << s.Dump();
}

TEST(ModelJoin, J4AckHmac) {
  Scenario s;
  s.Handshake();
  s.Join({.corrupt_ack_hmac = true});
  EXPECT_THAT(s.Rules(), ElementsAre("J4")) << s.Dump();
}

TEST(ModelJoin, J5ResponderAcceptsBadHmac) {
  Scenario s;
  s.Handshake();
  s.Join({.corrupt_ack_hmac = true, .reset_on_bad_hmac = false});
  EXPECT_THAT(s.Rules(), ElementsAre("J4", "J5")) << s.Dump();
}

TEST(ModelJoin, J8StrippedMpJoinMeansReset) {
  for (bool syn_ack : {true, false}) {
    Scenario ok;
    ok.Handshake();
    ok.Join({.strip_syn_ack = syn_ack, .strip_ack = !syn_ack});  // the peer resets: fine
    EXPECT_THAT(ok.Rules(), IsEmpty()) << ok.Dump();
    Scenario bad;
    bad.Handshake();
    bad.Join({.strip_syn_ack = syn_ack, .strip_ack = !syn_ack, .reset_on_bad_hmac = false});
    EXPECT_THAT(bad.Rules(), ElementsAre("J8")) << bad.Dump();
  }
}

TEST(ModelJoin, J9AddressIdNamesOneAddress) {
  Scenario s;
  s.Handshake();
  s.Join({.address_id = 3});
  s.Join({.address_id = 3});  // same address (198.51.100.2), another port: fine
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  s.Join({.address_id = 3, .initiator_endpoint = testing::V4(198, 51, 100, 9, 41000)});
  ASSERT_THAT(s.Rules(), ElementsAre("J9")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation,
              HasSubstr("expected: 198.51.100.2 actual: 198.51.100.9"));
  EXPECT_EQ(s.violations()[0].sender, kC);

  Scenario t;  // ID 0 is the initial subflow's address (198.51.100.1)
  t.Handshake();
  t.Join({.address_id = 0});
  EXPECT_THAT(t.Rules(), ElementsAre("J9")) << t.Dump();

  Scenario u;  // REMOVE_ADDR frees the ID
  u.Handshake();
  u.Join({.address_id = 3});
  codec::RemoveAddr rm;
  rm.address_ids.data[0] = 3;
  rm.address_ids.size = 1;
  u.Send(0, kC, kAck, {}, {rm});
  u.Join({.address_id = 3, .initiator_endpoint = testing::V4(198, 51, 100, 9, 41000)});
  EXPECT_THAT(u.Rules(), IsEmpty()) << u.Dump();
}

TEST(ModelJoin, J6DataBeforeFourthAck) {
  Scenario s;
  s.Handshake();
  const std::size_t sf = s.Join({.fourth_ack = false});
  const auto payload = Scenario::Bytes(10);
  s.Send(sf, kC, kAck, payload, {s.MapDss(sf, kC, payload)});
  EXPECT_THAT(s.Rules(), ElementsAre("J6")) << s.Dump();
}

TEST(ModelAddress, AdvertiseAndEchoIsClean) {
  Scenario s;
  s.Handshake();
  const codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2}, 8080);
  s.Send(0, kS, kAck, {}, {a});
  s.Send(0, kS, kAck, {}, {a});  // retransmitted until echoed (A4)
  s.Send(0, kC, kAck, {}, {Scenario::Echo(a)});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
}

TEST(ModelAddress, A2AddAddrHmac) {
  Scenario s;
  s.Handshake();
  codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2});
  *a.hmac ^= 0x100;
  s.Send(0, kS, kAck, {}, {a});
  EXPECT_THAT(s.Rules(), ElementsAre("A2")) << s.Dump();
}

TEST(ModelAddress, A4EchoMustMatch) {
  Scenario s;
  s.Handshake();
  const codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2});
  s.Send(0, kS, kAck, {}, {a});
  codec::AddAddr echo = Scenario::Echo(a);
  echo.address[3] = 9;
  s.Send(0, kC, kAck, {}, {echo});
  ASSERT_THAT(s.Rules(), ElementsAre("A4")) << s.Dump();
  EXPECT_THAT(s.violations()[0].explanation,
              HasSubstr("expected: id 1 203.0.113.2 actual: id 1 203.0.113.9"));
  Scenario t;
  t.Handshake();
  t.Send(0, kC, kAck, {}, {Scenario::Echo(a)});  // never advertised
  EXPECT_THAT(t.Rules(), ElementsAre("A4")) << t.Dump();
}

// Found by a script `mpdrill fuzz script` wrote (corpus/live_fuzzer/add_remove_addr, each step
// 5 ms after the previous one): Linux 6.18's echo of an ADD_ADDR crossed the REMOVE_ADDR of the
// same ID. The address was advertised: no A4. An echo of another address under that ID is.
TEST(ModelAddress, A4EchoCrossingItsRemoveAddr) {
  for (const bool same : {true, false}) {
    Scenario s;
    s.Handshake();
    const codec::AddAddr a = s.Advertise(kC, 5, {192, 0, 2, 20});
    s.Send(0, kC, kAck, {}, {a});
    codec::RemoveAddr rm;
    rm.address_ids.data[0] = 5;
    rm.address_ids.size = 1;
    s.Send(0, kC, kAck, {}, {rm});
    codec::AddAddr echo = Scenario::Echo(a);
    if (!same) echo.address[3] = 21;
    s.Send(0, kS, kAck, {}, {echo});
    if (same) {
      EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
    } else {
      EXPECT_THAT(s.Rules(), ElementsAre("A4")) << s.Dump();
    }
  }
}

// Found by fuzz/live_fuzzer.cc: ADD_ADDR with an explicit port 0 is echoed by Linux 6.18
// without the port field. Port 0 names no port: the echo matches; another port does not.
TEST(ModelAddress, A4PortZeroIsNoPort) {
  for (std::uint16_t echoed : {0, 8080}) {
    Scenario s;
    s.Handshake();
    const codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2}, /*port=*/0);
    s.Send(0, kS, kAck, {}, {a});
    codec::AddAddr echo = Scenario::Echo(a);
    echo.port = echoed == 0 ? std::nullopt : std::optional<std::uint16_t>(echoed);
    s.Send(0, kC, kAck, {}, {echo});
    if (echoed == 0) {
      EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
    } else {
      EXPECT_THAT(s.Rules(), ElementsAre("A4")) << s.Dump();
    }
  }
}

TEST(ModelFastclose, ValidFastcloseClosesConnection) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  codec::MpFastclose f;
  f.receiver_key = s.key(kS);
  s.Send(0, kC, kAck, {}, {f});
  s.Send(0, kC, kTcpRst, {}, {});
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  auto done = s.observer().TakeFinished();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].close, CloseKind::kFastclose);
  EXPECT_EQ(done[0].subflows[0].state, SubflowState::kReset);
}

// Upstream mp_reset/mp_reset_single_tcp.pkt injects `R. 1002:1002(0)` while the kernel expects
// sequence 1: the kernel answers with a challenge ACK and stays connected (RFC 5961 §3.2,
// RFC 9293 §3.10.7.4: only a RST at the next expected sequence number resets). The model
// took any RST as a reset, retired the connection and ignored everything after it.
TEST(ModelClose, RstOutsideTheReceiversWindowResetsNothing) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  s.seq_ahead = 1001;
  s.Send(0, kC, kTcpRst | kAck, {}, {});
  s.Send(0, kS, kAck, {}, {s.AckDss(kS)});  // the challenge ACK
  s.Data(kC, 20);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_THAT(s.observer().TakeFinished(), IsEmpty());
  auto live = s.observer().LiveSummaries();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].subflows[0].state, SubflowState::kEstablished);
  EXPECT_EQ(live[0].data_bytes[0], 30u);  // the data after it is still judged and counted
  s.Send(0, kC, kTcpRst | kAck, {}, {});  // at the next sequence number: a reset
  live = s.observer().LiveSummaries();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].subflows[0].state, SubflowState::kReset);
}

// RFC 8684 §3.3.3: resetting every subflow does not close the MPTCP connection (Linux keeps it
// for new subflows): a join afterwards finds its token and carries data, no J2. Such a
// connection is retired after ObserverOptions::all_reset_linger_us without traffic.
TEST(ModelClose, AConnectionWhoseSubflowsWereResetCanStillBeJoined) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  s.Send(0, kC, kTcpRst | kAck, {}, {codec::MpTcpRst{0, 1}});
  EXPECT_THAT(s.observer().TakeFinished(), IsEmpty());
  const std::size_t sf = s.Join();
  s.Data(kC, 20, sf);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  auto live = s.observer().LiveSummaries();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].data_bytes[0], 30u);
}

TEST(ModelClose, AllResetConnectionsAreRetiredAfterTheirLinger) {
  ObserverOptions o;
  o.all_reset_linger_us = 5000;  // 5 segments of the scenario's clock
  Scenario s(Scenario::kClientKey, Scenario::kServerKey, o);
  s.Handshake();
  s.Send(0, kC, kTcpRst | kAck, {}, {});
  EXPECT_EQ(s.observer().live_connections(), 1u);
  s.observer().Sweep(1000 * 1000);  // the scenario's clock is 1 ms per segment
  EXPECT_EQ(s.observer().live_connections(), 0u);
  auto done = s.observer().TakeFinished();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].subflows[0].state, SubflowState::kReset);
}

TEST(ModelFastclose, X1WrongKey) {
  Scenario s;
  s.Handshake();
  codec::MpFastclose f;
  f.receiver_key = s.key(kC);  // its own key instead of the receiver's
  s.Send(0, kC, kAck, {}, {f});
  EXPECT_THAT(s.Rules(), ElementsAre("X1")) << s.Dump();
}

TEST(ModelObserver, MemoryFollowsLiveConnections) {
  Scenario s;
  for (int i = 0; i < 50; ++i) {
    s.Handshake();
    s.Data(kC, 10);
    s.DataFin(kC);
    s.DataFin(kS);
    s.CloseSubflow(0, kS);
  }
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().live_connections(), 0u);
  EXPECT_EQ(s.observer().tracked_flows(), 0u);
  EXPECT_EQ(s.observer().TakeFinished().size(), 50u);
}

// The observer remembers the last segment's flow; a retired connection must not keep it.
TEST(ModelObserver, ASegmentAfterItsConnectionWasRetiredIsIgnored) {
  Scenario s;
  s.Handshake();
  s.Data(kC, 10);
  s.DataFin(kC);
  s.DataFin(kS);
  s.CloseSubflow(0, kS);
  ASSERT_EQ(s.observer().live_connections(), 0u);
  const std::uint64_t ignored = s.observer().stats().ignored;
  s.Send(0, kC, kAck, {}, {});  // same 4-tuple, right after the segment that retired it
  s.Send(0, kS, kAck, {}, {});
  EXPECT_EQ(s.observer().stats().ignored, ignored + 2);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_EQ(s.observer().TakeFinished().size(), 1u);
}

TEST(ModelObserver, SegmentsOfUnknownFlowsAreIgnored) {
  Observer o;
  ViolationSink v;
  Segment seg;
  seg.flags = kTcpAck;
  seg.src = testing::V4(198, 51, 100, 1, 1);
  seg.dst = testing::V4(203, 0, 113, 1, 2);
  std::vector<codec::Option> opts = {codec::Dss{}};
  seg.options = opts;
  o.Observe(seg, &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(o.stats().ignored, 1u);
}

TEST(ModelObserver, FormatCarriesRuleSectionAndContext) {
  Violation v{codec::RuleId::kD3, 4, 1, 99, 0, kS, "x expected: 1 actual: 2"};
  EXPECT_EQ(Format(v),
            "packet 99 conn 4 subflow 1 server: D3 (RFC 8684 §3.3.1): x expected: 1 "
            "actual: 2");
}

}  // namespace
}  // namespace mpdrill::model
