// mpdrill-interop: runs cells of the interop matrix (tests/interop_cell.h) and writes what
// happened in each, with its captures, for ci/interop.sh to judge with `mpdrill check`.
//
//   mpdrill-interop --out DIR --endpoint tests/interop_endpoint.py [--python PATH] [--ip 4|6]
//                   [--client host|vm] [--server host|vm] [--scenario NAME]... [--list]
//                   [--mpdrill PATH --vm-kernel IMAGE --vm-cache DIR]   (a vm peer)
//                   [--live-fuzzer PATH]       (the mpdrill peer: --client or --server mpdrill)
//   mpdrill-interop --write-live-inputs DIR    (the mpdrill peer's inputs, for live_fuzzer FILE)
//
// Per cell DIR/CLIENT-SERVER-SCENARIO/: cell.txt (key=value lines: status ok|failed|skipped,
// reason, kernels, the endpoints' last lines, the middlebox's report, events, captures),
// client-side.pcap and server-side.pcap, client.log, server.log. A cell with the mpdrill peer
// (tests/interop_live.h) has one capture of the whole path, link.pcap (captures=link), its
// input (input.bin, input.txt), live_fuzzer.log and the live model's rules (live_rule=).
// Exit: 0 every cell ran (a failed cell is data), 2 bad usage, 3 a peer could not be made
// (a VM that did not boot), 77 skipped (no privileges).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/files.h"
#include "tests/interop_cell.h"
#include "tests/interop_live.h"

namespace {

using mpdrill::tests::CellConfig;
using mpdrill::tests::CellResult;
using mpdrill::tests::LiveRole;
using mpdrill::tests::LiveScenario;
using mpdrill::tests::Scenario;

constexpr int kExitUsage = 2;
constexpr int kExitPeer = 3;
constexpr int kExitSkipped = 77;

constexpr char kUsage[] =
    "usage: mpdrill-interop --out DIR --endpoint PATH [--python PATH] [--ip 4|6] [--client PEER]\n"
    "                       [--server PEER] [--scenario NAME]... [--list]\n"
    "                       [--mpdrill PATH --vm-kernel IMAGE --vm-cache DIR]\n"
    "                       [--live-fuzzer PATH]\n"
    "       mpdrill-interop --write-live-inputs DIR\n"
    "Peers: host (the running kernel in a private network namespace), vm (a kernel booted\n"
    "by mpdrill vm in a private network namespace, driven through mpdrill agent), mpdrill\n"
    "(live_fuzzer with a conforming input, against the other peer's kernel).\n";

// One value per line: newlines in a value become spaces.
std::string OneLine(std::string value) {
  for (char& c : value) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return value;
}

std::string CellText(const std::string& client, const std::string& server, int ip_version,
                     std::string_view name, std::string_view what, const CellResult& r) {
  const std::string status = !r.skip_reason.empty() ? "skipped"
                             : !r.failure.empty()   ? "failed"
                                                    : "ok";
  std::string text;
  auto add = [&text](const std::string& key, const std::string& value) {
    text += key + "=" + OneLine(value) + "\n";
  };
  add("client", client);
  add("server", server);
  add("scenario", std::string(name));
  add("ip", "v" + std::to_string(ip_version));
  add("what", std::string(what));
  add("status", status);
  add("reason", !r.skip_reason.empty() ? r.skip_reason : r.failure);
  add("client_kernel", r.client_kernel);
  add("server_kernel", r.server_kernel);
  add("client_output", r.client_output);
  add("server_output", r.server_output);
  add("middlebox", r.middlebox_report);
  for (const std::string& e : r.event_log) add("event", e);
  add("seconds", std::to_string(r.seconds));
  add("client_pcap", r.client_pcap);
  add("server_pcap", r.server_pcap);
  add("capture_drops", std::to_string(r.capture_drops));
  if (r.one_capture) add("captures", "link");
  for (const std::string& rule : r.live_rules) add("live_rule", rule);
  return text;
}

std::string CellDir(const std::string& out, const std::string& client, const std::string& server,
                    std::string_view scenario, int ip_version) {
  return out + "/" + client + "-" + server + "-" + std::string(scenario) +
         (ip_version == 6 ? "-v6" : "");
}

// The generator: every mpdrill peer input, as DIR/ROLE-SCENARIO[-v6].bin (ROLE: the end
// mpdrill plays) and .txt (its steps), for `live_fuzzer FILE` by hand.
int WriteLiveInputs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const LiveScenario& s : mpdrill::tests::LiveScenarios()) {
    for (LiveRole role : {LiveRole::kClient, LiveRole::kServer}) {
      for (int ip : {4, 6}) {
        const auto input = mpdrill::tests::LiveScenarioInput(s, role, ip);
        const auto bytes = mpdrill::fuzz::EncodeLiveInput(input);
        std::string text = mpdrill::fuzz::DescribeHeader(input.header) + "\n";
        for (const auto& step : input.steps) text += mpdrill::fuzz::DescribeStep(step) + "\n";
        const std::string base = dir + "/" + (role == LiveRole::kClient ? "client" : "server") +
                                 "-" + std::string(s.name) + (ip == 6 ? "-v6" : "");
        if (!mpdrill::WriteFile(
                 base + ".bin",
                 std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()))
                 .ok() ||
            !mpdrill::WriteFile(base + ".txt", text).ok()) {
          std::cerr << "mpdrill-interop: cannot write " << base << ".bin\n";
          return 1;
        }
        std::cout << base << ".bin\n";
      }
    }
  }
  return 0;
}

std::string Outcome(const CellResult& r) {
  return !r.skip_reason.empty() ? "skipped: " + r.skip_reason
         : !r.failure.empty()   ? "FAILED: " + r.failure
                                : "ran, " + r.client_output;
}

}  // namespace

int main(int argc, char** argv) {
  CellConfig base;
  mpdrill::tests::PeerOptions client_options{.name = "host", .device = "c0"};
  std::string vm_kernel, vm_cache, mpdrill_binary, live_fuzzer, live_inputs;
  std::string out;
  std::vector<std::string> wanted;
  std::string server_name = "host";
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* into) {
      if (i + 1 >= argc) return false;
      *into = argv[++i];
      return true;
    };
    std::string v;
    bool ok = true;
    if (arg == "--out") {
      ok = value(&out);
    } else if (arg == "--endpoint") {
      ok = value(&base.endpoint_program);
    } else if (arg == "--ip") {
      ok = value(&v) && (v == "4" || v == "6");
      base.ip_version = v == "6" ? 6 : 4;
    } else if (arg == "--python") {
      ok = value(&base.python);
    } else if (arg == "--client") {
      ok = value(&client_options.name);
    } else if (arg == "--server") {
      ok = value(&server_name);
    } else if (arg == "--mpdrill") {
      ok = value(&mpdrill_binary);
    } else if (arg == "--vm-kernel") {
      ok = value(&vm_kernel);
    } else if (arg == "--vm-cache") {
      ok = value(&vm_cache);
    } else if (arg == "--live-fuzzer") {
      ok = value(&live_fuzzer);
    } else if (arg == "--write-live-inputs") {
      ok = value(&live_inputs);
    } else if (arg == "--scenario") {
      ok = value(&v);
      wanted.push_back(v);
    } else if (arg == "--list") {
      list = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "mpdrill-interop: bad argument " << arg << "\n" << kUsage;
      return kExitUsage;
    }
  }
  std::vector<const Scenario*> plan;
  for (const Scenario& s : mpdrill::tests::Scenarios()) {
    bool take = wanted.empty();
    for (const std::string& w : wanted) take = take || w == s.name;
    if (take) plan.push_back(&s);
  }
  for (const std::string& w : wanted) {
    bool known = false;
    for (const Scenario& s : mpdrill::tests::Scenarios()) known = known || w == s.name;
    if (!known) {
      std::cerr << "mpdrill-interop: unknown scenario " << w << " (--list)\n";
      return kExitUsage;
    }
  }
  if (!live_inputs.empty()) return WriteLiveInputs(live_inputs);
  if (list) {
    for (const Scenario* s : plan) std::cout << s->name << "\t" << s->what << "\n";
    return 0;
  }
  if (out.empty() || base.endpoint_program.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  if (geteuid() != 0) {
    std::cout << "mpdrill-interop: skipped: needs root (network namespaces)" << std::endl;
    return kExitSkipped;
  }
  std::error_code ec;
  out = std::filesystem::absolute(out, ec).string();  // the same path in a guest
  std::filesystem::create_directories(out, ec);
  client_options.mpdrill = mpdrill_binary;
  client_options.kernel = vm_kernel;
  client_options.cache_dir = vm_cache;
  client_options.shared_dir = out;
  mpdrill::tests::PeerOptions server_options = client_options;
  server_options.name = server_name;
  server_options.device = "s0";
  client_options.work_dir = out + "/" + client_options.name + "-client";
  server_options.work_dir = out + "/" + server_options.name + "-server";
  // The mpdrill peer is no InteropPeer: it runs where the other peer's kernel is.
  const bool mpdrill_client = client_options.name == "mpdrill";
  const bool mpdrill_server = server_name == "mpdrill";
  if (mpdrill_client && mpdrill_server) {
    std::cerr << "mpdrill-interop: mpdrill needs a kernel peer on the other end\n";
    return kExitUsage;
  }
  if ((mpdrill_client || mpdrill_server) && live_fuzzer.empty()) {
    std::cerr << "mpdrill-interop: the mpdrill peer needs --live-fuzzer\n";
    return kExitUsage;
  }
  std::unique_ptr<mpdrill::tests::InteropPeer> peers[2];
  for (int i = 0; i < 2; ++i) {
    const auto& options = i == 0 ? client_options : server_options;
    if (options.name == "mpdrill") continue;
    std::filesystem::create_directories(options.work_dir, ec);
    auto peer = mpdrill::tests::MakePeer(options);
    if (!peer) {
      std::cerr << "mpdrill-interop: peer " << options.name << ": " << peer.error().message << "\n";
      return kExitPeer;
    }
    peers[i] = std::move(*peer);
  }
  std::size_t skipped = 0, cells = 0;
  for (const Scenario* s : plan) {
    CellConfig config = base;
    config.out_dir = CellDir(out, client_options.name, server_name, s->name, base.ip_version);
    CellResult result;
    std::string_view what = s->what;
    if (mpdrill_client || mpdrill_server) {
      const LiveScenario* live = mpdrill::tests::FindLiveScenario(s->name);
      if (live == nullptr) continue;  // a middlebox scenario: no path to put it on
      what = live->what;
      std::filesystem::create_directories(config.out_dir, ec);
      result = mpdrill::tests::RunLiveCell(
          {.live_fuzzer = live_fuzzer, .out_dir = config.out_dir, .ip_version = base.ip_version},
          *live, mpdrill_client ? LiveRole::kClient : LiveRole::kServer,
          mpdrill_client ? *peers[1] : *peers[0]);
    } else {
      std::filesystem::create_directories(config.out_dir, ec);
      result = mpdrill::tests::RunCell(config, *s, *peers[0], *peers[1]);
    }
    ++cells;
    const std::string text =
        CellText(client_options.name, server_name, base.ip_version, s->name, what, result);
    if (auto st = mpdrill::WriteFile(config.out_dir + "/cell.txt", text); !st.ok()) {
      std::cerr << "mpdrill-interop: " << config.out_dir << "/cell.txt: cannot write\n";
      return 1;
    }
    if (!result.skip_reason.empty()) ++skipped;
    std::cout << client_options.name << " -> " << server_name << " " << s->name
              << (base.ip_version == 6 ? " (IPv6)" : "") << ": " << Outcome(result) << std::endl;
  }
  if (cells == 0) {
    std::cout << client_options.name << " -> " << server_name
              << ": no cell: none of the scenarios has an mpdrill counterpart" << std::endl;
  }
  return skipped == cells && cells != 0 ? kExitSkipped : 0;
}
