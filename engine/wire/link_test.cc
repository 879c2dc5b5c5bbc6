// The wire link over a veth pair between two private namespaces: mpdrill's side ("va0", no IP
// address, so its kernel stays out of the way) and the target's kernel ("vb0").
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>

#include "engine/capture/dissect.h"
#include "engine/run/wire.h"
#include "engine/wire/link_packet_io.h"
#include "engine/wire/transport.h"
#include "sandbox/leak_check.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"
#include "sandbox/topology.h"

namespace mpdrill::wire {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

capture::IpAddress Ip(const std::string& text) {
  auto a = run::ParseAddress(text, text.find(':') != std::string::npos);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(capture::IpAddress{});
}

class WireLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces and packet sockets";
    auto a = sandbox::NetNamespace::Create();
    auto b = sandbox::NetNamespace::Create();
    ASSERT_TRUE(a.ok() && b.ok());
    ours_.emplace(std::move(*a));
    target_.emplace(std::move(*b));
    ASSERT_TRUE(sandbox::LoopbackUp(*ours_).ok());
    ASSERT_TRUE(sandbox::LoopbackUp(*target_).ok());
    ASSERT_TRUE(sandbox::AddVethPair(*ours_, "va0", *target_, "vb0").ok());
    ASSERT_TRUE(sandbox::AddAddress(*target_, "vb0", "198.51.100.2/24").ok());
    ASSERT_TRUE(sandbox::AddAddress(*target_, "vb0", "2001:db8::2/64").ok());
    // mpdrill's side: no address (its kernel must not answer or reset), no IPv6 chatter.
    ASSERT_TRUE(sandbox::SetSysctl(*ours_, "net.ipv6.conf.va0.disable_ipv6", "1").ok());
    // Offloads off on mpdrill's end; on the target's too unless the test wants its
    // coalesced segments and partial checksums.
    ASSERT_TRUE(sandbox::DisableOffloads(*ours_, "va0").ok());
    if (!target_offloads_) {
      ASSERT_TRUE(sandbox::DisableOffloads(*target_, "vb0").ok());
    }
    auto enter = sandbox::ScopedNetnsEnter::Enter(*ours_);
    ASSERT_TRUE(enter.ok());
    auto t = PcapTransport::Open("va0");
    ASSERT_TRUE(t.ok()) << t.error();
    own_mac_ = (*t)->mac();
    LinkConfig config;
    config.own_mac = own_mac_;
    config.own_addresses = {Ip("198.51.100.1"), Ip("198.51.100.3"), Ip("2001:db8::1")};
    io_ = std::make_unique<LinkPacketIo>(std::move(*t), clock_, std::vector<run::WireTap*>{},
                                         config);
  }
  void TearDown() override {
    io_.reset();
    for (auto* ns : {&ours_, &target_}) {
      if (!*ns) continue;
      const ino_t inode = (*ns)->inode();
      (*ns)->Destroy();
      EXPECT_TRUE(sandbox::ProcessesUsingNetns(inode).empty());
    }
  }

  // The next TCP segment from the target to dst:dport (from `sport` unless 0) within 3 s.
  capture::TcpSegment NextTcp(std::vector<std::uint8_t>* keep, const capture::IpAddress& dst,
                              std::uint16_t dport, std::uint16_t sport = 0) {
    const std::int64_t deadline = clock_.NowUsecs() + 3000000;
    while (true) {
      auto p = io_->Receive(deadline);
      EXPECT_TRUE(p.ok());
      if (!p.ok() || !*p) {
        ADD_FAILURE() << "no TCP segment from the target";
        return {};
      }
      *keep = std::move((*p)->bytes);
      auto d = capture::DissectIp(*keep);
      if (d.ok() && std::holds_alternative<capture::TcpSegment>(*d)) {
        const auto& t = std::get<capture::TcpSegment>(*d);
        // Earlier connections' FINs and retransmissions are not this test's business.
        if (t.dst == dst && t.dport == dport && (sport == 0 || t.sport == sport)) return t;
      }
    }
  }

  // The target's kernel connects to `ours`:8080; mpdrill answers the SYN it sniffs and sees the
  // kernel's ACK; the target's socket is then connected, and sends `send` bytes (which this
  // receives, whatever their segmentation).
  void HandshakeFromTarget(const std::string& ours, const std::string& theirs,
                           std::size_t send = 0) {
    const bool v6 = ours.find(':') != std::string::npos;
    auto child = sandbox::SpawnInNamespace(*target_, [&]() -> int {
      sockaddr_storage ss;
      socklen_t len;
      sandbox::test_util::FillAddress(v6 ? AF_INET6 : AF_INET, ours.c_str(), 8080, &ss, &len);
      const int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(s, reinterpret_cast<sockaddr*>(&ss), len);
      pollfd p{s, POLLOUT, 0};
      if (poll(&p, 1, 5000) != 1) return 2;
      int err = -1;
      socklen_t elen = sizeof(err);
      getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &elen);
      if (err != 0) return 3;
      const std::vector<char> data(send, 'x');
      std::size_t sent = 0;
      while (sent < send) {
        if (poll(&p, 1, 3000) != 1) return 4;
        const ssize_t n = ::send(s, data.data() + sent, send - sent, 0);
        if (n <= 0) return 5;
        sent += static_cast<std::size_t>(n);
      }
      if (send) usleep(500000);  // let it all leave before the socket closes
      return 0;
    });
    ASSERT_TRUE(child.ok());
    std::vector<std::uint8_t> bytes;
    const capture::TcpSegment syn = NextTcp(&bytes, Ip(ours), 8080);
    ASSERT_TRUE(syn.syn() && !syn.ack_flag()) << "flags " << syn.flags;
    EXPECT_EQ(syn.dst, Ip(ours));
    EXPECT_EQ(syn.src, Ip(theirs));
    EXPECT_EQ(syn.dport, 8080);
    run::WireTcp synack;
    synack.src = Ip(ours);
    synack.dst = Ip(theirs);
    synack.sport = 8080;
    synack.dport = syn.sport;
    synack.seq = 1000;
    synack.ack = syn.seq + 1;
    synack.flags = capture::kTcpSyn | capture::kTcpAck;
    synack.window = 65535;
    synack.options = {2, 4, 0x05, 0xb4};  // mss 1460
    auto packet = run::BuildTcpPacket(synack);
    ASSERT_TRUE(packet.ok());
    auto sent = io_->Send(*packet, 0);
    ASSERT_TRUE(sent.ok()) << sent.error();
    capture::TcpSegment ack = NextTcp(&bytes, Ip(ours), 8080, syn.sport);
    // Under load the kernel may have retransmitted its SYN before our SYN/ACK arrived.
    for (int i = 0; i < 5 && ack.syn() && ack.seq == syn.seq; ++i) {
      ack = NextTcp(&bytes, Ip(ours), 8080, syn.sport);
    }
    EXPECT_TRUE(ack.ack_flag() && !ack.syn()) << "flags " << ack.flags;
    EXPECT_EQ(ack.ack, 1001u);
    EXPECT_EQ(ack.sport, syn.sport);
    std::uint32_t next = syn.seq + 1;
    while (next - (syn.seq + 1) < send && !HasFailure()) {
      const capture::TcpSegment data = NextTcp(&bytes, Ip(ours), 8080, syn.sport);
      if (data.payload_length == 0) continue;
      // Nothing is acknowledged: a slow test may see retransmissions of what it already has.
      if (static_cast<std::int32_t>(data.seq + data.payload_length - next) <= 0) continue;
      EXPECT_EQ(data.seq, next);
      next = data.seq + data.payload_length;
      largest_segment_ = std::max<std::size_t>(largest_segment_, data.payload_length);
    }
    auto code = child->Wait(seconds(5));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 0) << "the target's connect did not complete";
  }

  Result<MacAddress, std::string> TargetMac() {
    auto enter = sandbox::ScopedNetnsEnter::Enter(*target_);
    return DeviceMac("vb0");
  }

  bool target_offloads_ = false;
  std::size_t largest_segment_ = 0;
  run::MonotonicClock clock_;
  std::optional<sandbox::NetNamespace> ours_, target_;
  MacAddress own_mac_{};
  std::unique_ptr<LinkPacketIo> io_;
};

TEST_F(WireLinkTest, TargetConnectsToOurAddressesOverIpv4AndIpv6) {
  EXPECT_EQ(io_->link_layer(), LinkLayer::kEthernet);
  HandshakeFromTarget("198.51.100.1", "198.51.100.2");
  HandshakeFromTarget("198.51.100.3", "198.51.100.2");  // an extra address: ARP answered too
  HandshakeFromTarget("2001:db8::1", "2001:db8::2");
  auto mac = TargetMac();
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(io_->MacOf(Ip("198.51.100.2")), *mac);
  EXPECT_EQ(io_->MacOf(Ip("2001:db8::2")), *mac);
  const LinkStats s = io_->stats();
  EXPECT_GE(s.neighbour_replies, 3u);  // two ARP replies and a neighbour advertisement
  EXPECT_EQ(s.solicitations, 0u);      // every MAC was learned from the target's own frames
}

// mpdrill speaks first: its SYN needs the target's MAC, which it asks for (ARP / NS).
TEST_F(WireLinkTest, LearnsTheTargetMacBeforeItsFirstSend) {
  for (const auto& [ours, theirs] : {std::pair<std::string, std::string>{"198.51.100.1", "198.51.100.2"},
                                     {"2001:db8::1", "2001:db8::2"}}) {
    const bool v6 = ours.find(':') != std::string::npos;
    int ready[2];
    ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
    auto server = sandbox::SpawnInNamespace(*target_, [&]() -> int {
      return sandbox::test_util::ServeOnePingPong(v6 ? AF_INET6 : AF_INET, theirs.c_str(), 9090,
                                                  ready[1]);
    });
    close(ready[1]);
    ASSERT_TRUE(server.ok());
    char r;
    ASSERT_TRUE(sandbox::test_util::ReadWithTimeout(ready[0], &r, 1, seconds(3)));
    close(ready[0]);
    run::WireTcp syn;
    syn.src = Ip(ours);
    syn.dst = Ip(theirs);
    syn.sport = 40000;
    syn.dport = 9090;
    syn.seq = 5000;
    syn.flags = capture::kTcpSyn;
    syn.window = 65535;
    auto packet = run::BuildTcpPacket(syn);
    ASSERT_TRUE(packet.ok());
    auto sent = io_->Send(*packet, 0);
    ASSERT_TRUE(sent.ok()) << sent.error();
    std::vector<std::uint8_t> bytes;
    const capture::TcpSegment synack = NextTcp(&bytes, Ip(ours), 40000);
    EXPECT_TRUE(synack.syn() && synack.ack_flag()) << "flags " << synack.flags;
    EXPECT_EQ(synack.ack, 5001u);
    EXPECT_EQ(synack.dport, 40000);
    server->Kill();
  }
  const LinkStats s = io_->stats();
  EXPECT_EQ(s.solicitations, 2u);  // one ARP request, one neighbour solicitation
  auto mac = TargetMac();
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(io_->MacOf(Ip("198.51.100.2")), *mac);
}

// With segmentation and checksum offloads on at the target, its data reaches the transport as
// the device hands it over: possibly segments above the MTU with partial checksums. All of it
// is passed on, in order, unverified (as a TUN run would see GSO-free packets).
class WireLinkOffloadTest : public WireLinkTest {
 protected:
  void SetUp() override {
    target_offloads_ = true;
    WireLinkTest::SetUp();
  }
};

TEST_F(WireLinkOffloadTest, PassesTheTargetsSegmentsWhateverTheirSize) {
  HandshakeFromTarget("198.51.100.1", "198.51.100.2", 12000);
  // The first flight leaves a veth with TSO on as GSO segments of several MSS (7300 bytes on
  // Linux 6.x): they arrive whole, one frame each.
  EXPECT_GT(largest_segment_, 1460u);
  std::printf("largest segment from the target with offloads on: %zu bytes\n", largest_segment_);
}

// The same link I/O over TUN (link layer: IP packets): the kernel of one namespace connects out
// through tun0 and the handshake completes with packets written back to it, no ARP involved.
class TunLinkTest : public WireLinkTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces and TUN";
    if (!sandbox::TunAvailable()) GTEST_SKIP() << "no /dev/net/tun";
    auto ns = sandbox::NetNamespace::Create();
    ASSERT_TRUE(ns.ok());
    target_.emplace(std::move(*ns));
    ASSERT_TRUE(sandbox::LoopbackUp(*target_).ok());
    auto enter = sandbox::ScopedNetnsEnter::Enter(*target_);
    ASSERT_TRUE(enter.ok());
    auto tun = sandbox::TunDevice::Open("tun0", 1500, target_->outer_inode());
    ASSERT_TRUE(tun.ok()) << tun.error().message;
    ASSERT_TRUE(sandbox::AddAddress(*target_, "tun0", "192.168.0.2/16").ok());
    ASSERT_TRUE(sandbox::Ip(*target_, {"route", "add", "192.0.2.0/24", "dev", "tun0"}).ok());
    io_ = std::make_unique<LinkPacketIo>(std::make_unique<TunTransport>(std::move(*tun)), clock_,
                                         std::vector<run::WireTap*>{}, LinkConfig{});
  }
};

TEST_F(TunLinkTest, CarriesIpPacketsBothWays) {
  EXPECT_EQ(io_->link_layer(), LinkLayer::kIp);
  HandshakeFromTarget("192.0.2.1", "192.168.0.2");
  EXPECT_EQ(io_->stats().neighbour_replies, 0u);
}

}  // namespace
}  // namespace mpdrill::wire
