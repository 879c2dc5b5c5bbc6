// TUN devices inside a private namespace: needs root (skips without it).
#include "sandbox/tun.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"

namespace mpdrill::sandbox {
namespace {

using std::chrono::milliseconds;

// Sends a 1-byte UDP datagram to 198.51.100.7 (routed to tun0) and reads the device until the
// 29-byte IPv4 packet comes out: 0, else the step that failed (14-16).
int SendUdpAndReadIt(TunDevice& tun) {
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  inet_pton(AF_INET, "198.51.100.7", &to.sin_addr);
  if (sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 1) return 14;
  for (int i = 0; i < 20; ++i) {
    auto got = tun.Read(std::chrono::microseconds(100000));
    if (!got) return 15;
    if (!*got) continue;
    const auto& p = **got;
    if (p.size() == 29 && (p[0] >> 4) == 4 && p[9] == IPPROTO_UDP) return 0;
  }
  return 16;
}

TEST(TunTest, RefusesTheStartingNamespace) {
  auto here = CurrentNetnsInode();
  ASSERT_TRUE(here.ok());
  auto tun = TunDevice::Open("tun0", 1500, *here);
  ASSERT_FALSE(tun.ok());
  EXPECT_EQ(tun.error().code, SandboxErrorCode::kHostNamespace);
}

TEST(TunTest, RejectsBadNames) {
  auto tun = TunDevice::Open("", 1500, 0);
  ASSERT_FALSE(tun.ok());
  EXPECT_EQ(tun.error().code, SandboxErrorCode::kInvalidArgument);
}

// Inside a fresh namespace: the kernel's UDP datagram to a routed address leaves through the
// TUN as a raw IPv4 packet, and nothing arrives when nothing is sent.
TEST(TunTest, KernelPacketsComeOutOfTheDevice) {
  MPDRILL_NETNS_OR_SKIP(ns);
  if (!TunAvailable()) GTEST_SKIP() << "no /dev/net/tun";
  const ino_t outer = ns.outer_inode();
  auto code = RunInNamespace(
      ns,
      [outer]() -> int {
        auto tun = TunDevice::Open("tun0", 1400, outer);
        if (!tun) return 10;
        if (tun->ifindex() <= 0) return 11;
        if (std::system("ip addr add 198.51.100.2/24 dev tun0") != 0) return 12;
        auto idle = tun->Read(std::chrono::microseconds(20000));
        if (!idle || (*idle && !(*idle)->empty() && ((**idle)[0] >> 4) == 4)) {
          // IPv6 chatter may appear; an IPv4 packet must not.
          return 13;
        }
        return SendUdpAndReadIt(*tun);
      },
      milliseconds(5000));
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(*code, 0);
}

// A device opened for GSO (packetdrill's IFF_VNET_HDR): reads still give bare IP packets, and
// a GSO write needs such a device.
TEST(TunTest, GsoDevicesStripTheVirtioHeader) {
  MPDRILL_NETNS_OR_SKIP(ns);
  if (!TunAvailable()) GTEST_SKIP() << "no /dev/net/tun";
  const ino_t outer = ns.outer_inode();
  auto code = RunInNamespace(
      ns,
      [outer]() -> int {
        auto tun = TunDevice::Open("tun0", 1400, outer, /*gso=*/true);
        if (!tun) return 10;
        if (std::system("ip addr add 198.51.100.2/24 dev tun0") != 0) return 12;
        return SendUdpAndReadIt(*tun);
      },
      milliseconds(5000));
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(*code, 0);
  auto plain = RunInNamespace(
      ns,
      [outer]() -> int {
        auto tun = TunDevice::Open("tun1", 1400, outer);
        if (!tun) return 10;
        const std::vector<std::uint8_t> packet(40, 0);
        auto w = tun->Write(packet, 1000);
        return !w && w.error().code == SandboxErrorCode::kInvalidArgument ? 0 : 11;
      },
      milliseconds(5000));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, 0);
}

}  // namespace
}  // namespace mpdrill::sandbox
