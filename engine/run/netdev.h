// The runner's private network: a fresh network namespace (and PID namespace, so every
// process a script starts dies with the run) entered by the calling process, then lo and the
// TUN device `tun0` configured for the run's IP variant. Nothing here ever touches the
// starting namespace: EnterPrivateNamespaces() verifies the switch before anything else runs.
#ifndef MPDRILL_ENGINE_RUN_NETDEV_H_
#define MPDRILL_ENGINE_RUN_NETDEV_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/run/run_config.h"
#include "sandbox/tun.h"

namespace mpdrill::run {

enum class SetupErrorKind : std::uint8_t {
  kEnvironment,  // no privilege, no TUN, namespace not entered: exit 3
  kFailed,       // a configuration command failed
};
struct SetupError {
  SetupErrorKind kind;
  std::string message;
};

// "192.0.2.1", 24 -> "192.0.2.0/24" (`ip route` wants the network address); the address as
// given when it does not parse.
std::string NetworkPrefix(const std::string& address, int len, bool v6);

// unshare(CLONE_NEWNET | CLONE_NEWPID) in the calling (single-threaded) process and check
// that its network namespace inode differs from `starting_netns`. The new PID namespace
// applies to children forked afterwards.
Status<SetupError> EnterPrivateNamespaces(ino_t starting_netns);

// lo up, tun0 with the config's MTU, local address/prefix, route to the remote prefix via
// the gateway (IPv6: no DAD), over rtnetlink (sandbox/rtnl.h).
Result<sandbox::TunDevice, SetupError> SetUpNetwork(const RunConfig& config, ino_t starting_netns);

// Runs argv (PATH lookup) with a deadline; stdout+stderr captured. Exit code, or error.
// `nice`: the child's nice value (0: inherited), e.g. 19 for untimed set-up work that should
// yield the CPU to other runs' timed steps.
struct ExecResult {
  int exit_code = -1;  // 128+N for signal N; -1 if killed on deadline
  bool timed_out = false;
  std::string output;
};
ExecResult Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                const std::string& cwd, std::chrono::milliseconds timeout, int nice = 0);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_NETDEV_H_
