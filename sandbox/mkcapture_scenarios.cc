#include "sandbox/mkcapture_scenarios.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>
#include <chrono>
#include <thread>

#include "sandbox/live_capture.h"
#include "sandbox/mkcapture_traffic.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/topology.h"

namespace mpdrill::mkcapture {
namespace {

using sandbox::NetNamespace;
using sandbox::SandboxError;
using sandbox::SandboxErrorCode;
using sandbox::SandboxResult;
using sandbox::SandboxStatus;
using std::chrono::milliseconds;

constexpr std::array<Scenario, 6> kScenarios = {{
    {"basic-v4",
     "MP_CAPABLE, data both ways, MP_JOIN (subflow endpoint), ADD_ADDR + echo, MP_PRIO, "
     "REMOVE_ADDR, DATA_FIN close; IPv4",
     Family::kIpv4, false, CloseKind::kDataFin},
    {"basic-v6", "basic-v4 over IPv6", Family::kIpv6, false, CloseKind::kDataFin},
    {"checksum-v4", "basic-v4 with net.mptcp.checksum_enabled=1 (DSS checksums, MP_CAPABLE A)",
     Family::kIpv4, true, CloseKind::kDataFin},
    {"checksum-v6", "checksum-v4 over IPv6", Family::kIpv6, true, CloseKind::kDataFin},
    {"fastclose-v4",
     "basic-v4, but the client closes abortively (SO_LINGER 0): MP_FASTCLOSE, MP_TCPRST",
     Family::kIpv4, false, CloseKind::kFastclose},
    {"fastclose-v6", "fastclose-v4 over IPv6", Family::kIpv6, false, CloseKind::kFastclose},
}};

constexpr std::uint16_t kPort = 8080;
constexpr milliseconds kAnswerTimeout(5000);
constexpr milliseconds kChildTimeout(5000);
constexpr milliseconds kSettle(60);  // lets a PM command's option reach the wire

// Closes on destruction: every early return releases its pipes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A pipe as two owned ends.
SandboxStatus MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Unexpected{sandbox::ErrnoError("pipe2", errno)};
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return Ok{};
}

class Log {
 public:
  explicit Log(std::ostream* os) : os_(os) {}
  void operator()(const std::string& line) const {
    if (os_ != nullptr) *os_ << "mkcapture: " << line << "\n";
  }

 private:
  std::ostream* os_;
};

SandboxStatus Check(SandboxStatus s, const std::string& step) {
  if (!s) return Unexpected{SandboxError{s.error().code, step + ": " + s.error().message}};
  return s;
}

SandboxStatus SetUpTopology(const NetNamespace& client, const NetNamespace& server,
                            const Scenario& sc, const Topology& t) {
  const std::string plen = "/" + std::to_string(t.prefix);
  for (const NetNamespace* ns : {&client, &server}) {
    if (auto s = sandbox::LoopbackUp(*ns); !s) return s;
    if (auto s = sandbox::SetSysctl(*ns, "net.mptcp.enabled", "1"); !s) return s;
    if (auto s = sandbox::SetSysctl(*ns, "net.mptcp.checksum_enabled", sc.checksum ? "1" : "0");
        !s) {
      return s;
    }
    // A subflow from one subnet's address to the other's arrives on the "wrong" link.
    for (const char* key : {"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"}) {
      if (auto s = sandbox::SetSysctl(*ns, key, "0"); !s) return s;
    }
  }
  for (int i = 0; i < 2; ++i) {
    const std::string c = "c-eth" + std::to_string(i);
    const std::string s = "s-eth" + std::to_string(i);
    if (auto st = sandbox::AddVethPair(client, c, server, s); !st) return st;
    if (auto st = sandbox::DisableOffloads(client, c); !st) return st;
    if (auto st = sandbox::DisableOffloads(server, s); !st) return st;
    if (auto st = sandbox::AddAddress(client, c, t.client_ip[i] + plen); !st) return st;
    if (auto st = sandbox::AddAddress(server, s, t.server_ip[i] + plen); !st) return st;
  }
  // Path managers (RFC 8684 §3.4): the client opens a subflow from its second address
  // (MP_JOIN); the server announces its second address (ADD_ADDR), which the client echoes
  // and joins.
  for (const NetNamespace* ns : {&client, &server}) {
    if (auto s = sandbox::Ip(*ns, {"mptcp", "endpoint", "flush"}); !s) return s;
    if (auto s = sandbox::Ip(*ns, {"mptcp", "limits", "set", "subflows", "8", "add_addr_accepted",
                                   "8"});
        !s) {
      return s;
    }
  }
  // The server's signal endpoint comes later (AnnounceServerAddress), once the client has
  // sent its first data: an early ADD_ADDR would make the client fully established before
  // its first data, which then never rides on the 22/24-byte MP_CAPABLE.
  return sandbox::Ip(client, {"mptcp", "endpoint", "add", t.client_ip[1], "dev", "c-eth1", "id",
                              std::to_string(kClientSubflowEndpointId), "subflow"});
}

// ADD_ADDR (RFC 8684 §3.4.1): a signal endpoint added while the connection is up is announced
// to it at once.
SandboxStatus AnnounceServerAddress(const NetNamespace& server, const Topology& t) {
  return sandbox::Ip(server, {"mptcp", "endpoint", "add", t.server_ip[1], "dev", "s-eth1", "id",
                              std::to_string(kServerSignalEndpointId), "signal"});
}

// Sends a control byte to the client and waits for its answer.
SandboxStatus Command(int control_fd, int answer_fd, char cmd) {
  if (write(control_fd, &cmd, 1) != 1) {
    return Unexpected{sandbox::ErrnoError("write to client", errno)};
  }
  char answer = 0;
  auto r = sandbox::ReadWithDeadline(answer_fd, &answer, 1, kAnswerTimeout);
  if (!r) return r;
  if (answer != kAnswerDone) {
    return Unexpected{SandboxError{SandboxErrorCode::kCommandFailed,
                                   std::string("client answer: expected: K actual: ") + answer}};
  }
  return Ok{};
}

}  // namespace

std::span<const Scenario> Scenarios() { return kScenarios; }

const Scenario* FindScenario(std::string_view name) {
  for (const Scenario& s : kScenarios) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Topology TopologyFor(Family family) {
  switch (family) {
    case Family::kIpv4:
      return Topology{{"198.51.100.1", "203.0.113.1"}, {"198.51.100.2", "203.0.113.2"}, 24};
    case Family::kIpv6:
      return Topology{{"2001:db8:1::1", "2001:db8:2::1"}, {"2001:db8:1::2", "2001:db8:2::2"}, 64};
  }
  return {};
}

SandboxResult<ScenarioReport> RunScenario(const Scenario& sc, const std::string& out_path,
                                          std::ostream* log_stream) {
  const Log log(log_stream);
  const Topology topo = TopologyFor(sc.family);
  auto client_ns = NetNamespace::Create();
  if (!client_ns) return Unexpected{client_ns.error()};
  auto server_ns = NetNamespace::Create();
  if (!server_ns) return Unexpected{server_ns.error()};
  log(std::string(sc.name) + ": namespaces client (holder " +
      std::to_string(client_ns->holder_pid()) + ") and server (holder " +
      std::to_string(server_ns->holder_pid()) + ")");
  if (auto s = Check(SetUpTopology(*client_ns, *server_ns, sc, topo), "topology"); !s) {
    return Unexpected{s.error()};
  }

  auto capture = sandbox::LiveCapture::Start(
      *client_ns, sandbox::CaptureOptions{.out_path = out_path, .max_duration = milliseconds(15000),
                                          .max_packets = 20000});
  if (!capture) return Unexpected{capture.error()};

  TrafficConfig traffic;
  traffic.family = sc.family == Family::kIpv4 ? AF_INET : AF_INET6;
  traffic.server_ip = topo.server_ip[0];
  traffic.port = kPort;

  // server_ready: server -> us; control: us -> client; answer: client -> us.
  Fd ready_r, ready_w, control_r, control_w, answer_r, answer_w;
  for (auto [r, w] : {std::pair{&ready_r, &ready_w}, std::pair{&control_r, &control_w},
                      std::pair{&answer_r, &answer_w}}) {
    if (auto s = MakePipe(r, w); !s) return Unexpected{s.error()};
  }
  auto server = sandbox::SpawnInNamespace(*server_ns, [&] {
    return RunServer(traffic, ready_w.get());
  });
  if (!server) return Unexpected{server.error()};
  ready_w.Reset();
  char byte = 0;
  if (auto r = sandbox::ReadWithDeadline(ready_r.get(), &byte, 1, kAnswerTimeout); !r) {
    return Unexpected{SandboxError{r.error().code, "server start: " + r.error().message}};
  }

  auto client = sandbox::SpawnInNamespace(*client_ns, [&] {
    return RunClient(traffic, control_r.get(), answer_w.get());
  });
  if (!client) return Unexpected{client.error()};
  control_r.Reset();
  answer_w.Reset();
  ScenarioReport report;
  if (auto r = sandbox::ReadWithDeadline(answer_r.get(), &byte, 1, kAnswerTimeout); !r) {
    return Unexpected{SandboxError{r.error().code, "client connect: " + r.error().message}};
  }
  log(std::string(sc.name) + ": connected, first data sent");

  auto step = [&](const std::string& what, SandboxStatus s) -> SandboxStatus {
    if (!s) return Unexpected{SandboxError{s.error().code, what + ": " + s.error().message}};
    log(std::string(sc.name) + ": " + what);
    return s;
  };
  const int ctl = control_w.get();
  const int ans = answer_r.get();
  auto run = [&]() -> SandboxStatus {
    if (auto s = step("endpoint add signal (ADD_ADDR)", AnnounceServerAddress(*server_ns, topo));
        !s) {
      return s;
    }
    if (auto s = Command(ctl, ans, kCmdWaitSubflows); !s) return s;
    char count = 0;
    if (auto s = sandbox::ReadWithDeadline(ans, &count, 1, kAnswerTimeout); !s) return s;
    report.extra_subflows = count;
    log(std::string(sc.name) + ": " + std::to_string(report.extra_subflows) + " extra subflows");
    if (auto s = step("data", Command(ctl, ans, kCmdData)); !s) return s;
    // MP_PRIO (RFC 8684 §3.3.8): mark the client's subflow endpoint backup while it is in use.
    if (auto s = step("endpoint change backup (MP_PRIO)",
                      sandbox::Ip(*client_ns, {"mptcp", "endpoint", "change", "id",
                                               std::to_string(kClientSubflowEndpointId),
                                               "backup"}));
        !s) {
      return s;
    }
    std::this_thread::sleep_for(kSettle);
    if (auto s = step("data", Command(ctl, ans, kCmdData)); !s) return s;
    // REMOVE_ADDR (§3.4.2): the server withdraws the address it announced.
    if (auto s = step("endpoint delete (REMOVE_ADDR)",
                      sandbox::Ip(*server_ns, {"mptcp", "endpoint", "delete", "id",
                                               std::to_string(kServerSignalEndpointId)}));
        !s) {
      return s;
    }
    std::this_thread::sleep_for(kSettle);
    if (auto s = step("data", Command(ctl, ans, kCmdData)); !s) return s;
    switch (sc.close) {
      case CloseKind::kDataFin:
        return step("close (DATA_FIN)", Command(ctl, ans, kCmdClose));
      case CloseKind::kFastclose:
        return step("abortive close (MP_FASTCLOSE)", Command(ctl, ans, kCmdFastclose));
    }
    return Ok{};
  };
  const SandboxStatus ran = run();
  control_w.Reset();
  if (!ran) return Unexpected{ran.error()};

  auto client_code = client->Wait(kChildTimeout);
  auto server_code = server->Wait(kChildTimeout);
  if (!client_code || *client_code != 0 || !server_code || *server_code != 0) {
    return Unexpected{SandboxError{
        SandboxErrorCode::kCommandFailed,
        "traffic: expected: client and server exit 0 actual: client " +
            (client_code ? std::to_string(*client_code) : client_code.error().message) +
            ", server " +
            (server_code ? std::to_string(*server_code) : server_code.error().message)}};
  }
  // Closing handshakes (FIN/ACK, RSTs) are in flight for a moment after the sockets close.
  auto stats = (*capture)->Stop(milliseconds(300));
  if (!stats) return Unexpected{stats.error()};
  report.packets = stats->packets_written;
  report.dropped = stats->dropped_by_kernel;
  log(std::string(sc.name) + ": " + std::to_string(report.packets) + " packets -> " + out_path);
  return report;
}

}  // namespace mpdrill::mkcapture
