#include "engine/run/timing.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"

namespace mpdrill::run {
namespace {

parser::EventTime Rel(std::int64_t us) { return {parser::TimeKind::kRelative, us, 0}; }
parser::EventTime Abs(std::int64_t us) { return {parser::TimeKind::kAbsolute, us, 0}; }

TEST(TimelineTest, RelativeAndAbsoluteTimesWithPacketdrillTolerance) {
  Timeline t(4000, 12.5);
  Schedule a = t.Next(Abs(0), std::nullopt, 0);
  EXPECT_EQ(a.start, 0);
  Schedule b = t.Next(Rel(100000), std::nullopt, 0);
  EXPECT_EQ(b.start, 100000);
  EXPECT_EQ(b.tolerance, 12500);  // 12.5% of the 100 ms delta beats 4 ms
  Schedule c = t.Next(Rel(0), std::nullopt, 100000);
  EXPECT_EQ(c.start, 100000);
  EXPECT_EQ(c.tolerance, 4000);
  Schedule d = t.Next(Abs(50000), std::nullopt, 100000);
  EXPECT_EQ(d.start, 50000);
}

TEST(TimelineTest, RelativeTimesCountFromWhenTheRunnerGetsThere) {
  // A slow shell command (done at 30 ms) before `+0`: packetdrill expects the +0 event at
  // 30 ms, not at the command's script time 0.
  Timeline t(4000, 0);
  t.Next(Abs(0), std::nullopt, 0);
  Schedule next = t.Next(Rel(0), std::nullopt, 30000);
  EXPECT_EQ(next.start, 30000);
  EXPECT_FALSE(CheckTiming(next, 30100).has_value());
}

TEST(TimelineTest, InboundAfterInboundCountsFromThePreviousScheduledTime) {
  Timeline t(4000, 0);
  t.Next(Abs(100000), std::nullopt, 100000);
  // Injecting took 3 ms: the second inbound packet is still due at 100 ms + 10 ms.
  EXPECT_EQ(t.Next(Rel(10000), std::nullopt, 103000, true).start, 110000);
  EXPECT_EQ(t.Next(Rel(10000), std::nullopt, 113000, false).start, 123000);
}

TEST(TimelineTest, AnyTimeReanchorsLaterAbsoluteEvents) {
  Timeline t(4000, 0);
  t.Next(Abs(100000), std::nullopt, 100000);
  Schedule star = t.Next({parser::TimeKind::kAny, 0, 0}, std::nullopt, 100000);
  EXPECT_TRUE(star.any);
  t.Happened(star, 300000);
  EXPECT_EQ(t.Next(Rel(10000), std::nullopt, 300000).start, 310000);
  EXPECT_EQ(t.Next(Abs(400000), std::nullopt, 310000).start, 600000);
}

TEST(TimelineTest, BlockingSyscallEndCountsFromTheSameBase) {
  Timeline t(4000, 0);
  t.Next(Abs(100000), std::nullopt, 100000);
  Schedule s = t.Next(Rel(0), 1000000, 100000);
  ASSERT_TRUE(s.syscall_end.has_value());
  EXPECT_EQ(*s.syscall_end, 1100000);
  Schedule a = t.Next(Abs(200000), 500000, 100000);
  EXPECT_EQ(*a.syscall_end, 500000);
}

TEST(CheckTimingTest, EarlyAndLateEventsSayExpectedAndActual) {
  Schedule s;
  s.start = s.end = 100000;
  s.tolerance = 4000;
  EXPECT_FALSE(CheckTiming(s, 103999).has_value());
  EXPECT_FALSE(CheckTiming(s, 96000).has_value());
  auto late = CheckTiming(s, 250000);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(*late, "timing error: expected: 0.100000 sec (tolerance 0.004000) actual: 0.250000 sec");
  EXPECT_TRUE(CheckTiming(s, 50000).has_value());
  s.any = true;
  EXPECT_FALSE(CheckTiming(s, 9000000).has_value());
}

TEST(RealtimeTest, OnlyTheCallingThreadAndNoneOfItsChildren) {
  // In a thread of its own, so that the test process keeps its policy.
  int policy = -1, child_policy = -1, other_thread = -1;
  bool entered = false;
  std::thread t([&] {
    entered = EnterRealtime();
    if (!entered) return;
    policy = sched_getscheduler(0);
    std::thread([&] { other_thread = sched_getscheduler(0); }).join();
    const pid_t pid = fork();
    if (pid == 0) _exit(sched_getscheduler(0) == SCHED_OTHER ? 0 : 1);
    int status = 0;
    waitpid(pid, &status, 0);
    child_policy = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  });
  t.join();
  if (!entered) GTEST_SKIP() << "SCHED_FIFO not permitted here (needs CAP_SYS_NICE)";
  EXPECT_EQ(policy & ~SCHED_RESET_ON_FORK, SCHED_FIFO);
  EXPECT_EQ(other_thread, SCHED_OTHER);  // a thread it starts: the normal policy
  EXPECT_EQ(child_policy, 0);            // a process it forks (a shell command): likewise
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
}

}  // namespace
}  // namespace mpdrill::run
