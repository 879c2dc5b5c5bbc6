#include "tests/real_captures.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

RealCaptures Make() {
  RealCaptures c;
  if (geteuid() != 0) {
    c.skip_reason = "needs root to create network namespaces for real MPTCP captures";
    return c;
  }
  if (access("/proc/self/ns/net", R_OK) != 0) {
    c.skip_reason = "no network namespace support (/proc/self/ns/net)";
    return c;
  }
  std::string templ = ::testing::TempDir() + "/mpdrill_captures_XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    c.failure = "mkdtemp failed";
    return c;
  }
  c.dir = templ;
  const ToolRun run = RunTool({MkcapturePath(), "--scenario", "all", "--out", c.dir, "--quiet"},
                              std::chrono::seconds(90));
  if (run.exit_code == 3) {
    c.skip_reason = "environment cannot run the capture scenarios: " + run.err;
  } else if (run.exit_code != 0 || run.timed_out) {
    c.failure = "mpdrill-mkcapture --scenario all: expected: exit 0 actual: exit " +
                std::to_string(run.exit_code) + (run.timed_out ? " (timed out)" : "") + "\n" +
                run.err;
  }
  return c;
}

}  // namespace

std::vector<std::string> ScenarioNames() {
  return {"basic-v4", "basic-v6", "checksum-v4", "checksum-v6", "fastclose-v4", "fastclose-v6"};
}

const RealCaptures& GetRealCaptures() {
  static const RealCaptures captures = Make();  // made once, read-only afterwards
  return captures;
}

}  // namespace mpdrill::tests
