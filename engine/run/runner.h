// The engine core of `mpdrill run`: executes one parsed script against the kernel, in the
// calling process's (already private) network namespace, with packetdrill's semantics:
// events in order at their script times, shell commands through /bin/sh, syscalls through
// engine/syscalls, inbound packets built and written, outbound packets sniffed and matched
// field by field. Clock and packet I/O are injected.
#ifndef MPDRILL_ENGINE_RUN_RUNNER_H_
#define MPDRILL_ENGINE_RUN_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/run/model_monitor.h"
#include "engine/run/netdev.h"
#include "engine/run/packet_io.h"
#include "engine/run/run_config.h"
#include "engine/run/timing.h"
#include "engine/syscalls/backend.h"
#include "parser/ast.h"

namespace mpdrill::run {

// Where a run's shell commands execute: /bin/sh in the runner's process (the default), or on
// the machine under test through `mpdrill agent` (wire runs).
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual ExecResult Run(const std::string& command, const std::vector<std::string>& env,
                         const std::string& cwd, std::chrono::milliseconds timeout) = 0;
};

enum class Verdict : std::uint8_t {
  kPass,
  kFail,         // the kernel did not do what the script says (exit 1)
  kScriptError,  // the script cannot be run as written (exit 2)
  kEnvironment,  // no privilege / TUN / namespace (exit 3)
};
int ExitCodeOf(Verdict v);
std::string_view VerdictName(Verdict v);

// Why a failing run failed (kFail only; kNone otherwise): timing -- the expected packet, return
// or event came, outside the tolerance -- or semantic -- a wrong packet, field, return value,
// errno, a missing packet, a model violation, a failed command. Only timing failures are worth
// a retry (mpdrill run --retries).
enum class FailureClass : std::uint8_t { kNone, kTiming, kSemantic };
std::string_view FailureClassName(FailureClass c);  // "none" / "timing" / "semantic"

struct RunReport {
  Verdict verdict = Verdict::kPass;
  FailureClass failure_class = FailureClass::kNone;
  int line = 0;                           // script line of the first error (0: none)
  std::int64_t timing_excess_usecs = 0;   // timing failures: how far outside the tolerance
  std::string first_error;  // "file:line: what: expected: X actual: Y"
  std::string details;      // further lines: script and live packets, command output, ...
  std::string notes;        // lines printed whatever the verdict: the live model's findings
  std::uint32_t model_kernel = 0;      // violations by the kernel the live model saw
  std::uint32_t model_deliberate = 0;  // violations on mpdrill's own (injected) packets
  // Timing of the run, for jitter figures (ci/bench_run.sh): per inbound packet, when it was
  // written minus when the script scheduled it; per outbound packet with an exact script time,
  // when it arrived minus that time (usecs, can be negative).
  std::vector<std::int64_t> inbound_lateness_usecs, outbound_offset_usecs;
};

struct RunnerContext {
  std::string script_path;  // for messages (file:line)
  std::string script_dir;   // cwd of shell commands
  Clock* clock = nullptr;
  PacketIo* io = nullptr;
  // Extra environment for shell commands besides the inherited one and config's OPT_*.
  std::vector<std::string> base_env;
  // The live reference model, a tap of `io` (nullptr: --model=off).
  ModelMonitor* model = nullptr;
  // Where syscalls and shell commands run (nullptr: here, with the runner's own executor and
  // /bin/sh). A remote backend cannot run %{ }% blocks (they read TCP_INFO of a local socket).
  syscalls::SyscallBackend* syscalls = nullptr;
  CommandRunner* commands = nullptr;
  // The first source port of the script's inbound connections (packetdrill picks one per run;
  // wire runs against one long-lived target vary it so no run meets an earlier one's sockets).
  std::uint16_t first_remote_port = 48000;
  std::string link_name = "tun0";  // for messages
};

RunReport RunScript(const parser::Script& script, const RunConfig& config,
                    const RunnerContext& context);

// The syscall executor's settings for a run of `config` (family, addresses, ports, -D).
syscalls::Context SyscallContextFor(const RunConfig& config);

// Longest time the script's events span (last event time, blocking ends included), for
// deadlines: a run is given this plus a margin.
std::int64_t ScriptSpanUsecs(const parser::Script& script);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_RUNNER_H_
