#include "engine/wire/ethernet.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <tins/ethernetII.h>
#include <tins/icmpv6.h>
#include <tins/ipv6.h>

namespace mpdrill::wire {
namespace {

constexpr MacAddress kOwn = {0x02, 0, 0, 0, 0, 0x01};
constexpr MacAddress kTarget = {0x02, 0, 0, 0, 0, 0x02};

capture::IpAddress Ip(const char* text) {
  capture::IpAddress a;
  a.version = std::string(text).find(':') == std::string::npos ? 4 : 6;
  inet_pton(a.version == 4 ? AF_INET : AF_INET6, text, a.bytes.data());
  return a;
}
std::array<std::uint8_t, 4> V4(const char* text) {
  std::array<std::uint8_t, 4> b{};
  inet_pton(AF_INET, text, b.data());
  return b;
}

Neighbours Ours() {
  Neighbours n(kOwn);
  n.AddOwnAddress(Ip("198.51.100.1"));
  n.AddOwnAddress(Ip("198.51.100.3"));  // an extra address
  n.AddOwnAddress(Ip("2001:db8::1"));
  return n;
}

TEST(Neighbours, AnswersArpForEachOwnAddressAndLearnsTheAsker) {
  Neighbours n = Ours();
  for (const char* own : {"198.51.100.1", "198.51.100.3"}) {
    ArpMessage req{kArpRequest, kTarget, V4("198.51.100.2"), {}, V4(own)};
    FrameAction a = n.OnFrame(BuildArpFrame(req));
    ASSERT_TRUE(a.reply) << own;
    auto frame = ParseEthernet(*a.reply);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->dst, kTarget);
    EXPECT_EQ(frame->src, kOwn);
    auto reply = ParseArp(frame->payload);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->op, kArpReply);
    EXPECT_EQ(reply->sender_mac, kOwn);
    EXPECT_EQ(reply->sender_ip, V4(own));
    EXPECT_EQ(reply->target_ip, V4("198.51.100.2"));
  }
  EXPECT_EQ(n.MacOf(Ip("198.51.100.2")), kTarget);
  ArpMessage other{kArpRequest, kTarget, V4("198.51.100.2"), {}, V4("198.51.100.9")};
  FrameAction a = n.OnFrame(BuildArpFrame(other));
  EXPECT_FALSE(a.reply);
  EXPECT_FALSE(a.ip_packet);
}

TEST(Neighbours, AnswersNeighbourSolicitationsWithAValidAdvert) {
  Neighbours n = Ours();
  Neighbours target(kTarget);
  const auto ns = target.Solicit(Ip("2001:db8::2"), Ip("2001:db8::1"));
  FrameAction a = n.OnFrame(ns);
  ASSERT_TRUE(a.reply);
  EXPECT_EQ(n.MacOf(Ip("2001:db8::2")), kTarget);
  auto frame = ParseEthernet(*a.reply);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->dst, kTarget);
  auto na = ParseNeighbour(frame->payload);
  ASSERT_TRUE(na.ok());
  ASSERT_TRUE(na->has_value());
  EXPECT_EQ((*na)->type, kNeighbourAdvert);
  EXPECT_EQ((*na)->target, Ip("2001:db8::1").bytes);
  EXPECT_EQ((*na)->link_address, kOwn);
  // libtins reads it back as a solicited advert (the kernel accepting it: wire_link_test).
  Tins::EthernetII parsed(a.reply->data(), static_cast<std::uint32_t>(a.reply->size()));
  const auto& icmp = parsed.rfind_pdu<Tins::ICMPv6>();
  EXPECT_EQ(icmp.type(), Tins::ICMPv6::NEIGHBOUR_ADVERT);
  EXPECT_EQ(icmp.solicited(), 1);
  // The target learns our MAC from the advert.
  FrameAction back = target.OnFrame(*a.reply);
  EXPECT_EQ(target.MacOf(Ip("2001:db8::1")), kOwn);
  EXPECT_FALSE(back.reply);
}

TEST(Neighbours, PassesOnlyIpPacketsForOurMac) {
  Neighbours n = Ours();
  std::vector<std::uint8_t> ip(40, 0);
  ip[0] = 0x45;
  ip[3] = 40;
  ip[9] = 6;
  const auto src = V4("198.51.100.2"), dst = V4("198.51.100.1");
  std::copy(src.begin(), src.end(), ip.begin() + 12);
  std::copy(dst.begin(), dst.end(), ip.begin() + 16);
  auto to_us = FrameIp(kOwn, kTarget, ip);
  ASSERT_TRUE(to_us.ok());
  FrameAction a = n.OnFrame(*to_us);
  ASSERT_TRUE(a.ip_packet);
  EXPECT_EQ(*a.ip_packet, ip);
  EXPECT_EQ(n.last_peer(), kTarget);
  const MacAddress elsewhere = {0x02, 0, 0, 0, 0, 0x09};
  auto to_other = FrameIp(elsewhere, kTarget, ip);
  EXPECT_FALSE(n.OnFrame(*to_other).ip_packet);
  auto ours = FrameIp(kTarget, kOwn, ip);  // our own frame echoed back
  EXPECT_FALSE(n.OnFrame(*ours).ip_packet);
}

TEST(Ethernet, ErrorsNameTheByteOffset) {
  const std::uint8_t short_frame[10] = {};
  EXPECT_EQ(ParseEthernet(short_frame).error(),
            "byte 6: Ethernet header needs 14 bytes, the frame has 10");
  const std::uint8_t short_arp[8] = {0, 1, 8, 0, 6, 4, 0, 1};
  EXPECT_EQ(ParseArp(short_arp).error(), "byte 8: ARP message truncated");
  const std::uint8_t bad[2] = {0x70, 0};
  EXPECT_EQ(FrameIp(kOwn, kTarget, bad).error(), "byte 0: IP version 7 is neither 4 nor 6");
  Neighbours n = Ours();
  FrameAction a = n.OnFrame(short_frame);
  EXPECT_FALSE(a.reply);
  EXPECT_FALSE(a.ip_packet);
  ASSERT_TRUE(a.skipped);
}

}  // namespace
}  // namespace mpdrill::wire
