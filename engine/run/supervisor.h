// Runs one script variant in a forked, isolated child and supervises it:
//   parent --fork--> child A: own process group, PR_SET_PDEATHSIG(SIGKILL), unshare(NEWNET |
//   NEWPID), inode check --fork--> B (PID 1 of the new PID namespace): network set up, runner.
// Nothing runs in the starting namespace. When B ends, the kernel kills every process left in
// its PID namespace (background shell commands included), and with them the network namespace
// and tun0 go. The parent enforces a deadline and turns SIGINT/SIGTERM (read from a signalfd
// the caller owns) into SIGKILL of A's process group.
#ifndef MPDRILL_ENGINE_RUN_SUPERVISOR_H_
#define MPDRILL_ENGINE_RUN_SUPERVISOR_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "engine/run/run_config.h"
#include "engine/run/runner.h"
#include "parser/ast.h"

namespace mpdrill::run {

struct IsolatedRun {
  std::string script_path;  // as given (messages)
  const parser::Script* script = nullptr;
  RunConfig config;         // finalized for the variant
  std::string pcap_path;    // "" = no pcap
  std::chrono::milliseconds deadline{60000};
  int signal_fd = -1;       // signalfd for SIGINT/SIGTERM, or -1
};

struct IsolatedResult {
  RunReport report;
  double seconds = 0;
  bool interrupted = false;  // a signal arrived: the caller stops
};

IsolatedResult RunIsolated(const IsolatedRun& run);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_SUPERVISOR_H_
