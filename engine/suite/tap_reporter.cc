// TAP 13 (https://testanything.org/tap-version-13-specification.html) and KTAP v1 (the
// kernel's Documentation/dev-tools/ktap.rst) test lines, one per run.
#include <sstream>

#include "engine/suite/escape.h"
#include "engine/suite/reporters.h"

namespace mpdrill::suite {
namespace {

// A description safe after "ok N ": no '#' (it starts a directive), no line breaks.
std::string Description(const RunResult& r) {
  std::string d = r.variant.empty() ? r.script : r.script + " (" + r.variant + ")";
  for (char& c : d) {
    if (c == '#' || c == '\n' || c == '\r') c = '_';
  }
  return d;
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '#') c = ' ';
  }
  return s;
}

std::string SkipReason(const RunResult& r) {
  if (r.outcome == Outcome::kDry) return "dry run (parsed only)";
  return "environment: " + OneLine(r.report.first_error);
}

}  // namespace

void TapReporter::Begin(const SuiteInfo& info) {
  planned_ = info.planned;
  if (flavor_ == Flavor::kTap13) {
    out_ << "TAP version 13\n";
  } else {
    out_ << "KTAP version 1\n1.." << planned_ << "\n";
  }
  out_.flush();
}

void TapReporter::Result(const RunResult& r) {
  ++n_;
  const bool ok = IsSuccess(r) || IsSkip(r);
  ++(IsSkip(r) ? skip_ : ok ? pass_ : fail_);
  out_ << (ok ? "ok " : "not ok ") << n_ << (flavor_ == Flavor::kTap13 ? " - " : " ")
       << Description(r);
  if (IsSkip(r)) out_ << " # SKIP " << SkipReason(r);
  out_ << "\n";
  if (flavor_ == Flavor::kTap13 && (!ok || r.outcome == Outcome::kFlaky || r.retries > 0)) {
    // A YAML block (TAP 13 diagnostics): double-quoted scalars take JSON's escapes.
    const ErrorParts parts = SplitError(r.report.first_error);
    out_ << "  ---\n";
    out_ << "  verdict: " << JsonString(VerdictWord(r)) << "\n";
    out_ << "  class: " << run::FailureClassName(r.report.failure_class) << "\n";
    out_ << "  message: " << JsonString(r.report.first_error) << "\n";
    out_ << "  file: " << JsonString(r.script) << "\n";
    if (r.report.line > 0) out_ << "  line: " << r.report.line << "\n";
    if (!parts.field.empty()) out_ << "  field: " << JsonString(parts.field) << "\n";
    if (parts.expected) out_ << "  expected: " << JsonString(*parts.expected) << "\n";
    if (parts.actual) out_ << "  actual: " << JsonString(*parts.actual) << "\n";
    out_ << "  seconds: " << Secs3(r.seconds) << "\n";
    out_ << "  retries: " << r.retries << "\n";
    if (r.retries > 0) out_ << "  first_try: " << JsonString(r.first_attempt_error) << "\n";
    if (!r.health.empty()) {
      out_ << "  kernel:\n";
      for (const health::HealthEvent& e : r.health) {
        out_ << "    - verdict: " << JsonString(health::VerdictName(e.kind)) << "\n";
        // One scalar: TAP::Parser's YAMLish misreads quoted list items holding ": ".
        std::string excerpt;
        for (const std::string& l : e.excerpt) excerpt += (excerpt.empty() ? "" : "\n") + l;
        out_ << "      excerpt: " << JsonString(excerpt) << "\n";
      }
    }
    out_ << "  ...\n";
  }
  if (flavor_ == Flavor::kKtap1 && !r.health.empty()) {
    for (const health::HealthEvent& e : r.health) {
      out_ << "# " << health::VerdictName(e.kind) << ": "
           << OneLine(e.excerpt.empty() ? "" : e.excerpt.front()) << "\n";
    }
  }
  out_.flush();
}

void TapReporter::End(const SuiteSummary& s) {
  for (const health::HealthEvent& e : s.unattributed) {
    out_ << "# " << health::VerdictName(e.kind)
         << " outside any run: " << OneLine(e.excerpt.empty() ? "" : e.excerpt.front()) << "\n";
  }
  if (flavor_ == Flavor::kTap13) {
    out_ << "1.." << n_ << "\n";
  } else {
    // The plan promised `planned_` lines: what an interruption left out is skipped.
    for (int i = n_ + 1; i <= planned_; ++i) out_ << "ok " << i << " not run # SKIP interrupted\n";
    skip_ += planned_ - n_;
    // kselftest's closing line.
    out_ << "# Totals: pass:" << pass_ << " fail:" << fail_ << " xfail:0 xpass:0 skip:" << skip_
         << " error:0\n";
  }
  out_.flush();
}

}  // namespace mpdrill::suite
