// `mpdrill vm` end to end: a real Debian kernel package booted under qemu (KVM when a probe
// boot shows it works, else TCG), a small suite inside, a kernel warning attributed to its
// run, a guest panic and a hung guest that end as verdicts with nothing left running, and
// bad kernels refused with exit 3. Skips without qemu, busybox or a kernel package
// (`bash ci/fetch_kernel.sh` puts one in build/kernels).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/tool_runner.h"
#include "tests/vm_fixture.h"

namespace mpdrill::vm_test {
namespace {

// A passing MPTCP handshake (the kernel as server) and a script that logs a kernel warning
// from a shell command: both run inside the guest; the warning is reported on its run, the
// captures land on the host and `check` in a second boot reads them.
constexpr const char* kServerScript = R"(// MP_CAPABLE handshake, kernel as server (no window
// scaling: its factor follows the guest's memory)
--tolerance_usecs=2000000
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
// It names its shell's PID, as a real WARN names its task: the suite's two runs go at once
// (-j auto), and the WARN is the run's whose PID namespace holds that task.
0 `read -r pid rest < /proc/self/stat; echo "<4>WARNING: CPU: 0 PID: $pid at mpdrill-test: vm_test writes this line" > /dev/kmsg; sleep 0.5`
+0 `true`
)";

TEST_F(VmTest, RunsASuiteInsideAndReportsAWarningOnItsRun) {
  fs::create_directories(dir() / "suite");
  Write("suite/server.pkt", kServerScript);
  Write("suite/warn.pkt", kWarnScript);
  // One boot: the suite with captures into a directory outside the working directory (vm
  // shares it because it follows --pcap), then `check` on a capture; results on the host.
  auto elsewhere = TempDir::Make(fs::temp_directory_path(), "mpdrill-vm-test-out.");
  ASSERT_TRUE(elsewhere.ok());
  const std::string caps = (elsewhere->path() / "caps").string();
  auto r = Vm({"--", "run", "--ip_version=ipv4", "--pcap", caps, "suite"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto after = Vm({"--", "sh", "-c",
                   "uname -r > uname.txt && " + kMpdrill + " check " + caps +
                       "/suite_server.pkt.ipv4.pcap > check.txt"});
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->exit_code, 0) << after->err;
  ASSERT_TRUE(r.ok()) << r.error().message;
  // The warning in the guest's kernel log is that run's verdict inside (mpdrill run reads the
  // guest's /dev/kmsg) and on the console outside; both say exit 4.
  EXPECT_EQ(r->exit_code, 4) << r->out << r->err;
  EXPECT_NE(r->out.find("PASS suite/server.pkt (ipv4)"), std::string::npos) << r->out;
  EXPECT_NE(r->out.find("KERNEL-WARNING suite/warn.pkt (ipv4)"), std::string::npos) << r->out;
  EXPECT_NE(r->out.find("2 run(s), 1 passed"), std::string::npos) << r->out;
  // Tolerances calibrated for the guest.
  EXPECT_NE(r->out.find("(auto); wake-up latency"), std::string::npos) << r->out;
  // Outside, the console's markers say which runs were active (both, at once).
  const std::size_t during = r->err.find("mpdrill vm: KERNEL-WARNING during ");
  ASSERT_NE(during, std::string::npos) << r->err;
  const std::string line = r->err.substr(during, r->err.find('\n', during) - during);
  EXPECT_NE(line.find("suite/warn.pkt (ipv4)"), std::string::npos) << line;
  EXPECT_NE(line.find(" at mpdrill-test: vm_test writes this line"), std::string::npos) << line;
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
  EXPECT_TRUE(fs::exists(fs::path(caps) / "suite_warn.pkt.ipv4.pcap"));
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
  EXPECT_NE(r->err.find("sysrq_handle_crash"), std::string::npos) << r->err;  // the trace
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

// SIGINT (a CI job cancelled) and SIGKILL (the runner itself killed) while a guest runs:
// qemu goes with mpdrill either way; the work directory goes at once on SIGINT, and with the
// next `mpdrill vm` after a SIGKILL.
TEST_F(VmTest, KilledVmLeavesNothingRunning) {
  for (int sig : {SIGINT, SIGKILL}) {
    std::vector<std::string> argv = {kMpdrill, "vm", "--kernel", kernel_, "--cache",
                                     MPDRILL_BINARY_DIR "/vm-cache", "--rwdir", dir().string(),
                                     "--", "sh", "-c", "echo guest-started >&2; sleep 600"};
    tests::BackgroundTool tool(argv);
    ASSERT_TRUE(tool.WaitForStderr("guest-started", std::chrono::seconds(150))) << tool.err();
    const std::string work = "mpdrill-vm." + std::to_string(tool.pid()) + ".";
    ASSERT_EQ(QemuProcessesWith(work).size(), 1u);
    kill(tool.pid(), sig);
    if (sig == SIGINT) {
      EXPECT_TRUE(tool.WaitForStderr("interrupted; qemu killed", std::chrono::seconds(30)))
          << tool.err();
    }
    const int code = tool.Wait(std::chrono::seconds(30));
    EXPECT_EQ(code, sig == SIGINT ? 1 : 128 + SIGKILL) << tool.err();
    // PR_SET_PDEATHSIG: qemu dies with its parent.
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
      gone = QemuProcessesWith(work).empty();
      if (!gone) usleep(100000);
    }
    EXPECT_TRUE(gone) << "qemu of " << work << " still running after " << sig;
  }
  // The next mpdrill vm sweeps the SIGKILLed one's work directory.
  auto r = Vm({"--", "true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err;
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
  // Everything built in but virtio_net, which a guest NIC needs: refused before booting.
  Write("mods/lib/modules/6.99-test/modules.builtin",
        "kernel/net/mptcp/mptcp.ko\nkernel/drivers/virtio/virtio_pci.ko\n"
        "kernel/net/9p/9pnet_virtio.ko\nkernel/fs/9p/9p.ko\nkernel/drivers/net/tun.ko\n");
  auto nonic = Vm({"--modules", (dir() / "mods").string(), "--control-port", "7000", "--", "true"},
                  seconds(30));
  ASSERT_TRUE(nonic.ok());
  EXPECT_EQ(nonic->exit_code, 3);
  EXPECT_NE(nonic->err.find("kernel 6.99-test: module virtio_net (for --tap/--control-port) is "
                            "neither built in nor in its modules"),
            std::string::npos)
      << nonic->err;
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
}  // namespace mpdrill::vm_test
