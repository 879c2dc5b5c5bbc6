#include "tests/check_scenarios.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "sandbox/live_capture.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"
#include "sandbox/topology.h"
#include "tests/corrupting_bridge.h"

namespace mpdrill::tests {
namespace {

using namespace std::chrono_literals;

constexpr int kIpprotoMptcp = 262;
// kFallbackToTcp: both on the loopback of one namespace.
constexpr char kLoServer[] = "198.51.100.2";
constexpr char kLoClient[] = "198.51.100.1";
// kLoss: client - router - server, the router's egress queues small enough to drop.
constexpr char kClient[] = "198.51.100.1";
constexpr char kClientSecond[] = "198.51.100.3";
constexpr char kRouterClientSide[] = "198.51.100.254";
constexpr char kRouterServerSide[] = "203.0.113.254";
constexpr char kServer[] = "203.0.113.2";
// kCorruption*: client and server on one subnet, the middlebox bridging between them.
constexpr char kBridgedServer[] = "198.51.100.2";
constexpr std::uint16_t kPort = 8080;
constexpr auto kDeadline = 15s;

// kCorruption* over IPv6: the same subnet layout in 2001:db8:1::/64.
constexpr char kClient6[] = "2001:db8:1::1";
constexpr char kClientSecond6[] = "2001:db8:1::3";
constexpr char kBridgedServer6[] = "2001:db8:1::2";

// An IPv4 or IPv6 socket address, by the form of `ip`.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SocketAddress Address(const char* ip, std::uint16_t port) {
  SocketAddress a;
  a.family = std::strchr(ip, ':') != nullptr ? AF_INET6 : AF_INET;
  sandbox::test_util::FillAddress(a.family, ip, port, &a.storage, &a.length);
  return a;
}

bool Expired(std::chrono::steady_clock::time_point start) {
  return std::chrono::steady_clock::now() - start > kDeadline;
}

// Waits until `fd` is readable (or writable) or the deadline passes.
bool WaitFd(int fd, short events, std::chrono::steady_clock::time_point start) {
  while (!Expired(start)) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, 200);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
  return false;
}

// Server: accept one connection, echo everything until EOF, close. Exit code 0 on success.
int Serve(const char* address, int protocol, int ready_fd) {
  const auto start = std::chrono::steady_clock::now();
  const SocketAddress a = Address(address, kPort);
  const int ls = socket(a.family, SOCK_STREAM, protocol);
  if (ls < 0) return 10;
  const int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(ls, a.get(), a.length) != 0) return 11;
  if (listen(ls, 4) != 0) return 12;
  const char ready = 'R';
  if (write(ready_fd, &ready, 1) != 1) return 19;
  if (!WaitFd(ls, POLLIN, start)) return 13;
  const int c = accept(ls, nullptr, nullptr);
  if (c < 0) return 14;
  std::vector<char> buf(16384);
  for (;;) {
    if (!WaitFd(c, POLLIN, start)) return 15;
    const ssize_t n = read(c, buf.data(), buf.size());
    if (n < 0) return 16;
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      if (!WaitFd(c, POLLOUT, start)) return 17;
      const ssize_t w = write(c, buf.data() + off, static_cast<std::size_t>(n - off));
      if (w <= 0) return 18;
      off += w;
    }
  }
  close(c);
  close(ls);
  return 0;
}

// Client: MPTCP socket, sends `total` bytes in chunks, reads the echo, shuts down, reads EOF.
int Client(const char* local_address, const char* server_address, std::uint64_t total) {
  const auto start = std::chrono::steady_clock::now();
  int s = -1;
  const SocketAddress server = Address(server_address, kPort);
  for (;;) {  // the server may not listen yet: retry, bounded
    s = socket(server.family, SOCK_STREAM, kIpprotoMptcp);
    if (s < 0) return 20;
    const SocketAddress local = Address(local_address, 0);
    if (bind(s, local.get(), local.length) != 0) return 21;
    if (connect(s, server.get(), server.length) == 0) break;
    close(s);
    if (Expired(start)) return 22;
    std::this_thread::sleep_for(20ms);
  }
  std::vector<char> chunk(1400);
  for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>('a' + i % 26);
  std::vector<char> in(16384);
  std::uint64_t sent = 0, received = 0;
  while (received < total) {
    if (Expired(start)) return 23;
    pollfd p{s, static_cast<short>(POLLIN | (sent < total ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 200) < 0 && errno != EINTR) return 24;
    if ((p.revents & POLLOUT) && sent < total) {
      const std::size_t n = std::min<std::uint64_t>(chunk.size(), total - sent);
      const ssize_t w = write(s, chunk.data(), n);
      if (w < 0) return 25;
      sent += static_cast<std::uint64_t>(w);
      // Slowly at first (the path manager adds the second subflow), then as fast as it goes.
      if (sent < 20 * chunk.size()) std::this_thread::sleep_for(2ms);
    }
    if (p.revents & POLLIN) {
      const ssize_t r = read(s, in.data(), in.size());
      if (r <= 0) return 26;
      received += static_cast<std::uint64_t>(r);
    }
  }
  shutdown(s, SHUT_WR);
  for (;;) {
    if (!WaitFd(s, POLLIN, start)) return 27;
    const ssize_t r = read(s, in.data(), in.size());
    if (r == 0) break;
    if (r < 0) return 28;
  }
  close(s);
  return 0;
}

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

using Argv = std::vector<std::string>;

std::string RunAll(const sandbox::NetNamespace& ns, const std::vector<Argv>& commands) {
  for (const Argv& argv : commands) {
    if (auto st = sandbox::RunChecked(ns, argv); !st.ok()) {
      return Join(argv) + ": " + st.error().message;
    }
  }
  return "";
}

std::optional<sandbox::NetNamespace> NewNamespace(ScenarioResult* result) {
  auto ns = sandbox::NetNamespace::Create();
  if (ns) return std::move(*ns);
  if (ns.error().code == sandbox::SandboxErrorCode::kPermission) {
    result->skip_reason = "cannot create a network namespace: " + ns.error().message;
  } else {
    result->failure = ns.error().message;
  }
  return std::nullopt;
}

// Where a scenario captures: a device of the client's namespace, and optionally one of the
// server's (an empty path: none).
struct CapturePoints {
  std::string client_device;
  std::string client_path;
  std::string server_device;
  std::string server_path;
};

std::unique_ptr<sandbox::LiveCapture> StartCapture(const sandbox::NetNamespace& ns,
                                                   const std::string& device,
                                                   const std::string& path,
                                                   ScenarioResult* result) {
  sandbox::CaptureOptions copts;
  copts.device = device;
  copts.out_path = path;
  copts.max_duration = 20s;
  auto capture = sandbox::LiveCapture::Start(ns, copts);
  if (!capture) {
    result->failure = "capture on " + device + ": " + capture.error().message;
    return nullptr;
  }
  return std::move(*capture);
}

// Server in `server_ns` (listening before this returns), client in `client_ns`, captures as
// `points` says.
void RunTraffic(const sandbox::NetNamespace& client_ns, const sandbox::NetNamespace& server_ns,
                const CapturePoints& points, const char* client, const char* server,
                int server_protocol, ScenarioResult* result) {
  auto capture = StartCapture(client_ns, points.client_device, points.client_path, result);
  if (!capture) return;
  std::unique_ptr<sandbox::LiveCapture> server_capture;
  if (!points.server_path.empty()) {
    server_capture = StartCapture(server_ns, points.server_device, points.server_path, result);
    if (!server_capture) return;
  }
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    result->failure = "pipe failed";
    return;
  }
  auto srv = sandbox::SpawnInNamespace(server_ns, [server, server_protocol, fd = ready[1]] {
    return Serve(server, server_protocol, fd);
  });
  close(ready[1]);
  char byte = 0;
  const auto listening = sandbox::ReadWithDeadline(ready[0], &byte, 1, 3s);
  close(ready[0]);
  if (!srv || !listening.ok()) {
    result->failure = "server: " + (srv ? listening.error().message : srv.error().message);
    return;
  }
  const std::uint64_t total = result->bytes_each_way;
  auto cli = sandbox::RunInNamespace(
      client_ns, [client, server, total] { return Client(client, server, total); }, 18s);
  auto served = srv->Wait(3s);
  (void)capture->Stop(200ms);
  if (server_capture) (void)server_capture->Stop(200ms);
  if (!cli || *cli != 0) {
    result->failure =
        "client failed: " + (cli ? "exit " + std::to_string(*cli) : cli.error().message);
  } else if (!served || *served != 0) {
    result->failure =
        "server failed: " + (served ? "exit " + std::to_string(*served) : served.error().message);
  }
}

void FallbackToTcp(const std::string& pcap_path, ScenarioResult* result) {
  auto ns = NewNamespace(result);
  if (!ns) return;
  result->failure = RunAll(*ns, {{"ip", "link", "set", "lo", "up"},
                                 {"ip", "addr", "add", std::string(kLoClient) + "/32", "dev", "lo"},
                                 {"ip", "addr", "add", std::string(kLoServer) + "/32", "dev", "lo"},
                                 {"sysctl", "-q", "-w", "net.mptcp.enabled=1"}});
  if (!result->failure.empty()) return;
  result->bytes_each_way = 20000;
  RunTraffic(*ns, *ns, {"lo", pcap_path, "", ""}, kLoClient, kLoServer, IPPROTO_TCP, result);
}

// client - middle - server namespaces joined by veth pairs c0 <-> r0 and s0 <-> r1, with
// segmentation offloads off on all four ends.
struct Chain {
  sandbox::NetNamespace client;
  sandbox::NetNamespace middle;
  sandbox::NetNamespace server;
};

std::optional<Chain> MakeChain(ScenarioResult* result) {
  auto c = NewNamespace(result);
  if (!c) return std::nullopt;
  auto m = NewNamespace(result);
  if (!m) return std::nullopt;
  auto s = NewNamespace(result);
  if (!s) return std::nullopt;
  Chain chain{std::move(*c), std::move(*m), std::move(*s)};
  for (auto [a, an, bn] :
       {std::tuple{&chain.client, "c0", "r0"}, std::tuple{&chain.server, "s0", "r1"}}) {
    if (auto st = sandbox::AddVethPair(*a, an, chain.middle, bn); !st.ok()) {
      result->failure = "veth: " + st.error().message;
      return std::nullopt;
    }
  }
  for (auto [ns, dev] : {std::pair{&chain.client, "c0"}, std::pair{&chain.middle, "r0"},
                         std::pair{&chain.middle, "r1"}, std::pair{&chain.server, "s0"}}) {
    (void)sandbox::DisableOffloads(*ns, dev);
  }
  return chain;
}

// An MPTCP end: loopback up, `addresses` (/24, or /64 without duplicate address detection
// for IPv6) on `dev`, MPTCP on (DSS checksums if asked), room for 4 subflows and accepted
// ADD_ADDRs.
std::vector<Argv> MptcpEnd(const std::string& dev, std::initializer_list<const char*> addresses,
                           bool checksums) {
  std::vector<Argv> commands = {{"ip", "link", "set", "lo", "up"}};
  for (const char* a : addresses) {
    if (std::string_view(a).find(':') != std::string_view::npos) {
      commands.push_back({"ip", "addr", "add", std::string(a) + "/64", "dev", dev, "nodad"});
    } else {
      commands.push_back({"ip", "addr", "add", std::string(a) + "/24", "dev", dev});
    }
  }
  commands.push_back({"sysctl", "-q", "-w", "net.mptcp.enabled=1"});
  if (checksums) commands.push_back({"sysctl", "-q", "-w", "net.mptcp.checksum_enabled=1"});
  commands.push_back({"ip", "mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4"});
  return commands;
}

void Loss(const CapturePoints& points, ScenarioResult* result) {
  auto chain = MakeChain(result);
  if (!chain) return;
  std::vector<Argv> client = MptcpEnd("c0", {kClient, kClientSecond}, false);
  client.push_back({"ip", "route", "add", "default", "via", kRouterClientSide});
  client.push_back({"ip", "mptcp", "endpoint", "add", kClientSecond, "dev", "c0", "subflow"});
  std::vector<Argv> server = MptcpEnd("s0", {kServer}, false);
  server.push_back({"ip", "route", "add", "default", "via", kRouterServerSide});
  result->failure = RunAll(chain->client, client);
  if (result->failure.empty()) result->failure = RunAll(chain->server, server);
  if (result->failure.empty()) {
    result->failure = RunAll(
        chain->middle, {{"ip", "addr", "add", std::string(kRouterClientSide) + "/24", "dev", "r0"},
                        {"ip", "addr", "add", std::string(kRouterServerSide) + "/24", "dev", "r1"},
                        {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}});
  }
  if (!result->failure.empty()) return;
  // Loss where no sender sees it: the router's egress queues hold a few segments only, so
  // slow start overflows them (tc netem is not in this kernel; tbf is).
  for (const char* dev : {"r0", "r1"}) {
    const Argv tbf = {"tc",   "qdisc", "add",   "dev", dev,     "root", "tbf",
                      "rate", "4mbit", "burst", "6kb", "limit", "6kb"};
    if (auto st = sandbox::RunChecked(chain->middle, tbf); !st.ok()) {
      result->skip_reason = "tc tbf unavailable: " + st.error().message;
      return;
    }
  }
  result->bytes_each_way = 300000;
  RunTraffic(chain->client, chain->server, points, kClient, kServer, kIpprotoMptcp, result);
}

// kCorruption, kCorruptionOfTheFirstData, kCorruptionTwoSubflows.
void CorruptInThePath(const CapturePoints& points, CheckScenario scenario, int ip_version,
                      ScenarioResult* result) {
  const bool two_subflows = scenario == CheckScenario::kCorruptionTwoSubflows;
  const bool v6 = ip_version == 6;
  const char* client_address = v6 ? kClient6 : kClient;
  const char* client_second = v6 ? kClientSecond6 : kClientSecond;
  const char* server_address = v6 ? kBridgedServer6 : kBridgedServer;
  auto chain = MakeChain(result);
  if (!chain) return;
  std::vector<Argv> client = two_subflows ? MptcpEnd("c0", {client_address, client_second}, true)
                                          : MptcpEnd("c0", {client_address}, true);
  if (two_subflows) {
    client.push_back({"ip", "mptcp", "endpoint", "add", client_second, "dev", "c0", "subflow"});
  }
  result->failure = RunAll(chain->client, client);
  if (result->failure.empty()) {
    result->failure = RunAll(chain->server, MptcpEnd("s0", {server_address}, true));
  }
  if (!result->failure.empty()) return;
  // The bridge's copies reach the far end as plain frames, without the sender's checksum
  // offload state: their TCP checksums must be complete on the wire.
  for (auto [ns, dev] : {std::pair{&chain->client, "c0"}, std::pair{&chain->server, "s0"}}) {
    if (auto st = sandbox::RunChecked(*ns, {"ethtool", "-K", dev, "tx", "off"}); !st.ok()) {
      result->skip_reason = "cannot turn off TCP checksum offload: " + st.error().message;
      return;
    }
  }
  BridgeConfig config;
  config.client_device = "r0";
  config.server_device = "r1";
  config.target.server_port = kPort;
  // On the initial subflow the 5th data segment: the first four (the first on the MP_CAPABLE
  // data form) verify, and Linux answers a failed checksum with MP_FAIL only after a good one
  // (net/mptcp/subflow.c, valid_csum_seen); on the first data it falls back without one.
  // A joined subflow answers MP_FAIL at once.
  config.target.subflow = two_subflows ? TargetSubflow::kJoined : TargetSubflow::kInitial;
  config.target.nth = scenario == CheckScenario::kCorruption ? 5 : two_subflows ? 2 : 1;
  config.max_duration = 20s;
  auto bridge = BridgeProcess::Start(chain->middle, config);
  if (!bridge) {
    result->failure = "middlebox: " + bridge.error();
    return;
  }
  result->bytes_each_way = two_subflows ? 300000 : 100000;
  RunTraffic(chain->client, chain->server, points, client_address, server_address, kIpprotoMptcp,
             result);
  const BridgeProcess::Outcome outcome = (*bridge)->Stop();
  result->middlebox_report = outcome.report;
  if (result->failure.empty() && outcome.code != kBridgeCorrupted) {
    result->failure = "middlebox: " +
                      (outcome.code ? "exit " + std::to_string(*outcome.code) : "killed") + ": " +
                      result->middlebox_report;
  }
}

}  // namespace

ScenarioResult MakeCheckScenario(CheckScenario scenario, const std::string& pcap_path,
                                 const std::string& server_pcap_path, int ip_version) {
  ScenarioResult result;
  const CapturePoints points{"c0", pcap_path, "s0", server_pcap_path};
  switch (scenario) {
    case CheckScenario::kFallbackToTcp:
      FallbackToTcp(pcap_path, &result);
      break;
    case CheckScenario::kLoss:
      Loss(points, &result);
      break;
    case CheckScenario::kCorruption:
    case CheckScenario::kCorruptionOfTheFirstData:
    case CheckScenario::kCorruptionTwoSubflows:
      CorruptInThePath(points, scenario, ip_version, &result);
      break;
  }
  return result;
}

}  // namespace mpdrill::tests
