// Hard errors (truncation at every prefix, wrong lengths) and soft violations (rule + offset).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engine/codec/codec_test_util.h"
#include "engine/codec/mptcp_codec.h"

namespace mpdrill::codec {
namespace {

using testing::Ack;
using testing::ByteVec;
using testing::Hex;
using testing::MustDecode;
using testing::Rst;
using testing::Syn;
using testing::SynAck;

// One valid option per subtype and form.
const std::vector<ByteVec>& ValidOptions() {
  static const std::vector<ByteVec> kValid = {
      {0x1e, 0x04, 0x01, 0x01},                                      // mpcapable nokey
      {0x1e, 0x0c, 0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8},               // mpcapable key[skey]
      {0x1e, 0x14, 0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1},
      {0x1e, 0x16, 0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9},
      {0x1e, 0x18, 0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 0xab, 0xcd},
      {0x1e, 0x0c, 0x11, 0x02, 1, 2, 3, 4, 5, 6, 7, 8},               // mp_join_syn
      {0x1e, 0x10, 0x10, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},  // mp_join_syn_ack
      {0x1e, 0x18, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
      {0x1e, 0x04, 0x20, 0x00},                                      // dss nocs
      {0x1e, 0x08, 0x20, 0x01, 0, 0, 3, 0xe9},                       // dss dack4=1001 nocs
      {0x1e, 0x14, 0x20, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 4, 0x12, 0x34},
      {0x1e, 0x1c, 0x20, 0x1f, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 0, 0},
      {0x1e, 0x08, 0x31, 0x01, 198, 51, 100, 2},                     // add_address echo
      {0x1e, 0x12, 0x30, 0x01, 198, 51, 100, 2, 0x1f, 0x90, 1, 2, 3, 4, 5, 6, 7, 8},
      {0x1e, 0x1e, 0x30, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
       0x1f, 0x90, 1, 2, 3, 4, 5, 6, 7, 8},
      {0x1e, 0x05, 0x40, 0x01, 0x02},                                // remove_address
      {0x1e, 0x03, 0x51},                                            // mp_prio backup=1
      {0x1e, 0x0c, 0x60, 0x00, 0, 0, 0, 0, 0, 0, 3, 0xe8},           // mp_fail
      {0x1e, 0x0c, 0x70, 0x00, 1, 2, 3, 4, 5, 6, 7, 8},               // mp_fastclose
      {0x1e, 0x04, 0x81, 0x01},                                      // mp_reset 1 flags[flag_t]
      {0x1e, 0x05, 0xf0, 0xaa, 0xbb},                                // experimental
      {0x1e, 0x03, 0xa0},                                            // unknown subtype 0xa
  };
  return kValid;
}

TEST(TruncationTest, EveryPrefixOfEveryValidOptionFailsWithTheExactCode) {
  for (const ByteVec& full : ValidOptions()) {
    ASSERT_TRUE(Decode(full).ok()) << Hex(full);
    for (std::size_t n = 0; n < full.size(); ++n) {
      const ByteVec prefix(full.begin(), full.begin() + n);
      SCOPED_TRACE(Hex(full) + " cut at " + std::to_string(n));
      auto r = Decode(prefix);
      ASSERT_FALSE(r.ok());
      if (n < 3) {
        EXPECT_EQ(r.error().code, DecodeErrorCode::kTruncatedHeader);
        EXPECT_EQ(r.error().offset, n);
      } else {
        EXPECT_EQ(r.error().code, DecodeErrorCode::kLengthFieldPastEnd);
        EXPECT_EQ(r.error().offset, 1);
      }
      EXPECT_EQ(r.error().rule, RuleId::kG7);
    }
    // One extra byte is a trailing byte, reported at the first byte past the length.
    ByteVec longer = full;
    longer.push_back(0);
    auto r = Decode(longer);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::kTrailingBytes);
    EXPECT_EQ(r.error().offset, full.size());
  }
}

struct ErrorCase {
  const char* name;
  ByteVec bytes;
  DecodeErrorCode code;
  RuleId rule;
  std::uint8_t offset;
};

TEST(HardErrorTest, MalformedOptionsYieldCodeRuleAndOffset) {
  const ErrorCase cases[] = {
      {"kind 2 (mss)", {0x02, 0x04, 0x05, 0xb4}, DecodeErrorCode::kNotMptcpKind, RuleId::kG7, 0},
      {"length 2", {0x1e, 0x02, 0x00}, DecodeErrorCode::kLengthFieldTooSmall, RuleId::kG7, 1},
      {"length 0", {0x1e, 0x00, 0x00}, DecodeErrorCode::kLengthFieldTooSmall, RuleId::kG7, 1},
      {"length 41", [] { ByteVec b(41, 0); b[0] = 0x1e; b[1] = 41; b[2] = 0xf0; return b; }(), DecodeErrorCode::kOptionTooLong, RuleId::kA7, 1},
      {"mp_capable 3", {0x1e, 0x03, 0x01}, DecodeErrorCode::kMpCapableLength, RuleId::kC1, 1},
      {"mp_capable 5", {0x1e, 0x05, 0x01, 0x01, 0}, DecodeErrorCode::kMpCapableLength, RuleId::kC1, 1},
      {"mp_capable 21", ByteVec{0x1e, 21, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
       DecodeErrorCode::kMpCapableLength, RuleId::kC1, 1},
      {"mp_join 13", ByteVec{0x1e, 13, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
       DecodeErrorCode::kMpJoinLength, RuleId::kJ1, 1},
      {"mp_join 3", {0x1e, 3, 0x10}, DecodeErrorCode::kMpJoinLength, RuleId::kJ1, 1},
      {"dss 3", {0x1e, 3, 0x20}, DecodeErrorCode::kDssLength, RuleId::kD1, 1},
      {"dss A flag with length 4", {0x1e, 4, 0x20, 0x01}, DecodeErrorCode::kDssLength, RuleId::kD1, 1},
      {"dss no flags length 6", {0x1e, 6, 0x20, 0x00, 0, 0}, DecodeErrorCode::kDssLength, RuleId::kD1, 1},
      {"dss checksum without M", {0x1e, 10, 0x20, 0x01, 0, 0, 0, 1, 0xab, 0xcd},
       DecodeErrorCode::kDssLength, RuleId::kD1, 1},
      {"dss a set, 8-byte ack given, A unset", {0x1e, 12, 0x20, 0x02, 0, 0, 0, 0, 0, 0, 0, 1},
       DecodeErrorCode::kDssLength, RuleId::kD1, 1},
      {"add_addr 12", ByteVec{0x1e, 12, 0x30, 1, 0, 0, 0, 0, 0, 0, 0, 0}, DecodeErrorCode::kAddAddrLength, RuleId::kA1, 1},
      {"add_addr 3", {0x1e, 3, 0x30}, DecodeErrorCode::kAddAddrLength, RuleId::kA1, 1},
      {"mp_prio 4 (RFC 6824 form)", {0x1e, 4, 0x51, 0x01}, DecodeErrorCode::kMpPrioLength, RuleId::kP1, 1},
      {"mp_fail 11", ByteVec{0x1e, 11, 0x60, 0, 0, 0, 0, 0, 0, 0, 0}, DecodeErrorCode::kMpFailLength, RuleId::kF1, 1},
      {"mp_fastclose 13", ByteVec{0x1e, 13, 0x70, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
       DecodeErrorCode::kMpFastcloseLength, RuleId::kX1, 1},
      {"mp_tcprst 3", {0x1e, 3, 0x80}, DecodeErrorCode::kMpTcpRstLength, RuleId::kT2, 1},
      {"mp_tcprst 5", {0x1e, 5, 0x80, 1, 0}, DecodeErrorCode::kMpTcpRstLength, RuleId::kT2, 1},
  };
  std::set<std::string_view> reasons;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Decode(c.bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(r.error().rule, c.rule);
    EXPECT_EQ(r.error().offset, c.offset);
    EXPECT_FALSE(r.error().reason.empty());
    reasons.insert(r.error().reason);
  }
  // Every failure point has its own sentence (cases sharing a point share it).
  EXPECT_EQ(reasons.size(), std::size(cases) - 9);
}

struct ViolationCase {
  const char* name;
  ByteVec bytes;
  SegmentInfo segment;
  RuleId rule;
  std::uint8_t offset;
  Severity severity = Severity::kViolation;
};

TEST(ViolationTest, EachCraftedOptionReportsExactlyItsRuleAndOffset) {
  const ByteVec kKeys = {1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1};
  auto mpc = [&kKeys](std::uint8_t len, std::uint8_t byte2, std::uint8_t flags) {
    ByteVec b = {0x1e, len, byte2, flags};
    for (std::size_t i = 4; i < len; ++i) b.push_back(kKeys[(i - 4) % kKeys.size()]);
    return b;
  };
  ByteVec join_ack = {0x1e, 24, 0x10, 0x00};
  join_ack.resize(24, 0xaa);
  ByteVec join_ack_reserved = join_ack;
  join_ack_reserved[3] = 0x01;
  const ViolationCase cases[] = {
      {"mpc 12 on SYN", mpc(12, 0x01, 0x01), Syn(), RuleId::kC1, 1},
      {"mpc 4 on SYN/ACK", mpc(4, 0x01, 0x01), SynAck(), RuleId::kC1, 1},
      {"mpc 12 on ACK", mpc(12, 0x01, 0x01), Ack(), RuleId::kC1, 1},
      {"mpc 22 on ACK without data", mpc(22, 0x01, 0x01), Ack(0), RuleId::kC1, 1},
      {"mpc 20 on ACK with data", mpc(20, 0x01, 0x01), Ack(100), RuleId::kC1, 1},
      {"mpc 20 on SYN without ack info", mpc(20, 0x01, 0x01), SegmentInfo{true}, RuleId::kC1, 1},
      {"mpc version 0", mpc(4, 0x00, 0x01), Syn(), RuleId::kC2, 2},
      {"mpc version 2", mpc(4, 0x02, 0x01), Syn(), RuleId::kC2, 2},
      {"mpc H unset", mpc(4, 0x01, 0x00), Syn(), RuleId::kC3, 3},
      {"mpc flag D set", mpc(4, 0x01, 0x11), Syn(), RuleId::kC3, 3},
      {"mp_join 16 on SYN", {0x1e, 16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Syn(), RuleId::kJ1, 1},
      {"mp_join 12 on SYN/ACK", {0x1e, 12, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0}, SynAck(), RuleId::kJ1, 1},
      {"mp_join 12 on ACK", {0x1e, 12, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Ack(), RuleId::kJ1, 1},
      {"mp_join 24 on SYN", join_ack, Syn(), RuleId::kJ1, 1},
      {"mp_join SYN reserved", {0x1e, 12, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Syn(), RuleId::kJ7, 2},
      {"mp_join ACK reserved", join_ack_reserved, Ack(), RuleId::kJ7, 2},
      {"dss m without M", {0x1e, 8, 0x20, 0x09, 0, 0, 0, 1}, Ack(), RuleId::kD11, 3},
      {"dss a without A", {0x1e, 4, 0x20, 0x02}, Ack(), RuleId::kD11, 3},
      {"dss reserved (byte 2)", {0x1e, 4, 0x28, 0x00}, Ack(), RuleId::kD1, 2},
      {"dss reserved (byte 3)", {0x1e, 4, 0x20, 0x20}, Ack(), RuleId::kD1, 2},
      {"dss infinite mapping", {0x1e, 14, 0x20, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, Ack(0),
       RuleId::kD6, 12, Severity::kInfo},
      {"dss DATA_FIN-only with SSN 5", {0x1e, 14, 0x20, 0x14, 0, 0, 0, 1, 0, 0, 0, 5, 0, 1}, Ack(0),
       RuleId::kD7, 8},
      {"dss DATA_FIN-only with dll 2", {0x1e, 14, 0x20, 0x14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2}, Ack(0),
       RuleId::kD7, 12},
      {"add_addr echo with hmac", {0x1e, 16, 0x31, 1, 198, 51, 100, 2, 1, 2, 3, 4, 5, 6, 7, 8}, Ack(),
       RuleId::kA5, 8},
      {"add_addr announcement without hmac", {0x1e, 8, 0x30, 1, 198, 51, 100, 2}, Ack(), RuleId::kA1, 1},
      {"add_addr reserved", {0x1e, 8, 0x33, 1, 198, 51, 100, 2}, Ack(), RuleId::kA1, 2},
      {"remove_addr no ids", {0x1e, 3, 0x40}, Ack(), RuleId::kR1, 1},
      {"remove_addr reserved", {0x1e, 4, 0x48, 1}, Ack(), RuleId::kR3, 2},
      {"mp_prio reserved", {0x1e, 3, 0x52}, Ack(), RuleId::kP1, 2},
      {"mp_fail reserved (byte 3)", {0x1e, 12, 0x60, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}, Ack(), RuleId::kF1, 2},
      {"mp_fastclose reserved", {0x1e, 12, 0x78, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}, Ack(), RuleId::kX1, 2},
      {"mp_tcprst on non-RST", {0x1e, 4, 0x80, 1}, Ack(), RuleId::kT1, 2},
      {"mp_tcprst U set", {0x1e, 4, 0x88, 1}, Rst(), RuleId::kT2, 2},
      {"mp_tcprst W set", {0x1e, 4, 0x82, 1}, Rst(), RuleId::kT2, 2},
      {"unknown subtype 0xe", {0x1e, 3, 0xe0}, Ack(), RuleId::kE1, 2, Severity::kInfo},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + ": " + Hex(c.bytes));
    Decoded d = MustDecode(c.bytes, c.segment);
    ASSERT_EQ(d.violations.size, 1);
    const Violation& v = d.violations.items[0];
    EXPECT_EQ(RuleName(v.rule), RuleName(c.rule));
    EXPECT_EQ(v.offset, c.offset);
    EXPECT_EQ(v.severity, c.severity);
    EXPECT_FALSE(v.reason.empty());
  }
}

TEST(ViolationTest, RoleRulesNeedTheRole) {
  // mpcapable v1 flags[flag_h] key[skey=...] on an unknown segment: C1 not checkable.
  EXPECT_TRUE(MustDecode({0x1e, 0x0c, 0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}).violations.empty());
  // mp_join_syn on an unknown segment.
  EXPECT_TRUE(MustDecode({0x1e, 12, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0}).violations.empty());
  // mp_reset 1 without knowing RST.
  EXPECT_TRUE(MustDecode({0x1e, 4, 0x80, 1}).violations.empty());
  // dss F with SSN 5 when the payload length is unknown: D7 not checkable.
  EXPECT_TRUE(MustDecode({0x1e, 14, 0x20, 0x14, 0, 0, 0, 1, 0, 0, 0, 5, 0, 1}).violations.empty());
  // mpc 22 on ACK with unknown payload: fine.
  ByteVec b = {0x1e, 22, 0x01, 0x01};
  b.resize(22, 7);
  EXPECT_TRUE(MustDecode(b, SegmentInfo{false, true}).violations.empty());
}

TEST(ViolationTest, SeveralViolationsOnOneOption) {
  // mpcapable v0 flags[flag_d] nokey on a SYN/ACK: C1, C2, C3 (H unset), C3 (D-G set).
  Decoded d = MustDecode({0x1e, 0x04, 0x00, 0x10}, SynAck());
  ASSERT_EQ(d.violations.size, 4);
  EXPECT_EQ(d.violations.items[0].rule, RuleId::kC1);
  EXPECT_EQ(d.violations.items[1].rule, RuleId::kC2);
  EXPECT_EQ(d.violations.items[2].rule, RuleId::kC3);
  EXPECT_EQ(d.violations.items[3].rule, RuleId::kC3);
  EXPECT_NE(d.violations.items[2].reason, d.violations.items[3].reason);
}

}  // namespace
}  // namespace mpdrill::codec
