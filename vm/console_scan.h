// Reads a guest's serial console as it grows: keeps its tail, finds a kernel panic, the
// guest's own set-up failures, kernel health reports (WARN, BUG, Oops, KASAN, UBSAN, RCU
// stall, soft lockup, hung task, kmemleak, Call Trace) and the run markers `mpdrill run`
// writes to /dev/kmsg, so that each report names the runs that were active when it came.
// Pure: bytes in, findings out.
#ifndef MPDRILL_VM_CONSOLE_SCAN_H_
#define MPDRILL_VM_CONSOLE_SCAN_H_

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpdrill::vm {

enum class HealthKind {
  kWarning, kBug, kOops, kKasan, kUbsan, kRcuStall, kSoftLockup, kHungTask, kKmemleak,
  kCallTrace, kPanic,
};

// The verdict a health report gives the run it is attributed to: KERNEL-WARNING, ...
const char* HealthVerdict(HealthKind kind);

// Classifies one console line (its "[   12.345678] " timestamp, if any, removed).
std::optional<HealthKind> ClassifyKernelLine(std::string_view line);

struct HealthEvent {
  HealthKind kind;
  std::string first_line;
  std::vector<std::string> excerpt;       // the report's lines (first line included)
  std::vector<std::string> active_runs;   // labels of the runs begun and not ended
  std::size_t line_number = 0;            // 1-based console line
};

class ConsoleScanner {
 public:
  explicit ConsoleScanner(std::size_t tail_lines = 40) : tail_limit_(tail_lines) {}

  void Feed(std::string_view bytes);
  // Feeds a last partial line, if any.
  void Finish();

  const std::deque<std::string>& tail() const { return tail_; }
  const std::vector<HealthEvent>& events() const { return events_; }
  const HealthEvent* panic() const;
  // The first "mpdrill-vm: error: " line's text, or "".
  const std::string& setup_error() const { return setup_error_; }
  // Runs begun and not ended, in order of their index.
  std::vector<std::string> ActiveRuns() const;
  // The label of the last run that began (ended or not), or "".
  const std::string& last_run() const { return last_run_; }
  std::size_t lines() const { return line_count_; }

 private:
  void Line(std::string line);
  std::size_t tail_limit_;
  std::string partial_;
  std::deque<std::string> tail_;
  std::vector<HealthEvent> events_;
  std::size_t open_event_lines_ = 0;  // lines still to add to events_.back()
  std::map<long, std::string> active_;
  std::string last_run_;
  std::string setup_error_;
  std::size_t line_count_ = 0;
};

// Removes a printk timestamp "[    1.234567] " from the start of a console line.
std::string_view StripTimestamp(std::string_view line);

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_CONSOLE_SCAN_H_
