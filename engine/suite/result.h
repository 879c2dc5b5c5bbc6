// What a suite run produces, as data: one RunResult per planned script x variant (in plan
// order), and a SuiteSummary. Reporters (text, TAP, KTAP, JUnit, JSON Lines, progress) format
// these at the edge; nothing here is preformatted except the runner's own diagnostics.
#ifndef MPDRILL_ENGINE_SUITE_RESULT_H_
#define MPDRILL_ENGINE_SUITE_RESULT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/health/health.h"
#include "engine/run/runner.h"

namespace mpdrill::suite {

// What the plan decided before running, or what running gave.
enum class Outcome : std::uint8_t {
  kPass,
  kFail,
  kScriptError,  // the script cannot run as written (syntax, bad header option, ...)
  kEnvironment,  // no privilege / TUN / namespace: counted as a skip by CI formats
  kDry,          // --dry_run: parsed only (a skip for CI formats)
  kFlaky,        // failed on timing, then passed on a retry (--retries): never a silent PASS
  kKernel,       // the kernel logged a WARN/BUG/Oops/... while the run was active
};

struct RunResult {
  int index = 0;             // 1-based, in plan order
  std::string script;        // the path as given / found
  std::string variant;       // "ipv4", "ipv4-mapped-v6", "ipv6"; "" for a syntax error
  Outcome outcome = Outcome::kPass;
  bool ran = false;          // executed (false: decided by the plan: syntax/config error, dry)
  run::RunReport report;     // the last attempt's (or the plan's error in first_error)
  double seconds = 0;        // the last attempt's wall time
  int retries = 0;           // attempts after the first
  std::string first_attempt_error;  // FLAKY / retried: the first attempt's first error
  std::size_t events = 0;    // kDry: events parsed
  double tolerance_scale = 1;
  bool model_on = false;     // --model was not off
  bool verbose = false;      // -v: details shown whatever the verdict
  std::vector<health::HealthEvent> health;  // kernel events during the run
};

// "PASS", "FAIL", "ERROR", "ENV", "DRY", "FLAKY", or the kernel verdict ("KERNEL-WARNING", ...)
// of the most severe health event.
std::string VerdictWord(const RunResult& r);
// The most severe health event of r (r.health non-empty).
const health::HealthEvent& WorstHealth(const RunResult& r);
// Whether CI formats count it a success (PASS, FLAKY) / a skip (ENV, DRY).
bool IsSuccess(const RunResult& r);
bool IsSkip(const RunResult& r);

// The first error split into its parts, when it reads "file:line: what: expected: X actual: Y"
// (fields absent otherwise).
struct ErrorParts {
  std::string field;  // "tcp ack", "timing error", ...
  std::optional<std::string> expected, actual;
};
ErrorParts SplitError(std::string_view first_error);

struct SuiteInfo {
  int planned = 0;            // runs in the plan
  int jobs = 1;               // the concurrency limit asked (-j), resolved
  bool jobs_auto = false;
  double tolerance_scale = 1;
  bool tolerance_auto = false;
  std::int64_t wakeup_p99_usecs = 0;  // measured at start (0: not measured)
  bool health = false;        // /dev/kmsg was read
};

struct SuiteSummary {
  int runs = 0, passed = 0, failed = 0, script_errors = 0, env_errors = 0, flaky = 0,
      kernel = 0;
  bool interrupted = false;
  // The live model: kernel violations and deliberate findings, and the runs they were in.
  std::uint64_t model_kernel = 0, model_deliberate = 0;
  int model_kernel_runs = 0, model_deliberate_runs = 0;
  bool model_on = false;
  // Kernel events outside any run (before, between, after: --kmemleak's scan).
  std::vector<health::HealthEvent> unattributed;
  // --kmemleak: -1 not asked, 0 asked but /sys/kernel/debug/kmemleak is not there, 1 scanned.
  int kmemleak = -1;
  bool health = false;      // /dev/kmsg was read
  int max_concurrency = 1;  // most runs active at once
  std::int64_t wakeup_p99_usecs_max = 0;
  double wall_seconds = 0;
};

// Exit codes of `mpdrill run` (docs/run.md): 0 all passed (FLAKY included), 1 a failure (or
// interrupted), 2 bad script or usage, 3 environment, 4 a kernel health event (wins over all).
inline constexpr int kExitKernelHealth = 4;
int ExitCode(const SuiteSummary& s);

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_RESULT_H_
