#include "base/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace mpdrill {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

ExecError Errno(const std::string& line, const char* what, int err) {
  return ExecError{ExecErrorCode::kSpawn, line + ": " + what + ": " + std::strerror(err)};
}

void CloseAll(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
}

// Forks and execs `argv` with stdin/stdout/stderr = `stdio` (the parent keeps its copies).
// An exec failure comes back through a close-on-exec status pipe as its errno (or -1 when
// `before_exec` refused), so a program that exits 127 is never mistaken for a missing one.
Result<pid_t, ExecError> ForkExec(const std::vector<std::string>& argv, std::array<int, 3> stdio,
                                  const std::function<bool()>& before_exec, bool own_group) {
  const std::string line = CommandLine(argv);
  if (argv.empty()) return Unexpected{ExecError{ExecErrorCode::kSpawn, "empty command line"}};
  // Everything the child touches is prepared here: between fork and exec it only makes
  // async-signal-safe calls.
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) return Unexpected{Errno(line, "pipe2", errno)};
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    CloseAll({status_pipe[0], status_pipe[1]});
    return Unexpected{Errno(line, "fork", err)};
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (own_group) setpgid(0, 0);
    int why = 0;
    if (before_exec && !before_exec()) {
      why = -1;
    } else if (dup2(stdio[0], 0) < 0 || dup2(stdio[1], 1) < 0 || dup2(stdio[2], 2) < 0) {
      why = errno;
    } else {
      // Everything but stdio and the status pipe (close-on-exec) closes.
      const unsigned keep = static_cast<unsigned>(status_pipe[1]);
      if (keep > 3) syscall(SYS_close_range, 3U, keep - 1U, 0U);
      syscall(SYS_close_range, keep + 1U, ~0U, 0U);
      execvp(cargv[0], cargv.data());
      why = errno;
    }
    (void)!write(status_pipe[1], &why, sizeof(why));
    _exit(127);
  }
  close(status_pipe[1]);
  int why = 0;
  ssize_t got;
  do {
    got = read(status_pipe[0], &why, sizeof(why));
  } while (got < 0 && errno == EINTR);
  close(status_pipe[0]);
  if (got != static_cast<ssize_t>(sizeof(why))) return pid;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (why < 0) {
    return Unexpected{ExecError{ExecErrorCode::kHookFailed, "'" + line + "' not run: set-up failed"}};
  }
  return Unexpected{ExecError{ExecErrorCode::kNotFound, "'" + line + "': cannot execute " +
                                                            argv[0] + ": " + std::strerror(why)}};
}

}  // namespace

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& a : argv) {
    if (!line.empty()) line += ' ';
    line += a;
  }
  return line;
}

Result<ExecOutcome, ExecError> ExecWithDeadline(const std::vector<std::string>& argv,
                                                const ExecOptions& options) {
  const std::string line = CommandLine(argv);
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) return Unexpected{Errno(line, "open /dev/null", errno)};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    CloseAll({devnull, out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]});
    return Unexpected{Errno(line, "pipe2", err)};
  }
  auto pid = ForkExec(argv, {devnull, out_pipe[1], err_pipe[1]}, options.before_exec, false);
  CloseAll({devnull, out_pipe[1], err_pipe[1]});
  if (!pid) {
    CloseAll({out_pipe[0], err_pipe[0]});
    return Unexpected{pid.error()};
  }
  SpawnedProcess child(*pid, false);  // killed and reaped on every early return

  ExecOutcome result;
  const auto deadline = Clock::now() + options.timeout;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_count = 2;
  bool timed_out = false;
  while (open_count > 0) {
    const int n = poll(fds.data(), fds.size(), RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = true;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      const ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r > 0) {
        const std::size_t room = options.max_capture - std::min(options.max_capture, sinks[i]->size());
        sinks[i]->append(buf, std::min(room, static_cast<std::size_t>(r)));
      } else if (r == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  while (!timed_out) {
    if (auto code = child.TryWait()) {
      result.exit_code = *code;
      return result;
    }
    if (RemainingMs(deadline) == 0) break;
    usleep(1000);
  }
  child.Kill();
  return Unexpected{ExecError{ExecErrorCode::kTimeout,
                              "'" + line + "' still running after " +
                                  std::to_string(options.timeout.count()) + " ms: killed"}};
}

SpawnedProcess::SpawnedProcess(SpawnedProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), own_group_(other.own_group_) {}

SpawnedProcess& SpawnedProcess::operator=(SpawnedProcess&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = std::exchange(other.pid_, -1);
    own_group_ = other.own_group_;
  }
  return *this;
}

std::optional<int> SpawnedProcess::TryWait() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t w;
  do {
    w = waitpid(pid_, &status, WNOHANG);
  } while (w < 0 && errno == EINTR);
  if (w == 0) return std::nullopt;
  pid_ = -1;
  return w < 0 ? -1 : DecodeStatus(status);
}

int SpawnedProcess::Kill() {
  if (pid_ <= 0) return -1;
  // The group holds whatever the child started; the PID is ours, so its group is too.
  if (own_group_) kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return DecodeStatus(status);
}

Result<SpawnedProcess, ExecError> Spawn(const std::vector<std::string>& argv,
                                        const SpawnOptions& options) {
  const std::string line = CommandLine(argv);
  const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out = open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err = open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0 || err < 0) {
    const int e = errno;
    CloseAll({in, out, err});
    return Unexpected{Errno(line, "open stdio", e)};
  }
  auto pid = ForkExec(argv, {in, out, err}, {}, options.own_process_group);
  CloseAll({in, out, err});
  if (!pid) return Unexpected{pid.error()};
  return SpawnedProcess(*pid, options.own_process_group);
}

std::string ShellQuote(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace mpdrill
