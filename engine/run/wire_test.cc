#include "engine/run/wire.h"

#include "engine/capture/dissect.h"
#include "engine/run/live_packet.h"
#include "gtest/gtest.h"

namespace mpdrill::run {
namespace {

TEST(TcpFlagsTest, RoundTrip) {
  EXPECT_EQ(ParseTcpFlags("S."), capture::kTcpSyn | capture::kTcpAck);
  EXPECT_EQ(TcpFlagsToString(*ParseTcpFlags("FP.")), "FP.");
  EXPECT_EQ(ParseTcpFlags(""), 0);
  EXPECT_FALSE(ParseTcpFlags("Z").has_value());
}

// A packet built here dissects back (bounds-checked dissector) with every field and checksum
// as written, in both IP versions.
TEST(BuildTcpPacketTest, BuildsWhatTheDissectorReadsBack) {
  for (bool v6 : {false, true}) {
    WireTcp t;
    t.src = *ParseAddress(v6 ? "2001:db8::1" : "192.0.2.1", v6);
    t.dst = *ParseAddress(v6 ? "2001:db8::2" : "192.0.2.2", v6);
    t.sport = 40000;
    t.dport = 8080;
    t.seq = 1;
    t.ack = 0x01020304;
    t.flags = capture::kTcpAck | capture::kTcpPsh;
    t.window = 256;
    ASSERT_TRUE(AppendTcpOption(parser::OptNop{}, &t.options).ok());
    ASSERT_TRUE(AppendTcpOption(parser::OptNop{}, &t.options).ok());
    ASSERT_TRUE(AppendTcpOption(parser::OptTimestamp{700, 100}, &t.options).ok());
    t.payload_length = 100;
    auto bytes = BuildTcpPacket(t);
    ASSERT_TRUE(bytes.ok()) << bytes.error();
    auto live = ParseLive(*bytes, 0);
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(live->sport, 40000);
    EXPECT_EQ(live->ack, 0x01020304u);
    EXPECT_EQ(live->flags, t.flags);
    EXPECT_EQ(live->payload_length, 100u);
    const auto& opts = live->decoded_options.list;
    ASSERT_EQ(opts.size(), 3u);
    ASSERT_TRUE(opts[2].option.has_value());
    EXPECT_EQ(std::get<parser::OptTimestamp>(*opts[2].option), (parser::OptTimestamp{700, 100}));
    // The TCP checksum over the pseudo-header verifies to zero.
    std::uint32_t sum = 0;
    const std::size_t ip_len = v6 ? 40 : 20;
    for (std::size_t i = ip_len; i + 1 < bytes->size(); i += 2) sum += ((*bytes)[i] << 8) | (*bytes)[i + 1];
    for (std::size_t i = 0; i < (v6 ? 16u : 4u); i += 2) {
      sum += (t.src.bytes[i] << 8) | t.src.bytes[i + 1];
      sum += (t.dst.bytes[i] << 8) | t.dst.bytes[i + 1];
    }
    sum += 6 + static_cast<std::uint32_t>(bytes->size() - ip_len);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    EXPECT_EQ(sum, 0xffffu) << (v6 ? "v6" : "v4");
  }
}

TEST(BuildTcpPacketTest, RejectsTooManyOptionBytes) {
  WireTcp t;
  t.src = *ParseAddress("192.0.2.1", false);
  t.dst = *ParseAddress("192.0.2.2", false);
  t.options.assign(44, 1);
  EXPECT_FALSE(BuildTcpPacket(t).ok());
}

// The option bytes go on the wire exactly as given, crafted length fields included (an
// MP_CAPABLE whose length says 5 but carries 6 bytes, a kind-30 option of length 2 and no
// data, which libtins' TCP options cannot carry, then a lone kind byte at the end),
// padded with EOL to a 4-byte boundary; the IPv4 header checksum verifies and IP fields
// (TOS with ECN, TTL, IPv6 traffic class and flow label) are as written.
TEST(BuildTcpPacketTest, OptionBytesAndIpFieldsAsWritten) {
  const std::vector<std::uint8_t> opts = {1, 1, 30, 5, 0x01, 0x81, 0xaa, 0xbb, 2, 4, 0x05, 0xb4,
                                          30, 2, 30};
  for (bool v6 : {false, true}) {
    WireTcp t;
    t.src = *ParseAddress(v6 ? "2001:db8::1" : "192.0.2.1", v6);
    t.dst = *ParseAddress(v6 ? "2001:db8::2" : "192.0.2.2", v6);
    t.sport = 1;
    t.dport = 2;
    t.flags = capture::kTcpSyn;
    t.options = opts;
    t.ip.tos = 0x28;
    t.ip.ecn = parser::EcnMark::kEct0;
    t.ip.ttl = 7;
    t.ip.flowlabel = 0x12345;
    auto bytes = BuildTcpPacket(t);
    ASSERT_TRUE(bytes.ok()) << bytes.error();
    const std::size_t ip_len = v6 ? 40 : 20;
    ASSERT_EQ(bytes->size(), ip_len + 20 + 16);
    std::vector<std::uint8_t> want = opts;
    want.resize(16, 0);  // EOL padding
    EXPECT_EQ(std::vector<std::uint8_t>(bytes->begin() + ip_len + 20, bytes->end()), want);
    EXPECT_EQ((*bytes)[ip_len + 12] >> 4, 9);  // data offset: 36 bytes
    if (v6) {
      EXPECT_EQ((((*bytes)[0] & 0x0f) << 4) | ((*bytes)[1] >> 4), 0x2a);  // traffic class
      EXPECT_EQ((((*bytes)[1] & 0x0f) << 16) | ((*bytes)[2] << 8) | (*bytes)[3], 0x12345);
      EXPECT_EQ((*bytes)[7], 7);
    } else {
      EXPECT_EQ((*bytes)[1], 0x2a);
      EXPECT_EQ((*bytes)[8], 7);
      std::uint32_t sum = 0;
      for (std::size_t i = 0; i < 20; i += 2) sum += ((*bytes)[i] << 8) | (*bytes)[i + 1];
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      EXPECT_EQ(sum, 0xffffu);
    }
  }
}

TEST(OptionsTest, FastOpenAndSackEncode) {
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(AppendTcpOption(parser::OptFastOpen{false, "de4f234f0f433a55"}, &out).ok());
  EXPECT_EQ(out.size(), 10u);
  EXPECT_EQ(out[0], 34);
  const auto back = DecodeLiveOptions(out).list;
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(std::get<parser::OptFastOpen>(*back[0].option).cookie, "de4f234f0f433a55");
  EXPECT_FALSE(AppendTcpOption(parser::OptFastOpen{false, "xyz"}, &out).ok());
}

}  // namespace
}  // namespace mpdrill::run
