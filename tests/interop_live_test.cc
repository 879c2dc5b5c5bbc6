#include "tests/interop_live.h"

#include <gtest/gtest.h>

#include <variant>

namespace mpdrill::tests {
namespace {

// Every scenario's input is what live_fuzzer decodes: within its 24 steps (the decoder drops
// the rest without a word), every field in its decoded range.
TEST(InteropLiveTest, EveryInputDecodesToItself) {
  for (const LiveScenario& s : LiveScenarios()) {
    for (LiveRole role : {LiveRole::kClient, LiveRole::kServer}) {
      for (int ip : {4, 6}) {
        SCOPED_TRACE(std::string(s.name) + (role == LiveRole::kClient ? " client" : " server") +
                     " v" + std::to_string(ip));
        const fuzz::LiveInput input = LiveScenarioInput(s, role, ip);
        EXPECT_LE(input.steps.size(), fuzz::kLiveMaxSteps);
        EXPECT_EQ(fuzz::DecodeLiveInput(fuzz::EncodeLiveInput(input)), input);
        EXPECT_EQ(input.header.kernel_client(), role == LiveRole::kServer);
        EXPECT_EQ(input.header.checksums(), s.checksums);
        EXPECT_EQ(input.header.family, ip == 6 ? run::IpVersion::kIpv6 : run::IpVersion::kIpv4);
      }
    }
  }
}

// Conforming only: no step breaks a rule on purpose (0 is the conforming choice of every
// `how`), no raw options, no MP_FAIL or MP_TCPRST, no wrong keys.
TEST(InteropLiveTest, EveryInputIsConforming) {
  for (const LiveScenario& s : LiveScenarios()) {
    for (LiveRole role : {LiveRole::kClient, LiveRole::kServer}) {
      SCOPED_TRACE(std::string(s.name));
      const fuzz::LiveInput input = LiveScenarioInput(s, role, 4);
      EXPECT_FALSE(input.header.wrong_key() || input.header.no_mp_capable() ||
                   input.header.refuse_joins() || input.header.mpc_flags || input.header.version);
      for (const fuzz::LiveStep& step : input.steps) {
        SCOPED_TRACE(fuzz::DescribeStep(step));
        std::visit(
            [](const auto& st) {
              using T = std::decay_t<decltype(st)>;
              if constexpr (std::is_same_v<T, fuzz::DataStep> ||
                            std::is_same_v<T, fuzz::DataAckStep> ||
                            std::is_same_v<T, fuzz::JoinStep>) {
                EXPECT_EQ(st.how, 0);
              } else if constexpr (std::is_same_v<T, fuzz::AddAddrStep>) {
                EXPECT_EQ(st.how & ~0x02, 0);  // IPv6 or not; no echo, port or wrong HMAC
              } else if constexpr (std::is_same_v<T, fuzz::FastcloseStep>) {
                EXPECT_EQ(st.key_xor, 0u);
              } else if constexpr (std::is_same_v<T, fuzz::FinStep>) {
                EXPECT_EQ(st.how, 0x03);  // DATA_FIN and FIN
              } else {
                EXPECT_TRUE((std::is_same_v<T, fuzz::RemoveAddrStep> ||
                             std::is_same_v<T, fuzz::MpPrioStep> ||
                             std::is_same_v<T, fuzz::WaitStep> ||
                             std::is_same_v<T, fuzz::AppWriteStep>));
              }
            },
            step);
      }
    }
  }
}

TEST(InteropLiveTest, TrafficCountsMappingsAndWrites) {
  const LiveTraffic t =
      LiveScenarioTraffic(LiveScenarioInput(*FindLiveScenario("bulk"), LiveRole::kClient, 4));
  EXPECT_EQ(t.mpdrill_sent, 10u * fuzz::kLiveMss);
  EXPECT_EQ(t.kernel_wrote, 80000u);
  EXPECT_EQ(FindLiveScenario("mp-fail"), nullptr);  // a middlebox scenario: no counterpart
}

// The lines live_fuzzer prints with MPDRILL_LIVE_FUZZ_VERBOSE, a kernel finding included.
TEST(InteropLiveTest, ParsesTheLiveFuzzerLog) {
  const LiveLog log = ParseLiveLog(
      "live_fuzzer: kernel client ipv4 isn=0x10000000 key=0x1 how=0x20\n"
      "live_fuzzer:   data how=0x0 flow=0 length=1400\n"
      "live_fuzzer: 89 packets, kernel key learnt, 3 subflow(s) opened, 0 deliberate "
      "finding(s)\n"
      "live_fuzzer:   model: D10 (RFC 8684 §3.3.2) packet 12 conn 1 subflow 0 server (kernel): "
      "x\n"
      "live_fuzzer:   model: deliberate: D3 (RFC 8684 §3.3.1) packet 9 (injected): y\n"
      "live_fuzzer: model: D10 (RFC 8684 §3.3.2) packet 12 conn 1 subflow 0 server (kernel): x\n"
      "live_fuzzer: the kernel broke 1 rule(s) of the reference model\n");
  EXPECT_EQ(log.packets, 89u);
  EXPECT_EQ(log.subflows, 3u);
  EXPECT_EQ(log.deliberate, 0u);
  EXPECT_EQ(log.kernel_rules, std::vector<std::string>{"D10"});
  EXPECT_TRUE(log.first_finding.starts_with("model: D10 (RFC 8684"));
  EXPECT_TRUE(log.skip_reason.empty());
  EXPECT_EQ(ParseLiveLog("live_fuzzer: skipped: no TUN\nreplay: 1 inputs\n").skip_reason, "no TUN");
}

}  // namespace
}  // namespace mpdrill::tests
