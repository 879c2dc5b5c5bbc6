#include "tests/interop_cell.h"

#include <thread>

#include "base/exec.h"
#include "base/files.h"
#include "sandbox/live_capture.h"
#include "sandbox/topology.h"
#include "tests/corrupting_bridge.h"

namespace mpdrill::tests {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One subnet on the link: every address of both peers is on-link. Scenario commands name
// them @c1 @c2 (the client's) @s1 @s2 (the server's), and the stack's device @.
struct Addresses {
  const char* c1;
  const char* c2;
  const char* s1;
  const char* s2;
  const char* prefix;    // "/24"
  const char* wildcard;  // the server listens there
  bool v6;
};
constexpr Addresses kV4{"198.51.100.1", "198.51.100.3", "198.51.100.2", "198.51.100.4", "/24",
                        "0.0.0.0", false};
constexpr Addresses kV6{"2001:db8:1::1", "2001:db8:1::3", "2001:db8:1::2", "2001:db8:1::4",
                        "/64", "::", true};
constexpr char kPort[] = "8080";
constexpr std::uint16_t kPortNumber = 8080;
constexpr auto kListenBound = 5s;

Argv Endpoint(Argv a) {
  a.insert(a.begin(), "ip");
  a.insert(a.begin() + 1, "mptcp");
  a.insert(a.begin() + 2, "endpoint");
  return a;
}

std::vector<Scenario> MakeScenarios() {
  const std::uint64_t kMiB = 1 << 20;
  std::vector<Scenario> s;
  s.push_back({.name = "bulk",
               .what = "1 MiB each way (echo), one subflow",
               .bytes = kMiB});
  s.push_back({.name = "bulk-csum",
               .what = "bulk with DSS checksums (net.mptcp.checksum_enabled=1 both ends)",
               .checksums = true,
               .bytes = kMiB});
  s.push_back({.name = "subflows",
               .what = "client `subflow` endpoint + server `signal` endpoint (ADD_ADDR): 3 "
                       "subflows, 1 MiB each way at 1 MB/s",
               .client_setup = {Endpoint({"add", "@c2", "dev", "@", "id", "2", "subflow"})},
               .server_setup = {Endpoint({"add", "@s2", "dev", "@", "id", "2", "signal"})},
               .bytes = kMiB,
               .rate = 1000000});
  s.push_back({.name = "add-remove",
               .what = "server `signal` endpoint (ADD_ADDR), deleted at 1 s mid-transfer "
                       "(REMOVE_ADDR)",
               .server_setup = {Endpoint({"add", "@s2", "dev", "@", "id", "2", "signal"})},
               .bytes = kMiB,
               .rate = 500000,
               .events = {{1000ms, Side::kServer, Endpoint({"delete", "id", "2"})}}});
  s.push_back({.name = "backup",
               .what = "client `subflow` endpoint; the initial subflow's address (an endpoint "
                       "without flags) changed to `backup` at 1 s mid-transfer: MP_PRIO, the "
                       "data moves to the join",
               .client_setup = {Endpoint({"add", "@c1", "dev", "@", "id", "1"}),
                                Endpoint({"add", "@c2", "dev", "@", "id", "2", "subflow"})},
               .bytes = kMiB,
               .rate = 500000,
               .events = {{1000ms, Side::kClient, Endpoint({"change", "id", "1", "backup"})}}});
  s.push_back({.name = "fastclose",
               .what = "the client closes with SO_LINGER 0 after 512 KiB (MP_FASTCLOSE)",
               .mode = "fastclose",
               .bytes = kMiB / 2,
               .rate = 500000});
  s.push_back({.name = "fallback-strip",
               .what = "a middlebox strips every MPTCP option both ways: fallback to TCP",
               .middlebox = Middlebox::kStripMptcp,
               .bytes = kMiB / 4});
  s.push_back({.name = "fallback-strip-data",
               .what = "a middlebox strips MPTCP options from every segment but SYNs: MPTCP "
                       "negotiated, then no option arrives (third ACK, DSS)",
               .middlebox = Middlebox::kStripAfterSyns,
               .bytes = kMiB / 4});
  s.push_back({.name = "mp-fail",
               .what = "DSS checksums; a middlebox flips a payload bit of the client's 5th data "
                       "segment (MP_FAIL); the client writes 16 KiB every 16 ms",
               .checksums = true,
               .middlebox = Middlebox::kCorruptData,
               .bytes = kMiB / 4,
               .rate = 1000000});
  // Bounded tighter: it stalls in about half the runs (docs/interop.md), and runs in 0.1 s
  // when it does not.
  s.push_back({.name = "mp-fail-bulk",
               .what = "mp-fail with the client writing as fast as it can",
               .checksums = true,
               .middlebox = Middlebox::kCorruptData,
               .bytes = kMiB / 4,
               .bound = 5s});
  return s;
}

// A scenario's command with the peer's stack device and the cell's addresses.
Argv Substitute(Argv argv, const std::string& device, const Addresses& ip) {
  for (std::string& a : argv) {
    if (a == "@") a = device;
    if (a == "@c1") a = ip.c1;
    if (a == "@c2") a = ip.c2;
    if (a == "@s1") a = ip.s1;
    if (a == "@s2") a = ip.s2;
  }
  return argv;
}

std::string ReadText(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  return text ? *text : "";
}

std::string LastLine(const std::string& path) {
  std::string text = ReadText(path);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// Addresses, MPTCP on (checksums as asked), room for 4 subflows and ADD_ADDRs, then the
// scenario's own commands.
std::string Configure(InteropPeer& peer, std::initializer_list<const char*> addresses,
                      const Addresses& ip, bool checksums, const std::vector<Argv>& setup) {
  std::vector<Argv> commands;
  for (const char* a : addresses) {
    Argv add = {"ip", "addr", "add", std::string(a) + ip.prefix, "dev", peer.StackDevice()};
    if (ip.v6) add.push_back("nodad");  // usable at once
    commands.push_back(add);
  }
  commands.push_back({"sysctl", "-q", "-w", "net.mptcp.enabled=1"});
  commands.push_back({"sysctl", "-q", "-w",
                      std::string("net.mptcp.checksum_enabled=") + (checksums ? "1" : "0")});
  commands.push_back({"ip", "mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4"});
  for (const Argv& argv : setup) commands.push_back(Substitute(argv, peer.StackDevice(), ip));
  for (const Argv& argv : commands) {
    if (auto st = peer.Run(argv); !st.ok()) {
      return peer.Name() + ": " + CommandLine(argv) + ": " + st.error().message;
    }
  }
  return "";
}

// The link's middle: a kernel bridge, or a userspace middlebox process between r0 and r1.
class Link {
 public:
  explicit Link(sandbox::NetNamespace ns) : ns_(std::move(ns)) {}
  const sandbox::NetNamespace& ns() const { return ns_; }

  std::string Start(Middlebox middlebox) {
    if (middlebox == Middlebox::kNone) {
      for (const Argv& argv : std::vector<Argv>{{"ip", "link", "add", "br0", "type", "bridge"},
                                                {"ip", "link", "set", "r0", "master", "br0"},
                                                {"ip", "link", "set", "r1", "master", "br0"},
                                                {"ip", "link", "set", "br0", "up"}}) {
        if (auto st = sandbox::RunChecked(ns_, argv); !st.ok()) return st.error().message;
      }
      return "";
    }
    BridgeConfig config;
    config.client_device = "r0";
    config.server_device = "r1";
    config.strip = middlebox == Middlebox::kStripMptcp       ? StripOptions::kAll
                   : middlebox == Middlebox::kStripAfterSyns ? StripOptions::kAfterSyns
                                                             : StripOptions::kNone;
    // The 5th: Linux answers a failed checksum with MP_FAIL only after a good one
    // (docs/check.md, "Path events").
    config.target = {.server_port = kPortNumber, .subflow = TargetSubflow::kInitial, .nth = 5};
    config.max_duration = 25s;
    auto bridge = BridgeProcess::Start(ns_, config);
    if (!bridge) return "middlebox: " + bridge.error();
    bridge_ = std::move(*bridge);
    return "";
  }

  // The middlebox's report ("" for the kernel bridge); `*ok` false when it did not do its
  // job (no segment to change went by) or failed.
  std::string Stop(bool* ok) {
    *ok = true;
    if (!bridge_) return "";
    const BridgeProcess::Outcome outcome = bridge_->Stop();
    *ok = outcome.code == kBridgeCorrupted;
    return outcome.report + " (" +
           (outcome.code ? "exit " + std::to_string(*outcome.code) : std::string("killed")) + ")";
  }

 private:
  sandbox::NetNamespace ns_;
  std::unique_ptr<BridgeProcess> bridge_;
};

std::unique_ptr<sandbox::LiveCapture> StartCapture(const sandbox::NetNamespace& ns,
                                                   const std::string& device,
                                                   const std::string& path, std::string* error) {
  sandbox::CaptureOptions options;
  options.device = device;
  options.out_path = path;
  options.max_duration = 30s;
  auto capture = sandbox::LiveCapture::Start(ns, options);
  if (!capture) {
    *error = "capture on " + device + ": " + capture.error().message;
    return nullptr;
  }
  return std::move(*capture);
}

// Polls the log until `line` appears in it, or `bound` passes.
bool WaitForLine(const std::string& path, const std::string& line, std::chrono::milliseconds bound) {
  const auto until = Clock::now() + bound;
  while (Clock::now() < until) {
    if (ReadText(path).find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::string ExitText(const sandbox::SandboxResult<int>& code) {
  return code ? "exit " + std::to_string(*code) : code.error().message;
}

struct Peers {
  InteropPeer* client;
  InteropPeer* server;
};

// The traffic, the events meanwhile; the captures are running.
void RunTraffic(const CellConfig& config, const Scenario& scenario, const Peers& peers,
                const Addresses& ip, CellResult* result) {
  const std::string seconds = std::to_string(scenario.bound.count());
  const std::string server_log = config.out_dir + "/server.log";
  const std::string client_log = config.out_dir + "/client.log";
  // The wildcard address: joins to the server's other address (ADD_ADDR) reach it too.
  auto server = peers.server->Start({config.python, config.endpoint_program, "server", "--bind",
                                     ip.wildcard, "--port", kPort, "--seconds", seconds},
                                    server_log);
  if (!server) {
    result->failure = "server: " + server.error().message;
    return;
  }
  if (!WaitForLine(server_log, "listening", kListenBound)) {
    result->failure = "server not listening: " + LastLine(server_log);
    return;
  }
  const auto start = Clock::now();
  auto client = peers.client->Start(
      {config.python, config.endpoint_program, "client", "--bind", ip.c1, "--connect", ip.s1,
       "--port", kPort, "--mode", scenario.mode, "--bytes", std::to_string(scenario.bytes),
       "--rate", std::to_string(scenario.rate), "--seconds", seconds},
      client_log);
  if (!client) {
    result->failure = "client: " + client.error().message;
    return;
  }
  for (const TimedEvent& event : scenario.events) {
    std::this_thread::sleep_until(start + event.at);
    InteropPeer& peer = event.side == Side::kClient ? *peers.client : *peers.server;
    const Argv argv = Substitute(event.argv, peer.StackDevice(), ip);
    const auto st = peer.Run(argv);
    result->event_log.push_back(std::to_string(event.at.count()) + " ms " +
                                (event.side == Side::kClient ? "client" : "server") + ": " +
                                CommandLine(argv) + ": " + (st.ok() ? "ok" : st.error().message));
  }
  const auto client_code = (*client)->Wait(scenario.bound + 3s);
  const auto server_code = (*server)->Wait(3s);
  result->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result->client_output = LastLine(client_log);
  result->server_output = LastLine(server_log);
  if (!client_code || *client_code != 0) {
    result->failure = "client " + ExitText(client_code) + ": " + result->client_output;
  } else if (!server_code || *server_code != 0) {
    result->failure = "server " + ExitText(server_code) + ": " + result->server_output;
  }
}

}  // namespace

const std::vector<Scenario>& Scenarios() {
  static const std::vector<Scenario> scenarios = MakeScenarios();
  return scenarios;
}

CellResult RunCell(const CellConfig& config, const Scenario& scenario, InteropPeer& client,
                   InteropPeer& server) {
  CellResult result;
  auto link_ns = sandbox::NetNamespace::Create();
  if (!link_ns) {
    (link_ns.error().code == sandbox::SandboxErrorCode::kPermission ? result.skip_reason
                                                                     : result.failure) =
        "network namespace: " + link_ns.error().message;
    return result;
  }
  Link link(std::move(*link_ns));
  const Peers peers{&client, &server};
  for (InteropPeer* peer : {peers.client, peers.server}) {
    if (auto st = peer->Reset(); !st.ok()) {
      result.failure = peer->Name() + ": reset: " + st.error().message;
      return result;
    }
  }
  if (auto st = peers.client->Cable(link.ns(), "r0"); !st.ok()) {
    result.failure = "cable client: " + st.error().message;
    return result;
  }
  if (auto st = peers.server->Cable(link.ns(), "r1"); !st.ok()) {
    result.failure = "cable server: " + st.error().message;
    return result;
  }
  for (auto [peer, kernel] : {std::pair{peers.client, &result.client_kernel},
                              std::pair{peers.server, &result.server_kernel}}) {
    auto release = peer->KernelRelease();
    *kernel = release ? *release : "?";
  }
  const Addresses& ip = config.ip_version == 6 ? kV6 : kV4;
  result.failure = Configure(*peers.client, {ip.c1, ip.c2}, ip, scenario.checksums,
                             scenario.client_setup);
  if (result.failure.empty()) {
    result.failure = Configure(*peers.server, {ip.s1, ip.s2}, ip, scenario.checksums,
                               scenario.server_setup);
  }
  if (!result.failure.empty()) return result;
  if (std::string error = link.Start(scenario.middlebox); !error.empty()) {
    result.failure = "link: " + error;
    return result;
  }
  result.client_pcap = config.out_dir + "/client-side.pcap";
  result.server_pcap = config.out_dir + "/server-side.pcap";
  auto client_capture = StartCapture(link.ns(), "r0", result.client_pcap, &result.failure);
  if (!client_capture) return result;
  auto server_capture = StartCapture(link.ns(), "r1", result.server_pcap, &result.failure);
  if (!server_capture) return result;
  RunTraffic(config, scenario, peers, ip, &result);
  for (auto* capture : {client_capture.get(), server_capture.get()}) {
    const auto stats = capture->Stop(300ms);
    if (!stats) {
      if (result.failure.empty()) result.failure = "capture: " + stats.error().message;
      continue;
    }
    result.capture_drops += stats->dropped_by_kernel;
    if (result.failure.empty() && stats->dropped_by_kernel > 0) {
      result.failure = "capture dropped " + std::to_string(stats->dropped_by_kernel) + " packets";
    }
  }
  bool middlebox_ok = true;
  result.middlebox_report = link.Stop(&middlebox_ok);
  if (result.failure.empty() && !middlebox_ok) {
    result.failure = "middlebox: " + result.middlebox_report;
  }
  return result;
}

}  // namespace mpdrill::tests
