// The reference model on whole connections: joins, address management, fast close, resets
// and the observer (handshakes and fallback: model_test.cc). Every packet carries real keys,
// HMACs and checksums (mpdrill::crypto); each violation test breaks exactly one rule and
// expects exactly that rule.
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
