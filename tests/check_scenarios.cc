#include "tests/check_scenarios.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "sandbox/live_capture.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"

namespace mpdrill::tests {
namespace {

using namespace std::chrono_literals;

constexpr int kIpprotoMptcp = 262;
constexpr char kServerAddress[] = "198.51.100.2";
constexpr char kClientAddress[] = "198.51.100.1";
constexpr char kClientSecondAddress[] = "203.0.113.1";
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
int Serve(int protocol, int ready_fd) {
  const auto start = std::chrono::steady_clock::now();
  const int ls = socket(AF_INET, SOCK_STREAM, protocol);
  if (ls < 0) return 10;
  const int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const sockaddr_in a = Address(kServerAddress, kPort);
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
int Client(std::uint64_t total) {
  const auto start = std::chrono::steady_clock::now();
  int s = -1;
  const sockaddr_in server = Address(kServerAddress, kPort);
  for (;;) {  // the server may not listen yet: retry, bounded
    s = socket(AF_INET, SOCK_STREAM, kIpprotoMptcp);
    if (s < 0) return 20;
    const sockaddr_in local = Address(kClientAddress, 0);
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
      std::this_thread::sleep_for(2ms);  // give the path manager time to add the subflow
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

}  // namespace

ScenarioResult MakeCheckScenario(CheckScenario scenario, const std::string& pcap_path) {
  ScenarioResult result;
  auto ns = sandbox::NetNamespace::Create();
  if (!ns) {
    if (ns.error().code == sandbox::SandboxErrorCode::kPermission) {
      result.skip_reason = "cannot create a network namespace: " + ns.error().message;
    } else {
      result.failure = ns.error().message;
    }
    return result;
  }
  std::vector<std::vector<std::string>> setup = {
      {"ip", "link", "set", "lo", "up"},
      {"ip", "addr", "add", std::string(kClientAddress) + "/32", "dev", "lo"},
      {"ip", "addr", "add", std::string(kServerAddress) + "/32", "dev", "lo"},
      {"sysctl", "-q", "-w", "net.mptcp.enabled=1"},
  };
  if (scenario == CheckScenario::kLoss) {
    setup.push_back({"ip", "addr", "add", std::string(kClientSecondAddress) + "/32", "dev", "lo"});
    setup.push_back({"ip", "mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4"});
    setup.push_back({"ip", "mptcp", "endpoint", "add", kClientSecondAddress, "dev", "lo",
                     "subflow"});
  }
  for (const auto& argv : setup) {
    if (auto st = sandbox::RunChecked(*ns, argv); !st.ok()) {
      result.failure = Join(argv) + ": " + st.error().message;
      return result;
    }
  }
  if (scenario == CheckScenario::kLoss) {
    const std::vector<std::string> netem = {"tc", "qdisc", "add", "dev", "lo", "root",
                                            "netem", "loss", "8%", "delay", "2ms"};
    auto st = sandbox::RunChecked(*ns, netem);
    if (!st.ok()) {
      result.skip_reason = "tc netem unavailable: " + st.error().message;
      return result;
    }
  }
  sandbox::CaptureOptions copts;
  copts.device = "lo";
  copts.out_path = pcap_path;
  copts.max_duration = 20s;
  auto capture = sandbox::LiveCapture::Start(*ns, copts);
  if (!capture) {
    result.failure = "capture: " + capture.error().message;
    return result;
  }
  const int server_protocol =
      scenario == CheckScenario::kFallbackToTcp ? IPPROTO_TCP : kIpprotoMptcp;
  result.bytes_each_way = scenario == CheckScenario::kLoss ? 200000 : 20000;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    result.failure = "pipe failed";
    return result;
  }
  auto server = sandbox::SpawnInNamespace(
      *ns, [server_protocol, fd = ready[1]] { return Serve(server_protocol, fd); });
  close(ready[1]);
  char byte = 0;
  const auto listening = sandbox::ReadWithDeadline(ready[0], &byte, 1, 3s);
  close(ready[0]);
  if (!server || !listening.ok()) {
    result.failure = "server: " + (server ? listening.error().message : server.error().message);
    return result;
  }
  const std::uint64_t total = result.bytes_each_way;
  auto client = sandbox::RunInNamespace(*ns, [total] { return Client(total); }, 18s);
  auto served = server->Wait(3s);
  (void)(*capture)->Stop(200ms);
  if (!client || *client != 0) {
    result.failure = "client failed: " +
                     (client ? "exit " + std::to_string(*client) : client.error().message);
  } else if (!served || *served != 0) {
    result.failure = "server failed: " +
                     (served ? "exit " + std::to_string(*served) : served.error().message);
  }
  return result;
}

}  // namespace mpdrill::tests
