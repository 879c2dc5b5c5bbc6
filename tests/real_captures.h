// Real MPTCP captures for the cross-module tests, made once per test binary by running
// mpdrill-mkcapture --scenario all in its own network namespaces.
#ifndef MPDRILL_TESTS_REAL_CAPTURES_H_
#define MPDRILL_TESTS_REAL_CAPTURES_H_

#include <string>
#include <vector>

namespace mpdrill::tests {

struct RealCaptures {
  std::string dir;          // holds <scenario>.pcap
  std::string skip_reason;  // non-empty: the environment cannot make captures (not root, ...)
  std::string failure;      // non-empty: the tool failed where it should have worked
  std::string PathOf(const std::string& scenario) const { return dir + "/" + scenario + ".pcap"; }
};

// The scenarios mpdrill-mkcapture offers (its --list, minus "all").
std::vector<std::string> ScenarioNames();

// Made on first use (about 10 s), then shared by every test of the binary; under ctest
// (MPDRILL_CAPTURE_CACHE set) shared by every test process of the run.
const RealCaptures& GetRealCaptures();

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_REAL_CAPTURES_H_
