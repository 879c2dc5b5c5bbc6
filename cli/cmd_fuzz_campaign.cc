// `mpdrill fuzz campaign --kernel IMAGE [options] [-- LIBFUZZER_FLAGS]` (docs/fuzzing.md,
// "Campaigns in VMs"): parses flags, runs campaign::RunCampaign and prints its report.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "campaign/campaign.h"
#include "cli/commands.h"

namespace mpdrill::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: mpdrill fuzz campaign --kernel IMAGE [options] [-- LIBFUZZER_FLAGS...]\n"
    "\n"
    "Runs live_fuzzer inside `mpdrill vm` guests of IMAGE (one per worker) for --time seconds.\n"
    "A guest panic, a kernel WARN/BUG/KASAN report (panic_on_warn is set in the guest), a hang\n"
    "or a rule of the reference model the kernel broke is a finding: a directory in --findings\n"
    "with the input, the console excerpt, the kernel's release and SHA-256 and the replay\n"
    "command; the worker then boots a new guest and goes on. With the replay build of\n"
    "live_fuzzer (the default preset) each worker runs its share of --corpus once; with the\n"
    "libFuzzer build (`fuzz` preset, --fuzzer build/fuzz/fuzz/live_fuzzer) the workers fuzz a\n"
    "shared corpus (FINDINGS/corpus, seeded from --corpus) until the time is up.\n"
    "\n"
    "Exit codes: 0 no finding, 1 findings (or interrupted), 2 bad usage, 3 environment (bad\n"
    "kernel image, qemu missing, the guest could not run live_fuzzer).\n"
    "\n"
    "Options:\n";

std::string AbsolutePath(const std::string& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return (ec ? fs::path(p) : a).lexically_normal().string();
}

std::string Self() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).string();
}

void PrintRate(std::ostream& out, const std::string& who, int boots, const fuzz::LiveStats& s,
               double seconds) {
  char line[256];
  const double t = seconds > 0 ? seconds : 1;
  std::snprintf(line, sizeof(line),
                "%s: %d boot(s), %llu inputs, %llu injected packets, %llu kernel packets in "
                "%.1f s: %.2f inputs/s, %.1f injected packets/s\n",
                who.c_str(), boots, static_cast<unsigned long long>(s.inputs),
                static_cast<unsigned long long>(s.injected),
                static_cast<unsigned long long>(s.kernel), seconds, s.inputs / t, s.injected / t);
  out << line;
}

}  // namespace

int RunFuzzCampaign(const std::vector<std::string>& args, CommandIo io) {
  po::options_description visible;
  visible.add_options()("help,h", "show this help")(
      "kernel", po::value<std::string>(), "kernel image: a Debian linux-image-*.deb or a bzImage")(
      "modules", po::value<std::string>(), "the bzImage's modules (as mpdrill vm --modules)")(
      "time", po::value<long>()->default_value(600), "time budget, seconds")(
      "workers", po::value<int>()->default_value(1), "guests at once")(
      "corpus", po::value<std::string>()->default_value("corpus/live_fuzzer"), "seed corpus")(
      "findings", po::value<std::string>()->default_value("fuzz-findings"), "findings directory")(
      "fuzzer", po::value<std::string>(), "live_fuzzer binary (default: the build's)")(
      "env", po::value<std::vector<std::string>>(), "NAME=VALUE for live_fuzzer (repeatable)")(
      "cpus", po::value<int>()->default_value(1), "cpus per guest")(
      "memory", po::value<int>()->default_value(1024), "MiB per guest")(
      "accel", po::value<std::string>()->default_value("auto"), "auto, kvm or tcg")(
      "watchdog", po::value<long>()->default_value(30), "seconds without heartbeat = hang")(
      "cache", po::value<std::string>(), "as mpdrill vm --cache")("qemu", po::value<std::string>(),
                                                                  "qemu-system-x86_64 to use");
  std::vector<std::string> ours = args, extra;
  if (auto dash = std::find(ours.begin(), ours.end(), "--"); dash != ours.end()) {
    extra.assign(dash + 1, ours.end());
    ours.erase(dash, ours.end());
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(ours).options(visible).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "mpdrill fuzz campaign: " << e.what() << "\n\n" << kUsage << visible;
    return kExitBadInput;
  }
  if (vm.count("help")) {
    io.out << kUsage << visible;
    return kExitOk;
  }
  auto usage = [&](const std::string& why) {
    io.err << "mpdrill fuzz campaign: " << why << "\n\n" << kUsage << visible;
    return kExitBadInput;
  };
  if (!vm.count("kernel")) return usage("no --kernel given");
  const long budget = vm["time"].as<long>();
  const int workers = vm["workers"].as<int>();
  if (budget < 1 || budget > 30L * 24 * 3600) return usage("--time: expected 1..2592000 seconds");
  if (workers < 1 || workers > 64) return usage("--workers: expected 1..64");

  campaign::CampaignConfig c;
  c.vm.kernel.image = AbsolutePath(vm["kernel"].as<std::string>());
  if (vm.count("modules")) c.vm.kernel.modules = AbsolutePath(vm["modules"].as<std::string>());
  c.vm.kernel.cache_dir = vm.count("cache") ? fs::path(AbsolutePath(vm["cache"].as<std::string>()))
                                            : vm::DefaultCacheDir();
  const std::string accel = vm["accel"].as<std::string>();
  if (accel == "auto")
    c.vm.accel = vm::AccelMode::kAuto;
  else if (accel == "kvm")
    c.vm.accel = vm::AccelMode::kKvm;
  else if (accel == "tcg")
    c.vm.accel = vm::AccelMode::kTcg;
  else
    return usage("--accel: expected auto, kvm or tcg, got '" + accel + "'");
  if (vm.count("qemu")) c.vm.qemu = vm["qemu"].as<std::string>();
  c.vm.cpus = vm["cpus"].as<int>();
  c.vm.memory_mib = vm["memory"].as<int>();
  c.vm.watchdog = std::chrono::seconds(vm["watchdog"].as<long>());
  c.fuzzer = vm.count("fuzzer")
                 ? AbsolutePath(vm["fuzzer"].as<std::string>())
                 : (fs::path(Self()).parent_path().parent_path() / "fuzz" / "live_fuzzer").string();
  if (access(c.fuzzer.c_str(), X_OK) != 0) {
    io.err << "mpdrill fuzz campaign: no live_fuzzer at " << c.fuzzer.string()
           << " (--fuzzer BIN)\n";
    return kExitEnvironment;
  }
  c.kind = campaign::DetectFuzzerKind(c.fuzzer);
  if (c.kind == campaign::FuzzerKind::kReplay && !extra.empty()) {
    return usage("libFuzzer flags after '--' need the libFuzzer build of live_fuzzer");
  }
  c.fuzzer_args = extra;
  c.corpus = AbsolutePath(vm["corpus"].as<std::string>());
  c.findings = AbsolutePath(vm["findings"].as<std::string>());
  std::error_code ec;
  if (!fs::is_directory(c.corpus, ec))
    return usage("--corpus " + c.corpus.string() + ": no such directory");
  for (const std::string& d : {c.corpus.string(), c.findings.string()}) {
    if (std::string why = vm::CheckRwDir(d); !why.empty() && fs::exists(d, ec)) return usage(why);
  }
  c.budget = std::chrono::seconds(budget);
  c.workers = workers;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv(*e);
    if (kv.rfind("MPDRILL_LIVE_FUZZ_", 0) == 0 && kv.find('=') != std::string::npos) {
      c.fuzzer_env.emplace_back(kv.substr(0, kv.find('=')), kv.substr(kv.find('=') + 1));
    }
  }
  if (vm.count("env")) {
    for (const std::string& kv : vm["env"].as<std::vector<std::string>>()) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return usage("--env: expected NAME=VALUE, got '" + kv + "'");
      c.fuzzer_env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  c.mpdrill = Self();
  c.on_status = [&](const std::string& line) {
    io.err << "mpdrill fuzz campaign: " << line << "\n";
    io.err.flush();
  };
  io.err << "mpdrill fuzz campaign: " << c.fuzzer.string() << " ("
         << campaign::FuzzerKindName(c.kind) << "), " << workers << " worker(s), " << budget
         << " s, findings in " << c.findings.string() << "\n";

  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigprocmask(SIG_BLOCK, &sigs, &old);
  c.vm.signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
  const campaign::CampaignReport r = campaign::RunCampaign(c);
  if (c.vm.signal_fd >= 0) close(c.vm.signal_fd);
  sigprocmask(SIG_SETMASK, &old, nullptr);

  io.out << "mpdrill fuzz campaign: kernel " << r.kernel_release << " (sha256 " << r.kernel_identity
         << ")\n";
  fuzz::LiveStats all;
  int boots = 0;
  for (std::size_t i = 0; i < r.workers.size(); ++i) {
    const campaign::WorkerReport& w = r.workers[i];
    PrintRate(io.out, "worker " + std::to_string(i), w.boots, w.stats, w.seconds);
    if (!w.fuzzer_status.empty()) {
      io.out << "worker " << i << ": libFuzzer " << w.fuzzer_status << "\n";
    }
    all.inputs += w.stats.inputs;
    all.injected += w.stats.injected;
    all.kernel += w.stats.kernel;
    boots += w.boots;
  }
  PrintRate(io.out, "all " + std::to_string(r.workers.size()) + " worker(s)", boots, all,
            r.seconds);
  for (const campaign::Finding& f : r.findings) {
    io.out << "finding " << f.dir.string() << ": " << f.verdict << ": " << f.what << "\n";
  }
  io.out << "mpdrill fuzz campaign: " << r.findings.size() << " finding(s)\n";
  if (!r.error.empty()) {
    io.err << "mpdrill fuzz campaign: stopped: " << r.error << "\n";
    return kExitEnvironment;
  }
  if (r.interrupted) io.err << "mpdrill fuzz campaign: interrupted\n";
  return r.findings.empty() && !r.interrupted ? kExitOk : kExitFailure;
}

}  // namespace mpdrill::cli
