// MPTCP option syntax: multipath-tcp/packetdrill's forms and mpdrill's canonical forms.
#include <string>

#include <gtest/gtest.h>

#include "parser/parser.h"
#include "parser/printer.h"
#include "parser/test_util.h"

namespace mpdrill::parser {
namespace {

using testing::OneEvent;
using testing::ParseErrors;

// Parses `<option>` on an inbound ACK and returns the MPTCP option.
MptcpOption Opt(const std::string& option) {
  const Event e = OneEvent("+0 < . 1:1(0) ack 1 win 100 <" + option + ">");
  const auto* p = std::get_if<Packet>(&e.action);
  if (p == nullptr) return {};
  const auto& opts = std::get<TcpSegment>(p->body).options;
  EXPECT_EQ(opts.size(), 1u);
  if (opts.empty() || !std::holds_alternative<MptcpOption>(opts[0])) return {};
  return std::get<MptcpOption>(opts[0]);
}

template <typename T>
T Spec(const std::string& option) {
  const MptcpOption o = Opt(option);
  EXPECT_TRUE(std::holds_alternative<T>(o.spec)) << option;
  return std::holds_alternative<T>(o.spec) ? std::get<T>(o.spec) : T{};
}

// The option prints back exactly as given (canonical input).
void ExpectCanonical(const std::string& option) {
  EXPECT_EQ(PrintMptcpOption(Opt(option)), option);
}

TEST(ParserMptcpTest, MpCapableForms) {
  const auto a = Spec<MpCapableSpec>("mpcapable v1 flags[flag_a, flag_h] nokey");
  EXPECT_EQ(a.version, 1);
  EXPECT_EQ(a.flags, 0x81);
  EXPECT_FALSE(a.raw_flags);
  EXPECT_TRUE(a.nokey);
  const auto b = Spec<MpCapableSpec>("mpcapable v0 flags 0x41 key[ckey=2, skey]");
  EXPECT_EQ(b.version, 0);
  EXPECT_TRUE(b.raw_flags);
  EXPECT_EQ(b.flags, 0x41);
  ASSERT_EQ(b.keys.size(), 2u);
  EXPECT_EQ(b.keys[0], (KeyRef{"ckey", 2}));
  EXPECT_EQ(b.keys[1], (KeyRef{"skey", std::nullopt}));
  const auto c = Spec<MpCapableSpec>("mpcapable v1 flags[flag_h] key[skey] mpcdatalen 100");
  EXPECT_EQ(c.keys.size(), 1u);
  EXPECT_EQ(c.data_len, 100);
  EXPECT_FALSE(Spec<MpCapableSpec>("mpcapable none flags[no_flags] nokey").version.has_value());
}

TEST(ParserMptcpTest, MpCapableCanonical) {
  const auto s = Spec<MpCapableSpec>(
      "mpcapable v1 flags[flag_h] key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210] "
      "mpcdatalen 10 cksum=0x1234");
  EXPECT_EQ(s.keys[0].value, 0x0123456789abcdefULL);
  EXPECT_EQ(s.keys[1].value, 0xfedcba9876543210ULL);
  EXPECT_EQ(s.checksum, 0x1234);
  ExpectCanonical(
      "mpcapable v1 flags[flag_h] key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210] "
      "mpcdatalen 10 cksum=0x1234");
}

TEST(ParserMptcpTest, MpJoinForms) {
  const auto syn = Spec<MpJoinSpec>("mp_join_syn backup=1 address_id=2 token=sha256_32(skey) rand=9");
  EXPECT_EQ(syn.form, MpJoinSpec::Form::kSyn);
  EXPECT_EQ(syn.backup, 1);
  EXPECT_EQ(syn.address_id->value, 2);
  EXPECT_EQ(syn.token->kind, TokenSpec::Kind::kSha256);
  EXPECT_EQ(syn.token->var, "skey");
  EXPECT_EQ(syn.rand, 9u);
  EXPECT_EQ(Spec<MpJoinSpec>("mp_join_syn token=sha1_32(k)").token->kind, TokenSpec::Kind::kSha1);
  EXPECT_EQ(Spec<MpJoinSpec>("mp_join_syn token=auto").token->kind, TokenSpec::Kind::kAuto);
  EXPECT_TRUE(Spec<MpJoinSpec>("mp_join_syn address_id=auto token=5").address_id->is_auto);
  const auto sa = Spec<MpJoinSpec>("mp_join_syn_ack address_id=1 sender_hmac=trunc_l64_hmac(a b)");
  EXPECT_EQ(sa.sender_hmac->kind, HmacSpec::Kind::kTruncL64Vars);
  EXPECT_EQ(sa.sender_hmac->var2, "b");
  EXPECT_EQ(Spec<MpJoinSpec>("mp_join_syn_ack sender_hmac=trunc_l64_hmac(77)").sender_hmac->value,
            77u);
  const auto ack = Spec<MpJoinSpec>("mp_join_ack sender_hmac=full_160_hmac(a b)");
  EXPECT_EQ(ack.sender_hmac->kind, HmacSpec::Kind::kFull160Vars);
  EXPECT_EQ(Spec<MpJoinSpec>("mp_join_ack sender_hmac=auto").sender_hmac->kind,
            HmacSpec::Kind::kAuto);
}

TEST(ParserMptcpTest, MpJoinCanonical) {
  ExpectCanonical("mp_join_syn backup=0 address_id=3 token=0x1a2b3c4d rand=0x01020304");
  ExpectCanonical("mp_join_syn_ack backup=1 address_id=3 sender_hmac=0x1122334455667788 rand=0x00000007");
  const auto ack =
      Spec<MpJoinSpec>("mp_join_ack sender_hmac=0x00112233445566778899aabbccddeeff00112233");
  EXPECT_EQ(ack.sender_hmac->hex, "00112233445566778899aabbccddeeff00112233");
}

TEST(ParserMptcpTest, DssForms) {
  const auto d = Spec<DssSpec>("dss dack8=1001 dsn8=1 ssn=2 dll=100 nocs fin");
  EXPECT_EQ(d.data_ack->width, 8);
  EXPECT_EQ(d.data_ack->value.value, 1001u);
  EXPECT_EQ(d.dsn->value.value, 1u);
  EXPECT_EQ(d.ssn, 2u);
  EXPECT_EQ(d.dll, 100);
  EXPECT_EQ(d.checksum, DssSpec::Checksum::kNone);
  EXPECT_TRUE(d.fin);
  const auto bare = Spec<DssSpec>("dss dack4 dsn4");
  EXPECT_EQ(bare.data_ack->width, 4);
  EXPECT_EQ(bare.data_ack->value.kind, DssValue::Kind::kUnset);
  EXPECT_EQ(bare.checksum, DssSpec::Checksum::kUnspecified);
  const auto h = Spec<DssSpec>("dss dack8=trunc_r64_hmac(ckey)+5 dsn4=trunc_r64_hmac_sha1(3)");
  EXPECT_EQ(h.data_ack->value.kind, DssValue::Kind::kTruncR64Hmac);
  EXPECT_EQ(h.data_ack->value.var, "ckey");
  EXPECT_EQ(h.data_ack->value.addend, 5u);
  EXPECT_EQ(h.dsn->value.kind, DssValue::Kind::kTruncR64HmacSha1);
  ExpectCanonical("dss dack8=1001 dsn8=1 ssn=1 dll=100 cksum=0xbeef");
  const MptcpOption f = Opt("dss flags=0x1f dack4=1 reserved=0x5");
  EXPECT_EQ(std::get<DssSpec>(f.spec).flags, 0x1f);
  EXPECT_EQ(f.reserved, 5u);
}

TEST(ParserMptcpTest, AddAddressForms) {
  const auto v = Spec<AddAddressSpec>("add_address addr[saddr1] hmac=auto");
  EXPECT_EQ(v.addr.var, "saddr1");
  EXPECT_EQ(v.addr.family, AddrRef::Family::kUnspecified);
  EXPECT_TRUE(v.hmac_auto);
  const auto a = Spec<AddAddressSpec>(
      "add_address address_id=12 addr[ep=inet_addr(\"198.51.100.2\")] port=4321 addr_echo");
  EXPECT_EQ(a.address_id->value, 12);
  EXPECT_EQ(a.addr.var, "ep");
  EXPECT_EQ(a.addr.family, AddrRef::Family::kIpv4);
  EXPECT_EQ(a.addr.literal, "198.51.100.2");
  EXPECT_EQ(a.port, 4321);
  EXPECT_TRUE(a.echo);
  const auto b = Spec<AddAddressSpec>("add_address addr[ep=inet6_addr(\"2001:db8::c1a0\")] hmac=7");
  EXPECT_EQ(b.addr.family, AddrRef::Family::kIpv6);
  EXPECT_EQ(b.hmac, 7u);
}

TEST(ParserMptcpTest, AddAddressCanonicalAnonymousAddresses) {
  ExpectCanonical("add_address address_id=12 addr[inet_addr(\"198.51.100.2\")] hmac=0x1122334455667788");
  ExpectCanonical("add_address address_id=2 addr[inet6_addr(\"2001:db8::2\")] port=80 addr_echo");
  const auto e = Spec<AddAddressSpec>("add_address address_id=12 addr[198.51.100.2] addr_echo hmac=0x11");
  EXPECT_TRUE(e.addr.var.empty());
  EXPECT_EQ(e.addr.literal, "198.51.100.2");
  EXPECT_TRUE(e.echo);
  EXPECT_EQ(e.hmac, 0x11u);
  // The bare-literal form and the inet_addr() form are the same tree.
  EXPECT_EQ(Opt("add_address addr[198.51.100.2]"),
            Opt("add_address addr[inet_addr(\"198.51.100.2\")]"));
  EXPECT_EQ(Spec<AddAddressSpec>("add_address addr[2001:db8::2]").addr.family,
            AddrRef::Family::kIpv6);
}

TEST(ParserMptcpTest, RemovePrioFailFastcloseReset) {
  EXPECT_EQ(Spec<RemoveAddressSpec>("remove_address address_id=[1, 2, 3]").address_ids,
            (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_FALSE(Spec<MpPrioSpec>("mp_prio").backup.has_value());
  const auto prio = Spec<MpPrioSpec>("mp_prio backup=1 address_id=1");
  EXPECT_EQ(prio.backup, 1);
  EXPECT_EQ(prio.address_id->value, 1);
  EXPECT_EQ(Spec<MpFailSpec>("mp_fail dsn8=12345678901").dsn, 12345678901u);
  EXPECT_FALSE(Spec<MpFastcloseSpec>("mp_fastclose").key.has_value());
  EXPECT_EQ(Spec<MpFastcloseSpec>("mp_fastclose ckey").key->name, "ckey");
  EXPECT_EQ(Spec<MpFastcloseSpec>("mp_fastclose ckey=42").key->value, 42u);
  EXPECT_EQ(Spec<MpFastcloseSpec>("mp_fastclose skey+5").addend, 5u);
  const auto lit = Spec<MpFastcloseSpec>("mp_fastclose key=0x0123456789abcdef");
  EXPECT_TRUE(lit.key->name.empty());
  EXPECT_EQ(lit.key->value, 0x0123456789abcdefULL);
  ExpectCanonical("mp_fastclose key=0x0123456789abcdef");
  const auto r = Spec<MpResetSpec>("mp_reset 6 flags[flag_t]");
  EXPECT_EQ(r.reason, 6);
  EXPECT_EQ(r.flags, 1);
  EXPECT_FALSE(Spec<MpResetSpec>("mp_reset 1").flags.has_value());
  ExpectCanonical("mp_reset 2 flags[flag_u, flag_v, flag_w, flag_t]");
}

TEST(ParserMptcpTest, ReservedAndRawOptions) {
  const MptcpOption m = Opt("mp_prio backup=1 reserved=0x2");
  EXPECT_EQ(m.reserved, 2u);
  ExpectCanonical("mp_prio backup=1 reserved=0x2");
  ExpectCanonical("remove_address address_id=[4] reserved=0x1");
  ExpectCanonical("mp_fail dsn8=1 reserved=0xabc");
  EXPECT_EQ(Spec<MptcpRawSpec>("mptcp_raw=0x1E0C01").hex, "1e0c01");
}

TEST(ParserMptcpTest, FieldsInAnyOrderGiveTheSameTree) {
  EXPECT_EQ(Opt("dss nocs fin dll=1 ssn=0 dsn8=3 dack8=101"),
            Opt("dss dack8=101 dsn8=3 ssn=0 dll=1 nocs fin"));
  EXPECT_EQ(Opt("mp_join_syn token=auto address_id=1"), Opt("mp_join_syn address_id=1 token=auto"));
}

TEST(ParserMptcpTest, BadMptcpOptionsAreLocatedErrors) {
  struct Case {
    const char* option;
    int col;  // column inside "+0 < . 1:1(0) ack 1 win 100 <" + option
    const char* message;
  };
  constexpr int kBase = 30;  // column of the option's first character
  const Case cases[] = {
      {"mpcapable v1 nokey", kBase + 18, "expected 'flags[...]' or 'flags N' in mpcapable"},
      {"mpcapable v1 flags[flag_z] nokey", kBase + 19, "unknown mpcapable flag 'flag_z'"},
      {"mpcapable v16 flags[flag_h] nokey", kBase + 10, "MP_CAPABLE version out of range"},
      {"mpcapable v1 flags[flag_h] key[a, b, c]", kBase + 37, "key[...] takes at most two keys"},
      {"mp_join_syn address_id=256 token=1", kBase + 23, "address_id out of range: 256"},
      {"mp_join_syn backup=2 token=1", kBase + 19, "backup out of range: 2"},
      {"mp_join_syn address_id=1", kBase + 24, "expected 'token=' in mp_join_syn"},
      {"mp_join_ack token=1 sender_hmac=auto", kBase + 12, "'token' is not a field of mp_join_ack"},
      {"mp_join_ack sender_hmac=0x" "00112233445566778899aabbccddeeff0011223344", kBase + 24,
       "sender_hmac out of range: 21 bytes"},
      {"dss dack4=4294967296", kBase + 10, "dack4 out of range"},
      {"dss dll=65536", kBase + 8, "dll out of range"},
      {"dss nocs cksum=1", kBase + 9, "dss checksum given twice"},
      {"dss dack8=1 dack8=2", kBase + 12, "'dack8' given twice in dss"},
      {"dss bogus", kBase + 4, "expected dss field"},
      {"add_address hmac=auto", kBase + 21, "expected 'addr[...]' in add_address"},
      {"add_address addr[inet_addr(\"300.1.1.1\")]", kBase + 27, "invalid IPv4 address"},
      {"add_address addr[x] port=70000", kBase + 25, "port out of range"},
      {"remove_address address_id=[256]", kBase + 27, "address_id out of range"},
      {"mp_fail dsn4=1", kBase + 8, "mp_fail carries a 64-bit dsn8"},
      {"mp_reset 256", kBase + 9, "mp_reset reason out of range"},
      {"mp_reset 1 flags[flag_a]", kBase + 17, "unknown mp_reset flag 'flag_a'"},
      {"mp_frobnicate", kBase, "unknown TCP option 'mp_frobnicate'"},
  };
  for (const Case& c : cases) {
    const std::string line = std::string("+0 < . 1:1(0) ack 1 win 100 <") + c.option + ">\n";
    const Diagnostics d = ParseErrors(line);
    ASSERT_EQ(d.size(), 1u) << line;
    EXPECT_EQ(d.items[0].line, 1) << line;
    EXPECT_EQ(d.items[0].col, c.col) << line << d.items[0].message;
    EXPECT_NE(d.items[0].message.find(c.message), std::string::npos)
        << line << " got: " << d.items[0].message;
  }
}

// MPTCP v0 scripts of the older packetdrill MPTCP fork: `mp_capable[_no_cs] key [key]`.
TEST(ParserMptcpTest, LegacyV0MpCapable) {
  const Event e = testing::OneEvent("+0 < . 1:1(0) ack 1 win 1 <mp_capable_no_cs a=5 b, nop>");
  const auto& seg = std::get<TcpSegment>(std::get<Packet>(e.action).body);
  const auto& spec = std::get<MpCapableSpec>(std::get<MptcpOption>(seg.options[0]).spec);
  EXPECT_EQ(spec.legacy, MpCapableSpec::Legacy::kMpCapableNoCs);
  EXPECT_EQ(spec.version, 0);
  EXPECT_EQ(spec.flags, 0x01);
  ASSERT_EQ(spec.keys.size(), 2u);
  EXPECT_EQ(spec.keys[0].name, "a");
  EXPECT_EQ(spec.keys[0].value, 5u);
  EXPECT_EQ(spec.keys[1].name, "b");
  EXPECT_EQ(PrintEvent(e), "+0 < . 1:1(0) ack 1 win 1 <mp_capable_no_cs a=5 b, nop>");
  const Event cs = testing::OneEvent("+0 > S 0:0(0) <mp_capable key1>");
  const auto& seg2 = std::get<TcpSegment>(std::get<Packet>(cs.action).body);
  const auto& spec2 = std::get<MpCapableSpec>(std::get<MptcpOption>(seg2.options[0]).spec);
  EXPECT_EQ(spec2.legacy, MpCapableSpec::Legacy::kMpCapable);
  EXPECT_EQ(spec2.flags, 0x81);
  EXPECT_FALSE(spec2.nokey);
}

}  // namespace
}  // namespace mpdrill::parser
