// Shared by the end-to-end `mpdrill run` tests (run_cli_test, run_mptcp_test, run_model_test):
// where the built binary is, whether scripts can run here, and a per-process scratch folder
// for the scripts a test writes.
#ifndef MPDRILL_TESTS_RUN_SUPPORT_H_
#define MPDRILL_TESTS_RUN_SUPPORT_H_

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace mpdrill::tests {

inline std::string MpdrillPath() { return MPDRILL_BINARY_DIR "/cli/mpdrill"; }

// Root and /dev/net/tun: what `mpdrill run` needs on this machine (docs/run.md).
bool CanRunScripts();

// <tmp>/mpdrill_<tag>_<pid>/, created on first use.
std::filesystem::path ScratchDir(const std::string& tag);

// Writes `text` to ScratchDir(tag)/name; returns the path.
std::string WriteScratchFile(const std::string& tag, const std::string& name,
                             const std::string& text);

}  // namespace mpdrill::tests

#define SKIP_WITHOUT_ROOT()                                                     \
  if (!::mpdrill::tests::CanRunScripts()) {                                     \
    GTEST_SKIP() << "needs root and /dev/net/tun to run scripts in namespaces"; \
  }

#endif  // MPDRILL_TESTS_RUN_SUPPORT_H_
