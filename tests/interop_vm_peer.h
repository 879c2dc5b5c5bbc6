// A kernel in a VM as an interop peer (docs/interop.md, "Peers"): `mpdrill vm --tap
// --control-port` boots it in a private network namespace of its own, with `mpdrill agent`
// as the guest's command; the peer's commands and traffic program run in the guest through
// the agent. The guest's eth0 is the stack's device; its tap sits in a kernel bridge of the
// VM's namespace, and each cell's Cable adds a veth from that bridge to the link.
//
// The traffic program's output: the VM's working directory (the matrix's output directory)
// is shared read-write with the guest at the same path, so a guest job writes its log where
// the matrix reads it.
#ifndef MPDRILL_TESTS_INTEROP_VM_PEER_H_
#define MPDRILL_TESTS_INTEROP_VM_PEER_H_

#include <memory>
#include <optional>
#include <string>

#include "engine/agent/client.h"
#include "tests/interop_peer.h"

namespace mpdrill::tests {

class VmKernelPeer final : public InteropPeer {
 public:
  // Boots the guest (bounded: 240 s) and connects to its agent.
  static sandbox::SandboxResult<std::unique_ptr<VmKernelPeer>> Create(const PeerOptions& options);
  ~VmKernelPeer() override;  // shuts the agent down (the guest and qemu end with it)

  std::string Name() const override { return "vm"; }
  sandbox::SandboxResult<std::string> KernelRelease() override;
  std::string StackDevice() const override { return "eth0"; }
  sandbox::SandboxStatus Reset() override;
  sandbox::SandboxStatus Cable(const sandbox::NetNamespace& link_ns,
                               const std::string& link_device) override;
  sandbox::SandboxStatus Run(const Argv& argv) override;
  sandbox::SandboxResult<std::unique_ptr<PeerJob>> Start(const Argv& argv,
                                                         const std::string& log_path) override;

 private:
  VmKernelPeer(sandbox::NetNamespace ns, PeerOptions options)
      : ns_(std::move(ns)), options_(std::move(options)) {}
  sandbox::SandboxResult<agent::CommandReply> Shell(const std::string& command,
                                                    std::uint32_t timeout_ms = 10000);
  // A shell command in the guest; a non-zero exit is kCommandFailed with its output.
  sandbox::SandboxStatus RunShell(const std::string& command);

  sandbox::NetNamespace ns_;
  PeerOptions options_;
  std::optional<sandbox::ChildProcess> vm_;
  std::unique_ptr<agent::AgentClient> agent_;
};

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_INTEROP_VM_PEER_H_
