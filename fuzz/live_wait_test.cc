#include "fuzz/live_wait.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "engine/capture/dissect.h"
#include "engine/codec/mptcp_codec.h"

namespace mpdrill::fuzz {
namespace {

using capture::kTcpAck;
using capture::kTcpFin;
using capture::kTcpPsh;
using capture::kTcpRst;
using capture::kTcpSyn;

std::vector<std::uint8_t> Area(const codec::Option& o) {
  std::array<std::uint8_t, codec::kMaxTcpOptionSpace> buf{};
  auto n = codec::Encode(o, buf);
  EXPECT_TRUE(n);
  std::vector<std::uint8_t> area(buf.size() + 2, 1);  // NOPs before: the walker skips them
  std::copy(buf.begin(), buf.end(), area.begin() + 2);
  area.resize(2 + (n ? *n : 0));
  return area;
}

codec::Dss Data(bool data_fin) {
  codec::Dss d;
  d.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8 | codec::kDssFlagMapping |
            codec::kDssFlagDsn8 | (data_fin ? codec::kDssFlagDataFin : 0);
  d.data_level_length = 100;
  return d;
}

TEST(LiveWaitTest, AnsweredWithinTheWrite) {
  const std::vector<std::uint8_t> syn_options = {2, 4, 5, 120, 1, 3, 3, 7};
  EXPECT_FALSE(MayBeAnsweredLater(kTcpSyn, syn_options));
  codec::MpCapable mpc;
  mpc.sender_key = 1;
  mpc.receiver_key = 2;
  EXPECT_FALSE(MayBeAnsweredLater(kTcpAck, Area(mpc)));
  codec::MpJoin join;
  join.form = codec::JoinForm::kSyn;
  EXPECT_FALSE(MayBeAnsweredLater(kTcpSyn, Area(join)));
  EXPECT_FALSE(MayBeAnsweredLater(kTcpAck | kTcpPsh, Area(Data(false))));
  EXPECT_FALSE(MayBeAnsweredLater(kTcpAck, {}));
}

TEST(LiveWaitTest, PathManagerAndConnectionSignalsMayBeAnsweredByTheWorker) {
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, Area(Data(true))));  // DATA_FIN
  codec::AddAddr add;
  add.address = {192, 0, 2, 2};
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, Area(add)));
  codec::RemoveAddr remove;
  remove.address_ids.data[remove.address_ids.size++] = 1;
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, Area(remove)));
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, Area(codec::MpPrio{})));
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, Area(codec::MpFastclose{})));
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck | kTcpFin, {}));
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck | kTcpRst, {}));
  // Raw kind-30 bytes: too short for a subtype, an undefined subtype, a torn area.
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, std::vector<std::uint8_t>{30, 2}));
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, std::vector<std::uint8_t>{30, 4, 0x90, 0}));
  EXPECT_TRUE(MayBeAnsweredLater(kTcpAck, std::vector<std::uint8_t>{30, 40, 0x20}));
}

TEST(LiveWaitTest, ClassicRuleWaitsAfterEverything) {
  auto w = LiveWaitFromEnvironment("2000");
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->classic());
  EXPECT_EQ(w->AfterPacket(kTcpSyn, {}), std::chrono::microseconds(2000));
  EXPECT_EQ(w->AfterSyscall(), std::chrono::microseconds(2000));
  auto fast = LiveWaitFromEnvironment(nullptr);
  ASSERT_TRUE(fast);
  EXPECT_FALSE(fast->classic());
  EXPECT_EQ(fast->AfterPacket(kTcpSyn, {}), std::chrono::microseconds(0));
  EXPECT_EQ(fast->AfterPacket(kTcpRst, {}), kLiveSettle);
  EXPECT_EQ(fast->AfterSyscall(), kLiveSettle);
  EXPECT_FALSE(LiveWaitFromEnvironment("0")->classic());
}

TEST(LiveWaitTest, BadValuesAreErrorsNamingTheVariable) {
  for (const char* bad : {"", "2ms", "-1", "1000001", "99999999999999999999"}) {
    auto w = LiveWaitFromEnvironment(bad);
    ASSERT_FALSE(w) << bad;
    EXPECT_NE(w.error().find("MPDRILL_LIVE_FUZZ_QUIET_US"), std::string::npos);
    EXPECT_NE(w.error().find(std::string("'") + bad + "'"), std::string::npos);
  }
}

}  // namespace
}  // namespace mpdrill::fuzz
