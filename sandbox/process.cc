#include "sandbox/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cerrno>
#include <utility>

#include "base/exec.h"
#include "sandbox/sandbox_internal.h"

namespace mpdrill::sandbox {
namespace {

constexpr int kExitCannotEnter = 125;
constexpr int kExitCannotExec = 127;
constexpr std::size_t kMaxCapture = 1 << 20;

// First steps of every sandboxed child; async-signal-safe. Returns false if the child must
// not go on (then it has to _exit).
bool EnterFromChild(pid_t parent, int ns_fd, ino_t target, ino_t outer) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) return false;
  if (setns(ns_fd, CLONE_NEWNET) != 0) return false;
  // The hard rule: never act in the host's namespace.
  return internal::IsInside(target, outer);
}

}  // namespace

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

ChildProcess::~ChildProcess() { Kill(); }

SandboxResult<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "no child to wait for"}};
  }
  int status = 0;
  if (!internal::WaitUntil(pid_, internal::Clock::now() + timeout, &status)) {
    const pid_t pid = pid_;
    Kill();
    return Unexpected{SandboxError{SandboxErrorCode::kTimeout,
                                   "child " + std::to_string(pid) + " still running after " +
                                       std::to_string(timeout.count()) + " ms: killed"}};
  }
  pid_ = -1;
  return internal::DecodeWaitStatus(status);
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

void ChildProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);  // our unreaped child: the PID is still ours
  internal::ReapBlocking(pid_);
  pid_ = -1;
}

SandboxResult<ChildProcess> SpawnInNamespace(const NetNamespace& ns, std::function<int()> fn) {
  if (!ns.valid()) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "namespace destroyed"}};
  }
  const pid_t parent = getpid();
  const int ns_fd = ns.fd();
  const ino_t target = ns.inode();
  const ino_t outer = ns.outer_inode();
  std::fflush(nullptr);  // or the child would print the parent's pending output again
  const pid_t pid = fork();
  if (pid < 0) return Unexpected{ErrnoError("fork", errno)};
  if (pid == 0) {
    if (!EnterFromChild(parent, ns_fd, target, outer)) _exit(kExitCannotEnter);
    const int code = fn();
    // Only our own output: fflush(nullptr) would also write out stdio buffers the child
    // inherited from other threads of the parent (a live capture's pcap dumper), so the same
    // packets would land twice in the parent's file.
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);
  }
  return ChildProcess(pid);
}

SandboxResult<int> RunInNamespace(const NetNamespace& ns, std::function<int()> fn,
                                  std::chrono::milliseconds timeout) {
  auto child = SpawnInNamespace(ns, std::move(fn));
  if (!child) return Unexpected{child.error()};
  return child->Wait(timeout);
}

SandboxResult<CommandResult> RunCommand(const NetNamespace& ns,
                                        const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout) {
  if (!ns.valid() || argv.empty()) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument,
                                   "RunCommand needs a live namespace and a command"}};
  }
  const pid_t parent = getpid();
  const int ns_fd = ns.fd();
  const ino_t target = ns.inode();
  const ino_t outer = ns.outer_inode();
  ExecOptions options;
  options.timeout = timeout;
  options.max_capture = kMaxCapture;
  options.before_exec = [=] { return EnterFromChild(parent, ns_fd, target, outer); };
  auto r = ExecWithDeadline(argv, options);
  if (r) return CommandResult{r->exit_code, std::move(r->out), std::move(r->err)};
  switch (r.error().code) {
    case ExecErrorCode::kHookFailed:
      return Unexpected{SandboxError{SandboxErrorCode::kHostNamespace,
                                     "'" + CommandLine(argv) + "' not run: could not enter the sandbox"}};
    case ExecErrorCode::kTimeout:
      return Unexpected{SandboxError{SandboxErrorCode::kTimeout, r.error().message}};
    case ExecErrorCode::kNotFound:
      // As a shell says it: exit 127 with the reason on stderr.
      return CommandResult{kExitCannotExec, "", r.error().message};
    case ExecErrorCode::kSpawn:
      return Unexpected{SandboxError{SandboxErrorCode::kSyscall, r.error().message}};
  }
  return Unexpected{SandboxError{SandboxErrorCode::kSyscall, r.error().message}};
}

SandboxStatus ReadWithDeadline(int fd, void* buf, std::size_t size,
                               std::chrono::milliseconds timeout) {
  return internal::ReadFully(fd, buf, size, timeout);
}

SandboxStatus RunChecked(const NetNamespace& ns, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout) {
  auto r = RunCommand(ns, argv, timeout);
  if (!r) return Unexpected{r.error()};
  if (r->exit_code != 0) {
    std::string err = r->err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Unexpected{SandboxError{
        SandboxErrorCode::kCommandFailed,
        "'" + CommandLine(argv) + "' failed: expected: exit 0 actual: exit " +
            std::to_string(r->exit_code) + (err.empty() ? "" : " (" + err + ")")}};
  }
  return Ok{};
}

}  // namespace mpdrill::sandbox
