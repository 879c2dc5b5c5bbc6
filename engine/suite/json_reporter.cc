// JSON Lines records of a suite (docs/json.md, "mpdrill run --json").
#include <sstream>

#include "engine/suite/escape.h"
#include "engine/suite/reporters.h"

namespace mpdrill::suite {
namespace {

std::string Number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

std::string OptString(const std::optional<std::string>& s) {
  return s ? JsonString(*s) : "null";
}

std::string Numbers(const std::vector<std::int64_t>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "]";
}

std::string Events(const std::vector<health::HealthEvent>& events) {
  std::string out = "[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    const health::HealthEvent& e = events[i];
    if (i) out += ",";
    out += "{\"kind\":" + JsonString(health::KindName(e.kind)) +
           ",\"verdict\":" + JsonString(health::VerdictName(e.kind)) + ",\"usecs\":" +
           (e.usecs ? std::to_string(*e.usecs) : "null") + ",\"excerpt\":[";
    for (std::size_t k = 0; k < e.excerpt.size(); ++k) {
      out += (k ? "," : "") + JsonString(e.excerpt[k]);
    }
    out += "]}";
  }
  return out + "]";
}

}  // namespace

void JsonReporter::Result(const RunResult& r) {
  const ErrorParts parts = SplitError(r.report.first_error);
  out_ << "{\"type\":\"run\",\"index\":" << r.index << ",\"script\":" << JsonString(r.script)
       << ",\"variant\":" << (r.variant.empty() ? "null" : JsonString(r.variant))
       << ",\"verdict\":" << JsonString(VerdictWord(r))
       << ",\"class\":" << JsonString(run::FailureClassName(r.report.failure_class))
       << ",\"line\":" << (r.report.line > 0 ? std::to_string(r.report.line) : "null")
       << ",\"field\":" << (parts.field.empty() ? "null" : JsonString(parts.field))
       << ",\"expected\":" << OptString(parts.expected)
       << ",\"actual\":" << OptString(parts.actual)
       << ",\"timing_excess_usecs\":" << r.report.timing_excess_usecs
       << ",\"seconds\":" << Secs3(r.seconds) << ",\"retries\":" << r.retries
       << ",\"first_try_error\":"
       << (r.retries > 0 ? JsonString(r.first_attempt_error) : "null")
       << ",\"first_error\":" << JsonString(r.report.first_error)
       << ",\"details\":" << JsonString(r.report.details)
       << ",\"notes\":" << JsonString(r.report.notes)
       << ",\"model_kernel\":" << r.report.model_kernel
       << ",\"model_deliberate\":" << r.report.model_deliberate
       << ",\"tolerance_scale\":" << Number(r.tolerance_scale)
       << ",\"inbound_lateness_usecs\":" << Numbers(r.report.inbound_lateness_usecs)
       << ",\"outbound_offset_usecs\":" << Numbers(r.report.outbound_offset_usecs)
       << ",\"health\":" << Events(r.health) << "}\n";
  out_.flush();
}

void JsonReporter::End(const SuiteSummary& s) {
  out_ << "{\"type\":\"summary\",\"runs\":" << s.runs << ",\"passed\":" << s.passed
       << ",\"failed\":" << s.failed << ",\"script_errors\":" << s.script_errors
       << ",\"environment_errors\":" << s.env_errors << ",\"flaky\":" << s.flaky
       << ",\"kernel\":" << s.kernel
       << ",\"interrupted\":" << (s.interrupted ? "true" : "false")
       << ",\"exit_code\":" << ExitCode(s)
       << ",\"jobs\":" << (info_.jobs_auto ? "\"auto\"" : std::to_string(info_.jobs))
       << ",\"max_concurrency\":" << s.max_concurrency
       << ",\"tolerance_scale\":" << Number(info_.tolerance_scale)
       << ",\"tolerance_auto\":" << (info_.tolerance_auto ? "true" : "false")
       << ",\"wakeup_p99_usecs\":" << info_.wakeup_p99_usecs
       << ",\"wakeup_p99_usecs_max\":" << s.wakeup_p99_usecs_max
       << ",\"kernel_health\":" << (s.health ? "true" : "false") << ",\"kmemleak\":"
       << (s.kmemleak < 0 ? "null" : s.kmemleak ? "\"scanned\"" : "\"unavailable\"")
       << ",\"unattributed\":" << Events(s.unattributed)
       << ",\"wall_seconds\":" << Secs3(s.wall_seconds) << "}\n";
  out_.flush();
}

}  // namespace mpdrill::suite
