#include "vm/console_scan.h"

#include <cstdlib>

#include "vm/guest_script.h"

namespace mpdrill::vm {
namespace {

// Lines a report keeps after its first line (a WARN's register dump and call trace).
constexpr std::size_t kExcerptLines = 30;

constexpr std::string_view kRunBegin = "mpdrill: run-begin ";
constexpr std::string_view kRunEnd = "mpdrill: run-end ";

bool Contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

bool StartsWith(std::string_view s, std::string_view what) {
  return s.substr(0, what.size()) == what;
}

// "12 label" -> index 12 and "label".
bool ParseIndexed(std::string_view rest, long* index, std::string* text) {
  const auto space = rest.find(' ');
  const std::string number(rest.substr(0, space));
  char* end = nullptr;
  *index = std::strtol(number.c_str(), &end, 10);
  if (number.empty() || end == nullptr || *end != '\0') return false;
  *text = space == std::string_view::npos ? "" : std::string(rest.substr(space + 1));
  return true;
}

}  // namespace

const char* HealthVerdict(HealthKind kind) {
  switch (kind) {
    case HealthKind::kWarning: return "KERNEL-WARNING";
    case HealthKind::kBug: return "KERNEL-BUG";
    case HealthKind::kOops: return "KERNEL-OOPS";
    case HealthKind::kKasan: return "KERNEL-KASAN";
    case HealthKind::kUbsan: return "KERNEL-UBSAN";
    case HealthKind::kRcuStall: return "KERNEL-RCU-STALL";
    case HealthKind::kSoftLockup: return "KERNEL-SOFT-LOCKUP";
    case HealthKind::kHungTask: return "KERNEL-HUNG-TASK";
    case HealthKind::kKmemleak: return "KERNEL-KMEMLEAK";
    case HealthKind::kCallTrace: return "KERNEL-CALL-TRACE";
    case HealthKind::kPanic: return "KERNEL-PANIC";
  }
  return "KERNEL-?";
}

std::string_view StripTimestamp(std::string_view line) {
  if (line.empty() || line[0] != '[') return line;
  const auto close = line.find("] ");
  if (close == std::string_view::npos || close > 20) return line;
  for (char c : line.substr(1, close - 1)) {
    if (c != ' ' && c != '.' && (c < '0' || c > '9')) return line;
  }
  return line.substr(close + 2);
}

std::optional<HealthKind> ClassifyKernelLine(std::string_view line) {
  line = StripTimestamp(line);
  if (StartsWith(line, "Kernel panic - not syncing")) return HealthKind::kPanic;
  if (StartsWith(line, "BUG: KASAN:") || StartsWith(line, "BUG: KFENCE:")) return HealthKind::kKasan;
  if (StartsWith(line, "BUG: soft lockup") || Contains(line, "watchdog: BUG: soft lockup")) {
    return HealthKind::kSoftLockup;
  }
  if (StartsWith(line, "UBSAN:")) return HealthKind::kUbsan;
  if (StartsWith(line, "BUG:") || StartsWith(line, "kernel BUG at")) return HealthKind::kBug;
  if (StartsWith(line, "Oops:") || StartsWith(line, "general protection fault")) {
    return HealthKind::kOops;
  }
  if (StartsWith(line, "WARNING:")) return HealthKind::kWarning;
  if (StartsWith(line, "rcu: INFO:") && Contains(line, "stall")) return HealthKind::kRcuStall;
  if (StartsWith(line, "INFO: task ") && Contains(line, "blocked for more than")) {
    return HealthKind::kHungTask;
  }
  if (StartsWith(line, "kmemleak:") && Contains(line, "new suspected memory leaks")) {
    return HealthKind::kKmemleak;
  }
  if (StartsWith(line, "Call Trace:")) return HealthKind::kCallTrace;
  return std::nullopt;
}

void ConsoleScanner::Feed(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\n') {
      Line(std::move(partial_));
      partial_.clear();
    } else if (c != '\r') {
      if (partial_.size() < 4096) partial_ += c;
    }
  }
}

void ConsoleScanner::Finish() {
  if (!partial_.empty()) Line(std::move(partial_));
  partial_.clear();
}

void ConsoleScanner::Line(std::string line) {
  ++line_count_;
  tail_.push_back(line);
  if (tail_.size() > tail_limit_) tail_.pop_front();
  const std::string_view text = StripTimestamp(line);
  long index = 0;
  std::string rest;
  // A report's excerpt ends where the guest's own lines start.
  if (StartsWith(text, "mpdrill") || StartsWith(text, "reboot: ")) open_event_lines_ = 0;
  if (StartsWith(text, kGuestErrorPrefix)) {
    if (setup_error_.empty()) setup_error_ = std::string(text.substr(kGuestErrorPrefix.size()));
    return;
  }
  if (StartsWith(text, kRunBegin) && ParseIndexed(text.substr(kRunBegin.size()), &index, &rest)) {
    active_[index] = rest;
    last_run_ = rest;
    return;
  }
  if (StartsWith(text, kRunEnd) && ParseIndexed(text.substr(kRunEnd.size()), &index, &rest)) {
    active_.erase(index);
    return;
  }
  const std::optional<HealthKind> kind = ClassifyKernelLine(text);
  // A Call Trace inside a report already open belongs to it.
  if (kind && !(*kind == HealthKind::kCallTrace && open_event_lines_ > 0)) {
    HealthEvent e{*kind, std::string(text), {std::string(text)}, ActiveRuns(), line_count_};
    events_.push_back(std::move(e));
    open_event_lines_ = kExcerptLines;
    return;
  }
  if (open_event_lines_ > 0) {
    events_.back().excerpt.emplace_back(text);
    --open_event_lines_;
    if (StartsWith(text, "---[ end trace") || StartsWith(text, "---[ end Kernel panic")) {
      open_event_lines_ = 0;
    }
  }
}

const HealthEvent* ConsoleScanner::panic() const {
  for (const HealthEvent& e : events_) {
    if (e.kind == HealthKind::kPanic) return &e;
  }
  return nullptr;
}

std::vector<std::string> ConsoleScanner::ActiveRuns() const {
  std::vector<std::string> out;
  for (const auto& [index, label] : active_) out.push_back(label);
  return out;
}

}  // namespace mpdrill::vm
