#include "engine/run/timing.h"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>

namespace mpdrill::run {

std::int64_t MonotonicClock::NowUsecs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void MonotonicClock::SleepUntilUsecs(std::int64_t t) {
  // A time already past returns at once: clock_nanosleep would still arm a timer and wait
  // for its interrupt (~90 us here for every `+0` event).
  const std::int64_t now = NowUsecs();
  if (t <= now) return;
  if (t - now > kSpinUsecs) {
    const std::int64_t wake = t - kSpinUsecs;
    timespec ts{};
    ts.tv_sec = wake / 1000000;
    ts.tv_nsec = (wake % 1000000) * 1000;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
  }
  while (NowUsecs() < t) {
  }
}

std::int64_t MonotonicClock::StartUsecs() {
  constexpr std::int64_t kAfterTickUsecs = 250;
  constexpr std::int64_t kMaxTickWaitUsecs = 20000;  // the tick is 1-10 ms
  auto coarse = [] {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  };
  std::int64_t now = NowUsecs();
  // On the CPU, `now` kept current, as long as `busy()` holds.
  auto spin_while = [&](auto busy) {
    while (busy()) now = NowUsecs();
  };
  const std::int64_t warm_end = now + warm_usecs_;
  spin_while([&] { return now < warm_end; });
  const std::int64_t give_up = now + kMaxTickWaitUsecs;
  const std::int64_t first = coarse();
  spin_while([&] { return coarse() == first && now < give_up; });
  SleepUntilUsecs(now + kAfterTickUsecs);
  return now + kAfterTickUsecs;
}

bool EnterRealtime() {
  sched_param p{};
  p.sched_priority = sched_get_priority_min(SCHED_FIFO);
  return sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &p) == 0;
}

std::int64_t Timeline::Tolerance(std::int64_t delta) const {
  const double pct = tolerance_percent_ / 100.0 * static_cast<double>(delta < 0 ? -delta : delta);
  return std::max<std::int64_t>(tolerance_usecs_, static_cast<std::int64_t>(std::llround(pct)));
}

Schedule Timeline::Next(const parser::EventTime& time,
                        std::optional<std::int64_t> syscall_end_usecs, std::int64_t now,
                        bool inbound_after_inbound) {
  Schedule s;
  // packetdrill: relative times count from when the runner gets to the event, so a slow
  // shell command or syscall before a `+0` does not make it late.
  const std::int64_t base = inbound_after_inbound ? last_ : now;
  bool relative = false;
  switch (time.kind) {
    case parser::TimeKind::kAbsolute:
      s.start = s.end = time.usecs + shift_;
      break;
    case parser::TimeKind::kRelative:
      relative = true;
      s.start = s.end = base + time.usecs;
      break;
    case parser::TimeKind::kAny:
      s.any = true;
      s.start = s.end = now;
      break;
    case parser::TimeKind::kAbsoluteRange:
      s.start = time.usecs + shift_;
      s.end = time.end_usecs + shift_;
      break;
    case parser::TimeKind::kRelativeRange:
      relative = true;
      s.start = base + time.usecs;
      s.end = base + time.end_usecs;
      break;
  }
  s.tolerance = Tolerance(s.start - last_);
  if (syscall_end_usecs) s.syscall_end = (relative ? base : shift_) + *syscall_end_usecs;
  last_ = s.start;
  return s;
}

void Timeline::Happened(const Schedule& s, std::int64_t actual) {
  if (s.any || s.end != s.start) {
    // Re-anchor: later absolute times are shifted by how late this one really came.
    shift_ += actual - last_;
    last_ = actual;
  }
}

std::string Seconds(std::int64_t usecs) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%lld.%06lld", usecs < 0 ? "-" : "",
                static_cast<long long>(std::llabs(usecs) / 1000000),
                static_cast<long long>(std::llabs(usecs) % 1000000));
  return buf;
}

std::int64_t TimingExcess(const Schedule& s, std::int64_t actual) {
  if (s.any) return 0;
  if (actual < s.start - s.tolerance) return s.start - s.tolerance - actual;
  if (actual > s.end + s.tolerance) return actual - s.end - s.tolerance;
  return 0;
}

std::optional<std::string> CheckTiming(const Schedule& s, std::int64_t actual) {
  if (s.any) return std::nullopt;
  if (actual >= s.start - s.tolerance && actual <= s.end + s.tolerance) return std::nullopt;
  std::string expected = Seconds(s.start);
  if (s.end != s.start) expected += "~" + Seconds(s.end);
  return "timing error: expected: " + expected + " sec (tolerance " + Seconds(s.tolerance) +
         ") actual: " + Seconds(actual) + " sec";
}

}  // namespace mpdrill::run
