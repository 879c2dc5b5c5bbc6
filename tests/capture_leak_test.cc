// mpdrill-mkcapture killed midway (SIGINT, SIGKILL) leaves no namespace holder, no traffic
// process and no network namespace behind: everything dies with it (PR_SET_PDEATHSIG).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/leak_check.h"
#include "sandbox/netns.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using std::chrono::milliseconds;

std::string CommOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

// Reaps `pid` (an orphan reparented to us, or an exited process) within 10 s.
bool ReapWithin(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && !sandbox::ProcessAlive(pid)) return true;  // not ours and gone
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

class ToolKilledTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
    // Orphans of the killed tool come back to this process, so the test can reap them and
    // see them really gone (instead of zombies of an init that may not reap).
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  }
  void TearDown() override { prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

TEST_P(ToolKilledTest, LeavesNoHolderProcessOrNamespace) {
  const int sig = GetParam();
  std::string dir = ::testing::TempDir() + "/mpdrill_killed_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  BackgroundTool tool({MkcapturePath(), "--scenario", "all", "--out", dir});
  ASSERT_GT(tool.pid(), 0);
  // Midway: both namespaces exist, the client and server processes are connected.
  ASSERT_TRUE(tool.WaitForStderr("connected", milliseconds(15000)))
      << "the tool never connected:\n" << tool.err();

  const std::vector<pid_t> descendants = Descendants(tool.pid());
  std::vector<pid_t> holders;
  std::vector<ino_t> namespaces;
  for (pid_t pid : descendants) {
    if (CommOf(pid) != sandbox::kHolderComm) continue;
    holders.push_back(pid);
    auto inode = sandbox::NetnsInodeOfPid(pid);
    if (inode.ok()) namespaces.push_back(*inode);
  }
  ASSERT_EQ(holders.size(), 2u) << "client and server namespace holders";
  ASSERT_EQ(namespaces.size(), 2u);
  ASSERT_GE(descendants.size(), 4u) << "holders + client + server";

  ASSERT_EQ(kill(tool.pid(), sig), 0);
  const int code = tool.Wait(milliseconds(5000));
  EXPECT_EQ(code, 128 + sig);

  for (pid_t pid : descendants) {
    EXPECT_TRUE(ReapWithin(pid)) << "process " << pid << " (" << CommOf(pid)
                                 << ") outlived the tool";
  }
  for (ino_t inode : namespaces) {
    EXPECT_THAT(sandbox::ProcessesUsingNetns(inode), ::testing::IsEmpty())
        << "network namespace " << inode << " still referenced";
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, ToolKilledTest, ::testing::Values(SIGINT, SIGKILL),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "Sigint" : "Sigkill");
                         });

}  // namespace
}  // namespace mpdrill::tests
