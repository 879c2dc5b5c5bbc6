#include "engine/capture/tcp_checksum.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "engine/capture/test_frames.h"

namespace mpdrill::capture {
namespace {

using testing::Buf;

IpAddress V4(std::uint8_t last) {
  IpAddress a;
  a.bytes = {198, 51, 100, last};
  return a;
}

IpAddress V6(std::uint8_t last) {
  IpAddress a;
  a.version = 6;
  a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
  return a;
}

// 198.51.100.1:43210 > 198.51.100.2:8080 S 1000:1003(3) win 65535, payload "abc" (odd length:
// the last byte is padded with zero). Known answers from an independent summation (Python).
Buf Segment() {
  testing::TcpSpec spec;
  spec.payload = {'a', 'b', 'c'};
  return testing::Tcp(spec);
}

TEST(TcpChecksum, KnownAnswerIpv4) {
  const Buf s = Segment();
  EXPECT_EQ(TcpChecksum(V4(1), V4(2), s), 0xcacf);
}

TEST(TcpChecksum, KnownAnswerIpv6) {
  const Buf s = Segment();
  EXPECT_EQ(TcpChecksum(V6(1), V6(2), s), 0xc3c5);
}

// The checksum written into its field makes the whole verify to zero.
TEST(TcpChecksum, VerifiesToZeroWithItsChecksum) {
  for (const auto& [src, dst] : {std::pair{V4(1), V4(2)}, std::pair{V6(1), V6(2)}}) {
    Buf s = Segment();
    const std::uint16_t c = TcpChecksum(src, dst, s);
    s[16] = static_cast<std::uint8_t>(c >> 8);
    s[17] = static_cast<std::uint8_t>(c);
    EXPECT_EQ(TcpChecksum(src, dst, s), 0);
  }
}

// RFC 1624: the incremental update equals a full recomputation, for every byte value put into
// either half of a payload word (0x0000 and 0xffff included: eqn. 3 has no -0 problem).
TEST(TcpChecksum, IncrementalUpdateMatchesRecomputation) {
  for (std::size_t at : {std::size_t{20}, std::size_t{21}}) {  // high and low byte of a word
    for (int value = 0; value < 256; ++value) {
      Buf s = Segment();
      s[16] = s[17] = 0;
      const std::uint16_t before = TcpChecksum(V4(1), V4(2), s);
      const std::size_t word_at = at & ~std::size_t{1};
      const auto word = [&s, word_at] {
        return static_cast<std::uint16_t>((s[word_at] << 8) | s[word_at + 1]);
      };
      const std::uint16_t old_word = word();
      s[at] = static_cast<std::uint8_t>(value);
      EXPECT_EQ(UpdateChecksum(before, old_word, word()), TcpChecksum(V4(1), V4(2), s))
          << "byte " << at << " value " << value;
    }
  }
}

}  // namespace
}  // namespace mpdrill::capture
