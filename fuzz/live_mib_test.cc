#include "fuzz/live_mib.h"

#include <gtest/gtest.h>

#include <array>

namespace mpdrill::fuzz {
namespace {

constexpr const char* kBefore =
    "TcpExt: SyncookiesSent\nTcpExt: 0\n"
    "MPTcpExt: MPCapableSYNRX MPJoinSynRx DSSNotMatching\nMPTcpExt: 4 0 1\n";
constexpr const char* kAfter =
    "TcpExt: SyncookiesSent\nTcpExt: 0\n"
    "MPTcpExt: MPCapableSYNRX MPJoinSynRx DSSNotMatching\nMPTcpExt: 5 300 1\n";

TEST(LiveMibTest, ParsesTheMptcpLines) {
  const MibCounters m = ParseMptcpMibs(kBefore);
  ASSERT_EQ(m.names.size(), 3u);
  EXPECT_EQ(m.names[1], "MPJoinSynRx");
  EXPECT_EQ(m.values, (std::vector<std::uint64_t>{4, 0, 1}));
  EXPECT_TRUE(ParseMptcpMibs("TcpExt: A\nTcpExt: 1\n").names.empty());
  EXPECT_TRUE(ParseMptcpMibs("MPTcpExt: A B\nMPTcpExt: 1\n").names.empty());  // torn
}

TEST(LiveMibTest, MovedCountersAreFeatures) {
  std::array<std::uint8_t, 2> counters{};
  std::vector<std::string> moved;
  EXPECT_EQ(MibFeatures(ParseMptcpMibs(kBefore), ParseMptcpMibs(kAfter), counters, &moved), 2u);
  EXPECT_EQ(moved, (std::vector<std::string>{"MPCapableSYNRX", "MPJoinSynRx"}));
  EXPECT_EQ(counters[0], 1);    // index 0: delta 1
  EXPECT_EQ(counters[1], 255);  // index 1: delta 300, capped
}

// The kernel this test runs on has MPTCP: its namespace's counters are readable.
TEST(LiveMibTest, ReadsThisNamespacesCounters) {
  const MibCounters m = ReadMptcpMibs();
  if (m.names.empty()) GTEST_SKIP() << "no MPTcpExt in /proc/net/netstat (kernel without MPTCP)";
  EXPECT_EQ(m.names.size(), m.values.size());
  EXPECT_EQ(m.names[0], "MPCapableSYNRX");
}

}  // namespace
}  // namespace mpdrill::fuzz
