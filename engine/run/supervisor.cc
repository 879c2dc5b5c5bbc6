#include "engine/run/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "engine/run/netdev.h"
#include "engine/run/packet_io.h"
#include "sandbox/netns.h"

extern char** environ;

namespace mpdrill::run {
namespace {

// The report travels over a pipe: verdict byte, then each field as <decimal length>:<bytes>
// (first error, details, notes, model counts).
void WriteAll(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

std::string Encode(const RunReport& r) {
  std::string out(1, static_cast<char>('0' + static_cast<int>(r.verdict)));
  for (const std::string& field :
       {r.first_error, r.details, r.notes, std::to_string(r.model_kernel),
        std::to_string(r.model_deliberate)}) {
    out += std::to_string(field.size()) + ":" + field;
  }
  return out;
}

// The next <length>:<bytes> field at *pos, or "" when the data ends early (a killed run).
std::string NextField(const std::string& s, std::size_t* pos) {
  const std::size_t colon = s.find(':', *pos);
  if (colon == std::string::npos) {
    *pos = s.size();
    return "";
  }
  std::size_t len = 0;
  for (std::size_t i = *pos; i < colon; ++i) {
    if (s[i] < '0' || s[i] > '9' || len > s.size()) {
      *pos = s.size();
      return "";
    }
    len = len * 10 + static_cast<std::size_t>(s[i] - '0');
  }
  const std::string field = s.substr(colon + 1, len);
  *pos = std::min(s.size(), colon + 1 + len);
  return field;
}

std::uint32_t Count(const std::string& field) {
  std::uint32_t n = 0;
  for (char c : field) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return n;
}

RunReport Decode(const std::string& s, int exit_code) {
  RunReport r;
  if (s.empty()) {
    r.verdict = exit_code == 0 ? Verdict::kPass : Verdict::kFail;
    if (exit_code != 0) r.first_error = "run ended without a report (exit " + std::to_string(exit_code) + ")";
    return r;
  }
  const int v = s[0] - '0';
  r.verdict = v >= 0 && v <= 3 ? static_cast<Verdict>(v) : Verdict::kFail;
  std::size_t pos = 1;
  r.first_error = NextField(s, &pos);
  r.details = NextField(s, &pos);
  r.notes = NextField(s, &pos);
  r.model_kernel = Count(NextField(s, &pos));
  r.model_deliberate = Count(NextField(s, &pos));
  return r;
}

std::int64_t NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Process B: PID 1 of the run's PID namespace, inside the private network namespace.
int RunInside(const IsolatedRun& run, ino_t starting_netns, int report_fd) {
  RunReport report;
  auto tun = SetUpNetwork(run.config, starting_netns);
  if (!tun) {
    report.verdict = tun.error().kind == SetupErrorKind::kEnvironment ? Verdict::kEnvironment
                                                                      : Verdict::kFail;
    report.first_error = run.script_path + ": network setup: " + tun.error().message;
    WriteAll(report_fd, Encode(report));
    return ExitCodeOf(report.verdict);
  }
  MonotonicClock clock;
  std::unique_ptr<PcapRecorder> recorder;
  if (!run.pcap_path.empty()) {
    auto r = PcapRecorder::Open(run.pcap_path);
    if (r) recorder = std::move(r.value());
  }
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  // The live reference model sees every packet crossing tun0 (after the pcap, in wire order).
  std::unique_ptr<ModelMonitor> model;
  if (run.config.model_mode != ModelMode::kOff) model = std::make_unique<ModelMonitor>();
  std::vector<WireTap*> taps;
  if (recorder) taps.push_back(recorder.get());
  if (model) taps.push_back(model.get());
  {
    TunPacketIo io(std::move(tun.value()), clock, taps);
    RunnerContext ctx;
    ctx.script_path = run.script_path;
    std::error_code ec;
    const auto dir = std::filesystem::absolute(run.script_path, ec).parent_path();
    ctx.script_dir = dir.empty() ? "." : dir.string();
    ctx.clock = &clock;
    ctx.io = &io;
    ctx.base_env = env;
    ctx.model = model.get();
    report = RunScript(*run.script, run.config, ctx);
  }
  WriteAll(report_fd, Encode(report));
  return ExitCodeOf(report.verdict);
}

// Process A: enters the namespaces, forks B and waits for it.
[[noreturn]] void ChildA(const IsolatedRun& run, pid_t parent, ino_t starting_netns,
                         int report_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(3);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (auto s = EnterPrivateNamespaces(starting_netns); !s) {
    RunReport r;
    r.verdict = s.error().kind == SetupErrorKind::kEnvironment ? Verdict::kEnvironment
                                                               : Verdict::kFail;
    r.first_error = run.script_path + ": " + s.error().message;
    WriteAll(report_fd, Encode(r));
    _exit(ExitCodeOf(r.verdict));
  }
  const pid_t b = fork();
  if (b < 0) _exit(3);
  if (b == 0) {
    // In the new PID namespace getppid() is 0 (A lives outside it): no re-check possible.
    // A cannot have died in between: it only ever waits for B.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int code = RunInside(run, starting_netns, report_fd);
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);  // threads may still block in syscalls: do not run destructors
  }
  close(report_fd);
  int status = 0;
  while (waitpid(b, &status, 0) < 0 && errno == EINTR) {
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

}  // namespace

IsolatedResult RunIsolated(const IsolatedRun& run) {
  IsolatedResult result;
  const std::int64_t start = NowMs();
  auto outer = sandbox::CurrentNetnsInode();
  if (!outer) {
    result.report.verdict = Verdict::kEnvironment;
    result.report.first_error = run.script_path + ": " + outer.error().message;
    return result;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    result.report.verdict = Verdict::kEnvironment;
    result.report.first_error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    result.report.verdict = Verdict::kEnvironment;
    result.report.first_error = std::string("fork: ") + std::strerror(errno);
    close(pipefd[0]);
    close(pipefd[1]);
    return result;
  }
  if (pid == 0) {
    setpgid(0, 0);
    close(pipefd[0]);
    ChildA(run, parent, *outer, pipefd[1]);
  }
  setpgid(pid, pid);  // both sides set it: no race with the kill below
  close(pipefd[1]);
  std::string data;
  int status = 0;
  bool reaped = false, killed_on_deadline = false;
  const std::int64_t deadline = start + run.deadline.count();
  bool eof = false;
  while (!reaped) {
    pollfd p[2] = {{eof ? -1 : pipefd[0], POLLIN, 0}, {run.signal_fd, POLLIN, 0}};
    poll(p, 2, 20);
    if (p[0].revents) {
      char buf[4096];
      const ssize_t n = read(pipefd[0], buf, sizeof(buf));
      if (n > 0) data.append(buf, static_cast<std::size_t>(n));
      if (n == 0) eof = true;
    }
    if (run.signal_fd >= 0 && (p[1].revents & POLLIN)) {
      signalfd_siginfo si{};
      if (read(run.signal_fd, &si, sizeof(si)) > 0) {
        result.interrupted = true;
        kill(-pid, SIGKILL);
      }
    }
    if (!killed_on_deadline && NowMs() > deadline) {
      killed_on_deadline = true;
      kill(-pid, SIGKILL);
    }
    if (waitpid(pid, &status, WNOHANG) == pid) reaped = true;
  }
  // Whatever A's group still holds goes too (B's PID namespace is already being torn down).
  kill(-pid, SIGKILL);
  pollfd p{pipefd[0], POLLIN, 0};
  while (!eof && poll(&p, 1, 0) > 0) {
    char buf[4096];
    const ssize_t n = read(pipefd[0], buf, sizeof(buf));
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  close(pipefd[0]);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.report = Decode(data, code);
  if (killed_on_deadline && result.report.verdict == Verdict::kPass) {
    result.report.verdict = Verdict::kFail;
    result.report.first_error = run.script_path + ": run killed at its deadline of " +
                                std::to_string(run.deadline.count() / 1000.0) + " s";
  }
  if (result.interrupted) {
    result.report.verdict = Verdict::kFail;
    result.report.first_error = run.script_path + ": interrupted";
  }
  result.seconds = static_cast<double>(NowMs() - start) / 1000.0;
  return result;
}

}  // namespace mpdrill::run
