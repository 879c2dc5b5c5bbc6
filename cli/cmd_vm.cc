// `mpdrill vm --kernel IMAGE [options] -- COMMAND...`: boots IMAGE (a bzImage, or a Debian
// linux-image package) in qemu with the host root shared read-only and runs COMMAND inside
// (an mpdrill subcommand, or any program). docs/vm.md describes it.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "vm/net.h"
#include "vm/session.h"

namespace mpdrill::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: mpdrill vm --kernel IMAGE [options] -- COMMAND [ARGS...]\n"
    "\n"
    "Boots IMAGE in qemu and runs COMMAND inside: an mpdrill subcommand (`run DIR`, `check\n"
    "X.pcap`, ...: this very binary runs in the guest) or any program of the host's root,\n"
    "which the guest sees read-only. The working directory (and each --rwdir) is shared\n"
    "read-write at its own path, so reports and captures land on the host. The guest has no\n"
    "network interface unless --tap or --control-port gives it one. Exit code: COMMAND's,\n"
    "or 3 (environment: bad image, missing module or tool, kernel lacking MPTCP/TUN/9p,\n"
    "--tap in the host's network namespace), 4 (COMMAND succeeded but the kernel logged a\n"
    "warning or bug), 5 (the kernel panicked or hung, or --timeout passed).\n"
    "\n"
    "  --kernel IMAGE     a bzImage (with --modules) or a Debian linux-image-*.deb\n"
    "  --modules DIR      the bzImage's modules: lib/modules/<release> or an INSTALL_MOD_PATH\n"
    "  --module NAME      load this module too (repeatable)\n"
    "  --cpus N (2)  --memory MIB (2048)\n"
    "  --accel auto|kvm|tcg (auto: KVM if a probe boot comes up, else TCG)\n"
    "  --timeout S (3600)   --watchdog S (30: no guest heartbeat = hung)   --boot-timeout S (180)\n"
    "  --rwdir DIR        share DIR read-write too (repeatable)\n"
    "  --env NAME=VALUE   set in the guest command's environment (MPDRILL_* pass through)\n"
    "  --console FILE     keep the guest's serial console log\n"
    "  --cache DIR        unpacked kernel packages and probe results (default\n"
    "                     $MPDRILL_CACHE_DIR, $XDG_CACHE_HOME/mpdrill or ~/.cache/mpdrill)\n"
    "  --qemu PATH        qemu-system-x86_64 to use\n"
    "  --append WORDS     more kernel command-line words (e.g. 'kmemleak=on')\n"
    "  --no-mptcp-check   boot kernels without MPTCP or TUN too (e.g. for `check`)\n"
    "  --tap NAME         the guest's eth0 on a tap NAME qemu creates in this network\n"
    "                     namespace, which must not be the host's (unshare -n, ip netns exec)\n"
    "  --tap-mac MAC      eth0's MAC (52:54:00:6d:70:01)\n"
    "  --control-port P   the guest's eth1, 10.0.2.15/24 on qemu user networking reaching\n"
    "                     nothing; 127.0.0.1:P here is forwarded to 10.0.2.15:P in the guest\n";

struct Options {
  std::string kernel;
  std::optional<std::string> modules;
  std::vector<std::string> extra_modules;
  int cpus = 2;
  int memory = 2048;
  vm::AccelMode accel = vm::AccelMode::kAuto;
  long timeout = 3600, watchdog = 30, boot_timeout = 180;
  std::vector<std::string> rwdirs;
  std::vector<std::pair<std::string, std::string>> env;
  std::string console;
  std::string cache;
  std::string qemu = "qemu-system-x86_64";
  std::vector<std::string> append;
  bool check_features = true;
  vm::GuestNics nics;
  std::optional<std::string> tap_mac;
  bool help = false;
  std::vector<std::string> command;
};

bool ParseNumber(const std::string& text, long low, long high, long* out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < low || v > high) return false;
  *out = v;
  return true;
}

std::optional<std::string> Parse(const std::vector<std::string>& args, Options* o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o->command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      return std::nullopt;
    }
    if (a == "-h" || a == "--help") {
      o->help = true;
      continue;
    }
    if (a == "--no-mptcp-check") {
      o->check_features = false;
      continue;
    }
    std::string name = a, value;
    bool has_value = false;
    if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    static const char* kValued[] = {"--kernel", "--modules", "--module", "--cpus", "--memory",
                                    "--accel", "--timeout", "--watchdog", "--boot-timeout",
                                    "--rwdir", "--env", "--console", "--cache", "--qemu",
                                    "--append", "--tap", "--tap-mac", "--control-port"};
    bool known = false;
    for (const char* k : kValued) known |= name == k;
    if (!known) {
      if (a.rfind("-", 0) == 0) return "unknown option '" + a + "'";
      return "unexpected '" + a + "': the guest command comes after '--'";
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return "option '" + name + "' needs a value";
      value = args[++i];
    }
    long n = 0;
    if (name == "--kernel") {
      if (!o->kernel.empty()) return "one --kernel at a time (ci/matrix.sh runs several)";
      o->kernel = value;
    } else if (name == "--modules") {
      o->modules = value;
    } else if (name == "--module") {
      o->extra_modules.push_back(value);
    } else if (name == "--cpus") {
      if (!ParseNumber(value, 1, 64, &n)) return "--cpus: expected 1..64, got '" + value + "'";
      o->cpus = static_cast<int>(n);
    } else if (name == "--memory") {
      if (!ParseNumber(value, 256, 262144, &n)) return "--memory: expected MiB 256..262144, got '" + value + "'";
      o->memory = static_cast<int>(n);
    } else if (name == "--accel") {
      if (value == "auto") o->accel = vm::AccelMode::kAuto;
      else if (value == "kvm") o->accel = vm::AccelMode::kKvm;
      else if (value == "tcg") o->accel = vm::AccelMode::kTcg;
      else return "--accel: expected auto, kvm or tcg, got '" + value + "'";
    } else if (name == "--timeout" || name == "--watchdog" || name == "--boot-timeout") {
      if (!ParseNumber(value, 1, 7 * 24 * 3600, &n)) return name + ": expected seconds, got '" + value + "'";
      (name == "--timeout" ? o->timeout : name == "--watchdog" ? o->watchdog : o->boot_timeout) = n;
    } else if (name == "--rwdir") {
      o->rwdirs.push_back(value);
    } else if (name == "--env") {
      const auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) return "--env: expected NAME=VALUE, got '" + value + "'";
      o->env.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (name == "--console") {
      o->console = value;
    } else if (name == "--cache") {
      o->cache = value;
    } else if (name == "--qemu") {
      o->qemu = value;
    } else if (name == "--tap") {
      if (std::string why = vm::CheckIfName(value); !why.empty()) return "--tap: " + why;
      o->nics.tap = value;
    } else if (name == "--tap-mac") {
      auto mac = vm::NormalizeMac(value);
      if (!mac) return "--tap-mac: expected a unicast MAC like 52:54:00:6d:70:01, got '" + value + "'";
      if (*mac == vm::kControlMac) return "--tap-mac: '" + value + "' is the control NIC's MAC";
      o->tap_mac = *mac;
    } else if (name == "--control-port") {
      if (!ParseNumber(value, 1, 65535, &n)) return "--control-port: expected a TCP port 1..65535, got '" + value + "'";
      o->nics.control_port = static_cast<int>(n);
    } else if (name == "--append") {
      std::istringstream words(value);
      for (std::string w; words >> w;) o->append.push_back(w);
    }
  }
  return std::nullopt;
}

std::string SelfExe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

std::string Absolute(const std::string& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return (ec ? fs::path(p) : a).lexically_normal().string();
}

void PrintEvent(std::ostream& err, const vm::ConsoleReport& e, std::size_t max_lines) {
  err << "mpdrill vm: " << e.verdict << " during ";
  if (e.active_runs.empty()) {
    err << "no run (console line " << e.line_number << ")";
  } else {
    for (std::size_t i = 0; i < e.active_runs.size(); ++i) err << (i ? ", " : "") << e.active_runs[i];
  }
  err << ": " << (e.excerpt.empty() ? "" : e.excerpt.front()) << "\n";
  // The call trace says more than the registers: from "Call Trace:" on when there is one.
  std::size_t from = 1;
  for (std::size_t i = 1; i < e.excerpt.size(); ++i) {
    if (e.excerpt[i].find("Call Trace:") != std::string::npos) {
      from = i;
      break;
    }
  }
  for (std::size_t i = from; i < e.excerpt.size() && i < from + max_lines; ++i) {
    err << "    " << e.excerpt[i] << "\n";
  }
}

// The directories an mpdrill command will write its outputs to (`--pcap DIR`, `--tap FILE`,
// `--junit FILE`, `--json FILE`): shared read-write with the guest so the files land on the
// host wherever they are. Relative paths are under the working directory, shared anyway.
std::vector<std::string> OutputDirs(const std::vector<std::string>& argv) {
  static const char* kFlags[] = {"--pcap", "--tap", "--junit", "--json"};
  std::vector<std::string> dirs;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    for (const char* flag : kFlags) {
      const std::string f(flag);
      std::string path;
      if (argv[i] == f && i + 1 < argv.size()) {
        path = argv[i + 1];
      } else if (argv[i].rfind(f + "=", 0) == 0) {
        path = argv[i].substr(f.size() + 1);
      }
      if (path.empty() || path[0] != '/') continue;
      std::error_code ec;
      fs::path dir = f == "--pcap" ? fs::path(path) : fs::path(path).parent_path();
      fs::create_directories(dir, ec);
      dirs.push_back(dir.lexically_normal().string());
    }
  }
  return dirs;
}

int Report(const vm::VmReport& r, const Options& o, CommandIo io) {
  const vm::MachineOutcome& m = r.outcome;
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.1f", m.seconds);
  int code = kExitEnvironment;
  switch (m.ending) {
    case vm::Ending::kExited:
      code = m.exit_code;
      io.err << "mpdrill vm: guest done in " << secs << " s: exit " << m.exit_code << "\n";
      break;
    case vm::Ending::kSetupError:
      io.err << "mpdrill vm: the guest could not be set up: " << m.message << "\n";
      code = kExitEnvironment;
      break;
    case vm::Ending::kKernelLacks:
      io.err << "mpdrill vm: kernel " << r.kernel.release << " lacks " << m.message
             << " (--no-mptcp-check boots it anyway)\n";
      code = kExitEnvironment;
      break;
    case vm::Ending::kPanic:
      code = kExitKernelCrash;
      break;
    case vm::Ending::kHang:
      io.err << "mpdrill vm: KERNEL-HANG: "
             << (m.ready.empty() ? "the guest did not come up within " + std::to_string(o.boot_timeout) + " s"
                                 : "no guest heartbeat for " + std::to_string(o.watchdog) + " s")
             << "; qemu killed after " << secs << " s\n";
      code = kExitKernelCrash;
      break;
    case vm::Ending::kTimeout:
      io.err << "mpdrill vm: VM-TIMEOUT: still running after --timeout " << o.timeout
             << " s; qemu killed\n";
      code = kExitKernelCrash;
      break;
    case vm::Ending::kInterrupted:
      io.err << "mpdrill vm: interrupted; qemu killed\n";
      code = kExitFailure;
      break;
    case vm::Ending::kVanished:
      io.err << "mpdrill vm: qemu ended before the guest finished: " << m.message << "\n";
      code = kExitEnvironment;
      break;
  }
  bool health = false;
  for (const vm::ConsoleReport& e : m.console.Reports()) {
    PrintEvent(io.err, e, 12);
    health = true;
  }
  if (const auto& p = m.console.panic()) {
    PrintEvent(io.err, *p, 1);
    io.err << "mpdrill vm: console tail:\n";
    for (const std::string& line : m.console.tail()) io.err << "    " << line << "\n";
  } else if (m.ending == vm::Ending::kHang || m.ending == vm::Ending::kVanished ||
             m.ending == vm::Ending::kSetupError) {
    io.err << "mpdrill vm: console tail:\n";
    for (const std::string& line : m.console.tail()) io.err << "    " << line << "\n";
  }
  if (code == kExitOk && health) code = kExitKernelHealth;
  return code;
}

}  // namespace

int RunVm(const std::vector<std::string>& args, CommandIo io) {
  Options o;
  if (auto err = Parse(args, &o)) {
    io.err << "mpdrill vm: " << *err << "\n\n" << kUsage;
    return kExitBadInput;
  }
  if (o.help) {
    io.out << kUsage;
    return kExitOk;
  }
  if (o.kernel.empty()) {
    io.err << "mpdrill vm: no --kernel given\n\n" << kUsage;
    return kExitBadInput;
  }
  if (o.command.empty()) {
    io.err << "mpdrill vm: no command given after '--'\n\n" << kUsage;
    return kExitBadInput;
  }
  if (o.tap_mac) {
    if (o.nics.tap.empty()) {
      io.err << "mpdrill vm: --tap-mac goes with --tap\n\n" << kUsage;
      return kExitBadInput;
    }
    o.nics.tap_mac = *o.tap_mac;
  }
  vm::VmRequest req;
  req.kernel.image = o.kernel;
  if (o.modules) req.kernel.modules = *o.modules;
  req.kernel.extra_modules = o.extra_modules;
  req.kernel.cache_dir = o.cache.empty() ? vm::DefaultCacheDir() : fs::path(o.cache);
  req.accel = o.accel;
  req.qemu = o.qemu;
  req.append = o.append;
  req.cpus = o.cpus;
  req.memory_mib = o.memory;
  req.timeout = std::chrono::seconds(o.timeout);
  req.watchdog = std::chrono::seconds(o.watchdog);
  req.boot_timeout = std::chrono::seconds(o.boot_timeout);
  req.need_mptcp = req.need_tun = o.check_features;
  req.nics = o.nics;
  req.console_copy = o.console.empty() ? "" : Absolute(o.console);
  req.cwd = Absolute(".");
  for (const std::string& d : {req.cwd}) {
    if (std::string why = vm::CheckRwDir(d); !why.empty()) {
      io.err << "mpdrill vm: working directory " << why << " (cd elsewhere)\n";
      return kExitBadInput;
    }
  }
  for (const std::string& d : o.rwdirs) {
    const std::string abs = Absolute(d);
    if (std::string why = vm::CheckRwDir(abs); !why.empty()) {
      io.err << "mpdrill vm: --rwdir " << why << "\n";
      return kExitBadInput;
    }
    req.rw_dirs.push_back(abs);
  }
  // The guest runs this binary for an mpdrill subcommand; the markers let the console name
  // the run a kernel report came in.
  req.argv = o.command;
  if (IsSubcommand(req.argv[0]) && req.argv[0] != "vm") req.argv.insert(req.argv.begin(), SelfExe());
  if (req.argv.size() > 1 && req.argv[0] == SelfExe()) {
    for (const std::string& d : OutputDirs(req.argv)) {
      if (vm::CheckRwDir(d).empty()) req.rw_dirs.push_back(d);
    }
    // Timing tolerances calibrated for the guest: an emulated CPU wakes up later than the
    // host's, so `run` scales its tolerances by the guest's measured wake-up latency unless
    // the command says otherwise.
    bool scaled = false;
    for (const std::string& a : req.argv) scaled |= a.rfind("--tolerance_scale", 0) == 0;
    if (req.argv[1] == "run" && !scaled) {
      req.argv.insert(req.argv.begin() + 2, "--tolerance_scale=auto");
    }
  }
  req.env.emplace_back("MPDRILL_KMSG_MARKERS", "1");
  req.env.emplace_back("MPDRILL_VM", "1");  // the guest command knows it is one (fuzz/live_hooks.h)
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv(*e);
    const auto eq = kv.find('=');
    if (kv.rfind("MPDRILL_", 0) == 0 && eq != std::string::npos && kv.rfind("MPDRILL_CACHE_DIR=", 0) != 0) {
      req.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  req.env.insert(req.env.end(), o.env.begin(), o.env.end());
  req.on_stdout = [&](std::string_view b) { io.out.write(b.data(), static_cast<std::streamsize>(b.size())); io.out.flush(); };
  req.on_stderr = [&](std::string_view b) { io.err.write(b.data(), static_cast<std::streamsize>(b.size())); io.err.flush(); };
  req.on_status = [&](const std::string& line) { io.err << "mpdrill vm: " << line << "\n"; io.err.flush(); };

  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigprocmask(SIG_BLOCK, &sigs, &old);
  req.signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
  auto report = vm::RunVm(req);
  if (req.signal_fd >= 0) close(req.signal_fd);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (!report) {
    io.err << "mpdrill vm: " << report.error().message << "\n";
    switch (report.error().code) {
      case vm::VmErrorCode::kNotAKernel:
      case vm::VmErrorCode::kBadImage:
      case vm::VmErrorCode::kMissingModule:
      case vm::VmErrorCode::kKernelLacks:
      case vm::VmErrorCode::kMissingTool:
      case vm::VmErrorCode::kIo:
      case vm::VmErrorCode::kQemu:
      case vm::VmErrorCode::kNetwork:
        return kExitEnvironment;
    }
    return kExitEnvironment;
  }
  return Report(*report, o, io);
}

}  // namespace mpdrill::cli
