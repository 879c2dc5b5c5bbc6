// End-to-end tests of `mpdrill decode`: the test writes pcap files with libpcap, runs the built
// binary on them and compares its text and JSON Lines output and exit code exactly.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/capture/test_frames.h"

namespace mpdrill {
namespace {

using capture::testing::Buf;
using capture::testing::Cat;

constexpr int kLinkEthernet = 1;
constexpr std::uint16_t kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DecodeTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = capture::testing::MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs `mpdrill decode ARGS`; arguments are single-quoted for the shell.
  RunResult Decode(const std::vector<std::string>& args) const {
    std::string cmd = std::string(MPDRILL_BINARY_DIR) + "/cli/mpdrill decode";
    for (const std::string& a : args) cmd += " '" + a + "'";
    cmd += " >'" + Path("stdout") + "' 2>'" + Path("stderr") + "'";
    RunResult r;
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(Path("stdout"));
    r.err = ReadFile(Path("stderr"));
    return r;
  }

  // Every output line must be a JSON object; python3's json module is the independent judge.
  void ExpectValidJsonLines(const std::string& text) const {
    const std::string file = Path("lines.json");
    std::ofstream(file) << text;
    const std::string cmd =
        "python3 -c 'import json,sys\nfor l in open(sys.argv[1]): assert isinstance("
        "json.loads(l), dict)' '" + file + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << text;
  }

  std::string dir_;
};

// One Ethernet/IPv4/TCP frame 198.51.100.1:43210 > 198.51.100.2:8080 with these options.
Buf Frame(std::uint16_t flags, const Buf& options, std::size_t payload = 0) {
  capture::testing::TcpSpec s;
  s.flags = flags;
  s.ack = (flags & kAck) ? 1 : 0;
  s.options = options;
  s.payload = Buf(payload, 0x61);
  return capture::testing::Ethernet(0x0800, capture::testing::Ipv4({}, capture::testing::Tcp(s)));
}

const Buf kKeyA = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
const Buf kKeyB = {0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};

// Every subtype, well formed, one per frame (annotated with the option it encodes).
std::vector<Buf> ValidFrames() {
  return {
      // 1: mp_capable SYN: v1, flag H
      Frame(kSyn, {0x1e, 0x04, 0x01, 0x01}),
      // 2: mp_capable SYN/ACK: v1, flag H, sender key B
      Frame(kSyn | kAck, Cat({{0x1e, 0x0c, 0x01, 0x01}, kKeyB})),
      // 3: mp_capable third ACK: keys A, B
      Frame(kAck, Cat({{0x1e, 0x14, 0x01, 0x01}, kKeyA, kKeyB})),
      // 4: mp_capable with data: keys A, B, data-level length 5, checksum 0xbeef (flags A|H)
      Frame(kAck | kPsh, Cat({{0x1e, 0x18, 0x01, 0x81}, kKeyA, kKeyB, {0x00, 0x05, 0xbe, 0xef}}),
            5),
      // 5: mp_join SYN: backup, address id 2, token 0x11223344, nonce 0x55667788
      Frame(kSyn, {0x1e, 0x0c, 0x11, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}),
      // 6: mp_join SYN/ACK: address id 0, truncated HMAC 0x0102030405060708, nonce 9
      Frame(kSyn | kAck, {0x1e, 0x10, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9}),
      // 7: mp_join ACK: 160-bit HMAC 0xa0..0xb3
      Frame(kAck, Cat({{0x1e, 0x18, 0x10, 0x00},
                       {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,
                        0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3}})),
      // 8: dss dack4=7 dsn4=1000 ssn=1 dll=5 nocs (flags M|A)
      Frame(kAck | kPsh, {0x1e, 0x12, 0x20, 0x05, 0, 0, 0, 7, 0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0, 5},
            5),
      // 9: dss dack8 dsn8 ssn dll cksum (flags m|M|a|A), 64-bit values past 2^63
      Frame(kAck | kPsh,
            {0x1e, 0x1c, 0x20, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,  // dack8
             0x80, 0, 0, 0, 0, 0, 0, 1,                                               // dsn8
             0, 0, 0, 1, 0, 5, 0x12, 0x34},                                           // ssn dll ck
            5),
      // 10: dss DATA_FIN: dack4=8, dsn4=1005, ssn 0, dll 1 (flags F|M|A)
      Frame(kAck | 0x01, {0x1e, 0x12, 0x20, 0x15, 0, 0, 0, 8, 0, 0, 0x03, 0xed, 0, 0, 0, 0, 0, 1}),
      // 11: add_addr id 2, 198.51.100.3, HMAC 0x0102030405060708
      Frame(kAck, {0x1e, 0x10, 0x30, 0x02, 198, 51, 100, 3, 1, 2, 3, 4, 5, 6, 7, 8}),
      // 12: add_addr id 3, 203.0.113.9 port 8080, HMAC
      Frame(kAck, {0x1e, 0x12, 0x30, 0x03, 203, 0, 113, 9, 0x1f, 0x90, 1, 2, 3, 4, 5, 6, 7, 8}),
      // 13: add_addr echo, id 4, 2001:db8::4
      Frame(kAck, {0x1e, 0x14, 0x31, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                   0, 4}),
      // 14: remove_addr ids 2, 3
      Frame(kAck, {0x1e, 0x05, 0x40, 0x02, 0x03}),
      // 15: mp_prio backup
      Frame(kAck, {0x1e, 0x03, 0x51}),
      // 16: mp_fail dsn 2^64-1
      Frame(kAck, {0x1e, 0x0c, 0x60, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
      // 17: mp_fastclose receiver key B
      Frame(kAck, Cat({{0x1e, 0x0c, 0x70, 0x00}, kKeyB})),
      // 18: mp_tcprst transient, reason 1, on a RST
      Frame(kRst | kAck, {0x1e, 0x04, 0x81, 0x01}),
      // 19: experimental, 2 body bytes
      Frame(kAck, {0x1e, 0x05, 0xf0, 0xaa, 0xbb}),
      // 20: plain TCP (mss only): no output line
      Frame(kSyn, {0x02, 0x04, 0x05, 0xb4}),
      // 21: two options in one segment: mp_prio + dss dack4
      Frame(kAck, {0x1e, 0x03, 0x50, 0x01, 0x1e, 0x08, 0x20, 0x01, 0, 0, 0, 9}),
      // 22: dss infinite mapping dsn4=5 ssn=0 dll=0 (D6: a note, not a violation)
      Frame(kAck, {0x1e, 0x0e, 0x20, 0x04, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0}),
      // 23: unassigned subtype 0x9 (E1: ignored, a note)
      Frame(kAck, {0x1e, 0x04, 0x90, 0x07}),
  };
}

// Broken options, each proving one rule.
std::vector<Buf> MalformedFrames() {
  return {
      // 1: mp_capable version 0 on a SYN (C2)
      Frame(kSyn, {0x1e, 0x04, 0x00, 0x01}),
      // 2: dss length 9 but flags say 8 (D1: does not decode)
      Frame(kAck, {0x1e, 0x09, 0x20, 0x01, 0, 0, 0, 1, 0}),
      // 3: nop nop nop, then kind 30 with length 16 running past the 8-byte area (G5)
      Frame(kAck, {0x01, 0x01, 0x01, 0x1e, 0x10, 0x20, 0x01, 0x00}),
      // 4: mp_capable and mp_join in one SYN (C10)
      Frame(kSyn, {0x1e, 0x04, 0x01, 0x01, 0x1e, 0x0c, 0x10, 0x00, 0, 0, 0, 1, 0, 0, 0, 2}),
      // 5: mp_tcprst on a segment without RST (T1)
      Frame(kAck, {0x1e, 0x04, 0x80, 0x01}),
      // 6: mp_capable 12 bytes on a SYN (C1)
      Frame(kSyn, Cat({{0x1e, 0x0c, 0x01, 0x01}, kKeyA})),
      // 7: a kind-30 option of 2 bytes (G7)
      Frame(kAck, {0x1e, 0x02, 0x01, 0x01}),
  };
}

const char kValidText[] =
    R"(1 198.51.100.1:43210 > 198.51.100.2:8080 S <mpcapable v1 flags[flag_h] nokey>
2 198.51.100.1:43210 > 198.51.100.2:8080 S. <mpcapable v1 flags[flag_h] key[skey=0xfedcba9876543210]>
3 198.51.100.1:43210 > 198.51.100.2:8080 . <mpcapable v1 flags[flag_h] key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210]>
4 198.51.100.1:43210 > 198.51.100.2:8080 P. <mpcapable v1 flags[flag_a, flag_h] key[ckey=0x0123456789abcdef, skey=0xfedcba9876543210] mpcdatalen 5 cksum=0xbeef>
5 198.51.100.1:43210 > 198.51.100.2:8080 S <mp_join_syn backup=1 address_id=2 token=0x11223344 rand=0x55667788>
6 198.51.100.1:43210 > 198.51.100.2:8080 S. <mp_join_syn_ack backup=0 address_id=0 sender_hmac=0x0102030405060708 rand=0x00000009>
7 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_join_ack sender_hmac=0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3>
8 198.51.100.1:43210 > 198.51.100.2:8080 P. <dss dack4=7 dsn4=1000 ssn=1 dll=5 nocs>
9 198.51.100.1:43210 > 198.51.100.2:8080 P. <dss dack8=18446744073709551614 dsn8=9223372036854775809 ssn=1 dll=5 cksum=0x1234>
10 198.51.100.1:43210 > 198.51.100.2:8080 F. <dss dack4=8 dsn4=1005 ssn=0 dll=1 nocs fin>
11 198.51.100.1:43210 > 198.51.100.2:8080 . <add_address address_id=2 addr[inet_addr("198.51.100.3")] hmac=0x0102030405060708>
12 198.51.100.1:43210 > 198.51.100.2:8080 . <add_address address_id=3 addr[inet_addr("203.0.113.9")] port=8080 hmac=0x0102030405060708>
13 198.51.100.1:43210 > 198.51.100.2:8080 . <add_address address_id=4 addr[inet6_addr("2001:db8::4")] addr_echo>
14 198.51.100.1:43210 > 198.51.100.2:8080 . <remove_address address_id=[2, 3]>
15 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_prio backup=1>
16 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_fail dsn8=18446744073709551615>
17 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_fastclose key=0xfedcba9876543210>
18 198.51.100.1:43210 > 198.51.100.2:8080 R. <mp_reset 1 flags[flag_t]>
19 198.51.100.1:43210 > 198.51.100.2:8080 . <mptcp_raw=0x1e05f0aabb>
21 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_prio backup=0, dss dack4=9 nocs>
22 198.51.100.1:43210 > 198.51.100.2:8080 . <dss dsn4=5 ssn=0 dll=0 nocs>
  note D6 @12: dss: data-level length 0 is an infinite mapping
23 198.51.100.1:43210 > 198.51.100.2:8080 . <mptcp_raw=0x1e049007>
  note E1 @2: mptcp option: unknown subtype is ignored
)";

// The common prefix of every JSON object of these frames.
#define P(frame) "{\"frame\":" #frame ",\"src\":\"198.51.100.1\",\"dst\":\"198.51.100.2\",\"sport\":43210,\"dport\":8080,"

const char kValidJson[] =
    P(1) R"("subtype":"mp_capable","length":4,"violations":[],"notes":[],"version":1,"flags":1,"tcp_flags":"S","option_offset":0,"details":[]})" "\n"
    P(2) R"("subtype":"mp_capable","length":12,"violations":[],"notes":[],"version":1,"flags":1,"sender_key":18364758544493064720,"tcp_flags":"S.","option_offset":0,"details":[]})" "\n"
    P(3) R"("subtype":"mp_capable","length":20,"violations":[],"notes":[],"version":1,"flags":1,"sender_key":81985529216486895,"receiver_key":18364758544493064720,"tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(4) R"("subtype":"mp_capable","length":24,"violations":[],"notes":[],"version":1,"flags":129,"sender_key":81985529216486895,"receiver_key":18364758544493064720,"data_level_length":5,"checksum":48879,"tcp_flags":"P.","option_offset":0,"details":[]})" "\n"
    P(5) R"("subtype":"mp_join","length":12,"violations":[],"notes":[],"backup":true,"address_id":2,"token":287454020,"nonce":1432778632,"tcp_flags":"S","option_offset":0,"details":[]})" "\n"
    P(6) R"("subtype":"mp_join","length":16,"violations":[],"notes":[],"backup":false,"address_id":0,"nonce":9,"hmac":"0102030405060708","tcp_flags":"S.","option_offset":0,"details":[]})" "\n"
    P(7) R"("subtype":"mp_join","length":24,"violations":[],"notes":[],"hmac":"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3","tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(8) R"("subtype":"dss","length":18,"violations":[],"notes":[],"data_fin":false,"data_ack":7,"data_ack_64":false,"dsn":1000,"dsn_64":false,"ssn":1,"data_level_length":5,"tcp_flags":"P.","option_offset":0,"details":[]})" "\n"
    P(9) R"("subtype":"dss","length":28,"violations":[],"notes":[],"data_fin":false,"data_ack":18446744073709551614,"data_ack_64":true,"dsn":9223372036854775809,"dsn_64":true,"ssn":1,"data_level_length":5,"checksum":4660,"tcp_flags":"P.","option_offset":0,"details":[]})" "\n"
    P(10) R"("subtype":"dss","length":18,"violations":[],"notes":[],"data_fin":true,"data_ack":8,"data_ack_64":false,"dsn":1005,"dsn_64":false,"ssn":0,"data_level_length":1,"tcp_flags":"F.","option_offset":0,"details":[]})" "\n"
    P(11) R"("subtype":"add_addr","length":16,"violations":[],"notes":[],"echo":false,"address_id":2,"address":"198.51.100.3","hmac":"0102030405060708","tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(12) R"("subtype":"add_addr","length":18,"violations":[],"notes":[],"echo":false,"address_id":3,"address":"203.0.113.9","port":8080,"hmac":"0102030405060708","tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(13) R"("subtype":"add_addr","length":20,"violations":[],"notes":[],"echo":true,"address_id":4,"address":"2001:db8::4","tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(14) R"("subtype":"remove_addr","length":5,"violations":[],"notes":[],"address_ids":[2,3],"tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(15) R"("subtype":"mp_prio","length":3,"violations":[],"notes":[],"backup":true,"tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(16) R"("subtype":"mp_fail","length":12,"violations":[],"notes":[],"dsn":18446744073709551615,"tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(17) R"("subtype":"mp_fastclose","length":12,"violations":[],"notes":[],"receiver_key":18364758544493064720,"tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(18) R"("subtype":"mp_tcprst","length":4,"violations":[],"notes":[],"flags":1,"transient":true,"reason":1,"tcp_flags":"R.","option_offset":0,"details":[]})" "\n"
    P(19) R"("subtype":"experimental","length":5,"violations":[],"notes":[],"raw":"1e05f0aabb","tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(21) R"("subtype":"mp_prio","length":3,"violations":[],"notes":[],"backup":false,"tcp_flags":".","option_offset":0,"details":[]})" "\n"
    P(21) R"("subtype":"dss","length":8,"violations":[],"notes":[],"data_fin":false,"data_ack":9,"data_ack_64":false,"tcp_flags":".","option_offset":4,"details":[]})" "\n"
    P(22) R"("subtype":"dss","length":14,"violations":[],"notes":["D6"],"data_fin":false,"dsn":5,"dsn_64":false,"ssn":0,"data_level_length":0,"tcp_flags":".","option_offset":0,"details":[{"rule":"D6","offset":12,"severity":"info","reason":"dss: data-level length 0 is an infinite mapping"}]})" "\n"
    P(23) R"("subtype":"unknown","length":4,"violations":[],"notes":["E1"],"raw":"1e049007","tcp_flags":".","option_offset":0,"details":[{"rule":"E1","offset":2,"severity":"info","reason":"mptcp option: unknown subtype is ignored"}]})" "\n";

const char kMalformedText[] =
    R"(1 198.51.100.1:43210 > 198.51.100.2:8080 S <mpcapable v0 flags[flag_h] nokey>
  violation C2 @2: mp_capable: version is not 1
2 198.51.100.1:43210 > 198.51.100.2:8080 . <malformed dss len 9>
  violation D1 @1: dss: length does not match the A, a, M and m flags
3 198.51.100.1:43210 > 198.51.100.2:8080 . <malformed mptcp cut off>
  violation G5 @4: tcp options: length runs past the option area
4 198.51.100.1:43210 > 198.51.100.2:8080 S <mpcapable v1 flags[flag_h] nokey, mp_join_syn backup=0 address_id=0 token=0x00000001 rand=0x00000002>
  violation C10 @4: segment: SYN carries both MP_CAPABLE and MP_JOIN
5 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_reset 1>
  violation T1 @2: mp_tcprst: carried on a segment without RST
6 198.51.100.1:43210 > 198.51.100.2:8080 S <mpcapable v1 flags[flag_h] key[ckey=0x0123456789abcdef]>
  violation C1 @1: mp_capable: SYN form must be 4 bytes
7 198.51.100.1:43210 > 198.51.100.2:8080 . <malformed mptcp len 2>
  violation G7 @2: mptcp option: fewer than 3 bytes, no room for kind, length and subtype
)";

const char kMalformedJson[] =
    P(1) R"("subtype":"mp_capable","length":4,"violations":["C2"],"notes":[],"version":0,"flags":1,"tcp_flags":"S","option_offset":0,"details":[{"rule":"C2","offset":2,"severity":"violation","reason":"mp_capable: version is not 1"}]})" "\n"
    P(2) R"("subtype":"dss","length":9,"violations":["D1"],"notes":[],"error":"dss: length does not match the A, a, M and m flags","tcp_flags":".","option_offset":0,"details":[{"rule":"D1","offset":1,"severity":"violation","reason":"dss: length does not match the A, a, M and m flags"}]})" "\n"
    P(3) R"("subtype":"dss","length":16,"violations":["G5"],"notes":[],"kind":30,"error":"tcp options: length runs past the option area","tcp_flags":".","option_offset":3,"details":[{"rule":"G5","offset":1,"severity":"violation","reason":"tcp options: length runs past the option area"}]})" "\n"
    P(4) R"("subtype":"mp_capable","length":4,"violations":[],"notes":[],"version":1,"flags":1,"tcp_flags":"S","option_offset":0,"details":[]})" "\n"
    P(4) R"("subtype":"mp_join","length":12,"violations":["C10"],"notes":[],"backup":false,"address_id":0,"token":1,"nonce":2,"tcp_flags":"S","option_offset":4,"details":[{"rule":"C10","offset":0,"severity":"violation","reason":"segment: SYN carries both MP_CAPABLE and MP_JOIN"}]})" "\n"
    P(5) R"("subtype":"mp_tcprst","length":4,"violations":["T1"],"notes":[],"flags":0,"transient":false,"reason":1,"tcp_flags":".","option_offset":0,"details":[{"rule":"T1","offset":2,"severity":"violation","reason":"mp_tcprst: carried on a segment without RST"}]})" "\n"
    P(6) R"("subtype":"mp_capable","length":12,"violations":["C1"],"notes":[],"version":1,"flags":1,"sender_key":81985529216486895,"tcp_flags":"S","option_offset":0,"details":[{"rule":"C1","offset":1,"severity":"violation","reason":"mp_capable: SYN form must be 4 bytes"}]})" "\n"
    P(7) R"("subtype":null,"length":2,"violations":["G7"],"notes":[],"error":"mptcp option: fewer than 3 bytes, no room for kind, length and subtype","tcp_flags":".","option_offset":0,"details":[{"rule":"G7","offset":2,"severity":"violation","reason":"mptcp option: fewer than 3 bytes, no room for kind, length and subtype"}]})" "\n";

#undef P

TEST_F(DecodeTest, EverySubtypeAsText) {
  ASSERT_TRUE(capture::testing::WritePcap(Path("valid.pcap"), kLinkEthernet, ValidFrames()));
  const RunResult r = Decode({Path("valid.pcap")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kValidText);
  EXPECT_EQ(r.err, "");
}

TEST_F(DecodeTest, EverySubtypeAsJsonLines) {
  ASSERT_TRUE(capture::testing::WritePcap(Path("valid.pcap"), kLinkEthernet, ValidFrames()));
  const RunResult r = Decode({"--format", "json", Path("valid.pcap")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kValidJson);
  ExpectValidJsonLines(r.out);
}

TEST_F(DecodeTest, ViolationsAsTextExitOne) {
  ASSERT_TRUE(capture::testing::WritePcap(Path("bad.pcap"), kLinkEthernet, MalformedFrames()));
  const RunResult r = Decode({Path("bad.pcap"), "--format=text"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, kMalformedText);
}

TEST_F(DecodeTest, ViolationsAsJsonExitOne) {
  ASSERT_TRUE(capture::testing::WritePcap(Path("bad.pcap"), kLinkEthernet, MalformedFrames()));
  const RunResult r = Decode({Path("bad.pcap"), "-f", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, kMalformedJson);
  ExpectValidJsonLines(r.out);
}

TEST_F(DecodeTest, Ipv6OverSll2) {
  capture::testing::TcpSpec s;
  s.flags = kAck;
  s.options = {0x01, 0x01, 0x1e, 0x03, 0x51};  // nop, nop, mp_prio backup
  const Buf frame =
      capture::testing::Sll2(0x86dd, capture::testing::Ipv6({}, capture::testing::Tcp(s)));
  ASSERT_TRUE(capture::testing::WritePcap(Path("v6.pcap"), 276, {frame}));
  RunResult r = Decode({Path("v6.pcap")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 [2001:db8::1]:43210 > [2001:db8::2]:8080 . <mp_prio backup=1>\n");
  r = Decode({Path("v6.pcap"), "--format", "json"});
  EXPECT_EQ(r.out,
            R"({"frame":1,"src":"2001:db8::1","dst":"2001:db8::2","sport":43210,"dport":8080,)"
            R"("subtype":"mp_prio","length":3,"violations":[],"notes":[],"backup":true,"tcp_flags":".",)"
            R"("option_offset":2,"details":[]})"
            "\n");
}

TEST_F(DecodeTest, NoMptcpIsEmptyOutputAndExitZero) {
  ASSERT_TRUE(capture::testing::WritePcap(Path("plain.pcap"), kLinkEthernet,
                                          {Frame(kSyn, {0x02, 0x04, 0x05, 0xb4})}));
  const RunResult r = Decode({Path("plain.pcap")});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

TEST_F(DecodeTest, UndissectableFramesAreReportedOnStderrNotViolations) {
  Buf cut = Frame(kAck, {0x1e, 0x03, 0x51});
  cut.resize(40);  // TCP header cut short (not by a snap length)
  ASSERT_TRUE(capture::testing::WritePcap(Path("cut.pcap"), kLinkEthernet,
                                          {cut, Frame(kAck, {0x1e, 0x03, 0x51})}));
  const RunResult r = Decode({Path("cut.pcap")});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "2 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_prio backup=1>\n");
  EXPECT_EQ(r.err, "mpdrill decode: " + Path("cut.pcap") +
                       ": frame 1: tcp: header shorter than 20 bytes (offset 40)\n");
}

TEST_F(DecodeTest, SnaplenCutPayloadStillDecodesOptions) {
  ASSERT_TRUE(capture::testing::WritePcap(
      Path("snap.pcap"), kLinkEthernet,
      {{Frame(kAck | kPsh, {0x1e, 0x12, 0x20, 0x05, 0, 0, 0, 7, 0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0,
                            100},
              100),
        96}},
      96));
  const RunResult r = Decode({Path("snap.pcap")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 198.51.100.1:43210 > 198.51.100.2:8080 P. <dss dack4=7 dsn4=1000 ssn=1 dll=100 nocs>\n");
}

TEST_F(DecodeTest, GarbageFileExitsTwoNamingTheFile) {
  const std::string path = Path("garbage.pcap");
  std::ofstream(path) << "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
  const RunResult r = Decode({path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("mpdrill decode: " + path + ": ", 0), 0u) << r.err;
}

TEST_F(DecodeTest, MissingFileExitsTwoNamingTheFile) {
  const RunResult r = Decode({Path("absent.pcap")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(Path("absent.pcap")), std::string::npos) << r.err;
}

TEST_F(DecodeTest, TruncatedFilePrintsWhatItReadThenExitsTwo) {
  const std::string path = Path("trunc.pcap");
  ASSERT_TRUE(capture::testing::WritePcap(
      path, kLinkEthernet, {Frame(kAck, {0x1e, 0x03, 0x51}), Frame(kAck, {0x1e, 0x03, 0x50})}));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  const RunResult r = Decode({path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "1 198.51.100.1:43210 > 198.51.100.2:8080 . <mp_prio backup=1>\n");
  EXPECT_EQ(r.err.rfind("mpdrill decode: " + path + ": after frame 1: ", 0), 0u) << r.err;
}

TEST_F(DecodeTest, UnsupportedLinkTypeExitsTwo) {
  ASSERT_TRUE(capture::testing::WritePcap(Path("wifi.pcap"), 105, {Buf(40, 0)}));
  const RunResult r = Decode({Path("wifi.pcap")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "mpdrill decode: " + Path("wifi.pcap") + ": unsupported link-layer type 105\n");
}

TEST_F(DecodeTest, UsageErrorsExitTwoAndNameTheProblem) {
  RunResult r = Decode({"--frobnicate", "x.pcap"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--frobnicate"), std::string::npos) << r.err;

  r = Decode({"--format", "xml", "x.pcap"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--format must be 'text' or 'json', not 'xml'"), std::string::npos) << r.err;

  r = Decode({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing FILE"), std::string::npos) << r.err;

  r = Decode({"a.pcap", "b.pcap"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(DecodeTest, HelpExitsZeroAndDescribesFormatsAndExitCodes) {
  const RunResult r = Decode({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: mpdrill decode FILE [--format text|json]"), std::string::npos);
  EXPECT_NE(r.out.find("--format"), std::string::npos);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
}

// Random option bytes in well-formed frames: the binary never crashes (exit 0 or 1) and every
// JSON line stays valid JSON.
TEST_F(DecodeTest, RandomOptionAreasNeverCrash) {
  std::vector<Buf> frames;
  std::uint32_t state = 42;
  auto next = [&] { return state = state * 1664525 + 1013904223; };
  for (int i = 0; i < 2000; ++i) {
    Buf opts(4 * (next() % 11));
    for (std::size_t k = 0; k < opts.size(); ++k) {
      const std::uint32_t v = next() >> 24;
      // Bias towards kind 30 and plausible lengths so the codec is reached often.
      opts[k] = static_cast<std::uint8_t>(k == 0 ? (v % 4 ? 30 : v) : k == 1 ? v % 42 : v);
    }
    const std::uint16_t flags = static_cast<std::uint16_t>(next() >> 16) & 0x1f;
    frames.push_back(Frame(flags, opts, next() % 3));
  }
  ASSERT_TRUE(capture::testing::WritePcap(Path("random.pcap"), kLinkEthernet, frames));
  RunResult r = Decode({Path("random.pcap"), "--format", "json"});
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << r.err;
  ExpectValidJsonLines(r.out);
  r = Decode({Path("random.pcap")});
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << r.err;
}

}  // namespace
}  // namespace mpdrill
