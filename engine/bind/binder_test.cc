// Binder tests: inbound options decoded back with the codec, outbound matching of options
// built with the codec encoder, crypto values against engine/crypto, mismatch messages.
#include "engine/bind/binder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/codec/mptcp_codec.h"
#include "engine/crypto/mptcp_crypto.h"
#include "parser/parser.h"

namespace mpdrill::bind {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr std::uint64_t kKernelKey = 0xfedcba9876543210ULL;

// The MPTCP options of `<opts>` on a throwaway packet line.
std::vector<parser::MptcpOption> Opts(const std::string& opts) {
  std::string script = "0 < . 1:1(0) ack 1 win 100 <" + opts + ">\n";
  auto parsed = parser::Parse(script);
  EXPECT_TRUE(parsed.ok()) << opts;
  std::vector<parser::MptcpOption> out;
  if (!parsed.ok()) return out;
  const auto& packet = std::get<parser::Packet>(parsed->events.at(0).action);
  for (const auto& o : std::get<parser::TcpSegment>(packet.body).options) {
    if (const auto* m = std::get_if<parser::MptcpOption>(&o)) out.push_back(*m);
  }
  return out;
}
parser::MptcpOption Opt(const std::string& text) {
  auto v = Opts(text);
  EXPECT_THAT(v, SizeIs(1)) << text;
  return v.empty() ? parser::MptcpOption{} : v[0];
}

model::Endpoint Ep(std::uint8_t last, std::uint16_t port) {
  model::Endpoint e;
  e.ip_version = 4;
  e.address = {192, 0, 2, last};
  e.port = port;
  return e;
}

PacketView View(parser::Direction dir, std::uint8_t flags, std::uint16_t mpdrill_port = 40000) {
  PacketView p;
  p.direction = dir;
  p.tcp_flags = flags;
  p.subflow.local = Ep(1, 8080);
  p.subflow.remote = Ep(2, mpdrill_port);
  return p;
}
constexpr auto kIn = parser::Direction::kInbound;
constexpr auto kOut = parser::Direction::kOutbound;
constexpr std::uint8_t kSyn = model::kTcpSyn;
constexpr std::uint8_t kSynAck = model::kTcpSyn | model::kTcpAck;
constexpr std::uint8_t kAck = model::kTcpAck;

codec::Option Decode(const std::vector<std::uint8_t>& bytes) {
  auto d = codec::Decode(bytes);
  EXPECT_TRUE(d.ok());
  return d.ok() ? d->option : codec::Option{};
}

std::vector<std::string> Strings(const std::vector<FieldMismatch>& v) {
  std::vector<std::string> out;
  for (const auto& m : v) out.push_back(m.ToString());
  return out;
}

// A kernel-server handshake: inbound SYN, outbound SYN/ACK with kKernelKey, inbound ACK with
// ckey=2. Leaves skey = kKernelKey, ckey = 2.
class ServerHandshake : public ::testing::Test {
 protected:
  void SetUp() override {
    auto syn = binder.BuildInbound(Opt("mpcapable v1 flags[flag_h] nokey"), View(kIn, kSyn));
    ASSERT_TRUE(syn.ok()) << syn.error().message;
    EXPECT_EQ(Decode(*syn), codec::Option(codec::MpCapable{.version = 1, .flags = 0x01}));

    codec::MpCapable synack{.version = 1, .flags = 0x01, .sender_key = kKernelKey};
    std::vector<codec::Option> actual{synack};
    auto r = binder.MatchOutbound(Opts("mpcapable v1 flags[flag_h] key[skey]"), actual,
                                  View(kOut, kSynAck), false);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_THAT(*r, IsEmpty());
    EXPECT_EQ(binder.KeyValue("skey"), kKernelKey);

    auto ack = binder.BuildInbound(Opt("mpcapable v1 flags[flag_h] key[ckey=2, skey]"),
                                   View(kIn, kAck));
    ASSERT_TRUE(ack.ok()) << ack.error().message;
    codec::MpCapable want{.version = 1, .flags = 0x01, .sender_key = 2,
                          .receiver_key = kKernelKey};
    EXPECT_EQ(Decode(*ack), codec::Option(want));
  }
  Binder binder{7};
};

TEST_F(ServerHandshake, InboundDssIsRelativeToMpdrillIdsnAndAckToKernelIdsn) {
  std::vector<std::uint8_t> payload(100, 0xab);
  PacketView p = View(kIn, kAck);
  p.payload = payload;
  p.relative_seq = 1;
  auto b = binder.BuildInbound(Opt("dss dack8=1 dsn8=1 ssn=1 dll=100 nocs"), p);
  ASSERT_TRUE(b.ok()) << b.error().message;
  const auto dss = std::get<codec::Dss>(Decode(*b));
  EXPECT_EQ(dss.data_ack, crypto::Idsn(kKernelKey) + 1);
  EXPECT_EQ(dss.dsn, crypto::Idsn(2) + 1);
  EXPECT_EQ(dss.ssn, 1u);
  EXPECT_EQ(dss.data_level_length, 100);
  EXPECT_FALSE(dss.checksum.has_value());
}

TEST_F(ServerHandshake, InboundDssFourByteFormsKeepTheLow32Bits) {
  auto b = binder.BuildInbound(Opt("dss dack4=5 dsn4=7 ssn=1 dll=1 nocs"), View(kIn, kAck));
  ASSERT_TRUE(b.ok()) << b.error().message;
  const auto dss = std::get<codec::Dss>(Decode(*b));
  EXPECT_FALSE(dss.data_ack_64());
  EXPECT_FALSE(dss.dsn_64());
  EXPECT_EQ(dss.data_ack, (crypto::Idsn(kKernelKey) + 5) & 0xffffffffu);
  EXPECT_EQ(dss.dsn, (crypto::Idsn(2) + 7) & 0xffffffffu);
}

TEST_F(ServerHandshake, InboundOmittedFieldsFollowTheData) {
  std::vector<std::uint8_t> payload(10, 1);
  PacketView p = View(kIn, kAck);
  p.payload = payload;
  p.relative_seq = 1;
  auto first = binder.BuildInbound(Opt("dss dack8 dsn8 nocs"), p);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto d1 = std::get<codec::Dss>(Decode(*first));
  EXPECT_EQ(d1.dsn, crypto::Idsn(2) + 1);
  EXPECT_EQ(d1.data_level_length, 10);
  EXPECT_EQ(d1.ssn, 1u);
  EXPECT_EQ(d1.data_ack, crypto::Idsn(kKernelKey) + 1);
  p.relative_seq = 11;
  auto second = binder.BuildInbound(Opt("dss dack8 dsn8 nocs"), p);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(std::get<codec::Dss>(Decode(*second)).dsn, crypto::Idsn(2) + 11);
}

TEST_F(ServerHandshake, OutboundDssMismatchNamesSubtypeAndFieldRelatively) {
  codec::Dss a;
  a.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8 | codec::kDssFlagMapping |
            codec::kDssFlagDsn8;
  a.data_ack = crypto::Idsn(2) + 1;
  a.dsn = crypto::Idsn(kKernelKey) + 9001;
  a.ssn = 1;
  a.data_level_length = 1000;
  std::vector<codec::Option> actual{a};
  auto r = binder.MatchOutbound(Opts("dss dack8=1 dsn8=1 ssn=1 dll=1000 nocs"), actual,
                                View(kOut, kAck), false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_THAT(Strings(*r), ElementsAre("dss.dsn: expected: 1 actual: 9001"));
}

TEST_F(ServerHandshake, OutboundPureAckIgnoresDllWithoutDsn) {
  codec::Dss a;
  a.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8;
  a.data_ack = crypto::Idsn(2) + 3;
  std::vector<codec::Option> actual{a};
  auto r = binder.MatchOutbound(Opts("dss dack8=3 dll=0 nocs"), actual, View(kOut, kAck), false);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r, IsEmpty());
  // The width is part of the shape.
  auto r4 = binder.MatchOutbound(Opts("dss dack4=3 nocs"), actual, View(kOut, kAck), false);
  ASSERT_TRUE(r4.ok());
  EXPECT_THAT(Strings(*r4), ElementsAre("dss.dack: expected: dack4 actual: dack8"));
  // A bare dack8 is a don't-care value.
  auto any = binder.MatchOutbound(Opts("dss dack8 nocs"), actual, View(kOut, kAck), false);
  ASSERT_TRUE(any.ok());
  EXPECT_THAT(*any, IsEmpty());
}

TEST_F(ServerHandshake, OutboundMissingAndExtraOptions) {
  codec::MpPrio prio{.backup = true};
  std::vector<codec::Option> actual{prio};
  auto r = binder.MatchOutbound(Opts("dss dack8=3 nocs"), actual, View(kOut, kAck), false);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(*r, SizeIs(2));
  EXPECT_EQ((*r)[0].field, "dss");
  EXPECT_EQ((*r)[0].actual, "absent");
  EXPECT_EQ((*r)[1].field, "mp_prio");
  EXPECT_EQ((*r)[1].expected, "absent");
}

TEST_F(ServerHandshake, OrderInsensitiveUnlessStrict) {
  codec::Dss d;
  d.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8;
  d.data_ack = crypto::Idsn(2) + 1;
  codec::MpPrio prio{.backup = true};
  std::vector<codec::Option> actual{d, prio};
  auto expected = Opts("mp_prio backup=1, dss dack8=1 nocs");
  auto loose = binder.MatchOutbound(expected, actual, View(kOut, kAck), false);
  ASSERT_TRUE(loose.ok());
  EXPECT_THAT(*loose, IsEmpty());
  auto strict = binder.MatchOutbound(expected, actual, View(kOut, kAck), true);
  ASSERT_TRUE(strict.ok());
  EXPECT_THAT(*strict, SizeIs(2));
}

TEST_F(ServerHandshake, JoinInitiatedByMpdrill) {
  PacketView p = View(kIn, kSyn, 40001);
  auto syn = binder.BuildInbound(Opt("mp_join_syn backup=1 address_id=1 token=sha256_32(skey)"), p);
  ASSERT_TRUE(syn.ok()) << syn.error().message;
  auto js = std::get<codec::MpJoin>(Decode(*syn));
  EXPECT_EQ(js.token, crypto::Token(kKernelKey));
  EXPECT_TRUE(js.backup);
  EXPECT_EQ(js.address_id, 1);
  std::uint32_t mpdrill_nonce = js.nonce;

  // The kernel's SYN/ACK: HMAC(K_kernel‖K_mpdrill, R_kernel‖R_mpdrill), leftmost 64 bits.
  std::uint32_t kernel_nonce = 0x11223344;
  codec::MpJoin sa;
  sa.form = codec::JoinForm::kSynAck;
  sa.backup = true;
  sa.address_id = 0;
  sa.nonce = kernel_nonce;
  sa.truncated_hmac = crypto::JoinSynAckHmac(kKernelKey, 2, kernel_nonce, mpdrill_nonce);
  std::vector<codec::Option> actual{sa};
  auto expected = Opts("mp_join_syn_ack backup=1 sender_hmac=auto");
  auto r = binder.MatchOutbound(expected, actual, View(kOut, kSynAck, 40001), false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_THAT(*r, IsEmpty());

  sa.truncated_hmac ^= 1;
  actual = {sa};
  auto bad = binder.MatchOutbound(expected, actual, View(kOut, kSynAck, 40001), false);
  ASSERT_TRUE(bad.ok());
  ASSERT_THAT(*bad, SizeIs(1));
  EXPECT_EQ((*bad)[0].field, "mp_join.hmac");

  auto ack = binder.BuildInbound(Opt("mp_join_ack sender_hmac=auto"), View(kIn, kAck, 40001));
  ASSERT_TRUE(ack.ok()) << ack.error().message;
  EXPECT_EQ(std::get<codec::MpJoin>(Decode(*ack)).hmac,
            crypto::JoinAckHmac(2, kKernelKey, mpdrill_nonce, kernel_nonce));
}

TEST_F(ServerHandshake, AddAddrHmacAutoUsesMpdrillThenKernelKey) {
  auto b = binder.BuildInbound(
      Opt("add_address address_id=12 addr[ep=inet_addr(\"198.51.100.2\")] hmac=auto"),
      View(kIn, kAck));
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto a = std::get<codec::AddAddr>(Decode(*b));
  std::array<std::uint8_t, 4> addr{198, 51, 100, 2};
  EXPECT_EQ(a.address_id, 12);
  EXPECT_EQ(a.hmac, crypto::AddAddrHmac(2, kKernelKey, 12, addr, std::nullopt));
  // The kernel echoes it without HMAC; `ep` is bound now.
  codec::AddAddr echo = a;
  echo.echo = true;
  echo.hmac.reset();
  std::vector<codec::Option> actual{echo};
  auto r = binder.MatchOutbound(Opts("add_address address_id=12 addr[ep] addr_echo"), actual,
                                View(kOut, kAck), false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_THAT(*r, IsEmpty());
}

TEST_F(ServerHandshake, FastcloseCarriesTheKernelKey) {
  auto b = binder.BuildInbound(Opt("mp_fastclose"), View(kIn, kAck));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(std::get<codec::MpFastclose>(Decode(*b)).receiver_key, kKernelKey);
  auto named = binder.BuildInbound(Opt("mp_fastclose skey"), View(kIn, kAck));
  ASSERT_TRUE(named.ok()) << named.error().message;
  EXPECT_EQ(std::get<codec::MpFastclose>(Decode(*named)).receiver_key, kKernelKey);
}

// RFC 8684 §3.7: MP_FAIL names the failed mapping, which the receiver of MP_FAIL sent.
TEST_F(ServerHandshake, MpFailDsnIsRelativeToTheReceiversIdsn) {
  auto b = binder.BuildInbound(Opt("mp_fail dsn8=5"), View(kIn, kAck));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(std::get<codec::MpFail>(Decode(*b)).dsn, crypto::Idsn(kKernelKey) + 5);
  codec::MpFail f{.dsn = crypto::Idsn(2) + 9};
  std::vector<codec::Option> actual{f};
  auto r = binder.MatchOutbound(Opts("mp_fail dsn8=5"), actual, View(kOut, kAck), false);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Strings(*r), ElementsAre("mp_fail.dsn: expected: 5 actual: 9"));
}

TEST(Binder, TokenOfAForcedKeyMatchesTheCryptoKat) {
  Binder binder(1);
  ASSERT_TRUE(binder.BuildInbound(Opt("mpcapable v1 flags[flag_h] nokey"), View(kIn, kSyn)).ok());
  codec::MpCapable synack{.version = 1, .flags = 0x01, .sender_key = 0x0123456789abcdefULL};
  std::vector<codec::Option> actual{synack};
  auto r = binder.MatchOutbound(Opts("mpcapable v1 flags[flag_h] key[skey=0x0123456789abcdef]"),
                                actual, View(kOut, kSynAck), false);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r, IsEmpty());
  auto syn = binder.BuildInbound(Opt("mp_join_syn token=sha256_32(skey)"), View(kIn, kSyn, 9));
  ASSERT_TRUE(syn.ok()) << syn.error().message;
  EXPECT_EQ(std::get<codec::MpJoin>(Decode(*syn)).token, 0x55c53f5du);
}

TEST(Binder, KernelKeyMustBeSeenBeforeInboundUse) {
  Binder binder(1);
  ASSERT_TRUE(binder.BuildInbound(Opt("mpcapable v1 flags[flag_h] nokey"), View(kIn, kSyn)).ok());
  auto r = binder.BuildInbound(Opt("mpcapable v1 flags[flag_h] key[ckey, skey]"), View(kIn, kAck));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, BindErrorCode::kUnboundVariable);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("skey"));
}

TEST(Binder, ForcedOutboundKeyIsCompared) {
  Binder binder(1);
  ASSERT_TRUE(binder.BuildInbound(Opt("mpcapable v1 flags[flag_h] nokey"), View(kIn, kSyn)).ok());
  codec::MpCapable synack{.version = 1, .flags = 0x01, .sender_key = 6};
  std::vector<codec::Option> actual{synack};
  auto r = binder.MatchOutbound(Opts("mpcapable v1 flags[flag_h] key[skey=5]"), actual,
                                View(kOut, kSynAck), false);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Strings(*r),
              ElementsAre("mp_capable.sender_key: expected: skey=0x0000000000000005 actual: "
                          "0x0000000000000006"));
}

TEST(Binder, ClientScriptGeneratesMpdrillKeyFromTheSeed) {
  auto run = [](std::uint64_t seed) {
    Binder binder(seed);
    codec::MpCapable syn{.version = 1, .flags = 0x01};
    std::vector<codec::Option> actual{syn};
    EXPECT_TRUE(binder
                    .MatchOutbound(Opts("mpcapable v1 flags[flag_h] nokey"), actual,
                                   View(kOut, kSyn), false)
                    .ok());
    auto b = binder.BuildInbound(Opt("mpcapable v1 flags[flag_h] key[skey]"), View(kIn, kSynAck));
    EXPECT_TRUE(b.ok());
    return std::get<codec::MpCapable>(Decode(*b)).sender_key.value_or(0);
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Binder, MpCapableWithDataCarriesTheDssChecksum) {
  Binder binder(1);
  ASSERT_TRUE(
      binder.BuildInbound(Opt("mpcapable v1 flags[flag_a, flag_h] nokey"), View(kIn, kSyn)).ok());
  codec::MpCapable synack{.version = 1, .flags = 0x81, .sender_key = kKernelKey};
  std::vector<codec::Option> actual{synack};
  ASSERT_TRUE(binder
                  .MatchOutbound(Opts("mpcapable v1 flags[flag_a, flag_h] key[skey]"), actual,
                                 View(kOut, kSynAck), false)
                  .ok());
  std::vector<std::uint8_t> payload{'h', 'i'};
  PacketView p = View(kIn, kAck | model::kTcpPsh);
  p.payload = payload;
  p.relative_seq = 1;
  auto b = binder.BuildInbound(
      Opt("mpcapable v1 flags[flag_a, flag_h] key[ckey=3, skey] mpcdatalen 2"), p);
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto m = std::get<codec::MpCapable>(Decode(*b));
  crypto::DssChecksum c(crypto::Idsn(3) + 1, 1, 2);
  c.Add(payload);
  EXPECT_EQ(m.checksum, c.Finish());
}

TEST(Binder, AddressVariablesFollowTheRoles) {
  Binder server(1);  // first SYN inbound: the kernel is the server
  auto c1 = server.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "caddr1"}, kIn,
                                   kSyn);
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->owner, Side::kMpdrill);
  EXPECT_EQ(c1->address, Ep(3, 0));
  auto s1 = server.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "saddr1"}, kIn,
                                   kAck);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->owner, Side::kKernel);
  EXPECT_EQ(s1->address, Ep(2, 0));

  Binder client(1);  // first SYN outbound: the kernel is the client
  auto s0 = client.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "saddr0"}, kOut,
                                   kSyn);
  ASSERT_TRUE(s0.ok());
  EXPECT_EQ(s0->owner, Side::kMpdrill);
  EXPECT_EQ(s0->address, Ep(2, 0));
  auto bad = client.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "nope"}, kOut,
                                    kAck);
  EXPECT_FALSE(bad.ok());
}

// The kernel's options in diagnostics read like the script: DATA_ACK relative to mpdrill's
// IDSN, DSN relative to the kernel's.
TEST_F(ServerHandshake, DescribeWritesKernelDssRelative) {
  codec::Dss d;
  d.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8 | codec::kDssFlagMapping |
            codec::kDssFlagDsn8;
  d.data_ack = crypto::Idsn(2) + 101;
  d.dsn = crypto::Idsn(kKernelKey) + 1;
  d.ssn = 1;
  d.data_level_length = 50;
  EXPECT_EQ(binder.Describe(d, View(kOut, kAck)), "dss dack8=101 dsn8=1 ssn=1 dll=50 nocs");
}

// An address name first seen in a kernel packet is bound to what that packet carries (the
// kernel picks its source address); later uses of the name give that address, inbound too.
TEST(Binder, AddressNamesFirstSeenOutboundAreBoundToTheLiveAddress) {
  Binder server(1);
  const parser::Endpoint s1{.kind = parser::Endpoint::Kind::kVar, .var = "saddr1"};
  ASSERT_TRUE(server.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "caddr0"},
                                     kIn, kSyn)
                  .ok());
  auto seen = server.ResolveEndpoint(s1, kOut, kAck, ResolvedAddress{Ep(1, 8080), Side::kKernel});
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->address, Ep(1, 0));  // not the default saddr1 = 192.0.2.2: the live one
  auto again = server.ResolveEndpoint(s1, kIn, kAck);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->address, Ep(1, 0));
  EXPECT_EQ(again->owner, Side::kKernel);
  // A bound name is not rebound by a later packet: the runner reports the difference.
  auto later = server.ResolveEndpoint(s1, kOut, kAck, ResolvedAddress{Ep(9, 8080), Side::kKernel});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->address, Ep(1, 0));
}

TEST(Binder, DefaultAddressesAreBoundOnFirstInboundUse) {
  Binder server(1);
  auto c1 = server.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "caddr1"}, kIn,
                                   kSyn);
  ASSERT_TRUE(c1.ok());
  ASSERT_TRUE(c1->index.has_value());
  // Bound now: an outbound packet does not rebind it to whatever it carries.
  auto out = server.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "caddr1"},
                                    kOut, kAck, ResolvedAddress{Ep(7, 0), Side::kMpdrill});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->address, c1->address);
}

// Upstream's close_before_accept.pkt: the server announces `addr[saddr0]` without any tuple
// before; the kernel announces its endpoint (local + 1), and saddr0 is bound to that.
TEST_F(ServerHandshake, OutboundAddAddrBindsAnUnboundName) {
  codec::AddAddr a;
  a.address_id = 1;
  a.address = Ep(5, 0).address;
  a.hmac = crypto::AddAddrHmac(kKernelKey, 2, 1, {a.address.data(), 4}, std::nullopt);
  std::vector<codec::Option> actual{a};
  auto r = binder.MatchOutbound(Opts("add_address address_id=1 addr[saddr0] hmac=auto"), actual,
                                View(kOut, kAck), false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->empty()) << (*r)[0].ToString();
  auto bound = binder.ResolveEndpoint({.kind = parser::Endpoint::Kind::kVar, .var = "saddr0"},
                                      kIn, kAck);
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(bound->address, Ep(5, 0));
}

// `mp_prio backup=1 address_id=1` is RFC 6824's MP_PRIO: length 4 with the address ID.
TEST_F(ServerHandshake, MpPrioWithAddressIdIsSentInTheV0Form) {
  auto b = binder.BuildInbound(Opt("mp_prio backup=1 address_id=1"), View(kIn, kAck));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*b, (std::vector<std::uint8_t>{30, 4, 0x51, 1}));
  auto v1 = binder.BuildInbound(Opt("mp_prio backup=1"), View(kIn, kAck));
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(*v1, (std::vector<std::uint8_t>{30, 3, 0x51}));
}

// `mp_fastclose ckey=42` sends 42 even though ckey is bound to another key: a wrong key on
// purpose (upstream's receive_fastclose_with_rst_v4.pkt).
TEST_F(ServerHandshake, FastcloseWithAValueSendsItAsWritten) {
  auto b = binder.BuildInbound(Opt("mp_fastclose ckey=42"), View(kIn, kAck));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(std::get<codec::MpFastclose>(Decode(*b)).receiver_key, 42u);
}

// A v0 MP_CAPABLE is put on the wire as written: the v1 kernel must fall back to TCP.
TEST(Binder, MpCapableV0IsBuiltAsWritten) {
  Binder binder(1);
  auto b = binder.BuildInbound(Opt("mpcapable v0 flags[flag_h] key[ckey=2]"), View(kIn, kSyn));
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto m = std::get<codec::MpCapable>(Decode(*b));
  EXPECT_EQ(m.version, 0);
  EXPECT_EQ(m.sender_key, 2u);
}

TEST(Binder, SameMappingComparesDssMappingsAndOtherOptions) {
  Binder binder(1);
  codec::Dss a;
  a.flags = codec::kDssFlagMapping | codec::kDssFlagDsn8;
  a.dsn = 100;
  a.ssn = 1;
  a.data_level_length = 2000;
  codec::Dss b = a;
  b.flags |= codec::kDssFlagDataAck;
  b.data_ack = 7;
  std::vector<codec::Option> oa{a}, ob{b};
  EXPECT_TRUE(binder.SameMapping(oa, ob));
  b.dsn = 1100;
  ob = {b};
  EXPECT_FALSE(binder.SameMapping(oa, ob));
  std::vector<codec::Option> none;
  EXPECT_TRUE(binder.SameMapping(none, none));
  EXPECT_FALSE(binder.SameMapping(oa, none));
}

TEST(Binder, RawOptionIsInjectedAndComparedByteForByte) {
  Binder binder(1);
  auto b = binder.BuildInbound(Opt("mptcp_raw=0x1e0420ff"), View(kIn, kAck));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*b, (std::vector<std::uint8_t>{0x1e, 0x04, 0x20, 0xff}));
}

}  // namespace
}  // namespace mpdrill::bind
