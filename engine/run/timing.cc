#include "engine/run/timing.h"

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
  timespec ts{};
  ts.tv_sec = t / 1000000;
  ts.tv_nsec = (t % 1000000) * 1000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

std::int64_t Timeline::Tolerance(std::int64_t delta) const {
  const double pct = tolerance_percent_ / 100.0 * static_cast<double>(delta < 0 ? -delta : delta);
  return std::max<std::int64_t>(tolerance_usecs_, static_cast<std::int64_t>(std::llround(pct)));
}

Schedule Timeline::Next(const parser::EventTime& time,
                        std::optional<std::int64_t> syscall_end_usecs) {
  Schedule s;
  std::int64_t script = last_script_;
  switch (time.kind) {
    case parser::TimeKind::kAbsolute:
      script = time.usecs;
      s.start = s.end = script + shift_;
      break;
    case parser::TimeKind::kRelative:
      script = last_script_ + time.usecs;
      s.start = s.end = script + shift_;
      break;
    case parser::TimeKind::kAny:
      s.any = true;
      s.start = s.end = last_script_ + shift_;
      break;
    case parser::TimeKind::kAbsoluteRange:
      script = time.usecs;
      s.start = time.usecs + shift_;
      s.end = time.end_usecs + shift_;
      break;
    case parser::TimeKind::kRelativeRange:
      script = last_script_ + time.usecs;
      s.start = script + shift_;
      s.end = last_script_ + time.end_usecs + shift_;
      break;
  }
  s.tolerance = Tolerance(script - last_script_);
  if (syscall_end_usecs) {
    const bool relative = time.kind == parser::TimeKind::kRelative ||
                          time.kind == parser::TimeKind::kRelativeRange;
    s.syscall_end = (relative ? last_script_ : 0) + *syscall_end_usecs + shift_;
    script = *s.syscall_end - shift_;
  }
  last_script_ = script;
  return s;
}

void Timeline::Happened(const Schedule& s, std::int64_t actual) {
  if (s.any || s.end != s.start) {
    // Re-anchor: later relative events count from when this one really happened.
    shift_ = actual - last_script_;
  }
}

std::string Seconds(std::int64_t usecs) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%lld.%06lld", usecs < 0 ? "-" : "",
                static_cast<long long>(std::llabs(usecs) / 1000000),
                static_cast<long long>(std::llabs(usecs) % 1000000));
  return buf;
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
