#include "engine/codec/tcp_options.h"

#include <gtest/gtest.h>

#include <vector>

namespace mpdrill::codec {
namespace {

using ByteVec = std::vector<std::uint8_t>;

struct Walked {
  std::vector<std::pair<std::uint8_t, std::uint8_t>> kinds_offsets;
  std::optional<WalkStop> stop;
};

Walked Walk(const ByteVec& area) {
  Walked w;
  TcpOptionWalker walker(area);
  for (int guard = 0; guard < 64; ++guard) {
    auto v = walker.Next();
    if (!v) break;
    w.kinds_offsets.emplace_back(v->kind, v->offset);
  }
  w.stop = walker.stop();
  return w;
}

using KO = std::vector<std::pair<std::uint8_t, std::uint8_t>>;

TEST(TcpOptionWalkerTest, MptcpAmongMssSackTimestamps) {
  // <mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7, mpcapable v1 flags[flag_h] nokey> (24 bytes)
  const ByteVec area = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
                        1, 3, 3, 7,       30, 4, 0x01, 0x01};
  TcpOptionWalker walker(area);
  auto mss = walker.Next();
  ASSERT_TRUE(mss);
  EXPECT_EQ(mss->kind, 2);
  EXPECT_EQ(mss->bytes.size(), 4u);
  Walked w = Walk(area);
  EXPECT_EQ(w.kinds_offsets, (KO{{2, 0}, {4, 4}, {8, 6}, {1, 16}, {3, 17}, {30, 20}}));
  EXPECT_FALSE(w.stop);
}

TEST(TcpOptionWalkerTest, EolStopsAndIsReported) {
  const ByteVec area = {1, 0, 2, 4, 5, 0xb4};
  Walked w = Walk(area);
  EXPECT_EQ(w.kinds_offsets, (KO{{1, 0}, {0, 1}}));
  EXPECT_FALSE(w.stop);
}

TEST(TcpOptionWalkerTest, NopRunsAreOneByteEach) {
  Walked w = Walk({1, 1, 1, 1, 30, 3, 0x51});
  EXPECT_EQ(w.kinds_offsets, (KO{{1, 0}, {1, 1}, {1, 2}, {1, 3}, {30, 4}}));
  EXPECT_FALSE(w.stop);
}

TEST(TcpOptionWalkerTest, EmptyAreaHasNoOptions) {
  Walked w = Walk({});
  EXPECT_TRUE(w.kinds_offsets.empty());
  EXPECT_FALSE(w.stop);
}

TEST(TcpOptionWalkerTest, LengthZeroAndOneStopAtTheLengthByte) {
  for (std::uint8_t len : {0, 1}) {
    Walked w = Walk({1, 1, 30, len, 0x20, 0});
    EXPECT_EQ(w.kinds_offsets, (KO{{1, 0}, {1, 1}}));
    ASSERT_TRUE(w.stop);
    EXPECT_EQ(w.stop->offset, 3);
    EXPECT_EQ(w.stop->reason, "tcp options: length byte is below 2");
  }
}

TEST(TcpOptionWalkerTest, LengthPastEndStops) {
  Walked w = Walk({2, 4, 5, 0xb4, 30, 20, 0x20, 0});
  EXPECT_EQ(w.kinds_offsets, (KO{{2, 0}}));
  ASSERT_TRUE(w.stop);
  EXPECT_EQ(w.stop->offset, 5);
  EXPECT_EQ(w.stop->reason, "tcp options: length runs past the option area");
}

TEST(TcpOptionWalkerTest, KindWithoutLengthByteStops) {
  Walked w = Walk({1, 30});
  EXPECT_EQ(w.kinds_offsets, (KO{{1, 0}}));
  ASSERT_TRUE(w.stop);
  EXPECT_EQ(w.stop->offset, 1);
}

TEST(TcpOptionWalkerTest, NextAfterStopStaysDone) {
  ByteVec area = {30, 1};
  TcpOptionWalker walker(area);
  EXPECT_FALSE(walker.Next());
  EXPECT_FALSE(walker.Next());
  ASSERT_TRUE(walker.stop());
}

TEST(TcpOptionWalkerTest, OptionExactlyFillingTheArea) {
  Walked w = Walk({30, 4, 0x01, 0x01});
  EXPECT_EQ(w.kinds_offsets, (KO{{30, 0}}));
  EXPECT_FALSE(w.stop);
}

}  // namespace
}  // namespace mpdrill::codec
