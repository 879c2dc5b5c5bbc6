#include "engine/run/datagram.h"

#include <netinet/in.h>

#include "engine/run/icmp.h"
#include "engine/run/wire.h"
#include "gtest/gtest.h"

namespace mpdrill::run {
namespace {

// The Internet checksum over the pseudo-header and the transport bytes: 0xffff when it verifies.
std::uint32_t Verify(const std::vector<std::uint8_t>& packet, std::size_t ip_len,
                     const capture::IpAddress& src, const capture::IpAddress& dst,
                     std::uint8_t protocol) {
  std::uint32_t sum = 0;
  for (std::size_t i = ip_len; i < packet.size(); i += 2) {
    sum += (packet[i] << 8) | (i + 1 < packet.size() ? packet[i + 1] : 0);
  }
  for (std::size_t i = 0; i < (src.version == 6 ? 16u : 4u); i += 2) {
    sum += (src.bytes[i] << 8) | src.bytes[i + 1];
    sum += (dst.bytes[i] << 8) | dst.bytes[i + 1];
  }
  sum += protocol + static_cast<std::uint32_t>(packet.size() - ip_len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

// `< udp (100)` from 192.0.2.1:8080 to 192.168.0.2:8080 (and the IPv6 variant): what the
// sniffer reads back, a UDP checksum that verifies, the TTL and TOS asked for.
TEST(DatagramTest, BuildsAUdpDatagramThatReadsBack) {
  for (bool v6 : {false, true}) {
    WireUdp u;
    u.src = *ParseAddress(v6 ? "2001:db8::1" : "192.0.2.1", v6);
    u.dst = *ParseAddress(v6 ? "fd3d:fa7b:d17d::" : "192.168.0.2", v6);
    u.sport = 8080;
    u.dport = 40000;
    u.payload_length = 101;  // odd: the checksum pads the last byte
    u.ip.ttl = 9;
    u.ip.tos = 0x20;
    auto bytes = BuildUdpPacket(u);
    ASSERT_TRUE(bytes.ok()) << bytes.error();
    const std::size_t ip_len = v6 ? 40 : 20;
    ASSERT_EQ(bytes->size(), ip_len + 8 + 101);
    EXPECT_EQ(Verify(*bytes, ip_len, u.src, u.dst, IPPROTO_UDP), 0xffffu) << v6;
    auto live = ParseLiveDatagram(*bytes, 7);
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(live->kind, DatagramKind::kUdp);
    EXPECT_EQ(live->src, u.src);
    EXPECT_EQ(live->dst, u.dst);
    EXPECT_EQ(live->sport, 8080);
    EXPECT_EQ(live->dport, 40000);
    EXPECT_EQ(live->payload_length, 101u);
    EXPECT_EQ(live->ttl, 9);
    EXPECT_EQ(live->tos, 0x20);
    EXPECT_EQ(live->time, 7);
  }
}

// The kernel's port unreachable for `< udp (10)` to a closed port: type, code and the quoted
// datagram read back from what BuildIcmpPacket writes for `[udp (10)]`.
TEST(DatagramTest, ReadsAnIcmpErrorAndItsQuotedDatagram) {
  for (bool v6 : {false, true}) {
    WireIcmp m;
    m.src = *ParseAddress(v6 ? "fd3d:fa7b:d17d::" : "192.168.0.2", v6);
    m.dst = *ParseAddress(v6 ? "2001:db8::1" : "192.0.2.1", v6);
    m.kind = {static_cast<std::uint8_t>(v6 ? 1 : 3), static_cast<std::uint8_t>(v6 ? 4 : 3)};
    m.quoted_protocol = IPPROTO_UDP;
    m.quoted_src = m.dst;
    m.quoted_dst = m.src;
    m.quoted_sport = 8080;
    m.quoted_dport = 9999;
    m.quoted_payload = 10;
    auto bytes = BuildIcmpPacket(m);
    ASSERT_TRUE(bytes.ok()) << bytes.error();
    auto live = ParseLiveDatagram(*bytes, 0);
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(live->kind, DatagramKind::kIcmp);
    EXPECT_EQ(live->icmp_type, m.kind.type);
    EXPECT_EQ(live->icmp_code, m.kind.code);
    EXPECT_EQ(live->quoted_protocol, IPPROTO_UDP);
    EXPECT_EQ(live->quoted_sport, 8080);
    EXPECT_EQ(live->quoted_dport, 9999);
    EXPECT_EQ(live->quoted_payload_length, 10u);
    EXPECT_EQ(IcmpTypeCodeName(m.kind, v6), "unreachable port_unreachable");
  }
}

// Every prefix of a valid datagram is read without crossing its end: too short is nullopt.
TEST(DatagramTest, RejectsEveryTruncation) {
  WireUdp u;
  u.src = *ParseAddress("192.0.2.1", false);
  u.dst = *ParseAddress("192.168.0.2", false);
  u.payload_length = 4;
  auto bytes = BuildUdpPacket(u);
  ASSERT_TRUE(bytes.ok());
  for (std::size_t n = 0; n < bytes->size(); ++n) {
    EXPECT_FALSE(ParseLiveDatagram(std::span(bytes->data(), n), 0).has_value()) << n;
  }
  EXPECT_TRUE(ParseLiveDatagram(*bytes, 0).has_value());
}

TEST(DatagramTest, TcpIsNotADatagramAndHousekeepingIsKnown) {
  WireTcp t;
  t.src = *ParseAddress("192.0.2.1", false);
  t.dst = *ParseAddress("192.168.0.2", false);
  auto bytes = BuildTcpPacket(t);
  ASSERT_TRUE(bytes.ok());
  EXPECT_FALSE(ParseLiveDatagram(*bytes, 0).has_value());
  EXPECT_TRUE(IsIcmpv6Housekeeping(135));  // neighbour solicitation
  EXPECT_TRUE(IsIcmpv6Housekeeping(143));  // MLDv2 report
  EXPECT_FALSE(IsIcmpv6Housekeeping(1));   // destination unreachable
  EXPECT_FALSE(IsIcmpv6Housekeeping(129)); // echo reply
  EXPECT_EQ(IcmpTypeCodeName({42, 7}, false), "type_42 code_7");
  EXPECT_EQ(IcmpTypeCodeName({129, 0}, true), "echo_reply");
}

}  // namespace
}  // namespace mpdrill::run
