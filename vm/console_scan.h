// Reads a guest's serial console as it grows: keeps its tail, finds a kernel panic and the
// guest's own set-up failures, and hands every line to engine/health's HealthLog, which
// classifies kernel reports (WARN, BUG, Oops, KASAN, UBSAN, RCU stall, soft lockup, hung task,
// kmemleak, Call Trace) and tracks the run markers `mpdrill run` writes to /dev/kmsg — so each
// report names the runs that were active when it came. Pure: bytes in, findings out.
#ifndef MPDRILL_VM_CONSOLE_SCAN_H_
#define MPDRILL_VM_CONSOLE_SCAN_H_

#include <cstddef>
#include <deque>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/health/health.h"

namespace mpdrill::vm {

// A kernel report on the console, with the labels ("script (variant)") of the runs active
// when its first line came.
struct ConsoleReport {
  std::string verdict;                    // KERNEL-WARNING, ..., KERNEL-PANIC
  std::vector<std::string> excerpt;       // first line first
  std::vector<std::string> active_runs;
  std::size_t line_number = 0;            // 1-based console line of the first line
};

class ConsoleScanner {
 public:
  explicit ConsoleScanner(std::size_t tail_lines = 40) : tail_limit_(tail_lines) {}

  void Feed(std::string_view bytes);
  // Feeds a last partial line, if any.
  void Finish();

  const std::deque<std::string>& tail() const { return tail_; }
  // Kernel reports other than the panic, in console order.
  std::vector<ConsoleReport> Reports() const;
  // The "Kernel panic - not syncing" report, if the kernel panicked.
  const std::optional<ConsoleReport>& panic() const { return panic_; }
  // The first "mpdrill-vm: error: " line's text, or "".
  const std::string& setup_error() const { return setup_error_; }

 private:
  void Line(std::string line);
  std::vector<std::string> Labels(const std::set<int>& runs) const;

  std::size_t tail_limit_;
  std::string partial_;
  std::deque<std::string> tail_;
  health::HealthLog log_;
  std::vector<std::size_t> event_lines_;  // console line of each log_ event
  std::map<int, std::string> labels_;     // run index -> "script (variant)"
  std::optional<ConsoleReport> panic_;
  std::string setup_error_;
  std::size_t line_count_ = 0;
};

}  // namespace mpdrill::vm

#endif  // MPDRILL_VM_CONSOLE_SCAN_H_
