#include "vm/console_scan.h"

#include "vm/guest_script.h"

namespace mpdrill::vm {
namespace {

constexpr std::string_view kPanic = "Kernel panic - not syncing";
constexpr std::size_t kMaxLine = 4096;

}  // namespace

void ConsoleScanner::Feed(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\n') {
      Line(std::move(partial_));
      partial_.clear();
    } else if (c != '\r') {
      if (partial_.size() < kMaxLine) partial_ += c;
    }
  }
}

void ConsoleScanner::Finish() {
  if (!partial_.empty()) Line(std::move(partial_));
  partial_.clear();
}

std::vector<std::string> ConsoleScanner::Labels(const std::set<int>& runs) const {
  std::vector<std::string> out;
  for (int index : runs) {
    const auto it = labels_.find(index);
    out.push_back(it != labels_.end() ? it->second : "run " + std::to_string(index));
  }
  return out;
}

void ConsoleScanner::Line(std::string line) {
  ++line_count_;
  tail_.push_back(line);
  if (tail_.size() > tail_limit_) tail_.pop_front();
  const health::LogLine parsed = health::ParseLogLine(line);
  const std::string_view text = parsed.text;
  if (text.substr(0, kGuestErrorPrefix.size()) == kGuestErrorPrefix) {
    if (setup_error_.empty()) setup_error_ = std::string(text.substr(kGuestErrorPrefix.size()));
    return;
  }
  if (auto marker = health::ParseRunMarker(text); marker && marker->begin) {
    labels_[marker->index] = marker->script + " (" + marker->variant + ")";
  }
  if (!panic_ && text.substr(0, kPanic.size()) == kPanic) {
    panic_ = ConsoleReport{"KERNEL-PANIC", {std::string(text)}, Labels(log_.active_runs()),
                           line_count_};
    return;
  }
  if (log_.Feed(line)) event_lines_.push_back(line_count_);
}

std::vector<ConsoleReport> ConsoleScanner::Reports() const {
  std::vector<ConsoleReport> out;
  const auto& events = log_.events();
  for (std::size_t i = 0; i < events.size(); ++i) {
    out.push_back(ConsoleReport{std::string(health::VerdictName(events[i].kind)),
                                events[i].excerpt, Labels(events[i].active_runs),
                                i < event_lines_.size() ? event_lines_[i] : 0});
  }
  return out;
}

}  // namespace mpdrill::vm
