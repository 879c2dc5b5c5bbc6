// The flow table alone: sniffed packets parsed (their options decoded once), coalesced,
// matched and printed, without a runner or a kernel.
#include "engine/run/live_packet.h"

#include <gtest/gtest.h>

#include "engine/run/wire.h"
#include "parser/parser.h"

namespace mpdrill::run {
namespace {

constexpr std::uint32_t kKernelIsn = 5000;

// A script's single packet event.
parser::Packet PacketOf(const std::string& line) {
  auto script = parser::Parse(line + "\n", "t.pkt");
  EXPECT_TRUE(script.ok());
  return std::get<parser::Packet>(script->events.at(0).action);
}

class RunFlowTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(config_.Finalize().ok());
    table_.emplace(config_, 48000);
  }
  // The kernel's packet on the flow the script's SYN opened (or, with other ports, on one
  // the kernel opens itself).
  LivePacket Kernel(std::uint32_t seq, std::uint16_t flags, std::vector<std::uint8_t> options,
                    std::uint32_t payload = 0, std::uint16_t sport = 8080,
                    std::uint16_t dport = 48000) {
    WireTcp t;
    t.src = *ParseAddress("192.168.0.2", false);
    t.dst = *ParseAddress("192.0.2.1", false);
    t.sport = sport;
    t.dport = dport;
    t.seq = seq;
    t.ack = 1;
    t.flags = flags;
    t.window = 502;
    t.options = std::move(options);
    t.payload_length = payload;
    auto bytes = BuildTcpPacket(t);
    EXPECT_TRUE(bytes.ok());
    auto live = ParseLive(*bytes, 0);
    EXPECT_TRUE(live.has_value());
    return *live;
  }
  // `0 < S 0:0(0) win 1000` and the kernel's SYN/ACK matched: the flow and its ISNs known.
  void Handshake() {
    ASSERT_TRUE(table_->BuildInbound(PacketOf("0 < S 0:0(0) win 1000")).ok());
    auto m = table_->MatchOutbound(PacketOf("+0 > S. 0:0(0) ack 1 <...>"),
                                   Kernel(kKernelIsn, capture::kTcpSyn | capture::kTcpAck, {}));
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(m->empty()) << m->front();
  }

  RunConfig config_;
  std::optional<FlowTable> table_;
};

// nop, nop, TS val 7 ecr 9, DSS with a 4-byte DATA_ACK of 42, then an undecodable MPTCP option
// (a DSS of length 3) before the EOL padding.
const std::vector<std::uint8_t> kOptions = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9,
                                            30, 8, 0x20, 0x01, 0, 0, 0, 42, 30, 3, 0x20, 0};

TEST_F(RunFlowTableTest, ParseLiveDecodesEveryOptionOnce) {
  const LivePacket p = Kernel(kKernelIsn + 1, capture::kTcpAck, kOptions, 10);
  const std::vector<LiveOption>& list = p.decoded_options.list;
  ASSERT_EQ(list.size(), 6u);  // nop, nop, TS, DSS, bad DSS, EOL
  EXPECT_EQ(std::get<parser::OptTimestamp>(*list[2].option), (parser::OptTimestamp{7, 9}));
  ASSERT_TRUE(list[3].mptcp && list[3].mptcp_option);
  EXPECT_EQ(std::get<codec::Dss>(*list[3].mptcp_option).data_ack, 42u);
  ASSERT_TRUE(list[4].mptcp && list[4].mptcp_error);
  EXPECT_FALSE(list[4].mptcp_option);
  EXPECT_EQ(list[4].mptcp_error->code, codec::DecodeErrorCode::kDssLength);
  EXPECT_TRUE(p.decoded_options.stop.empty());
  EXPECT_EQ(p.decoded_options.Mptcp().size(), 1u);
}

TEST_F(RunFlowTableTest, KeepsWhyTheWalkStopped) {
  const LivePacket p = Kernel(kKernelIsn + 1, capture::kTcpAck, {1, 8, 20, 0});
  EXPECT_EQ(p.decoded_options.list.size(), 1u);
  EXPECT_FALSE(p.decoded_options.stop.empty());
}

// A coalesced packet carries its first segment's decode: printing and matching read it, not
// the option bytes again (cleared here to show it).
TEST_F(RunFlowTableTest, CoalescedSegmentsKeepTheFirstDecode) {
  Handshake();
  std::vector<LivePacket> segments = {
      Kernel(kKernelIsn + 1, capture::kTcpAck, kOptions, 1000),
      Kernel(kKernelIsn + 1001, capture::kTcpAck | capture::kTcpPsh, kOptions, 1000)};
  EXPECT_TRUE(table_->Continues({segments[0]}, segments[1]));
  const parser::Packet want = PacketOf("+0 > P. 1:2001(2000) ack 1 <...>");
  EXPECT_FALSE(table_->WantsMore(want, segments));
  LivePacket merged = Coalesce(segments);
  EXPECT_EQ(merged.payload_length, 2000u);
  const std::string printed = table_->FormatLive(merged);
  EXPECT_EQ(printed,
            "> P. 1:2001(2000) ack 1 win 502 <nop, nop, TS val 7 ecr 9, dss dack4=42 nocs, raw 0x1e0320, "
            "eol>");
  merged.options.clear();
  EXPECT_EQ(table_->FormatLive(merged), printed);
  auto m = table_->MatchOutbound(PacketOf("+0 > P. 1:2001(2000) ack 1 <nop, nop, TS val 7 ecr 0>"),
                                 merged);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0], "mptcp option: undecodable: raw 0x1e0320");
  EXPECT_EQ((*m)[2], "tcp option 4: expected: none actual: eol");
}

// Segments of different DSS mappings are not coalesced.
TEST_F(RunFlowTableTest, DoesNotContinueAcrossMappings) {
  Handshake();
  // DSS with a 4-byte DSN mapping: flags M, DSN, subflow seq, length, no checksum.
  const auto map = [](std::uint8_t dsn) {
    return std::vector<std::uint8_t>{30, 14, 0x20, 0x04, 0, 0, 0, dsn, 0, 0, 0, 1, 0x03, 0xe8, 1, 1};
  };
  const LivePacket a = Kernel(kKernelIsn + 1, capture::kTcpAck, map(1), 1000);
  const LivePacket b = Kernel(kKernelIsn + 1001, capture::kTcpAck, map(1), 1000);
  const LivePacket c = Kernel(kKernelIsn + 1001, capture::kTcpAck, map(9), 1000);
  EXPECT_TRUE(table_->Continues({a}, b));
  EXPECT_FALSE(table_->Continues({a}, c));
}

TEST_F(RunFlowTableTest, NamesAPacketOfNoKnownConnection) {
  auto m = table_->MatchOutbound(PacketOf("0 > . 1:1(0) ack 1"),
                                 Kernel(kKernelIsn + 1, capture::kTcpAck, {}));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0],
            "tcp connection: expected: a known connection actual: 192.168.0.2:8080>192.0.2.1:48000");
}

// packetdrill follows the socket under test only: while the script waits for a packet of its
// new connection, the older one retransmitting the FIN the script already matched is not it.
// Another packet of the older connection is still taken, as before.
TEST_F(RunFlowTableTest, AnOlderConnectionsRetransmittedFinIsNotTheOneAwaited) {
  Handshake();
  const LivePacket fin = Kernel(kKernelIsn + 1, capture::kTcpFin | capture::kTcpAck, {});
  auto m = table_->MatchOutbound(PacketOf("+0 > F. 1:1(0) ack 1"), fin);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty()) << m->front();
  ASSERT_TRUE(table_->BuildInbound(PacketOf("+0 < S 0:0(0) win 1000")).ok());  // a new one
  const parser::Packet awaited = PacketOf("+0 > F. 1:1(0) ack 1");
  EXPECT_FALSE(table_->Expected(awaited, fin));
  EXPECT_TRUE(table_->Expected(awaited, Kernel(kKernelIsn + 1, capture::kTcpAck, {}, 10)));
}

// Simultaneous open: while the kernel's own SYN waits for an answer, a SYN the script names
// no connection for goes to that connection (packetdrill's socket under test), not to a new
// one of the listener's kind (google's fastopen/client/simultaneous-fast-open.pkt).
TEST_F(RunFlowTableTest, ASynCrossingTheKernelsSynGoesToItsConnection) {
  const LivePacket syn = Kernel(kKernelIsn, capture::kTcpSyn, {}, 0, 40000, 8080);
  auto m = table_->MatchOutbound(PacketOf("0 > S 0:0(0) <...>"), syn);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty()) << m->front();
  auto in = table_->BuildInbound(PacketOf("+0 < S 1234:1234(0) win 1000"));
  ASSERT_TRUE(in.ok());
  auto crossing = ParseLive(*in, 0);
  ASSERT_TRUE(crossing.has_value());
  EXPECT_EQ(crossing->sport, 8080);
  EXPECT_EQ(crossing->dport, 40000);
  EXPECT_EQ(crossing->seq, 1234u);
}

}  // namespace
}  // namespace mpdrill::run
