#include "tests/interop_vm_peer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/exec.h"
#include "base/files.h"
#include "sandbox/sandbox_test_util.h"
#include "sandbox/topology.h"

namespace mpdrill::tests {
namespace {

using namespace std::chrono_literals;
using sandbox::SandboxError;
using sandbox::SandboxErrorCode;
using Clock = std::chrono::steady_clock;

// The agent listens in the guest on the control NIC, reached through qemu's forwarded port
// from the VM's own namespace only: the token keeps other processes of that namespace out.
constexpr char kToken[] = "mpdrill-interop-matrix-agent-token";
constexpr char kTap[] = "vmtap0";
constexpr char kVeth[] = "v0";
constexpr auto kBootBound = 240s;

SandboxError Error(SandboxErrorCode code, std::string message) {
  return SandboxError{code, std::move(message)};
}

std::string FileText(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  return text ? *text : "";
}

// Whether child `pid` has exited (a zombie not reaped yet, or gone), without reaping it.
bool Exited(pid_t pid) {
  const std::string stat = FileText("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z';
}

// A job in the guest: its exit status lands in LOG.exit (the shared directory), its PID in
// LOG.pid.
class VmJob final : public PeerJob {
 public:
  VmJob(std::string log_path, std::function<void(const std::string&)> kill)
      : log_path_(std::move(log_path)), kill_(std::move(kill)) {}
  sandbox::SandboxResult<int> Wait(std::chrono::milliseconds timeout) override {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      const std::string code = FileText(log_path_ + ".exit");
      if (!code.empty() && code.back() == '\n') return std::atoi(code.c_str());
      std::this_thread::sleep_for(50ms);
    }
    kill_(FileText(log_path_ + ".pid"));
    return MakeUnexpected(Error(SandboxErrorCode::kTimeout, "guest job " + log_path_ + " ran on"));
  }

 private:
  std::string log_path_;
  std::function<void(const std::string&)> kill_;
};

}  // namespace

sandbox::SandboxResult<std::unique_ptr<VmKernelPeer>> VmKernelPeer::Create(
    const PeerOptions& options) {
  auto ns = sandbox::NetNamespace::Create();
  if (!ns) return MakeUnexpected(ns.error());
  std::unique_ptr<VmKernelPeer> peer(new VmKernelPeer(std::move(*ns), options));
  const std::string token = options.work_dir + "/vm-token";
  const std::string out = options.work_dir + "/vm.out";
  if (auto st = WriteFile(token, kToken, 0600); !st.ok()) {
    return MakeUnexpected(Error(SandboxErrorCode::kSyscall, st.error()));
  }
  const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) return MakeUnexpected(sandbox::ErrnoError(out, errno));
  const std::string port = std::to_string(options.control_port);
  auto vm = sandbox::test_util::SpawnProgramInNamespace(
      peer->ns_,
      {options.mpdrill, "vm", "--kernel", options.kernel, "--cache", options.cache_dir, "--tap",
       kTap, "--control-port", port, "--", options.mpdrill, "agent", "--listen",
       "10.0.2.15:" + port, "--token", token, "--wait", "300"},
      out_fd, options.work_dir + "/vm.err", options.shared_dir);
  close(out_fd);
  if (!vm) return MakeUnexpected(vm.error());
  peer->vm_.emplace(std::move(*vm));
  const auto until = Clock::now() + kBootBound;
  while (FileText(out).find("mpdrill agent: listening on") == std::string::npos) {
    if (Clock::now() > until || Exited(peer->vm_->pid())) {
      return MakeUnexpected(Error(SandboxErrorCode::kTimeout,
                                  "vm: no agent: " + FileText(options.work_dir + "/vm.err")));
    }
    std::this_thread::sleep_for(100ms);
  }
  for (const Argv& argv : std::vector<Argv>{{"ip", "link", "add", "br0", "type", "bridge"},
                                            {"ip", "link", "set", kTap, "master", "br0"},
                                            {"ip", "link", "set", "br0", "up"}}) {
    if (auto st = sandbox::RunChecked(peer->ns_, argv); !st.ok()) return MakeUnexpected(st.error());
  }
  {
    auto enter = sandbox::ScopedNetnsEnter::Enter(peer->ns_);
    if (!enter) return MakeUnexpected(enter.error());
    auto client = agent::AgentClient::Connect(
        "127.0.0.1:" + port,
        std::vector<std::uint8_t>(kToken, kToken + sizeof(kToken) - 1), 20s);
    if (!client) {
      return MakeUnexpected(
          Error(SandboxErrorCode::kCommandFailed, "vm agent: " + agent::ClientErrorText(client.error())));
    }
    peer->agent_ = std::move(*client);
  }
  return peer;
}

VmKernelPeer::~VmKernelPeer() {
  if (agent_) {
    (void)agent_->Shutdown();
    agent_.reset();
  }
  if (vm_) (void)vm_->Wait(60s);
}

sandbox::SandboxResult<agent::CommandReply> VmKernelPeer::Shell(const std::string& command,
                                                                std::uint32_t timeout_ms) {
  auto reply = agent_->Command({command, {}, "", timeout_ms});
  if (!reply) {
    return MakeUnexpected(Error(SandboxErrorCode::kCommandFailed,
                                "vm: " + command + ": " + agent::ClientErrorText(reply.error())));
  }
  return *reply;
}

sandbox::SandboxResult<std::string> VmKernelPeer::KernelRelease() {
  auto reply = Shell("uname -r");
  if (!reply) return MakeUnexpected(reply.error());
  std::string release = reply->output;
  while (!release.empty() && release.back() == '\n') release.pop_back();
  return release;
}

sandbox::SandboxStatus VmKernelPeer::Run(const Argv& argv) { return RunShell(CommandLine(argv)); }

sandbox::SandboxStatus VmKernelPeer::RunShell(const std::string& command) {
  auto reply = Shell(command);
  if (!reply) return MakeUnexpected(reply.error());
  if (reply->exit_code != 0) {
    return MakeUnexpected(Error(SandboxErrorCode::kCommandFailed,
                                "vm: " + command + ": exit " + std::to_string(reply->exit_code) +
                                    ": " + reply->output));
  }
  return Ok{};
}

sandbox::SandboxStatus VmKernelPeer::Reset() {
  (void)sandbox::RunCommand(ns_, {"ip", "link", "del", kVeth}, 3s);
  return RunShell(
      // The neighbour caches too: the host peer is a new namespace (new MACs, the same
      // addresses) in every cell.
      "ip addr flush dev eth0 && ip -4 neigh flush dev eth0 && ip -6 neigh flush dev eth0 && "
      "ip mptcp endpoint flush && "
      "sysctl -q -w net.mptcp.enabled=1 net.mptcp.checksum_enabled=0 && ip link set eth0 up");
}

sandbox::SandboxStatus VmKernelPeer::Cable(const sandbox::NetNamespace& link_ns,
                                           const std::string& link_device) {
  if (auto st = sandbox::AddVethPair(ns_, kVeth, link_ns, link_device); !st.ok()) return st;
  if (auto st = sandbox::RunChecked(ns_, {"ip", "link", "set", kVeth, "master", "br0"}); !st.ok()) {
    return st;
  }
  (void)sandbox::DisableOffloads(ns_, kVeth);
  (void)sandbox::DisableOffloads(link_ns, link_device);
  // As for a host peer: complete TCP checksums and wire-sized segments from the guest
  // (virtio-net negotiates checksum offload and GSO with qemu).
  return Run({"ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off"});
}

sandbox::SandboxResult<std::unique_ptr<PeerJob>> VmKernelPeer::Start(
    const Argv& argv, const std::string& log_path) {
  std::error_code ec;
  std::filesystem::remove(log_path + ".exit", ec);
  // Detached, so the agent's command returns at once; the exit status is written last.
  const std::string job = "(" + CommandLine(argv) + " >" + log_path + " 2>&1; echo $? >" +
                          log_path + ".exit.tmp; mv " + log_path + ".exit.tmp " + log_path +
                          ".exit) </dev/null >/dev/null 2>&1 & echo $! >" + log_path + ".pid";
  if (auto st = RunShell(job); !st.ok()) return MakeUnexpected(st.error());
  return std::unique_ptr<PeerJob>(new VmJob(log_path, [this](const std::string& pid) {
    if (!pid.empty()) (void)Shell("kill " + std::to_string(std::atoi(pid.c_str())));
  }));
}

}  // namespace mpdrill::tests
