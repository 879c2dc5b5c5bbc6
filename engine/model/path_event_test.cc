// Checksum failures as path events (path_event.h, RFC 8684 §3.7): answered as the RFC asks,
// a D3 becomes a path event; unanswered or answered wrongly, it stays a violation.
#include "engine/model/path_event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/model/test_builder.h"

namespace mpdrill::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Scenario;

constexpr Side kC = Side::kClient;
constexpr Side kS = Side::kServer;
constexpr std::uint8_t kAck = kTcpAck;

ObserverOptions PathEvents() {
  ObserverOptions o;
  o.checksum_failures_as_path_events = true;
  return o;
}

// The client's mapping is corrupted on the way; returns the failed DSS.
codec::Dss Corrupt(Scenario& s, std::size_t sf = 0) {
  const auto payload = Scenario::Bytes(20);
  codec::Dss d = s.MapDss(sf, kC, payload);
  *d.checksum ^= 0x0101;
  s.Send(sf, kC, kAck, payload, {d});
  return d;
}

std::vector<std::string> RulesOf(const ViolationSink& sink) {
  std::vector<std::string> out;
  for (const Violation& v : sink) out.emplace_back(codec::RuleName(v.rule));
  return out;
}

// Linux 6.18 on a lone subflow (docs/check.md): the server sends MP_FAIL, the client echoes
// it and falls back with an infinite mapping.
TEST(PathEvent, MpFailThenInfiniteMappingOnALoneSubflow) {
  Scenario s(Scenario::kClientKey, Scenario::kServerKey, PathEvents());
  s.Handshake({.client_checksum = true});
  s.Data(kC, 30);
  const codec::Dss d = Corrupt(s);
  codec::MpFail fail;
  fail.dsn = d.dsn;
  const std::uint64_t answer = s.Send(0, kS, kAck, {}, {fail});
  s.Send(0, kC, kAck, {}, {fail, s.AckDss(kC)});  // the echo
  s.AdvanceDsn(kC, 20);
  const std::uint64_t infinite = s.observer().stats().segments + 1;
  s.InfiniteMapping(0, kC, 30);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  const std::vector<PathEvent> events = s.observer().TakePathEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, PathEventKind::kMpFailInfiniteMapping);
  EXPECT_EQ(events[0].failure.rule, codec::RuleId::kD3);
  EXPECT_EQ(events[0].failure.sender, kC);
  EXPECT_EQ(events[0].answer_packet, infinite);
  EXPECT_THAT(events[0].answer, HasSubstr("server MP_FAIL at packet " + std::to_string(answer)));
  EXPECT_THAT(events[0].failure.explanation, HasSubstr("DSS checksum of the mapping at DSN " +
                                                       Hex(d.dsn)));
  EXPECT_EQ(s.observer().LiveSummaries()[0].path_events, 1u);
  ViolationSink end;
  s.observer().Finish(&end);
  EXPECT_THAT(end, IsEmpty());
}

// The receiver never answers: the D3 is reported when the connection retires, naming the
// segment whose checksum failed.
TEST(PathEvent, UnansweredStaysAViolation) {
  Scenario s(Scenario::kClientKey, Scenario::kServerKey, PathEvents());
  s.Handshake({.client_checksum = true});
  Corrupt(s);
  const std::uint64_t corrupted = s.observer().stats().segments;
  s.Data(kS, 10);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();  // still waiting for the answer
  ViolationSink end;
  s.observer().Finish(&end);
  ASSERT_THAT(RulesOf(end), ElementsAre("D3"));
  EXPECT_EQ(end[0].packet, corrupted);
  EXPECT_EQ(end[0].sender, kC);
  EXPECT_THAT(s.observer().TakePathEvents(), IsEmpty());
  const std::vector<ConnectionSummary> done = s.observer().TakeFinished();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].path_events, 0u);
  EXPECT_EQ(done[0].violations, 1u);
}

// MP_FAIL alone is half the answer on a lone subflow: without the infinite mapping the
// exchange never completed, and the D3 stays.
TEST(PathEvent, MpFailWithoutTheInfiniteMappingStaysAViolation) {
  Scenario s(Scenario::kClientKey, Scenario::kServerKey, PathEvents());
  s.Handshake({.client_checksum = true});
  const codec::Dss d = Corrupt(s);
  codec::MpFail fail;
  fail.dsn = d.dsn;
  s.Send(0, kS, kAck, {}, {fail});
  ViolationSink end;
  s.observer().Finish(&end);
  EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
  EXPECT_THAT(RulesOf(end), ElementsAre("D3"));
}

// Answered wrongly: an MP_FAIL naming another DSN (F3) leaves the D3, reported before the F3.
TEST(PathEvent, WrongDsnStaysAViolation) {
  Scenario s(Scenario::kClientKey, Scenario::kServerKey, PathEvents());
  s.Handshake({.client_checksum = true});
  const codec::Dss d = Corrupt(s);
  codec::MpFail fail;
  fail.dsn = d.dsn + 7;
  s.Send(0, kS, kAck, {}, {fail});
  EXPECT_THAT(s.Rules(), ElementsAre("D3", "F3")) << s.Dump();
  EXPECT_THAT(s.observer().TakePathEvents(), IsEmpty());
}

// Several subflows: resetting the failing one with MP_FAIL and MP_TCPRST is the answer; an
// MP_FAIL on a plain ACK is F2, and the D3 stays.
TEST(PathEvent, SubflowResetIsAPathEventMpFailWithoutRstIsNot) {
  for (bool with_rst : {true, false}) {
    Scenario s(Scenario::kClientKey, Scenario::kServerKey, PathEvents());
    s.Handshake({.client_checksum = true});
    s.Data(kC, 10);
    const std::size_t sf = s.Join();
    const codec::Dss d = Corrupt(s, sf);
    codec::MpFail fail;
    fail.dsn = d.dsn;
    if (with_rst) {
      s.Send(sf, kS, kTcpRst | kAck, {}, {fail, codec::MpTcpRst{0, 6}});
      EXPECT_THAT(s.Rules(), IsEmpty()) << s.Dump();
      const std::vector<PathEvent> events = s.observer().TakePathEvents();
      ASSERT_EQ(events.size(), 1u);
      EXPECT_EQ(events[0].kind, PathEventKind::kSubflowReset);
      EXPECT_EQ(events[0].failure.subflow, sf);
      EXPECT_THAT(events[0].answer, HasSubstr("server reset subflow " + std::to_string(sf)));
    } else {
      s.Send(sf, kS, kAck, {}, {fail});
      EXPECT_THAT(s.Rules(), ElementsAre("D3", "F2")) << s.Dump();
      EXPECT_THAT(s.observer().TakePathEvents(), IsEmpty());
    }
  }
}

// A RST for another cause (MP_TCPRST reason 0: Linux's fast close at the end of a run) is
// no answer to the checksum failure: the D3 stays.
TEST(PathEvent, ResetForAnotherCauseIsNoAnswer) {
  Scenario s(Scenario::kClientKey, Scenario::kServerKey, PathEvents());
  s.Handshake({.client_checksum = true});
  s.Data(kC, 10);
  const std::size_t sf = s.Join();
  Corrupt(s, sf);
  s.Send(sf, kS, kTcpRst | kAck, {}, {codec::MpTcpRst{0, 0}});
  EXPECT_THAT(s.observer().TakePathEvents(), IsEmpty());
  ViolationSink end;
  s.observer().Finish(&end);
  EXPECT_THAT(RulesOf(end), ElementsAre("D3"));
}

// Off (the default, and `mpdrill run`'s live model): D3 as soon as the checksum fails.
TEST(PathEvent, OffReportsD3AtOnce) {
  Scenario s;
  s.Handshake({.client_checksum = true});
  Corrupt(s);
  EXPECT_THAT(s.Rules(), ElementsAre("D3")) << s.Dump();
}

TEST(PathEvent, KindNames) {
  EXPECT_EQ(PathEventKindName(PathEventKind::kMpFailInfiniteMapping), "mp-fail-infinite-mapping");
  EXPECT_EQ(PathEventKindName(PathEventKind::kSubflowReset), "subflow-reset");
  EXPECT_EQ(PathEventKindName(PathEventKind::kFallbackWithoutMpFail), "fallback-without-mp-fail");
}

}  // namespace
}  // namespace mpdrill::model
