// `mpdrill vm --tap --control-port` end to end: a guest booted in a private network namespace
// with its eth0 on a tap and an `mpdrill agent` reached over the control NIC from that
// namespace; the guest's frames cross the tap; nothing is left afterwards. And the refusal
// to create a tap in the host's network namespace (exit 3, qemu never started). Skips
// without root, qemu, busybox or a kernel package (`bash ci/fetch_kernel.sh`).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/bytes.h"
#include "engine/agent/client.h"
#include "sandbox/leak_check.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"
#include "tests/vm_fixture.h"
#include "vm/net.h"

namespace mpdrill::vm_test {
namespace {

constexpr char kToken[] = "vm-net-test-token-0123456789abcdef";
constexpr char kTap[] = "mpdtap0";
constexpr char kTapMac[] = "52:54:00:6d:70:42";
constexpr std::array<std::uint8_t, 6> kTapMacBytes = {0x52, 0x54, 0x00, 0x6d, 0x70, 0x42};
constexpr int kPort = 7413;

// The kernel package the guest boots: $MPDRILL_TEST_KERNEL, else Debian's 6.1 when there is one (its virtio_net
// needs net_failover and failover: the dependency order is exercised), else the newest.
std::string Kernel61OrAny() {
  std::string best = KernelPackage();
  if (const char* k = std::getenv("MPDRILL_TEST_KERNEL"); k != nullptr && *k != '\0') return best;
  for (const char* dir : {MPDRILL_BINARY_DIR "/kernels", MPDRILL_SOURCE_DIR "/build/kernels"}) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.rfind("linux-image-6.1.0-", 0) == 0 && name.size() > 4 &&
          name.compare(name.size() - 4, 4, ".deb") == 0) {
        best = it->path().string();
      }
    }
  }
  return best;
}

// "linux-image-6.1.0-57-amd64_6.1.192-3_amd64.deb" -> "6.1.0-57-amd64"
std::string ReleaseOf(const std::string& package) {
  std::string name = fs::path(package).filename().string();
  name = name.substr(std::string("linux-image-").size());
  name = name.substr(0, name.find('_'));
  const std::string unsigned_suffix = "-unsigned";
  if (name.size() > unsigned_suffix.size() &&
      name.compare(name.size() - unsigned_suffix.size(), unsigned_suffix.size(), unsigned_suffix) == 0) {
    name.resize(name.size() - unsigned_suffix.size());
  }
  return name;
}

// Whether `frame` is an ARP request from `mac` asking for `target` (IPv4, network order).
bool IsArpRequestFrom(Bytes frame, const std::array<std::uint8_t, 6>& mac,
                      const std::array<std::uint8_t, 4>& target) {
  ByteReader r(frame);
  std::array<std::uint8_t, 6> dst{}, src{}, sender_mac{}, target_mac{};
  std::array<std::uint8_t, 4> sender_ip{}, target_ip{};
  std::uint16_t type = 0, htype = 0, ptype = 0, op = 0;
  std::uint8_t hlen = 0, plen = 0;
  if (!r.ReadArray(&dst) || !r.ReadArray(&src) || !r.ReadU16(&type) || !r.ReadU16(&htype) ||
      !r.ReadU16(&ptype) || !r.ReadU8(&hlen) || !r.ReadU8(&plen) || !r.ReadU16(&op) ||
      !r.ReadArray(&sender_mac) || !r.ReadArray(&sender_ip) || !r.ReadArray(&target_mac) ||
      !r.ReadArray(&target_ip)) {
    return false;
  }
  return type == ETH_P_ARP && op == 1 && src == mac && sender_mac == mac && target_ip == target;
}

std::string FileText(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  return text ? *text : "";
}

// Reads `fd` up to a line starting with `prefix` (or the deadline): the line, or "".
std::string ReadUntilLine(int fd, const std::string& prefix, std::chrono::seconds timeout,
                          std::string* seen) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  char c = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!sandbox::test_util::ReadWithTimeout(fd, &c, 1, left)) return "";
    *seen += c;
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.rfind(prefix, 0) == 0) return line;
    line.clear();
  }
  return "";
}

class VmNetTest : public VmTest {};

TEST_F(VmNetTest, AgentInTheGuestOverTheControlPortAndFramesOnTheTap) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: a network namespace and a tap";
  kernel_ = Kernel61OrAny();
  MPDRILL_NETNS_OR_SKIP(ns);
  const ino_t ns_inode = ns.inode();
  const fs::path token = dir() / "token";
  ASSERT_TRUE(WriteFile(token, kToken).ok());
  chmod(token.c_str(), 0600);

  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const std::string log = (dir() / "vm.err").string();
  std::vector<std::string> argv = {
      kMpdrill, "vm", "--kernel", kernel_, "--cache", MPDRILL_BINARY_DIR "/vm-cache",
      "--tap", kTap, "--tap-mac", kTapMac, "--control-port", std::to_string(kPort), "--",
      kMpdrill, "agent", "--listen", "10.0.2.15:" + std::to_string(kPort), "--token",
      token.string(), "--wait", "120"};
  auto vm = sandbox::test_util::SpawnProgramInNamespace(ns, argv, out[1], log, dir().string());
  close(out[1]);
  ASSERT_TRUE(vm.ok()) << vm.error().message;
  std::string seen;
  const std::string listening =
      ReadUntilLine(out[0], "mpdrill agent: listening on", seconds(200), &seen);
  const auto vm_log = [&] { return seen + FileText(log); };
  ASSERT_NE(listening, "") << vm_log();

  const std::array<std::uint8_t, 4> peer = {198, 51, 100, 1};
  int packet_fd = -1;
  std::unique_ptr<agent::AgentClient> client;
  {
    auto enter = sandbox::ScopedNetnsEnter::Enter(ns);
    ASSERT_TRUE(enter.ok());
    // Watches the tap for ARP (the tap exists: qemu made it before the guest booted).
    packet_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
    ASSERT_GE(packet_fd, 0);
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ARP);
    ll.sll_ifindex = static_cast<int>(if_nametoindex(kTap));
    ASSERT_GT(ll.sll_ifindex, 0) << kTap << " is not in the namespace";
    ASSERT_EQ(bind(packet_fd, reinterpret_cast<sockaddr*>(&ll), sizeof(ll)), 0);
    auto c = agent::AgentClient::Connect("127.0.0.1:" + std::to_string(kPort),
                                         std::vector<std::uint8_t>(kToken, kToken + sizeof(kToken) - 1),
                                         seconds(20));
    ASSERT_TRUE(c.ok()) << agent::ClientErrorText(c.error()) << vm_log();
    client = std::move(*c);
  }
  struct CloseFd {
    int fd;
    ~CloseFd() { close(fd); }
  } close_packet_fd{packet_fd};

  auto interfaces = client->Interfaces();
  ASSERT_TRUE(interfaces.ok()) << agent::ClientErrorText(interfaces.error());
  bool eth0 = false, eth1 = false;
  for (const agent::InterfaceInfo& i : *interfaces) {
    if (i.name == "eth0") {
      eth0 = true;
      EXPECT_TRUE(i.up);
      EXPECT_EQ(i.mac, kTapMacBytes);
      EXPECT_TRUE(i.addresses.empty()) << "eth0 has an address of its own: " << i.addresses[0].address;
    }
    if (i.name == "eth1") {
      eth1 = true;
      ASSERT_EQ(i.addresses.size(), 1u);
      EXPECT_EQ(i.addresses[0].address, "10.0.2.15");
      EXPECT_EQ(i.addresses[0].prefix, 24);
    }
  }
  EXPECT_TRUE(eth0 && eth1);

  auto uname = client->Command({"uname -r", {}, "", 10000});
  ASSERT_TRUE(uname.ok());
  EXPECT_EQ(uname->output, ReleaseOf(kernel_) + "\n");

  // The guest's kernel resolves a neighbour on eth0: its ARP request reaches the tap.
  auto ping = client->Command({"ip addr add 198.51.100.2/24 dev eth0 && "
                               "/bin/busybox ping -c 1 -W 2 198.51.100.1; true",
                               {}, "", 20000});
  ASSERT_TRUE(ping.ok());
  bool arp = false;
  std::vector<std::uint8_t> frame(2048);
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (!arp && std::chrono::steady_clock::now() < deadline) {
    pollfd p{packet_fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = recv(packet_fd, frame.data(), frame.size(), 0);
    if (n <= 0) break;
    arp = IsArpRequestFrom(Bytes(frame.data(), static_cast<std::size_t>(n)), kTapMacBytes, peer);
  }
  EXPECT_TRUE(arp) << "no ARP request from " << kTapMac << " on " << kTap << ": " << ping->output;

  ASSERT_TRUE(client->Shutdown().ok());
  client.reset();
  auto code = vm->Wait(seconds(60));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << vm_log();
  close(out[0]);
  const std::string err = FileText(log);
  EXPECT_NE(err.find("; eth0 52:54:00:6d:70:42 on tap mpdtap0; eth1 10.0.2.15:7413 from "
                     "127.0.0.1:7413"),
            std::string::npos)
      << err;
  // The agent saw the client come through qemu's user networking (its gateway address).
  EXPECT_NE(err.find("mpdrill agent: client 10.0.2.2:"), std::string::npos) << err;
  std::cout << err.substr(0, err.find('\n')) << "\n";  // the boot time, for the record
  {
    auto enter = sandbox::ScopedNetnsEnter::Enter(ns);
    ASSERT_TRUE(enter.ok());
    EXPECT_EQ(if_nametoindex(kTap), 0u) << "the tap outlived qemu";
  }
  ExpectNothingLeft();
  ns.Destroy();
  EXPECT_TRUE(sandbox::ProcessesUsingNetns(ns_inode).empty());
}

// In the host's initial network namespace --tap is refused before anything starts: exit 3,
// and the qemu given (a script leaving a mark) never runs.
TEST(VmNetRefusal, TapInTheHostNamespaceIsExit3) {
  auto here = sandbox::CurrentNetnsInode();
  const auto host = vm::InitialNetnsInode();
  if (!here || !host) GTEST_SKIP() << "cannot read this process's or the initial network namespace";
  if (*here != *host) GTEST_SKIP() << "this test runs outside the host's initial network namespace";
  auto d = TempDir::Make(fs::temp_directory_path(), "mpdrill-vm-net-test.");
  ASSERT_TRUE(d.ok());
  const fs::path mark = d->path() / "qemu-ran";
  const fs::path qemu = d->path() / "qemu";
  ASSERT_TRUE(WriteFile(qemu, "#!/bin/sh\ntouch " + mark.string() + "\n").ok());
  chmod(qemu.c_str(), 0755);
  ExecOptions o;
  o.timeout = seconds(30);
  auto r = ExecWithDeadline({kMpdrill, "vm", "--kernel", "/nonexistent", "--qemu", qemu.string(),
                             "--tap", "mpdtap9", "--", "true"},
                            o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3) << r->err;
  EXPECT_NE(r->err.find("--tap mpdtap9 refused in the host's network namespace"), std::string::npos)
      << r->err;
  EXPECT_NE(r->err.find("unshare -n"), std::string::npos) << r->err;
  EXPECT_FALSE(fs::exists(mark));
  EXPECT_EQ(if_nametoindex("mpdtap9"), 0u);
  // A namespace of a user namespace of its own (`unshare -Urn`, rootless) is private, even
  // though PID 1's namespace cannot be read from there: past the check, to the kernel image.
  if (OnPath("unshare")) {
    auto userns = ExecWithDeadline({"unshare", "-Urn", kMpdrill, "vm", "--kernel", "/nonexistent",
                                    "--qemu", qemu.string(), "--tap", "mpdtap9", "--", "true"},
                                   o);
    ASSERT_TRUE(userns.ok());
    if (userns->err.find("unshare failed") == std::string::npos) {
      EXPECT_EQ(userns->exit_code, 3) << userns->err;
      EXPECT_NE(userns->err.find("/nonexistent: no such file"), std::string::npos) << userns->err;
      EXPECT_FALSE(fs::exists(mark));
    }
  }
  // Usage errors name the value.
  auto mac = ExecWithDeadline({kMpdrill, "vm", "--kernel", "/k", "--tap", "t0", "--tap-mac",
                               "01:00:5e:00:00:01", "--", "true"},
                              o);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(mac->exit_code, 2);
  EXPECT_NE(mac->err.find("'01:00:5e:00:00:01'"), std::string::npos) << mac->err;
}

}  // namespace
}  // namespace mpdrill::vm_test
