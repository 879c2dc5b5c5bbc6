// Running programs: fork + execvp with stdio wired as asked, an exec failure reported with
// its errno (a status pipe, not a guessed exit code), the child killed with its parent
// (PR_SET_PDEATHSIG) and, through the handle, killed by PID and reaped. Two ways:
// - ExecWithDeadline: run to completion, stdout/stderr captured (each up to a limit), killed
//   when the deadline passes (dpkg-deb, xz, ...).
// - Spawn: start and supervise (qemu): a ChildProcess handle to poll, signal and reap.
#ifndef MPDRILL_BASE_EXEC_H_
#define MPDRILL_BASE_EXEC_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace mpdrill {

enum class ExecErrorCode {
  kSpawn,       // pipe/open/fork failed
  kTimeout,     // still running at the deadline: killed by PID and reaped
  kHookFailed,  // before_exec returned false
  kNotFound,    // the program could not be executed (not found, not executable): errno text
};

// `word` single-quoted for /bin/sh ("it's" -> 'it'\''s'): one word whatever it holds.
std::string ShellQuote(std::string_view word);

struct ExecError {
  ExecErrorCode code;
  std::string message;  // names the command line
};

struct ExecOptions {
  std::chrono::milliseconds timeout{30000};
  std::size_t max_capture = 1 << 20;  // per stream; the rest is read and dropped
  // Runs in the child after fork, before exec; only async-signal-safe work. Returning false
  // ends the child without running the program (kHookFailed).
  std::function<bool()> before_exec;
};

struct ExecOutcome {
  int exit_code = -1;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
};

Result<ExecOutcome, ExecError> ExecWithDeadline(const std::vector<std::string>& argv,
                                                const ExecOptions& options = {});

// A started child. Killed (SIGKILL to its process group when it has its own, else by PID)
// and reaped on destruction if still running.
class SpawnedProcess {
 public:
  SpawnedProcess(pid_t pid, bool own_group) : pid_(pid), own_group_(own_group) {}
  SpawnedProcess(SpawnedProcess&& other) noexcept;
  SpawnedProcess& operator=(SpawnedProcess&& other) noexcept;
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;
  ~SpawnedProcess() { Kill(); }

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // The exit code (128 + N for signal N) once it ended (and is reaped), else nullopt.
  std::optional<int> TryWait();
  // SIGKILL and reap; returns the exit code. Idempotent (-1 when already reaped).
  int Kill();

 private:
  pid_t pid_ = -1;
  bool own_group_ = false;
};

struct SpawnOptions {
  std::string stdout_path = "/dev/null";  // created or truncated
  std::string stderr_path = "/dev/null";
  bool own_process_group = true;
};

Result<SpawnedProcess, ExecError> Spawn(const std::vector<std::string>& argv,
                                        const SpawnOptions& options = {});

// The command line for messages: words joined by spaces.
std::string CommandLine(const std::vector<std::string>& argv);

}  // namespace mpdrill

#endif  // MPDRILL_BASE_EXEC_H_
