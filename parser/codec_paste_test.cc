// `mpdrill decode` prints options with codec::ToScript; those lines must paste into scripts.
// This test (not the parser library) links the codec: every subtype the codec prints, with
// reserved bits and checksums set, parses back with the same values.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/codec/mptcp_option.h"
#include "engine/codec/mptcp_print.h"
#include "parser/parser.h"
#include "parser/printer.h"

namespace mpdrill::parser {
namespace {

MptcpOption ParsePrinted(const codec::Option& option, const codec::SegmentInfo& seg = {}) {
  const std::string text = codec::ToScript(option, seg);
  const std::string line = "+0 < . 1:1(0) ack 1 win 100 <" + text + ", nop>\n";
  auto r = Parse(line, "pasted.pkt");
  EXPECT_TRUE(r.ok()) << line << (r.ok() ? "" : FormatDiagnostics(r.error()));
  if (!r.ok() || r->events.empty()) return {};
  const auto& seg_body = std::get<TcpSegment>(std::get<Packet>(r->events[0].action).body);
  EXPECT_EQ(seg_body.options.size(), 2u);
  const MptcpOption m = std::get<MptcpOption>(seg_body.options.at(0));
  // The parser's printer writes the same option (it may choose another number base).
  const std::string reprinted = "+0 < . 1:1(0) ack 1 win 100 <" + PrintMptcpOption(m) + ", nop>\n";
  auto again = Parse(reprinted, "reprinted.pkt");
  EXPECT_TRUE(again.ok() && *again == *r) << reprinted;
  return m;
}

TEST(CodecPasteTest, MpCapable) {
  codec::MpCapable o;
  o.version = 1;
  o.flags = codec::kMpcFlagA | codec::kMpcFlagH;
  o.sender_key = 0x0123456789abcdefULL;
  o.receiver_key = 0xfedcba9876543210ULL;
  o.data_level_length = 10;
  o.checksum = 0x1234;
  const auto s = std::get<MpCapableSpec>(ParsePrinted(o).spec);
  EXPECT_EQ(s.flags, 0x81);
  ASSERT_EQ(s.keys.size(), 2u);
  EXPECT_EQ(s.keys[0].value, 0x0123456789abcdefULL);
  EXPECT_EQ(s.keys[1].value, 0xfedcba9876543210ULL);
  EXPECT_EQ(s.data_len, 10);
  EXPECT_EQ(s.checksum, 0x1234);
  codec::MpCapable syn;
  EXPECT_TRUE(std::get<MpCapableSpec>(ParsePrinted(syn).spec).nokey);
  codec::MpCapable synack;
  synack.sender_key = 7;
  codec::SegmentInfo info;
  info.syn = true;
  info.ack = true;
  EXPECT_EQ(std::get<MpCapableSpec>(ParsePrinted(synack, info).spec).keys.at(0).value, 7u);
}

TEST(CodecPasteTest, MpJoinAllForms) {
  codec::MpJoin syn;
  syn.form = codec::JoinForm::kSyn;
  syn.backup = true;
  syn.address_id = 3;
  syn.token = 0x1a2b3c4d;
  syn.nonce = 0x01020304;
  syn.reserved = 0x5;
  const MptcpOption a = ParsePrinted(syn);
  EXPECT_EQ(std::get<MpJoinSpec>(a.spec).token->value, 0x1a2b3c4du);
  EXPECT_EQ(std::get<MpJoinSpec>(a.spec).rand, 0x01020304u);
  EXPECT_EQ(a.reserved, 5u);
  codec::MpJoin synack = syn;
  synack.form = codec::JoinForm::kSynAck;
  synack.truncated_hmac = 0x1122334455667788ULL;
  EXPECT_EQ(std::get<MpJoinSpec>(ParsePrinted(synack).spec).sender_hmac->hex, "1122334455667788");
  codec::MpJoin ack;
  ack.form = codec::JoinForm::kAck;
  for (std::size_t i = 0; i < ack.hmac.size(); ++i) ack.hmac[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(std::get<MpJoinSpec>(ParsePrinted(ack).spec).sender_hmac->hex.size(), 40u);
}

TEST(CodecPasteTest, Dss) {
  codec::Dss o;
  o.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8 | codec::kDssFlagMapping |
            codec::kDssFlagDsn8 | codec::kDssFlagDataFin;
  o.data_ack = 1001;
  o.dsn = 1;
  o.ssn = 1;
  o.data_level_length = 100;
  o.checksum = 0xbeef;
  o.reserved = 0x3;
  const MptcpOption m = ParsePrinted(o);
  const auto& s = std::get<DssSpec>(m.spec);
  EXPECT_EQ(s.data_ack->value.value, 1001u);
  EXPECT_EQ(s.dll, 100);
  EXPECT_EQ(s.checksum_value, 0xbeef);
  EXPECT_TRUE(s.fin);
  EXPECT_EQ(m.reserved, 3u);
  codec::Dss ack_only;
  ack_only.flags = codec::kDssFlagDataAck;
  ack_only.data_ack = 5;
  EXPECT_EQ(std::get<DssSpec>(ParsePrinted(ack_only).spec).data_ack->width, 4);
}

TEST(CodecPasteTest, AddAddrRemoveAddrPrioFailFastcloseReset) {
  codec::AddAddr v4;
  v4.address_id = 12;
  v4.address = {198, 51, 100, 2};
  v4.port = 8080;
  v4.hmac = 0x1122334455667788ULL;
  const auto a = std::get<AddAddressSpec>(ParsePrinted(v4).spec);
  EXPECT_EQ(a.addr.literal, "198.51.100.2");
  EXPECT_EQ(a.port, 8080);
  EXPECT_EQ(a.hmac, 0x1122334455667788ULL);
  codec::AddAddr v6;
  v6.ipv6 = true;
  v6.echo = true;
  v6.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const auto b = std::get<AddAddressSpec>(ParsePrinted(v6).spec);
  EXPECT_EQ(b.addr.literal, "2001:db8::2");
  EXPECT_TRUE(b.echo);
  codec::RemoveAddr r;
  r.address_ids.data[0] = 4;
  r.address_ids.data[1] = 5;
  r.address_ids.size = 2;
  EXPECT_EQ(std::get<RemoveAddressSpec>(ParsePrinted(r).spec).address_ids.size(), 2u);
  codec::MpPrio p;
  p.backup = true;
  EXPECT_EQ(std::get<MpPrioSpec>(ParsePrinted(p).spec).backup, 1);
  codec::MpFail f;
  f.dsn = 12345678901ULL;
  EXPECT_EQ(std::get<MpFailSpec>(ParsePrinted(f).spec).dsn, 12345678901ULL);
  codec::MpFastclose fc;
  fc.receiver_key = 0x0123456789abcdefULL;
  EXPECT_EQ(std::get<MpFastcloseSpec>(ParsePrinted(fc).spec).key->value, 0x0123456789abcdefULL);
  codec::MpTcpRst rst;
  rst.reason = 2;
  rst.flags = 0xf;
  EXPECT_EQ(std::get<MpResetSpec>(ParsePrinted(rst).spec).flags, 0xf);
}

TEST(CodecPasteTest, ExperimentalAndUnknownSubtypesAsRawBytes) {
  codec::Experimental e;
  e.nibble = 1;
  e.body.data[0] = 0xaa;
  e.body.size = 1;
  EXPECT_FALSE(std::get<MptcpRawSpec>(ParsePrinted(e).spec).hex.empty());
  codec::UnknownSubtype u;
  u.subtype = 9;
  EXPECT_FALSE(std::get<MptcpRawSpec>(ParsePrinted(u).spec).hex.empty());
}

}  // namespace
}  // namespace mpdrill::parser
