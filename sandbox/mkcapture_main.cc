// mpdrill-mkcapture: captures real Linux MPTCP traffic between two private network
// namespaces. See docs/captures.md.
//
//   mpdrill-mkcapture --list
//   mpdrill-mkcapture --scenario basic-v4 --out basic-v4.pcap
//   mpdrill-mkcapture --scenario all --out DIR        (DIR/<scenario>.pcap for each)
//
// Exit codes: 0 ok, 1 a scenario failed, 2 usage, 3 environment (not root, no netns/MPTCP).
#include <sys/stat.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "sandbox/mkcapture_scenarios.h"

namespace po = boost::program_options;
using mpdrill::mkcapture::Scenario;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitEnvironment = 3;

int ExitCodeFor(const mpdrill::sandbox::SandboxError& e) {
  switch (e.code) {
    case mpdrill::sandbox::SandboxErrorCode::kPermission:
      return kExitEnvironment;
    case mpdrill::sandbox::SandboxErrorCode::kSyscall:
    case mpdrill::sandbox::SandboxErrorCode::kTimeout:
    case mpdrill::sandbox::SandboxErrorCode::kCommandFailed:
    case mpdrill::sandbox::SandboxErrorCode::kHostNamespace:
    case mpdrill::sandbox::SandboxErrorCode::kCapture:
    case mpdrill::sandbox::SandboxErrorCode::kInvalidArgument:
      return kExitFailure;
  }
  return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc(
      "usage: mpdrill-mkcapture (--list | --scenario NAME --out FILE | --scenario all --out DIR)\n"
      "Real kernel MPTCP traffic between two private network namespaces, captured to pcap.\n"
      "options");
  std::string scenario_name;
  std::string out;
  desc.add_options()("help,h", "this help")("list", "list the scenarios")(
      "scenario", po::value(&scenario_name), "scenario name, or 'all'")(
      "out", po::value(&out), "pcap file (one scenario) or directory ('all')")(
      "quiet,q", "no progress lines");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "mpdrill-mkcapture: " << e.what() << "\n" << desc << "\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  if (vm.count("list")) {
    for (const Scenario& s : mpdrill::mkcapture::Scenarios()) {
      std::cout << s.name << "\t" << s.summary << "\n";
    }
    std::cout << "all\tevery scenario above, into DIR/<name>.pcap\n";
    return kExitOk;
  }
  if (scenario_name.empty() || out.empty()) {
    std::cerr << "mpdrill-mkcapture: need --scenario and --out (or --list)\n" << desc << "\n";
    return kExitUsage;
  }
  std::vector<std::pair<const Scenario*, std::string>> runs;
  if (scenario_name == "all") {
    if (mkdir(out.c_str(), 0755) != 0 && errno != EEXIST) {
      std::cerr << "mpdrill-mkcapture: cannot create directory " << out << "\n";
      return kExitUsage;
    }
    for (const Scenario& s : mpdrill::mkcapture::Scenarios()) {
      runs.emplace_back(&s, out + "/" + std::string(s.name) + ".pcap");
    }
  } else {
    const Scenario* s = mpdrill::mkcapture::FindScenario(scenario_name);
    if (s == nullptr) {
      std::cerr << "mpdrill-mkcapture: unknown scenario '" << scenario_name
                << "' (see --list)\n";
      return kExitUsage;
    }
    runs.emplace_back(s, out);
  }
  std::ostream* log = vm.count("quiet") ? nullptr : &std::cerr;
  int failures = 0;
  for (const auto& [scenario, path] : runs) {
    auto report = mpdrill::mkcapture::RunScenario(*scenario, path, log);
    if (!report) {
      std::cerr << "mpdrill-mkcapture: " << scenario->name << ": "
                << mpdrill::sandbox::SandboxErrorCodeName(report.error().code) << ": "
                << report.error().message << "\n";
      const int code = ExitCodeFor(report.error());
      if (code == kExitEnvironment) return code;
      ++failures;
      continue;
    }
    std::cout << scenario->name << "\t" << path << "\t" << report->packets << " packets\t"
              << report->extra_subflows << " extra subflows\n";
  }
  return failures == 0 ? kExitOk : kExitFailure;
}
