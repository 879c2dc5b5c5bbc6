// `mpdrill run FILE|DIR...`: runs packetdrill scripts against the running kernel, each script
// in each IP variant its name implies, every run in its own private network and PID namespace
// with a TUN device tun0 (engine/run). Invoked as `packetdrill`, it behaves as packetdrill:
// one script, exactly the given flags. docs/run.md describes both.
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "engine/run/run_config.h"
#include "engine/run/runner.h"
#include "engine/run/supervisor.h"
#include "parser/parser.h"

namespace mpdrill::cli {
namespace {

namespace fs = std::filesystem;
using run::IpVersion;
using run::RunConfig;
using run::Verdict;

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
    "\n"
    "Output: one line per run (PASS|FAIL|ERROR|ENV file (variant) seconds: first error), the\n"
    "model's findings under it (-v: all of them, and the packets), then a summary. Exit codes:\n"
    "0 all passed, 1 a test failed, 2 bad script or usage, 3 environment (no privilege, no TUN).\n";

// Flags that take a value (packetdrill's getopt table).
bool TakesValue(std::string_view name) {
  static constexpr std::string_view kValued[] = {
      "ip_version", "bind_port", "code_command", "code_format", "code_sockopt", "connect_port",
      "remote_ip", "local_ip", "gateway_ip", "netmask_ip", "speed", "mss", "mtu",
      "init_scripts", "tolerance_usecs", "tolerance_percent", "tcp_ts_tick_usecs", "non_fatal",
      "define", "D", "pcap", "seed", "so_filename", "so_flags", "model"};
  return std::find(std::begin(kValued), std::end(kValued), name) != std::end(kValued);
}

struct Flag {
  std::string name;
  std::optional<std::string> value;
};

struct Cli {
  std::vector<Flag> flags;  // applied over script header options
  std::vector<std::string> inputs;
  std::string pcap_dir;
  bool help = false;
};

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
    cli->flags.push_back({name, value});
  }
  return std::nullopt;
}

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return !in.bad();
}

// The flags upstream's MPTCP runner passes per variant (shared/upstream/README.md), as
// defaults under the script's and the command line's own.
void UpstreamVariantDefaults(IpVersion v, RunConfig* c) {
  switch (v) {
    case IpVersion::kIpv4:
      c->defines = {{"TFO_COOKIE", "de4f234f0f433a55"}, {"CMSG_LEVEL_IP", "SOL_IP"},
                    {"CMSG_TYPE_RECVERR", "IP_RECVERR"}};
      break;
    case IpVersion::kIpv4MappedIpv6:
      c->defines = {{"TFO_COOKIE", "de4f234f0f433a55"}, {"CMSG_LEVEL_IP", "SOL_IPV6"},
                    {"CMSG_TYPE_RECVERR", "IPV6_RECVERR"}};
      break;
    case IpVersion::kIpv6:
      c->mtu = 1520;
      c->defines = {{"TFO_COOKIE", "6aa6ae70c288023b"}, {"CMSG_LEVEL_IP", "SOL_IPV6"},
                    {"CMSG_TYPE_RECVERR", "IPV6_RECVERR"}};
      break;
  }
}

// With MPDRILL_KMSG_MARKERS=1 (set by `mpdrill vm` in its guest) each run writes
// "mpdrill: run-begin N LABEL" and "mpdrill: run-end N VERDICT" to /dev/kmsg, so that a
// kernel log alone names the run a kernel report came in (docs/vm.md).
class KmsgMarkers {
 public:
  KmsgMarkers() {
    const char* on = std::getenv("MPDRILL_KMSG_MARKERS");
    if (on != nullptr && std::string_view(on) == "1") fd_ = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  }
  ~KmsgMarkers() {
    if (fd_ >= 0) close(fd_);
  }
  KmsgMarkers(const KmsgMarkers&) = delete;
  KmsgMarkers& operator=(const KmsgMarkers&) = delete;
  void Write(const std::string& text) const {
    if (fd_ < 0) return;
    const std::string record = "<5>mpdrill: " + text;
    (void)!write(fd_, record.data(), record.size());
  }

 private:
  int fd_ = -1;
};

std::string VariantLabel(IpVersion v) {
  // verdicts.tsv spells the mapped variant "ipv4-mapped-v6".
  return v == IpVersion::kIpv4MappedIpv6 ? "ipv4-mapped-v6" : std::string(run::IpVersionName(v));
}

struct Tally {
  int runs = 0, passed = 0, failed = 0, script_errors = 0, env_errors = 0;
  // The live model: kernel violations and deliberate findings, and the runs they were in.
  std::uint64_t model_kernel = 0, model_deliberate = 0;
  int model_kernel_runs = 0, model_deliberate_runs = 0;
  bool model_on = false;
  int ExitCode() const {
    if (env_errors) return kExitEnvironment;
    if (script_errors) return kExitBadInput;
    if (failed) return kExitFailure;
    return kExitOk;
  }
};

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
  std::optional<IpVersion> forced;
  for (const Flag& f : cli.flags) {
    if (f.name == "ip_version" && f.value) forced = run::ParseIpVersion(*f.value);
  }
  std::vector<fs::path> files;
  Tally tally;
  for (const std::string& arg : cli.inputs) {
    std::error_code ec;
    const fs::path path(arg);
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".pkt") found.push_back(*it);
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      io.err << arg << ": error: no such file or directory\n";
      ++tally.script_errors;
    }
  }
  if (!cli.pcap_dir.empty()) {
    std::error_code ec;
    fs::create_directories(cli.pcap_dir, ec);
  }
  // SIGINT / SIGTERM arrive on a signalfd: the supervisor kills the running child's group.
  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigprocmask(SIG_BLOCK, &sigs, &old);
  const int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
  bool interrupted = false;
  const KmsgMarkers markers;
  for (const fs::path& path : files) {
    if (interrupted) break;
    std::string text;
    if (!ReadFile(path, &text)) {
      io.err << path.string() << ": error: cannot read file\n";
      ++tally.script_errors;
      continue;
    }
    auto parsed = parser::Parse(text, path.string());
    if (!parsed.ok()) {
      ++tally.runs;
      ++tally.script_errors;
      io.out << "ERROR " << path.string() << ": syntax error\n";
      io.err << parser::FormatDiagnostics(parsed.error());
      continue;
    }
    std::vector<IpVersion> variants;
    if (forced) {
      variants = {*forced};
    } else if (packetdrill_mode) {
      variants = {IpVersion::kIpv4};
    } else {
      variants = run::VariantsForFile(path.string());
    }
    for (IpVersion v : variants) {
      if (interrupted) break;
      RunConfig config;
      if (!packetdrill_mode) UpstreamVariantDefaults(v, &config);
      // As packetdrill, the verdicts are packetdrill's: the model only warns unless asked.
      if (packetdrill_mode) config.model_mode = run::ModelMode::kWarn;
      config.ip_version = v;
      std::optional<std::string> bad;
      for (const auto& h : parsed->options) {
        if (auto s = config.Apply(h.name == "-D" ? "D" : h.name, h.value); !s) {
          bad = path.string() + ":" + std::to_string(h.loc.line) + ": " + s.error();
        }
      }
      for (const Flag& f : cli.flags) (void)config.Apply(f.name, f.value);
      if (!forced) config.ip_version = v;
      if (!bad) {
        if (auto s = config.Finalize(); !s) bad = path.string() + ": " + s.error();
      }
      const std::string label = path.string() + " (" + VariantLabel(config.version) + ")";
      ++tally.runs;
      if (bad) {
        ++tally.script_errors;
        io.out << "ERROR " << label << ": " << *bad << "\n";
        continue;
      }
      if (config.dry_run) {
        ++tally.passed;
        io.out << "DRY " << label << ": parsed, " << parsed->events.size() << " event(s)\n";
        continue;
      }
      run::IsolatedRun req;
      req.script_path = path.string();
      req.script = &*parsed;
      req.config = config;
      const std::int64_t span_ms = run::ScriptSpanUsecs(*parsed) / 1000;
      req.deadline = std::chrono::milliseconds(std::min<std::int64_t>(span_ms + 20000, 120000));
      req.signal_fd = sfd;
      if (!cli.pcap_dir.empty()) {
        std::string flat = path.string();
        std::replace(flat.begin(), flat.end(), '/', '_');
        req.pcap_path = (fs::path(cli.pcap_dir) / (flat + "." + VariantLabel(config.version) + ".pcap")).string();
      }
      const std::string index = std::to_string(tally.runs);
      markers.Write("run-begin " + index + " " + label);
      const run::IsolatedResult r = run::RunIsolated(req);
      markers.Write("run-end " + index + " " + std::string(run::VerdictName(r.report.verdict)));
      interrupted = r.interrupted;
      char secs[32];
      std::snprintf(secs, sizeof(secs), "%.3f", r.seconds);
      io.out << run::VerdictName(r.report.verdict) << " " << label << " " << secs << "s";
      if (!r.report.first_error.empty()) io.out << ": " << r.report.first_error;
      io.out << "\n";
      if (config.model_mode != run::ModelMode::kOff) {
        tally.model_on = true;
        tally.model_kernel += r.report.model_kernel;
        tally.model_deliberate += r.report.model_deliberate;
        tally.model_kernel_runs += r.report.model_kernel > 0;
        tally.model_deliberate_runs += r.report.model_deliberate > 0;
      }
      std::istringstream notes(r.report.notes);
      for (std::string line; std::getline(notes, line);) io.out << "    " << line << "\n";
      if (!r.report.details.empty() && (r.report.verdict != Verdict::kPass || config.verbose)) {
        std::istringstream lines(r.report.details);
        std::string line;
        while (std::getline(lines, line)) io.out << "    " << line << "\n";
      }
      io.out.flush();
      switch (r.report.verdict) {
        case Verdict::kPass: ++tally.passed; break;
        case Verdict::kFail: ++tally.failed; break;
        case Verdict::kScriptError: ++tally.script_errors; break;
        case Verdict::kEnvironment: ++tally.env_errors; break;
      }
    }
  }
  if (sfd >= 0) close(sfd);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  io.out << prog << ": " << tally.runs << " run(s), " << tally.passed << " passed, "
         << tally.failed << " failed, " << tally.script_errors << " script error(s), "
         << tally.env_errors << " environment error(s)" << (interrupted ? ", interrupted" : "")
         << "\n";
  if (tally.model_on) {
    io.out << prog << ": model: " << tally.model_kernel << " kernel violation(s) in "
           << tally.model_kernel_runs << " run(s), " << tally.model_deliberate
           << " deliberate finding(s) in " << tally.model_deliberate_runs << " run(s)\n";
  }
  if (interrupted) return kExitFailure;
  return tally.ExitCode();
}

}  // namespace

int RunRun(const std::vector<std::string>& args, CommandIo io) { return RunAll(args, io, false); }

int RunPacketdrill(const std::vector<std::string>& args, CommandIo io) {
  return RunAll(args, io, true);
}

}  // namespace mpdrill::cli
