#include "campaign/campaign.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>

#include "base/files.h"
#include "vm/guest_script.h"

namespace mpdrill::campaign {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Run in the guest before live_fuzzer: every kernel report becomes a panic, so that it ends
// the guest while its input is the one in MPDRILL_LIVE_FUZZ_CURRENT (syzkaller does the same).
constexpr const char* kGuestPrelude =
    "for k in panic_on_warn panic_on_oops softlockup_panic hung_task_panic; do "
    "[ -w /proc/sys/kernel/$k ] && echo 1 > /proc/sys/kernel/$k; done; exec \"$@\"";
// libFuzzer's time is the guest's minus this (boot, set-up and shutdown under TCG).
constexpr auto kBootAllowance = std::chrono::seconds(20);
constexpr std::size_t kOutputTail = 64 * 1024;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<fs::path> CorpusFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// libFuzzer's last "#N <event> cov: C ft: F corp: ..." line, or "".
std::string LastStatusLine(const std::string& output) {
  std::string last;
  std::size_t begin = 0;
  while (begin < output.size()) {
    std::size_t end = output.find('\n', begin);
    if (end == std::string::npos) end = output.size();
    const std::string_view line(output.data() + begin, end - begin);
    if (line.starts_with("#") && line.find(" cov: ") != std::string_view::npos &&
        line.find(" ft: ") != std::string_view::npos) {
      last = std::string(line.substr(0, line.find(" L: ")));  // not the mutation's details
    }
    begin = end + 1;
  }
  return last;
}

// State shared by the workers.
struct Shared {
  const CampaignConfig& config;
  vm::PreparedKernel kernel;
  Clock::time_point deadline;
  std::mutex mu;
  int next_finding = 1;
  std::vector<Finding> findings;
  std::string error;
  bool interrupted = false;
  std::atomic<bool> stop{false};
  std::atomic<int> in_guest{0};

  void Status(const std::string& line) {
    std::lock_guard<std::mutex> l(mu);
    if (config.on_status) config.on_status(line);
  }
};

int FirstFreeFindingNumber(const fs::path& dir) {
  int next = 1;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const int n = std::atoi(it->path().filename().c_str());
    next = std::max(next, n + 1);
  }
  return next;
}

// --rwdir: the finding's directory is seen by the guest wherever the command runs (a guest
// mounts a tmpfs on /tmp, hiding findings kept there).
std::string ReplayCommand(const CampaignConfig& c, const fs::path& input) {
  std::string cmd = c.mpdrill + " vm --kernel " + ShellQuote(c.vm.kernel.image.string()) +
                    " --rwdir " + ShellQuote(input.parent_path().string());
  for (const auto& [name, value] : c.fuzzer_env)
    cmd += " --env " + ShellQuote(name + "=" + value);
  return cmd + " -- " + ShellQuote(c.fuzzer.string()) + " " + ShellQuote(input.string());
}

class Worker {
 public:
  Worker(Shared& shared, int index, fs::path state)
      : s_(shared), c_(shared.config), index_(index), state_(std::move(state)) {}

  WorkerReport Run() {
    const Clock::time_point start = c_.now();
    if (c_.kind == FuzzerKind::kReplay) {
      const auto all = CorpusFiles(c_.corpus);
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (static_cast<int>(i % static_cast<std::size_t>(c_.workers)) == index_)
          queue_.push_back(all[i]);
      }
    }
    while (!s_.stop && Boot()) {
    }
    report_.seconds = std::chrono::duration<double>(c_.now() - start).count();
    return report_;
  }

 private:
  // One guest; false when this worker is done.
  bool Boot() {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(s_.deadline - c_.now());
    const bool libfuzzer = c_.kind == FuzzerKind::kLibFuzzer;
    if (left.count() <= 0 || (!libfuzzer && queue_.empty())) return false;
    if (libfuzzer && left < kBootAllowance + std::chrono::seconds(5) && report_.boots > 0)
      return false;
    const fs::path current = state_ / "current", stats = state_ / "stats";
    const fs::path console = state_ / "console.log";
    std::error_code ec;
    fs::remove(current, ec);
    fs::remove(stats, ec);

    vm::VmRequest req = c_.vm;
    req.argv = {"/bin/sh", "-c", kGuestPrelude, "mpdrill-campaign", c_.fuzzer.string()};
    if (libfuzzer) {
      const long secs = std::max<long>(5, (left - kBootAllowance).count());
      for (const std::string& a :
           {"-max_total_time=" + std::to_string(secs), std::string("-max_len=512"),
            std::string("-timeout=30"), "-artifact_prefix=" + state_.string() + "/",
            std::string("-print_final_stats=1")}) {
        req.argv.push_back(a);
      }
      req.argv.insert(req.argv.end(), c_.fuzzer_args.begin(), c_.fuzzer_args.end());
      req.argv.push_back(c_.corpus.string());
      req.timeout = left + kBootAllowance;
    } else {
      for (const fs::path& p : queue_) req.argv.push_back(p.string());
      req.timeout = left;
    }
    req.cwd = c_.findings.string();
    req.rw_dirs = {c_.corpus.string()};
    req.env = {{"MPDRILL_VM", "1"},
               {"MPDRILL_LIVE_FUZZ_CURRENT", current.string()},
               {"MPDRILL_LIVE_FUZZ_STATS", stats.string()}};
    req.env.insert(req.env.end(), c_.fuzzer_env.begin(), c_.fuzzer_env.end());
    req.console_copy = console.string();
    std::string output;
    auto keep = [&output](std::string_view b) {
      output.append(b);
      if (output.size() > 2 * kOutputTail) output.erase(0, output.size() - kOutputTail);
    };
    req.on_stdout = keep;
    req.on_stderr = keep;
    req.on_status = [this](const std::string& line) {
      s_.Status("worker " + std::to_string(index_) + ": " + line);
    };
    ++report_.boots;
    ++s_.in_guest;
    auto r = vm::RunVm(req);
    --s_.in_guest;
    if (!r) return Stop("", r.error().message);
    if (auto text = ReadFile(stats, 4096)) {
      if (auto st = fuzz::ParseLiveStats(*text)) {
        report_.stats.inputs += st->inputs;
        report_.stats.injected += st->injected;
        report_.stats.kernel += st->kernel;
      }
    }
    if (std::string status = LastStatusLine(output); !status.empty()) {
      report_.fuzzer_status = status;
    }
    const BootVerdict v = ClassifyBoot(r->outcome, output);
    switch (v.kind) {
      case BootVerdict::Kind::kDone:
        queue_.clear();
        fs::remove(console, ec);
        return libfuzzer;
      case BootVerdict::Kind::kBudgetEnd:
        fs::remove(console, ec);
        return false;
      case BootVerdict::Kind::kInterrupted:
        return Stop("interrupted", "");
      case BootVerdict::Kind::kEnvironment:
        return Stop("", v.what + (v.excerpt.empty() ? "" : "\n" + Join(v.excerpt)));
      case BootVerdict::Kind::kFinding:
        break;
    }
    Record(v, output, current, console);
    return true;
  }

  bool Stop(const std::string& interrupted, const std::string& error) {
    std::lock_guard<std::mutex> l(s_.mu);
    if (!interrupted.empty()) {
      s_.interrupted = true;
      // One signalfd read took the signal: raise it again for the workers still in a guest.
      if (s_.in_guest > 0) kill(getpid(), SIGINT);
    } else if (s_.error.empty()) {
      s_.error = error;
    }
    s_.stop = true;
    return false;
  }

  void Record(const BootVerdict& v, const std::string& output, const fs::path& current,
              const fs::path& console) {
    std::string input_bytes;
    const bool has_input = fs::exists(current) && [&] {
      auto t = ReadFile(current);
      if (t) input_bytes = *t;
      return t.ok();
    }();
    Finding f;
    f.verdict = v.verdict;
    f.what = v.what;
    f.worker = index_;
    f.boot = report_.boots;
    f.has_input = has_input;
    {
      std::lock_guard<std::mutex> l(s_.mu);
      char name[64];
      std::snprintf(name, sizeof(name), "%03d-%s", s_.next_finding++, Lower(v.verdict).c_str());
      f.dir = c_.findings / name;
    }
    std::error_code ec;
    fs::create_directories(f.dir, ec);
    if (has_input) (void)WriteFile(f.dir / "input", input_bytes);
    (void)WriteFile(f.dir / "console.txt", Join(v.excerpt));
    fs::rename(console, f.dir / "console.log", ec);
    (void)WriteFile(f.dir / "output.txt", output);
    std::string text = "verdict: " + v.verdict + "\nwhat: " + v.what +
                       "\nkernel: " + s_.kernel.release + "\nkernel-version: " + s_.kernel.version +
                       "\nkernel-image: " + c_.vm.kernel.image.string() +
                       "\nkernel-sha256: " + s_.kernel.identity +
                       "\nfuzzer: " + c_.fuzzer.string() + " (" + FuzzerKindName(c_.kind) +
                       ")\nworker: " + std::to_string(index_) +
                       "\nboot: " + std::to_string(report_.boots) + "\nfound: " + UtcNow() + "\n";
    text += has_input ? "input: input (" + std::to_string(input_bytes.size()) + " bytes)\n"
                      : "input: none (the guest ended before live_fuzzer ran an input)\n";
    text += "replay: " + ReplayCommand(c_, f.dir / "input") + "\n";
    (void)WriteFile(f.dir / "finding.txt", text);
    Advance(has_input ? &input_bytes : nullptr);
    s_.Status("worker " + std::to_string(index_) + ": finding " + f.dir.string() + ": " +
              v.verdict + ": " + v.what);
    std::lock_guard<std::mutex> l(s_.mu);
    s_.findings.push_back(std::move(f));
  }

  // Goes on after the input that made the finding: the replay queue drops it and what ran
  // before it; a libFuzzer corpus file with its bytes is removed (it would run again at once).
  void Advance(const std::string* input) {
    if (c_.kind == FuzzerKind::kLibFuzzer) {
      if (input == nullptr) return;
      for (const fs::path& p : CorpusFiles(c_.corpus)) {
        auto t = ReadFile(p);
        std::error_code ec;
        if (t && *t == *input) fs::remove(p, ec);
      }
      return;
    }
    std::size_t drop = 1;  // no input written: the first one never ran to completion
    if (input != nullptr) {
      for (std::size_t i = 0; i < queue_.size(); ++i) {
        auto t = ReadFile(queue_[i]);
        if (t && *t == *input) {
          drop = i + 1;
          break;
        }
      }
    }
    queue_.erase(queue_.begin(),
                 queue_.begin() + static_cast<std::ptrdiff_t>(std::min(drop, queue_.size())));
  }

  Shared& s_;
  const CampaignConfig& c_;
  int index_;
  fs::path state_;
  std::deque<fs::path> queue_;  // replay: this worker's inputs still to run
  WorkerReport report_;
};

}  // namespace

const char* FuzzerKindName(FuzzerKind kind) {
  switch (kind) {
    case FuzzerKind::kReplay:
      return "replay build";
    case FuzzerKind::kLibFuzzer:
      return "libFuzzer build";
  }
  return "?";
}

FuzzerKind DetectFuzzerKind(const fs::path& fuzzer) {
  auto bytes = ReadFile(fuzzer);
  return bytes && bytes->find("max_total_time") != std::string::npos ? FuzzerKind::kLibFuzzer
                                                                     : FuzzerKind::kReplay;
}

CampaignReport RunCampaign(const CampaignConfig& given) {
  CampaignReport report;
  const Clock::time_point start = given.now();
  std::error_code ec;
  fs::create_directories(given.findings, ec);
  if (ec) {
    report.error = given.findings.string() + ": " + ec.message();
    return report;
  }
  // libFuzzer adds inputs to its corpus and the campaign removes the ones that crashed the
  // kernel: it works on a copy in the findings directory, seeded from the corpus once.
  CampaignConfig config = given;
  if (config.kind == FuzzerKind::kLibFuzzer) {
    config.corpus = config.findings / "corpus";
    fs::create_directories(config.corpus, ec);
    if (CorpusFiles(config.corpus).empty()) {
      for (const fs::path& p : CorpusFiles(given.corpus)) {
        fs::copy_file(p, config.corpus / p.filename(), ec);
      }
    }
  }
  Shared shared{config};
  shared.deadline = start + config.budget;
  // The kernel once, before the workers: fills the cache they then share.
  {
    auto work = TempDir::Make(fs::temp_directory_path(), "mpdrill-campaign.");
    if (!work) {
      report.error = work.error();
      return report;
    }
    vm::KernelRequest kr = config.vm.kernel;
    kr.work_dir = work->path();
    auto k = vm::PrepareKernel(kr);
    if (!k) {
      report.error = k.error().message;
      return report;
    }
    shared.kernel = *k;
  }
  report.kernel_release = shared.kernel.release;
  report.kernel_identity = shared.kernel.identity;
  shared.next_finding = FirstFreeFindingNumber(config.findings);
  const fs::path state = config.findings / (".campaign." + std::to_string(getpid()));
  std::vector<Worker> workers;
  for (int i = 0; i < config.workers; ++i) {
    const fs::path dir = state / ("w" + std::to_string(i));
    fs::create_directories(dir, ec);
    workers.emplace_back(shared, i, dir);
  }
  report.workers.resize(workers.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&, i] { report.workers[i] = workers[i].Run(); });
  }
  for (std::thread& t : threads) t.join();
  fs::remove_all(state, ec);
  report.findings = std::move(shared.findings);
  report.error = shared.error;
  report.interrupted = shared.interrupted;
  report.seconds = std::chrono::duration<double>(config.now() - start).count();
  return report;
}

}  // namespace mpdrill::campaign
