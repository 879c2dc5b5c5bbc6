#include "engine/run/timing.h"

#include "gtest/gtest.h"

namespace mpdrill::run {
namespace {

parser::EventTime Rel(std::int64_t us) { return {parser::TimeKind::kRelative, us, 0}; }
parser::EventTime Abs(std::int64_t us) { return {parser::TimeKind::kAbsolute, us, 0}; }

TEST(TimelineTest, RelativeAndAbsoluteTimesWithPacketdrillTolerance) {
  Timeline t(4000, 12.5);
  Schedule a = t.Next(Abs(0), std::nullopt);
  EXPECT_EQ(a.start, 0);
  Schedule b = t.Next(Rel(100000), std::nullopt);
  EXPECT_EQ(b.start, 100000);
  EXPECT_EQ(b.tolerance, 12500);  // 12.5% of the 100 ms delta beats 4 ms
  Schedule c = t.Next(Rel(0), std::nullopt);
  EXPECT_EQ(c.start, 100000);
  EXPECT_EQ(c.tolerance, 4000);
  Schedule d = t.Next(Abs(50000), std::nullopt);
  EXPECT_EQ(d.start, 50000);
}

TEST(TimelineTest, AnyTimeReanchorsLaterRelativeEvents) {
  Timeline t(4000, 0);
  t.Next(Abs(100000), std::nullopt);
  Schedule star = t.Next({parser::TimeKind::kAny, 0, 0}, std::nullopt);
  EXPECT_TRUE(star.any);
  t.Happened(star, 300000);
  EXPECT_EQ(t.Next(Rel(10000), std::nullopt).start, 310000);
}

TEST(TimelineTest, BlockingSyscallEndCountsFromTheSameBase) {
  Timeline t(4000, 0);
  t.Next(Abs(100000), std::nullopt);
  Schedule s = t.Next(Rel(0), 1000000);
  ASSERT_TRUE(s.syscall_end.has_value());
  EXPECT_EQ(*s.syscall_end, 1100000);
  EXPECT_EQ(t.Next(Rel(0), std::nullopt).start, 1100000);
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

}  // namespace
}  // namespace mpdrill::run
