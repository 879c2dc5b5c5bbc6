#include "engine/suite/result.h"

namespace mpdrill::suite {

const health::HealthEvent& WorstHealth(const RunResult& r) {
  const health::HealthEvent* worst = &r.health.front();
  for (const health::HealthEvent& e : r.health) {
    if (health::Severity(e.kind) > health::Severity(worst->kind)) worst = &e;
  }
  return *worst;
}

std::string VerdictWord(const RunResult& r) {
  switch (r.outcome) {
    case Outcome::kPass: return "PASS";
    case Outcome::kFail: return "FAIL";
    case Outcome::kScriptError: return "ERROR";
    case Outcome::kEnvironment: return "ENV";
    case Outcome::kDry: return "DRY";
    case Outcome::kFlaky: return "FLAKY";
    case Outcome::kKernel:
      return r.health.empty() ? "KERNEL" : std::string(health::VerdictName(WorstHealth(r).kind));
  }
  return "FAIL";
}

bool IsSuccess(const RunResult& r) {
  switch (r.outcome) {
    case Outcome::kPass:
    case Outcome::kFlaky: return true;
    case Outcome::kFail:
    case Outcome::kScriptError:
    case Outcome::kEnvironment:
    case Outcome::kDry:
    case Outcome::kKernel: return false;
  }
  return false;
}

bool IsSkip(const RunResult& r) {
  return r.outcome == Outcome::kEnvironment || r.outcome == Outcome::kDry;
}

ErrorParts SplitError(std::string_view e) {
  ErrorParts parts;
  const std::size_t exp = e.find(": expected: ");
  if (exp == std::string_view::npos) return parts;
  // The field: the text between the previous ": " (after "file:line: ") and ": expected".
  std::string_view head = e.substr(0, exp);
  const std::size_t line_end = head.find(": ");
  if (line_end != std::string_view::npos) head = head.substr(line_end + 2);
  parts.field = std::string(head);
  std::string_view rest = e.substr(exp + 12);
  const std::size_t act = rest.find(" actual: ");
  if (act == std::string_view::npos) {
    parts.expected = std::string(rest);
    return parts;
  }
  parts.expected = std::string(rest.substr(0, act));
  parts.actual = std::string(rest.substr(act + 9));
  return parts;
}

int ExitCode(const SuiteSummary& s) {
  if (s.interrupted) return 1;
  if (s.kernel > 0 || !s.unattributed.empty()) return kExitKernelHealth;
  if (s.env_errors) return 3;
  if (s.script_errors) return 2;
  if (s.failed) return 1;
  return 0;
}

}  // namespace mpdrill::suite
