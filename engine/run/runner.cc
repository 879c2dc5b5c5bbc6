#include "engine/run/runner.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <variant>

#include "engine/run/call_workers.h"
#include "engine/run/code_block.h"
#include "engine/run/datagram.h"
#include "engine/run/live_datagram.h"
#include "engine/run/live_packet.h"
#include "engine/run/netdev.h"
#include "engine/run/wire.h"
#include "engine/syscalls/executor.h"
#include "parser/printer.h"

namespace mpdrill::run {
namespace {

constexpr std::int64_t kCommandTimeoutMs = 30000;
constexpr std::int64_t kNonBlockingSyscallWaitUsecs = 2000000;
constexpr std::int64_t kAnyTimeWaitUsecs = 10000000;
// How long after a missed deadline the runner still looks for the expected packet, to tell a
// late packet (timing) from a missing one (semantic); at least 4 tolerances.
constexpr std::int64_t kLateGraceUsecs = 500000;
// Model findings shown per run without -v (the rest are counted).
constexpr int kModelNotesShown = 5;

// One syscall in flight on its own thread (packetdrill runs blocking calls beside the event
// loop the same way).
struct CallState {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<Result<syscalls::Outcome, syscalls::BackendError>> result;
  std::int64_t end_time = 0;
};

struct PendingCall {
  std::shared_ptr<CallState> state;
  const parser::Event* event = nullptr;
  Schedule schedule;
};

class ScriptRunner {
 public:
  ScriptRunner(const parser::Script& script, const RunConfig& config, const RunnerContext& ctx)
      : script_(script), config_(config), ctx_(ctx), timeline_(config.tolerance_usecs,
                                                               config.tolerance_percent),
        flows_(config, ctx.first_remote_port), datagrams_(config) {
    if (ctx.syscalls == nullptr) {
      local_.emplace(SyscallContextFor(config));
      backend_ = &*local_;
    } else {
      backend_ = ctx.syscalls;
    }
  }

  RunReport Run();

 private:
  std::string Where(const parser::SourceLoc& loc) const {
    return ctx_.script_path + ":" + std::to_string(loc.line) + ": ";
  }
  void Fail(Verdict v, const parser::SourceLoc& loc, const std::string& what,
            const std::string& details = "") {
    if (report_.verdict != Verdict::kPass) return;
    report_.verdict = v;
    report_.failure_class = v == Verdict::kFail ? FailureClass::kSemantic : FailureClass::kNone;
    report_.line = loc.line;
    report_.first_error = Where(loc) + what;
    report_.details = details;
  }
  bool failed() const { return report_.verdict != Verdict::kPass; }
  std::int64_t Now() { return ctx_.clock->NowUsecs() - t0_; }

  // `untimed`: a command before time 0, run at config_.untimed_nice.
  bool RunShell(const parser::Command& cmd, const parser::SourceLoc& loc, bool untimed = false);
  std::vector<std::string> ShellEnv() const;
  void DoCode(const parser::Event& ev, const parser::Code& code);
  void RunCode();
  void DoSyscall(const parser::Event& ev, const parser::Syscall& call, const Schedule& s);
  void FinishPending(std::int64_t wait_until);
  void CheckOutcome(const parser::Event& ev, const CallState& st, const Schedule& s);
  Result<std::vector<std::uint8_t>, PacketError> BuildInbound(const parser::Packet& p);
  void DoInbound(const parser::Event& ev, const parser::Packet& p, const Schedule& s,
                 Result<std::vector<std::uint8_t>, PacketError> bytes);
  void DoOutbound(const parser::Event& ev, const parser::Packet& p, const Schedule& s);
  void DoOutboundDatagram(const parser::Event& ev, const parser::Packet& p, const Schedule& s);
  // When an outbound packet scheduled by `s` must have come.
  std::int64_t OutboundDeadline(const Schedule& s) {
    return s.any ? Now() + kAnyTimeWaitUsecs : s.end + s.tolerance;
  }
  // The next sniffed packet by `deadline`, its time in run time; nullopt when none came or
  // reading failed (then the run failed).
  std::optional<SniffedPacket> NextSniffed(const parser::Event& ev, std::int64_t deadline);
  // The expected packet did not come by `deadline`.
  void TimedOut(const parser::Event& ev, const parser::Packet& p, std::int64_t deadline);
  // The verdict on the sniffed packet taken for `p`: its mismatches (printed with `actual`),
  // else its time.
  void Judge(const parser::Event& ev, const parser::Packet& p, const Schedule& s,
             const Result<std::vector<std::string>, PacketError>& result,
             const std::string& actual, std::int64_t time);
  bool CheckOnTime(const parser::Event& ev, const Schedule& s, std::int64_t actual,
                   const std::string& what);
  void ClassifyLate(const parser::Packet& p, const Schedule& s, std::int64_t deadline);
  // The live model (--model): which event runs, and what it found since the last call.
  void ModelEvent(const parser::SourceLoc& loc) {
    if (ctx_.model) ctx_.model->SetEvent(loc.line);
  }
  void CheckModel();
  void CloseModel();

  const parser::Script& script_;
  const RunConfig& config_;
  const RunnerContext& ctx_;
  Timeline timeline_;
  std::optional<syscalls::LocalSyscallBackend> local_;  // when the context brings none
  syscalls::SyscallBackend* backend_ = nullptr;
  FlowTable flows_;
  DatagramTable datagrams_;  // UDP and the kernel's ICMP
  std::int64_t t0_ = 0;
  std::optional<PendingCall> pending_;
  CallWorkers workers_;  // the script's system calls
  RunReport report_;
  int model_notes_ = 0;
  int model_notes_hidden_ = 0;
  // packetdrill's socket under test: the last socket() or accept() result (script fd); the
  // code blocks read its TCP_INFO.
  std::optional<int> socket_under_test_;
  CodeBlocks code_;
};

// packetdrill exports its own pid as PACKETDRILL_PID, the parent of every shell command it
// runs: set_sysctls.py writes /tmp/sysctl_restore_${PACKETDRILL_PID}.sh and the scripts' cleanup
// runs /tmp/sysctl_restore_${PPID}.sh. Shell commands here are children of the run's process,
// so its pid as they see it (inside the run's PID namespace) keeps the two names equal.
std::string PacketdrillPid() { return std::to_string(getpid()); }

// A kernel violation fails the run (--model=fail) unless it already failed: the first becomes
// the run's error, located at the event being executed when its packet crossed tun0. Every
// other finding (mpdrill's own packets: deliberate; --model=warn; after the first error) is a
// note, printed whatever the verdict.
void ScriptRunner::CheckModel() {
  if (!ctx_.model) return;
  for (const MonitorFinding& f : ctx_.model->Take()) {
    std::string packet;
    if (f.packet_origin == PacketOrigin::kKernel) {
      if (auto live = ParseLive(f.packet, 0)) packet = "kernel packet: " + flows_.FormatLive(*live);
    }
    const std::string text = f.finding.ToString();
    if (!f.finding.deliberate() && config_.model_mode == ModelMode::kFail && !failed()) {
      Fail(Verdict::kFail, parser::SourceLoc{f.line, 0}, text, packet);
      continue;
    }
    if (model_notes_ >= kModelNotesShown && config_.verbose == 0) {
      ++model_notes_hidden_;
      continue;
    }
    ++model_notes_;
    report_.notes += Where(parser::SourceLoc{f.line, 0}) + text + "\n";
    if (config_.verbose > 0 && !packet.empty()) report_.notes += "  " + packet + "\n";
  }
}

// End of the run: packets after this are not judged, and connections the script left open
// stay open (no end-of-input rule runs: docs/run.md).
void ScriptRunner::CloseModel() {
  if (!ctx_.model) return;
  ctx_.model->Close();
  CheckModel();
  const MonitorTotals t = ctx_.model->Totals();
  report_.model_kernel = static_cast<std::uint32_t>(t.kernel);
  report_.model_deliberate = static_cast<std::uint32_t>(t.deliberate);
  if (model_notes_hidden_ > 0) {
    report_.notes += "model: " + std::to_string(model_notes_hidden_) +
                     " more finding(s) not shown (-v shows them)\n";
  }
  if (t.dropped > 0) {
    report_.notes += "model: " + std::to_string(t.dropped) + " more finding(s) only counted\n";
  }
  if (config_.verbose > 0) {
    report_.details += "model (" + std::string(ModelModeName(config_.model_mode)) +
                       "): " + std::to_string(t.packets) + " packet(s) on tun0 (" +
                       std::to_string(t.skipped) + " not TCP), " + std::to_string(t.connections) +
                       " connection(s), " + std::to_string(t.kernel) + " kernel violation(s), " +
                       std::to_string(t.deliberate) + " deliberate\n";
  }
}

std::vector<std::string> ScriptRunner::ShellEnv() const {
  std::vector<std::string> env = ctx_.base_env;
  env.push_back("PACKETDRILL_PID=" + PacketdrillPid());
  for (const auto& [k, v] : config_.ShellEnvironment()) env.push_back(k + "=" + v);
  return env;
}

bool ScriptRunner::RunShell(const parser::Command& cmd, const parser::SourceLoc& loc,
                            bool untimed) {
  const auto timeout = std::chrono::milliseconds(kCommandTimeoutMs);
  ExecResult r = ctx_.commands
                     ? ctx_.commands->Run(cmd.text, ShellEnv(), ctx_.script_dir, timeout)
                     : Exec({"/bin/sh", "-c", cmd.text}, ShellEnv(), ctx_.script_dir, timeout,
                            untimed ? config_.untimed_nice : 0);
  if (r.timed_out) {
    Fail(Verdict::kFail, loc,
         "shell command timed out after " + std::to_string(kCommandTimeoutMs / 1000) + " s: `" +
             cmd.text + "`",
         r.output);
    return false;
  }
  if (r.exit_code != 0) {
    Fail(Verdict::kFail, loc,
         "shell command failed: expected: exit 0 actual: exit " + std::to_string(r.exit_code) +
             ": `" + cmd.text + "`",
         r.output.empty() ? "" : "command output:\n" + r.output);
    return false;
  }
  return true;
}

bool ScriptRunner::CheckOnTime(const parser::Event& ev, const Schedule& s, std::int64_t actual,
                               const std::string& what) {
  // packetdrill (run.c wait_for_event) checks no time for the first event: it happens when
  // the run starts, however long the process took to get there.
  if (&ev == &script_.events.front()) return true;
  if (auto err = CheckTiming(s, actual)) {
    const bool first = !failed();
    Fail(Verdict::kFail, ev.loc, what + ": " + *err, parser::PrintEvent(ev));
    if (first) {
      report_.failure_class = FailureClass::kTiming;
      report_.timing_excess_usecs = TimingExcess(s, actual);
    }
    return false;
  }
  return true;
}

void ScriptRunner::CheckOutcome(const parser::Event& ev, const CallState& st, const Schedule& s) {
  const auto& r = *st.result;
  if (!r.ok()) {
    const syscalls::SyscallError& e = r.error().error;
    const parser::SourceLoc loc = e.loc.line > 0 ? e.loc : ev.loc;
    Fail(r.error().kind == syscalls::BackendErrorKind::kUnavailable ? Verdict::kEnvironment
                                                                    : Verdict::kScriptError,
         loc, e.message);
    return;
  }
  const auto* call = std::get_if<parser::Syscall>(&ev.action);
  if (call && (call->name == "socket" || call->name == "accept" || call->name == "accept4") &&
      !r->opened_fds.empty()) {
    socket_under_test_ = r->opened_fds.front();
  }
  if (r->mismatch) {
    if (!config_.non_fatal_syscall) Fail(Verdict::kFail, ev.loc, *r->mismatch, parser::PrintEvent(ev));
    return;
  }
  if (s.syscall_end) {
    Schedule end = s;
    end.start = end.end = *s.syscall_end;
    end.any = false;
    // packetdrill (run_system_call.c): the return's tolerance grows with the call's own
    // duration, not with the time since the event before it.
    end.tolerance = timeline_.Tolerance(*s.syscall_end - s.start);
    CheckOnTime(ev, end, st.end_time, "blocking system call return");
  }
}

void ScriptRunner::FinishPending(std::int64_t wait_until) {
  if (!pending_) return;
  PendingCall p = std::move(*pending_);
  pending_.reset();
  std::unique_lock<std::mutex> lock(p.state->mu);
  while (!p.state->done) {
    const std::int64_t left = wait_until - Now();
    if (left <= 0) break;
    p.state->cv.wait_for(lock, std::chrono::microseconds(left < 10000 ? left : 10000));
  }
  if (!p.state->done) {
    Fail(Verdict::kFail, p.event->loc,
         "blocking system call did not return: expected: return by " +
             Seconds(p.schedule.syscall_end.value_or(p.schedule.start)) + " sec actual: still blocked at " +
             Seconds(Now()) + " sec",
         parser::PrintEvent(*p.event));
    return;
  }
  CheckOutcome(*p.event, *p.state, p.schedule);
}

void ScriptRunner::DoSyscall(const parser::Event& ev, const parser::Syscall& call,
                             const Schedule& s) {
  // One call at a time: an earlier blocking call must have returned by now.
  FinishPending(Now() + kNonBlockingSyscallWaitUsecs);
  if (failed()) return;
  auto st = std::make_shared<CallState>();
  Clock* clock = ctx_.clock;
  const std::int64_t t0 = t0_;
  syscalls::SyscallBackend* ex = backend_;
  const parser::Syscall* c = &call;
  const parser::SourceLoc loc = ev.loc;
  workers_.Submit([st, clock, t0, ex, c, loc] {
    auto r = ex->Run(*c, loc);
    std::lock_guard<std::mutex> lock(st->mu);
    st->result.emplace(std::move(r));
    st->end_time = clock->NowUsecs() - t0;
    st->done = true;
    st->cv.notify_all();
  });
  pending_ = PendingCall{st, &ev, s};
  if (!call.end_usecs) {
    // Not marked blocking: it must return promptly.
    FinishPending(Now() + kNonBlockingSyscallWaitUsecs);
  }
}

Result<std::vector<std::uint8_t>, PacketError> ScriptRunner::BuildInbound(const parser::Packet& p) {
  return DatagramTable::Owns(p) ? datagrams_.BuildInbound(p) : flows_.BuildInbound(p);
}

void ScriptRunner::DoInbound(const parser::Event& ev, const parser::Packet& p, const Schedule& s,
                             Result<std::vector<std::uint8_t>, PacketError> bytes) {
  if (!bytes) {
    Fail(bytes.error().script_error ? Verdict::kScriptError : Verdict::kFail, ev.loc,
         "inbound packet: " + bytes.error().message, parser::PrintPacket(p));
    return;
  }
  // packetdrill's --mss: every inbound TCP packet is a GSO packet of that segment size.
  const bool tcp = std::holds_alternative<parser::TcpSegment>(p.body);
  const auto gso = static_cast<std::uint16_t>(tcp && config_.mss > 0 ? config_.mss : 0);
  // The injection time is the write's start, as packetdrill checks it: a TUN write runs the
  // kernel's receive path (and its answer) before it returns, which is no lateness of ours.
  const std::int64_t sent = Now();
  if (auto st = ctx_.io->Send(*bytes, gso); !st) {
    Fail(Verdict::kEnvironment, ev.loc, "writing inbound packet to " + ctx_.link_name + ": " + st.error());
    return;
  }
  if (!s.any) report_.inbound_lateness_usecs.push_back(sent - s.start);
  CheckOnTime(ev, s, sent, "inbound packet");
}

void ScriptRunner::TimedOut(const parser::Event& ev, const parser::Packet& p,
                            std::int64_t deadline) {
  Fail(Verdict::kFail, ev.loc,
       "error handling packet: Timed out waiting for packet: expected: " +
           parser::PrintPacket(p) + " by " + Seconds(deadline) + " sec actual: none",
       "script packet: " + parser::PrintPacket(p));
}

void ScriptRunner::Judge(const parser::Event& ev, const parser::Packet& p, const Schedule& s,
                         const Result<std::vector<std::string>, PacketError>& result,
                         const std::string& actual, std::int64_t time) {
  if (!result.ok()) {
    Fail(result.error().script_error ? Verdict::kScriptError : Verdict::kFail, ev.loc,
         "outbound packet: " + result.error().message, parser::PrintPacket(p));
    return;
  }
  if (!result->empty()) {
    if (config_.non_fatal_packet) return;
    std::string details = "script packet: " + parser::PrintPacket(p) + "\nactual packet: " + actual;
    for (std::size_t i = 1; i < result->size(); ++i) details += "\nalso: " + (*result)[i];
    Fail(Verdict::kFail, ev.loc, (*result)[0], details);
    return;
  }
  if (!s.any && s.start == s.end) report_.outbound_offset_usecs.push_back(time - s.start);
  timeline_.Happened(s, time);
  CheckOnTime(ev, s, time, "outbound packet");
}

// An outbound UDP datagram or ICMP message: the first sniffed one of its kind (TCP and the
// kernel's IPv6 housekeeping are skipped), matched alone (no coalescing).
std::optional<SniffedPacket> ScriptRunner::NextSniffed(const parser::Event& ev,
                                                       std::int64_t deadline) {
  auto got = ctx_.io->Receive(deadline + t0_);
  if (!got) {
    Fail(Verdict::kEnvironment, ev.loc, "reading " + ctx_.link_name + ": " + got.error());
    return std::nullopt;
  }
  if (*got) (*got)->time -= t0_;
  return std::move(*got);
}

void ScriptRunner::DoOutboundDatagram(const parser::Event& ev, const parser::Packet& p,
                                      const Schedule& s) {
  const std::int64_t deadline = OutboundDeadline(s);
  while (true) {
    auto got = NextSniffed(ev, deadline);
    if (!got) {
      if (failed()) return;
      TimedOut(ev, p, deadline);
      if (!s.any) ClassifyLate(p, s, deadline);
      return;
    }
    auto live = ParseLiveDatagram(got->bytes, got->time);
    if (!live || !datagrams_.Expected(p, *live)) continue;
    auto result = datagrams_.MatchOutbound(p, *live);
    Judge(ev, p, s, result, datagrams_.FormatLive(*live), live->time);
    return;
  }
}

void ScriptRunner::DoOutbound(const parser::Event& ev, const parser::Packet& p,
                              const Schedule& s) {
  if (!std::holds_alternative<parser::TcpSegment>(p.body)) {
    DoOutboundDatagram(ev, p, s);
    return;
  }
  const std::int64_t deadline = OutboundDeadline(s);
  std::vector<LivePacket> segments;
  while (true) {
    auto got = NextSniffed(ev, deadline);
    if (!got) {
      if (failed()) return;
      if (!segments.empty()) break;  // coalescing ran out: compare what came
      TimedOut(ev, p, deadline);
      if (!s.any) ClassifyLate(p, s, deadline);
      return;
    }
    auto live = ParseLive(got->bytes, got->time);
    if (!live) continue;  // not a TCP packet of the run (IPv6 ND, MLD, ...)
    if (!flows_.Expected(p, *live)) {
      report_.details += Where(ev.loc) + "ignored (no known connection): " +
                         flows_.FormatLive(*live) + "\n";
      continue;
    }
    if (segments.empty()) {
      segments.push_back(std::move(*live));
      if (config_.strict_segments || !flows_.WantsMore(p, segments)) break;
    } else if (flows_.Continues(segments, *live)) {
      segments.push_back(std::move(*live));
      if (!flows_.WantsMore(p, segments)) break;
    } else {
      got->time += t0_;  // back in the clock's time, as it was read
      ctx_.io->Unread(std::move(*got));
      break;
    }
  }
  const LivePacket merged = Coalesce(segments);
  // packetdrill: the TS val tolerance grows with the time since the start, not the last event.
  const std::int64_t ts_tolerance = std::max<std::int64_t>(
      config_.tolerance_usecs,
      std::llround(config_.tolerance_percent / 100.0 * static_cast<double>(s.start)));
  auto result = flows_.MatchOutbound(p, merged, ts_tolerance);
  Judge(ev, p, s, result, result.ok() && !result->empty() ? flows_.FormatLive(merged) : "",
        merged.time);
}

// A %{ }% block: the snapshot now, the python after the script (packetdrill's code.c).
void ScriptRunner::DoCode(const parser::Event& ev, const parser::Code& code) {
  if (!local_) {
    Fail(Verdict::kScriptError, ev.loc,
         "%{ }% blocks read TCP_INFO of a local socket: not supported when syscalls run on " +
             std::string(backend_->Name()));
    return;
  }
  const std::optional<int> fd =
      socket_under_test_ ? local_->executor().RealFd(*socket_under_test_) : std::nullopt;
  if (!fd) {
    Fail(Verdict::kFail, ev.loc, "runtime error in code: no socket to use for code");
    return;
  }
  if (auto s = code_.Add(*fd, ev.loc.line, code.text); !s) {
    Fail(Verdict::kFail, ev.loc, "runtime error in code: " + s.error());
  }
}

void ScriptRunner::RunCode() {
  auto f = code_.Execute(config_.code_command, ctx_.script_path, ctx_.script_dir, ShellEnv(),
                         std::chrono::milliseconds(kCommandTimeoutMs));
  if (!f) return;
  Fail(f->environment ? Verdict::kEnvironment : Verdict::kFail, parser::SourceLoc{f->line, 0},
       f->message, f->output.empty() ? "" : "python output:\n" + f->output);
  if (f->line == 0) report_.first_error = ctx_.script_path + ": " + f->message;
}

// The expected packet did not come by its deadline: a semantic failure (packetdrill's message
// stays) unless it comes matching within a grace period after it -- then the run failed on
// timing, by that much (a retry may pass: mpdrill run --retries).
void ScriptRunner::ClassifyLate(const parser::Packet& p, const Schedule& s,
                                std::int64_t deadline) {
  const std::int64_t grace_end =
      deadline + std::max<std::int64_t>(kLateGraceUsecs, 4 * s.tolerance);
  const bool tcp = std::holds_alternative<parser::TcpSegment>(p.body);
  while (true) {
    auto got = ctx_.io->Receive(grace_end + t0_);
    if (!got || !*got) return;
    const std::int64_t time = (*got)->time - t0_;
    Result<std::vector<std::string>, PacketError> match = std::vector<std::string>{};
    std::string text;
    if (tcp) {
      auto live = ParseLive((*got)->bytes, time);
      if (!live || !flows_.Expected(p, *live)) continue;
      match = flows_.MatchOutbound(p, *live, std::numeric_limits<std::int64_t>::max() / 4);
      text = flows_.FormatLive(*live);
    } else {
      auto live = ParseLiveDatagram((*got)->bytes, time);
      if (!live || !datagrams_.Expected(p, *live)) continue;
      match = datagrams_.MatchOutbound(p, *live);
      text = datagrams_.FormatLive(*live);
    }
    if (!match.ok() || !match->empty()) return;  // a wrong packet: semantic after all
    report_.failure_class = FailureClass::kTiming;
    report_.timing_excess_usecs = time - deadline;
    report_.details += "\nthe packet came " + Seconds(time - deadline) +
                       " sec after the deadline (a timing failure): " + text;
    return;
  }
}

RunReport ScriptRunner::Run() {
  // --init_scripts: packetdrill runs each, comma-separated, before the script.
  for (std::size_t pos = 0; !config_.init_scripts.empty() && pos <= config_.init_scripts.size();) {
    std::size_t end = config_.init_scripts.find(',', pos);
    if (end == std::string::npos) end = config_.init_scripts.size();
    const parser::Command cmd{config_.init_scripts.substr(pos, end - pos), parser::SourceLoc{}};
    if (!RunShell(cmd, cmd.loc, /*untimed=*/true)) {
      report_.first_error = ctx_.script_path + ": error executing init script '" + cmd.text +
                            "': " + report_.first_error.substr(report_.first_error.find(": ") + 2);
      return report_;
    }
    pos = end + 1;
  }
  if (script_.init_command) ModelEvent(script_.init_command->loc);
  if (script_.init_command &&
      !RunShell(*script_.init_command, script_.init_command->loc, /*untimed=*/true)) {
    CloseModel();
    return report_;
  }
  workers_.Warm();
  t0_ = ctx_.clock->StartUsecs();
  if (config_.realtime) EnterRealtime();  // after the start's busy wait, never during it
  bool last_inbound = false;
  for (const parser::Event& ev : script_.events) {
    const parser::Syscall* call = std::get_if<parser::Syscall>(&ev.action);
    const auto* packet = std::get_if<parser::Packet>(&ev.action);
    const bool outbound = packet && packet->direction == parser::Direction::kOutbound;
    const bool inbound = packet && !outbound;
    const Schedule s = timeline_.Next(ev.time, call ? call->end_usecs : std::nullopt, Now(),
                                      inbound && last_inbound);
    last_inbound = inbound;
    // An inbound packet is built before the wait for its time: only its write is on the clock
    // (nothing the build reads changes while waiting: outbound packets are matched in order).
    std::optional<Result<std::vector<std::uint8_t>, PacketError>> inbound_bytes;
    if (inbound) inbound_bytes.emplace(BuildInbound(*packet));
    if (!outbound && !s.any) {
      ctx_.clock->SleepUntilUsecs(t0_ + s.start);
      CheckModel();  // what crossed tun0 while waiting belongs to the previous event
      if (failed()) break;
      if (!std::holds_alternative<parser::Packet>(ev.action)) {
        CheckOnTime(ev, s, Now(), "event");
      }
    }
    ModelEvent(ev.loc);
    if (failed()) break;
    if (call) {
      DoSyscall(ev, *call, s);
    } else if (packet) {
      if (outbound) {
        DoOutbound(ev, *packet, s);
      } else {
        DoInbound(ev, *packet, s, std::move(*inbound_bytes));
      }
    } else if (const auto* cmd = std::get_if<parser::Command>(&ev.action)) {
      RunShell(*cmd, ev.loc);
    } else if (const auto* code = std::get_if<parser::Code>(&ev.action)) {
      DoCode(ev, *code);
    }
    CheckModel();
    if (failed()) break;
  }
  if (!failed()) FinishPending(Now() + kNonBlockingSyscallWaitUsecs);
  CloseModel();
  if (!failed() && script_.cleanup_command) {
    RunShell(*script_.cleanup_command, script_.cleanup_command->loc);
  }
  if (!failed()) RunCode();
  backend_->CloseAll();
  // A call still blocked when the run ended (it failed meanwhile) was woken by CloseAll's
  // shutdown: let it return before the executor it runs on goes away with this runner.
  // Bounded: a call the shutdown cannot wake stays detached and the run's process exits.
  if (pending_) {
    std::unique_lock<std::mutex> lock(pending_->state->mu);
    pending_->state->cv.wait_for(lock, std::chrono::seconds(1),
                                 [&] { return pending_->state->done; });
  }
  return report_;
}

}  // namespace

int ExitCodeOf(Verdict v) {
  switch (v) {
    case Verdict::kPass: return 0;
    case Verdict::kFail: return 1;
    case Verdict::kScriptError: return 2;
    case Verdict::kEnvironment: return 3;
  }
  return 1;
}

std::string_view FailureClassName(FailureClass c) {
  switch (c) {
    case FailureClass::kNone: return "none";
    case FailureClass::kTiming: return "timing";
    case FailureClass::kSemantic: return "semantic";
  }
  return "none";
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "PASS";
    case Verdict::kFail: return "FAIL";
    case Verdict::kScriptError: return "ERROR";
    case Verdict::kEnvironment: return "ENV";
  }
  return "?";
}

std::int64_t ScriptSpanUsecs(const parser::Script& script) {
  Timeline t(0, 0);
  std::int64_t span = 0;
  for (const parser::Event& ev : script.events) {
    const auto* call = std::get_if<parser::Syscall>(&ev.action);
    // Every event reached no earlier than the latest time so far: an upper bound.
    const Schedule s = t.Next(ev.time, call ? call->end_usecs : std::nullopt, span);
    span = std::max<std::int64_t>({span, s.end, s.syscall_end.value_or(0)});
  }
  return span;
}

syscalls::Context SyscallContextFor(const RunConfig& c) {
  syscalls::Context ctx;
  ctx.family = c.version == IpVersion::kIpv4 ? AF_INET : AF_INET6;
  ctx.ipv4_mapped = c.version == IpVersion::kIpv4MappedIpv6;
  ctx.local_ip = c.local_ip;
  ctx.remote_ip = c.remote_ip;
  ctx.bind_port = c.bind_port;
  ctx.connect_port = c.connect_port;
  ctx.defines = c.DefineMap();
  return ctx;
}

RunReport RunScript(const parser::Script& script, const RunConfig& config,
                    const RunnerContext& context) {
  ScriptRunner runner(script, config, context);
  return runner.Run();
}

}  // namespace mpdrill::run
