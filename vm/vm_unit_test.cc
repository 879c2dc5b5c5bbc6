// Pure parts of `mpdrill vm`: image sniffing, bzImage headers, module ELF .modinfo, the cpio
// writer (read back by busybox cpio), the generated shell (checked by busybox sh -n), qemu's
// command line with its NICs, the NIC option checks, the private-namespace check and the
// console scanner.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "base/exec.h"
#include "base/files.h"
#include "vm/console_scan.h"
#include "vm/cpio.h"
#include "vm/guest_script.h"
#include "vm/kernel_image.h"
#include "vm/modinfo.h"
#include "vm/net.h"
#include "vm/qemu.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"

namespace mpdrill::vm {
namespace {

namespace fs = std::filesystem;

Bytes AsBytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

void PutLe16(std::string* s, std::size_t at, std::uint16_t v) {
  (*s)[at] = static_cast<char>(v & 0xff);
  (*s)[at + 1] = static_cast<char>(v >> 8);
}

// A minimal bzImage header: boot flag, "HdrS", protocol 2.15, version string at 0x400.
std::string FakeBzImage(const std::string& version) {
  std::string s(0x1000, '\0');
  PutLe16(&s, 0x1FE, 0xAA55);
  s.replace(0x202, 4, "HdrS");
  PutLe16(&s, 0x206, 0x020F);
  PutLe16(&s, 0x20E, 0x400 - 0x200);
  s.replace(0x400, version.size(), version);
  return s;
}

TEST(KernelImage, SniffsBzImageAndPackage) {
  EXPECT_EQ(*SniffImage(AsBytes(FakeBzImage("6.1.0 x"))), ImageKind::kBzImage);
  EXPECT_EQ(*SniffImage(AsBytes(std::string("!<arch>\ndebian-binary   ") + std::string(600, ' '))),
            ImageKind::kDebianPackage);
}

TEST(KernelImage, NotAKernelSaysWhatItSaw) {
  auto text = SniffImage(AsBytes(std::string(1000, 'x')));
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, VmErrorCode::kNotAKernel);
  EXPECT_NE(text.error().message.find("offset 514 (0x202)"), std::string::npos);
  auto tiny = SniffImage(AsBytes("abc"));
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().message.find("only 3 byte(s)"), std::string::npos);
  std::string elf(1000, '\0');
  elf.replace(0, 4, "\x7f" "ELF");
  auto vmlinux = SniffImage(AsBytes(elf));
  ASSERT_FALSE(vmlinux.ok());
  EXPECT_NE(vmlinux.error().message.find("vmlinux"), std::string::npos);
}

TEST(KernelImage, ParsesVersionAndRelease) {
  auto info = ParseBzImage(AsBytes(FakeBzImage("6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP")));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->release, "6.1.0-57-amd64");
  EXPECT_EQ(info->boot_protocol, 0x020F);
}

TEST(KernelImage, BrokenHeadersNameTheirOffset) {
  std::string noflag = FakeBzImage("6.1");
  PutLe16(&noflag, 0x1FE, 0);
  EXPECT_NE(ParseBzImage(AsBytes(noflag)).error().message.find("offset 510"), std::string::npos);
  std::string old = FakeBzImage("6.1");
  PutLe16(&old, 0x206, 0x0105);
  EXPECT_NE(ParseBzImage(AsBytes(old)).error().message.find("offset 518: boot protocol 0x0105"),
            std::string::npos);
  std::string far = FakeBzImage("6.1");
  PutLe16(&far, 0x20E, 0xF000);
  EXPECT_NE(ParseBzImage(AsBytes(far)).error().message.find("past the end"), std::string::npos);
  std::string unterminated = FakeBzImage("");
  unterminated.replace(0x400, 0x1000 - 0x400, std::string(0x1000 - 0x400, 'a'));
  auto r = ParseBzImage(AsBytes(unterminated));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, VmErrorCode::kBadImage);
  // Every prefix of a valid header fails cleanly (no crash, a located error).
  const std::string good = FakeBzImage("6.1.0 x");
  for (std::size_t n = 0; n < 0x408; ++n) {
    auto cut = ParseBzImage(AsBytes(good.substr(0, n)));
    ASSERT_FALSE(cut.ok()) << n;
    EXPECT_NE(cut.error().message.find("offset "), std::string::npos) << n;
  }
}

// An ELF64 LE object with a .modinfo and a section name table, laid out by hand.
std::string FakeModule(const std::string& modinfo) {
  const std::string shstrtab = std::string("\0.modinfo\0.shstrtab\0", 20);
  std::string s(64, '\0');
  s.replace(0, 4, "\x7f" "ELF");
  s[4] = 2;
  s[5] = 1;
  const std::size_t modinfo_at = s.size();
  s += modinfo;
  const std::size_t strtab_at = s.size();
  s += shstrtab;
  while (s.size() % 8) s.push_back('\0');
  const std::size_t shoff = s.size();
  auto le = [&](std::size_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  s.append(3 * 64, '\0');  // null, .modinfo, .shstrtab
  le(shoff + 64 + 0, 1, 4);
  le(shoff + 64 + 24, modinfo_at, 8);
  le(shoff + 64 + 32, modinfo.size(), 8);
  le(shoff + 128 + 0, 10, 4);
  le(shoff + 128 + 24, strtab_at, 8);
  le(shoff + 128 + 32, shstrtab.size(), 8);
  le(0x28, shoff, 8);
  le(0x3A, 64, 2);
  le(0x3C, 3, 2);
  le(0x3E, 2, 2);
  return s;
}

TEST(ModInfo, ReadsDependsNameAndVermagic) {
  const std::string body = std::string("license=GPL\0depends=virtio_ring,9pnet,net-failover\0name=9pnet-virtio\0vermagic=6.1.0 SMP\0", 87);
  auto info = ReadModInfo(AsBytes(FakeModule(body)));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->name, "9pnet_virtio");
  EXPECT_EQ(info->depends, (std::vector<std::string>{"virtio_ring", "9pnet", "net_failover"}));
  EXPECT_EQ(info->vermagic, "6.1.0 SMP");
  auto none = ReadModInfo(AsBytes(FakeModule(std::string("depends=\0", 9))));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->depends.empty());
}

TEST(ModInfo, EveryTruncationIsALocatedError) {
  const std::string m = FakeModule(std::string("depends=a\0", 10));
  for (std::size_t n = 0; n < m.size(); ++n) {
    auto r = ReadModInfo(AsBytes(m.substr(0, n)));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_NE(r.error().message.find("module ELF offset "), std::string::npos) << n;
  }
  std::string be = m;
  be[5] = 2;
  EXPECT_NE(ReadModInfo(AsBytes(be)).error().message.find("not little-endian"), std::string::npos);
}

class WithBusybox : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox not installed (Debian busybox-static)";
    auto d = TempDir::Make(fs::temp_directory_path(), "mpdrill-vm-unit.");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
  }
  fs::path dir() const { return dir_->path(); }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(WithBusybox, CpioReadsBackWithBusyboxCpio) {
  CpioWriter w;
  w.AddDirectory("bin");
  w.AddFile("bin/hello", "#!/bin/sh\necho hi\n", 0755);
  w.AddFile("odd", std::string("abc\0d", 5));  // length not a multiple of 4
  w.AddFile("lib/modules/9p.ko", std::string(4097, 'k'));
  ASSERT_TRUE(WriteFile(dir() / "a.cpio", w.Finish()).ok());
  auto list = ExecWithDeadline({"sh", "-c", "cd " + dir().string() + " && mkdir x && cd x && "
                                "busybox cpio -i -d < ../a.cpio 2>&1 && ls -lR . && wc -c odd lib/modules/9p.ko"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->exit_code, 0) << list->out;
  EXPECT_NE(list->out.find("-rwxr-xr-x"), std::string::npos) << list->out;
  EXPECT_NE(list->out.find("5 odd"), std::string::npos) << list->out;
  EXPECT_NE(list->out.find("4097 lib/modules/9p.ko"), std::string::npos) << list->out;
  auto content = ReadFile(dir() / "x" / "odd");
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, std::string("abc\0d", 5));
}

TEST_F(WithBusybox, GeneratedShellParses) {
  GuestPlan plan;
  plan.shares = {{"share0", "/work/it's here", false}, {"share1", "/tmp/bin", true}};
  plan.cwd = "/work/it's here";
  plan.argv = {"/usr/bin/mpdrill", "run", "a b.pkt", "--tap", "x'y"};
  plan.env = {{"MPDRILL_KMSG_MARKERS", "1"}, {"ODD", "a'b c"}};
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"init", InitScript({"virtio", "9p"})},
                                   {"guest", GuestScript(plan)}, {"probe", ProbeScript()}}) {
    ASSERT_TRUE(WriteFile(dir() / name, text).ok());
    auto r = ExecWithDeadline({"busybox", "sh", "-n", (dir() / name).string()});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << name << ":\n" << text << r->err;
  }
  // The quoting survives a real shell: each argv word comes back whole.
  auto echo = ExecWithDeadline({"sh", "-c", "printf '[%s]' " + ShellQuote("a'b c") + " " + ShellQuote("")});
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->out, "[a'b c][]");
}

TEST_F(WithBusybox, GeneratedNetworkShellParses) {
  GuestNics tap_only, control_only, both;
  tap_only.tap = "tap'x";
  control_only.control_port = 7000;
  both.tap = "tap0";
  both.tap_mac = "52:54:00:12:34:56";
  both.control_port = 7000;
  for (const GuestNics& nics : {tap_only, control_only, both}) {
    GuestPlan plan;
    plan.cwd = "/w";
    plan.argv = {"true"};
    plan.nics = nics;
    const std::string text = GuestScript(plan);
    ASSERT_TRUE(WriteFile(dir() / "guest", text).ok());
    auto r = ExecWithDeadline({"busybox", "sh", "-n", (dir() / "guest").string()});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << text << r->err;
    // The NICs are set up before the guest says it is ready (and the command runs).
    EXPECT_LT(text.find("ip link set"), text.find("/ctl/ready")) << text;
  }
  const std::string b = GuestNetScript(both);
  EXPECT_NE(b.find("nic eth0 52:54:00:12:34:56"), std::string::npos) << b;
  EXPECT_NE(b.find("nic eth1 52:54:00:6d:70:02"), std::string::npos) << b;
  EXPECT_NE(b.find("addr_gen_mode 1"), std::string::npos) << b;
  EXPECT_NE(b.find("ip addr add 10.0.2.15/24 dev eth1"), std::string::npos) << b;
  EXPECT_NE(b.find("/ctl/tap-up"), std::string::npos) << b;
  EXPECT_EQ(b.find("name eth1"), std::string::npos) << b;
  // Alone, the control NIC is renamed from eth0 to eth1, and nothing waits for a tap.
  const std::string c = GuestNetScript(control_only);
  EXPECT_NE(c.find("ip link set eth0 name eth1"), std::string::npos) << c;
  EXPECT_EQ(c.find("tap-up"), std::string::npos) << c;
  EXPECT_EQ(GuestNetScript(GuestNics{}), "");
}

// Runs the generated wait-and-check helpers in a real shell against a fake /sys: a wait that
// never ends fails within its bound with its message.
TEST_F(WithBusybox, NetworkWaitsAreBounded) {
  GuestNics nics;
  nics.tap = "tap0";
  std::string script = GuestNetScript(nics);
  script = script.substr(0, script.find("nic eth0"));  // the helpers only
  ASSERT_EQ(script.rfind("T=100\n", 0), 0u) << script;
  script.replace(0, 5, "T=5");  // 0.5 s instead of 10
  script = "B=/bin/busybox\nfail() { echo \"FAIL: $*\"; exit 1; }\n" + script +
           "upto '[ -e " + (dir() / "never").string() + " ]' 'gave up'\n";
  ASSERT_TRUE(WriteFile(dir() / "wait", script).ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = ExecWithDeadline({"busybox", "sh", (dir() / "wait").string()},
                            ExecOptions{std::chrono::seconds(30), 1 << 16, {}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_EQ(r->out, "FAIL: gave up\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Net, MacsAndInterfaceNames) {
  EXPECT_EQ(NormalizeMac("52:54:00:6D:70:0a"), "52:54:00:6d:70:0a");
  for (const char* bad : {"", "52:54:00:6d:70", "52:54:00:6d:70:01:02", "52-54-00-6d-70-01",
                          "52:54:00:6d:70:0g", "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff"}) {
    EXPECT_FALSE(NormalizeMac(bad).has_value()) << bad;
  }
  EXPECT_EQ(CheckIfName("tap0"), "");
  EXPECT_EQ(CheckIfName("a-b_c.15-chars1"), "");
  for (const char* bad : {"", ".", "..", "a/b", "a:b", "a,b", "a b", "sixteen-chars-xx"}) {
    EXPECT_NE(CheckIfName(bad), "") << bad;
  }
  EXPECT_NE(CheckIfName("sixteen-chars-xx").find("'sixteen-chars-xx'"), std::string::npos);
}

TEST(Net, PrivateNamespaceCheck) {
  auto here = sandbox::CurrentNetnsInode();
  const auto host = InitialNetnsInode();
  if (!here || !host) GTEST_SKIP() << "cannot read this process's or the initial network namespace";
  if (*here != *host) GTEST_SKIP() << "this test runs outside the host's initial network namespace";
  auto refused = CheckPrivateNetns("--tap t0");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, VmErrorCode::kNetwork);
  EXPECT_NE(refused.error().message.find("--tap t0 refused in the host's network namespace"),
            std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(LoopbackUpIfPrivate().ok());  // and touches nothing here
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a private namespace";
  auto ns = sandbox::NetNamespace::Create();
  ASSERT_TRUE(ns.ok()) << ns.error().message;
  auto inside = sandbox::RunInNamespace(
      *ns,
      [] {
        if (!CheckPrivateNetns("x")) return 1;
        if (NetDeviceExists("tap0") || !NetDeviceExists("lo")) return 2;
        if (!LoopbackUpIfPrivate()) return 3;
        return 0;
      },
      std::chrono::seconds(5));
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(*inside, 0);
}

TEST(Qemu, NicsTapThenControlBeforeTheShares) {
  QemuConfig c;
  c.kernel = "/k/vmlinuz";
  c.initrd = "/w/initramfs.cpio";
  c.console_log = "/w/console.log";
  c.shares = {{"hostroot", "/", true}};
  const auto none = QemuArgv(c);
  EXPECT_EQ(std::find(none.begin(), none.end(), "-netdev"), none.end());
  c.nics.tap = "tap,1";
  c.nics.control_port = 7000;
  const auto argv = QemuArgv(c);
  const auto at = [&](const std::string& w) {
    return std::find(argv.begin(), argv.end(), w) - argv.begin();
  };
  const auto tap = at("tap,id=t0,ifname=tap,,1,script=no,downscript=no");
  const auto tap_nic = at("virtio-net-pci,netdev=t0,mac=52:54:00:6d:70:01");
  const auto user =
      at("user,id=c0,restrict=on,ipv6=off,hostfwd=tcp:127.0.0.1:7000-10.0.2.15:7000");
  const auto user_nic = at("virtio-net-pci,netdev=c0,mac=52:54:00:6d:70:02");
  const auto fs = at("virtio-9p-pci,fsdev=fs0,mount_tag=hostroot");
  const auto end = static_cast<long>(argv.size());
  for (auto i : {tap, tap_nic, user, user_nic, fs}) ASSERT_LT(i, end);
  EXPECT_LT(tap_nic, user_nic);  // eth0 before eth1 on the PCI bus
  EXPECT_LT(user_nic, fs);
}

TEST(Qemu, CommandLineSharesAndAccel) {
  QemuConfig c;
  c.accel = Accel::kTcg;
  c.kernel = "/k/vmlinuz";
  c.initrd = "/w/initramfs.cpio";
  c.console_log = "/w/con,sole.log";
  c.shares = {{"hostroot", "/", true}, {"share0", "/work/a,b", false}};
  const auto argv = QemuArgv(c);
  auto has = [&](const std::string& w) {
    for (const auto& a : argv) {
      if (a == w) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("-no-reboot"));
  EXPECT_TRUE(has("-nodefaults"));
  EXPECT_TRUE(has("tcg,thread=multi"));
  EXPECT_TRUE(has("file,id=console,path=/w/con,,sole.log"));
  EXPECT_TRUE(has("local,id=fs0,path=/,security_model=none,multidevs=remap,readonly=on"));
  EXPECT_TRUE(has("local,id=fs1,path=/work/a,,b,security_model=none,multidevs=remap"));
  EXPECT_TRUE(has("virtio-9p-pci,fsdev=fs1,mount_tag=share0"));
  EXPECT_NE(KernelCommandLine(c).find("panic=-1"), std::string::npos);
  c.accel = Accel::kKvm;
  const auto kvm = QemuArgv(c);
  EXPECT_NE(std::find(kvm.begin(), kvm.end(), "kvm"), kvm.end());
}

TEST(ConsoleScan, AttributesReportsToActiveRuns) {
  ConsoleScanner s;
  s.Feed("[    1.000000] mpdrill: run-begin 1 a.pkt (ipv4)\r\n");
  s.Feed("[    1.100000] mpdrill: run-begin 2 b.pkt (ipv6)\n[    1.2] mpdrill: run-end 1 PASS\n");
  s.Feed("[    1.300000] ------------[ cut here ]------------\n");
  s.Feed("[    1.300001] WARNING: CPU: 0 PID: 1 at net/mptcp/protocol.c:1 f+0x1\n");
  s.Feed("[    1.300002] Modules linked in: tun\n[    1.3] Call Trace:\n[    1.3]  <TASK>\n");
  s.Feed("[    1.300003] ---[ end trace 0000000000000000 ]---\n");
  s.Feed("[    1.4] mpdrill: run-end 2 FAIL\n[    1.5] Call Trace:\n");
  const auto reports = s.Reports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].verdict, "KERNEL-WARNING");
  EXPECT_EQ(reports[0].active_runs, (std::vector<std::string>{"b.pkt (ipv6)"}));
  EXPECT_EQ(reports[0].excerpt.front(), "WARNING: CPU: 0 PID: 1 at net/mptcp/protocol.c:1 f+0x1");
  EXPECT_EQ(reports[0].line_number, 5u);
  EXPECT_EQ(reports[0].excerpt.size(), 5u);  // the call trace belongs to the warning
  EXPECT_EQ(reports[1].verdict, "KERNEL-CALL-TRACE");
  EXPECT_TRUE(reports[1].active_runs.empty());
  EXPECT_FALSE(s.panic().has_value());
}

TEST(ConsoleScan, PanicSetupErrorAndPartialLines) {
  ConsoleScanner s(3);
  s.Feed("mpdrill-vm: error: cannot load module 9p (dmesg above says why)\n");
  s.Feed("[ 2.0] mpdrill: run-begin 7 crash.pkt (ipv4)\n[ 2.1] sysrq: Trigger a crash\n[ 2.2] Kernel panic - not sync");
  EXPECT_FALSE(s.panic().has_value());
  s.Feed("ing: sysrq triggered crash\n[ 2.3] CPU: 0 PID: 9\n");
  s.Feed("tail without newline");
  s.Finish();
  ASSERT_TRUE(s.panic().has_value());
  EXPECT_EQ(s.panic()->excerpt.front(), "Kernel panic - not syncing: sysrq triggered crash");
  EXPECT_EQ(s.panic()->active_runs, (std::vector<std::string>{"crash.pkt (ipv4)"}));
  EXPECT_EQ(s.setup_error(), "cannot load module 9p (dmesg above says why)");
  EXPECT_EQ(s.tail().size(), 3u);
  EXPECT_EQ(s.tail().back(), "tail without newline");
  EXPECT_TRUE(s.Reports().empty());
}

}  // namespace
}  // namespace mpdrill::vm
