// Decoding well-formed options of every subtype and form. Each array is annotated with the
// script line (canonical ToScript form) it encodes.
#include <gtest/gtest.h>

#include "engine/codec/codec_test_util.h"
#include "engine/codec/mptcp_codec.h"

namespace mpdrill::codec {
namespace {

using testing::Ack;
using testing::ByteVec;
using testing::MustDecode;
using testing::MustDecodeAs;
using testing::Rst;
using testing::Syn;
using testing::SynAck;

// ---- MP_CAPABLE: five lengths.

TEST(DecodeMpCapableTest, SynNoKey) {
  // mpcapable v1 flags[flag_h] nokey
  const ByteVec b = {0x1e, 0x04, 0x01, 0x01};
  Decoded d = MustDecode(b, Syn());
  const auto& o = std::get<MpCapable>(d.option);
  EXPECT_EQ(o.version, 1);
  EXPECT_EQ(o.flags, kMpcFlagH);
  EXPECT_FALSE(o.sender_key);
  EXPECT_FALSE(o.receiver_key);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeMpCapableTest, SynAckSenderKey) {
  // mpcapable v1 flags[flag_h] key[skey=0x0123456789abcdef]
  const ByteVec b = {0x1e, 0x0c, 0x01, 0x01, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  Decoded d = MustDecode(b, SynAck());
  const auto& o = std::get<MpCapable>(d.option);
  EXPECT_EQ(o.sender_key, 0x0123456789abcdefULL);
  EXPECT_FALSE(o.receiver_key);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeMpCapableTest, ThirdAckBothKeys) {
  // mpcapable v1 flags[flag_a, flag_h] key[ckey=0x1111111111111111, skey=0x2222222222222222]
  const ByteVec b = {0x1e, 0x14, 0x01, 0x81, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                     0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};
  Decoded d = MustDecode(b, Ack());
  const auto& o = std::get<MpCapable>(d.option);
  EXPECT_EQ(o.flags, kMpcFlagA | kMpcFlagH);
  EXPECT_EQ(o.sender_key, 0x1111111111111111ULL);
  EXPECT_EQ(o.receiver_key, 0x2222222222222222ULL);
  EXPECT_FALSE(o.data_level_length);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeMpCapableTest, FirstDataWithLength) {
  // mpcapable v1 flags[flag_h] key[ckey=0x1111111111111111, skey=0x2222222222222222] mpcdatalen 2
  const ByteVec b = {0x1e, 0x16, 0x01, 0x01, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                     0x11, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x00, 0x02};
  Decoded d = MustDecode(b, Ack(2));
  const auto& o = std::get<MpCapable>(d.option);
  EXPECT_EQ(o.data_level_length, 2);
  EXPECT_FALSE(o.checksum);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeMpCapableTest, FirstDataWithChecksum) {
  // mpcapable v1 flags[flag_a, flag_h] key[ckey=0x1111111111111111, skey=0x2222222222222222] mpcdatalen 2 cksum=0xbeef
  const ByteVec b = {0x1e, 0x18, 0x01, 0x81, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                     0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x00, 0x02, 0xbe, 0xef};
  Decoded d = MustDecode(b, Ack(2));
  const auto& o = std::get<MpCapable>(d.option);
  EXPECT_EQ(o.data_level_length, 2);
  EXPECT_EQ(o.checksum, 0xbeef);
  EXPECT_TRUE(d.violations.empty());
}

// ---- MP_JOIN: three forms.

TEST(DecodeMpJoinTest, Syn) {
  // mp_join_syn backup=1 address_id=2 token=0x11223344 rand=0x55667788
  const ByteVec b = {0x1e, 0x0c, 0x11, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  Decoded d = MustDecode(b, Syn());
  const auto& o = std::get<MpJoin>(d.option);
  EXPECT_EQ(o.form, JoinForm::kSyn);
  EXPECT_TRUE(o.backup);
  EXPECT_EQ(o.address_id, 2);
  EXPECT_EQ(o.token, 0x11223344u);
  EXPECT_EQ(o.nonce, 0x55667788u);
  EXPECT_EQ(o.reserved, 0);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeMpJoinTest, SynAck) {
  // mp_join_syn_ack backup=0 address_id=5 sender_hmac=0x0102030405060708 rand=0xa1a2a3a4
  const ByteVec b = {0x1e, 0x10, 0x10, 0x05, 0x01, 0x02, 0x03, 0x04,
                     0x05, 0x06, 0x07, 0x08, 0xa1, 0xa2, 0xa3, 0xa4};
  Decoded d = MustDecode(b, SynAck());
  const auto& o = std::get<MpJoin>(d.option);
  EXPECT_EQ(o.form, JoinForm::kSynAck);
  EXPECT_FALSE(o.backup);
  EXPECT_EQ(o.address_id, 5);
  EXPECT_EQ(o.truncated_hmac, 0x0102030405060708ULL);
  EXPECT_EQ(o.nonce, 0xa1a2a3a4u);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeMpJoinTest, Ack) {
  // mp_join_ack sender_hmac=0x000102030405060708090a0b0c0d0e0f10111213
  ByteVec b = {0x1e, 0x18, 0x10, 0x00};
  for (std::uint8_t i = 0; i < 20; ++i) b.push_back(i);
  Decoded d = MustDecode(b, Ack());
  const auto& o = std::get<MpJoin>(d.option);
  EXPECT_EQ(o.form, JoinForm::kAck);
  for (std::uint8_t i = 0; i < 20; ++i) EXPECT_EQ(o.hmac[i], i);
  EXPECT_TRUE(d.violations.empty());
}

// ---- DSS: annotated examples, then every flag combination.

TEST(DecodeDssTest, DataAck32) {
  // dss dack4=1001 nocs
  const ByteVec b = {0x1e, 0x08, 0x20, 0x01, 0x00, 0x00, 0x03, 0xe9};
  const auto o = MustDecodeAs<Dss>(b, Ack());
  EXPECT_TRUE(o.has_data_ack());
  EXPECT_FALSE(o.data_ack_64());
  EXPECT_EQ(o.data_ack, 1001u);
  EXPECT_FALSE(o.has_mapping());
}

TEST(DecodeDssTest, DataAck64Mapping64) {
  // dss dack8=1001 dsn8=1 ssn=1 dll=1000 nocs
  const ByteVec b = {0x1e, 0x1a, 0x20, 0x0f, 0, 0, 0, 0, 0, 0, 0x03, 0xe9, 0, 0,
                     0,    0,    0,    0,    0, 1, 0, 0, 0, 1, 0x03, 0xe8};
  const auto o = MustDecodeAs<Dss>(b, Ack(1000));
  EXPECT_EQ(o.data_ack, 1001u);
  EXPECT_EQ(o.dsn, 1u);
  EXPECT_EQ(o.ssn, 1u);
  EXPECT_EQ(o.data_level_length, 1000);
  EXPECT_FALSE(o.checksum);
  EXPECT_FALSE(o.data_fin());
}

TEST(DecodeDssTest, DataFinOnly) {
  // dss dack4=1 dsn8=1 ssn=0 dll=1 nocs fin
  const ByteVec b = {0x1e, 0x16, 0x20, 0x1d, 0, 0, 0, 1, 0, 0, 0,
                     0,    0,    0,    0,    1, 0, 0, 0, 0, 0, 1};
  Decoded d = MustDecode(b, Ack(0));
  const auto& o = std::get<Dss>(d.option);
  EXPECT_TRUE(o.data_fin());
  EXPECT_EQ(o.dsn, 1u);
  EXPECT_EQ(o.data_level_length, 1);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeDssTest, Mapping32WithChecksum) {
  // dss dsn4=5 ssn=1 dll=100 cksum=0xabcd
  const ByteVec b = {0x1e, 0x10, 0x20, 0x04, 0, 0, 0, 5, 0, 0, 0, 1, 0, 100, 0xab, 0xcd};
  const auto o = MustDecodeAs<Dss>(b, Ack(100));
  EXPECT_FALSE(o.has_data_ack());
  EXPECT_EQ(o.dsn, 5u);
  EXPECT_EQ(o.checksum, 0xabcd);
}

TEST(DecodeDssTest, LargeValues64Bit) {
  // dss dack8=18446744073709551615 dsn8=9223372036854775808 ssn=4294967295 dll=65535 nocs
  const ByteVec b = {0x1e, 0x1a, 0x20, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80,
                     0,    0,    0,    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const auto o = MustDecodeAs<Dss>(b);
  EXPECT_EQ(o.data_ack, 0xffffffffffffffffULL);
  EXPECT_EQ(o.dsn, 0x8000000000000000ULL);
  EXPECT_EQ(o.ssn, 0xffffffffu);
  EXPECT_EQ(o.data_level_length, 0xffff);
}

// Builds a DSS independently of the codec: every field byte distinct so misplaced reads show.
ByteVec BuildDss(std::uint8_t flags, bool checksum) {
  ByteVec b = {0x1e, 0, 0x20, flags};
  auto put = [&b](int n, std::uint8_t seed) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(seed + i));
  };
  if (flags & 0x01) put((flags & 0x02) ? 8 : 4, 0x10);
  if (flags & 0x04) {
    put((flags & 0x08) ? 8 : 4, 0x20);
    put(4, 0x30);
    put(2, 0x40);
    if (checksum) put(2, 0x50);
  }
  b[1] = static_cast<std::uint8_t>(b.size());
  return b;
}

std::uint64_t Seq(int n, std::uint8_t seed) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(seed + i);
  return v;
}

TEST(DecodeDssTest, EveryFlagCombinationWithAndWithoutChecksum) {
  int decoded = 0;
  for (int flags = 0; flags < 32; ++flags) {
    for (bool checksum : {false, true}) {
      if (checksum && !(flags & 0x04)) continue;
      SCOPED_TRACE(testing::Hex(BuildDss(static_cast<std::uint8_t>(flags), checksum)));
      const ByteVec b = BuildDss(static_cast<std::uint8_t>(flags), checksum);
      const auto o = MustDecodeAs<Dss>(b);
      ++decoded;
      EXPECT_EQ(o.flags, flags);
      EXPECT_EQ(o.data_ack, (flags & 1) ? Seq((flags & 2) ? 8 : 4, 0x10) : 0);
      if (flags & 0x04) {
        EXPECT_EQ(o.dsn, Seq((flags & 8) ? 8 : 4, 0x20));
        EXPECT_EQ(o.ssn, Seq(4, 0x30));
        EXPECT_EQ(o.data_level_length, Seq(2, 0x40));
        EXPECT_EQ(o.checksum.has_value(), checksum);
        if (checksum) {
          EXPECT_EQ(*o.checksum, Seq(2, 0x50));
        }
      } else {
        EXPECT_EQ(o.dsn, 0u);
        EXPECT_FALSE(o.checksum);
      }
      EXPECT_EQ(EncodedLength(o), b.size());
      EXPECT_EQ(testing::MustEncode(o), b);
    }
  }
  EXPECT_EQ(decoded, 48);
}

// ---- ADD_ADDR: all eight lengths.

struct AddAddrCase {
  const char* script;
  ByteVec bytes;
  bool echo, ipv6, port, hmac;
};

const ByteVec kV4 = {198, 51, 100, 2};
const ByteVec kV6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
const ByteVec kPort = {0x1f, 0x90};  // 8080
const ByteVec kHmac = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};

ByteVec Cat(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(DecodeAddAddrTest, AllEightLengths) {
  const AddAddrCase cases[] = {
      // add_address address_id=1 addr[inet_addr("198.51.100.2")] addr_echo
      {"8", Cat({{0x1e, 8, 0x31, 1}, kV4}), true, false, false, false},
      // add_address address_id=1 addr[inet_addr("198.51.100.2")] port=8080 addr_echo
      {"10", Cat({{0x1e, 10, 0x31, 1}, kV4, kPort}), true, false, true, false},
      // add_address address_id=1 addr[inet_addr("198.51.100.2")] hmac=0x1122334455667788
      {"16", Cat({{0x1e, 16, 0x30, 1}, kV4, kHmac}), false, false, false, true},
      // add_address address_id=1 addr[inet_addr("198.51.100.2")] port=8080 hmac=0x1122334455667788
      {"18", Cat({{0x1e, 18, 0x30, 1}, kV4, kPort, kHmac}), false, false, true, true},
      // add_address address_id=1 addr[inet6_addr("2001:db8::2")] addr_echo
      {"20", Cat({{0x1e, 20, 0x31, 1}, kV6}), true, true, false, false},
      // add_address address_id=1 addr[inet6_addr("2001:db8::2")] port=8080 addr_echo
      {"22", Cat({{0x1e, 22, 0x31, 1}, kV6, kPort}), true, true, true, false},
      // add_address address_id=1 addr[inet6_addr("2001:db8::2")] hmac=0x1122334455667788
      {"28", Cat({{0x1e, 28, 0x30, 1}, kV6, kHmac}), false, true, false, true},
      // add_address address_id=1 addr[inet6_addr("2001:db8::2")] port=8080 hmac=0x1122334455667788
      {"30", Cat({{0x1e, 30, 0x30, 1}, kV6, kPort, kHmac}), false, true, true, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.script);
    Decoded d = MustDecode(c.bytes, Ack());
    const auto& o = std::get<AddAddr>(d.option);
    EXPECT_EQ(o.echo, c.echo);
    EXPECT_EQ(o.ipv6, c.ipv6);
    EXPECT_EQ(o.address_id, 1);
    const ByteVec& addr = c.ipv6 ? kV6 : kV4;
    EXPECT_TRUE(std::equal(addr.begin(), addr.end(), o.address.begin()));
    EXPECT_EQ(o.port.has_value(), c.port);
    if (c.port) {
      EXPECT_EQ(*o.port, 8080);
    }
    EXPECT_EQ(o.hmac.has_value(), c.hmac);
    if (c.hmac) {
      EXPECT_EQ(*o.hmac, 0x1122334455667788ULL);
    }
    EXPECT_TRUE(d.violations.empty());
  }
}

// ---- The short subtypes.

TEST(DecodeSmallTest, RemoveAddr) {
  // remove_address address_id=[1, 2]
  const ByteVec b = {0x1e, 0x05, 0x40, 0x01, 0x02};
  Decoded d = MustDecode(b);
  const auto& o = std::get<RemoveAddr>(d.option);
  ASSERT_EQ(o.address_ids.size, 2);
  EXPECT_EQ(o.address_ids.data[0], 1);
  EXPECT_EQ(o.address_ids.data[1], 2);
  EXPECT_TRUE(d.violations.empty());
}

TEST(DecodeSmallTest, MpPrio) {
  // mp_prio backup=1
  const ByteVec b = {0x1e, 0x03, 0x51};
  EXPECT_TRUE(MustDecodeAs<MpPrio>(b).backup);
  // mp_prio backup=0
  EXPECT_FALSE(MustDecodeAs<MpPrio>({0x1e, 0x03, 0x50}).backup);
}

TEST(DecodeSmallTest, MpFail) {
  // mp_fail dsn8=1000
  const ByteVec b = {0x1e, 0x0c, 0x60, 0x00, 0, 0, 0, 0, 0, 0, 0x03, 0xe8};
  EXPECT_EQ(MustDecodeAs<MpFail>(b).dsn, 1000u);
}

TEST(DecodeSmallTest, MpFastclose) {
  // mp_fastclose key=0x0102030405060708
  const ByteVec b = {0x1e, 0x0c, 0x70, 0x00, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(MustDecodeAs<MpFastclose>(b).receiver_key, 0x0102030405060708ULL);
}

TEST(DecodeSmallTest, MpTcpRst) {
  // mp_reset 1 flags[flag_t]
  const ByteVec b = {0x1e, 0x04, 0x81, 0x01};
  Decoded d = MustDecode(b, Rst());
  const auto& o = std::get<MpTcpRst>(d.option);
  EXPECT_TRUE(o.transient());
  EXPECT_EQ(o.reason, 1);
  EXPECT_TRUE(d.violations.empty());
  // mp_reset 6
  EXPECT_EQ(MustDecodeAs<MpTcpRst>({0x1e, 0x04, 0x80, 0x06}, Rst()).reason, 6);
  // mp_reset 200 (T3: unknown reasons are tolerated)
  EXPECT_TRUE(MustDecode({0x1e, 0x04, 0x80, 200}, Rst()).violations.empty());
}

TEST(DecodeSmallTest, ExperimentalKeptByteForByte) {
  // mptcp_raw=0x1e05f3aabb
  const ByteVec b = {0x1e, 0x05, 0xf3, 0xaa, 0xbb};
  Decoded d = MustDecode(b);
  const auto& o = std::get<Experimental>(d.option);
  EXPECT_EQ(o.nibble, 3);
  ASSERT_EQ(o.body.size, 2);
  EXPECT_EQ(o.body.data[0], 0xaa);
  EXPECT_TRUE(d.violations.empty());
  EXPECT_STREQ(SubtypeName(d.option), "experimental");
  EXPECT_EQ(SubtypeOf(d.option), 0xf);
}

TEST(DecodeSmallTest, UnknownSubtypeIsInformational) {
  // mptcp_raw=0x1e0490ff
  const ByteVec b = {0x1e, 0x04, 0x90, 0xff};
  Decoded d = MustDecode(b);
  const auto& o = std::get<UnknownSubtype>(d.option);
  EXPECT_EQ(o.subtype, 9);
  ASSERT_EQ(d.violations.size, 1);
  EXPECT_EQ(d.violations.items[0].rule, RuleId::kE1);
  EXPECT_EQ(d.violations.items[0].severity, Severity::kInfo);
  EXPECT_STREQ(SubtypeName(d.option), "unknown");
  EXPECT_EQ(SubtypeOf(d.option), 9);
}

TEST(SubtypeTest, NamesAndNibbles) {
  EXPECT_STREQ(SubtypeName(MpCapable{}), "mp_capable");
  EXPECT_STREQ(SubtypeName(MpJoin{}), "mp_join");
  EXPECT_STREQ(SubtypeName(Dss{}), "dss");
  EXPECT_STREQ(SubtypeName(AddAddr{}), "add_addr");
  EXPECT_STREQ(SubtypeName(RemoveAddr{}), "remove_addr");
  EXPECT_STREQ(SubtypeName(MpPrio{}), "mp_prio");
  EXPECT_STREQ(SubtypeName(MpFail{}), "mp_fail");
  EXPECT_STREQ(SubtypeName(MpFastclose{}), "mp_fastclose");
  EXPECT_STREQ(SubtypeName(MpTcpRst{}), "mp_tcprst");
  EXPECT_EQ(SubtypeOf(MpCapable{}), 0);
  EXPECT_EQ(SubtypeOf(MpJoin{}), 1);
  EXPECT_EQ(SubtypeOf(Dss{}), 2);
  EXPECT_EQ(SubtypeOf(AddAddr{}), 3);
  EXPECT_EQ(SubtypeOf(RemoveAddr{}), 4);
  EXPECT_EQ(SubtypeOf(MpPrio{}), 5);
  EXPECT_EQ(SubtypeOf(MpFail{}), 6);
  EXPECT_EQ(SubtypeOf(MpFastclose{}), 7);
  EXPECT_EQ(SubtypeOf(MpTcpRst{}), 8);
}

}  // namespace
}  // namespace mpdrill::codec
