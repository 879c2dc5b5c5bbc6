#include "sandbox/sandbox_internal.h"

#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace mpdrill::sandbox::internal {

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

SandboxStatus ReadFully(int fd, void* buf, std::size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto* out = static_cast<char*>(buf);
  std::size_t got = 0;
  while (got < size) {
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unexpected{ErrnoError("poll", errno)};
    if (n == 0) {
      return Unexpected{SandboxError{SandboxErrorCode::kTimeout,
                                     "no answer from child within " +
                                         std::to_string(timeout.count()) + " ms"}};
    }
    const ssize_t r = read(fd, out + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Unexpected{ErrnoError("read", errno)};
    if (r == 0) {
      return Unexpected{SandboxError{SandboxErrorCode::kSyscall, "child closed its pipe early"}};
    }
    got += static_cast<std::size_t>(r);
  }
  return Ok{};
}

void ReapBlocking(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

bool WaitUntil(pid_t pid, Clock::time_point deadline, int* wait_status) {
  // Polling with short sleeps: bounded by `deadline`, and needs no SIGCHLD handler.
  auto step = std::chrono::microseconds(200);
  while (true) {
    const pid_t r = waitpid(pid, wait_status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) {
      *wait_status = 0;
      return true;  // not our child any more (already reaped): treat as exited
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
    step = std::min<std::chrono::microseconds>(step * 2, std::chrono::milliseconds(10));
  }
}

bool IsInside(ino_t target, ino_t outer) {
  struct stat self {};
  if (stat("/proc/thread-self/ns/net", &self) != 0) return false;
  if (self.st_ino != target || self.st_ino == outer) return false;
  struct stat init {};
  if (stat("/proc/1/ns/net", &init) == 0 && init.st_ino == self.st_ino) return false;
  return true;
}

int DecodeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace mpdrill::sandbox::internal
