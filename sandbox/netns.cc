#include "sandbox/netns.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "sandbox/sandbox_internal.h"

namespace mpdrill::sandbox {

const char* SandboxErrorCodeName(SandboxErrorCode code) {
  switch (code) {
    case SandboxErrorCode::kPermission:
      return "permission";
    case SandboxErrorCode::kSyscall:
      return "syscall";
    case SandboxErrorCode::kTimeout:
      return "timeout";
    case SandboxErrorCode::kCommandFailed:
      return "command-failed";
    case SandboxErrorCode::kHostNamespace:
      return "host-namespace";
    case SandboxErrorCode::kCapture:
      return "capture";
    case SandboxErrorCode::kInvalidArgument:
      return "invalid-argument";
  }
  return "?";
}

SandboxError ErrnoError(const std::string& what, int err) {
  const SandboxErrorCode code = (err == EPERM || err == EACCES) ? SandboxErrorCode::kPermission
                                                                 : SandboxErrorCode::kSyscall;
  return SandboxError{code, what + ": " + std::strerror(err)};
}

namespace {

SandboxResult<ino_t> InodeOfPath(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Unexpected{ErrnoError("stat " + path, errno)};
  return st.st_ino;
}

// Holder body: runs in the forked child, async-signal-safe calls only. Never returns.
[[noreturn]] void HolderMain(pid_t parent, int control_read, int ready_write) {
  // Dies with the creating thread, even if that is SIGKILLed.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
  prctl(PR_SET_NAME, kHolderComm);
  // Keep only the two pipe ends (as fds 0 and 1), so the holder pins nothing else.
  if (dup2(control_read, 0) < 0 || dup2(ready_write, 1) < 0) _exit(1);
  syscall(SYS_close_range, 2U, ~0U, 0U);
  int result = 0;
  if (unshare(CLONE_NEWNET) != 0) result = errno;
  ssize_t ignored = write(1, &result, sizeof(result));
  (void)ignored;
  close(1);
  if (result != 0) _exit(1);
  // Block until the owner closes the pipe (or kills us). Bounded by the owner's lifetime.
  char c;
  while (read(0, &c, 1) < 0 && errno == EINTR) {
  }
  _exit(0);
}

}  // namespace

SandboxResult<ino_t> CurrentNetnsInode() { return InodeOfPath("/proc/thread-self/ns/net"); }

SandboxResult<ino_t> NetnsInodeOfPid(pid_t pid) {
  return InodeOfPath("/proc/" + std::to_string(pid) + "/ns/net");
}

SandboxResult<NetNamespace> NetNamespace::Create(std::chrono::milliseconds timeout) {
  auto outer = CurrentNetnsInode();
  if (!outer) return Unexpected{outer.error()};
  int control[2];
  int ready[2];
  if (pipe2(control, O_CLOEXEC) != 0) return Unexpected{ErrnoError("pipe2", errno)};
  if (pipe2(ready, O_CLOEXEC) != 0) {
    const int err = errno;
    close(control[0]);
    close(control[1]);
    return Unexpected{ErrnoError("pipe2", err)};
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : {control[0], control[1], ready[0], ready[1]}) close(fd);
    return Unexpected{ErrnoError("fork", err)};
  }
  if (pid == 0) HolderMain(parent, control[0], ready[1]);

  close(control[0]);
  close(ready[1]);
  NetNamespace ns;
  ns.holder_pid_ = pid;
  ns.control_fd_ = control[1];
  ns.outer_inode_ = *outer;

  int result = -1;
  auto read_status = internal::ReadFully(ready[0], &result, sizeof(result), timeout);
  close(ready[0]);
  if (!read_status) return Unexpected{read_status.error()};  // ns's destructor kills it
  if (result != 0) return Unexpected{ErrnoError("unshare(CLONE_NEWNET) in holder", result)};

  const std::string path = ns.path();
  ns.ns_fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns.ns_fd_ < 0) return Unexpected{ErrnoError("open " + path, errno)};
  struct stat st {};
  if (fstat(ns.ns_fd_, &st) != 0) return Unexpected{ErrnoError("fstat " + path, errno)};
  ns.inode_ = st.st_ino;
  if (ns.inode_ == ns.outer_inode_) {
    return Unexpected{SandboxError{SandboxErrorCode::kHostNamespace,
                                   "holder did not get a new network namespace"}};
  }
  return ns;
}

NetNamespace::NetNamespace(NetNamespace&& other) noexcept
    : holder_pid_(std::exchange(other.holder_pid_, -1)),
      ns_fd_(std::exchange(other.ns_fd_, -1)),
      control_fd_(std::exchange(other.control_fd_, -1)),
      inode_(other.inode_),
      outer_inode_(other.outer_inode_) {}

NetNamespace& NetNamespace::operator=(NetNamespace&& other) noexcept {
  if (this != &other) {
    Destroy();
    holder_pid_ = std::exchange(other.holder_pid_, -1);
    ns_fd_ = std::exchange(other.ns_fd_, -1);
    control_fd_ = std::exchange(other.control_fd_, -1);
    inode_ = other.inode_;
    outer_inode_ = other.outer_inode_;
  }
  return *this;
}

NetNamespace::~NetNamespace() { Destroy(); }

std::string NetNamespace::path() const {
  return "/proc/" + std::to_string(holder_pid_) + "/ns/net";
}

void NetNamespace::Destroy() {
  if (ns_fd_ >= 0) close(std::exchange(ns_fd_, -1));
  if (control_fd_ >= 0) close(std::exchange(control_fd_, -1));
  if (holder_pid_ > 0) {
    // Our own unreaped child: the PID cannot have been reused.
    kill(holder_pid_, SIGKILL);
    internal::ReapBlocking(holder_pid_);
    holder_pid_ = -1;
  }
}

SandboxResult<ScopedNetnsEnter> ScopedNetnsEnter::Enter(const NetNamespace& ns) {
  if (!ns.valid()) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "namespace destroyed"}};
  }
  const int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved < 0) return Unexpected{ErrnoError("open /proc/thread-self/ns/net", errno)};
  if (setns(ns.fd(), CLONE_NEWNET) != 0) {
    const int err = errno;
    close(saved);
    return Unexpected{ErrnoError("setns", err)};
  }
  ScopedNetnsEnter entered(saved);
  if (auto inside = CheckInside(ns); !inside) return Unexpected{inside.error()};
  return entered;
}

ScopedNetnsEnter::ScopedNetnsEnter(ScopedNetnsEnter&& other) noexcept
    : saved_fd_(std::exchange(other.saved_fd_, -1)) {}

ScopedNetnsEnter::~ScopedNetnsEnter() {
  if (saved_fd_ < 0) return;
  if (setns(saved_fd_, CLONE_NEWNET) != 0) std::abort();
  close(saved_fd_);
}

SandboxStatus CheckInside(const NetNamespace& ns) {
  auto here = CurrentNetnsInode();
  if (!here) return Unexpected{here.error()};
  if (*here == ns.outer_inode() || !internal::IsInside(ns.inode(), ns.outer_inode())) {
    return Unexpected{SandboxError{
        SandboxErrorCode::kHostNamespace,
        "refusing to act outside the sandbox: expected: netns inode " +
            std::to_string(ns.inode()) + " actual: " + std::to_string(*here)}};
  }
  return Ok{};
}

}  // namespace mpdrill::sandbox
