#include "tests/interop_peer.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "sandbox/topology.h"
#include "tests/interop_vm_peer.h"

namespace mpdrill::tests {
namespace {

using namespace std::chrono_literals;
using sandbox::SandboxError;
using sandbox::SandboxErrorCode;

class HostJob final : public PeerJob {
 public:
  explicit HostJob(sandbox::ChildProcess child) : child_(std::move(child)) {}
  sandbox::SandboxResult<int> Wait(std::chrono::milliseconds timeout) override {
    return child_.Wait(timeout);
  }

 private:
  sandbox::ChildProcess child_;
};

}  // namespace

sandbox::SandboxResult<std::unique_ptr<HostKernelPeer>> HostKernelPeer::Create(std::string device) {
  auto ns = sandbox::NetNamespace::Create();
  if (!ns) return MakeUnexpected(ns.error());
  std::unique_ptr<HostKernelPeer> peer(new HostKernelPeer(std::move(*ns), std::move(device)));
  if (auto st = sandbox::LoopbackUp(peer->ns_); !st.ok()) return MakeUnexpected(st.error());
  return peer;
}

sandbox::SandboxStatus HostKernelPeer::Reset() {
  auto ns = sandbox::NetNamespace::Create();
  if (!ns) return MakeUnexpected(ns.error());
  ns_ = std::move(*ns);
  return sandbox::LoopbackUp(ns_);
}

sandbox::SandboxResult<std::string> HostKernelPeer::KernelRelease() {
  auto r = sandbox::RunCommand(ns_, {"uname", "-r"}, 3s);
  if (!r) return MakeUnexpected(r.error());
  std::string release = r->out;
  while (!release.empty() && release.back() == '\n') release.pop_back();
  return release;
}

sandbox::SandboxStatus HostKernelPeer::Cable(const sandbox::NetNamespace& link_ns,
                                             const std::string& link_device) {
  if (auto st = sandbox::AddVethPair(ns_, device_, link_ns, link_device); !st.ok()) return st;
  (void)sandbox::DisableOffloads(ns_, device_);
  (void)sandbox::DisableOffloads(link_ns, link_device);
  // Frames the link's middlebox copies reach the far end without the sender's offload state:
  // their TCP checksums must be complete on the wire.
  return sandbox::RunChecked(ns_, {"ethtool", "-K", device_, "tx", "off"});
}

sandbox::SandboxStatus HostKernelPeer::Run(const Argv& argv) {
  return sandbox::RunChecked(ns_, argv);
}

sandbox::SandboxResult<std::unique_ptr<PeerJob>> HostKernelPeer::Start(
    const Argv& argv, const std::string& log_path) {
  if (argv.empty()) {
    return MakeUnexpected(SandboxError{SandboxErrorCode::kInvalidArgument, "empty command"});
  }
  auto child = sandbox::SpawnInNamespace(ns_, [argv, log_path] {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) return 126;
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    return 127;
  });
  if (!child) return MakeUnexpected(child.error());
  return std::unique_ptr<PeerJob>(new HostJob(std::move(*child)));
}

sandbox::SandboxResult<std::unique_ptr<InteropPeer>> MakePeer(const PeerOptions& options) {
  if (options.name == "host") {
    auto peer = HostKernelPeer::Create(options.device);
    if (!peer) return MakeUnexpected(peer.error());
    return std::unique_ptr<InteropPeer>(std::move(*peer));
  }
  if (options.name == "vm") {
    if (options.kernel.empty()) {
      return MakeUnexpected(SandboxError{SandboxErrorCode::kInvalidArgument,
                                         "peer vm: no kernel (--vm-kernel)"});
    }
    auto peer = VmKernelPeer::Create(options);
    if (!peer) return MakeUnexpected(peer.error());
    return std::unique_ptr<InteropPeer>(std::move(*peer));
  }
  return MakeUnexpected(SandboxError{SandboxErrorCode::kInvalidArgument,
                                     "unknown peer " + options.name + " (known: host, vm)"});
}

}  // namespace mpdrill::tests
