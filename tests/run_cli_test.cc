// End-to-end tests of `mpdrill run`: the built binary runs real scripts against this kernel,
// each run in its own private namespaces. Needs root and /dev/net/tun (skips otherwise).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/leak_check.h"
#include "sandbox/netns.h"
#include "tests/run_support.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kMpdrill = MpdrillPath();
const std::string kSmoke = MPDRILL_SOURCE_DIR "/scripts/smoke/";

std::string WriteScript(const std::string& name, const std::string& text) {
  return WriteScratchFile("run_test", name, text);
}

ino_t NetnsOf(pid_t pid) {
  struct stat st {};
  if (stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &st) != 0) return 0;
  return st.st_ino;
}

TEST(RunCliTest, DryRunParsesWithoutRunning) {
  ToolRun r = RunTool({kMpdrill, "run", "--dry_run", kSmoke + "tcp_server.pkt"}, milliseconds(10000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("DRY "));
  EXPECT_THAT(r.out, HasSubstr("(ipv6)"));
}

TEST(RunCliTest, BadUsageAndBadScriptsExitTwo) {
  EXPECT_EQ(RunTool({kMpdrill, "run"}, milliseconds(10000)).exit_code, 2);
  EXPECT_EQ(RunTool({kMpdrill, "run", "--tolerance_usecs=x", kSmoke}, milliseconds(10000)).exit_code, 2);
  const std::string bad = WriteScript("bad.pkt", "+0 frobnicate(\n");
  EXPECT_EQ(RunTool({kMpdrill, "run", "--dry_run", bad}, milliseconds(10000)).exit_code, 2);
}

TEST(RunCliTest, ShellCommandsSeeTheRunEnvironmentAndFailuresShowOutput) {
  SKIP_WITHOUT_ROOT();
  ToolRun ok = RunTool({kMpdrill, "run", kSmoke + "shell_ok.pkt"}, milliseconds(30000));
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("3 passed"));
  ToolRun bad = RunTool({kMpdrill, "run", "--ip_version=ipv4", kSmoke + "shell_fail.pkt"},
                        milliseconds(30000));
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("shell_fail.pkt:2: shell command failed: expected: exit 0 actual: exit 3"));
  EXPECT_THAT(bad.out, HasSubstr("smoke-output-marker"));
}

// packetdrill's scripts name files after the runner's pid (set_sysctls.py: /tmp/sysctl_restore_
// ${PACKETDRILL_PID}.sh, read back as ${PPID}): parallel runs must not share one. Each run's
// commands see $PPID == $PACKETDRILL_PID, and two runs at once see two numbers (not the 1 of a
// fresh PID namespace's first process).
TEST(RunCliTest, ParallelRunsSeeTheirOwnPacketdrillPid) {
  SKIP_WITHOUT_ROOT();
  const std::string log = WriteScratchFile("run_test", "pids.log", "");
  const std::string script =
      "0 `test \"$PPID\" = \"$PACKETDRILL_PID\" && echo $PACKETDRILL_PID >> " + log +
      " && sleep 0.3`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n";
  const std::string a = WriteScript("pid_a.pkt", script);
  const std::string b = WriteScript("pid_b.pkt", script);
  ToolRun r = RunTool({kMpdrill, "run", "-j", "2", "--ip_version=ipv4", a, b}, milliseconds(30000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::ifstream in(log);
  std::set<std::string> pids;
  for (std::string line; std::getline(in, line);) pids.insert(line);
  EXPECT_EQ(pids.size(), 2u) << r.out;
  EXPECT_EQ(pids.count("1"), 0u);
}

// packetdrill's tolerance for a blocking call's return grows with the call's own duration
// (12.5 % of it by default), as run_system_call.c checks it: a poll that blocks 1.05 s where
// the script says 1 s is on time, one that blocks 1.2 s is not.
TEST(RunCliTest, ABlockingReturnsToleranceGrowsWithItsDuration) {
  SKIP_WITHOUT_ROOT();
  const auto script = [](int ms) {
    return "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
           "+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
           "+0...1 poll([{fd=3, events=POLLIN, revents=0}], 1, " + std::to_string(ms) + ") = 0\n";
  };
  const std::string near = WriteScript("poll_near.pkt", script(1050));
  const std::string far = WriteScript("poll_far.pkt", script(1200));
  ToolRun r = RunTool({kMpdrill, "run", "-j", "2", "--ip_version=ipv4", near, far},
                      milliseconds(30000));
  EXPECT_THAT(r.out, HasSubstr("PASS " + near)) << r.out;
  EXPECT_THAT(r.out, HasSubstr("FAIL " + far)) << r.out;
  EXPECT_THAT(r.out, HasSubstr("blocking system call return: timing error")) << r.out;
}

TEST(RunCliTest, PlainTcpServerAndClientPassInEveryVariant) {
  SKIP_WITHOUT_ROOT();
  ToolRun r = RunTool({kMpdrill, "run", kSmoke + "tcp_server.pkt", kSmoke + "tcp_client.pkt"},
                      milliseconds(60000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("6 run(s), 6 passed"));
}

// UDP both ways on the real kernel (scripts/udp): datagrams on the association the syscalls'
// `...` addresses name, the kernel's ephemeral port learned from its first datagram, its ICMP
// port unreachable matched, an injected one turning into ECONNREFUSED. A wrong length fails
// with the field's message.
TEST(RunCliTest, UdpAndTheKernelsIcmpPassInEveryVariant) {
  SKIP_WITHOUT_ROOT();
  const std::string udp = MPDRILL_SOURCE_DIR "/scripts/udp";
  ToolRun r = RunTool({kMpdrill, "run", udp}, milliseconds(60000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("6 run(s), 6 passed"));
  std::ifstream in(udp + "/udp_server.pkt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("> udp (50)"), 10, "> udp (51)");
  const std::string bad = WriteScript("udp_fail.pkt", text);
  ToolRun f = RunTool({kMpdrill, "run", "--ip_version=ipv4", bad}, milliseconds(30000));
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("udp_fail.pkt:10: udp payload length: expected: 51 actual: 50"));
  EXPECT_THAT(f.out, HasSubstr("actual packet: > 192.168.0.2:8080 > 192.0.2.1:8080 udp (50)"));
}

// packetdrill's TCP suites: the peer's numbers counted from its SYN/ACK, %{ }% blocks over
// TCP_INFO run by python3 after the script, PACKETDRILL_PID. A failing block fails the run at
// its own line with python's message.
TEST(RunCliTest, PacketdrillTcpSemanticsAndCodeBlocks) {
  SKIP_WITHOUT_ROOT();
  if (std::system("python3 -c pass >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  ToolRun ok = RunTool({kMpdrill, "run", "--ip_version=ipv4", kSmoke + "tcp_client_packetdrill.pkt"},
                       milliseconds(30000));
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  std::ifstream in(kSmoke + "tcp_client_packetdrill.pkt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string from = "tcpi_snd_mss == 1400";
  text.replace(text.find(from), from.size(), "tcpi_snd_mss == 1401");
  const std::string bad = WriteScript("code_fail.pkt", text);
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv6", bad}, milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("code_fail.pkt:19: error in Python code: AssertionError: 1400"));
}

// A run that fails while a blocking call's thread has not started yet: the call must not
// outlive the executor it runs on (it crashed the run, "run ended without a report"). The old
// connection's FIN, queued already, is what the script's SYN/ACK line meets; the new
// connection's SYN is what the script waits for as a SYN, not the FIN.
TEST(RunCliTest, AFailureBesideABlockingCallIsReportedNotACrash) {
  SKIP_WITHOUT_ROOT();
  const std::string s = WriteScript("blocked_race.pkt",
                                    "--tolerance_usecs=100000\n"
                                    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                                    "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                                    "+0 connect(3, ..., ...) = -1 EINPROGRESS (in progress)\n"
                                    "+0 > S 0:0(0) <...>\n"
                                    "+0 < S. 0:0(0) ack 1 win 1000\n"
                                    "+0 > . 1:1(0) ack 1\n"
                                    "+0 close(3) = 0\n"
                                    "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
                                    "+0...0.5 connect(4, ..., ...) = 0\n"
                                    "+0 > S. 0:0(0) <...>\n");
  for (int i = 0; i < 3; ++i) {
    ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", s}, milliseconds(30000));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("blocked_race.pkt:11: tcp flags: expected: S. actual: F."));
  }
}

TEST(RunCliTest, AWrongOutboundPacketNamesTheFieldWithExpectedAndActual) {
  SKIP_WITHOUT_ROOT();
  const std::string s = WriteScript("wrong_ack.pkt",
                                    "--tolerance_usecs=100000\n"
                                    "0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                                    "+0 bind(3, ..., ...) = 0\n"
                                    "+0 listen(3, 1) = 0\n"
                                    "+0 < S 0:0(0) win 65535 <mss 1460>\n"
                                    "+0 > S. 0:0(0) ack 7 <mss 1460>\n");
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv4", s}, milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrong_ack.pkt:6: tcp ack: expected: 7 actual: 1"));
  EXPECT_THAT(r.out, HasSubstr("script packet: > S. 0:0(0) ack 7"));
  EXPECT_THAT(r.out, HasSubstr("actual packet: > S. 0:0(0) ack 1"));
}

TEST(RunCliTest, AMissingPacketTimesOut) {
  SKIP_WITHOUT_ROOT();
  const std::string s = WriteScript("none.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                                                "+0 > S 0:0(0) <...>\n");
  ToolRun r = RunTool({kMpdrill, "run", "--ip_version=ipv6", s}, milliseconds(30000));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("none.pkt:2: error handling packet: Timed out waiting for packet"));
}

// Kills `mpdrill run` in the middle of a run (a script whose shell commands hang, one of them
// in the background) and checks that nothing survives: no process it started, no private
// network namespace (and so no tun0), nothing in the starting namespace.
// No fixed time window decides whether the run got there: the hanging command itself creates
// a marker file (the file system is shared with the run) right before it execs `sleep 42`,
// and the test waits for that marker (or for the tool to exit, which fails with its output).
// The earlier version polled /proc for 5 s, and the run itself often failed first under load:
// mpdrill timed the first event and counted `+0` from the previous event's script time, so a
// 5 ms slow fork made the run FAIL before `sleep 42` (packetdrill does neither: fixed in
// engine/run). The generous tolerance keeps this test about cleanup, not timing.
void KillMidRunLeavesNothing(int sig, bool parallel = false) {
  const std::string marker =
      (fs::temp_directory_path() / ("mpdrill_run_test_" + std::to_string(getpid())) /
       ("hanging_" + std::to_string(sig)))
          .string();
  const std::string s = WriteScript("hang_" + std::to_string(sig) + ".pkt",
                                    "--tolerance_usecs=2000000\n"
                                    "0   `sleep 41 >/dev/null 2>&1 &`\n"
                                    "+0  `touch " + marker + " && exec sleep 42`\n");
  fs::remove(marker);
  const ino_t outer = NetnsOf(getpid());
  // In parallel: the script's three variants at once (-j 3), all of them hanging.
  BackgroundTool tool(parallel ? std::vector<std::string>{kMpdrill, "run", "-j", "3", s}
                               : std::vector<std::string>{kMpdrill, "run", "--ip_version=ipv4", s});
  // Bounded (60 s) wait for the marker; the tool exiting first ends it at once.
  bool started = false;
  for (int i = 0; i < 1200 && !started; ++i) {
    started = fs::exists(marker);
    if (!started) {
      if (!sandbox::ProcessAlive(tool.pid())) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ASSERT_TRUE(started) << "the script's shell command never started; mpdrill said: "
                       << (tool.Wait(milliseconds(5000)), tool.err());
  std::vector<pid_t> seen;
  std::set<ino_t> private_netns;
  bool hanging = false;
  // `sleep 42` is exec'd right after the marker: a few /proc scans find it.
  for (int i = 0; i < 200 && !hanging; ++i) {
    for (pid_t p : Descendants(tool.pid())) {
      seen.push_back(p);
      const ino_t ns = NetnsOf(p);
      if (ns != 0 && ns != outer) private_netns.insert(ns);
      std::ifstream cmd("/proc/" + std::to_string(p) + "/cmdline");
      std::string line;
      std::getline(cmd, line, '\0');
      std::string arg;
      std::getline(cmd, arg, '\0');
      if (line == "sleep" && arg == "42") hanging = true;
    }
    if (!hanging) std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(hanging) << "no `sleep 42` below mpdrill run after the marker";
  ASSERT_FALSE(private_netns.empty());
  kill(tool.pid(), sig);
  const int code = tool.Wait(milliseconds(10000));
  EXPECT_NE(code, -1) << "mpdrill run did not exit";
  EXPECT_NE(code, 0);
  // The kernel tears namespaces down asynchronously after the last process: allow a moment.
  for (int i = 0; i < 40; ++i) {
    bool any = false;
    for (pid_t p : seen) any |= sandbox::ProcessAlive(p);
    for (ino_t ns : private_netns) any |= !sandbox::ProcessesUsingNetns(ns).empty();
    if (!any) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  for (pid_t p : seen) EXPECT_FALSE(sandbox::ProcessAlive(p)) << "process " << p << " survived";
  for (ino_t ns : private_netns) {
    EXPECT_THAT(sandbox::ProcessesUsingNetns(ns), ::testing::IsEmpty()) << "netns " << ns;
  }
  EXPECT_FALSE(fs::exists("/sys/class/net/tun0")) << "tun0 in the starting namespace";
}

TEST(RunCliTest, SigintMidRunLeavesNoNamespaceTunOrProcess) {
  SKIP_WITHOUT_ROOT();
  KillMidRunLeavesNothing(SIGINT);
}

TEST(RunCliTest, SigintDuringParallelRunsLeavesNoNamespaceTunOrProcess) {
  SKIP_WITHOUT_ROOT();
  KillMidRunLeavesNothing(SIGINT, /*parallel=*/true);
}

TEST(RunCliTest, SigkillMidRunLeavesNoNamespaceTunOrProcess) {
  SKIP_WITHOUT_ROOT();
  KillMidRunLeavesNothing(SIGKILL);
}

}  // namespace
}  // namespace mpdrill::tests
