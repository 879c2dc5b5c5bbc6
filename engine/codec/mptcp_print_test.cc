// Golden strings for the script printer and the JSON members.
#include "engine/codec/mptcp_print.h"

#include <gtest/gtest.h>

#include "engine/codec/codec_test_util.h"
#include "engine/codec/json_util.h"

namespace mpdrill::codec {
namespace {

using testing::Ack;
using testing::ByteVec;
using testing::MustDecode;
using testing::Rst;
using testing::Syn;
using testing::SynAck;

struct PrintCase {
  ByteVec bytes;
  SegmentInfo segment;
  std::string script;
  std::string json;
};

ByteVec WithTail(ByteVec head, std::size_t length, std::uint8_t fill) {
  head.resize(length, fill);
  return head;
}

TEST(PrintTest, GoldenScriptAndJson) {
  const ByteVec keys = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                        0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
  auto mpc = [&keys](std::uint8_t len, std::uint8_t flags, ByteVec tail) {
    ByteVec b = {0x1e, len, 0x01, flags};
    for (std::size_t i = 4; i < len && i - 4 < keys.size(); ++i) b.push_back(keys[i - 4]);
    b.insert(b.end(), tail.begin(), tail.end());
    return b;
  };
  const PrintCase cases[] = {
      {mpc(4, 0x01, {}), Syn(), "mpcapable v1 flags[flag_h] nokey", R"("version":1,"flags":1)"},
      {mpc(4, 0x00, {}), Syn(), "mpcapable v1 flags[] nokey", R"("version":1,"flags":0)"},
      {mpc(12, 0x01, {}), SynAck(), "mpcapable v1 flags[flag_h] key[skey=0x0123456789abcdef]",
       R"("version":1,"flags":1,"sender_key":81985529216486895)"},
      {mpc(12, 0x41, {}), {}, "mpcapable v1 flags[flag_b, flag_h] key[ckey=0x0123456789abcdef]",
       R"("version":1,"flags":65,"sender_key":81985529216486895)"},
      {mpc(20, 0x81, {}), Ack(),
       "mpcapable v1 flags[flag_a, flag_h] key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210]",
       R"("version":1,"flags":129,"sender_key":81985529216486895,"receiver_key":18364758544493064720)"},
      {mpc(22, 0x01, {0x00, 0x02}), Ack(2),
       "mpcapable v1 flags[flag_h] key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210] mpcdatalen 2",
       R"("version":1,"flags":1,"sender_key":81985529216486895,"receiver_key":18364758544493064720,"data_level_length":2)"},
      {mpc(24, 0xff, {0x00, 0x02, 0x0b, 0xee}), Ack(2),
       "mpcapable v1 flags[flag_a, flag_b, flag_c, flag_d, flag_e, flag_f, flag_g, flag_h] "
       "key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210] mpcdatalen 2 cksum=0x0bee",
       R"("version":1,"flags":255,"sender_key":81985529216486895,"receiver_key":18364758544493064720,"data_level_length":2,"checksum":3054)"},
      {{0x1e, 12, 0x11, 2, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x07}, Syn(),
       "mp_join_syn backup=1 address_id=2 token=0x11223344 rand=0x00000007",
       R"("backup":true,"address_id":2,"token":287454020,"nonce":7)"},
      {{0x1e, 16, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0xa1, 0xa2, 0xa3, 0xa4}, SynAck(),
       "mp_join_syn_ack backup=0 address_id=0 sender_hmac=0x0102030405060708 rand=0xa1a2a3a4",
       R"("backup":false,"address_id":0,"nonce":2711790500,"hmac":"0102030405060708")"},
      {WithTail({0x1e, 24, 0x10, 0x00}, 24, 0xab), Ack(),
       "mp_join_ack sender_hmac=0xabababababababababababababababababababab",
       R"("hmac":"abababababababababababababababababababab")"},
      {{0x1e, 12, 0x1e, 9, 0, 0, 0, 1, 0, 0, 0, 2}, Syn(),
       "mp_join_syn backup=0 address_id=9 token=0x00000001 rand=0x00000002 reserved=0x7",
       R"("backup":false,"address_id":9,"token":1,"nonce":2)"},
      {{0x1e, 4, 0x20, 0x00}, Ack(), "dss nocs", R"("data_fin":false)"},
      {{0x1e, 8, 0x20, 0x01, 0, 0, 3, 0xe9}, Ack(), "dss dack4=1001 nocs",
       R"("data_fin":false,"data_ack":1001,"data_ack_64":false)"},
      {{0x1e, 26, 0x20, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1,
        0, 0, 0, 1, 0x03, 0xe8},
       Ack(1000), "dss dack8=18446744073709551615 dsn8=1 ssn=1 dll=1000 nocs",
       R"("data_fin":false,"data_ack":18446744073709551615,"data_ack_64":true,"dsn":1,"dsn_64":true,"ssn":1,"data_level_length":1000)"},
      {{0x1e, 22, 0x20, 0x1d, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, Ack(0),
       "dss dack4=1 dsn8=1 ssn=0 dll=1 nocs fin",
       R"("data_fin":true,"data_ack":1,"data_ack_64":false,"dsn":1,"dsn_64":true,"ssn":0,"data_level_length":1)"},
      {{0x1e, 16, 0x20, 0x04, 0, 0, 0, 5, 0, 0, 0, 1, 0, 100, 0xab, 0xcd}, Ack(100),
       "dss dsn4=5 ssn=1 dll=100 cksum=0xabcd",
       R"("data_fin":false,"dsn":5,"dsn_64":false,"ssn":1,"data_level_length":100,"checksum":43981)"},
      {{0x1e, 8, 0x2f, 0x09, 0, 0, 0, 7}, Ack(), "dss dack4=7 nocs flags=0x09 reserved=0x78",
       R"("data_fin":false,"data_ack":7,"data_ack_64":false)"},
      {{0x1e, 16, 0x30, 1, 198, 51, 100, 2, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, Ack(),
       "add_address address_id=1 addr[inet_addr(\"198.51.100.2\")] hmac=0x1122334455667788",
       R"("echo":false,"address_id":1,"address":"198.51.100.2","hmac":"1122334455667788")"},
      {{0x1e, 10, 0x31, 3, 203, 0, 113, 9, 0x1f, 0x90}, Ack(),
       "add_address address_id=3 addr[inet_addr(\"203.0.113.9\")] port=8080 addr_echo",
       R"("echo":true,"address_id":3,"address":"203.0.113.9","port":8080)"},
      {{0x1e, 30, 0x31, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 80, 1, 2,
        3, 4, 5, 6, 7, 8},
       Ack(),
       "add_address address_id=4 addr[inet6_addr(\"2001:db8::2\")] port=80 addr_echo "
       "hmac=0x0102030405060708",
       R"("echo":true,"address_id":4,"address":"2001:db8::2","port":80,"hmac":"0102030405060708")"},
      {{0x1e, 8, 0x36, 1, 198, 51, 100, 2}, Ack(),
       "add_address address_id=1 addr[inet_addr(\"198.51.100.2\")] reserved=0x3",
       R"("echo":false,"address_id":1,"address":"198.51.100.2")"},
      {{0x1e, 5, 0x40, 1, 2}, Ack(), "remove_address address_id=[1, 2]", R"("address_ids":[1,2])"},
      {{0x1e, 3, 0x40}, Ack(), "remove_address address_id=[]", R"("address_ids":[])"},
      {{0x1e, 3, 0x51}, Ack(), "mp_prio backup=1", R"("backup":true)"},
      {{0x1e, 3, 0x5c}, Ack(), "mp_prio backup=0 reserved=0x6", R"("backup":false)"},
      {{0x1e, 12, 0x60, 0, 0, 0, 0, 0, 0, 0, 3, 0xe8}, Ack(), "mp_fail dsn8=1000", R"("dsn":1000)"},
      {{0x1e, 12, 0x61, 0x23, 0, 0, 0, 0, 0, 0, 0, 1}, Ack(), "mp_fail dsn8=1 reserved=0x123",
       R"("dsn":1)"},
      {{0x1e, 12, 0x70, 0, 1, 2, 3, 4, 5, 6, 7, 8}, Ack(), "mp_fastclose key=0x0102030405060708",
       R"("receiver_key":72623859790382856)"},
      {{0x1e, 4, 0x80, 1}, Rst(), "mp_reset 1", R"("flags":0,"transient":false,"reason":1)"},
      {{0x1e, 4, 0x81, 6}, Rst(), "mp_reset 6 flags[flag_t]", R"("flags":1,"transient":true,"reason":6)"},
      {{0x1e, 4, 0x8f, 0}, Rst(), "mp_reset 0 flags[flag_u, flag_v, flag_w, flag_t]",
       R"("flags":15,"transient":true,"reason":0)"},
      {{0x1e, 5, 0xf3, 0xaa, 0xbb}, Ack(), "mptcp_raw=0x1e05f3aabb", R"("raw":"1e05f3aabb")"},
      {{0x1e, 3, 0x9a}, Ack(), "mptcp_raw=0x1e039a", R"("raw":"1e039a")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.script);
    Decoded d = MustDecode(c.bytes, c.segment);
    EXPECT_EQ(ToScript(d.option, c.segment), c.script);
    std::string json;
    AppendJsonFields(d.option, &json);
    EXPECT_EQ(json, c.json);
  }
}

TEST(PrintTest, JsonFieldsAppendWithoutLeadingComma) {
  std::string out = R"({"subtype":"mp_prio",)";
  AppendJsonFields(MpPrio{true, 0}, &out);
  out += "}";
  EXPECT_EQ(out, R"({"subtype":"mp_prio","backup":true})");
}

TEST(JsonUtilTest, EscapesQuotesBackslashesAndControls) {
  std::string out;
  AppendJsonString("a\"b\\c\nd\x01\x7f" "é", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\\u007fé\"");
  out.clear();
  const std::uint8_t bytes[] = {0x00, 0x0f, 0xff};
  AppendHex(bytes, &out);
  EXPECT_EQ(out, "000fff");
}

}  // namespace
}  // namespace mpdrill::codec
