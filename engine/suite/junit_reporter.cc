// JUnit XML as Jenkins, GitLab and GitHub test-report tools read it; tests/junit.xsd is the
// schema the tests validate it against.
#include <filesystem>
#include <map>
#include <sstream>

#include "engine/suite/escape.h"
#include "engine/suite/reporters.h"

namespace mpdrill::suite {
namespace {

std::string Directory(const std::string& script) {
  const std::string dir = std::filesystem::path(script).parent_path().string();
  return dir.empty() ? "." : dir;
}

// Everything a reader needs to understand the run without the text log.
std::string Diagnostic(const RunResult& r) {
  std::ostringstream o;
  o << VerdictWord(r) << " " << r.script;
  if (!r.variant.empty()) o << " (" << r.variant << ")";
  o << " " << Secs3(r.seconds) << "s";
  if (!r.report.first_error.empty()) o << ": " << r.report.first_error;
  o << "\n";
  if (r.report.failure_class != run::FailureClass::kNone) {
    o << "failure class: " << run::FailureClassName(r.report.failure_class);
    if (r.report.failure_class == run::FailureClass::kTiming) {
      o << " (" << r.report.timing_excess_usecs << " us outside the tolerance)";
    }
    o << "\n";
  }
  if (r.retries > 0) {
    o << "retries: " << r.retries << "; try 1: " << r.first_attempt_error << "\n";
  }
  o << "tolerance scale: " << r.tolerance_scale << "\n";
  for (const health::HealthEvent& e : r.health) {
    o << health::VerdictName(e.kind) << ":\n";
    for (const std::string& l : e.excerpt) o << "  " << l << "\n";
  }
  o << r.report.notes << r.report.details;
  return o.str();
}

struct Counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
};

void Add(const RunResult& r, Counts* c) {
  ++c->tests;
  c->time += r.seconds;
  if (IsSkip(r)) {
    ++c->skipped;
  } else if (r.outcome == Outcome::kScriptError) {
    ++c->errors;
  } else if (!IsSuccess(r)) {
    ++c->failures;
  }
}

std::string CountAttrs(const Counts& c) {
  return "tests=\"" + std::to_string(c.tests) + "\" failures=\"" + std::to_string(c.failures) +
         "\" errors=\"" + std::to_string(c.errors) + "\" skipped=\"" +
         std::to_string(c.skipped) + "\" time=\"" + Secs3(c.time) + "\"";
}

void TestCase(std::ostream& o, const RunResult& r) {
  const std::string dir = Directory(r.script);
  const std::string name = std::filesystem::path(r.script).filename().string() +
                           (r.variant.empty() ? "" : " (" + r.variant + ")");
  o << "    <testcase name=\"" << XmlEscape(name, true) << "\" classname=\""
    << XmlEscape(dir, true) << "\" time=\"" << Secs3(r.seconds) << "\" status=\""
    << XmlEscape(VerdictWord(r), true) << "\">\n";
  const std::string message =
      !r.health.empty() && !WorstHealth(r).excerpt.empty()
          ? std::string(health::VerdictName(WorstHealth(r).kind)) + ": " +
                WorstHealth(r).excerpt.front()
          : r.report.first_error;
  if (IsSkip(r)) {
    o << "      <skipped message=\""
      << XmlEscape(r.outcome == Outcome::kDry ? "dry run (parsed only)" : r.report.first_error,
                   true)
      << "\"/>\n";
  } else if (r.outcome == Outcome::kScriptError) {
    o << "      <error message=\"" << XmlEscape(message, true) << "\" type=\"ERROR\"/>\n";
  } else if (!IsSuccess(r)) {
    o << "      <failure message=\"" << XmlEscape(message, true) << "\" type=\""
      << XmlEscape(VerdictWord(r) + (r.report.failure_class == run::FailureClass::kNone
                                        ? ""
                                        : "/" + std::string(run::FailureClassName(
                                                    r.report.failure_class))),
                   true)
      << "\"/>\n";
  }
  o << "      <system-out>" << XmlEscape(Diagnostic(r)) << "</system-out>\n";
  o << "    </testcase>\n";
}

}  // namespace

void JunitReporter::End(const SuiteSummary& s) {
  // Directories in order of first appearance.
  std::vector<std::string> dirs;
  std::map<std::string, std::vector<const RunResult*>> by_dir;
  Counts all;
  for (const RunResult& r : results_) {
    const std::string d = Directory(r.script);
    if (!by_dir.count(d)) dirs.push_back(d);
    by_dir[d].push_back(&r);
    Add(r, &all);
  }
  std::ostringstream scale;
  scale << info_.tolerance_scale;
  out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out_ << "<testsuites name=\"mpdrill run\" " << CountAttrs(all) << ">\n";
  for (const std::string& d : dirs) {
    Counts c;
    for (const RunResult* r : by_dir[d]) Add(*r, &c);
    out_ << "  <testsuite name=\"" << XmlEscape(d, true) << "\" " << CountAttrs(c) << ">\n";
    out_ << "    <properties>\n"
         << "      <property name=\"tolerance_scale\" value=\"" << scale.str() << "\"/>\n"
         << "      <property name=\"jobs\" value=\""
         << (info_.jobs_auto ? "auto" : std::to_string(info_.jobs)) << "\"/>\n"
         << "      <property name=\"kernel_health\" value=\"" << (info_.health ? "on" : "off")
         << "\"/>\n"
         << "    </properties>\n";
    for (const RunResult* r : by_dir[d]) TestCase(out_, *r);
    out_ << "  </testsuite>\n";
  }
  if (!s.unattributed.empty()) {
    // Kernel events outside any run still fail the suite: one test case says so.
    out_ << "  <testsuite name=\"kernel\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\" "
            "time=\"0.000\">\n    <testcase name=\"kernel health outside any run\" "
            "classname=\"kernel\" time=\"0.000\" status=\""
         << health::VerdictName(s.unattributed.front().kind) << "\">\n      <failure message=\""
         << XmlEscape(s.unattributed.front().excerpt.empty() ? ""
                                                             : s.unattributed.front().excerpt.front(),
                      true)
         << "\" type=\"" << health::VerdictName(s.unattributed.front().kind)
         << "\"/>\n      <system-out>";
    for (const health::HealthEvent& e : s.unattributed) {
      out_ << XmlEscape(std::string(health::VerdictName(e.kind)) + ":\n");
      for (const std::string& l : e.excerpt) out_ << XmlEscape("  " + l + "\n");
    }
    out_ << "</system-out>\n    </testcase>\n  </testsuite>\n";
  }
  out_ << "</testsuites>\n";
  out_.flush();
}

}  // namespace mpdrill::suite
