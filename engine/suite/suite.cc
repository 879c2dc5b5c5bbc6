#include "engine/suite/suite.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <memory>
#include <thread>
#include <utility>

#include "engine/run/supervisor.h"
#include "engine/suite/kmsg.h"
#include "engine/suite/latency.h"

namespace mpdrill::suite {
namespace {

namespace fs = std::filesystem;

// -j auto: at most this many runs at once, and never more than 8 per core; within that the
// measured wake-up latency sets the cap (docs/performance.md: 16 at once on 2 cores kept
// every verdict at 0.06x the serial wall where fork and exec are cheap, and were no faster
// than 8 where the scripts' own shell commands kept both cores busy).
constexpr int kMaxAutoJobs = 16;
constexpr int kMaxAutoJobsPerCore = 8;
// Nice value of each run's untimed set-up commands when several runs go at once (the lowest
// priority: they yield to other runs' timed shell commands; docs/performance.md).
constexpr int kUntimedNice = 19;
// Wake-up probes: at the start, and before each run started while others go on.
constexpr int kStartProbes = 60;
constexpr int kRunningProbes = 3;
constexpr std::int64_t kProbeSleepUsecs = 500;
constexpr std::size_t kProbeWindow = 30;
constexpr std::int64_t kDefaultToleranceUsecs = 4000;

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Slot {
  std::size_t item = 0;  // index into plan.items
  std::unique_ptr<run::RunHandle> run;
};

class Scheduler {
 public:
  Scheduler(const Plan& plan, const SuiteOptions& options, Reporter& reporter)
      : plan_(plan), options_(options), reporter_(reporter), results_(plan.items.size()),
        attempts_(plan.items.size(), 0), health_of_(plan.items.size()) {}

  SuiteSummary Run();

 private:
  void Prepare();
  void Start(std::size_t item);
  void Finished(Slot& slot);
  void AttributeNewEvents();
  // The plan index of the active run whose PID namespace holds host PID `pid`.
  std::optional<int> OwnerOf(int pid) const;
  void Emit();
  void Count(const RunResult& r);
  void AdjustCap();
  bool Interrupted();

  const Plan& plan_;
  const SuiteOptions& options_;
  Reporter& reporter_;
  std::vector<std::optional<RunResult>> results_;
  std::vector<int> attempts_;
  std::vector<std::vector<std::size_t>> health_of_;  // event indexes per item
  std::vector<std::string> first_errors_ = std::vector<std::string>(plan_.items.size());
  std::deque<std::size_t> queue_;
  std::vector<Slot> active_;
  std::size_t next_emit_ = 0;
  std::size_t events_seen_ = 0;
  std::size_t highest_started_ = 0;
  int done_ = 0, failures_ = 0;
  int cap_ = 1, max_jobs_ = 1;
  std::vector<std::int64_t> window_;
  std::unique_ptr<KernelLog> kmsg_;
  bool markers_ = false;
  bool markers_lost_ = false;  // a marker write failed: attribute by the active set too
  SuiteInfo info_;
  SuiteSummary summary_;
  double t0_ = 0;
};

void Scheduler::Prepare() {
  info_.planned = static_cast<int>(plan_.items.size());
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  info_.jobs_auto = options_.jobs == 0;
  max_jobs_ = info_.jobs_auto ? std::min(kMaxAutoJobs, kMaxAutoJobsPerCore * cores)
                              : std::max(1, options_.jobs);
  const auto runs = std::count_if(plan_.items.begin(), plan_.items.end(), [](const PlanItem& i) {
    return i.kind == PlanItem::Kind::kRun;
  });
  // One run is a serial run, whatever -j says: it keeps its busy start (RunConfig).
  if (options_.serial || runs <= 1) {
    info_.jobs_auto = false;
    max_jobs_ = 1;
  }
  info_.tolerance_auto = !options_.tolerance_scale;
  if (runs > 0 && (info_.jobs_auto || info_.tolerance_auto)) {
    window_ = ProbeWakeups(kStartProbes, kProbeSleepUsecs);
    info_.wakeup_p99_usecs = Quantile(window_, 0.99);
    summary_.wakeup_p99_usecs_max = info_.wakeup_p99_usecs;
  }
  info_.tolerance_scale = options_.tolerance_scale.value_or(
      AutoToleranceScale(info_.wakeup_p99_usecs, kDefaultToleranceUsecs));
  cap_ = info_.jobs_auto ? std::min(2, max_jobs_) : max_jobs_;
  if (info_.jobs_auto) AdjustCap();
  info_.jobs = info_.jobs_auto ? max_jobs_ : cap_;
  kmsg_ = KernelLog::Open(options_.health, options_.health || options_.markers);
  info_.health = kmsg_->readable() || options_.target_health;
  summary_.health = info_.health;
  markers_ = kmsg_->writable();
}

void Scheduler::AdjustCap() {
  if (!info_.jobs_auto) return;
  if (window_.size() > kProbeWindow) window_.erase(window_.begin(), window_.end() - kProbeWindow);
  // Half the tolerance for the probes' wake-up overshoot (a quarter held 2 runs at once on an
  // idle 2-core machine where -j 8 changed no verdict: docs/performance.md).
  const std::int64_t budget =
      std::llround(static_cast<double>(kDefaultToleranceUsecs) * info_.tolerance_scale / 2);
  cap_ = NextCap(cap_, static_cast<int>(active_.size()), Quantile(window_, 0.9), budget,
                 max_jobs_);
}

void Scheduler::Start(std::size_t item) {
  const PlanItem& p = plan_.items[item];
  run::IsolatedRun req;
  req.script_path = p.script_path;
  req.script = p.script.get();
  req.config = p.config;
  if (max_jobs_ > 1) {
    req.config.warm_start_usecs = 0;
    req.config.untimed_nice = kUntimedNice;
    req.config.realtime = true;
  }
  if (info_.tolerance_scale != 1) {
    req.config.tolerance_usecs = std::llround(static_cast<double>(req.config.tolerance_usecs) *
                                              info_.tolerance_scale);
    req.config.tolerance_percent *= info_.tolerance_scale;
  }
  const std::int64_t span_ms = run::ScriptSpanUsecs(*p.script) / 1000;
  req.deadline = std::chrono::milliseconds(std::min<std::int64_t>(span_ms + 20000, 120000));
  if (!options_.pcap_dir.empty()) {
    std::string flat = p.script_path;
    std::replace(flat.begin(), flat.end(), '/', '_');
    req.pcap_path = (fs::path(options_.pcap_dir) / (flat + "." + p.variant + ".pcap")).string();
  }
  if (markers_ && !kmsg_->Write(health::FormatRunBegin(p.index, p.script_path, p.variant))) {
    markers_lost_ = true;
  }
  highest_started_ = std::max(highest_started_, item + 1);
  active_.push_back({item, options_.launcher ? options_.launcher(req)
                                             : std::unique_ptr<run::RunHandle>(
                                                   run::ActiveRun::Start(req))});
  summary_.max_concurrency = std::max(summary_.max_concurrency, static_cast<int>(active_.size()));
}

std::optional<int> Scheduler::OwnerOf(int pid) const {
  struct stat st{};
  if (pid <= 0 || stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) != 0) {
    return std::nullopt;
  }
  for (const Slot& s : active_) {
    if (s.run->PidNamespace() == st.st_ino) return plan_.items[s.item].index;
  }
  return std::nullopt;
}

void Scheduler::AttributeNewEvents() {
  const auto& events = kmsg_->log().events();
  for (; events_seen_ < events.size(); ++events_seen_) {
    std::set<int> targets = events[events_seen_].active_runs;
    // Without (all) markers in the log, also the runs active when the suite read the line.
    if (!markers_ || markers_lost_) {
      for (const Slot& s : active_) targets.insert(plan_.items[s.item].index);
    }
    // Several runs at once: the one whose PID namespace holds the task the report names, when
    // that task still exists (a run's syscalls, its packets' receive path, its commands);
    // else every run active then (a timer, a kworker).
    if (targets.size() > 1 && events[events_seen_].pid) {
      if (auto owner = OwnerOf(*events[events_seen_].pid)) targets = {*owner};
    }
    if (targets.empty()) summary_.unattributed.push_back(events[events_seen_]);
    for (int t : targets) {
      if (t >= 1 && static_cast<std::size_t>(t) <= health_of_.size()) {
        health_of_[static_cast<std::size_t>(t - 1)].push_back(events_seen_);
      }
    }
  }
}

void Scheduler::Finished(Slot& slot) {
  const PlanItem& p = plan_.items[slot.item];
  const run::IsolatedResult& r = slot.run->result();
  if (markers_ && !kmsg_->Write(health::FormatRunEnd(p.index, run::VerdictName(r.report.verdict)))) {
    markers_lost_ = true;
  }
  kmsg_->Drain();
  AttributeNewEvents();
  const int attempt = attempts_[slot.item]++;
  if (attempt == 0) first_errors_[slot.item] = r.report.first_error;
  if (r.report.verdict == run::Verdict::kFail &&
      r.report.failure_class == run::FailureClass::kTiming && attempt < options_.retries &&
      !r.interrupted) {
    queue_.push_back(slot.item);  // again, after what is waiting
    return;
  }
  RunResult res;
  res.ran = true;
  res.index = p.index;
  res.script = p.script_path;
  res.variant = p.variant;
  res.report = r.report;
  res.seconds = r.seconds;
  res.retries = attempt;
  if (attempt > 0) res.first_attempt_error = first_errors_[slot.item];
  res.tolerance_scale = info_.tolerance_scale;
  res.model_on = p.config.model_mode != run::ModelMode::kOff;
  res.verbose = p.config.verbose > 0;
  for (std::size_t e : health_of_[slot.item]) res.health.push_back(kmsg_->log().events()[e]);
  if (r.target_log_read) {
    // A remote target's log: everything during the run is the run's (runs are serial there);
    // what came before it, between runs, is nobody's.
    health::HealthLog before, during;
    for (const std::string& line : r.target_log_before) before.Feed(line);
    for (const std::string& line : r.target_log) during.Feed(line);
    for (const health::HealthEvent& e : before.events()) summary_.unattributed.push_back(e);
    for (const health::HealthEvent& e : during.events()) res.health.push_back(e);
  }
  switch (r.report.verdict) {
    case run::Verdict::kPass: res.outcome = attempt > 0 ? Outcome::kFlaky : Outcome::kPass; break;
    case run::Verdict::kFail: res.outcome = Outcome::kFail; break;
    case run::Verdict::kScriptError: res.outcome = Outcome::kScriptError; break;
    case run::Verdict::kEnvironment: res.outcome = Outcome::kEnvironment; break;
  }
  if (!res.health.empty()) res.outcome = Outcome::kKernel;
  ++done_;
  failures_ += !IsSuccess(res) && !IsSkip(res);
  results_[slot.item] = std::move(res);
}

void Scheduler::Count(const RunResult& r) {
  ++summary_.runs;
  switch (r.outcome) {
    case Outcome::kPass:
    case Outcome::kDry: ++summary_.passed; break;
    case Outcome::kFail: ++summary_.failed; break;
    case Outcome::kScriptError: ++summary_.script_errors; break;
    case Outcome::kEnvironment: ++summary_.env_errors; break;
    case Outcome::kFlaky: ++summary_.flaky; break;
    case Outcome::kKernel: ++summary_.kernel; break;
  }
  if (r.model_on) {
    summary_.model_on = true;
    summary_.model_kernel += r.report.model_kernel;
    summary_.model_deliberate += r.report.model_deliberate;
    summary_.model_kernel_runs += r.report.model_kernel > 0;
    summary_.model_deliberate_runs += r.report.model_deliberate > 0;
  }
}

void Scheduler::Emit() {
  while (next_emit_ < results_.size() && results_[next_emit_]) {
    reporter_.Result(*results_[next_emit_]);
    Count(*results_[next_emit_]);
    ++next_emit_;
  }
}

bool Scheduler::Interrupted() {
  if (options_.signal_fd < 0) return false;
  pollfd p{options_.signal_fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return false;
  signalfd_siginfo si{};
  return read(options_.signal_fd, &si, sizeof(si)) > 0;
}

SuiteSummary Scheduler::Run() {
  t0_ = NowSeconds();
  Prepare();
  summary_.script_errors += static_cast<int>(plan_.input_errors.size());
  for (std::size_t i = 0; i < plan_.items.size(); ++i) {
    const PlanItem& p = plan_.items[i];
    if (p.kind == PlanItem::Kind::kRun) {
      queue_.push_back(i);
      continue;
    }
    RunResult res;
    res.index = p.index;
    res.script = p.script_path;
    res.variant = p.variant;
    res.tolerance_scale = info_.tolerance_scale;
    switch (p.kind) {
      case PlanItem::Kind::kDry:
        res.outcome = Outcome::kDry;
        res.events = p.script->events.size();
        break;
      case PlanItem::Kind::kSyntaxError:
        res.outcome = Outcome::kScriptError;
        res.report.verdict = run::Verdict::kScriptError;
        res.report.first_error = "syntax error";
        res.report.details = p.error;
        break;
      case PlanItem::Kind::kConfigError:
        res.outcome = Outcome::kScriptError;
        res.report.verdict = run::Verdict::kScriptError;
        res.report.first_error = p.error;
        break;
      case PlanItem::Kind::kRun: break;
    }
    ++done_;
    failures_ += res.outcome == Outcome::kScriptError;
    results_[i] = std::move(res);
  }
  reporter_.Begin(info_);
  double last_tick = 0;
  while (!queue_.empty() || !active_.empty()) {
    while (!summary_.interrupted && !queue_.empty()) {
      // Probed also while every slot is busy: the cap grows only when all its slots run
      // (before, it was probed only with a slot free, so it never grew past its start of 2).
      if (info_.jobs_auto && !active_.empty()) {
        for (std::int64_t v : ProbeWakeups(kRunningProbes, kProbeSleepUsecs)) window_.push_back(v);
        summary_.wakeup_p99_usecs_max =
            std::max(summary_.wakeup_p99_usecs_max, Quantile(window_, 0.99));
        AdjustCap();
      }
      if (static_cast<int>(active_.size()) >= cap_) break;
      // A run waits only for a free slot; Emit() restores plan order in the reports.
      const std::size_t item = queue_.front();
      queue_.pop_front();
      Start(item);
    }
    if (summary_.interrupted) queue_.clear();
    std::vector<pollfd> fds;
    for (const Slot& s : active_) {
      fds.push_back({s.run->report_fd(), POLLIN, 0});
      fds.push_back({s.run->pid_fd(), POLLIN, 0});
    }
    fds.push_back({kmsg_->fd(), POLLIN, 0});
    fds.push_back({options_.signal_fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 50);
    if (!summary_.interrupted && Interrupted()) {
      summary_.interrupted = true;
      for (Slot& s : active_) s.run->Interrupt();
      queue_.clear();
    }
    kmsg_->Drain();
    AttributeNewEvents();
    for (std::size_t i = 0; i < active_.size();) {
      if (active_[i].run->Poll()) {
        Finished(active_[i]);
        active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    Emit();
    const double now = NowSeconds() - t0_;
    if (now - last_tick >= 0.25) {
      last_tick = now;
      reporter_.Tick(done_, failures_, now);
    }
  }
  // Interrupted: what was planned after the last run started is not reported (as serial).
  if (summary_.interrupted) {
    for (std::size_t i = highest_started_; i < results_.size(); ++i) results_[i].reset();
  }
  for (; next_emit_ < results_.size(); ++next_emit_) {
    if (!results_[next_emit_]) continue;
    reporter_.Result(*results_[next_emit_]);
    Count(*results_[next_emit_]);
  }
  if (options_.kmemleak) {
    bool available = false;
    const std::string report = KmemleakScan(&available);
    summary_.kmemleak = available ? 1 : 0;
    kmsg_->Feed(report);
  }
  kmsg_->Drain();
  AttributeNewEvents();
  summary_.wall_seconds = NowSeconds() - t0_;
  reporter_.Tick(done_, failures_, summary_.wall_seconds);
  reporter_.End(summary_);
  return summary_;
}

}  // namespace

SuiteSummary RunSuite(const Plan& plan, const SuiteOptions& options, Reporter& reporter) {
  Scheduler s(plan, options, reporter);
  return s.Run();
}

}  // namespace mpdrill::suite
