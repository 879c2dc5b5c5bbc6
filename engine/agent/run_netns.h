// A fresh network namespace per run on the target, as a TUN run gets one on its own machine:
// the agent creates it, moves the test device into it, and runs the run's syscalls and shell
// commands there (each worker thread enters it with setns). Whatever the run left — sockets
// in TIME_WAIT or retransmitting, sysctls, MPTCP endpoints, routes — stays behind in the old
// namespace when the next run gets a new one; the device goes back to the agent's namespace
// first (a veth would be destroyed with the namespace otherwise).
#ifndef MPDRILL_ENGINE_AGENT_RUN_NETNS_H_
#define MPDRILL_ENGINE_AGENT_RUN_NETNS_H_

#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "engine/agent/protocol.h"

namespace mpdrill::agent {

class RunNetns {
 public:
  // Creates the namespace (lo up), moves `device` from the calling thread's namespace (the
  // agent's) into it and configures it there as `link` says. The error names the step.
  static Result<std::unique_ptr<RunNetns>, std::string> Create(const std::string& device,
                                                              const LinkSetup& link);
  // ReturnDevice() if not done yet, and lets the namespace go.
  ~RunNetns();
  // Moves the device back to the agent's namespace now (best effort; once). Workers of the
  // run may still hold this object for a moment after their replies: the caller does not wait
  // for the last reference to go before the device is needed elsewhere.
  void ReturnDevice();
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
  std::once_flag returned_;
  std::string device_;
};

}  // namespace mpdrill::agent

#endif  // MPDRILL_ENGINE_AGENT_RUN_NETNS_H_
