// `mpdrill vm` end to end: a real Debian kernel package booted under qemu (KVM when a probe
// boot shows it works, else TCG), a small suite inside, a kernel warning attributed to its
// run, a guest panic and a hung guest that end as verdicts with nothing left running, and
// bad kernels refused with exit 3. Skips without qemu, busybox or a kernel package
// (`bash ci/fetch_kernel.sh` puts one in build/kernels).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/exec.h"
#include "base/files.h"

namespace mpdrill {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

const std::string kMpdrill = MPDRILL_BINARY_DIR "/cli/mpdrill";

std::string KernelPackage() {
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

bool OnPath(const std::string& tool) {
  auto r = ExecWithDeadline({"sh", "-c", "command -v " + tool});
  return r.ok() && r->exit_code == 0;
}

// The qemu processes whose command line mentions `needle`.
std::vector<std::string> QemuProcessesWith(const std::string& needle) {
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

// A passing MPTCP handshake (the kernel as server) and a script that logs a kernel warning
// from a shell command: both run inside the guest; the warning is reported on its run, the
// captures land on the host and `check` inside reads them.
constexpr const char* kServerScript = R"(// MP_CAPABLE handshake, kernel as server (no window
// scaling: its factor follows the guest's memory)
--tolerance_usecs=200000
0   socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535 <mss 1460, sackOK, nop, nop, mpcapable v1 flags[flag_h] nokey>
+0  > S. 0:0(0) ack 1 <mss 1460, nop, nop, sackOK, mpcapable v1 flags[flag_h] key[skey]>
+0  < . 1:1(0) ack 1 win 256 <mpcapable v1 flags[flag_h] key[ckey=2, skey]>
+0  accept(3, ..., ...) = 4
)";

constexpr const char* kWarnScript = R"(// Logs a line the kernel-health scan reads as a WARN
0 `echo '<4>WARNING: CPU: 0 PID: 1 at mpdrill-test: vm_test writes this line' > /dev/kmsg`
+0.5 `true`
)";

TEST_F(VmTest, RunsASuiteInsideAndReportsAWarningOnItsRun) {
  fs::create_directories(dir() / "suite");
  Write("suite/server.pkt", kServerScript);
  Write("suite/warn.pkt", kWarnScript);
  // One boot: the suite with captures, then `check` on the capture, results on the host.
  auto r = Vm({"--", "sh", "-c",
               "uname -r > uname.txt && " + kMpdrill + " run --ip_version=ipv4 --pcap caps suite;"
               " rc=$?; " + kMpdrill + " check caps/suite_server.pkt.ipv4.pcap > check.txt;"
               " exit $rc"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  // The command passed; the warning in the guest's log makes it exit 4.
  EXPECT_EQ(r->exit_code, 4) << r->out << r->err;
  EXPECT_NE(r->out.find("PASS suite/server.pkt (ipv4)"), std::string::npos) << r->out;
  EXPECT_NE(r->out.find("PASS suite/warn.pkt (ipv4)"), std::string::npos) << r->out;
  EXPECT_NE(r->out.find("2 run(s), 2 passed"), std::string::npos) << r->out;
  EXPECT_NE(r->err.find("KERNEL-WARNING during suite/warn.pkt (ipv4): WARNING: CPU: 0 PID: 1 at "
                        "mpdrill-test"),
            std::string::npos)
      << r->err;
  EXPECT_NE(r->err.find(" up in "), std::string::npos) << r->err;
  // The guest ran the package's kernel, and wrote into the shared working directory.
  auto uname = ReadFile(dir() / "uname.txt");
  ASSERT_TRUE(uname.ok()) << r->err;
  const std::string deb = fs::path(kernel_).filename().string();
  const std::string release = uname->substr(0, uname->find('\n'));
  EXPECT_FALSE(release.empty());
  EXPECT_NE(deb.find(release), std::string::npos) << release << " vs " << deb;
  auto check = ReadFile(dir() / "check.txt");
  ASSERT_TRUE(check.ok()) << r->err;
  EXPECT_NE(check->find("violations 0"), std::string::npos) << *check;
  EXPECT_TRUE(fs::exists(dir() / "caps" / "suite_warn.pkt.ipv4.pcap"));
  ExpectNothingLeft();
}

TEST_F(VmTest, GuestPanicIsAVerdictNotAHang) {
  Write("crash.pkt", "0 `echo c > /proc/sysrq-trigger`\n+1 `true`\n");
  auto r = Vm({"--", "run", "--ip_version=ipv4", "crash.pkt"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 5) << r->out << r->err;
  EXPECT_NE(r->err.find("KERNEL-PANIC during crash.pkt (ipv4): Kernel panic - not syncing: sysrq "
                        "triggered crash"),
            std::string::npos)
      << r->err;
  EXPECT_NE(r->err.find("console tail:"), std::string::npos);
  EXPECT_NE(r->err.find("sysrq: Trigger a crash"), std::string::npos) << r->err;
  ExpectNothingLeft();
}

TEST_F(VmTest, HungGuestIsEndedByTheWatchdog) {
  // Freezes the guest's heartbeat (as a hung kernel would) and waits: the watchdog ends it.
  auto r = Vm({"--watchdog", "4", "--", "sh", "-c",
               "pkill -STOP -f '[/]ctl/guest.sh'; echo frozen; sleep 600"},
              seconds(120));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 5) << r->out << r->err;
  EXPECT_NE(r->out.find("frozen"), std::string::npos);
  EXPECT_NE(r->err.find("KERNEL-HANG: no guest heartbeat for 4 s; qemu killed"), std::string::npos)
      << r->err;
  ExpectNothingLeft();
}

TEST_F(VmTest, KernelWithout9pSupportIsAnEnvironmentError) {
  // The package's bare bzImage without its modules: virtio-9p is not built in, so the guest
  // cannot reach the host; it says so on the console and mpdrill exits 3.
  const fs::path x = dir() / "x";
  auto unpack = ExecWithDeadline({"dpkg-deb", "-x", kernel_, x.string()});
  ASSERT_TRUE(unpack.ok());
  ASSERT_EQ(unpack->exit_code, 0) << unpack->err;
  std::string vmlinuz;
  for (const auto& e : fs::directory_iterator(x / "boot")) {
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) vmlinuz = e.path().string();
  }
  ASSERT_FALSE(vmlinuz.empty());
  kernel_ = vmlinuz;
  auto r = Vm({"--boot-timeout", "120", "--", "true"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 3) << r->err;
  EXPECT_NE(r->err.find("cannot mount the control directory over virtio-9p"), std::string::npos)
      << r->err;
  ExpectNothingLeft();
}

TEST_F(VmTest, BadImagesAreRefusedBeforeBooting) {
  Write("notakernel", "hello, I am a text file\n");
  kernel_ = (dir() / "notakernel").string();
  auto r = Vm({"--", "true"}, seconds(30));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_NE(r->err.find("notakernel: not a kernel image"), std::string::npos) << r->err;

  kernel_ = (dir() / "missing.deb").string();
  auto missing = Vm({"--", "true"}, seconds(30));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->exit_code, 3);
  EXPECT_NE(missing->err.find("missing.deb: no such file"), std::string::npos) << missing->err;

  // A Debian package that holds no kernel.
  fs::create_directories(dir() / "pkg" / "DEBIAN");
  Write("pkg/DEBIAN/control",
        "Package: not-a-kernel\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\n"
        "Description: test\n");
  auto built = ExecWithDeadline({"dpkg-deb", "--build", (dir() / "pkg").string(),
                                 (dir() / "nokernel.deb").string()});
  ASSERT_TRUE(built.ok());
  ASSERT_EQ(built->exit_code, 0) << built->err;
  kernel_ = (dir() / "nokernel.deb").string();
  auto nok = Vm({"--cache", (dir() / "cache").string(), "--", "true"}, seconds(60));
  ASSERT_TRUE(nok.ok());
  EXPECT_EQ(nok->exit_code, 3);
  EXPECT_NE(nok->err.find("without boot/vmlinuz-*: not a linux-image package"), std::string::npos)
      << nok->err;

  // A bzImage whose modules tree lacks what the guest needs: named before booting.
  std::string bz(0x1000, '\0');
  bz[0x1FE] = 0x55;
  bz[0x1FF] = static_cast<char>(0xAA);
  bz.replace(0x202, 4, "HdrS");
  bz[0x206] = 0x0F;
  bz[0x207] = 0x02;
  bz[0x20E] = 0x00;
  bz[0x20F] = 0x02;  // version string at 0x400
  bz.replace(0x400, 9, "6.99-test");
  Write("bzImage", bz);
  fs::create_directories(dir() / "mods" / "lib" / "modules" / "6.99-test");
  Write("mods/lib/modules/6.99-test/modules.builtin", "kernel/net/mptcp/mptcp.ko\n");
  kernel_ = (dir() / "bzImage").string();
  auto nomod = Vm({"--modules", (dir() / "mods").string(), "--", "true"}, seconds(30));
  ASSERT_TRUE(nomod.ok());
  EXPECT_EQ(nomod->exit_code, 3);
  EXPECT_NE(nomod->err.find("kernel 6.99-test: module virtio_pci is neither built in nor in"),
            std::string::npos)
      << nomod->err;
  ExpectNothingLeft();
}

TEST_F(VmTest, UsageErrors) {
  auto none = Vm({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->exit_code, 2);
  EXPECT_NE(none->err.find("no command given after '--'"), std::string::npos);
  auto bad = Vm({"--accel", "fast", "--", "true"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->exit_code, 2);
  EXPECT_NE(bad->err.find("--accel: expected auto, kvm or tcg, got 'fast'"), std::string::npos);
  auto root = Vm({"--rwdir", "/", "--", "true"});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->exit_code, 2);
  EXPECT_NE(root->err.find("refusing to share it read-write"), std::string::npos);
}

}  // namespace
}  // namespace mpdrill
