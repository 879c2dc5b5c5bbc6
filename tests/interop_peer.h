// The two ends of an interop cell (docs/interop.md): an MPTCP implementation the matrix
// drives without knowing what it is. A peer has a stack with one device on the test link,
// runs configuration commands where its stack is (sysctl, `ip mptcp endpoint`), and starts the
// traffic program there (tests/interop_endpoint.py).
//
// HostKernelPeer is the running kernel in a private network namespace of its own. A VM
// kernel peer plugs in through the same interface (docs/interop.md, "Adding a peer"): its
// Cable bridges the guest's tap (`mpdrill vm --tap`) to the link, Run and Start go through
// `mpdrill agent` in the guest.
#ifndef MPDRILL_TESTS_INTEROP_PEER_H_
#define MPDRILL_TESTS_INTEROP_PEER_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_error.h"

namespace mpdrill::tests {

using Argv = std::vector<std::string>;

// A traffic program a peer started; its output goes to the log file given to Start.
class PeerJob {
 public:
  virtual ~PeerJob() = default;
  // The exit code, waiting at most `timeout` (then the program is stopped: kTimeout).
  virtual sandbox::SandboxResult<int> Wait(std::chrono::milliseconds timeout) = 0;
};

class InteropPeer {
 public:
  virtual ~InteropPeer() = default;
  // "host": the matrix's row and column names.
  virtual std::string Name() const = 0;
  // The kernel release the stack runs (uname -r there).
  virtual sandbox::SandboxResult<std::string> KernelRelease() = 0;
  // The device the stack sends and receives on (configure addresses on it).
  virtual std::string StackDevice() const = 0;
  // Before each cell: the stack as new (no addresses, no endpoints, MPTCP on) and cabled
  // to nothing.
  virtual sandbox::SandboxStatus Reset() = 0;
  // Connects the stack's device to a new device `link_device` in `link_ns` (the link's
  // middle, where the matrix captures), up, with segmentation and checksum offloads off at
  // the stack's end so what is captured is what is on the wire.
  virtual sandbox::SandboxStatus Cable(const sandbox::NetNamespace& link_ns,
                                       const std::string& link_device) = 0;
  // Runs a command where the stack is; a non-zero exit is an error with its stderr.
  virtual sandbox::SandboxStatus Run(const Argv& argv) = 0;
  // Starts a program where the stack is, its stdout and stderr to `log_path` (a file on
  // this machine).
  virtual sandbox::SandboxResult<std::unique_ptr<PeerJob>> Start(const Argv& argv,
                                                                 const std::string& log_path) = 0;
};

// The running kernel in a private network namespace created here (kPermission without root).
class HostKernelPeer final : public InteropPeer {
 public:
  static sandbox::SandboxResult<std::unique_ptr<HostKernelPeer>> Create(std::string device);

  std::string Name() const override { return "host"; }
  sandbox::SandboxResult<std::string> KernelRelease() override;
  std::string StackDevice() const override { return device_; }
  // A new namespace: the previous one goes, and its link with it.
  sandbox::SandboxStatus Reset() override;
  sandbox::SandboxStatus Cable(const sandbox::NetNamespace& link_ns,
                               const std::string& link_device) override;
  sandbox::SandboxStatus Run(const Argv& argv) override;
  sandbox::SandboxResult<std::unique_ptr<PeerJob>> Start(const Argv& argv,
                                                         const std::string& log_path) override;

 private:
  HostKernelPeer(sandbox::NetNamespace ns, std::string device)
      : ns_(std::move(ns)), device_(std::move(device)) {}
  sandbox::NetNamespace ns_;
  std::string device_;
};

struct PeerOptions {
  std::string name;    // "host" or "vm"
  std::string device;  // host: the stack's device in its namespace ("c0", "s0")
  // vm: the guest (tests/interop_vm_peer.h)
  std::string mpdrill;      // the mpdrill binary
  std::string kernel;       // a kernel image or Debian linux-image package
  std::string cache_dir;    // mpdrill vm --cache
  std::string work_dir;     // the peer's own files (the VM's console, its agent's token)
  std::string shared_dir;   // the VM's working directory, shared read-write with the guest:
                            // the cells' directories are in it
  int control_port = 7420;  // the agent's port (in the VM's own namespace)
};

// The peers the matrix knows by name: "host" (HostKernelPeer), "vm" (VmKernelPeer).
// kInvalidArgument for an unknown name or a vm without a kernel.
sandbox::SandboxResult<std::unique_ptr<InteropPeer>> MakePeer(const PeerOptions& options);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_INTEROP_PEER_H_
