#include "tests/real_captures.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

// Runs the tool into `dir` (which exists).
void Capture(RealCaptures* c) {
  const ToolRun run = RunTool({MkcapturePath(), "--scenario", "all", "--out", c->dir, "--quiet"},
                              std::chrono::seconds(90));
  if (run.exit_code == 3) {
    c->skip_reason = "environment cannot run the capture scenarios: " + run.err;
  } else if (run.exit_code != 0 || run.timed_out) {
    c->failure = "mpdrill-mkcapture --scenario all: expected: exit 0 actual: exit " +
                 std::to_string(run.exit_code) + (run.timed_out ? " (timed out)" : "") + "\n" +
                 run.err;
  }
}

// Under ctest, MPDRILL_CAPTURE_CACHE names a directory the fixture test
// capture_real_cache_clear empties before the run: the first test process makes the
// captures there (under a lock), the others reuse them, so a ctest run captures once.
RealCaptures FromCache(const std::string& dir) {
  RealCaptures c;
  c.dir = dir;
  mkdir(dir.c_str(), 0755);
  const int lock = open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {  // the holder's tool run is bounded (90 s)
    c.failure = "cannot lock " + dir + ".lock";
    if (lock >= 0) close(lock);
    return c;
  }
  const std::string status_path = dir + "/status";
  std::ifstream status(status_path);
  std::string kind;
  if (status && std::getline(status, kind)) {
    std::stringstream rest;
    rest << status.rdbuf();
    if (kind == "skip") c.skip_reason = rest.str();
    if (kind == "fail") c.failure = rest.str();
  } else {
    Capture(&c);
    std::ofstream out(status_path);
    if (!c.skip_reason.empty()) {
      out << "skip\n" << c.skip_reason;
    } else if (!c.failure.empty()) {
      out << "fail\n" << c.failure;
    } else {
      out << "ok\n";
    }
  }
  flock(lock, LOCK_UN);
  close(lock);
  return c;
}

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
  if (const char* cache = std::getenv("MPDRILL_CAPTURE_CACHE"); cache != nullptr && *cache) {
    return FromCache(cache);
  }
  std::string templ = ::testing::TempDir() + "/mpdrill_captures_XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    c.failure = "mkdtemp failed";
    return c;
  }
  c.dir = templ;
  Capture(&c);
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
