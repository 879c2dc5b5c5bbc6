#include "tests/check_scenarios.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <tuple>
#include <thread>
#include <vector>

#include "sandbox/live_capture.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/topology.h"

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
constexpr std::uint16_t kPort = 8080;
constexpr auto kDeadline = 15s;

sockaddr_in Address(const char* ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
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
  const int ls = socket(AF_INET, SOCK_STREAM, protocol);
  if (ls < 0) return 10;
  const int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const sockaddr_in a = Address(address, kPort);
  if (bind(ls, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) return 11;
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
  const sockaddr_in server = Address(server_address, kPort);
  for (;;) {  // the server may not listen yet: retry, bounded
    s = socket(AF_INET, SOCK_STREAM, kIpprotoMptcp);
    if (s < 0) return 20;
    const sockaddr_in local = Address(local_address, 0);
    if (bind(s, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) return 21;
    if (connect(s, reinterpret_cast<const sockaddr*>(&server), sizeof(server)) == 0) break;
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

// Server in `server_ns` (listening before this returns), client in `client_ns`, capture on
// `device` of `client_ns`.
void RunTraffic(const sandbox::NetNamespace& client_ns, const sandbox::NetNamespace& server_ns,
                const std::string& device, const char* client, const char* server,
                int server_protocol, const std::string& pcap_path, ScenarioResult* result) {
  sandbox::CaptureOptions copts;
  copts.device = device;
  copts.out_path = pcap_path;
  copts.max_duration = 20s;
  auto capture = sandbox::LiveCapture::Start(client_ns, copts);
  if (!capture) {
    result->failure = "capture: " + capture.error().message;
    return;
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
  (void)(*capture)->Stop(200ms);
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
  RunTraffic(*ns, *ns, "lo", kLoClient, kLoServer, IPPROTO_TCP, pcap_path, result);
}

void Loss(const std::string& pcap_path, ScenarioResult* result) {
  auto c = NewNamespace(result);
  if (!c) return;
  auto r = NewNamespace(result);
  if (!r) return;
  auto s = NewNamespace(result);
  if (!s) return;
  for (auto [a, an, b, bn] : {std::tuple{&*c, "c0", &*r, "r0"}, std::tuple{&*s, "s0", &*r, "r1"}}) {
    if (auto st = sandbox::AddVethPair(*a, an, *b, bn); !st.ok()) {
      result->failure = "veth: " + st.error().message;
      return;
    }
  }
  const std::string limits = "4";
  const Argv mptcp_on = {"sysctl", "-q", "-w", "net.mptcp.enabled=1"};
  result->failure = RunAll(*c, {{"ip", "link", "set", "lo", "up"},
                                {"ip", "addr", "add", std::string(kClient) + "/24", "dev", "c0"},
                                {"ip", "addr", "add", std::string(kClientSecond) + "/24", "dev", "c0"},
                                {"ip", "route", "add", "default", "via", kRouterClientSide},
                                mptcp_on,
                                {"ip", "mptcp", "limits", "set", "subflows", limits,
                                 "add_addr_accepted", limits},
                                {"ip", "mptcp", "endpoint", "add", kClientSecond, "dev", "c0",
                                 "subflow"}});
  if (result->failure.empty()) {
    result->failure = RunAll(*s, {{"ip", "link", "set", "lo", "up"},
                                  {"ip", "addr", "add", std::string(kServer) + "/24", "dev", "s0"},
                                  {"ip", "route", "add", "default", "via", kRouterServerSide},
                                  mptcp_on,
                                  {"ip", "mptcp", "limits", "set", "subflows", limits,
                                   "add_addr_accepted", limits}});
  }
  if (result->failure.empty()) {
    result->failure =
        RunAll(*r, {{"ip", "addr", "add", std::string(kRouterClientSide) + "/24", "dev", "r0"},
                    {"ip", "addr", "add", std::string(kRouterServerSide) + "/24", "dev", "r1"},
                    {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}});
  }
  if (!result->failure.empty()) return;
  for (auto [ns, dev] : {std::pair{&*c, "c0"}, std::pair{&*r, "r0"}, std::pair{&*r, "r1"},
                         std::pair{&*s, "s0"}}) {
    (void)sandbox::DisableOffloads(*ns, dev);
  }
  // Loss where no sender sees it: the router's egress queues hold a few segments only, so
  // slow start overflows them (tc netem is not in this kernel; tbf is).
  for (const char* dev : {"r0", "r1"}) {
    const Argv tbf = {"tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", "4mbit",
                      "burst", "6kb", "limit", "6kb"};
    if (auto st = sandbox::RunChecked(*r, tbf); !st.ok()) {
      result->skip_reason = "tc tbf unavailable: " + st.error().message;
      return;
    }
  }
  result->bytes_each_way = 300000;
  RunTraffic(*c, *s, "c0", kClient, kServer, kIpprotoMptcp, pcap_path, result);
}

}  // namespace

ScenarioResult MakeCheckScenario(CheckScenario scenario, const std::string& pcap_path) {
  ScenarioResult result;
  switch (scenario) {
    case CheckScenario::kFallbackToTcp:
      FallbackToTcp(pcap_path, &result);
      break;
    case CheckScenario::kLoss:
      Loss(pcap_path, &result);
      break;
  }
  return result;
}

}  // namespace mpdrill::tests
