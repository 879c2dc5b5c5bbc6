// A fixture for `mpdrill vm` end-to-end tests (vm_test.cc, fuzz_campaign_vm_test.cc): a Debian
// kernel package from build/kernels (or
// $MPDRILL_TEST_KERNEL), a scratch working directory, `mpdrill vm` run there, and the check
// that no qemu or work directory is left.
// Skips without qemu, busybox or a kernel package (`bash ci/fetch_kernel.sh`).
#ifndef MPDRILL_TESTS_VM_FIXTURE_H_
#define MPDRILL_TESTS_VM_FIXTURE_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/exec.h"
#include "base/files.h"

namespace mpdrill::vm_test {

namespace fs = std::filesystem;
using std::chrono::seconds;

inline const std::string kMpdrill = MPDRILL_BINARY_DIR "/cli/mpdrill";

inline std::string KernelPackage() {
  if (const char* k = std::getenv("MPDRILL_TEST_KERNEL"); k != nullptr && *k != '\0') return k;
  std::string best;
  for (const char* dir : {MPDRILL_BINARY_DIR "/kernels", MPDRILL_SOURCE_DIR "/build/kernels"}) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      const std::string p = it->path().string();
      const std::string name = it->path().filename().string();
      if (name.rfind("linux-image-", 0) == 0 && p.size() > 4 &&
          p.compare(p.size() - 4, 4, ".deb") == 0 && (best.empty() || name > fs::path(best).filename().string())) {
        best = p;
      }
    }
  }
  return best;
}

inline bool OnPath(const std::string& tool) {
  auto r = ExecWithDeadline({"sh", "-c", "command -v " + tool});
  return r.ok() && r->exit_code == 0;
}

// The qemu processes whose command line mentions `needle`.
inline std::vector<std::string> QemuProcessesWith(const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    auto cmd = ReadFile(it->path() / "cmdline", 1 << 16);
    if (!cmd || cmd->rfind("qemu-system", 0) == std::string::npos) continue;
    if (cmd->find(needle) != std::string::npos) found.push_back(it->path().filename().string());
  }
  return found;
}

class VmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OnPath("qemu-system-x86_64")) GTEST_SKIP() << "qemu-system-x86_64 not installed (qemu-system-x86)";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox not installed (busybox-static)";
    kernel_ = KernelPackage();
    if (kernel_.empty()) GTEST_SKIP() << "no linux-image-*.deb in build/kernels (bash ci/fetch_kernel.sh)";
    auto d = TempDir::Make(fs::temp_directory_path(), "mpdrill-vm-test.");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
  }

  // Runs `mpdrill vm --kernel K ARGS` with the test directory as working directory.
  Result<ExecOutcome, ExecError> Vm(std::vector<std::string> args, seconds timeout = seconds(240)) {
    std::vector<std::string> argv = {kMpdrill, "vm", "--kernel", kernel_, "--cache",
                                     MPDRILL_BINARY_DIR "/vm-cache"};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string cwd = dir().string();
    ExecOptions o;
    o.timeout = timeout;
    o.before_exec = [c = cwd.c_str()] { return chdir(c) == 0; };
    return ExecWithDeadline(argv, o);
  }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFile(dir() / name, text).ok());
  }

  // Nothing of the guest is left: no qemu of this test's directory, no work directory.
  void ExpectNothingLeft() {
    EXPECT_TRUE(QemuProcessesWith(dir().string()).empty());
    std::error_code ec;
    for (auto it = fs::directory_iterator(fs::temp_directory_path(), ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      EXPECT_FALSE(name.rfind("mpdrill-vm.", 0) == 0 && QemuProcessesWith(name).empty() &&
                   fs::exists(it->path() / "ctl" / "guest.sh") &&
                   fs::exists(it->path() / "console.log") && ExitedOwner(name))
          << it->path();
    }
  }

  static bool ExitedOwner(const std::string& work_name) {
    const long pid = std::strtol(work_name.c_str() + 11, nullptr, 10);
    return pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0;
  }

  fs::path dir() const { return dir_->path(); }
  std::string kernel_;
  std::unique_ptr<TempDir> dir_;
};

}  // namespace mpdrill::vm_test

#endif  // MPDRILL_TESTS_VM_FIXTURE_H_
