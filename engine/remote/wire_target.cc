#include "engine/remote/wire_target.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "engine/agent/auth.h"
#include "engine/agent/channel.h"
#include "engine/run/runner.h"
#include "engine/run/wire.h"
#include "engine/wire/link_packet_io.h"
#include "engine/wire/transport.h"

namespace mpdrill::remote {
namespace {

constexpr std::uint32_t kSetupTimeoutMs = 30000;
// Inbound connections of run N start at port kFirstPort + (N mod kPortSlots) * kPortStride:
// a run never meets the sockets an earlier run left in TIME_WAIT or retransmitting.
constexpr std::uint16_t kFirstPort = 40000;
constexpr std::uint32_t kPortSlots = 300;
constexpr std::uint32_t kPortStride = 80;

WireError Env(std::string message) {
  return WireError{WireErrorKind::kEnvironment, std::move(message)};
}

// Shell commands of a run, on the target.
class AgentCommands final : public run::CommandRunner {
 public:
  explicit AgentCommands(agent::AgentClient& agent) : agent_(agent) {}
  run::ExecResult Run(const std::string& command, const std::vector<std::string>& env,
                      const std::string& cwd, std::chrono::milliseconds timeout) override {
    agent::CommandRequest req;
    req.command = command;
    req.env = env;
    req.cwd = cwd;
    req.timeout_ms = static_cast<std::uint32_t>(timeout.count());
    run::ExecResult out;
    auto r = agent_.Command(req);
    if (!r) {
      out.output = "agent: " + agent::ClientErrorText(r.error());
      return out;
    }
    out.exit_code = r->exit_code;
    out.timed_out = r->timed_out;
    out.output = std::move(r->output);
    return out;
  }

 private:
  agent::AgentClient& agent_;
};

// One run on its own thread; an eventfd says when it ended.
class WireRun final : public run::RunHandle {
 public:
  WireRun(const run::IsolatedRun& run, agent::AgentClient& agent, std::string interface,
          std::string target_dev, std::uint16_t first_port)
      : run_(run), agent_(agent), interface_(std::move(interface)),
        target_dev_(std::move(target_dev)), first_port_(first_port) {
    start_ms_ = MonotonicNowMs();
    deadline_ms_ = start_ms_ + run.deadline.count();
    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    thread_ = std::thread([this] { Execute(); });
  }
  ~WireRun() override {
    if (thread_.joinable()) {
      Stop("run ended by the suite");
      thread_.join();
    }
    if (event_fd_ >= 0) close(event_fd_);
  }

  int report_fd() const override { return finished_ ? -1 : event_fd_; }
  int pid_fd() const override { return -1; }
  bool Poll() override {
    if (finished_) return true;
    if (!done_.load()) {
      if (!deadline_hit_ && MonotonicNowMs() > deadline_ms_) {
        deadline_hit_ = true;
        Stop("run stopped at its deadline");
      }
      return false;
    }
    thread_.join();
    finished_ = true;
    result_.seconds = static_cast<double>(MonotonicNowMs() - start_ms_) / 1000.0;
    if (deadline_hit_ && result_.report.verdict == run::Verdict::kPass) {
      result_.report.verdict = run::Verdict::kFail;
      result_.report.failure_class = run::FailureClass::kSemantic;
    }
    if (deadline_hit_) {
      result_.report.first_error = run_.script_path + ": run stopped at its deadline of " +
                                   std::to_string(run_.deadline.count() / 1000.0) + " s";
    }
    if (result_.interrupted) {
      result_.report.verdict = run::Verdict::kFail;
      result_.report.failure_class = run::FailureClass::kSemantic;
      result_.report.first_error = run_.script_path + ": interrupted";
    }
    return true;
  }
  void Interrupt() override {
    if (finished_) return;
    result_.interrupted = true;
    Stop("interrupted");
  }
  const run::IsolatedResult& result() const override { return result_; }

 private:
  // The runner ends at its next packet step (the link fails) or when a blocked call returns
  // (the agent closes the run's sockets).
  void Stop(const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = why;
      if (io_) io_->Abort("run stopped: " + why);
    }
    agent_.CloseAll();
  }

  void Finish(run::RunReport report) {
    result_.report = std::move(report);
    done_.store(true);
    const std::uint64_t one = 1;
    if (write(event_fd_, &one, sizeof(one)) < 0) {
      // Poll() sees done_ on its next tick anyway.
    }
  }

  run::RunReport EnvironmentReport(const std::string& what) const {
    run::RunReport r;
    r.verdict = run::Verdict::kEnvironment;
    r.first_error = run_.script_path + ": " + what;
    return r;
  }

  void Execute() {
    const run::RunConfig& config = run_.config;
    if (auto s = agent_.FreshNetns(target_dev_, LinkSetupFor(config)); !s) {
      return Finish(EnvironmentReport("target set-up: " + agent::ClientErrorText(s.error())));
    }
    // What the target's kernel logged since the previous run (its cleanup included) is not
    // this run's; what it logs from here on is.
    auto before = agent_.KernelLog();
    if (before) {
      result_.target_log_read = true;
      result_.target_log_before = std::move(*before);
    }
    if (auto s = agent_.SetContext(run::SyscallContextFor(config)); !s) {
      return Finish(EnvironmentReport("agent: " + agent::ClientErrorText(s.error())));
    }
    auto transport = wire::PcapTransport::Open(interface_);
    if (!transport) return Finish(EnvironmentReport("wire:" + interface_ + ": " + transport.error()));
    wire::LinkConfig link;
    link.own_mac = (*transport)->mac();
    const bool v6 = config.wire_ipv6();
    for (const std::string& a : {config.remote_ip, config.gateway_ip}) {
      if (auto ip = run::ParseAddress(a, v6)) link.own_addresses.push_back(*ip);
    }
    run::MonotonicClock clock;
    std::unique_ptr<run::PcapRecorder> recorder;
    if (!run_.pcap_path.empty()) {
      if (auto r = run::PcapRecorder::Open(run_.pcap_path)) recorder = std::move(r.value());
    }
    std::unique_ptr<run::ModelMonitor> model;
    if (config.model_mode != run::ModelMode::kOff) model = std::make_unique<run::ModelMonitor>();
    std::vector<run::WireTap*> taps;
    if (recorder) taps.push_back(recorder.get());
    if (model) taps.push_back(model.get());
    auto io = std::make_unique<wire::LinkPacketIo>(std::move(*transport), clock, taps, link);
    {
      std::lock_guard<std::mutex> lock(mu_);
      io_ = io.get();
      if (stopped_) io_->Abort("run stopped: " + *stopped_);
    }
    AgentCommands commands(agent_);
    run::RunnerContext ctx;
    ctx.script_path = run_.script_path;
    std::error_code ec;
    const auto dir = std::filesystem::absolute(run_.script_path, ec).parent_path();
    ctx.script_dir = dir.empty() ? "." : dir.string();
    ctx.clock = &clock;
    ctx.io = io.get();
    ctx.model = model.get();
    ctx.syscalls = &agent_;
    ctx.commands = &commands;
    ctx.first_remote_port = first_port_;
    ctx.link_name = "wire:" + interface_;
    run::RunReport report = run::RunScript(*run_.script, config, ctx);
    if (result_.target_log_read) {
      if (auto during = agent_.KernelLog()) result_.target_log = std::move(*during);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      io_ = nullptr;
    }
    io.reset();
    Finish(std::move(report));
  }

  const run::IsolatedRun run_;
  agent::AgentClient& agent_;
  const std::string interface_;
  const std::string target_dev_;
  const std::uint16_t first_port_;
  std::int64_t start_ms_ = 0, deadline_ms_ = 0;
  int event_fd_ = -1;
  std::atomic<bool> done_{false};
  bool finished_ = false, deadline_hit_ = false;
  std::mutex mu_;  // io_, stopped_
  wire::LinkPacketIo* io_ = nullptr;
  std::optional<std::string> stopped_;
  run::IsolatedResult result_;
  std::thread thread_;
};

// "203.0.113.2:7000" -> "203.0.113.2"; "[2001:db8::2]:7000" -> "2001:db8::2".
std::string HostOf(const std::string& endpoint) {
  std::string host = endpoint.substr(0, endpoint.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

Result<std::string, WireError> ChooseTargetDevice(const std::vector<agent::InterfaceInfo>& ifs,
                                                  const std::string& wanted,
                                                  const std::string& agent_address) {
  std::vector<std::string> names, candidates;
  for (const agent::InterfaceInfo& i : ifs) {
    names.push_back(i.name);
    if (!wanted.empty()) {
      if (i.name == wanted) return i.name;
      continue;
    }
    const bool has_mac = i.mac != std::array<std::uint8_t, 6>{};
    bool control = false;
    for (const agent::InterfaceAddress& a : i.addresses) control |= a.address == agent_address;
    if (i.name != "lo" && has_mac && !control) candidates.push_back(i.name);
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? std::string("none") : out;
  };
  if (!wanted.empty()) {
    return Unexpected{Env("--target-dev " + wanted + ": the target has no such interface (it has " +
                          list(names) + ")")};
  }
  if (candidates.size() == 1) return candidates.front();
  return Unexpected{Env("cannot tell which of the target's interfaces faces wire link (candidates: " +
                        list(candidates) + "): name it with --target-dev")};
}

Result<std::unique_ptr<WireTarget>, WireError> WireTarget::Open(const WireOptions& options) {
  if (options.interface.empty()) {
    return Unexpected{WireError{WireErrorKind::kUsage, "--target=wire: needs an interface"}};
  }
  if (options.agent_endpoint.empty() || options.token_path.empty()) {
    return Unexpected{WireError{WireErrorKind::kUsage,
                                "--target=wire: needs --agent ADDR:PORT and --agent-token FILE "
                                "(the script's syscalls run on the target: docs/agent.md)"}};
  }
  if (auto e = agent::ParseEndpoint(options.agent_endpoint); !e) {
    return Unexpected{WireError{WireErrorKind::kUsage, "--agent: " + e.error()}};
  }
  auto token = agent::LoadToken(options.token_path);
  if (!token) return Unexpected{WireError{WireErrorKind::kUsage, "--agent-token: " + token.error()}};
  // The device must exist here before anything happens on the target.
  if (auto mac = wire::DeviceMac(options.interface); !mac) {
    return Unexpected{Env("wire:" + options.interface + ": " + mac.error())};
  }
  std::unique_ptr<WireTarget> t(new WireTarget());
  t->options_ = options;
  auto client = agent::AgentClient::Connect(options.agent_endpoint, *token, options.connect_timeout);
  if (!client) {
    return Unexpected{Env("agent " + options.agent_endpoint + ": " +
                          agent::ClientErrorText(client.error()))};
  }
  t->agent_ = std::move(*client);
  auto ifs = t->agent_->Interfaces();
  if (!ifs) return Unexpected{Env("agent: " + agent::ClientErrorText(ifs.error()))};
  auto dev = ChooseTargetDevice(*ifs, options.target_dev, HostOf(options.agent_endpoint));
  if (!dev) return Unexpected{dev.error()};
  t->dev_ = *dev;
  agent::CommandRequest req;
  req.command = SessionSetupScript(t->dev_);
  req.timeout_ms = kSetupTimeoutMs;
  auto setup = t->agent_->Command(req);
  if (!setup) return Unexpected{Env("agent: " + agent::ClientErrorText(setup.error()))};
  if (setup->exit_code != 0) {
    return Unexpected{Env("target set-up failed (exit " + std::to_string(setup->exit_code) +
                          "): " + setup->output)};
  }
  std::string kernel = setup->output;
  while (!kernel.empty() && (kernel.back() == '\n' || kernel.back() == ' ')) kernel.pop_back();
  t->description_ = "wire:" + options.interface + " -> agent " + options.agent_endpoint +
                    ", device " + t->dev_ + ", kernel " + kernel;
  return t;
}

WireTarget::~WireTarget() {
  if (agent_) (void)agent_->Shutdown();
}

std::unique_ptr<run::RunHandle> WireTarget::Start(const run::IsolatedRun& run) {
  run::RunConfig config = run.config;
  config.local_dev = dev_;
  run::IsolatedRun r = run;
  r.config = config;
  const auto port = static_cast<std::uint16_t>(kFirstPort + (runs_++ % kPortSlots) * kPortStride);
  return std::make_unique<WireRun>(r, *agent_, options_.interface, dev_, port);
}

}  // namespace mpdrill::remote
