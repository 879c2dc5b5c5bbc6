// `mpdrill check` over real Linux MPTCP traffic made in private network namespaces: every
// mpdrill-mkcapture scenario (IPv4/IPv6, checksums, fast close) and the checker's own
// (fallback to TCP, loss with retransmissions, MP_FAIL after corruption in the path) must
// check with zero violations on the client's side, and the per-connection summary must say
// what the traffic did.
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "engine/capture/pcap_reader.h"
#include "engine/capture/test_frames.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/check_pcap.h"
#include "tests/check_scenarios.h"
#include "tests/real_captures.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr std::uint64_t kWriteSize = 700;  // mkcapture's TrafficConfig::write_size

std::uint64_t Number(const std::string& text) { return text.empty() ? ~0ull : std::stoull(text); }

class CheckRealTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const RealCaptures& c = GetRealCaptures();
    if (!c.skip_reason.empty()) GTEST_SKIP() << c.skip_reason;
    ASSERT_TRUE(c.failure.empty()) << c.failure;
    path_ = c.PathOf(GetParam());
  }
  std::string path_;
};

TEST_P(CheckRealTest, ZeroViolationsAndASaneSummary) {
  const std::string& name = GetParam();
  const CheckRun run = RunCheckJson(path_);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.rules, IsEmpty()) << run.out;
  const std::string& s = run.summary;
  ASSERT_FALSE(s.empty()) << run.out;
  EXPECT_EQ(JsonField(s, "connection_count"), "1") << s;
  EXPECT_EQ(JsonField(s, "ignored_segments"), "0") << s;
  EXPECT_EQ(JsonField(s, "mode"), "\"mptcp\"") << s;
  EXPECT_EQ(JsonField(s, "fallback"), "false") << s;
  EXPECT_GE(JsonCount(s, "\"joined\":true"), 1u) << "at least two subflows: " << s;
  // The client's writes are echoed: the same data-level byte count each way.
  const std::string data = JsonField(s, "data_bytes");
  const std::uint64_t up = Number(JsonField(data, "client_to_server"));
  const std::uint64_t down = Number(JsonField(data, "server_to_client"));
  EXPECT_GT(up, 0u) << s;
  EXPECT_EQ(up, down) << s;
  EXPECT_EQ(up % kWriteSize, 0u) << s;
  EXPECT_EQ(JsonField(s, "close"), name.starts_with("fastclose") ? "\"fastclose\"" : "\"data-fin\"")
      << s;
  const bool checksums = name.starts_with("checksum");
  EXPECT_EQ(JsonField(s, "checksums"), checksums ? "true" : "false") << s;
  if (checksums) {
    EXPECT_GT(Number(JsonField(s, "checksums_verified")), 0u) << s;
    EXPECT_EQ(JsonField(s, "checksums_failed"), "0") << s;
  }
  // Text output agrees.
  const CheckRun text = RunCheckArgs({path_});
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr(" 0 violations"));
}

// The same capture with every frame cut to 140 bytes (a short snap length that still keeps
// every header: SLL 16 + IPv6 40 + TCP 60 at most): checksums over the
// missing payload are unverifiable, never violations.
TEST_P(CheckRealTest, SnapLengthCutMakesChecksumsUnverifiableNotViolations) {
  auto reader = capture::PcapReader::Open(path_);
  ASSERT_TRUE(reader) << reader.error().message;
  std::vector<capture::testing::PcapRecord> records;
  capture::Frame frame;
  for (;;) {
    auto more = reader->Next(&frame);
    ASSERT_TRUE(more) << more.error().message;
    if (!*more) break;
    records.push_back({{frame.data.begin(), frame.data.end()}, 140});
  }
  const std::string cut = capture::testing::MakeTempDir() + "/cut.pcap";
  ASSERT_TRUE(capture::testing::WritePcap(cut, static_cast<int>(reader->linktype()), records));
  const CheckRun run = RunCheckJson(cut);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.rules, IsEmpty()) << run.out;
  EXPECT_EQ(JsonField(run.summary, "checksums_failed"), "0") << run.summary;
  EXPECT_EQ(JsonField(run.summary, "malformed_frames"), "0") << run.summary;
  if (GetParam().starts_with("checksum")) {
    EXPECT_GT(Number(JsonField(run.summary, "checksums_unverifiable")), 0u) << run.summary;
  }
}

// pcapng input (converted by Wireshark's editcap, when installed) checks the same.
TEST_P(CheckRealTest, PcapngGivesTheSameVerdict) {
  if (access("/usr/bin/editcap", X_OK) != 0) GTEST_SKIP() << "editcap not installed";
  const std::string ng = capture::testing::MakeTempDir() + "/capture.pcapng";
  const ToolRun conv =
      RunTool({"/usr/bin/editcap", "-F", "pcapng", path_, ng}, std::chrono::seconds(30));
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  const CheckRun a = RunCheckJson(path_);
  const CheckRun b = RunCheckJson(ng);
  EXPECT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_EQ(JsonField(b.summary, "connections"), JsonField(a.summary, "connections"));
}

INSTANTIATE_TEST_SUITE_P(Mkcapture, CheckRealTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

// Runs one of the checker's own scenarios; the capture goes to a fresh temp dir.
CheckRun RunScenario(CheckScenario scenario, ScenarioResult* result) {
  const std::string path = capture::testing::MakeTempDir() + "/scenario.pcap";
  *result = MakeCheckScenario(scenario, path);
  if (!result->skip_reason.empty() || !result->failure.empty()) return {};
  return RunCheckJson(path);
}

TEST(CheckRealScenario, FallbackToTcpIsCleanAndReported) {
  ScenarioResult r;
  const CheckRun run = RunScenario(CheckScenario::kFallbackToTcp, &r);
  if (!r.skip_reason.empty()) GTEST_SKIP() << r.skip_reason;
  ASSERT_THAT(r.failure, IsEmpty());
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.rules, IsEmpty()) << run.out;
  const std::string& s = run.summary;
  EXPECT_EQ(JsonField(s, "connection_count"), "1") << s;
  EXPECT_EQ(JsonField(s, "mode"), "\"fallback\"") << s;
  EXPECT_EQ(JsonField(s, "fallback"), "true") << s;
  EXPECT_EQ(JsonField(s, "fallback_reason"), "\"SYN/ACK without MP_CAPABLE\"") << s;
  EXPECT_EQ(JsonField(s, "fallback_rule"), "\"C11\"") << s;
  EXPECT_EQ(JsonField(s, "close"), "\"tcp\"") << s;
  const std::string tcp = JsonField(s, "tcp_bytes");
  EXPECT_EQ(Number(JsonField(tcp, "client_to_server")), r.bytes_each_way) << s;
  EXPECT_EQ(Number(JsonField(tcp, "server_to_client")), r.bytes_each_way) << s;
}

TEST(CheckRealScenario, RetransmissionsUnderLossAreClean) {
  ScenarioResult r;
  const CheckRun run = RunScenario(CheckScenario::kLoss, &r);
  if (!r.skip_reason.empty()) GTEST_SKIP() << r.skip_reason;
  ASSERT_THAT(r.failure, IsEmpty());
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.rules, IsEmpty()) << run.out;
  const std::string& s = run.summary;
  EXPECT_EQ(JsonField(s, "connection_count"), "1") << s;
  EXPECT_EQ(JsonField(s, "mode"), "\"mptcp\"") << s;
  EXPECT_EQ(JsonField(s, "close"), "\"data-fin\"") << s;
  const std::string data = JsonField(s, "data_bytes");
  EXPECT_EQ(Number(JsonField(data, "client_to_server")), r.bytes_each_way) << s;
  EXPECT_EQ(Number(JsonField(data, "server_to_client")), r.bytes_each_way) << s;
  EXPECT_GE(JsonCount(s, "\"joined\":true"), 1u) << "two subflows: " << s;
  // Something was lost and sent again (subflow-level retransmission).
  std::uint64_t retransmitted = 0;
  for (std::size_t at = s.find("\"retransmitted_bytes\":"); at != std::string::npos;
       at = s.find("\"retransmitted_bytes\":", at + 1)) {
    const std::string dirs = JsonField(s, "retransmitted_bytes", at);
    retransmitted +=
        Number(JsonField(dirs, "client_to_server")) + Number(JsonField(dirs, "server_to_client"));
  }
  EXPECT_GT(retransmitted, 0u) << s;
  RecordProperty("retransmitted_bytes", std::to_string(retransmitted));
}

// A corruption scenario (tests/check_scenarios.h), checked on both sides of the middlebox:
// the client's capture (before it: every checksum right) must check clean; the server's
// (after it: the flipped bit is in the capture) holds one failed DSS checksum, which Linux
// answers as RFC 8684 §3.7 asks, so it is one path event (what the receiver did: `kind`), no
// violation, exit 0: no F3, as the MP_FAIL names the mapping whose checksum failed, and no
// F2, as Linux resets a failing joined subflow and falls back on a lone one with an infinite
// mapping. Each scenario runs over IPv4 and IPv6 (the parameter).
class CheckRealCorruption : public ::testing::TestWithParam<int> {
 protected:
  void Run(CheckScenario scenario) {
    const std::string dir = capture::testing::MakeTempDir();
    result_ = MakeCheckScenario(scenario, dir + "/client.pcap", dir + "/server.pcap", GetParam());
    if (!result_.skip_reason.empty()) GTEST_SKIP() << result_.skip_reason;
    ASSERT_THAT(result_.failure, IsEmpty()) << result_.middlebox_report;
    RecordProperty("middlebox", result_.middlebox_report);
    client_ = RunCheckJson(dir + "/client.pcap");
    server_ = RunCheckJson(dir + "/server.pcap");
    const std::string& c = client_.summary;
    EXPECT_EQ(client_.exit_code, 0) << client_.out << client_.err;
    EXPECT_THAT(client_.rules, IsEmpty()) << client_.out;
    EXPECT_EQ(JsonField(c, "connection_count"), "1") << c;
    EXPECT_EQ(JsonField(c, "checksums"), "true") << c;
    // The IP version asked for is the one on the wire.
    EXPECT_THAT(JsonField(c, "server"),
                StartsWith(GetParam() == 6 ? "\"[2001:db8:1::2]:" : "\"198.51.100.2:"))
        << c;
    EXPECT_GT(Number(JsonField(c, "checksums_verified")), 0u) << c;
    EXPECT_EQ(JsonField(c, "checksums_failed"), "0") << c;
    EXPECT_THAT(client_.path_events, IsEmpty()) << client_.out;
    EXPECT_EQ(JsonField(c, "path_events"), "0") << c;
    EXPECT_EQ(server_.exit_code, 0) << server_.out;
    EXPECT_THAT(server_.rules, IsEmpty()) << server_.out;
    EXPECT_EQ(server_.path_events.size(), 1u) << server_.out;
    EXPECT_EQ(JsonField(server_.summary, "path_events"), "1") << server_.summary;
    EXPECT_EQ(JsonField(server_.summary, "checksums_failed"), "1") << server_.summary;
    // The text output names it too, with what the receiver did.
    const CheckRun text = RunCheckArgs({dir + "/server.pcap"});
    EXPECT_EQ(text.exit_code, 0) << text.out;
    EXPECT_THAT(text.out, HasSubstr(": path event (RFC 8684 §3.7) conn 1 subflow "));
    EXPECT_THAT(text.out, HasSubstr(" client: checksum failure answered, server "));
    EXPECT_THAT(text.out, HasSubstr(" 0 violations"));
    EXPECT_THAT(text.out, HasSubstr(", path events 1\n"));
    // Both captures saw the same MP_FAIL exchange.
    EXPECT_EQ(JsonField(server_.summary, "mp_fail_sent"), JsonField(c, "mp_fail_sent"));
  }
  bool Done() const { return IsSkipped() || HasFatalFailure(); }

  ScenarioResult result_;
  CheckRun client_;
  CheckRun server_;
};

// One subflow, the client's 5th data segment corrupted on the way. Linux 6.18: the server's
// DSS checksum fails, it sends MP_FAIL naming the mapping's DSN, the client echoes MP_FAIL
// and sends its next data under an infinite mapping; both fall back to TCP and the transfer
// completes (the corrupted bytes are delivered: TCP no longer checks them).
TEST_P(CheckRealCorruption, MpFailOnOneSubflowFallsBackWithAnInfiniteMapping) {
  Run(CheckScenario::kCorruption);
  if (Done()) return;
  const std::string& c = client_.summary;
  EXPECT_EQ(JsonField(c, "mode"), "\"fallback\"") << c;
  EXPECT_EQ(JsonField(c, "fallback_reason"), "\"infinite mapping\"") << c;
  EXPECT_EQ(JsonField(c, "fallback_rule"), "\"G6\"") << c;
  EXPECT_EQ(JsonField(c, "close"), "\"tcp\"") << c;
  EXPECT_EQ(JsonField(c, "mp_fail_sent"), "{\"client\":1,\"server\":1}") << c;
  const std::string tcp = JsonField(c, "tcp_bytes");
  EXPECT_EQ(Number(JsonField(tcp, "client_to_server")), result_.bytes_each_way) << c;
  EXPECT_EQ(Number(JsonField(tcp, "server_to_client")), result_.bytes_each_way) << c;
  EXPECT_EQ(JsonField(server_.summary, "fallback_reason"), "\"infinite mapping\"")
      << server_.summary;
  EXPECT_THAT(server_.path_events, ElementsAre("mp-fail-infinite-mapping")) << server_.out;
}

// One subflow, the client's first data corrupted (on the MP_CAPABLE data form). No checksum
// has verified yet, so Linux 6.18 takes RFC 8684 §3.7's early fallback instead of MP_FAIL: the
// server acknowledges without a DSS and echoes without one, and the client falls back on that
// (rule G2 in the summary). No MP_FAIL, no infinite mapping.
TEST_P(CheckRealCorruption, FirstDataCorruptedFallsBackWithoutMpFail) {
  Run(CheckScenario::kCorruptionOfTheFirstData);
  if (Done()) return;
  const std::string& c = client_.summary;
  EXPECT_EQ(JsonField(c, "mode"), "\"fallback\"") << c;
  EXPECT_EQ(JsonField(c, "fallback_reason"), "\"first data without a DSS mapping\"") << c;
  EXPECT_EQ(JsonField(c, "fallback_rule"), "\"G2\"") << c;
  EXPECT_EQ(JsonField(c, "close"), "\"tcp\"") << c;
  EXPECT_EQ(JsonField(c, "mp_fail_sent"), "{\"client\":0,\"server\":0}") << c;
  EXPECT_THAT(server_.path_events, ElementsAre("fallback-without-mp-fail")) << server_.out;
  const std::string tcp = JsonField(c, "tcp_bytes");
  EXPECT_EQ(Number(JsonField(tcp, "client_to_server")), result_.bytes_each_way) << c;
  EXPECT_EQ(Number(JsonField(tcp, "server_to_client")), result_.bytes_each_way) << c;
}

// Two subflows, the joined subflow's 2nd data segment corrupted. Linux 6.18: the server resets
// that subflow with MP_FAIL and MP_TCPRST reason 6 (middlebox interference), the client sends
// its data again on the initial subflow, and the connection ends with DATA_FINs as MPTCP.
TEST_P(CheckRealCorruption, MpFailOnAJoinedSubflowResetsItAndTheConnectionGoesOn) {
  Run(CheckScenario::kCorruptionTwoSubflows);
  if (Done()) return;
  const std::string& c = client_.summary;
  EXPECT_EQ(JsonField(c, "mode"), "\"mptcp\"") << c;
  EXPECT_EQ(JsonField(c, "close"), "\"data-fin\"") << c;
  EXPECT_EQ(JsonField(c, "mp_fail_sent"), "{\"client\":0,\"server\":1}") << c;
  const std::string data = JsonField(c, "data_bytes");
  EXPECT_EQ(Number(JsonField(data, "client_to_server")), result_.bytes_each_way) << c;
  EXPECT_EQ(Number(JsonField(data, "server_to_client")), result_.bytes_each_way) << c;
  const std::size_t joined = c.find("\"joined\":true");
  ASSERT_NE(joined, std::string::npos) << c;
  EXPECT_EQ(JsonField(c, "state", joined), "\"reset\"") << c;
  EXPECT_EQ(JsonField(c, "reset_reason", joined), "6") << c;
  EXPECT_EQ(JsonField(server_.summary, "close"), "\"data-fin\"") << server_.summary;
  EXPECT_THAT(server_.path_events, ElementsAre("subflow-reset")) << server_.out;
}

INSTANTIATE_TEST_SUITE_P(IpVersions, CheckRealCorruption, ::testing::Values(4, 6),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "ipv" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace mpdrill::tests
