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
    const auto opts = DecodeLiveOptions(live->options);
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

TEST(OptionsTest, FastOpenAndSackEncode) {
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(AppendTcpOption(parser::OptFastOpen{false, "de4f234f0f433a55"}, &out).ok());
  EXPECT_EQ(out.size(), 10u);
  EXPECT_EQ(out[0], 34);
  const auto back = DecodeLiveOptions(out);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(std::get<parser::OptFastOpen>(*back[0].option).cookie, "de4f234f0f433a55");
  EXPECT_FALSE(AppendTcpOption(parser::OptFastOpen{false, "xyz"}, &out).ok());
}

}  // namespace
}  // namespace mpdrill::run
