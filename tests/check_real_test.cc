// `mpdrill check` over real Linux MPTCP traffic made in private network namespaces: every
// mpdrill-mkcapture scenario (IPv4/IPv6, checksums, fast close) and the checker's own
// (fallback to TCP, loss with retransmissions) must check with zero violations, and the
// per-connection summary must say what the traffic did.
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

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::uint64_t kWriteSize = 700;  // mkcapture's TrafficConfig::write_size

std::uint64_t Number(const std::string& text) {
  return text.empty() ? ~0ull : std::stoull(text);
}

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
  const ToolRun conv = RunTool({"/usr/bin/editcap", "-F", "pcapng", path_, ng},
                               std::chrono::seconds(30));
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
    retransmitted += Number(JsonField(dirs, "client_to_server")) +
                     Number(JsonField(dirs, "server_to_client"));
  }
  EXPECT_GT(retransmitted, 0u) << s;
  RecordProperty("retransmitted_bytes", std::to_string(retransmitted));
}

}  // namespace
}  // namespace mpdrill::tests
