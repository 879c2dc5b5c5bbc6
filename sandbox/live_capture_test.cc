#include "sandbox/live_capture.h"

#include <pcap/pcap.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"

namespace mpdrill::sandbox {
namespace {

using std::chrono::milliseconds;
using namespace ::mpdrill::sandbox::test_util;  // NOLINT(build/namespaces): test helpers

std::string TempPcap(const std::string& name) {
  return ::testing::TempDir() + "/" + name + "_" + std::to_string(getpid()) + ".pcap";
}

// Counts the packets of a pcap file, and which carry a TCP SYN to port 5002 (IPv4 in
// LINUX_SLL or Ethernet; enough for this test).
struct FileSummary {
  int datalink = -1;
  int packets = 0;
  int syns = 0;
};
FileSummary Summarize(const std::string& path) {
  FileSummary s;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
  if (p == nullptr) return s;
  s.datalink = pcap_datalink(p);
  const std::size_t l2 = s.datalink == DLT_LINUX_SLL ? 16 : s.datalink == DLT_EN10MB ? 14 : 20;
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1 && s.packets < 10000) {
    ++s.packets;
    if (h->caplen < l2 + 40 || (d[l2] >> 4) != 4 || d[l2 + 9] != 6) continue;
    const std::size_t tcp = l2 + (d[l2] & 0xf) * 4;
    const int dport = (d[tcp + 2] << 8) | d[tcp + 3];
    if (dport == 5002 && (d[tcp + 13] & 0x02) && !(d[tcp + 13] & 0x10)) ++s.syns;
  }
  pcap_close(p);
  return s;
}

bool RunPingPong(const NetNamespace& a, const NetNamespace& b, int port) {
  int ready[2];
  if (pipe(ready) != 0) return false;
  auto server = SpawnInNamespace(b, [&] {
    close(ready[0]);
    return ServeOnePingPong(AF_INET, "198.51.100.2", port, ready[1]);
  });
  close(ready[1]);
  char c;
  const bool started = server.ok() && ReadWithTimeout(ready[0], &c, 1, milliseconds(3000));
  close(ready[0]);
  if (!started) return false;
  auto client = RunInNamespace(a, [port] { return PingPongClient(AF_INET, "198.51.100.2", port); },
                               milliseconds(3000));
  auto served = server->Wait(milliseconds(3000));
  return client.ok() && *client == 0 && served.ok() && *served == 0;
}

TEST(LiveCaptureTest, AnyDeviceRecordsAHandshakeAsLinuxSll) {
  MPDRILL_NETNS_OR_SKIP(a);
  MPDRILL_NETNS_OR_SKIP(b);
  ASSERT_TRUE(ConnectPair(a, b).ok());
  const std::string path = TempPcap("any");
  auto capture = LiveCapture::Start(a, CaptureOptions{.out_path = path});
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  ASSERT_TRUE(RunPingPong(a, b, 5002));
  auto stats = (*capture)->Stop(milliseconds(100));
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->datalink, DLT_LINUX_SLL);
  EXPECT_GE(stats->packets_written, 8u);  // 3-way handshake, 2 data, FINs
  EXPECT_FALSE(stats->hit_time_limit);
  const FileSummary file = Summarize(path);
  EXPECT_EQ(file.datalink, DLT_LINUX_SLL);
  EXPECT_EQ(file.packets, static_cast<int>(stats->packets_written));
  EXPECT_EQ(file.syns, 1);
  if (!HasFailure()) std::remove(path.c_str());
}

TEST(LiveCaptureTest, OneDeviceGivesEthernetAndStopsAtThePacketLimit) {
  MPDRILL_NETNS_OR_SKIP(a);
  MPDRILL_NETNS_OR_SKIP(b);
  ASSERT_TRUE(ConnectPair(a, b).ok());
  const std::string path = TempPcap("veth");
  auto capture =
      LiveCapture::Start(a, CaptureOptions{.device = "va0", .out_path = path, .max_packets = 3});
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  ASSERT_TRUE(RunPingPong(a, b, 5002));
  auto stats = (*capture)->Stop(milliseconds(100));
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->datalink, DLT_EN10MB);
  EXPECT_EQ(stats->packets_written, 3u);
  EXPECT_TRUE(stats->hit_packet_limit);
  EXPECT_EQ(Summarize(path).packets, 3);
  std::remove(path.c_str());
}

TEST(LiveCaptureTest, StopsAtTheTimeLimitWithoutTraffic) {
  MPDRILL_NETNS_OR_SKIP(a);
  const std::string path = TempPcap("idle");
  const auto start = std::chrono::steady_clock::now();
  auto capture =
      LiveCapture::Start(a, CaptureOptions{.out_path = path, .max_duration = milliseconds(150)});
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  std::this_thread::sleep_for(milliseconds(400));
  auto stats = (*capture)->Stop(milliseconds(0));
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->hit_time_limit);
  EXPECT_EQ(stats->packets_written, 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  std::remove(path.c_str());
}

TEST(LiveCaptureTest, UnknownDeviceFailsToStart) {
  MPDRILL_NETNS_OR_SKIP(a);
  auto capture = LiveCapture::Start(
      a, CaptureOptions{.device = "nosuchdev0", .out_path = TempPcap("none")});
  ASSERT_FALSE(capture.ok());
  EXPECT_EQ(capture.error().code, SandboxErrorCode::kCapture);
}

TEST(LiveCaptureTest, Sll2OnAnyDevice) {
  MPDRILL_NETNS_OR_SKIP(a);
  const std::string path = TempPcap("sll2");
  auto capture = LiveCapture::Start(
      a, CaptureOptions{.out_path = path, .link_type = CaptureLinkType::kLinuxSll2});
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  auto stats = (*capture)->Stop(milliseconds(0));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->datalink, DLT_LINUX_SLL2);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mpdrill::sandbox
