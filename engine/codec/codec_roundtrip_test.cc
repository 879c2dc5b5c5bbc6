// Encode(Decode(b)) == b for every accepted b, over generated inputs covering every subtype,
// every length 3..40, every byte-2 nibble and every byte-3 value; and Decode(Encode(o)) == o.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "engine/codec/codec_test_util.h"
#include "engine/codec/mptcp_codec.h"

namespace mpdrill::codec {
namespace {

using testing::ByteVec;
using testing::Hex;
using testing::MustDecode;
using testing::MustEncode;

TEST(RoundTripTest, EncodeOfDecodeIsIdentityOverGeneratedInputs) {
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::array<std::size_t, 16> accepted_per_subtype{};
  std::array<std::uint8_t, 64> out{};
  for (int subtype = 0; subtype < 16; ++subtype) {
    for (int length = 3; length <= 40; ++length) {
      for (int nibble = 0; nibble < 16; ++nibble) {
        for (int byte3 = 0; byte3 < 256; ++byte3) {
          ByteVec b(static_cast<std::size_t>(length));
          b[0] = 0x1e;
          b[1] = static_cast<std::uint8_t>(length);
          b[2] = static_cast<std::uint8_t>((subtype << 4) | nibble);
          for (int i = 3; i < length; ++i) {
            b[i] = static_cast<std::uint8_t>(i == 3 ? byte3 : (i * 37 + byte3 * 11 + nibble));
          }
          auto d = Decode(b);
          if (!d.ok()) {
            ++rejected;
            continue;
          }
          ++accepted;
          ++accepted_per_subtype[subtype];
          ASSERT_EQ(EncodedLength(d->option), b.size()) << Hex(b);
          auto n = Encode(d->option, out);
          ASSERT_TRUE(n.ok()) << Hex(b) << ": " << n.error().reason;
          ASSERT_EQ(ByteVec(out.begin(), out.begin() + *n), b) << Hex(b);
          if (length == 3) break;  // no byte 3 to vary
        }
      }
    }
  }
  for (int subtype = 0; subtype < 16; ++subtype) {
    EXPECT_GT(accepted_per_subtype[subtype], 0u) << "subtype " << subtype;
  }
  EXPECT_GT(accepted, 100000u);
  EXPECT_GT(rejected, 100000u);
}

TEST(RoundTripTest, DecodeOfEncodeIsIdentity) {
  Option options[] = {
      MpCapable{},
      MpCapable{1, 0x81, 0x1122334455667788ULL, std::nullopt, std::nullopt, std::nullopt},
      MpCapable{1, 0x01, 1, 2, std::nullopt, std::nullopt},
      MpCapable{1, 0xa1, 1, 2, 1000, std::nullopt},
      MpCapable{0, 0xff, 1, 2, 1000, 0xbeef},
      MpJoin{JoinForm::kSyn, true, 7, 0, 0xdeadbeef, 0x01020304},
      MpJoin{JoinForm::kSynAck, false, 255, 5, 0, 0x01020304, 0x0102030405060708ULL},
      MpJoin{JoinForm::kAck, false, 0, 0xabc, 0, 0, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}},
      Dss{},
      Dss{kDssFlagDataAck, 0, 0xffffffffu},
      Dss{kDssFlagDataAck | kDssFlagDataAck8, 0x7f, ~0ULL},
      Dss{kDssFlagMapping | kDssFlagDsn8 | kDssFlagDataFin, 0, 0, 1ULL << 63, 5, 0, 0x1234},
      Dss{kDssFlagMapping | kDssFlagDataAck, 3, 77, 88, 99, 1000, std::nullopt},
      AddAddr{false, 0, 9, false, {198, 51, 100, 7}, std::nullopt, 0x1122334455667788ULL},
      AddAddr{true, 7, 9, true, {0x20, 0x01, 0x0d, 0xb8, 1}, 443, std::nullopt},
      RemoveAddr{0, {{1, 2, 3}, 3}},
      RemoveAddr{0xf, {}},
      MpPrio{true, 0},
      MpPrio{false, 5},
      MpFail{0xfff, 123456789012345ULL},
      MpFastclose{1, 0xfedcba9876543210ULL},
      MpTcpRst{0xf, 255},
      Experimental{3, {{9, 8, 7}, 3}},
      UnknownSubtype{0xe, 1, {{0xff}, 1}},
  };
  for (const Option& o : options) {
    SCOPED_TRACE(SubtypeName(o));
    const ByteVec b = MustEncode(o);
    ASSERT_EQ(b.size(), EncodedLength(o));
    Decoded d = MustDecode(b);
    EXPECT_TRUE(d.option == o) << Hex(b);
  }
}

TEST(EncodeTest, LengthOverrideWritesTheChosenLengthByte) {
  // mp_prio backup=1 with a length byte of 4 (RFC 6824's MP_PRIO length).
  const ByteVec b = MustEncode(MpPrio{true, 0}, EncodeParams{4});
  EXPECT_EQ(b, (ByteVec{0x1e, 0x04, 0x51}));
  auto r = Decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, DecodeErrorCode::kLengthFieldPastEnd);
  // A DSS claiming 40 bytes while 8 are written.
  EXPECT_EQ(MustEncode(Dss{kDssFlagDataAck, 0, 1}, EncodeParams{40})[1], 40);
}

TEST(EncodeTest, RejectsSmallBuffersAndInconsistentFields) {
  std::array<std::uint8_t, 11> small{};
  auto r = Encode(MpFail{0, 1}, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EncodeErrorCode::kBufferTooSmall);

  std::array<std::uint8_t, 40> out{};
  MpCapable no_sender;
  no_sender.receiver_key = 1;
  EXPECT_EQ(Encode(no_sender, out).error().code, EncodeErrorCode::kInconsistentFields);
  MpCapable checksum_only;
  checksum_only.sender_key = 1;
  checksum_only.receiver_key = 2;
  checksum_only.checksum = 3;
  EXPECT_EQ(Encode(checksum_only, out).error().code, EncodeErrorCode::kInconsistentFields);
  Dss dss_cksum;
  dss_cksum.checksum = 1;
  EXPECT_EQ(Encode(dss_cksum, out).error().code, EncodeErrorCode::kInconsistentFields);
  EXPECT_EQ(Encode(Dss{0x20}, out).error().code, EncodeErrorCode::kInconsistentFields);
  EXPECT_EQ(Encode(MpCapable{16}, out).error().code, EncodeErrorCode::kInconsistentFields);
  EXPECT_EQ(Encode(MpTcpRst{0x10}, out).error().code, EncodeErrorCode::kInconsistentFields);
  EXPECT_EQ(Encode(UnknownSubtype{0xf}, out).error().code, EncodeErrorCode::kInconsistentFields);
  EXPECT_EQ(Encode(MpJoin{JoinForm::kAck, false, 0, 0x1000}, out).error().code,
            EncodeErrorCode::kInconsistentFields);
}

TEST(EncodeTest, FourByteFieldsCarryTheLow32Bits) {
  // RFC 8684 §3.3 (D4): dack4 of a 64-bit value writes its low 32 bits.
  const ByteVec b = MustEncode(Dss{kDssFlagDataAck, 0, 0x1234567800000009ULL});
  EXPECT_EQ(b, (ByteVec{0x1e, 0x08, 0x20, 0x01, 0, 0, 0, 9}));
}

}  // namespace
}  // namespace mpdrill::codec
