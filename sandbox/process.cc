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

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
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
  // Everything the child touches is prepared here: between fork and exec it only makes
  // async-signal-safe calls.
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Unexpected{ErrnoError("pipe2", errno)};
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    return Unexpected{ErrnoError("pipe2", err)};
  }
  const pid_t parent = getpid();
  const int ns_fd = ns.fd();
  const ino_t target = ns.inode();
  const ino_t outer = ns.outer_inode();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return Unexpected{ErrnoError("fork", err)};
  }
  if (pid == 0) {
    if (!EnterFromChild(parent, ns_fd, target, outer)) _exit(kExitCannotEnter);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_pipe[1], 1) < 0 ||
        dup2(err_pipe[1], 2) < 0) {
      _exit(kExitCannotExec);
    }
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execvp(cargv[0], cargv.data());
    _exit(kExitCannotExec);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  ChildProcess child(pid);  // killed on every early return
  (void)child;

  CommandResult result;
  const auto deadline = internal::Clock::now() + timeout;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_count = 2;
  bool timed_out = false;
  while (open_count > 0) {
    const int n = poll(fds.data(), fds.size(), internal::RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = true;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r > 0) {
        if (sinks[i]->size() < kMaxCapture) sinks[i]->append(buf, static_cast<std::size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  const std::string line = CommandLine(argv);
  if (timed_out) {
    return Unexpected{SandboxError{SandboxErrorCode::kTimeout,
                                   "'" + line + "' still running after " +
                                       std::to_string(timeout.count()) + " ms: killed"}};
  }
  auto code = child.Wait(std::chrono::milliseconds(internal::RemainingMs(deadline)));
  if (!code) {
    return Unexpected{SandboxError{code.error().code, "'" + line + "': " + code.error().message}};
  }
  result.exit_code = *code;
  if (result.exit_code == kExitCannotEnter) {
    return Unexpected{SandboxError{SandboxErrorCode::kHostNamespace,
                                   "'" + line + "' not run: could not enter the sandbox"}};
  }
  return result;
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
