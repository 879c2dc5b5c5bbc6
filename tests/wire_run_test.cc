// `mpdrill run --target=wire:IFACE` end to end, as a user runs it: ci/wire_target.sh builds
// the two namespaces (test link + control link) with `mpdrill agent` in the target's, and the
// built binary runs project scripts over the veth. Also the flag and set-up errors.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/run_support.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kMpdrill = MpdrillPath();
const std::string kScripts = MPDRILL_SOURCE_DIR "/scripts/mptcp/";
const std::string kWireTarget = MPDRILL_SOURCE_DIR "/ci/wire_target.sh";

std::string Token(int mode) {
  const std::string path = WriteScratchFile("wire_run", "token" + std::to_string(mode),
                                            "wire-run-test-token-0123456789\n");
  chmod(path.c_str(), static_cast<mode_t>(mode));
  return path;
}

TEST(WireRunCli, FlagErrorsAreUsageErrors) {
  ToolRun bad = RunTool({kMpdrill, "run", "--target=bogus", kScripts}, milliseconds(10000));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--target wants tun or wire:IFACE, not 'bogus'"));
  ToolRun alone = RunTool({kMpdrill, "run", "--agent", "127.0.0.1:7000", kScripts},
                          milliseconds(10000));
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_THAT(alone.err, HasSubstr("go with --target=wire:IFACE"));
  ToolRun no_agent = RunTool({kMpdrill, "run", "--target=wire:lo", kScripts}, milliseconds(10000));
  EXPECT_EQ(no_agent.exit_code, 2);
  EXPECT_THAT(no_agent.err, HasSubstr("needs --agent ADDR:PORT and --agent-token FILE"));
  ToolRun open_token = RunTool({kMpdrill, "run", "--target=wire:lo", "--agent", "127.0.0.1:7000",
                                "--agent-token", Token(0644), kScripts},
                               milliseconds(10000));
  EXPECT_EQ(open_token.exit_code, 2);
  EXPECT_THAT(open_token.err, HasSubstr("--agent-token: "));
}

TEST(WireRunCli, NoSuchInterfaceIsAnEnvironmentError) {
  ToolRun r = RunTool({kMpdrill, "run", "--target=wire:nosuchdev0", "--agent", "127.0.0.1:9",
                       "--agent-token", Token(0600), kScripts},
                      milliseconds(10000));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("wire:nosuchdev0: "));
}

TEST(WireRunCli, RunsScriptsOverAVethAgainstANamespaceAgent) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, veth, packet sockets";
  const std::string tag = "test" + std::to_string(getpid());
  ToolRun r = RunTool({"/usr/bin/env", "MPDRILL_WIRE_TAG=" + tag, "/bin/bash", kWireTarget,
                       MPDRILL_BINARY_DIR, "--", "/bin/sh", "-c",
                       "\"$0\" run $MPDRILL_WIRE_ARGS \"$1\"mp_join \"$1\"add_addr", kMpdrill,
                       kScripts},
                      milliseconds(120000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("target wire:w0 -> agent 203.0.113.2:7000, device w1, kernel "));
  EXPECT_THAT(r.out, HasSubstr("PASS " + kScripts + "mp_join/server_join.pkt (ipv6)"));
  EXPECT_THAT(r.out, Not(HasSubstr("FAIL")));
  EXPECT_THAT(r.err, Not(HasSubstr("did not end with shutdown")));
  // Nothing left: ci/wire_target.sh removed its namespaces (and with them the veths).
  ToolRun ns = RunTool({"/usr/sbin/ip", "netns", "list"}, milliseconds(5000));
  EXPECT_THAT(ns.out, Not(HasSubstr("mpdrill-wire-m-" + tag)));
  EXPECT_THAT(ns.out, Not(HasSubstr("mpdrill-wire-t-" + tag)));
}

// A WARN the target's kernel logs during a run is that run's verdict: read from the target
// through the agent (this machine's /dev/kmsg is not read for a wire target).
TEST(WireRunCli, ATargetKernelWarningIsTheRunsVerdict) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, veth, packet sockets";
  const std::string warn = WriteScratchFile(
      "wire_run", "warn.pkt",
      "0 `echo '<4>WARNING: CPU: 0 PID: 1 at mpdrill-test: written on the wire target' > /dev/kmsg`\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  ToolRun r = RunTool({"/bin/bash", kWireTarget, MPDRILL_BINARY_DIR, "--", "/bin/sh", "-c",
                       "\"$0\" run $MPDRILL_WIRE_ARGS --ip_version=ipv4 \"$1\"", kMpdrill, warn},
                      milliseconds(60000));
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("KERNEL-WARNING " + warn + " (ipv4)"));
  EXPECT_THAT(r.out, HasSubstr("WARNING: CPU: 0 PID: 1 at mpdrill-test: written on the wire target"));
}

}  // namespace
}  // namespace mpdrill::tests
