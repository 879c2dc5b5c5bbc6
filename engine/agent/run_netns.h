// A fresh network namespace per run on the target, as a TUN run gets one on its own machine:
// the agent creates it, moves the test device into it, and runs the run's syscalls and shell
// commands there (each worker thread enters it with setns). Whatever the run left — sockets
// in TIME_WAIT or retransmitting, sysctls, MPTCP endpoints, routes — stays behind in the old
// namespace when the next run gets a new one; the device goes back to the agent's namespace
// first (a veth would be destroyed with the namespace otherwise).
#ifndef MPDRILL_ENGINE_AGENT_RUN_NETNS_H_
#define MPDRILL_ENGINE_AGENT_RUN_NETNS_H_

#include <memory>
#include <string>

#include "base/result.h"

namespace mpdrill::agent {

class RunNetns {
 public:
  // Creates the namespace (lo up) and moves `device` from the calling thread's namespace
  // (the agent's) into it. The error names the step.
  static Result<std::unique_ptr<RunNetns>, std::string> Create(const std::string& device);
  // Moves the device back to the agent's namespace (best effort) and lets the namespace go.
  ~RunNetns();
  RunNetns(const RunNetns&) = delete;
  RunNetns& operator=(const RunNetns&) = delete;

  // Puts the calling thread into the namespace (a worker, before its syscall or command).
  Status<std::string> Enter() const;
  const std::string& device() const { return device_; }

 private:
  RunNetns(int fd, int home_fd, std::string device)
      : fd_(fd), home_fd_(home_fd), device_(std::move(device)) {}
  int fd_;
  int home_fd_;
  std::string device_;
};

}  // namespace mpdrill::agent

#endif  // MPDRILL_ENGINE_AGENT_RUN_NETNS_H_
