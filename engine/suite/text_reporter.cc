// The text lines of `mpdrill run` (docs/run.md); ci/upstream.sh and users parse them, so a
// plain PASS/FAIL suite prints exactly what it always did: new lines appear only for the new
// cases (FLAKY, kernel health, retries, -j / tolerance scale other than the defaults).
#include <sstream>

#include "engine/suite/escape.h"
#include "engine/suite/reporters.h"

namespace mpdrill::suite {
namespace {
constexpr std::size_t kExcerptShown = 20;
}  // namespace

void TextReporter::Line(const std::string& text) { out_ << comment_ << text << "\n"; }

void TextReporter::Indented(const std::string& block, const std::string& indent) {
  std::istringstream lines(block);
  for (std::string line; std::getline(lines, line);) Line(indent + line);
}

void TextReporter::Begin(const SuiteInfo& info) { info_ = info; }

void TextReporter::Result(const RunResult& r) {
  const std::string label = r.script + " (" + r.variant + ")";
  if (r.variant.empty()) {  // did not parse: the diagnostics go to err
    Line("ERROR " + r.script + ": syntax error");
    err_ << r.report.details;
    return;
  }
  if (r.outcome == Outcome::kDry) {
    Line("DRY " + label + ": parsed, " + std::to_string(r.events) + " event(s)");
    return;
  }
  if (!r.ran) {
    // A plan-time configuration error: no time, the message names file:line.
    Line("ERROR " + label + ": " + r.report.first_error);
    return;
  }
  std::string head = VerdictWord(r) + " " + label + " " + Secs3(r.seconds) + "s";
  if (!r.report.first_error.empty()) {
    head += ": " + r.report.first_error;
  } else if (r.outcome == Outcome::kFlaky) {
    head += ": passed on try " + std::to_string(r.retries + 1) + "; try 1: " +
            r.first_attempt_error;
  }
  Line(head);
  if (r.outcome != Outcome::kFlaky && r.retries > 0) {
    Line("    retried " + std::to_string(r.retries) + " time(s) after a timing failure; try 1: " +
         r.first_attempt_error);
  }
  for (const health::HealthEvent& e : r.health) {
    std::size_t shown = 0;
    for (const std::string& l : e.excerpt) {
      if (shown++ == kExcerptShown) {
        Line("    kernel: ... (" + std::to_string(e.excerpt.size() - kExcerptShown) +
             " more line(s))");
        break;
      }
      Line("    kernel: " + l);
    }
  }
  Indented(r.report.notes, "    ");
  if (!r.report.details.empty() && (r.report.verdict != run::Verdict::kPass || r.verbose)) {
    Indented(r.report.details, "    ");
  }
  out_.flush();
}

void TextReporter::End(const SuiteSummary& s) {
  std::string line = prog_ + ": " + std::to_string(s.runs) + " run(s), " +
                     std::to_string(s.passed) + " passed, " + std::to_string(s.failed) +
                     " failed, " + std::to_string(s.script_errors) + " script error(s), " +
                     std::to_string(s.env_errors) + " environment error(s)";
  if (s.flaky) line += ", " + std::to_string(s.flaky) + " flaky";
  if (s.kernel) line += ", " + std::to_string(s.kernel) + " with kernel health events";
  if (s.interrupted) line += ", interrupted";
  Line(line);
  if (s.model_on) {
    Line(prog_ + ": model: " + std::to_string(s.model_kernel) + " kernel violation(s) in " +
         std::to_string(s.model_kernel_runs) + " run(s), " + std::to_string(s.model_deliberate) +
         " deliberate finding(s) in " + std::to_string(s.model_deliberate_runs) + " run(s)");
  }
  if (info_.jobs != 1 || info_.tolerance_scale != 1 || info_.tolerance_auto) {
    std::ostringstream scale;
    scale << info_.tolerance_scale;
    Line(prog_ + ": -j " + (info_.jobs_auto ? "auto (up to " + std::to_string(info_.jobs) + ")"
                                            : std::to_string(info_.jobs)) +
         ": at most " + std::to_string(s.max_concurrency) + " run(s) at once; tolerance scale " +
         scale.str() + (info_.tolerance_auto ? " (auto)" : "") +
         (info_.jobs_auto || info_.tolerance_auto
              ? "; wake-up latency p99 " + std::to_string(info_.wakeup_p99_usecs) +
                    " us at start, " + std::to_string(s.wakeup_p99_usecs_max) + " us at most"
              : ""));
  }
  for (const health::HealthEvent& e : s.unattributed) {
    Line(prog_ + ": " + std::string(health::VerdictName(e.kind)) + " outside any run:");
    std::size_t shown = 0;
    for (const std::string& l : e.excerpt) {
      if (shown++ == kExcerptShown) break;
      Line("    kernel: " + l);
    }
  }
  if (s.kmemleak == 0) {
    Line(prog_ + ": --kmemleak: no /sys/kernel/debug/kmemleak here (kernel without "
                 "CONFIG_DEBUG_KMEMLEAK, or debugfs not mounted): no scan");
  }
  out_.flush();
}

}  // namespace mpdrill::suite
