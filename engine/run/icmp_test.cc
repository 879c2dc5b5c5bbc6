#include "engine/run/icmp.h"

#include "gtest/gtest.h"

namespace mpdrill::run {
namespace {

capture::IpAddress V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  capture::IpAddress ip;
  ip.bytes[0] = a, ip.bytes[1] = b, ip.bytes[2] = c, ip.bytes[3] = d;
  return ip;
}

TEST(IcmpTest, PacketdrillsTypeAndCodeNames) {
  auto frag = ParseIcmpTypeCode("unreachable", "frag_needed", false);
  ASSERT_TRUE(frag.ok());
  EXPECT_EQ(frag->type, 3);
  EXPECT_EQ(frag->code, 4);
  auto big = ParseIcmpTypeCode("packet_too_big", "", true);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->type, 2);
  EXPECT_EQ(big->code, 0);
  auto numbered = ParseIcmpTypeCode("type_42", "code_7", false);
  ASSERT_TRUE(numbered.ok());
  EXPECT_EQ(numbered->type, 42);
  EXPECT_EQ(numbered->code, 7);
  auto bad = ParseIcmpTypeCode("unreachable", "frag_needed", true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "unknown code 'frag_needed' for ICMP type 'unreachable'");
  // A -D symbol may stand for a name (google's run_all.py passes -D CODE=host_unreachable).
  auto defined = ParseIcmpTypeCode("unreachable", "CODE", false, {{"CODE", "host_unreachable"}});
  ASSERT_TRUE(defined.ok()) << defined.error();
  EXPECT_EQ(defined->code, 1);
  auto undefined = ParseIcmpTypeCode("unreachable", "CODE", false, {{"OTHER", "x"}});
  ASSERT_FALSE(undefined.ok());
  EXPECT_EQ(undefined.error(), "unknown code 'CODE' for ICMP type 'unreachable'");
}

// Frag needed about 192.168.0.1:8080 > 192.0.2.1:48000 seq 1000: the quoted header, ports,
// sequence number and MTU where RFC 792 puts them, and a checksum that verifies.
TEST(IcmpTest, FragNeededQuotesTheConnection) {
  WireIcmp m;
  m.src = V4(192, 0, 2, 1);
  m.dst = V4(192, 168, 0, 1);
  m.kind = {3, 4};
  m.mtu = 1200;
  m.quoted_src = m.dst;
  m.quoted_dst = m.src;
  m.quoted_sport = 8080;
  m.quoted_dport = 48000;
  m.quoted_seq = 1000;
  m.quoted_payload = 4;
  auto p = BuildIcmpPacket(m);
  ASSERT_TRUE(p.ok()) << p.error();
  ASSERT_EQ(p->size(), 20u + 8 + 20 + 8 + 4);
  const std::uint8_t* icmp = p->data() + 20;
  EXPECT_EQ((*p)[9], 1);  // IPPROTO_ICMP
  EXPECT_EQ(icmp[0], 3);
  EXPECT_EQ(icmp[1], 4);
  EXPECT_EQ(icmp[6] << 8 | icmp[7], 1200);
  EXPECT_EQ(icmp[8 + 2] << 8 | icmp[8 + 3], 20 + 20 + 4);  // quoted total length
  EXPECT_EQ(icmp[8 + 12], 192);                            // quoted source: the kernel's
  EXPECT_EQ(icmp[28] << 8 | icmp[29], 8080);
  EXPECT_EQ(icmp[30] << 8 | icmp[31], 48000);
  EXPECT_EQ(icmp[35], 1000 & 0xff);
  std::uint32_t sum = 0;
  for (std::size_t i = 20; i + 1 < p->size(); i += 2) sum += (*p)[i] << 8 | (*p)[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  m.kind = {3, 1};  // an MTU only goes with frag_needed
  EXPECT_FALSE(BuildIcmpPacket(m).ok());
}

}  // namespace
}  // namespace mpdrill::run
