#include "engine/health/health.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mpdrill::health {
namespace {

using ::testing::ElementsAre;

TEST(ParseLogLineTest, KmsgRecordConsoleStampSyslogLevelAndPlain) {
  const LogLine k = ParseLogLine("4,1234,5678901,-;WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1\n");
  EXPECT_EQ(k.text, "WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1");
  EXPECT_EQ(k.level, 4);
  EXPECT_EQ(k.seq, 1234u);
  EXPECT_EQ(k.usecs, 5678901);
  const LogLine c = ParseLogLine("<4>[   12.345678] Call Trace:");
  EXPECT_EQ(c.text, "Call Trace:");
  EXPECT_EQ(c.level, 4);
  EXPECT_EQ(c.usecs, 12345678);
  const LogLine p = ParseLogLine("[ 3.5] BUG: x");
  EXPECT_EQ(p.text, "BUG: x");
  EXPECT_EQ(p.usecs, 3500000);
  EXPECT_EQ(ParseLogLine("plain text").text, "plain text");
  EXPECT_TRUE(ParseLogLine(" SUBSYSTEM=net").continuation);
  // Not a time stamp: kept as text.
  EXPECT_EQ(ParseLogLine("[abc] x").text, "[abc] x");
}

TEST(HealthLogTest, ClassifiesEveryKind) {
  const std::pair<const char*, HealthKind> cases[] = {
      {"WARNING: CPU: 1 PID: 42 at net/mptcp/protocol.c:100 f+0x1/0x2", HealthKind::kWarning},
      {"BUG: unable to handle page fault for address: 0000", HealthKind::kBug},
      {"kernel BUG at net/core/skbuff.c:1:", HealthKind::kBug},
      {"Oops: 0000 [#1] PREEMPT SMP", HealthKind::kOops},
      {"BUG: KASAN: slab-use-after-free in mptcp_x+0x1", HealthKind::kKasan},
      {"UBSAN: shift-out-of-bounds in net/mptcp/options.c:5:3", HealthKind::kUbsan},
      {"rcu: INFO: rcu_preempt self-detected stall on CPU", HealthKind::kRcuStall},
      {"watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [x:1]", HealthKind::kSoftLockup},
      {"INFO: task kworker/0:1:12 blocked for more than 122 seconds.", HealthKind::kHungTask},
      {"Call Trace:", HealthKind::kCallTrace},
      {"kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
       HealthKind::kKmemleak},
  };
  for (const auto& [line, kind] : cases) {
    HealthLog log;
    EXPECT_TRUE(log.Feed(line)) << line;
    ASSERT_EQ(log.events().size(), 1u) << line;
    EXPECT_EQ(log.events()[0].kind, kind) << line;
  }
  HealthLog quiet;
  EXPECT_FALSE(quiet.Feed("mptcp: MPTCP: subflow closed"));
  EXPECT_FALSE(quiet.Feed("tun: Universal TUN/TAP device driver, 1.6"));
  EXPECT_TRUE(quiet.events().empty());
}

TEST(HealthLogTest, ExcerptTakesTheTraceUntilItsEndAndCallTraceJoinsIt) {
  HealthLog log;
  log.Feed("[ 1.000000] ------------[ cut here ]------------");
  log.Feed("[ 1.000001] WARNING: CPU: 0 PID: 1 at mpdrill-test");
  log.Feed("[ 1.000002] Modules linked in:");
  log.Feed("[ 1.000003] Call Trace:");
  log.Feed("[ 1.000004]  <TASK>");
  log.Feed("[ 1.000005] ---[ end trace 0000000000000000 ]---");
  log.Feed("[ 1.000006] unrelated line");
  ASSERT_EQ(log.events().size(), 1u);
  EXPECT_EQ(VerdictName(log.events()[0].kind), "KERNEL-WARNING");
  EXPECT_THAT(log.events()[0].excerpt,
              ElementsAre("WARNING: CPU: 0 PID: 1 at mpdrill-test", "Modules linked in:",
                          "Call Trace:", " <TASK>", "---[ end trace 0000000000000000 ]---"));
  EXPECT_EQ(log.events()[0].usecs, 1000001);
}

TEST(RunMarkerTest, FormatAndParseRoundTripAndAttributeEvents) {
  const std::string begin = FormatRunBegin(3, "dir/a b.pkt", "ipv4-mapped-v6");
  EXPECT_EQ(begin, "mpdrill: run-begin 3 dir/a b.pkt (ipv4-mapped-v6)");
  auto m = ParseRunMarker(begin);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->begin);
  EXPECT_EQ(m->index, 3);
  EXPECT_EQ(m->script, "dir/a b.pkt");
  EXPECT_EQ(m->variant, "ipv4-mapped-v6");
  auto e = ParseRunMarker(FormatRunEnd(3, "PASS"));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->begin);
  EXPECT_EQ(e->verdict, "PASS");
  EXPECT_FALSE(ParseRunMarker("mpdrill: run-begin x a.pkt (ipv4)"));
  EXPECT_FALSE(ParseRunMarker("mpdrill: run-begin 0 a.pkt (ipv4)"));
  EXPECT_FALSE(ParseRunMarker("mpdrill: run-end 2"));

  // A console log alone: the event goes to the runs active when it appeared.
  HealthLog log;
  log.Feed("<5>[ 5.0] " + FormatRunBegin(1, "a.pkt", "ipv4"));
  log.Feed("5,10,5000001,-;" + FormatRunBegin(2, "b.pkt", "ipv6"));
  log.Feed("[ 5.1] " + FormatRunEnd(1, "PASS"));
  log.Feed("[ 5.2] BUG: KASAN: use-after-free in x");
  log.Feed("[ 5.3] " + FormatRunEnd(2, "FAIL"));
  log.Feed("[ 5.4] WARNING: CPU: 0 PID: 1 at y");
  ASSERT_EQ(log.events().size(), 2u);
  EXPECT_THAT(log.events()[0].active_runs, ElementsAre(2));
  EXPECT_THAT(log.events()[0].excerpt, ElementsAre("BUG: KASAN: use-after-free in x"));
  EXPECT_TRUE(log.events()[1].active_runs.empty());
}

TEST(Health, AReportNamesItsTaskByHostPid) {
  EXPECT_EQ(ParseReportPid("WARNING: CPU: 1 PID: 4242 at net/mptcp/protocol.c:10 f+0x1/0x2"),
            4242);
  EXPECT_FALSE(ParseReportPid("WARNING: at net/mptcp/protocol.c:10"));
  EXPECT_FALSE(ParseReportPid("PID: x"));
  EXPECT_FALSE(ParseReportPid("PID: 12345678901234"));  // no PID has that many digits
  // An Oops names it on its "CPU:" line, after the first: the event takes the first PID.
  HealthLog log;
  log.Feed("[ 1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000");
  log.Feed("[ 1.0] CPU: 0 PID: 77 Comm: sh Not tainted 6.1.0 #1");
  log.Feed("[ 1.0] CPU: 1 PID: 78 Comm: sh Not tainted 6.1.0 #1");
  ASSERT_EQ(log.events().size(), 1u);
  EXPECT_EQ(log.events()[0].pid, 77);
}

}  // namespace
}  // namespace mpdrill::health
