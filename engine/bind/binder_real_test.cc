// The binder against real kernel captures (tests/real_captures.h): mpdrill plays the client,
// the captured server plays the kernel. The binder must rebuild the client's real third ACK
// byte for byte from `key[ckey=<key>, skey]`, bind skey to the server's real key, and see the
// server's first mapping as `dsn=1` relative to the server's IDSN.
#include <gtest/gtest.h>

#include <string>

#include "engine/bind/binder.h"
#include "engine/capture/model_segment.h"
#include "parser/parser.h"
#include "tests/mptcp_trace.h"
#include "tests/real_captures.h"

namespace mpdrill::bind {
namespace {

using tests::GetRealCaptures;
using tests::LoadTrace;

parser::MptcpOption Opt(const std::string& text) {
  auto parsed = parser::Parse("0 < . 1:1(0) ack 1 win 100 <" + text + ">\n");
  EXPECT_TRUE(parsed.ok()) << text;
  if (!parsed.ok()) return {};
  const auto& packet = std::get<parser::Packet>(parsed->events.at(0).action);
  return std::get<parser::MptcpOption>(std::get<parser::TcpSegment>(packet.body).options.at(0));
}

std::string FlagList(std::uint8_t flags) {
  std::string out;
  const std::pair<std::uint8_t, const char*> kNames[] = {
      {0x80, "flag_a"}, {0x40, "flag_b"}, {0x20, "flag_c"}, {0x01, "flag_h"}};
  for (auto [bit, name] : kNames) {
    if (flags & bit) out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return "flags[" + out + "]";
}

class BinderRealTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BinderRealTest, ClientSideRebuildsTheRealHandshakeAndRelativeDsns) {
  const auto& c = GetRealCaptures();
  if (!c.skip_reason.empty()) GTEST_SKIP() << c.skip_reason;
  ASSERT_TRUE(c.failure.empty()) << c.failure;
  auto trace = LoadTrace(c.PathOf(GetParam()));
  ASSERT_TRUE(trace.ok()) << trace.error();
  if (!trace->client_key || !trace->server_key) GTEST_SKIP() << "no MP_CAPABLE handshake";

  Binder binder(1);
  bool synack_seen = false, third_ack_done = false, mapping_done = false;
  for (const tests::TraceOption& o : trace->options) {
    if (!o.decoded) continue;
    const capture::TcpSegment& s = trace->SegmentOf(o);
    auto side = trace->SenderOf(s);
    if (!side) continue;
    bool from_server = *side == tests::Side::kServer;
    PacketView view;
    view.direction = from_server ? parser::Direction::kOutbound : parser::Direction::kInbound;
    view.tcp_flags = static_cast<std::uint8_t>(s.flags);
    const model::Endpoint src = capture::ModelEndpoint(s.src, s.sport);
    const model::Endpoint dst = capture::ModelEndpoint(s.dst, s.dport);
    view.subflow.local = from_server ? src : dst;
    view.subflow.remote = from_server ? dst : src;
    const codec::Option& actual = o.decoded->option;
    const auto* mpc = std::get_if<codec::MpCapable>(&actual);
    if (mpc && !from_server && !(s.flags & model::kTcpAck)) {
      auto b = binder.BuildInbound(Opt("mpcapable v1 " + FlagList(mpc->flags) + " nokey"), view);
      ASSERT_TRUE(b.ok()) << b.error().message;
      EXPECT_EQ(*b, o.bytes) << tests::Describe(*trace, o);
    } else if (mpc && from_server && !synack_seen) {
      synack_seen = true;
      std::vector<codec::Option> actuals{actual};
      std::vector<parser::MptcpOption> expected{
          Opt("mpcapable v1 " + FlagList(mpc->flags) + " key[skey]")};
      auto r = binder.MatchOutbound(expected, actuals, view, false);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r->empty()) << (*r)[0].ToString();
      EXPECT_EQ(binder.KeyValue("skey"), trace->server_key);
    } else if (mpc && !from_server && synack_seen && !third_ack_done && mpc->receiver_key &&
               !mpc->data_level_length) {
      third_ack_done = true;
      char key[32];
      std::snprintf(key, sizeof key, "0x%016llx",
                    static_cast<unsigned long long>(*trace->client_key));
      auto b = binder.BuildInbound(
          Opt("mpcapable v1 " + FlagList(mpc->flags) + " key[ckey=" + key + ", skey]"), view);
      ASSERT_TRUE(b.ok()) << b.error().message;
      EXPECT_EQ(*b, o.bytes) << tests::Describe(*trace, o);
    } else if (const auto* d = std::get_if<codec::Dss>(&actual);
               d && from_server && third_ack_done && !mapping_done && d->has_mapping() &&
               d->data_level_length > 0 && !d->data_fin()) {
      mapping_done = true;
      std::string script = "dss";
      if (d->has_data_ack()) script += d->data_ack_64() ? " dack8" : " dack4";
      script += d->dsn_64() ? " dsn8=1" : " dsn4=1";
      std::vector<codec::Option> actuals{actual};
      std::vector<parser::MptcpOption> expected{Opt(script)};
      auto r = binder.MatchOutbound(expected, actuals, view, false);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r->empty()) << (*r)[0].ToString() << " " << tests::Describe(*trace, o);
    }
  }
  EXPECT_TRUE(third_ack_done);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, BinderRealTest,
                         ::testing::ValuesIn(tests::ScenarioNames()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace mpdrill::bind
