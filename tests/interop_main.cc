// mpdrill-interop: runs cells of the interop matrix (tests/interop_cell.h) and writes what
// happened in each, with its captures, for ci/interop.sh to judge with `mpdrill check`.
//
//   mpdrill-interop --out DIR --endpoint tests/interop_endpoint.py [--python PATH] [--ip 4|6]
//                   [--client host|vm] [--server host|vm] [--scenario NAME]... [--list]
//                   [--mpdrill PATH --vm-kernel IMAGE --vm-cache DIR]   (a vm peer)
//
// Per cell DIR/CLIENT-SERVER-SCENARIO/: cell.txt (key=value lines: status ok|failed|skipped,
// reason, kernels, the endpoints' last lines, the middlebox's report, events, captures),
// client-side.pcap and server-side.pcap, client.log, server.log.
// Exit: 0 every cell ran (a failed cell is data), 2 bad usage, 3 a peer could not be made
// (a VM that did not boot), 77 skipped (no privileges).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <iostream>
#include <string>
#include <vector>

#include "base/files.h"
#include "tests/interop_cell.h"

namespace {

using mpdrill::tests::CellConfig;
using mpdrill::tests::CellResult;
using mpdrill::tests::Scenario;

constexpr int kExitUsage = 2;
constexpr int kExitPeer = 3;
constexpr int kExitSkipped = 77;

constexpr char kUsage[] =
    "usage: mpdrill-interop --out DIR --endpoint PATH [--python PATH] [--ip 4|6] [--client PEER]\n"
    "                       [--server PEER] [--scenario NAME]... [--list]\n"
    "                       [--mpdrill PATH --vm-kernel IMAGE --vm-cache DIR]\n"
    "Peers: host (the running kernel in a private network namespace), vm (a kernel booted\n"
    "by mpdrill vm in a private network namespace, driven through mpdrill agent).\n";

// One value per line: newlines in a value become spaces.
std::string OneLine(std::string value) {
  for (char& c : value) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return value;
}

std::string CellText(const std::string& client, const std::string& server, int ip_version,
                     const Scenario& scenario, const CellResult& r) {
  const std::string status =
      !r.skip_reason.empty() ? "skipped" : !r.failure.empty() ? "failed" : "ok";
  std::string text;
  auto add = [&text](const std::string& key, const std::string& value) {
    text += key + "=" + OneLine(value) + "\n";
  };
  add("client", client);
  add("server", server);
  add("scenario", std::string(scenario.name));
  add("ip", "v" + std::to_string(ip_version));
  add("what", std::string(scenario.what));
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
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CellConfig base;
  mpdrill::tests::PeerOptions client_options{.name = "host", .device = "c0"};
  std::string vm_kernel, vm_cache, mpdrill_binary;
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
  std::unique_ptr<mpdrill::tests::InteropPeer> peers[2];
  for (int i = 0; i < 2; ++i) {
    const auto& options = i == 0 ? client_options : server_options;
    std::filesystem::create_directories(options.work_dir, ec);
    auto peer = mpdrill::tests::MakePeer(options);
    if (!peer) {
      std::cerr << "mpdrill-interop: peer " << options.name << ": " << peer.error().message << "\n";
      return kExitPeer;
    }
    peers[i] = std::move(*peer);
  }
  std::size_t skipped = 0;
  for (const Scenario* s : plan) {
    CellConfig config = base;
    config.out_dir = out + "/" + client_options.name + "-" + server_name + "-" +
                     std::string(s->name) + (base.ip_version == 6 ? "-v6" : "");
    std::filesystem::create_directories(config.out_dir, ec);
    const CellResult result = mpdrill::tests::RunCell(config, *s, *peers[0], *peers[1]);
    const std::string text =
        CellText(client_options.name, server_name, base.ip_version, *s, result);
    if (auto st = mpdrill::WriteFile(config.out_dir + "/cell.txt", text); !st.ok()) {
      std::cerr << "mpdrill-interop: " << config.out_dir << "/cell.txt: cannot write\n";
      return 1;
    }
    if (!result.skip_reason.empty()) ++skipped;
    std::cout << client_options.name << " -> " << server_name << " " << s->name
              << (base.ip_version == 6 ? " (IPv6)" : "") << ": "
              << (!result.skip_reason.empty() ? "skipped: " + result.skip_reason
                  : !result.failure.empty()   ? "FAILED: " + result.failure
                                              : "ran, " + result.client_output)
              << std::endl;
  }
  return skipped == plan.size() && !plan.empty() ? kExitSkipped : 0;
}
