#include "engine/agent/run_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "sandbox/rtnl.h"

namespace mpdrill::agent {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

Result<std::unique_ptr<RunNetns>, std::string> RunNetns::Create(const std::string& device,
                                                               const LinkSetup& link) {
  const int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return Unexpected{Errno("opening the agent's network namespace")};
  // unshare(CLONE_NEWNET) changes only the calling thread: a short-lived one makes the
  // namespace and brings its lo up, the agent's threads stay where they are.
  int fd = -1;
  std::string error;
  std::thread([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      error = Errno("unshare(CLONE_NEWNET)");
      return;
    }
    fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = Errno("opening the new network namespace");
      return;
    }
    if (auto s = sandbox::rtnl::LinkUp("lo"); !s) error = s.error().message;
  }).join();
  if (!error.empty()) {
    if (fd >= 0) close(fd);
    close(home);
    return Unexpected{error};
  }
  if (auto s = sandbox::rtnl::MoveLink(device, fd); !s) {
    close(fd);
    close(home);
    return Unexpected{s.error().message};
  }
  std::unique_ptr<RunNetns> ns(new RunNetns(fd, home, device));
  // rtnetlink in the new namespace (no `ip` process: each costs a fifth of a second in an
  // emulated guest); IPv6 addresses without duplicate address detection, as on tun0.
  std::thread([&] {
    if (auto e = ns->Enter(); !e) {
      error = e.error();
      return;
    }
    namespace rtnl = sandbox::rtnl;
    auto step = [&](const sandbox::SandboxStatus& s) {
      if (!s && error.empty()) error = s.error().message;
      return static_cast<bool>(s);
    };
    if (!step(rtnl::LinkUp(device, static_cast<int>(link.mtu))) || link.address.empty()) return;
    const bool v6 = link.address.find(':') != std::string::npos;
    step(rtnl::AddAddress(device, link.address, link.prefix, v6)) && !link.route.empty() &&
        step(rtnl::AddRoute(device, link.route, link.route_prefix, link.gateway));
  }).join();
  if (!error.empty()) return Unexpected{error};  // the destructor moves the device back
  return ns;
}

void RunNetns::ReturnDevice() {
  std::call_once(returned_, [this] {
    std::thread([this] {
      if (setns(fd_, CLONE_NEWNET) == 0) (void)sandbox::rtnl::MoveLink(device_, home_fd_);
    }).join();
  });
}

RunNetns::~RunNetns() {
  ReturnDevice();
  close(fd_);
  close(home_fd_);
}

Status<std::string> RunNetns::Enter() const {
  if (setns(fd_, CLONE_NEWNET) != 0) return Unexpected{Errno("setns into the run's namespace")};
  return Ok{};
}

}  // namespace mpdrill::agent
