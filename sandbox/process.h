// Running code and commands inside a NetNamespace, always in a forked child (setns(2) there,
// never in the caller), always with a deadline after which the child is killed by PID.
#ifndef MPDRILL_SANDBOX_PROCESS_H_
#define MPDRILL_SANDBOX_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sandbox/netns.h"
#include "sandbox/sandbox_error.h"

namespace mpdrill::sandbox {

// A forked child. Killed (SIGKILL by PID) and reaped on destruction if still running; it
// also dies with the thread that forked it (PR_SET_PDEATHSIG).
class ChildProcess {
 public:
  // Adopts `pid`, a child this process forked and has not reaped.
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Waits at most `timeout`. Returns the exit code (128 + N if killed by signal N); on
  // timeout kills the child, reaps it and returns kTimeout.
  SandboxResult<int> Wait(std::chrono::milliseconds timeout);
  // Sends `sig` (by PID) if still running; does not reap.
  void Signal(int sig);
  // SIGKILL and reap. Idempotent.
  void Kill();

 private:
  pid_t pid_ = -1;
};

// Forks; the child enters `ns` (checked: never the outer namespace), runs `fn` and exits
// with its return value (125 if it could not enter), flushing stdio first. `fn` runs in a
// copy of the process: its effects on memory stay in the child.
SandboxResult<ChildProcess> SpawnInNamespace(const NetNamespace& ns, std::function<int()> fn);

// SpawnInNamespace + Wait(timeout): the exit code of `fn`.
SandboxResult<int> RunInNamespace(const NetNamespace& ns, std::function<int()> fn,
                                  std::chrono::milliseconds timeout);

struct CommandResult {
  int exit_code = -1;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up in PATH) inside `ns` with stdout/stderr captured (each at most
// 1 MiB). kTimeout if it runs past `timeout` (then it is killed by PID).
SandboxResult<CommandResult> RunCommand(const NetNamespace& ns,
                                        const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout);

// RunCommand, and a non-zero exit is kCommandFailed with the command line and its stderr.
SandboxStatus RunChecked(const NetNamespace& ns, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

// Reads exactly `size` bytes from `fd` (e.g. a child's status pipe) within `timeout`.
SandboxStatus ReadWithDeadline(int fd, void* buf, std::size_t size,
                               std::chrono::milliseconds timeout);

}  // namespace mpdrill::sandbox

#endif  // MPDRILL_SANDBOX_PROCESS_H_
