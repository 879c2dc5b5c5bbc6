#include "engine/health/health.h"

#include <cctype>

namespace mpdrill::health {
namespace {

constexpr std::string_view kMarkerPrefix = "mpdrill: ";

bool Has(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }
bool Starts(std::string_view s, std::string_view what) { return s.substr(0, what.size()) == what; }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Digits at the start of *s, consumed; nullopt if none (or too many for 64 bits).
std::optional<std::uint64_t> TakeNumber(std::string_view* s) {
  std::uint64_t n = 0;
  std::size_t i = 0;
  for (; i < s->size() && i < 19 && std::isdigit(static_cast<unsigned char>((*s)[i])); ++i) {
    n = n * 10 + static_cast<std::uint64_t>((*s)[i] - '0');
  }
  if (i == 0) return std::nullopt;
  s->remove_prefix(i);
  return n;
}

// "<4>" at the start: the level.
void TakeSyslogLevel(std::string_view* s, LogLine* out) {
  if (s->size() >= 3 && (*s)[0] == '<') {
    std::string_view rest = s->substr(1);
    if (auto n = TakeNumber(&rest); n && !rest.empty() && rest[0] == '>') {
      out->level = static_cast<int>(*n % 8);
      *s = rest.substr(1);
    }
  }
}

// "[   12.345678] " at the start: the console time stamp.
void TakeConsoleStamp(std::string_view* s, LogLine* out) {
  if (s->empty() || (*s)[0] != '[') return;
  const std::size_t close = s->find(']');
  if (close == std::string_view::npos || close > 24) return;
  std::string_view inner = TrimLeft(s->substr(1, close - 1));
  auto secs = TakeNumber(&inner);
  if (!secs || inner.empty() || inner[0] != '.') return;
  inner.remove_prefix(1);
  const std::size_t digits = inner.size();
  auto frac = TakeNumber(&inner);
  if (!frac || !inner.empty() || digits > 9) return;
  std::int64_t usecs = static_cast<std::int64_t>(*secs) * 1000000;
  std::int64_t f = static_cast<std::int64_t>(*frac);
  for (std::size_t i = digits; i < 6; ++i) f *= 10;
  for (std::size_t i = 6; i < digits; ++i) f /= 10;
  out->usecs = usecs + f;
  *s = s->substr(close + 1);
  if (!s->empty() && s->front() == ' ') s->remove_prefix(1);  // the separator, not indentation
}

// "prio,seq,usec,flags[,...];text": a /dev/kmsg record.
bool TakeKmsgHeader(std::string_view* s, LogLine* out) {
  const std::size_t semi = s->find(';');
  if (semi == std::string_view::npos) return false;
  std::string_view head = s->substr(0, semi);
  auto prio = TakeNumber(&head);
  if (!prio || head.empty() || head[0] != ',') return false;
  head.remove_prefix(1);
  auto seq = TakeNumber(&head);
  if (!seq || head.empty() || head[0] != ',') return false;
  head.remove_prefix(1);
  auto usec = TakeNumber(&head);
  if (!usec || head.empty() || head[0] != ',') return false;
  out->level = static_cast<int>(*prio % 8);
  out->seq = *seq;
  out->usecs = static_cast<std::int64_t>(*usec);
  *s = s->substr(semi + 1);
  return true;
}

std::optional<HealthKind> Classify(std::string_view t) {
  if (Has(t, "BUG: KASAN:")) return HealthKind::kKasan;
  if (Starts(t, "UBSAN:") || Has(t, "UBSAN: ")) return HealthKind::kUbsan;
  if (Has(t, "BUG: soft lockup")) return HealthKind::kSoftLockup;
  if ((Starts(t, "rcu: INFO:") || Starts(t, "INFO: rcu")) && Has(t, "stall")) {
    return HealthKind::kRcuStall;
  }
  if (Starts(t, "INFO: task ") && Has(t, "blocked for more than")) return HealthKind::kHungTask;
  if (Starts(t, "kmemleak:") && Has(t, "suspected memory leak")) return HealthKind::kKmemleak;
  if (Starts(t, "unreferenced object 0x")) return HealthKind::kKmemleak;
  if (Starts(t, "Oops") || Has(t, "Internal error: Oops") || Starts(t, "Kernel panic")) {
    return HealthKind::kOops;
  }
  if (Starts(t, "WARNING: ")) return HealthKind::kWarning;
  if (Starts(t, "BUG: ") || Starts(t, "kernel BUG at")) return HealthKind::kBug;
  if (Starts(t, "Call Trace:")) return HealthKind::kCallTrace;
  return std::nullopt;
}

}  // namespace

std::string_view VerdictName(HealthKind kind) {
  switch (kind) {
    case HealthKind::kWarning: return "KERNEL-WARNING";
    case HealthKind::kBug: return "KERNEL-BUG";
    case HealthKind::kOops: return "KERNEL-OOPS";
    case HealthKind::kKasan: return "KERNEL-KASAN";
    case HealthKind::kUbsan: return "KERNEL-UBSAN";
    case HealthKind::kRcuStall: return "KERNEL-RCU-STALL";
    case HealthKind::kSoftLockup: return "KERNEL-SOFT-LOCKUP";
    case HealthKind::kHungTask: return "KERNEL-HUNG-TASK";
    case HealthKind::kCallTrace: return "KERNEL-CALL-TRACE";
    case HealthKind::kKmemleak: return "KERNEL-KMEMLEAK";
  }
  return "KERNEL-?";
}

std::string_view KindName(HealthKind kind) {
  switch (kind) {
    case HealthKind::kWarning: return "warning";
    case HealthKind::kBug: return "bug";
    case HealthKind::kOops: return "oops";
    case HealthKind::kKasan: return "kasan";
    case HealthKind::kUbsan: return "ubsan";
    case HealthKind::kRcuStall: return "rcu-stall";
    case HealthKind::kSoftLockup: return "soft-lockup";
    case HealthKind::kHungTask: return "hung-task";
    case HealthKind::kCallTrace: return "call-trace";
    case HealthKind::kKmemleak: return "kmemleak";
  }
  return "?";
}

int Severity(HealthKind kind) {
  switch (kind) {
    case HealthKind::kOops: return 9;
    case HealthKind::kKasan: return 8;
    case HealthKind::kBug: return 7;
    case HealthKind::kUbsan: return 6;
    case HealthKind::kSoftLockup: return 5;
    case HealthKind::kRcuStall: return 4;
    case HealthKind::kHungTask: return 3;
    case HealthKind::kWarning: return 2;
    case HealthKind::kKmemleak: return 1;
    case HealthKind::kCallTrace: return 0;
  }
  return 0;
}

LogLine ParseLogLine(std::string_view raw) {
  LogLine out;
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
  if (!raw.empty() && raw.front() == ' ' && raw.find('=') != std::string_view::npos &&
      raw.find(';') == std::string_view::npos) {
    out.continuation = true;  // a /dev/kmsg dictionary line (" SUBSYSTEM=net")
    out.text = std::string(TrimLeft(raw));
    return out;
  }
  if (!TakeKmsgHeader(&raw, &out)) {
    TakeSyslogLevel(&raw, &out);
    TakeConsoleStamp(&raw, &out);
  }
  out.text = std::string(raw);
  return out;
}

std::optional<RunMarker> ParseRunMarker(std::string_view text) {
  text = TrimLeft(text);
  if (!Starts(text, kMarkerPrefix)) return std::nullopt;
  text.remove_prefix(kMarkerPrefix.size());
  RunMarker m;
  if (Starts(text, "run-begin ")) {
    text.remove_prefix(10);
  } else if (Starts(text, "run-end ")) {
    m.begin = false;
    text.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  auto n = TakeNumber(&text);
  if (!n || *n == 0 || *n > 100000000 || text.empty() || text[0] != ' ') return std::nullopt;
  m.index = static_cast<int>(*n);
  text.remove_prefix(1);
  if (m.begin) {
    // "<script> (<variant>)": the script may contain spaces; the variant is the last group.
    const std::size_t open = text.rfind(" (");
    if (open == std::string_view::npos || text.empty() || text.back() != ')') return std::nullopt;
    m.script = std::string(text.substr(0, open));
    m.variant = std::string(text.substr(open + 2, text.size() - open - 3));
    if (m.script.empty() || m.variant.empty()) return std::nullopt;
  } else {
    if (text.empty() || text.find(' ') != std::string_view::npos) return std::nullopt;
    m.verdict = std::string(text);
  }
  return m;
}

std::string FormatRunBegin(int index, std::string_view script, std::string_view variant) {
  return std::string(kMarkerPrefix) + "run-begin " + std::to_string(index) + " " +
         std::string(script) + " (" + std::string(variant) + ")";
}

std::string FormatRunEnd(int index, std::string_view verdict) {
  return std::string(kMarkerPrefix) + "run-end " + std::to_string(index) + " " +
         std::string(verdict);
}

std::optional<int> ParseReportPid(std::string_view text) {
  const std::size_t at = text.find("PID: ");
  if (at == std::string_view::npos) return std::nullopt;
  int pid = 0;
  std::size_t i = at + 5;
  for (; i < text.size() && i < at + 15 && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    pid = pid * 10 + (text[i] - '0');
  }
  if (i == at + 5 || i == at + 15) return std::nullopt;  // no digits, or too many for a PID
  return pid;
}

bool HealthLog::Feed(std::string_view raw_line) {
  const LogLine line = ParseLogLine(raw_line);
  if (line.continuation) return false;
  if (auto m = ParseRunMarker(line.text)) {
    open_ = false;
    if (m->begin) {
      active_.insert(m->index);
    } else {
      active_.erase(m->index);
    }
    return false;
  }
  const std::string_view text = TrimLeft(line.text);
  const auto kind = Classify(text);
  // A Call Trace (or a second BUG line) inside an open report belongs to it.
  if (kind && !(open_ && (*kind == HealthKind::kCallTrace))) {
    HealthEvent ev;
    ev.kind = *kind;
    ev.excerpt.push_back(line.text);
    ev.usecs = line.usecs;
    ev.active_runs = active_;
    ev.pid = ParseReportPid(line.text);
    events_.push_back(std::move(ev));
    open_ = true;
    return true;
  }
  if (open_) {
    HealthEvent& ev = events_.back();
    ev.excerpt.push_back(line.text);
    if (!ev.pid) ev.pid = ParseReportPid(line.text);
    if (Has(text, "---[ end trace") || ev.excerpt.size() >= kMaxExcerpt) open_ = false;
  }
  return false;
}

}  // namespace mpdrill::health
