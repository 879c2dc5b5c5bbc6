// The reference model on whole connections: handshakes and fallback (joins, address
// management, fast close and the observer: model_paths_test.cc). Every packet carries real
// keys, HMACs and checksums (mpdrill::crypto); each violation test breaks exactly one rule
// and expects exactly that rule.
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

}  // namespace
}  // namespace mpdrill::model
