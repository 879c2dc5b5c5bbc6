#include "engine/run/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "base/clock.h"
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

// 1,-2,3 <-> {1, -2, 3}.
std::string JoinNumbers(const std::vector<std::int64_t>& v) {
  std::string out;
  for (std::int64_t x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

std::vector<std::int64_t> SplitNumbers(const std::string& s) {
  std::vector<std::int64_t> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    char* stop = nullptr;
    const std::string item = s.substr(pos, end - pos);
    const long long x = std::strtoll(item.c_str(), &stop, 10);
    if (item.empty() || *stop != '\0') return {};
    out.push_back(x);
    pos = end + 1;
  }
  return out;
}

std::string Encode(const RunReport& r) {
  std::string out(1, static_cast<char>('0' + static_cast<int>(r.verdict)));
  for (const std::string& field :
       {r.first_error, r.details, r.notes, std::to_string(r.model_kernel),
        std::to_string(r.model_deliberate), std::to_string(static_cast<int>(r.failure_class)),
        std::to_string(r.line), std::to_string(r.timing_excess_usecs),
        JoinNumbers(r.inbound_lateness_usecs), JoinNumbers(r.outbound_offset_usecs)}) {
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
    if (exit_code != 0) {
      r.failure_class = FailureClass::kSemantic;
      r.first_error = "run ended without a report (exit " + std::to_string(exit_code) + ")";
    }
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
  const std::uint32_t cls = Count(NextField(s, &pos));
  r.failure_class = cls <= 2 ? static_cast<FailureClass>(cls) : FailureClass::kSemantic;
  if (r.verdict == Verdict::kFail && r.failure_class == FailureClass::kNone) {
    r.failure_class = FailureClass::kSemantic;
  }
  r.line = static_cast<int>(Count(NextField(s, &pos)));
  r.timing_excess_usecs = Count(NextField(s, &pos));
  r.inbound_lateness_usecs = SplitNumbers(NextField(s, &pos));
  r.outbound_offset_usecs = SplitNumbers(NextField(s, &pos));
  return r;
}

// Process C: the runner, in the run's private network and PID namespaces.
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
  MonotonicClock clock(run.config.warm_start_usecs);
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

// Gives the next process forked in the calling process's (new) PID namespace the number
// `pid`, through /proc/sys/kernel/ns_last_pid. False when that cannot be written (then the
// next number is simply 2).
bool NextPidInNamespace(pid_t pid) {
  const int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const std::string text = std::to_string(pid - 1);
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// Process B: PID 1 of the run's PID namespace. The runner runs in its child C, numbered in
// the namespace as A is on the host (unique among the runs going on): packetdrill's scripts
// name files after the runner's pid (set_sysctls.py writes /tmp/sysctl_restore_
// ${PACKETDRILL_PID}.sh, the cleanup runs /tmp/sysctl_restore_${PPID}.sh, in the /tmp all
// runs share), and every run's runner being PID 1 made parallel runs use one file.
[[noreturn]] void ChildB(const IsolatedRun& run, pid_t unique_pid, ino_t starting_netns,
                         int report_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  NextPidInNamespace(unique_pid);
  const pid_t c = fork();
  if (c < 0) _exit(3);
  if (c == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Sleeps end when asked, not up to 50 us later (the default slack, inherited by the
    // runner's threads): the script's events are timed to the microsecond.
    prctl(PR_SET_TIMERSLACK, 1UL);
    const int code = RunInside(run, starting_netns, report_fd);
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);  // threads may still block in syscalls: do not run destructors
  }
  close(report_fd);
  // PID 1 reaps every orphan of the namespace until the runner ends; its end ends them all.
  int status = 0;
  while (true) {
    const pid_t r = waitpid(-1, &status, 0);
    if (r == c) break;
    if (r < 0 && errno != EINTR) break;
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

// Process A: enters the namespaces, forks B and waits for it.
[[noreturn]] void ChildA(const IsolatedRun& run, pid_t parent, ino_t starting_netns,
                         int report_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(3);
  const pid_t a_pid = getpid();  // unique on the host while the run lasts
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
    ChildB(run, a_pid, starting_netns, report_fd);
  }
  close(report_fd);
  int status = 0;
  while (waitpid(b, &status, 0) < 0 && errno == EINTR) {
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

}  // namespace

std::unique_ptr<ActiveRun> ActiveRun::Start(const IsolatedRun& run) {
  std::unique_ptr<ActiveRun> a(new ActiveRun());
  a->script_path_ = run.script_path;
  a->start_ms_ = MonotonicNowMs();
  a->deadline_len_ms_ = run.deadline.count();
  a->deadline_ms_ = a->start_ms_ + a->deadline_len_ms_;
  auto fail = [&a](const std::string& why) {
    a->result_.report.verdict = Verdict::kEnvironment;
    a->result_.report.first_error = why;
    a->done_ = true;
    return std::move(a);
  };
  auto outer = sandbox::CurrentNetnsInode();
  if (!outer) return fail(run.script_path + ": " + outer.error().message);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    close(pipefd[0]);
    ChildA(run, parent, *outer, pipefd[1]);
  }
  setpgid(pid, pid);  // both sides set it: no race with the kill below
  close(pipefd[1]);
  a->pid_ = pid;
  a->pipe_fd_ = pipefd[0];
  // A pidfd tells a poller when A ended (no SIGCHLD handling needed); older kernels: -1, and
  // Poll()'s waitpid finds the end on the next tick.
  a->pid_fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return a;
}

ActiveRun::~ActiveRun() {
  if (!done_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (pipe_fd_ >= 0) close(pipe_fd_);
  if (pid_fd_ >= 0) close(pid_fd_);
}

double ActiveRun::elapsed_seconds() const {
  return static_cast<double>(MonotonicNowMs() - start_ms_) / 1000.0;
}

void ActiveRun::Interrupt() {
  if (done_) return;
  result_.interrupted = true;
  kill(-pid_, SIGKILL);
}

std::optional<ino_t> ActiveRun::PidNamespace() const {
  if (done_ || pid_ <= 0) return std::nullopt;
  struct stat st{};
  const std::string path = "/proc/" + std::to_string(pid_) + "/ns/pid_for_children";
  struct stat own{};
  if (stat(path.c_str(), &st) != 0 || stat("/proc/self/ns/pid", &own) != 0) return std::nullopt;
  // Before A's unshare its children's namespace is still this process's: none of its own yet.
  if (st.st_ino == own.st_ino && st.st_dev == own.st_dev) return std::nullopt;
  return st.st_ino;
}

bool ActiveRun::Poll() {
  if (done_) return true;
  pollfd p{eof_ ? -1 : pipe_fd_, POLLIN, 0};
  while (!eof_ && poll(&p, 1, 0) > 0 && p.revents) {
    char buf[4096];
    const ssize_t n = read(pipe_fd_, buf, sizeof(buf));
    if (n > 0) data_.append(buf, static_cast<std::size_t>(n));
    if (n == 0) eof_ = true;
    if (n <= 0) break;
  }
  if (!killed_on_deadline_ && MonotonicNowMs() > deadline_ms_) {
    killed_on_deadline_ = true;
    kill(-pid_, SIGKILL);
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) Finish(status);
  return done_;
}

void ActiveRun::Finish(int status) {
  // Whatever A's group still holds goes too (B's PID namespace is already being torn down).
  kill(-pid_, SIGKILL);
  pollfd p{pipe_fd_, POLLIN, 0};
  while (!eof_ && poll(&p, 1, 0) > 0) {
    char buf[4096];
    const ssize_t n = read(pipe_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    data_.append(buf, static_cast<std::size_t>(n));
  }
  close(pipe_fd_);
  pipe_fd_ = -1;
  eof_ = true;
  if (pid_fd_ >= 0) close(pid_fd_);
  pid_fd_ = -1;
  done_ = true;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  const bool interrupted = result_.interrupted;
  result_.report = Decode(data_, code);
  if (killed_on_deadline_ && result_.report.verdict == Verdict::kPass) {
    result_.report.verdict = Verdict::kFail;
    result_.report.failure_class = FailureClass::kSemantic;
    result_.report.first_error = script_path_ + ": run killed at its deadline of " +
                                 std::to_string(deadline_len_ms_ / 1000.0) + " s";
  }
  if (interrupted) {
    result_.report.verdict = Verdict::kFail;
    result_.report.failure_class = FailureClass::kSemantic;
    result_.report.first_error = script_path_ + ": interrupted";
  }
  result_.seconds = elapsed_seconds();
}

IsolatedResult RunIsolated(const IsolatedRun& run) {
  auto a = ActiveRun::Start(run);
  while (!a->Poll()) {
    pollfd p[3] = {{a->report_fd(), POLLIN, 0}, {a->pid_fd(), POLLIN, 0},
                   {run.signal_fd, POLLIN, 0}};
    poll(p, 3, 20);
    if (run.signal_fd >= 0 && (p[2].revents & POLLIN)) {
      signalfd_siginfo si{};
      if (read(run.signal_fd, &si, sizeof(si)) > 0) a->Interrupt();
    }
  }
  return a->result();
}

}  // namespace mpdrill::run
