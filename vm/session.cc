#include "vm/session.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/files.h"
#include "vm/guest_script.h"
#include "vm/net.h"

namespace mpdrill::vm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWorkPrefix = "mpdrill-vm.";
constexpr auto kProbeTimeout = std::chrono::seconds(20);

// Work directories of mpdrill vm processes that died without cleaning up (SIGKILL): their
// name carries the owner's PID.
void SweepStaleWorkDirs(const fs::path& parent) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kWorkPrefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + std::string_view(kWorkPrefix).size(), nullptr, 10);
    if (pid <= 0 || pid == getpid()) continue;
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
  }
}

// Paths a guest mounts a tmpfs on (/tmp and /var/tmp only when overlayfs is missing): a host
// directory under one of them may not be visible through the read-only root and is shared
// explicitly.
bool HiddenInGuest(const std::string& path) {
  for (const char* p : {"/tmp", "/run", "/var/tmp", "/dev/shm"}) {
    const std::string prefix(p);
    if (path == prefix || path.rfind(prefix + "/", 0) == 0) return true;
  }
  return false;
}

QemuConfig BaseQemu(const VmRequest& request, const PreparedKernel& kernel, Accel accel,
                    const fs::path& work, const fs::path& ctl) {
  QemuConfig q;
  q.qemu = request.qemu;
  q.accel = accel;
  q.cpus = request.cpus;
  q.memory_mib = request.memory_mib;
  q.kernel = kernel.vmlinuz.string();
  q.initrd = kernel.initramfs.string();
  q.console_log = (work / "console.log").string();
  q.extra_append = request.append;
  q.shares = {{std::string(kTagHostRoot), "/", true}, {std::string(kTagCtl), ctl.string(), false}};
  return q;
}

ProbeResult ProbeKvm(const VmRequest& request, const PreparedKernel& kernel, const fs::path& work) {
  const fs::path dir = work / "probe";
  const fs::path ctl = dir / "ctl";
  std::error_code ec;
  fs::create_directories(ctl, ec);
  if (ec || !WriteFile(ctl / kCtlGuestScript, ProbeScript())) return {false, "could not be set up"};
  MachineRun run;
  run.qemu = BaseQemu(request, kernel, Accel::kKvm, dir, ctl);
  run.qemu.cpus = 1;
  run.qemu.memory_mib = 512;
  run.ctl_dir = ctl;
  run.timeout = kProbeTimeout;
  run.boot_timeout = kProbeTimeout;
  run.signal_fd = request.signal_fd;
  auto outcome = RunMachine(run);
  if (!outcome) return {false, "failed: " + outcome.error().message};
  if (!outcome->ready.empty()) return {true, ""};
  std::string why = outcome->ending == Ending::kHang
                        ? "did not come up within " + std::to_string(kProbeTimeout.count()) + " s"
                        : "ended (" + std::string(EndingName(outcome->ending)) + ")";
  if (!outcome->message.empty()) {
    std::string first = outcome->message.substr(0, outcome->message.find('\n'));
    why += ": " + first;
  }
  return {false, why};
}

}  // namespace

std::string CheckRwDir(const std::string& dir) {
  const fs::path p = fs::path(dir).lexically_normal();
  if (!p.is_absolute()) return dir + ": a shared directory must be an absolute path";
  for (const char* bad : {"/", "/proc", "/sys", "/dev"}) {
    if (p == fs::path(bad)) return dir + ": refusing to share it read-write with the guest";
  }
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return dir + ": no such directory";
  return "";
}

VmResult<VmReport> RunVm(const VmRequest& request) {
  // Before anything else: nothing may reach the host's network namespace.
  if (!request.nics.tap.empty()) {
    if (auto s = CheckPrivateNetns("--tap " + request.nics.tap); !s) return Unexpected{s.error()};
    if (NetDeviceExists(request.nics.tap)) {
      return Unexpected{VmError{VmErrorCode::kNetwork,
                                "--tap " + request.nics.tap + ": a device of that name exists "
                                "in this network namespace (qemu creates the tap itself)"}};
    }
  }
  if (request.nics.control_port != 0) {
    if (auto s = LoopbackUpIfPrivate(); !s) return Unexpected{s.error()};
  }
  const fs::path tmp = fs::temp_directory_path();
  SweepStaleWorkDirs(tmp);
  auto work = TempDir::Make(tmp, std::string(kWorkPrefix) + std::to_string(getpid()) + ".");
  if (!work) return Unexpected{VmError{VmErrorCode::kIo, work.error()}};
  const fs::path ctl = work->path() / "ctl";
  std::error_code ec;
  fs::create_directories(ctl, ec);
  if (ec) return Unexpected{VmError{VmErrorCode::kIo, ctl.string() + ": " + ec.message()}};

  KernelRequest kr = request.kernel;
  kr.work_dir = work->path();
  kr.need_nic = request.nics.any();
  auto kernel = PrepareKernel(kr);
  if (!kernel) return Unexpected{kernel.error()};
  VmReport report;
  report.kernel = *kernel;
  report.accel = ChooseAccel(request.accel, request.kernel.cache_dir, kernel->identity,
                             [&] { return ProbeKvm(request, *kernel, work->path()); });

  GuestPlan plan;
  plan.cwd = request.cwd;
  plan.argv = request.argv;
  plan.env = request.env;
  plan.need_mptcp = request.need_mptcp;
  plan.need_tun = request.need_tun;
  plan.nics = request.nics;
  QemuConfig q = BaseQemu(request, *kernel, report.accel.accel, work->path(), ctl);
  q.nics = request.nics;
  std::vector<std::pair<std::string, bool>> dirs;  // path, read-only
  dirs.emplace_back(request.cwd, false);
  for (const std::string& d : request.rw_dirs) dirs.emplace_back(d, false);
  if (!request.argv.empty() && request.argv[0].find('/') != std::string::npos &&
      HiddenInGuest(request.argv[0])) {
    dirs.emplace_back(fs::path(request.argv[0]).parent_path().string(), true);
  }
  // Parents first, so that a child's mount lands on top of its parent's.
  std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) {
    return a.first.size() < b.first.size();
  });
  dirs.erase(std::unique(dirs.begin(), dirs.end(),
                         [](const auto& a, const auto& b) { return a.first == b.first; }),
             dirs.end());
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    const std::string tag = "share" + std::to_string(i);
    q.shares.push_back({tag, dirs[i].first, dirs[i].second});
    plan.shares.push_back({tag, dirs[i].first, dirs[i].second});
  }
  if (auto s = WriteFile(ctl / kCtlGuestScript, GuestScript(plan)); !s) {
    return Unexpected{VmError{VmErrorCode::kIo, s.error()}};
  }

  MachineRun run;
  run.qemu = q;
  run.ctl_dir = ctl;
  run.timeout = request.timeout;
  run.boot_timeout = request.boot_timeout;
  run.watchdog = request.watchdog;
  run.tap = request.nics.tap;
  run.signal_fd = request.signal_fd;
  run.on_stdout = request.on_stdout;
  run.on_stderr = request.on_stderr;
  run.on_ready = [&](double seconds, const std::string& ready) {
    if (!request.on_status) return;
    char line[256];
    std::snprintf(line, sizeof(line), "%s up in %.1f s under %s, %d cpu(s), %d MiB",
                  ready.substr(0, ready.find(' ')).c_str(), seconds,
                  AccelName(report.accel.accel), request.cpus, request.memory_mib);
    std::string status = line;
    if (!request.nics.tap.empty()) {
      status += "; eth0 " + request.nics.tap_mac + " on tap " + request.nics.tap;
    }
    if (request.nics.control_port != 0) {
      status += "; eth1 " + std::string(kControlGuestAddress) + ":" +
                std::to_string(request.nics.control_port) + " from 127.0.0.1:" +
                std::to_string(request.nics.control_port);
    }
    request.on_status(status);
  };
  auto outcome = RunMachine(run);
  if (!outcome) return Unexpected{outcome.error()};
  report.outcome = std::move(*outcome);
  if (!request.console_copy.empty()) {
    fs::copy_file(q.console_log, request.console_copy, fs::copy_options::overwrite_existing, ec);
  }
  return report;
}

}  // namespace mpdrill::vm
