// Helpers shared by the sandbox's .cc files. Not part of the library's interface.
#ifndef MPDRILL_SANDBOX_SANDBOX_INTERNAL_H_
#define MPDRILL_SANDBOX_SANDBOX_INTERNAL_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>

#include "sandbox/sandbox_error.h"

namespace mpdrill::sandbox::internal {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline` (0 once passed), clamped for poll(2).
int RemainingMs(Clock::time_point deadline);

// Reads exactly `size` bytes, waiting at most `timeout`. kTimeout / kSyscall otherwise.
SandboxStatus ReadFully(int fd, void* buf, std::size_t size, std::chrono::milliseconds timeout);

// waitpid(pid) retried on EINTR; for a child that was just sent SIGKILL.
void ReapBlocking(pid_t pid);

// Waits for `pid` until `deadline`; returns its wait status, or nullopt-like false on timeout.
bool WaitUntil(pid_t pid, Clock::time_point deadline, int* wait_status);

// Async-signal-safe (usable between fork and exec): true iff the calling thread's network
// namespace is `target`, is not `outer` and is not PID 1's.
bool IsInside(ino_t target, ino_t outer);

// Exit code convention for children: exit status, or 128 + signal number.
int DecodeWaitStatus(int wait_status);

}  // namespace mpdrill::sandbox::internal

#endif  // MPDRILL_SANDBOX_SANDBOX_INTERNAL_H_
