#include "engine/capture/dissect.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/capture/test_frames.h"

namespace mpdrill::capture {
namespace {

using testing::Buf;

// An MP_CAPABLE SYN written out byte by byte:
//   198.51.100.1:43210 > 198.51.100.2:8080 S <mss 1460, nop, nop, mpcapable v1 flags[flag_h] nokey>
const Buf kEthernetIpv4MpCapableSyn = {
    // Ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type IPv4
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    // IPv4: v4 ihl 5, tos 0, total 52, id 0x1234, DF, ttl 64, TCP, checksum 0
    0x45, 0x00, 0x00, 0x34, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
    198, 51, 100, 1,  // src
    198, 51, 100, 2,  // dst
    // TCP: sport 43210, dport 8080, seq 1000, ack 0, offset 8 words, SYN, window 65535
    0xa8, 0xca, 0x1f, 0x90, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02,
    0xff, 0xff, 0xab, 0xcd, 0x00, 0x00,  // window, checksum 0xabcd, urgent 0
    0x02, 0x04, 0x05, 0xb4,  // mss 1460
    0x01, 0x01,              // nop, nop
    0x1e, 0x04, 0x01, 0x01,  // mpcapable v1 flags[flag_h], length 4
    0x00, 0x00,              // eol, eol (padding to 12 option bytes)
};

// By value: callers pass temporaries.
TcpSegment AsTcp(const Result<Dissection, DissectError>& r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : std::string(r.error().reason));
  if (!r.ok()) std::abort();
  const auto* tcp = std::get_if<TcpSegment>(&r.value());
  if (tcp == nullptr) std::abort();
  return *tcp;
}

std::string Addr(const IpAddress& a) {
  std::string s;
  AppendAddress(a, &s);
  return s;
}

TEST(Dissect, AnnotatedEthernetIpv4Syn) {
  const auto r = Dissect(kLinkEthernet, kEthernetIpv4MpCapableSyn);
  const TcpSegment t = AsTcp(r);
  EXPECT_EQ(Addr(t.src), "198.51.100.1");
  EXPECT_EQ(Addr(t.dst), "198.51.100.2");
  EXPECT_EQ(t.ip_offset, 14u);
  EXPECT_EQ(t.tcp_offset, 34u);
  EXPECT_EQ(t.sport, 43210);
  EXPECT_EQ(t.dport, 8080);
  EXPECT_EQ(t.seq, 1000u);
  EXPECT_EQ(t.ack, 0u);
  EXPECT_EQ(t.data_offset, 8);
  EXPECT_EQ(t.flags, kTcpSyn);
  EXPECT_TRUE(t.syn());
  EXPECT_FALSE(t.ack_flag());
  EXPECT_EQ(t.window, 65535);
  EXPECT_EQ(t.checksum, 0xabcd);
  EXPECT_EQ(t.header.size(), 32u);
  ASSERT_EQ(t.options.size(), 12u);
  EXPECT_EQ(t.options[6], 0x1e);
  EXPECT_EQ(t.payload.size(), 0u);
  EXPECT_EQ(t.payload_length, 0u);
  EXPECT_TRUE(t.payload_complete());
  EXPECT_FALSE(t.ip_fragment);
}

// Every cut of the frame before the end of the TCP header is an error, never a crash, and the
// reported offset lies within the bytes given (or right at their end).
TEST(Dissect, EveryPrefixOfAHeaderIsAnError) {
  const Bytes all(kEthernetIpv4MpCapableSyn);
  for (std::size_t n = 0; n < all.size(); ++n) {
    const auto r = Dissect(kLinkEthernet, all.first(n));
    ASSERT_FALSE(r.ok()) << "prefix " << n;
    EXPECT_LE(r.error().offset, n) << "prefix " << n;
  }
  // The cut layer is named.
  EXPECT_EQ(Dissect(kLinkEthernet, all.first(13)).error().code,
            DissectErrorCode::kTruncatedLinkHeader);
  EXPECT_EQ(Dissect(kLinkEthernet, all.first(20)).error().code,
            DissectErrorCode::kTruncatedIpv4Header);
  EXPECT_EQ(Dissect(kLinkEthernet, all.first(40)).error().code,
            DissectErrorCode::kTruncatedTcpHeader);
  EXPECT_EQ(Dissect(kLinkEthernet, all.first(60)).error().code,
            DissectErrorCode::kTruncatedTcpOptions);
  EXPECT_EQ(Dissect(kLinkEthernet, all.first(60)).error().reason, "tcp: option area cut short");
}

testing::TcpSpec DataSegment() {
  testing::TcpSpec s;
  s.flags = kTcpAck | kTcpPsh;
  s.ack = 77;
  s.options = {0x1e, 0x08, 0x20, 0x01, 0, 0, 0, 9};  // dss dack4=9
  s.payload = Buf(100, 0x5a);
  return s;
}

TEST(Dissect, SnaplenCutPayloadKeepsTheWireLength) {
  const Buf frame = testing::Ethernet(0x0800, testing::Ipv4({}, testing::Tcp(DataSegment())));
  const Bytes all(frame);
  // Header: 14 + 20 + 28 = 62 bytes; every cut inside the payload is still a segment.
  for (std::size_t n = 62; n <= frame.size(); ++n) {
    const TcpSegment t = AsTcp(Dissect(kLinkEthernet, all.first(n)));
    EXPECT_EQ(t.payload.size(), n - 62);
    EXPECT_EQ(t.payload_length, 100u);
    EXPECT_EQ(t.payload_complete(), n == frame.size());
    EXPECT_EQ(t.tcp_length(), 128u);
  }
}

TEST(Dissect, EthernetPaddingIsNotPayload) {
  testing::TcpSpec s;
  s.flags = kTcpAck;
  Buf frame = testing::Ethernet(0x0800, testing::Ipv4({}, testing::Tcp(s)));
  frame.resize(60, 0);  // minimum Ethernet frame: 6 bytes of padding
  const TcpSegment t = AsTcp(Dissect(kLinkEthernet, frame));
  EXPECT_EQ(t.payload.size(), 0u);
  EXPECT_EQ(t.payload_length, 0u);
}

TEST(Dissect, VlanAndQinQ) {
  const Buf ip = testing::Ipv4({}, testing::Tcp(DataSegment()));
  for (auto tags : {std::initializer_list<std::uint16_t>{0x8100},
                    std::initializer_list<std::uint16_t>{0x88a8, 0x8100},
                    std::initializer_list<std::uint16_t>{0x9100, 0x8100}}) {
    const Buf frame = testing::Ethernet(0x0800, ip, tags);
    const TcpSegment t = AsTcp(Dissect(kLinkEthernet, frame));
    EXPECT_EQ(t.ip_offset, 14 + 4 * tags.size());
    EXPECT_EQ(t.payload_length, 100u);
  }
  const Buf five = testing::Ethernet(0x0800, ip, {0x8100, 0x8100, 0x8100, 0x8100, 0x8100});
  EXPECT_EQ(Dissect(kLinkEthernet, five).error().code, DissectErrorCode::kTooManyVlanTags);
  const Buf tag_cut = testing::Ethernet(0x8100, {0x00});
  EXPECT_EQ(Dissect(kLinkEthernet, tag_cut).error().code, DissectErrorCode::kTruncatedVlanTag);
}

TEST(Dissect, EachLinkType) {
  const Buf v4 = testing::Ipv4({}, testing::Tcp(DataSegment()));
  const Buf v6 = testing::Ipv6({}, testing::Tcp(DataSegment()));
  struct Case {
    std::uint32_t linktype;
    Buf frame;
    std::size_t ip_offset;
    std::string src;
  };
  const Case cases[] = {
      {kLinkEthernet, testing::Ethernet(0x86dd, v6), 14, "2001:db8::1"},
      {kLinkLinuxSll, testing::Sll(0x0800, v4), 16, "198.51.100.1"},
      {kLinkLinuxSll, testing::Sll(0x86dd, v6), 16, "2001:db8::1"},
      {kLinkLinuxSll2, testing::Sll2(0x0800, v4), 20, "198.51.100.1"},
      {kLinkLinuxSll2, testing::Sll2(0x86dd, v6), 20, "2001:db8::1"},
      {kLinkRaw, v4, 0, "198.51.100.1"},
      {kLinkRaw, v6, 0, "2001:db8::1"},
      {kLinkRawBsd, v4, 0, "198.51.100.1"},
      {kLinkRawBsdOs, v6, 0, "2001:db8::1"},
      {kLinkIpv4, v4, 0, "198.51.100.1"},
      {kLinkIpv6, v6, 0, "2001:db8::1"},
      {kLinkNull, testing::Null(2, v4), 4, "198.51.100.1"},
      {kLinkNull, testing::Null(10, v6), 4, "2001:db8::1"},
      {kLinkNull, testing::Null(30, v6), 4, "2001:db8::1"},
      {kLinkLoop, Buf{0, 0, 0, 2} /* big-endian AF_INET */, 4, "198.51.100.1"},
  };
  for (const Case& c : cases) {
    Buf frame = c.frame;
    if (c.linktype == kLinkLoop) frame.insert(frame.end(), v4.begin(), v4.end());
    SCOPED_TRACE("linktype " + std::to_string(c.linktype) + " " + c.src);
    const TcpSegment t = AsTcp(Dissect(c.linktype, frame));
    EXPECT_EQ(t.ip_offset, c.ip_offset);
    EXPECT_EQ(Addr(t.src), c.src);
    EXPECT_EQ(t.sport, 43210);
    EXPECT_EQ(t.options.size(), 8u);
    EXPECT_EQ(t.payload_length, 100u);
    EXPECT_TRUE(t.payload_complete());
    // Truncation anywhere in the headers is an error for every link type.
    const std::size_t header_end = t.tcp_offset + t.header.size();
    for (std::size_t n = 0; n < header_end; ++n) {
      ASSERT_FALSE(Dissect(c.linktype, Bytes(frame).first(n)).ok()) << "prefix " << n;
    }
  }
}

TEST(Dissect, UnsupportedLinkTypeIsAnError) {
  const auto r = Dissect(105 /* 802.11 */, kEthernetIpv4MpCapableSyn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, DissectErrorCode::kUnsupportedLinkType);
  EXPECT_FALSE(IsSupportedLinkType(105));
  EXPECT_TRUE(IsSupportedLinkType(kLinkLinuxSll2));
}

TEST(Dissect, NotTcpIsAnOutcomeNotAnError) {
  const Buf arp = testing::Ethernet(0x0806, Buf(28, 0));
  auto r = Dissect(kLinkEthernet, arp);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<NotTcp>(*r).reason, NotTcpReason::kNotIp);

  testing::Ipv4Spec udp;
  udp.protocol = 17;
  r = Dissect(kLinkRaw, testing::Ipv4(udp, Buf(8, 0)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<NotTcp>(*r).reason, NotTcpReason::kOtherProtocol);
  EXPECT_EQ(std::get<NotTcp>(*r).protocol, 17);

  testing::Ipv6Spec icmp6;
  icmp6.next = 58;
  r = Dissect(kLinkRaw, testing::Ipv6(icmp6, Buf(8, 0)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<NotTcp>(*r).protocol, 58);

  testing::Ipv6Spec none;
  none.next = 59;
  r = Dissect(kLinkRaw, testing::Ipv6(none, {}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<NotTcp>(*r).reason, NotTcpReason::kNoNextHeader);
}

TEST(Dissect, Ipv4Fragments) {
  const Buf tcp = testing::Tcp(DataSegment());
  testing::Ipv4Spec first;
  first.frag = 0x2000;  // MF, offset 0: TCP header is here
  const TcpSegment t = AsTcp(Dissect(kLinkRaw, testing::Ipv4(first, tcp)));
  EXPECT_TRUE(t.ip_fragment);
  EXPECT_EQ(t.sport, 43210);

  testing::Ipv4Spec later;
  later.frag = 0x0010;  // offset 16 * 8
  const auto r = Dissect(kLinkRaw, testing::Ipv4(later, tcp));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<NotTcp>(*r).reason, NotTcpReason::kLaterFragment);
}

TEST(Dissect, Ipv4OptionsAndBadHeaders) {
  testing::Ipv4Spec with_options;
  with_options.options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL: IHL 6
  const TcpSegment t = AsTcp(Dissect(kLinkRaw, testing::Ipv4(with_options, testing::Tcp({}))));
  EXPECT_EQ(t.tcp_offset, 24u);

  Buf bad_ihl = testing::Ipv4({}, testing::Tcp({}));
  bad_ihl[0] = 0x44;
  EXPECT_EQ(Dissect(kLinkRaw, bad_ihl).error().code, DissectErrorCode::kBadIpv4HeaderLength);

  testing::Ipv4Spec short_total;
  short_total.total_length_override = 10;
  EXPECT_EQ(Dissect(kLinkRaw, testing::Ipv4(short_total, testing::Tcp({}))).error().code,
            DissectErrorCode::kIpv4TotalLengthTooSmall);

  Buf v5 = testing::Ipv4({}, testing::Tcp({}));
  v5[0] = 0x55;
  EXPECT_EQ(Dissect(kLinkRaw, v5).error().code, DissectErrorCode::kBadRawIpVersion);
  EXPECT_EQ(Dissect(kLinkIpv4, v5).error().code, DissectErrorCode::kBadIpv4Version);
  EXPECT_EQ(Dissect(kLinkIpv6, v5).error().code, DissectErrorCode::kBadIpv6Version);

  // TSO captures show total length 0: the captured bytes decide.
  testing::Ipv4Spec tso;
  tso.total_length_override = 0;
  const TcpSegment big = AsTcp(Dissect(kLinkRaw, testing::Ipv4(tso, testing::Tcp(DataSegment()))));
  EXPECT_EQ(big.payload_length, 100u);
}

TEST(Dissect, BadTcpDataOffset) {
  testing::TcpSpec low;
  low.data_offset_override = 4;
  auto r = Dissect(kLinkRaw, testing::Ipv4({}, testing::Tcp(low)));
  EXPECT_EQ(r.error().code, DissectErrorCode::kBadTcpDataOffset);
  EXPECT_EQ(r.error().offset, 32u);

  testing::TcpSpec high;
  high.data_offset_override = 15;  // 60 bytes, but the IP packet holds 20 bytes of TCP
  r = Dissect(kLinkRaw, testing::Ipv4({}, testing::Tcp(high)));
  EXPECT_EQ(r.error().code, DissectErrorCode::kTcpHeaderPastIpLength);
}

TEST(Dissect, Ipv6ExtensionHeaders) {
  testing::Ipv6Spec spec;
  spec.extensions = {{0, {1, 4, 0, 0, 0, 0}},  // hop-by-hop with a PadN
                     {43, {0, 0, 0, 0, 0, 0}},  // routing, segments left 0
                     {60, Buf(14, 0)},          // destination options, 16 bytes
                     {44, {0x00, 0x01, 0, 0, 0, 7}}};  // fragment: offset 0, M
  const Buf packet = testing::Ipv6(spec, testing::Tcp(DataSegment()));
  const TcpSegment t = AsTcp(Dissect(kLinkRaw, packet));
  EXPECT_EQ(t.tcp_offset, 40u + 8 + 8 + 16 + 8);
  EXPECT_EQ(t.payload_length, 100u);
  EXPECT_TRUE(t.ip_fragment);
  for (std::size_t n = 0; n < t.tcp_offset + t.header.size(); ++n) {
    ASSERT_FALSE(Dissect(kLinkRaw, Bytes(packet).first(n)).ok()) << "prefix " << n;
  }

  testing::Ipv6Spec later;
  later.extensions = {{44, {0x00, 0x08, 0, 0, 0, 7}}};  // offset 1 (8 bytes)
  const auto r = Dissect(kLinkRaw, testing::Ipv6(later, testing::Tcp({})));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<NotTcp>(*r).reason, NotTcpReason::kLaterFragment);
}

TEST(Dissect, Ipv6ExtensionPastPayloadAndTooMany) {
  testing::Ipv6Spec spec;
  spec.extensions = {{60, Buf(6, 0)}};
  Buf packet = testing::Ipv6(spec, testing::Tcp({}));
  packet[40 + 1] = 200;  // claims (200 + 1) * 8 bytes
  EXPECT_EQ(Dissect(kLinkRaw, packet).error().code, DissectErrorCode::kIpv6ExtensionPastPayload);

  testing::Ipv6Spec many;
  for (int i = 0; i < 17; ++i) many.extensions.push_back({60, Buf(6, 0)});
  EXPECT_EQ(Dissect(kLinkRaw, testing::Ipv6(many, testing::Tcp({}))).error().code,
            DissectErrorCode::kTooManyIpv6ExtensionHeaders);
}

TEST(AppendAddress, Ipv6CompressesZeros) {
  IpAddress a;
  a.version = 6;
  a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};
  EXPECT_EQ(Addr(a), "2001:db8::a");
  IpAddress b;
  b.bytes = {0, 10, 255, 1};
  EXPECT_EQ(Addr(b), "0.10.255.1");
}

// Arbitrary bytes on every link type never crash and never read past the frame (ASan checks).
TEST(Dissect, PseudoRandomBytesNeverCrash) {
  std::uint32_t state = 12345;
  const std::uint32_t links[] = {kLinkEthernet, kLinkLinuxSll, kLinkLinuxSll2, kLinkRaw,
                                 kLinkNull,     kLinkIpv4,     kLinkIpv6};
  Buf frame;
  for (int i = 0; i < 20000; ++i) {
    state = state * 1103515245 + 12345;
    frame.resize(state % 120);
    for (auto& b : frame) {
      state = state * 1103515245 + 12345;
      b = static_cast<std::uint8_t>(state >> 16);
    }
    if (frame.size() > 14 && i % 2) {  // steer half of them into IP
      frame[0] = (i % 4 == 1) ? 0x45 : 0x60;
    }
    (void)Dissect(links[i % 7], frame);
  }
}

}  // namespace
}  // namespace mpdrill::capture
