// `mpdrill run FILE|DIR...`: runs packetdrill scripts against the running kernel, each script
// in each IP variant its name implies, every run in its own private network and PID namespace
// with a TUN device tun0 (engine/run), as a suite (engine/suite: -j, retries, reports, kernel
// health); this file only parses the command line and picks the reporters. Invoked as `packetdrill`, it behaves as packetdrill:
// one script, exactly the given flags. docs/run.md describes both.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "engine/remote/wire_target.h"
#include "engine/run/run_config.h"
#include "engine/suite/plan.h"
#include "engine/suite/reporters.h"
#include "engine/suite/suite.h"

namespace mpdrill::cli {
namespace {

namespace fs = std::filesystem;
using run::RunConfig;

constexpr std::string_view kUsage =
    "usage: mpdrill run [flags] FILE|DIR...\n"
    "\n"
    "Runs packetdrill scripts (with the MPTCP extensions) against the running kernel. Each\n"
    "script runs once per IP variant its name implies (*v4.pkt: ipv4, ipv4-mapped-ipv6;\n"
    "*v6.pkt: ipv6; others: all three), each run in a fresh private network namespace with a\n"
    "TUN device tun0. A DIR is searched recursively for *.pkt files. Needs root, or else\n"
    "unprivileged user namespaces and a /dev/net/tun the user may open.\n"
    "\n"
    "packetdrill's flags (same names and meanings; --name=value or --name value):\n"
    "  --ip_version=ipv4|ipv4-mapped-ipv6|ipv6   only this variant\n"
    "  --local_ip --remote_ip --gateway_ip --netmask_ip --bind_port --connect_port\n"
    "  --mss --mtu --tolerance_usecs (4000) --tolerance_percent (12.5)\n"
    "  --tcp_ts_tick_usecs --strict_segments --non_fatal=packet,syscall --dry_run\n"
    "  --init_scripts=CMD[,CMD] --code_command (python3) --code_format --code_sockopt\n"
    "  --tcp_ts_ecr_scaled --send_omit_free   -D NAME=VALUE (--define)   -v (--verbose)\n"
    "  (--speed, --so_filename, --so_flags, --is_anyip: not supported, exit 2)\n"
    "mpdrill's own:\n"
    "  --pcap DIR    write each run's packets (both directions) to DIR/<script>.<variant>.pcap\n"
    "  --seed N      seed for mpdrill-generated MPTCP keys and nonces\n"
    "  --strict_option_order   MPTCP options in the script's order (default: any order)\n"
    "  --model=off|warn|fail   the RFC 8684 reference model checks every packet on tun0:\n"
    "                fail (default; warn when invoked as packetdrill): a violation by the\n"
    "                kernel fails the run; warn: printed only. Findings on mpdrill's own\n"
    "                packets are printed as deliberate, never fail.\n"
    "Suites in CI (docs/run.md):\n"
    "  -j N|auto     runs at once, each in its own namespaces (default auto; 1 when invoked\n"
    "                as packetdrill); auto: as many as the measured wake-up latency allows\n"
    "                (at most 16, 8 per core)\n"
    "  --retries N   re-run a run that failed on timing up to N times; one that then passes\n"
    "                is FLAKY (semantic failures are never retried)\n"
    "  --tolerance_scale X|auto   multiply every tolerance by X (auto: from the wake-up latency)\n"
    "  --tap FILE    TAP 13 report      --junit FILE   JUnit XML report\n"
    "  --json FILE   JSON Lines report  --ktap         KTAP v1 on stdout (text as # lines)\n"
    "  --health=on|off   watch /dev/kmsg for WARN/BUG/Oops/KASAN/...: a KERNEL-* verdict on\n"
    "                the runs active then (default on; off when invoked as packetdrill)\n"
    "  --kmemleak    ask kmemleak for a scan after the suite\n"
    "Remote targets (docs/wire.md):\n"
    "  --target=tun|wire:IFACE   tun (default): the running kernel through tun0 in private\n"
    "                namespaces; wire:IFACE: the kernel on the other side of Ethernet link\n"
    "                IFACE (frames through libpcap), runs one at a time\n"
    "  --agent ADDR:PORT   `mpdrill agent` on the target, which runs the script's syscalls\n"
    "                and shell commands there (docs/agent.md)\n"
    "  --agent-token FILE  the agent's shared secret (mode 600)\n"
    "  --target-dev DEV    the target's interface on the link (default: the agent's only\n"
    "                Ethernet interface besides the control link's)\n"
    "\n"
    "Output: one line per run (PASS|FAIL|ERROR|ENV|FLAKY|KERNEL-* file (variant) seconds: first\n"
    "error), the model's findings under it (-v: all of them, and the packets), then a summary.\n"
    "Exit codes: 0 all passed, 1 a test failed, 2 bad script or usage, 3 environment (no\n"
    "privilege, no TUN), 4 a kernel health event (WARN, BUG, Oops, ...) during the suite.\n";

// Flags that take a value (packetdrill's getopt table).
bool TakesValue(std::string_view name) {
  static constexpr std::string_view kValued[] = {
      "ip_version", "bind_port", "code_command", "code_format", "code_sockopt", "connect_port",
      "remote_ip", "local_ip", "gateway_ip", "netmask_ip", "speed", "mss", "mtu",
      "init_scripts", "tolerance_usecs", "tolerance_percent", "tcp_ts_tick_usecs", "non_fatal",
      "define", "D", "pcap", "seed", "so_filename", "so_flags", "model", "j", "jobs", "retries",
      "tolerance_scale", "tap", "junit", "json", "health", "target", "agent", "agent-token",
      "target-dev"};
  return std::find(std::begin(kValued), std::end(kValued), name) != std::end(kValued);
}

using suite::Flag;

struct Cli {
  std::vector<Flag> flags;  // applied over script header options
  std::vector<std::string> inputs;
  std::string pcap_dir;
  bool help = false;
  // Suite flags (engine/suite).
  std::optional<std::string> jobs, retries, tolerance_scale, health;
  std::string tap, junit, json;
  bool ktap = false, kmemleak = false;
  // Target (engine/remote): "" or "tun" = TUN in private namespaces; "wire:IFACE".
  std::string target, agent, agent_token, target_dev;
};

// The suite's own flags; true when `name` was one.
bool SuiteFlag(const std::string& name, const std::optional<std::string>& value, Cli* cli) {
  if (name == "j" || name == "jobs") {
    cli->jobs = value;
  } else if (name == "retries") {
    cli->retries = value;
  } else if (name == "tolerance_scale") {
    cli->tolerance_scale = value;
  } else if (name == "health") {
    cli->health = value;
  } else if (name == "tap") {
    cli->tap = value.value_or("");
  } else if (name == "junit") {
    cli->junit = value.value_or("");
  } else if (name == "json") {
    cli->json = value.value_or("");
  } else if (name == "ktap") {
    cli->ktap = true;
  } else if (name == "kmemleak") {
    cli->kmemleak = true;
  } else if (name == "target") {
    cli->target = value.value_or("");
  } else if (name == "agent") {
    cli->agent = value.value_or("");
  } else if (name == "agent-token") {
    cli->agent_token = value.value_or("");
  } else if (name == "target-dev") {
    cli->target_dev = value.value_or("");
  } else {
    return false;
  }
  return true;
}

std::optional<std::string> ParseArgs(const std::vector<std::string>& args, Cli* cli) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      cli->help = true;
      continue;
    }
    if (a == "-v" || a == "--verbose") {
      cli->flags.push_back({"verbose", std::nullopt});
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq != std::string::npos) value = a.substr(eq + 1);
    } else if (a.rfind("-D", 0) == 0) {
      name = "D";
      if (a.size() > 2) value = a.substr(2);
    } else if (a.rfind("-j", 0) == 0) {
      name = "j";
      if (a.size() > 2) value = a.substr(2);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return "unknown option '" + a + "'";
    } else {
      cli->inputs.push_back(a);
      continue;
    }
    if (!value && TakesValue(name)) {
      if (i + 1 >= args.size()) return "option '" + a + "' needs a value";
      value = args[++i];
    }
    if (name == "pcap") {
      cli->pcap_dir = value.value_or("");
      continue;
    }
    if (SuiteFlag(name, value, cli)) continue;
    cli->flags.push_back({name, value});
  }
  return std::nullopt;
}

// A whole number in [lo, hi], or nullopt.
std::optional<int> ParseCount(const std::string& text, int lo, int hi) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

// The suite options from the command line, or the error naming the flag.
std::optional<std::string> SuiteOptionsOf(const Cli& cli, bool packetdrill_mode,
                                          suite::SuiteOptions* o) {
  // -j auto by default (runs keep their serial verdicts: docs/performance.md); invoked as
  // packetdrill, one at a time, as packetdrill (its runners do their own parallelism).
  o->jobs = packetdrill_mode ? 1 : 0;
  if (cli.jobs) {
    if (*cli.jobs == "auto") {
      o->jobs = 0;
    } else if (auto n = ParseCount(*cli.jobs, 1, 256)) {
      o->jobs = *n;
    } else {
      return "-j wants a number 1..256 or auto, not '" + *cli.jobs + "'";
    }
  }
  if (cli.retries) {
    auto n = ParseCount(*cli.retries, 0, 100);
    if (!n) return "--retries wants a number 0..100, not '" + *cli.retries + "'";
    o->retries = *n;
  }
  o->tolerance_scale = 1.0;
  if (cli.tolerance_scale) {
    if (*cli.tolerance_scale == "auto") {
      o->tolerance_scale.reset();
    } else {
      char* end = nullptr;
      const double x = std::strtod(cli.tolerance_scale->c_str(), &end);
      if (cli.tolerance_scale->empty() || *end != '\0' || !(x >= 0.1 && x <= 100)) {
        return "--tolerance_scale wants a factor 0.1..100 or auto, not '" +
               *cli.tolerance_scale + "'";
      }
      o->tolerance_scale = x;
    }
  }
  o->health = !packetdrill_mode;
  if (cli.health) {
    if (*cli.health != "on" && *cli.health != "off") {
      return "--health wants on or off, not '" + *cli.health + "'";
    }
    o->health = *cli.health == "on";
  }
  const char* markers = std::getenv("MPDRILL_KMSG_MARKERS");
  o->markers = markers && std::string_view(markers) == "1";
  o->kmemleak = cli.kmemleak;
  o->pcap_dir = cli.pcap_dir;
  return std::nullopt;
}

// A report file, opened before the suite so that a bad path is a usage error, not lost work.
bool OpenReport(const std::string& path, std::ofstream* f, std::string* err) {
  if (path.empty()) return true;
  f->open(path, std::ios::binary | std::ios::trunc);
  if (!*f) *err = "cannot write report file '" + path + "'";
  return static_cast<bool>(*f);
}

int RunAll(const std::vector<std::string>& args, CommandIo io, bool packetdrill_mode) {
  const char* prog = packetdrill_mode ? "packetdrill" : "mpdrill run";
  Cli cli;
  if (auto err = ParseArgs(args, &cli)) {
    io.err << prog << ": " << *err << "\n\n" << kUsage;
    return kExitBadInput;
  }
  if (cli.help) {
    io.out << kUsage;
    return kExitOk;
  }
  if (cli.inputs.empty()) {
    io.err << prog << ": no script given\n\n" << kUsage;
    return kExitBadInput;
  }
  // Validate the command-line flags once.
  {
    RunConfig probe;
    for (const Flag& f : cli.flags) {
      if (auto s = probe.Apply(f.name, f.value); !s) {
        io.err << prog << ": " << s.error() << "\n\n" << kUsage;
        return kExitBadInput;
      }
    }
  }
  suite::SuiteOptions options;
  if (auto err = SuiteOptionsOf(cli, packetdrill_mode, &options)) {
    io.err << prog << ": " << *err << "\n\n" << kUsage;
    return kExitBadInput;
  }
  std::ofstream tap, junit, json;
  std::string open_err;
  if (!OpenReport(cli.tap, &tap, &open_err) || !OpenReport(cli.junit, &junit, &open_err) ||
      !OpenReport(cli.json, &json, &open_err)) {
    io.err << prog << ": " << open_err << "\n";
    return kExitBadInput;
  }
  // A wire target: the agent session lives as long as the suite; runs go one at a time.
  std::unique_ptr<remote::WireTarget> wire;
  if (!cli.target.empty() && cli.target != "tun") {
    if (cli.target.rfind("wire:", 0) != 0) {
      io.err << prog << ": --target wants tun or wire:IFACE, not '" << cli.target << "'\n\n"
             << kUsage;
      return kExitBadInput;
    }
    remote::WireOptions w;
    w.interface = cli.target.substr(5);
    w.agent_endpoint = cli.agent;
    w.token_path = cli.agent_token;
    w.target_dev = cli.target_dev;
    auto opened = remote::WireTarget::Open(w);
    if (!opened) {
      io.err << prog << ": " << opened.error().message << "\n";
      return opened.error().kind == remote::WireErrorKind::kUsage ? kExitBadInput
                                                                 : kExitEnvironment;
    }
    wire = std::move(*opened);
    io.err << prog << ": target " << wire->description() << "\n";
    if (cli.jobs && options.jobs != 1) {
      io.err << prog << ": a wire target takes one run at a time: -j ignored\n";
    }
    options.serial = true;
    // Health from the target's kernel log through the agent, not from this machine's.
    options.target_health = options.health;
    options.health = false;
    options.launcher = [&wire](const run::IsolatedRun& r) { return wire->Start(r); };
  } else if (!cli.agent.empty() || !cli.agent_token.empty() || !cli.target_dev.empty()) {
    io.err << prog << ": --agent, --agent-token and --target-dev go with --target=wire:IFACE\n\n"
           << kUsage;
    return kExitBadInput;
  }
  suite::PlanOptions plan_options;
  plan_options.flags = cli.flags;
  plan_options.packetdrill_mode = packetdrill_mode;
  const suite::Plan plan = suite::MakePlan(cli.inputs, plan_options);
  for (const std::string& e : plan.input_errors) io.err << e << "\n";
  if (!cli.pcap_dir.empty()) {
    std::error_code ec;
    fs::create_directories(cli.pcap_dir, ec);
  }
  suite::Reporters reporters;
  // On a terminal, the progress line (on stderr; cleared before each result line).
  suite::ProgressReporter progress(io.err);
  if (isatty(STDERR_FILENO)) reporters.Add(&progress);
  suite::TextReporter text(io.out, io.err, prog, cli.ktap ? "# " : "");
  reporters.Add(&text);
  suite::TapReporter ktap(io.out, suite::TapReporter::Flavor::kKtap1);
  if (cli.ktap) reporters.Add(&ktap);
  suite::TapReporter tap_report(tap, suite::TapReporter::Flavor::kTap13);
  if (tap.is_open()) reporters.Add(&tap_report);
  suite::JunitReporter junit_report(junit);
  if (junit.is_open()) reporters.Add(&junit_report);
  suite::JsonReporter json_report(json);
  if (json.is_open()) reporters.Add(&json_report);
  // SIGINT / SIGTERM arrive on a signalfd: the scheduler kills the running children's groups.
  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigprocmask(SIG_BLOCK, &sigs, &old);
  options.signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
  const suite::SuiteSummary summary = suite::RunSuite(plan, options, reporters);
  if (options.signal_fd >= 0) close(options.signal_fd);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return suite::ExitCode(summary);
}

}  // namespace

int RunRun(const std::vector<std::string>& args, CommandIo io) { return RunAll(args, io, false); }

int RunPacketdrill(const std::vector<std::string>& args, CommandIo io) {
  return RunAll(args, io, true);
}

}  // namespace mpdrill::cli
