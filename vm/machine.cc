#include "vm/machine.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/exec.h"
#include "base/files.h"
#include "vm/guest_script.h"
#include "vm/net.h"

namespace mpdrill::vm {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr std::size_t kSmallFile = 4096;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Streams a file that another writer appends to: each Pump passes on what is new.
class Follower {
 public:
  explicit Follower(fs::path path) : path_(std::move(path)) {}
  ~Follower() {
    if (fd_ >= 0) close(fd_);
  }
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Returns whether anything new came.
  bool Pump(const std::function<void(std::string_view)>& sink) {
    if (fd_ < 0) fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return false;
    bool any = false;
    char buf[65536];
    for (;;) {
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      any = true;
      if (sink) sink(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    return any;
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

std::string SmallFile(const fs::path& path) {
  auto text = ReadFile(path, kSmallFile);
  if (!text) return "";
  std::string s = std::move(*text);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool SignalArrived(int signal_fd) {
  if (signal_fd < 0) return false;
  pollfd p{signal_fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  signalfd_siginfo info;
  (void)!read(signal_fd, &info, sizeof(info));
  return true;
}

}  // namespace

const char* EndingName(Ending ending) {
  switch (ending) {
    case Ending::kExited: return "exited";
    case Ending::kSetupError: return "setup-error";
    case Ending::kKernelLacks: return "kernel-lacks";
    case Ending::kPanic: return "panic";
    case Ending::kHang: return "hang";
    case Ending::kTimeout: return "timeout";
    case Ending::kInterrupted: return "interrupted";
    case Ending::kVanished: return "vanished";
  }
  return "?";
}

VmResult<MachineOutcome> RunMachine(const MachineRun& run) {
  const fs::path qemu_stderr = run.qemu.console_log + ".qemu-stderr";
  SpawnOptions options;
  options.stderr_path = qemu_stderr.string();
  options.stdout_path = qemu_stderr.string() + ".out";
  const auto start = Clock::now();
  auto qemu = Spawn(QemuArgv(run.qemu), options);
  if (!qemu) {
    return Unexpected{VmError{qemu.error().code == ExecErrorCode::kNotFound
                                  ? VmErrorCode::kMissingTool
                                  : VmErrorCode::kQemu,
                              qemu.error().message +
                                  (qemu.error().code == ExecErrorCode::kNotFound
                                       ? " (Debian package qemu-system-x86)"
                                       : "")}};
  }
  MachineOutcome outcome;
  Follower console(run.qemu.console_log), out(run.ctl_dir / kCtlStdout),
      err(run.ctl_dir / kCtlStderr);
  const auto feed_console = [&](std::string_view b) { outcome.console.Feed(b); };
  const fs::path heartbeat_path = run.ctl_dir / kCtlHeartbeat;
  std::string heartbeat;
  bool up = false;
  auto last_sign_of_life = start;
  std::optional<Ending> forced;  // why mpdrill ended the guest
  std::optional<int> status;
  bool tap_up = run.tap.empty();
  std::string tap_error;
  for (;;) {
    status = qemu->TryWait();
    console.Pump(feed_console);
    out.Pump(run.on_stdout);
    err.Pump(run.on_stderr);
    if (status) break;
    const auto now = Clock::now();
    if (!up) {
      outcome.ready = SmallFile(run.ctl_dir / kCtlReady);
      if (!outcome.ready.empty()) {
        up = true;
        outcome.boot_seconds = Seconds(now - start);
        last_sign_of_life = now;
        if (run.on_ready) run.on_ready(outcome.boot_seconds, outcome.ready);
      }
    } else {
      std::string beat = SmallFile(heartbeat_path);
      if (beat != heartbeat) {
        heartbeat = std::move(beat);
        last_sign_of_life = now;
      }
    }
    // qemu creates the tap as it starts, before the guest runs; the guest waits for
    // kCtlTapUp before its command.
    if (!tap_up && NetDeviceExists(run.tap)) {
      tap_up = true;
      if (auto s = TapHostUp(run.tap); !s) {
        tap_error = s.error().message;
      } else if (auto w = WriteFile(run.ctl_dir / kCtlTapUp, ""); !w) {
        tap_error = w.error();
      }
    }
    if (!tap_error.empty()) {
      forced = Ending::kSetupError;
    } else if (SignalArrived(run.signal_fd)) {
      forced = Ending::kInterrupted;
    } else if (now - start > run.timeout) {
      forced = Ending::kTimeout;
    } else if (!up && now - start > run.boot_timeout) {
      forced = Ending::kHang;
    } else if (up && now - last_sign_of_life > run.watchdog) {
      forced = Ending::kHang;
    }
    if (forced) {
      status = qemu->Kill();
      break;
    }
    usleep(static_cast<useconds_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(kPollInterval).count()));
  }
  // What the guest wrote last.
  console.Pump(feed_console);
  out.Pump(run.on_stdout);
  err.Pump(run.on_stderr);
  outcome.console.Finish();
  outcome.seconds = Seconds(Clock::now() - start);
  outcome.qemu_status = status.value_or(-1);
  if (outcome.ready.empty()) outcome.ready = SmallFile(run.ctl_dir / kCtlReady);

  const std::string exit_text = SmallFile(run.ctl_dir / kCtlExit);
  const std::string lacks = SmallFile(run.ctl_dir / kCtlLacks);
  const std::string error = SmallFile(run.ctl_dir / kCtlError);
  if (forced) {
    outcome.ending = *forced;
    outcome.message = tap_error;
  } else if (outcome.console.panic()) {
    outcome.ending = Ending::kPanic;
  } else if (!exit_text.empty()) {
    outcome.ending = Ending::kExited;
    outcome.exit_code = std::atoi(exit_text.c_str());
  } else if (!lacks.empty()) {
    outcome.ending = Ending::kKernelLacks;
    outcome.message = lacks;
  } else if (!error.empty() || !outcome.console.setup_error().empty()) {
    outcome.ending = Ending::kSetupError;
    outcome.message = error.empty() ? outcome.console.setup_error() : error;
  } else {
    outcome.ending = Ending::kVanished;
    outcome.message = SmallFile(qemu_stderr);
  }
  if (outcome.ending == Ending::kVanished && outcome.message.empty()) {
    outcome.message = "qemu exited with status " + std::to_string(outcome.qemu_status) +
                      " before the guest finished";
  }
  return outcome;
}

}  // namespace mpdrill::vm
