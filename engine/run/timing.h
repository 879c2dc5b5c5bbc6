// Event timing with packetdrill's semantics (run.c adjust_relative_event_times): time 0 is
// the start of the run, `+t` counts from the moment the runner reaches the event (after the
// previous one finished) -- except that an inbound packet right after an inbound packet counts
// from that packet's scheduled time, so injected bursts do not drift -- `t` is absolute, `*` any time, ranges `a~b`; an event is on time when it
// happens within max(--tolerance_usecs, --tolerance_percent x the script's delta since the
// previous event) of its script time. The clock is injected.
#ifndef MPDRILL_ENGINE_RUN_TIMING_H_
#define MPDRILL_ENGINE_RUN_TIMING_H_

#include <cstdint>
#include <optional>
#include <string>

#include "parser/ast.h"

namespace mpdrill::run {

// Monotonic microseconds. Injected so that tests and replays control time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t NowUsecs() = 0;
  virtual void SleepUntilUsecs(std::int64_t t) = 0;
  // The run's time 0. A test clock starts now.
  virtual std::int64_t StartUsecs() { return NowUsecs(); }
};

// CLOCK_MONOTONIC.
class MonotonicClock final : public Clock {
 public:
  // `warm_usecs`: how long StartUsecs() keeps the CPU busy first (below).
  explicit MonotonicClock(std::int64_t warm_usecs = 0) : warm_usecs_(warm_usecs) {}
  std::int64_t NowUsecs() override;
  // Asleep until kSpinUsecs before `t`, then on the CPU until `t` (packetdrill spins the last
  // 20 us): a timer's wake-up comes tens of microseconds late on a virtual machine.
  void SleepUntilUsecs(std::int64_t t) override;
  static constexpr std::int64_t kSpinUsecs = 100;
  // As packetdrill (run.c schedule_start_time_usecs): busy for `warm_usecs`, then 250 us
  // after the next kernel timer tick (CLOCK_MONOTONIC_COARSE moves on the tick), so that the
  // kernel's jiffy-granular timers fall at the script times they fall at under packetdrill:
  // a TCP Fast Open child ACKs a FIN on the next tick -- or, on a CPU just out of idle, often
  // the tick after, past the tolerance (docs/kernel-tcp.md, "Timer ticks").
  std::int64_t StartUsecs() override;

 private:
  std::int64_t warm_usecs_;
};

// When an event should happen, on the run's timeline (usecs since time 0).
struct Schedule {
  std::int64_t start = 0;      // expected time (range start)
  std::int64_t end = 0;        // range end (== start unless a range)
  bool any = false;            // `*`: no timing check
  std::int64_t tolerance = 0;  // allowed deviation on each side
  std::optional<std::int64_t> syscall_end;  // `...t` blocking syscall end
};

// Puts the calling thread under SCHED_FIFO at the lowest priority, reset on fork (its shell
// commands and threads get the normal policy): its wake-ups then preempt normal tasks -- other
// runs' shell commands, builds -- which a suite running several runs at once needs for
// injections on time. False when not permitted (no CAP_SYS_NICE): the thread stays as it was.
bool EnterRealtime();

class Timeline {
 public:
  Timeline(std::int64_t tolerance_usecs, double tolerance_percent)
      : tolerance_usecs_(tolerance_usecs), tolerance_percent_(tolerance_percent) {}

  // The schedule of the next event, reached at `now` (usecs on the run's timeline).
  // `syscall_end_usecs` is a Syscall's `...t` (relative events count it from the same base as
  // their start). `inbound_after_inbound`: this event and the previous one are inbound
  // packets (then `+t` counts from the previous one's scheduled time, not from `now`).
  Schedule Next(const parser::EventTime& time, std::optional<std::int64_t> syscall_end_usecs,
                std::int64_t now, bool inbound_after_inbound = false);
  // Tells the timeline when the event Next() scheduled really happened: after `*` and ranges,
  // later relative times count from there (packetdrill re-anchors them the same way).
  void Happened(const Schedule& s, std::int64_t actual);

  std::int64_t Tolerance(std::int64_t delta) const;

 private:
  std::int64_t tolerance_usecs_;
  double tolerance_percent_;
  std::int64_t last_ = 0;   // scheduled time of the previous event (run timeline)
  std::int64_t shift_ = 0;  // absolute times: actual - script after a re-anchoring event
};

// Nullopt if `actual` lies in [start - tol, end + tol]; else the packetdrill-style sentence
// "expected: 0.100 sec (tolerance 0.004) actual: 0.250 sec".
std::optional<std::string> CheckTiming(const Schedule& s, std::int64_t actual);

// How far `actual` lies outside [start - tol, end + tol] in usecs (0 inside or for `*`).
std::int64_t TimingExcess(const Schedule& s, std::int64_t actual);

// 0.1 -> "0.100000": seconds with six decimals, as diagnostics print them.
std::string Seconds(std::int64_t usecs);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_TIMING_H_
