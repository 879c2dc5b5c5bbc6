#include "engine/run/netdev.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/clock.h"
#include "sandbox/netns.h"
#include "sandbox/rtnl.h"

namespace mpdrill::run {
namespace {

constexpr std::size_t kMaxOutput = 1 << 20;

}  // namespace

std::string NetworkPrefix(const std::string& address, int len, bool v6) {
  unsigned char buf[16] = {};
  if (inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), buf) != 1) return address;
  const int bytes = v6 ? 16 : 4;
  for (int i = 0; i < bytes; ++i) {
    const int keep = len - i * 8;
    if (keep <= 0) {
      buf[i] = 0;
    } else if (keep < 8) {
      buf[i] = static_cast<unsigned char>(buf[i] & (0xff << (8 - keep)));
    }
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, buf, text, sizeof(text));
  return std::string(text) + "/" + std::to_string(len);
}

namespace {

// Writes `text` to /proc/self/<file> (the user namespace maps).
bool WriteProcSelf(const char* file, const std::string& text) {
  const int fd = open((std::string("/proc/self/") + file).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// Without root: a user namespace of our own in which we are root (uid and gid mapped to
// ours), so the network and PID namespaces below belong to it and we may configure them.
Status<SetupError> EnterUserNamespace() {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER) != 0) {
    const int err = errno;
    return MakeUnexpected(SetupError{
        SetupErrorKind::kEnvironment,
        std::string("not root, and unshare(CLONE_NEWUSER) failed: ") + std::strerror(err) +
            " (run as root, or allow unprivileged user namespaces)"});
  }
  if (!WriteProcSelf("setgroups", "deny") ||
      !WriteProcSelf("uid_map", "0 " + std::to_string(uid) + " 1\n") ||
      !WriteProcSelf("gid_map", "0 " + std::to_string(gid) + " 1\n")) {
    return MakeUnexpected(SetupError{SetupErrorKind::kEnvironment,
                                     std::string("mapping our ids in a user namespace: ") +
                                         std::strerror(errno)});
  }
  return Ok{};
}

}  // namespace

Status<SetupError> EnterPrivateNamespaces(ino_t starting_netns) {
  if (geteuid() != 0) {
    if (auto s = EnterUserNamespace(); !s) return s;
  }
  if (unshare(CLONE_NEWNET | CLONE_NEWPID) != 0) {
    const int err = errno;
    return MakeUnexpected(SetupError{SetupErrorKind::kEnvironment,
                                     std::string("unshare(CLONE_NEWNET|CLONE_NEWPID): ") +
                                         std::strerror(err) + (err == EPERM ? " (needs root)" : "")});
  }
  auto here = sandbox::CurrentNetnsInode();
  if (!here || *here == starting_netns) {
    return MakeUnexpected(SetupError{SetupErrorKind::kEnvironment,
                                     "still in the starting network namespace: refusing to run"});
  }
  return Ok{};
}

Result<sandbox::TunDevice, SetupError> SetUpNetwork(const RunConfig& config,
                                                   ino_t starting_netns) {
  auto here = sandbox::CurrentNetnsInode();
  if (!here || *here == starting_netns) {
    return MakeUnexpected(SetupError{SetupErrorKind::kEnvironment,
                                     "refusing to configure the starting network namespace"});
  }
  // rtnetlink, not `ip`: three execs per run cost a fifth of a second each in a TCG guest.
  const auto netlink = [](const sandbox::SandboxStatus& s) -> Status<SetupError> {
    if (s) return Ok{};
    return MakeUnexpected(SetupError{SetupErrorKind::kEnvironment, s.error().message});
  };
  if (auto s = netlink(sandbox::rtnl::LinkUp("lo")); !s) return MakeUnexpected(s.error());
  // --mss: inbound TCP packets go in as GSO packets of that segment size, as packetdrill's.
  auto tun = sandbox::TunDevice::Open("tun0", config.mtu, starting_netns, config.mss > 0);
  if (!tun) {
    const bool env = tun.error().code == sandbox::SandboxErrorCode::kPermission ||
                     tun.error().code == sandbox::SandboxErrorCode::kSyscall;
    return MakeUnexpected(SetupError{env ? SetupErrorKind::kEnvironment : SetupErrorKind::kFailed,
                                     "TUN: " + tun.error().message});
  }
  const std::string remote_prefix =
      NetworkPrefix(config.remote_ip, config.remote_prefix_len, config.wire_ipv6());
  const std::string network = remote_prefix.substr(0, remote_prefix.find('/'));
  // IPv6: no duplicate address detection (the address is usable at once).
  if (auto s = netlink(sandbox::rtnl::AddAddress("tun0", config.local_ip, config.local_prefix_len,
                                                 config.wire_ipv6()));
      !s) {
    return MakeUnexpected(s.error());
  }
  // With a /32 remote (--remote_ip=A) the route still goes via the gateway.
  if (auto s = netlink(sandbox::rtnl::AddRoute("tun0", network, config.remote_prefix_len,
                                               config.gateway_ip));
      !s) {
    return MakeUnexpected(s.error());
  }
  return std::move(tun.value());
}

ExecResult Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                const std::string& cwd, std::chrono::milliseconds timeout, int nice) {
  ExecResult result;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    result.output = std::string("fork: ") + std::strerror(errno);
    close(pipefd[0]);
    close(pipefd[1]);
    return result;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    if (nice != 0) setpriority(PRIO_PROCESS, 0, nice);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (env.empty()) {
      execvp(cargv[0], cargv.data());
    } else {
      execvpe(cargv[0], cargv.data(), cenv.data());
    }
    _exit(127);
  }
  close(pipefd[1]);
  // Readable when the child has ended: its exit is seen at once, not at the next 10 ms poll
  // (a shell command inside a script's timeline is on the clock). -1 (no pidfd_open): polls.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const std::int64_t deadline = MonotonicNowMs() + timeout.count();
  char buf[4096];
  bool eof = false;
  int status = 0;
  bool reaped = false;
  while (true) {
    const std::int64_t left = deadline - MonotonicNowMs();
    if (left <= 0) {
      kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    const int wait_ms = static_cast<int>(left < 50 ? left : 50);
    if (!eof) {
      // The output and, where there is one, the pidfd: a background child of the command may
      // keep the pipe open after the command itself has ended.
      pollfd p[2] = {{pipefd[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
      const int rc = poll(p, pidfd >= 0 ? 2 : 1, wait_ms);
      if (rc > 0 && (p[0].revents & (POLLIN | POLLHUP)) != 0) {
        const ssize_t n = read(pipefd[0], buf, sizeof(buf));
        if (n > 0) {
          if (result.output.size() < kMaxOutput) result.output.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
          eof = true;
        }
      }
    } else if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, wait_ms);
    } else {
      struct timespec ts{0, 10 * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      reaped = true;
      // Drain what is already there; a background child may keep the pipe open.
      pollfd p{pipefd[0], POLLIN, 0};
      while (poll(&p, 1, 0) > 0) {
        const ssize_t n = read(pipefd[0], buf, sizeof(buf));
        if (n <= 0) break;
        if (result.output.size() < kMaxOutput) result.output.append(buf, static_cast<std::size_t>(n));
      }
      break;
    }
  }
  close(pipefd[0]);
  if (pidfd >= 0) close(pidfd);
  if (!reaped) {
    waitpid(pid, &status, 0);
    result.exit_code = -1;
    return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace mpdrill::run
