#include "base/bytes.h"

#include <gtest/gtest.h>

#include <vector>

namespace mpdrill {
namespace {

TEST(ByteReaderTest, ReadsBigEndianAndAdvancesOnlyOnSuccess) {
  const std::vector<std::uint8_t> data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader r(data);
  std::uint16_t a = 0;
  ASSERT_TRUE(r.ReadU16(&a));
  EXPECT_EQ(a, 0x0102);
  std::uint64_t big = 0;
  EXPECT_FALSE(r.ReadU64(&big));  // 5 bytes left
  EXPECT_EQ(r.offset(), 2u);
  std::uint32_t b = 0;
  ASSERT_TRUE(r.ReadU32(&b));
  EXPECT_EQ(b, 0x03040506u);
  std::uint8_t c = 0;
  ASSERT_TRUE(r.ReadU8(&c));
  EXPECT_EQ(c, 0x07);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadU8(&c));
  EXPECT_FALSE(r.Skip(1));
}

TEST(ByteReaderTest, EveryPrefixFailsCleanly) {
  const std::vector<std::uint8_t> data = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33};
  for (std::size_t n = 0; n < data.size(); ++n) {
    ByteReader r(Bytes(data.data(), n));
    std::uint64_t v = 0;
    EXPECT_FALSE(r.ReadU64(&v)) << n;
    EXPECT_EQ(r.offset(), 0u);
  }
  ByteReader whole(data);
  std::uint64_t v = 0;
  ASSERT_TRUE(whole.ReadU64(&v));
  EXPECT_EQ(v, 0xdeadbeef00112233u);
  EXPECT_TRUE(whole.empty());
}

TEST(ByteWriterTest, WritesBigEndianAndRefusesOverflow) {
  std::array<std::uint8_t, 6> buf{};
  ByteWriter w(buf);
  ASSERT_TRUE(w.WriteU32(0xa1b2c3d4));
  EXPECT_FALSE(w.WriteU32(1));
  ASSERT_TRUE(w.WriteU16(0x0506));
  EXPECT_FALSE(w.WriteU8(1));
  EXPECT_EQ(w.size(), 6u);
  EXPECT_EQ(buf[0], 0xa1);
  EXPECT_EQ(buf[5], 0x06);
  ASSERT_TRUE(w.PatchU8(0, 0xff));
  EXPECT_EQ(buf[0], 0xff);
  EXPECT_FALSE(w.PatchU8(6, 0));
}

}  // namespace
}  // namespace mpdrill
