// Kernel health from a kernel log: classifies log lines (from /dev/kmsg, dmesg or a VM's serial
// console) into events -- WARN, BUG, Oops, KASAN, UBSAN, RCU stall, soft lockup, hung task,
// Call Trace, kmemleak -- each with the log excerpt that belongs to it, and parses the run
// markers `mpdrill run` writes into the kernel log, so that a log alone tells which runs were
// active when an event appeared. Pure: no I/O, no clock; callers feed lines.
#ifndef MPDRILL_ENGINE_HEALTH_HEALTH_H_
#define MPDRILL_ENGINE_HEALTH_HEALTH_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mpdrill::health {

enum class HealthKind : std::uint8_t {
  kWarning,     // "WARNING: CPU: 0 PID: 1 at ..." (WARN_ON)
  kBug,         // "BUG: ..." (not a KASAN/soft lockup/... BUG line: those have their own kind)
  kOops,        // "Oops: ..." / "Internal error: Oops" / "Kernel panic"
  kKasan,       // "BUG: KASAN: ..."
  kUbsan,       // "UBSAN: ..."
  kRcuStall,    // "rcu: INFO: rcu_sched self-detected stall", "... detected stalls on CPUs"
  kSoftLockup,  // "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"
  kHungTask,    // "INFO: task foo:123 blocked for more than 120 seconds."
  kCallTrace,   // "Call Trace:" outside any of the above
  kKmemleak,    // "kmemleak: N new suspected memory leaks"
};

// "KERNEL-WARNING", "KERNEL-BUG", "KERNEL-OOPS", "KERNEL-KASAN", "KERNEL-UBSAN",
// "KERNEL-RCU-STALL", "KERNEL-SOFT-LOCKUP", "KERNEL-HUNG-TASK", "KERNEL-CALL-TRACE",
// "KERNEL-KMEMLEAK": the verdict a run gets when the event appeared while it was active.
std::string_view VerdictName(HealthKind kind);
// "warning", "bug", "oops", "kasan", "ubsan", "rcu-stall", "soft-lockup", "hung-task",
// "call-trace", "kmemleak" (JSON).
std::string_view KindName(HealthKind kind);
// Which of two events decides a run's verdict: the more severe (Oops > KASAN > BUG > ...).
int Severity(HealthKind kind);

// One kernel log line with its framing removed. Accepted framings:
//   /dev/kmsg records   "4,1234,5678901,-;text" (prio (facility*8+level), seq, usec, flags)
//   console / dmesg     "[   12.345678] text", optionally after "<4>" (a syslog prefix)
//   plain               "text"
struct LogLine {
  std::string text;                   // the message, framing removed
  int level = -1;                     // 0..7 when the framing gave it
  std::optional<std::uint64_t> seq;   // /dev/kmsg sequence number
  std::optional<std::int64_t> usecs;  // time stamp (kmsg usec, console seconds * 1e6)
  bool continuation = false;          // a /dev/kmsg continuation line (" KEY=value")
};
LogLine ParseLogLine(std::string_view raw);

struct HealthEvent {
  HealthKind kind = HealthKind::kWarning;
  std::vector<std::string> excerpt;  // the triggering line and the lines that belong to it
  std::optional<std::int64_t> usecs;
  // Runs (1-based plan indexes) whose run-begin marker was seen and run-end not yet, when the
  // event's first line appeared. Empty when the log carried no markers.
  std::set<int> active_runs;
  // The task the report names ("WARNING: CPU: 0 PID: N at ...", an Oops's "CPU: 0 PID: N
  // Comm: ..." line): a host PID, which a suite maps to the run whose PID namespace holds it.
  std::optional<int> pid;
};
// N of the first "PID: N" in `text`.
std::optional<int> ParseReportPid(std::string_view text);

// The run markers (docs/run.md "Suites in CI"):
//   mpdrill: run-begin <N> <script> (<variant>)
//   mpdrill: run-end <N> <VERDICT>
struct RunMarker {
  bool begin = true;
  int index = 0;        // N: the run's 1-based index in the plan
  std::string script;   // begin only
  std::string variant;  // begin only
  std::string verdict;  // end only
};
std::optional<RunMarker> ParseRunMarker(std::string_view text);
// The marker's message text (without a syslog level prefix).
std::string FormatRunBegin(int index, std::string_view script, std::string_view variant);
std::string FormatRunEnd(int index, std::string_view verdict);

// Feeds log lines in order; classifies them and tracks the active runs from the markers.
// An event's excerpt grows with the lines that follow its trigger until an end-of-trace line
// ("---[ end trace"), a new trigger, a run marker, or kMaxExcerpt lines.
class HealthLog {
 public:
  static constexpr std::size_t kMaxExcerpt = 40;

  // Returns true when the line started a new event (events().back()).
  bool Feed(std::string_view raw_line);
  const std::vector<HealthEvent>& events() const { return events_; }
  const std::set<int>& active_runs() const { return active_; }

 private:
  std::vector<HealthEvent> events_;
  std::set<int> active_;
  bool open_ = false;  // events_.back() still takes lines
};

}  // namespace mpdrill::health

#endif  // MPDRILL_ENGINE_HEALTH_HEALTH_H_
