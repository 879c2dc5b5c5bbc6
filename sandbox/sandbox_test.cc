// Real namespaces, real processes: these tests need root (they skip, saying so, without it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/leak_check.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"
#include "sandbox/topology.h"

namespace mpdrill::sandbox {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using namespace ::mpdrill::sandbox::test_util;  // NOLINT(build/namespaces): test helpers

TEST(NetNamespaceTest, CreateGivesAFreshNamespaceHeldByANamedHolder) {
  MPDRILL_NETNS_OR_SKIP(ns);
  const auto outer = CurrentNetnsInode();
  ASSERT_TRUE(outer.ok());
  EXPECT_NE(ns.inode(), *outer);
  EXPECT_EQ(ns.outer_inode(), *outer);
  EXPECT_TRUE(ProcessAlive(ns.holder_pid()));
  std::ifstream comm("/proc/" + std::to_string(ns.holder_pid()) + "/comm");
  std::string name;
  std::getline(comm, name);
  EXPECT_EQ(name, kHolderComm);
  EXPECT_EQ(ParentOf(ns.holder_pid()), getpid());
  auto via_pid = NetnsInodeOfPid(ns.holder_pid());
  ASSERT_TRUE(via_pid.ok());
  EXPECT_EQ(*via_pid, ns.inode());
}

TEST(NetNamespaceTest, DestroyKillsAndReapsTheHolderAndTheNamespaceGoes) {
  MPDRILL_NETNS_OR_SKIP(ns);
  const pid_t holder = ns.holder_pid();
  const ino_t inode = ns.inode();
  ns.Destroy();
  EXPECT_FALSE(ns.valid());
  EXPECT_FALSE(ProcessAlive(holder));
  EXPECT_EQ(ParentOf(holder), -1) << "holder " << holder << " not reaped";
  EXPECT_THAT(ProcessesUsingNetns(inode), ::testing::IsEmpty());
  ns.Destroy();  // idempotent
}

TEST(NetNamespaceTest, MoveTransfersOwnership) {
  MPDRILL_NETNS_OR_SKIP(a);
  const pid_t holder = a.holder_pid();
  NetNamespace b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.holder_pid(), holder);
  EXPECT_TRUE(ProcessAlive(holder));
}

TEST(NetNamespaceTest, TwoNamespacesAreDistinct) {
  MPDRILL_NETNS_OR_SKIP(a);
  MPDRILL_NETNS_OR_SKIP(b);
  EXPECT_NE(a.inode(), b.inode());
}

TEST(ScopedNetnsEnterTest, MovesOnlyTheCallingThreadAndComesBack) {
  MPDRILL_NETNS_OR_SKIP(ns);
  const ino_t outer = *CurrentNetnsInode();
  ino_t seen_inside = 0;
  ino_t seen_after = 0;
  ino_t main_during = 0;
  std::thread t([&] {
    {
      auto entered = ScopedNetnsEnter::Enter(ns);
      ASSERT_TRUE(entered.ok()) << entered.error().message;
      seen_inside = *CurrentNetnsInode();
      EXPECT_TRUE(CheckInside(ns).ok());
      main_during = *NetnsInodeOfPid(getpid());  // the main thread: untouched
    }
    seen_after = *CurrentNetnsInode();
  });
  t.join();
  EXPECT_EQ(seen_inside, ns.inode());
  EXPECT_EQ(main_during, outer);
  EXPECT_EQ(seen_after, outer);
}

TEST(CheckInsideTest, RefusesTheOuterNamespace) {
  MPDRILL_NETNS_OR_SKIP(ns);
  auto inside = CheckInside(ns);  // this thread never entered
  ASSERT_FALSE(inside.ok());
  EXPECT_EQ(inside.error().code, SandboxErrorCode::kHostNamespace);
  EXPECT_THAT(inside.error().message, HasSubstr("expected: netns inode"));
}

TEST(RunInNamespaceTest, RunsTheCallableInsideAndReturnsItsExitCode) {
  MPDRILL_NETNS_OR_SKIP(ns);
  const ino_t want = ns.inode();
  auto code = RunInNamespace(
      ns, [want] { return *CurrentNetnsInode() == want ? 7 : 1; }, milliseconds(2000));
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(*code, 7);
}

TEST(RunInNamespaceTest, KillsTheChildAtTheDeadline) {
  MPDRILL_NETNS_OR_SKIP(ns);
  const auto start = std::chrono::steady_clock::now();
  auto code = RunInNamespace(
      ns,
      [] {
        for (int i = 0; i < 100; ++i) usleep(100000);  // bounded: 10 s
        return 0;
      },
      milliseconds(200));
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.error().code, SandboxErrorCode::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RunCommandTest, CapturesOutputOfACommandInsideTheNamespace) {
  MPDRILL_NETNS_OR_SKIP(ns);
  auto r = RunCommand(ns, {"ip", "-o", "link", "show"}, milliseconds(3000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_THAT(r->out, HasSubstr("lo:"));
  EXPECT_THAT(r->out, ::testing::Not(HasSubstr("eth0")));  // a fresh namespace has only lo
}

TEST(RunCommandTest, ReportsExitCodeAndStderr) {
  MPDRILL_NETNS_OR_SKIP(ns);
  auto r = RunCommand(ns, {"ip", "link", "set", "nosuchdev", "up"}, milliseconds(3000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(r->exit_code, 0);
  EXPECT_FALSE(r->err.empty());
  auto checked = RunChecked(ns, {"ip", "link", "set", "nosuchdev", "up"});
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, SandboxErrorCode::kCommandFailed);
  EXPECT_THAT(checked.error().message, HasSubstr("expected: exit 0 actual: exit"));
}

TEST(RunCommandTest, KillsACommandPastItsDeadline) {
  MPDRILL_NETNS_OR_SKIP(ns);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunCommand(ns, {"sleep", "10"}, milliseconds(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, SandboxErrorCode::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RunCommandTest, MissingProgramIsExit127) {
  MPDRILL_NETNS_OR_SKIP(ns);
  auto r = RunCommand(ns, {"/nonexistent/mpdrill-no-such-tool"}, milliseconds(2000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 127);
}

TEST(TopologyTest, SysctlIsPerNamespaceAndLeavesTheHostAlone) {
  MPDRILL_NETNS_OR_SKIP(ns);
  auto read_forward = [] {
    std::ifstream in("/proc/sys/net/ipv4/ip_forward");
    int v = -1;
    in >> v;
    return v;
  };
  const int host_before = read_forward();
  const int want = host_before == 1 ? 0 : 1;
  ASSERT_TRUE(SetSysctl(ns, "net.ipv4.ip_forward", std::to_string(want)).ok());
  auto inside = RunInNamespace(ns, [&] { return read_forward(); }, milliseconds(2000));
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(*inside, want);
  EXPECT_EQ(read_forward(), host_before);
  auto bad = SetSysctl(ns, "net/../../etc", "1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, SandboxErrorCode::kInvalidArgument);
}

TEST(TopologyTest, TcpConnectAcrossAVethPair) {
  MPDRILL_NETNS_OR_SKIP(a);
  MPDRILL_NETNS_OR_SKIP(b);
  ASSERT_TRUE(ConnectPair(a, b).ok());
  // Server in b: accept one connection and answer "pong" to "ping".
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  auto server = SpawnInNamespace(b, [&] {
    close(ready[0]);
    const int code = ServeOnePingPong(AF_INET, "198.51.100.2", 5001, ready[1]);
    return code;
  });
  ASSERT_TRUE(server.ok());
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "server did not start";
  close(ready[0]);
  auto client = RunInNamespace(a, [] { return PingPongClient(AF_INET, "198.51.100.2", 5001); },
                               milliseconds(3000));
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(*client, 0);
  auto served = server->Wait(milliseconds(3000));
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(*served, 0);
}

TEST(TopologyTest, NoRouteFromTheOuterNamespace) {
  // The pair's addresses exist only inside: the outer namespace cannot reach them.
  MPDRILL_NETNS_OR_SKIP(a);
  MPDRILL_NETNS_OR_SKIP(b);
  ASSERT_TRUE(ConnectPair(a, b).ok());
  auto outer_addrs = std::ifstream("/proc/net/fib_trie");
  std::string all((std::istreambuf_iterator<char>(outer_addrs)), std::istreambuf_iterator<char>());
  EXPECT_THAT(all, ::testing::Not(HasSubstr("198.51.100.2")));
}

TEST(LeakTest, HoldersDieWhenTheirOwnerIsSigkilled) {
  MPDRILL_NETNS_OR_SKIP(probe);  // skips without privilege
  // Orphans come back to us, so we can reap them and see them really gone.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    close(report[0]);
    auto a = NetNamespace::Create();
    auto b = NetNamespace::Create();
    if (!a.ok() || !b.ok()) _exit(1);
    const pid_t pids[2] = {a->holder_pid(), b->holder_pid()};
    if (write(report[1], pids, sizeof(pids)) != sizeof(pids)) _exit(1);
    for (int i = 0; i < 100; ++i) usleep(100000);  // bounded: the test kills us first
    _exit(0);
  }
  close(report[1]);
  pid_t holders[2] = {0, 0};
  ASSERT_TRUE(ReadWithTimeout(report[0], holders, sizeof(holders), milliseconds(3000)));
  close(report[0]);
  std::vector<ino_t> inodes;
  for (pid_t h : holders) {
    ASSERT_TRUE(ProcessAlive(h));
    auto inode = NetnsInodeOfPid(h);
    ASSERT_TRUE(inode.ok());
    inodes.push_back(*inode);
    EXPECT_THAT(ProcessesUsingNetns(*inode), ::testing::Contains(h));
  }

  ASSERT_EQ(kill(owner, SIGKILL), 0);
  int status;
  ASSERT_EQ(waitpid(owner, &status, 0), owner);
  EXPECT_TRUE(WIFSIGNALED(status));

  for (pid_t h : holders) {
    EXPECT_TRUE(ReapWithin(h, milliseconds(3000))) << "holder " << h << " survived its owner";
    EXPECT_FALSE(ProcessAlive(h));
  }
  for (ino_t inode : inodes) {
    EXPECT_THAT(ProcessesUsingNetns(inode), ::testing::IsEmpty()) << "namespace " << inode;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

}  // namespace
}  // namespace mpdrill::sandbox
