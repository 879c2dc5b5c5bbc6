// The kernel's own packetdrill runner, tools/testing/selftests/net/packetdrill/ksft_runner.sh
// (third-party test data in ../shared/upstream/kernel-tcp, used in place, never copied), with
// mpdrill installed as `packetdrill` on its PATH (BUILD/packetdrill-bin): it runs a script in
// each IP version and prints KTAP. ksft_runner.sh wraps each run in `unshare -n`; mpdrill puts
// it in a namespace of its own as well, so nothing of the run may show in the host namespace.
#include <dirent.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/run_support.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kSuite = MPDRILL_SOURCE_DIR "/../shared/upstream/kernel-tcp/net/packetdrill";
const std::string kPath = MPDRILL_BINARY_DIR "/packetdrill-bin";

std::set<std::string> HostInterfaces() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/class/net", ec)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

ToolRun Ksft(const std::string& script, const std::string& extra_env = "") {
  return RunTool({"/bin/sh", "-c",
                  "cd '" + kSuite + "' && PATH='" + kPath + "':\"$PATH\" " + extra_env +
                      " bash ./ksft_runner.sh " + script},
                 std::chrono::milliseconds(60000));
}

TEST(KsftRunnerTest, RunsAScriptInBothIpVersionsAndPrintsKtap) {
  SKIP_WITHOUT_ROOT();
  if (!fs::exists(kSuite + "/ksft_runner.sh")) GTEST_SKIP() << "no kernel-tcp suite at " << kSuite;
  if (!fs::exists(kPath + "/packetdrill")) GTEST_SKIP() << "no " << kPath << "/packetdrill";
  const std::set<std::string> before = HostInterfaces();
  ToolRun r = Ksft("tcp_basic_client.pkt");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("TAP version 13\n1..2\nok 1 ipv4\nok 2 ipv6\n"));
  EXPECT_THAT(r.out, HasSubstr("# Totals: pass:2 fail:0"));
  // Nothing of the run in the host namespace: no interface appeared or stayed.
  EXPECT_EQ(HostInterfaces(), before);
}

// A script whose --ip_version line pins one version; a failing run is `not ok` (a script
// google's packetdrill fails on this kernel too: its %{ }% assertion).
TEST(KsftRunnerTest, FailuresAreNotOk) {
  SKIP_WITHOUT_ROOT();
  if (!fs::exists(kSuite + "/ksft_runner.sh")) GTEST_SKIP() << "no kernel-tcp suite at " << kSuite;
  ToolRun r = Ksft("tcp_slow_start_slow-start-app-limited-9-packets-out.pkt");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("not ok 1 ipv4"));
  EXPECT_THAT(r.out, HasSubstr("not ok 2 ipv6"));
}

}  // namespace
}  // namespace mpdrill::tests
