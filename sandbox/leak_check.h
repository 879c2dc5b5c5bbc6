// Finding what a sandbox left behind: for tests and for tools that want to prove a clean exit.
#ifndef MPDRILL_SANDBOX_LEAK_CHECK_H_
#define MPDRILL_SANDBOX_LEAK_CHECK_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace mpdrill::sandbox {

// PIDs whose /proc/<pid>/comm is `comm` (zombies included), e.g. kHolderComm.
std::vector<pid_t> ProcessesNamed(const std::string& comm);

// PIDs with any thread in network namespace `inode`, or holding an open descriptor on it.
// A namespace no process references is gone (this sandbox never bind-mounts one).
std::vector<pid_t> ProcessesUsingNetns(ino_t inode);

// True if /proc/<pid> exists and is not a zombie.
bool ProcessAlive(pid_t pid);

// The parent PID from /proc/<pid>/stat, or -1.
pid_t ParentOf(pid_t pid);

}  // namespace mpdrill::sandbox

#endif  // MPDRILL_SANDBOX_LEAK_CHECK_H_
