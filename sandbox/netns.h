// Anonymous network namespaces that cannot outlive the process that made them.
//
// A NetNamespace is held by a tiny child process (the "holder", comm "mpdrill-netns") that
// unshares a fresh network namespace and then blocks on a pipe. The namespace is
// /proc/<holder>/ns/net and dies with the holder, which dies
//   - when the NetNamespace is destroyed (SIGKILL by PID, then reaped),
//   - when the creating thread dies, even by SIGKILL (PR_SET_PDEATHSIG),
//   - when the control pipe's write end closes.
// Nothing is named or bind-mounted (no `ip netns add`), so a crash leaks nothing.
//
// Create namespaces from a long-lived thread (usually main): PR_SET_PDEATHSIG follows the
// thread that forked the holder, not the process.
#ifndef MPDRILL_SANDBOX_NETNS_H_
#define MPDRILL_SANDBOX_NETNS_H_

#include <sys/types.h>

#include <chrono>
#include <string>

#include "sandbox/sandbox_error.h"

namespace mpdrill::sandbox {

// The holder's process name (/proc/<pid>/comm), for leak checks.
inline constexpr char kHolderComm[] = "mpdrill-netns";

// Inode of the network namespace of the calling thread (/proc/thread-self/ns/net).
SandboxResult<ino_t> CurrentNetnsInode();
// Inode of the network namespace of process `pid` (/proc/<pid>/ns/net).
SandboxResult<ino_t> NetnsInodeOfPid(pid_t pid);

class NetNamespace {
 public:
  // Forks the holder and waits (at most `timeout`) until it has unshared. kPermission when
  // the process may not create namespaces (not root, or no CAP_SYS_ADMIN).
  static SandboxResult<NetNamespace> Create(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  NetNamespace(NetNamespace&& other) noexcept;
  NetNamespace& operator=(NetNamespace&& other) noexcept;
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;
  ~NetNamespace();

  pid_t holder_pid() const { return holder_pid_; }
  // O_CLOEXEC descriptor on the namespace, for setns(2).
  int fd() const { return ns_fd_; }
  ino_t inode() const { return inode_; }
  // The namespace of the creating thread: the one this sandbox must never configure.
  ino_t outer_inode() const { return outer_inode_; }
  // "/proc/<holder>/ns/net", valid while the holder lives (e.g. for `ip ... netns PATH`).
  std::string path() const;
  bool valid() const { return holder_pid_ > 0; }

  // Kills the holder by PID and reaps it. Idempotent; the destructor calls it.
  void Destroy();

 private:
  NetNamespace() = default;
  pid_t holder_pid_ = -1;
  int ns_fd_ = -1;
  int control_fd_ = -1;  // write end of the holder's pipe
  ino_t inode_ = 0;
  ino_t outer_inode_ = 0;
};

// Moves the calling thread (only it: setns(2) is per thread) into `ns` until destruction,
// then back to the thread's previous namespace. Sockets opened meanwhile (e.g. libpcap's)
// stay in `ns`. Use from one thread; not movable across threads.
class ScopedNetnsEnter {
 public:
  static SandboxResult<ScopedNetnsEnter> Enter(const NetNamespace& ns);
  ScopedNetnsEnter(ScopedNetnsEnter&& other) noexcept;
  ScopedNetnsEnter& operator=(ScopedNetnsEnter&&) = delete;
  ScopedNetnsEnter(const ScopedNetnsEnter&) = delete;
  ~ScopedNetnsEnter();  // aborts if it cannot go back: a broken invariant

 private:
  explicit ScopedNetnsEnter(int saved_fd) : saved_fd_(saved_fd) {}
  int saved_fd_ = -1;
};

// Returns Ok iff the calling thread is inside `ns` and that is not the outer namespace.
// Every configuration path (commands, sysctls) checks this in the child before acting.
SandboxStatus CheckInside(const NetNamespace& ns);

}  // namespace mpdrill::sandbox

#endif  // MPDRILL_SANDBOX_NETNS_H_
