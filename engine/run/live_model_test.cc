#include "engine/run/live_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "engine/capture/test_frames.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_option.h"
#include "engine/crypto/mptcp_crypto.h"
#include "engine/run/model_monitor.h"

namespace mpdrill::run {
namespace {

using capture::testing::Buf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr std::uint64_t kMpdrillKey = 0x0123456789abcdefULL;
constexpr std::uint64_t kKernelKey = 0xfedcba9876543210ULL;
constexpr std::uint16_t kMpdrillPort = 40000;
constexpr std::uint16_t kKernelPort = 8080;
constexpr std::uint32_t kMpdrillIsn = 1000;
constexpr std::uint32_t kKernelIsn = 5000;

// Packets between mpdrill (the client, 192.0.2.2 or 2001:db8::2) and the kernel (the server,
// 192.0.2.1 or 2001:db8::1), as raw IP bytes the way tun0 carries them.
class Wire {
 public:
  explicit Wire(bool v6) : v6_(v6) {}

  Buf Packet(bool from_kernel, std::uint32_t seq, std::uint32_t ack, std::uint16_t flags,
             std::initializer_list<codec::Option> options, const Buf& payload = {}) const {
    capture::testing::TcpSpec tcp;
    tcp.sport = from_kernel ? kKernelPort : kMpdrillPort;
    tcp.dport = from_kernel ? kMpdrillPort : kKernelPort;
    tcp.seq = seq;
    tcp.ack = ack;
    tcp.flags = flags;
    tcp.payload = payload;
    for (const codec::Option& o : options) {
      std::array<std::uint8_t, 40> buf{};
      auto n = codec::Encode(o, buf);
      EXPECT_TRUE(n.ok());
      if (n.ok()) tcp.options.insert(tcp.options.end(), buf.begin(), buf.begin() + *n);
    }
    const Buf segment = capture::testing::Tcp(tcp);
    if (v6_) {
      capture::testing::Ipv6Spec ip;
      ip.src = Address6(from_kernel);
      ip.dst = Address6(!from_kernel);
      return capture::testing::Ipv6(ip, segment);
    }
    capture::testing::Ipv4Spec ip;
    ip.src = {192, 0, 2, static_cast<std::uint8_t>(from_kernel ? 1 : 2)};
    ip.dst = {192, 0, 2, static_cast<std::uint8_t>(from_kernel ? 2 : 1)};
    return capture::testing::Ipv4(ip, segment);
  }

 private:
  static std::array<std::uint8_t, 16> Address6(bool kernel) {
    return {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
            0,    0,    0,    0,    0, 0, 0, static_cast<std::uint8_t>(kernel ? 1 : 2)};
  }
  bool v6_;
};

constexpr std::uint16_t kSyn = capture::kTcpSyn;
constexpr std::uint16_t kAck = capture::kTcpAck;
constexpr std::uint16_t kPsh = capture::kTcpPsh;

codec::MpCapable Mpc(std::optional<std::uint64_t> sender, std::optional<std::uint64_t> receiver) {
  codec::MpCapable m;
  m.flags = codec::kMpcFlagH;
  m.sender_key = sender;
  m.receiver_key = receiver;
  return m;
}

// mpdrill's SYN, the kernel's SYN/ACK and mpdrill's third ACK; `echoed` is the kernel key
// mpdrill's third ACK carries back.
void Handshake(const Wire& w, LiveModel* live, std::uint64_t echoed = kKernelKey) {
  live->OnPacket(w.Packet(false, kMpdrillIsn, 0, kSyn, {Mpc(std::nullopt, std::nullopt)}),
                 PacketOrigin::kInjected, 0);
  live->OnPacket(w.Packet(true, kKernelIsn, kMpdrillIsn + 1, kSyn | kAck, {Mpc(kKernelKey, {})}),
                 PacketOrigin::kKernel, 100);
  live->OnPacket(w.Packet(false, kMpdrillIsn + 1, kKernelIsn + 1, kAck, {Mpc(kMpdrillKey, echoed)}),
                 PacketOrigin::kInjected, 200);
}

// The kernel's first data segment: a 64-bit mapping of `data` at IDSN+1, SSN 1, with a
// DATA_ACK of mpdrill's IDSN+1 (nothing received at data level).
Buf KernelData(const Wire& w, const Buf& data) {
  codec::Dss dss;
  dss.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8 | codec::kDssFlagMapping |
              codec::kDssFlagDsn8;
  dss.data_ack = crypto::Idsn(kMpdrillKey) + 1;
  dss.dsn = crypto::Idsn(kKernelKey) + 1;
  dss.ssn = 1;
  dss.data_level_length = static_cast<std::uint16_t>(data.size());
  return w.Packet(true, kKernelIsn + 1, kMpdrillIsn + 1, kAck | kPsh, {dss}, data);
}

class LiveModelTest : public ::testing::TestWithParam<bool> {};

TEST_P(LiveModelTest, ConformingExchangeHasNoFindings) {
  const Wire w(GetParam());
  LiveModel live;
  Handshake(w, &live);
  live.OnPacket(KernelData(w, {'h', 'e', 'l', 'l', 'o'}), PacketOrigin::kKernel, 300);
  live.Finish();
  std::vector<LiveFinding> findings = live.TakeFindings();
  for (const LiveFinding& f : findings) ADD_FAILURE() << f.ToString();
  EXPECT_EQ(live.kernel_violations(), 0u);
  EXPECT_EQ(live.deliberate_violations(), 0u);
  EXPECT_EQ(live.packets(), 4u);
  EXPECT_EQ(live.skipped_packets(), 0u);
  EXPECT_EQ(live.observer().stats().connections, 1u);
}

TEST_P(LiveModelTest, BadInjectedPacketIsDeliberate) {
  const Wire w(GetParam());
  LiveModel live;
  Handshake(w, &live, /*echoed=*/0x1111);  // RFC 8684 §3.1, rule C6: wrong echoed key
  std::vector<LiveFinding> findings = live.TakeFindings();
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].violation.rule, codec::RuleId::kC6);
  EXPECT_TRUE(findings[0].deliberate());
  EXPECT_EQ(findings[0].violation.packet, 3u);
  EXPECT_THAT(findings[0].ToString(),
              StartsWith("model: deliberate: C6 (RFC 8684 §3.1) packet 3 conn 1 subflow 0 "
                         "client (mpdrill): "));
  EXPECT_THAT(findings[0].ToString(), HasSubstr("expected: 0xfedcba9876543210 actual: 0x1111"));
  EXPECT_EQ(live.kernel_violations(), 0u);
  EXPECT_EQ(live.deliberate_violations(), 1u);
}

TEST_P(LiveModelTest, KernelViolationIsAFailure) {
  const Wire w(GetParam());
  LiveModel live;
  Handshake(w, &live);
  // RFC 8684 §3.5, rule X1: MP_FASTCLOSE must carry the receiver's key; the kernel sends its own.
  codec::MpFastclose fastclose;
  fastclose.receiver_key = kKernelKey;
  live.OnPacket(w.Packet(true, kKernelIsn + 1, kMpdrillIsn + 1, kAck, {fastclose}),
                PacketOrigin::kKernel, 300);
  std::vector<LiveFinding> findings = live.TakeFindings();
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].violation.rule, codec::RuleId::kX1);
  EXPECT_FALSE(findings[0].deliberate());
  EXPECT_THAT(findings[0].ToString(),
              StartsWith("model: X1 (RFC 8684 §3.5) packet 4 conn 1 subflow 0 server (kernel): "
                         "MP_FASTCLOSE key: expected: 0x123456789abcdef actual: "
                         "0xfedcba9876543210"));
  EXPECT_EQ(live.kernel_violations(), 1u);
  EXPECT_EQ(live.deliberate_violations(), 0u);
}

TEST_P(LiveModelTest, CodecViolationBlamesThePacketsSender) {
  const Wire w(GetParam());
  LiveModel live;
  live.OnPacket(w.Packet(false, kMpdrillIsn, 0, kSyn, {Mpc(std::nullopt, std::nullopt)}),
                PacketOrigin::kInjected, 0);
  // The kernel's SYN/ACK carries an MP_CAPABLE with no key (RFC 8684 §3.1: the SYN/ACK form
  // has the sender's key): a per-packet codec finding, the kernel's.
  live.OnPacket(
      w.Packet(true, kKernelIsn, kMpdrillIsn + 1, kSyn | kAck, {Mpc(std::nullopt, std::nullopt)}),
      PacketOrigin::kKernel, 100);
  std::vector<LiveFinding> findings = live.TakeFindings();
  ASSERT_THAT(findings, ::testing::Not(IsEmpty()));
  for (const LiveFinding& f : findings) {
    EXPECT_FALSE(f.deliberate()) << f.ToString();
    EXPECT_EQ(f.violation.packet, 2u);
  }
  EXPECT_EQ(live.kernel_violations(), findings.size());
}

TEST(LiveModelInput, NonTcpAndGarbageAreSkipped) {
  LiveModel live;
  live.OnPacket(Buf{0x45, 0x00}, PacketOrigin::kKernel, 0);
  capture::testing::Ipv4Spec udp;
  udp.protocol = 17;
  live.OnPacket(capture::testing::Ipv4(udp, Buf(8, 0)), PacketOrigin::kKernel, 0);
  live.Finish();
  EXPECT_EQ(live.packets(), 2u);
  EXPECT_EQ(live.skipped_packets(), 2u);
  EXPECT_THAT(live.TakeFindings(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Ip, LiveModelTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "ipv6" : "ipv4"; });

TEST(LiveModelFindings, KeptFindingsAreBoundedButCounted) {
  const Wire w(false);
  LiveModel live(LiveModelOptions{.max_findings = 1});
  Handshake(w, &live, 0x1111);
  codec::MpFastclose fastclose;
  fastclose.receiver_key = kKernelKey;
  live.OnPacket(w.Packet(true, kKernelIsn + 1, kMpdrillIsn + 1, kAck, {fastclose}),
                PacketOrigin::kKernel, 300);
  EXPECT_THAT(live.TakeFindings(), SizeIs(1));
  EXPECT_EQ(live.dropped_findings(), 1u);
  EXPECT_EQ(live.kernel_violations() + live.deliberate_violations(), 2u);
}

// ModelMonitor: LiveModel as a wire tap, as the runner uses it.
TEST(ModelMonitor, FindingsCarryTheEventLineAndThePacket) {
  const Wire w(false);
  ModelMonitor monitor;
  monitor.SetEvent(7);
  monitor.OnWire(w.Packet(false, kMpdrillIsn, 0, kSyn, {Mpc(std::nullopt, std::nullopt)}),
                 PacketOrigin::kInjected, 0);
  monitor.OnWire(w.Packet(true, kKernelIsn, kMpdrillIsn + 1, kSyn | kAck, {Mpc(kKernelKey, {})}),
                 PacketOrigin::kKernel, 100);
  monitor.SetEvent(9);
  monitor.OnWire(
      w.Packet(false, kMpdrillIsn + 1, kKernelIsn + 1, kAck, {Mpc(kMpdrillKey, kKernelKey)}),
      PacketOrigin::kInjected, 200);
  EXPECT_THAT(monitor.Take(), IsEmpty());
  monitor.SetEvent(12);
  codec::MpFastclose fastclose;
  fastclose.receiver_key = kKernelKey;  // rule X1: must be mpdrill's key
  const Buf bad = w.Packet(true, kKernelIsn + 1, kMpdrillIsn + 1, kAck, {fastclose});
  monitor.OnWire(bad, PacketOrigin::kKernel, 300);
  std::vector<MonitorFinding> found = monitor.Take();
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].line, 12);
  EXPECT_EQ(found[0].finding.violation.rule, codec::RuleId::kX1);
  EXPECT_FALSE(found[0].finding.deliberate());
  EXPECT_EQ(found[0].packet_origin, PacketOrigin::kKernel);
  EXPECT_EQ(found[0].packet, bad);
  EXPECT_THAT(monitor.Take(), IsEmpty());
  const MonitorTotals t = monitor.Totals();
  EXPECT_EQ(t.packets, 4u);
  EXPECT_EQ(t.connections, 1u);
  EXPECT_EQ(t.kernel, 1u);
  EXPECT_EQ(t.deliberate, 0u);
}

TEST(ModelMonitor, KeepsAtMostMaxFindingsOverTheRun) {
  const Wire w(false);
  ModelMonitor monitor(LiveModelOptions{.max_findings = 1});
  monitor.OnWire(w.Packet(false, kMpdrillIsn, 0, kSyn, {Mpc(std::nullopt, std::nullopt)}),
                 PacketOrigin::kInjected, 0);
  monitor.OnWire(w.Packet(true, kKernelIsn, kMpdrillIsn + 1, kSyn | kAck, {Mpc(kKernelKey, {})}),
                 PacketOrigin::kKernel, 100);
  monitor.OnWire(
      w.Packet(false, kMpdrillIsn + 1, kKernelIsn + 1, kAck, {Mpc(kMpdrillKey, kKernelKey)}),
      PacketOrigin::kInjected, 200);
  codec::MpFastclose fastclose;
  fastclose.receiver_key = kKernelKey;
  for (int i = 0; i < 3; ++i) {
    monitor.OnWire(w.Packet(true, kKernelIsn + 1, kMpdrillIsn + 1, kAck, {fastclose}),
                   PacketOrigin::kKernel, 300 + i);
    EXPECT_THAT(monitor.Take(), SizeIs(i == 0 ? 1 : 0));  // taken each time, still bounded
  }
  EXPECT_EQ(monitor.Totals().kernel, 3u);
  EXPECT_EQ(monitor.Totals().dropped, 2u);
}

// End of a run: nothing after Close() is judged, and connections left open are no violation
// (no end-of-input rule runs).
TEST(ModelMonitor, ClosedMonitorJudgesNothingMore) {
  const Wire w(true);
  ModelMonitor monitor;
  monitor.OnWire(w.Packet(false, kMpdrillIsn, 0, kSyn, {Mpc(std::nullopt, std::nullopt)}),
                 PacketOrigin::kInjected, 0);
  monitor.OnWire(w.Packet(true, kKernelIsn, kMpdrillIsn + 1, kSyn | kAck, {Mpc(kKernelKey, {})}),
                 PacketOrigin::kKernel, 100);
  monitor.Close();
  codec::MpFastclose fastclose;
  fastclose.receiver_key = kKernelKey;
  monitor.OnWire(w.Packet(true, kKernelIsn + 1, kMpdrillIsn + 1, kAck, {fastclose}),
                 PacketOrigin::kKernel, 300);
  EXPECT_THAT(monitor.Take(), IsEmpty());
  EXPECT_EQ(monitor.Totals().packets, 2u);
  EXPECT_EQ(monitor.Totals().kernel, 0u);
}

}  // namespace
}  // namespace mpdrill::run
