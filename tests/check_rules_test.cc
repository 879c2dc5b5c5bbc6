// `mpdrill check` on captures that break exactly one rule: each case writes a packet sequence
// (real keys, tokens, HMACs and checksums, engine/model/test_builder.h) to a pcap, runs the
// built binary on it, and expects exactly that rule ID and exit 1; the in-process model must
// report the same. Clean sequences (including a snap length that cuts checksummed payload)
// must give exit 0.
#include <functional>
#include <string>
#include <vector>

#include "engine/capture/test_frames.h"
#include "engine/model/test_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/check_pcap.h"

namespace mpdrill::tests {
namespace {

using model::Side;
using model::testing::HandshakeParams;
using model::testing::JoinParams;
using model::testing::Scenario;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr Side kC = Side::kClient;
constexpr Side kS = Side::kServer;
constexpr std::uint8_t kAck = model::kTcpAck;

struct Case {
  std::string name;
  std::function<void(Scenario&)> run;
  std::vector<std::string> rules;  // exactly these, in order; empty: clean
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

// Runs the case in-process and through `mpdrill check`.
struct Outcome {
  std::vector<std::string> model_rules;
  CheckRun run;
  std::string dump;
};
Outcome RunCase(const Case& c, model::ObserverOptions options = {},
                const std::vector<std::string>& extra = {}) {
  Scenario s(Scenario::kClientKey, Scenario::kServerKey, options);
  PcapRecorder pcap;
  s.tap = [&pcap](const model::Segment& seg) { pcap.Add(seg); };
  c.run(s);
  s.observer().Finish(nullptr);
  Outcome o;
  o.model_rules = s.Rules();
  o.dump = s.Dump();
  const std::string path = capture::testing::MakeTempDir() + "/" + c.name + ".pcap";
  EXPECT_TRUE(pcap.Write(path)) << pcap.error();
  o.run = RunCheckJson(path, extra);
  return o;
}

std::vector<std::uint8_t> Slice(const std::vector<std::uint8_t>& b, std::size_t at,
                                std::size_t n) {
  return {b.begin() + at, b.begin() + at + n};
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"clean", [](Scenario& s) {
         s.Handshake();
         s.Data(kC, 100);
         s.Data(kS, 1000);
         s.DataFin(kC);
         s.DataFin(kS);
         s.CloseSubflow(0, kC);
       }, {}},
      {"clean_join_and_address", [](Scenario& s) {
         s.Handshake({.client_checksum = true});
         s.Data(kC, 10);
         const std::size_t sf = s.Join();
         s.Data(kS, 300, sf);
         const codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2}, 8080);
         s.Send(0, kS, kAck, {}, {a});
         s.Send(0, kC, kAck, {}, {Scenario::Echo(a)});
       }, {}},
      {"C5", [](Scenario& s) {
         s.Handshake({.client_checksum = true});
         codec::MpCapable m = s.ThirdAckMpc();
         m.data_level_length = 10;  // 22-byte form although A was set
         s.Send(0, kC, kAck | model::kTcpPsh, Scenario::Bytes(10), {m});
       }, {"C5"}},
      {"C6", [](Scenario& s) { s.Handshake({.echoed_server_key = 0x1111}); }, {"C6"}},
      {"C7", [](Scenario& s) {
         s.Handshake();
         const auto payload = Scenario::Bytes(50);
         codec::Dss d = s.MapDss(0, kC, payload);
         d.dsn = s.idsn(kC);  // forgot the +1
         s.Send(0, kC, kAck, payload, {d});
       }, {"C7"}},
      {"C11", [](Scenario& s) {
         s.Handshake({.syn_ack_mpc = false});
         s.Send(0, kC, kAck, Scenario::Bytes(10), {s.AckDss(kC)});
       }, {"C11"}},
      {"G1", [](Scenario& s) {
         s.Handshake({.third_ack_mpc = false});
         s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
       }, {"G1"}},
      {"G2_then_G1", [](Scenario& s) {  // DSS stripped: fallback (no violation), then DSS
         s.Handshake();
         s.Send(0, kC, kAck | model::kTcpPsh, Scenario::Bytes(10), {});
         s.Send(0, kS, kAck, {}, {});
         s.Send(0, kS, kAck, {}, {s.AckDss(kS)});
       }, {"G1"}},
      {"J2", [](Scenario& s) {
         s.Handshake();
         s.Join({.token = 0xdeadbeef});
       }, {"J2"}},
      {"J3", [](Scenario& s) {
         s.Handshake();
         s.Join({.corrupt_syn_ack_hmac = true});
       }, {"J3"}},
      {"J4", [](Scenario& s) {
         s.Handshake();
         s.Join({.corrupt_ack_hmac = true});
       }, {"J4"}},
      {"J6", [](Scenario& s) {
         s.Handshake();
         const std::size_t sf = s.Join({.fourth_ack = false});
         const auto payload = Scenario::Bytes(10);
         s.Send(sf, kC, kAck, payload, {s.MapDss(sf, kC, payload)});
       }, {"J6"}},
      {"J8", [](Scenario& s) {
         s.Handshake();
         s.Join({.strip_ack = true, .reset_on_bad_hmac = false});
       }, {"J8"}},
      {"J9", [](Scenario& s) {
         s.Handshake();
         s.Join({.address_id = 3});
         s.Join({.address_id = 3, .initiator_endpoint = model::testing::V4(198, 51, 100, 9, 41000)});
       }, {"J9"}},
      {"D2", [](Scenario& s) {
         s.Handshake({.server_checksum = true});
         const auto payload = Scenario::Bytes(20);
         codec::Dss d = s.MapDss(0, kC, payload);
         d.checksum.reset();
         s.Send(0, kC, kAck, payload, {d});
       }, {"D2"}},
      {"D3", [](Scenario& s) {
         s.Handshake({.client_checksum = true});
         const auto payload = Scenario::Bytes(20);
         codec::Dss d = s.MapDss(0, kC, payload);
         *d.checksum ^= 0x0101;
         s.Send(0, kC, kAck, payload, {d});
       }, {"D3"}},
      {"F3", [](Scenario& s) {  // a checksum failure (D3), then MP_FAIL with another DSN
         s.Handshake({.client_checksum = true});
         const auto payload = Scenario::Bytes(20);
         codec::Dss d = s.MapDss(0, kC, payload);
         *d.checksum ^= 0x0101;
         s.Send(0, kC, kAck, payload, {d});
         codec::MpFail fail;
         fail.dsn = d.dsn + 7;
         s.Send(0, kS, kAck, {}, {fail});
       }, {"D3", "F3"}},
      {"F2_no_rst", [](Scenario& s) {  // two subflows: MP_FAIL on a plain ACK, not a RST
         s.Handshake({.client_checksum = true});
         s.Data(kC, 10);
         const std::size_t sf = s.Join();
         const auto payload = Scenario::Bytes(20);
         codec::Dss d = s.MapDss(sf, kC, payload);
         *d.checksum ^= 0x0101;
         s.Send(sf, kC, kAck, payload, {d});
         codec::MpFail fail;
         fail.dsn = d.dsn;
         s.Send(sf, kS, kAck, {}, {fail});
       }, {"D3", "F2"}},
      {"D5", [](Scenario& s) {
         s.Handshake();
         const auto payload = Scenario::Bytes(20);
         codec::Dss d = s.MapDss(0, kC, payload);
         d.ssn = 0x10000001u;  // the absolute sequence number
         s.Send(0, kC, kAck, payload, {d});
       }, {"D5"}},
      {"D8", [](Scenario& s) {
         s.Handshake();
         const auto payload = Scenario::Bytes(100);
         codec::Dss d = s.MapDss(0, kC, payload, /*data_fin=*/true);
         d.data_level_length = 100;  // does not count the DATA_FIN
         s.Send(0, kC, kAck, payload, {d});
       }, {"D8"}},
      {"D9", [](Scenario& s) {
         s.Handshake();
         s.Data(kC, 10);
         const auto first = Scenario::Bytes(100);
         const codec::Dss d = s.MapDss(0, kC, first);
         s.Send(0, kC, kAck, first, {d});
         s.AdvanceDsn(kC, 100);
         const auto second = Scenario::Bytes(100, 9);
         codec::Dss again = s.MapDss(0, kC, second);
         again.ssn = d.ssn;  // re-maps the first segment's bytes too ...
         again.data_level_length = 200;
         again.dsn = d.dsn + 40;  // ... to other DSNs
         s.Send(0, kC, kAck, second, {again});
       }, {"D9"}},
      {"D10_backwards", [](Scenario& s) {
         s.Handshake();
         s.Data(kC, 100);
         codec::Dss back = s.AckDss(kS);
         back.data_ack -= 50;
         s.Send(0, kS, kAck, {}, {back});
       }, {"D10"}},
      {"D10_unsent", [](Scenario& s) {
         s.Handshake();
         s.Data(kC, 100);
         codec::Dss ahead = s.AckDss(kS);
         ahead.data_ack += 1;
         s.Send(0, kS, kAck, {}, {ahead});
       }, {"D10"}},
      {"A2", [](Scenario& s) {
         s.Handshake();
         codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2});
         *a.hmac ^= 0x100;
         s.Send(0, kS, kAck, {}, {a});
       }, {"A2"}},
      {"A4", [](Scenario& s) {
         s.Handshake();
         const codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2});
         s.Send(0, kS, kAck, {}, {a});
         codec::AddAddr echo = Scenario::Echo(a);
         echo.address[3] = 9;
         s.Send(0, kC, kAck, {}, {echo});
       }, {"A4"}},
      {"A5_echo_with_hmac", [](Scenario& s) {
         s.Handshake();
         const codec::AddAddr a = s.Advertise(kS, 1, {203, 0, 113, 2});
         s.Send(0, kS, kAck, {}, {a});
         codec::AddAddr echo = a;  // E=1 but still carrying the HMAC
         echo.echo = true;
         s.Send(0, kC, kAck, {}, {echo});
       }, {"A5"}},
      {"X1", [](Scenario& s) {
         s.Handshake();
         codec::MpFastclose f;
         f.receiver_key = s.key(kC);  // its own key instead of the receiver's
         s.Send(0, kC, kAck, {}, {f});
       }, {"X1"}},
  };
  return cases;
}

const Case& CaseNamed(const std::string& name) {
  for (const Case& c : Cases()) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no case " << name;
  return Cases().front();
}

class CheckRuleTest : public ::testing::TestWithParam<Case> {};

TEST_P(CheckRuleTest, BinaryAndModelReportExactlyTheBrokenRule) {
  const Case& c = GetParam();
  const Outcome o = RunCase(c);
  EXPECT_THAT(o.run.rules, ElementsAreArray(c.rules)) << o.run.out << o.run.err;
  EXPECT_EQ(o.run.exit_code, c.rules.empty() ? 0 : 1) << o.run.err;
  ASSERT_FALSE(o.run.summary.empty()) << o.run.out;
  EXPECT_EQ(JsonField(o.run.summary, "violations"), std::to_string(c.rules.size()));
  // The in-process model agrees, except for rules the codec checks per packet (A5).
  std::vector<std::string> model_expected;
  for (const std::string& r : c.rules) {
    if (r != "A5") model_expected.push_back(r);
  }
  EXPECT_THAT(o.model_rules, ElementsAreArray(model_expected)) << o.dump;
}

INSTANTIATE_TEST_SUITE_P(Rules, CheckRuleTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(CheckCli, CutPayloadIsUnverifiableNotAViolation) {
  const Case c{"cut", [](Scenario& s) {
                 s.Handshake({.client_checksum = true});
                 const auto payload = Scenario::Bytes(300, 3);
                 const codec::Dss d = s.MapDss(0, kC, payload);
                 s.Send(0, kC, kAck, Slice(payload, 0, 100), {d});
                 s.Send(0, kC, kAck, Slice(payload, 100, 100), {d}, /*cut_payload_to=*/64);
                 s.Send(0, kC, kAck, Slice(payload, 200, 100), {d});
               }, {}};
  const Outcome o = RunCase(c);
  EXPECT_EQ(o.run.exit_code, 0) << o.run.out << o.run.err;
  EXPECT_THAT(o.run.rules, ::testing::IsEmpty());
  EXPECT_EQ(JsonField(o.run.summary, "checksums_unverifiable"), "1") << o.run.summary;
  EXPECT_EQ(JsonField(o.run.summary, "checksums_verified"), "0") << o.run.summary;
}

TEST(CheckCli, RuleOffSilencesARule) {
  const Outcome o = RunCase(CaseNamed("C6"), {}, {"--rule-off", "C6"});
  EXPECT_EQ(o.run.exit_code, 0) << o.run.out;
  EXPECT_THAT(o.run.rules, ::testing::IsEmpty());
}

TEST(CheckCli, AllowMidstreamAcceptsUnknownTokens) {
  const Outcome o = RunCase(CaseNamed("J2"), {}, {"--allow-midstream"});
  EXPECT_EQ(o.run.exit_code, 0) << o.run.out;
}

TEST(CheckCli, TextOutputNamesFileFrameRuleSectionAndConnection) {
  Scenario s;
  PcapRecorder pcap;
  s.tap = [&pcap](const model::Segment& seg) { pcap.Add(seg); };
  s.Handshake({.echoed_server_key = 0x1111});
  const std::string path = capture::testing::MakeTempDir() + "/c6.pcap";
  ASSERT_TRUE(pcap.Write(path)) << pcap.error();
  const CheckRun run = RunCheckArgs({path});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr(path + ":3: C6 (RFC 8684 §3.1) conn 1 subflow 0 client: "));
  EXPECT_THAT(run.out, HasSubstr("expected: 0xfedcba9876543210 actual: 0x1111"));
  EXPECT_THAT(run.out, HasSubstr("connection 1 198.51.100.1:40000 -> 203.0.113.1:80"));
}

TEST(CheckCli, JsonViolationCarriesEveryKey) {
  const Outcome o = RunCase(CaseNamed("C6"));
  ASSERT_EQ(o.run.rules.size(), 1u);
  const std::string line = o.run.out.substr(0, o.run.out.find('\n'));
  EXPECT_EQ(JsonField(line, "frame"), "3");
  EXPECT_EQ(JsonField(line, "section"), "\"RFC 8684 §3.1\"");
  EXPECT_EQ(JsonField(line, "connection"), "1");
  EXPECT_EQ(JsonField(line, "subflow"), "0");
  EXPECT_EQ(JsonField(line, "sender"), "\"client\"");
  EXPECT_EQ(JsonField(line, "expected"), "\"0xfedcba9876543210\"");
  EXPECT_EQ(JsonField(line, "actual"), "\"0x1111\"");
  EXPECT_THAT(JsonField(line, "message"), HasSubstr("echoed server key"));
}

TEST(CheckCli, BadInputAndUsage) {
  EXPECT_EQ(RunCheckJson("/nonexistent/file.pcap").exit_code, 2);
  const std::string dir = capture::testing::MakeTempDir();
  const std::string garbage = dir + "/garbage.pcap";
  {
    FILE* f = std::fopen(garbage.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("not a capture at all", f);
    std::fclose(f);
  }
  EXPECT_EQ(RunCheckJson(garbage).exit_code, 2);
  EXPECT_EQ(RunCheckJson(garbage, {"--rule-off", "Q7"}).exit_code, 2);
  EXPECT_EQ(RunCheckJson(garbage, {"--format", "xml"}).exit_code, 2);
}

}  // namespace
}  // namespace mpdrill::tests
