// The codec harnesses' helpers: the segment byte, the contract checks and the structure-aware
// mutators (run here without libFuzzer: no byte-level fallback).
#include "fuzz/codec_mutator.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "engine/codec/tcp_options.h"

namespace mpdrill::fuzz {
namespace {

using ByteVec = std::vector<std::uint8_t>;
constexpr std::size_t kMaxSize = 64;
constexpr unsigned kRounds = 3000;

std::uint8_t AckFlags() { return kSegSynKnown | kSegAckKnown | kSegAck | kSegRstKnown | kSegPayloadKnown; }

// Mutates `seed_input` kRounds times (each round from the previous output, as libFuzzer
// chains mutations) and returns every output.
std::vector<ByteVec> Chain(const ByteVec& seed_input, codec::Subtype target) {
  std::vector<ByteVec> outs;
  ByteVec cur = seed_input;
  for (unsigned seed = 0; seed < kRounds; ++seed) {
    ByteVec buf = cur;
    buf.resize(kMaxSize);
    const std::size_t n = MutateOptionInput(buf.data(), cur.size(), kMaxSize, seed, target, nullptr);
    EXPECT_LE(n, kMaxSize);
    buf.resize(n);
    outs.push_back(buf);
    // Restart from the seed now and then, as a corpus would.
    cur = (seed % 16 == 0) ? seed_input : buf;
  }
  return outs;
}

TEST(SegmentFlagsTest, RoundTripsKnownSegments) {
  const codec::SegmentInfo syn{true, false, false, 0};
  EXPECT_EQ(FlagsFromSegment(syn), kSegSynKnown | kSegSyn | kSegAckKnown | kSegRstKnown | kSegPayloadKnown);
  const codec::SegmentInfo back = SegmentFromFlags(FlagsFromSegment(syn));
  EXPECT_EQ(back.syn, std::optional<bool>(true));
  EXPECT_EQ(back.ack, std::optional<bool>(false));
  EXPECT_EQ(back.rst, std::optional<bool>(false));
  EXPECT_EQ(back.payload_length, std::optional<std::uint32_t>(0));
  const codec::SegmentInfo data = SegmentFromFlags(FlagsFromSegment({false, true, false, 1400}));
  EXPECT_EQ(data.payload_length, std::optional<std::uint32_t>(kSegPayloadLength));
  const codec::SegmentInfo none = SegmentFromFlags(0);
  EXPECT_FALSE(none.syn || none.ack || none.rst || none.payload_length);
}

TEST(CheckOptionTest, AcceptsWellFormedAndRejectsMalformed) {
  // mpcapable v1 flags[flag_h] key[ckey=0x0102030405060708, skey=...] (third ACK)
  const ByteVec mpc = {30, 20, 0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1};
  auto o = CheckOption(mpc, SegmentFromFlags(AckFlags()));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(std::holds_alternative<codec::MpCapable>(*o));
  EXPECT_FALSE(CheckOption(ByteVec{30, 5, 0x01, 0x81, 0}, {}).has_value());  // C1 length
  EXPECT_FALSE(CheckOption(ByteVec{30}, {}).has_value());
  EXPECT_FALSE(CheckOption(ByteVec{}, {}).has_value());
}

TEST(MutateOptionInputTest, IsDeterministicPerSeed) {
  const ByteVec in = {AckFlags(), 30, 8, 0x20, 0x01, 0, 0, 3, 0xe9};
  for (unsigned seed : {0u, 1u, 77u, 123456u}) {
    ByteVec a = in, b = in;
    a.resize(kMaxSize), b.resize(kMaxSize);
    const auto na = MutateOptionInput(a.data(), in.size(), kMaxSize, seed, codec::Subtype::kDss, nullptr);
    const auto nb = MutateOptionInput(b.data(), in.size(), kMaxSize, seed, codec::Subtype::kDss, nullptr);
    ASSERT_EQ(na, nb);
    a.resize(na), b.resize(nb);
    EXPECT_EQ(a, b);
  }
}

TEST(MutateOptionInputTest, StartsFromNothing) {
  std::array<std::uint8_t, kMaxSize> buf{};
  const std::size_t n = MutateOptionInput(buf.data(), 0, kMaxSize, 5, codec::Subtype::kAddAddr, nullptr);
  EXPECT_GE(n, 2u);
  std::array<std::uint8_t, 1> tiny{};
  EXPECT_EQ(MutateOptionInput(tiny.data(), 0, 1, 5, codec::Subtype::kAddAddr, nullptr), 0u);
}

TEST(MutateOptionInputTest, MpCapableReachesEveryFormAndStaysOnTarget) {
  const ByteVec syn = {kSegSynKnown | kSegSyn | kSegAckKnown, 30, 4, 0x01, 0x81};
  std::set<std::size_t> lengths;
  std::size_t on_target = 0, malformed = 0;
  for (const ByteVec& out : Chain(syn, codec::Subtype::kMpCapable)) {
    ASSERT_GE(out.size(), 1u);
    const std::span<const std::uint8_t> option(out.data() + 1, out.size() - 1);
    auto o = CheckOption(option, SegmentFromFlags(out[0]));  // aborts on a broken contract
    if (!o) {
      ++malformed;
    } else if (std::holds_alternative<codec::MpCapable>(*o)) {
      ++on_target;
      lengths.insert(option.size());
    }
  }
  EXPECT_EQ(lengths, (std::set<std::size_t>{4, 12, 20, 22, 24}));
  EXPECT_GT(on_target, kRounds * 6 / 10) << "expected: most outputs stay MP_CAPABLE";
  EXPECT_GT(malformed, 0u) << "expected: some crafted malformed lengths";
}

TEST(MutateOptionInputTest, DssReachesEveryAckAndDsnWidth) {
  const ByteVec ack = {AckFlags(), 30, 8, 0x20, 0x01, 0, 0, 3, 0xe9};
  std::set<std::uint8_t> widths;  // flags & (A a M m)
  std::set<bool> checksums;
  for (const ByteVec& out : Chain(ack, codec::Subtype::kDss)) {
    auto o = CheckOption(std::span<const std::uint8_t>(out.data() + 1, out.size() - 1),
                         SegmentFromFlags(out[0]));
    if (!o || !std::holds_alternative<codec::Dss>(*o)) continue;
    const auto& d = std::get<codec::Dss>(*o);
    widths.insert(d.flags & 0x0f);
    if (d.has_mapping()) checksums.insert(d.checksum.has_value());
  }
  for (std::uint8_t f : {0x01, 0x03, 0x04, 0x0c, 0x05, 0x0f}) {
    EXPECT_TRUE(widths.count(f)) << "expected: flags 0x" << std::hex << int{f} << " actual: never";
  }
  EXPECT_EQ(checksums, (std::set<bool>{false, true}));
}

TEST(MutateOptionInputTest, AddAddrReachesAllEightLengths) {
  const ByteVec v4 = {AckFlags(), 30, 8, 0x31, 1, 198, 51, 100, 2};
  std::set<std::size_t> lengths;
  for (const ByteVec& out : Chain(v4, codec::Subtype::kAddAddr)) {
    auto o = CheckOption(std::span<const std::uint8_t>(out.data() + 1, out.size() - 1),
                         SegmentFromFlags(out[0]));
    if (o && std::holds_alternative<codec::AddAddr>(*o)) lengths.insert(out.size() - 1);
  }
  EXPECT_EQ(lengths, (std::set<std::size_t>{8, 10, 16, 18, 20, 22, 28, 30}));
}

TEST(MutateOptionAreaTest, KeepsAreasWithinFortyBytesAndMixesKinds) {
  // NOP NOP timestamps, then a DSS data ACK.
  const ByteVec seed = {AckFlags(), 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 8, 0x20, 0x01, 0, 0, 3, 0xe9};
  std::set<std::uint8_t> kinds;
  std::size_t with_mptcp = 0;
  ByteVec cur = seed;
  for (unsigned s = 0; s < kRounds; ++s) {
    ByteVec buf = cur;
    buf.resize(kMaxSize);
    const std::size_t n = MutateOptionArea(buf.data(), cur.size(), kMaxSize, s, nullptr);
    ASSERT_GE(n, 2u);
    ASSERT_LE(n, 1 + codec::kMaxTcpOptionSpace);
    buf.resize(n);
    codec::TcpOptionWalker walker(std::span<const std::uint8_t>(buf.data() + 1, n - 1));
    bool mptcp = false;
    for (int i = 0; i < 41; ++i) {
      auto v = walker.Next();
      if (!v) break;
      kinds.insert(v->kind);
      if (v->kind == codec::kMptcpOptionKind) {
        mptcp = true;
        CheckOption(v->bytes, SegmentFromFlags(buf[0]));
      }
    }
    with_mptcp += mptcp;
    cur = (s % 16 == 0) ? seed : buf;
  }
  EXPECT_GT(with_mptcp, kRounds / 2);
  for (std::uint8_t k : {0, 1, 2, 3, 4, 8, 30}) EXPECT_TRUE(kinds.count(k)) << "kind " << int{k};
}

}  // namespace
}  // namespace mpdrill::fuzz
