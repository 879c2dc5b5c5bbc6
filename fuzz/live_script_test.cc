#include "fuzz/live_script.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "parser/parser.h"

namespace mpdrill::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const LiveScriptHeader kHeader{"Linux 6.18", "model: D10 (RFC 8684 §3.3.2) ...", "finding", 4};

TEST(LiveScriptTest, TheD10FindingAsAScript) {
  const LiveInput in = DecodeLiveInput(
      ReadBytes(MPDRILL_SOURCE_DIR "/fuzz/findings/live_d10_segment_longer_than_mapping"));
  const auto text = WriteLiveScript(in, kHeader);
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_TRUE(parser::Parse(*text, "d10.pkt").ok()) << *text;
  for (const char* line : {
           "// Finding of fuzz/live_fuzzer.cc on Linux 6.18",
           "// Rule: model: D10 (RFC 8684 §3.3.2) ...",
           "+0.000 < addr[caddr0] > addr[saddr0] . 1:1(0) ack 1 win 65535 <mpcapable v1 "
           "flags[flag_h] key[ckey=0x123456789abcdef, skey]>",
           "mp_join_syn backup=0 address_id=1 token=sha256_32(skey) rand=0x77>",
           "< addr[caddr1] > addr[saddr0] . 1:1(0) ack 1 win 65535 <mp_join_ack "
           "sender_hmac=auto>",
           // The segment of 629 bytes under a mapping of 255, then the application's write.
           "< addr[caddr0] > addr[saddr0] P. 1:630(629) ack 1 win 65535 <dss dack8 "
           "dsn8=1 ssn=1 dll=255 nocs>",
           "write(4, ..., 497) = 497",
       }) {
    EXPECT_NE(text->find(line), std::string::npos) << line << "\n" << *text;
  }
}

// Every seed either becomes a script that parses or is refused with the reason.
TEST(LiveScriptTest, EveryCorpusInputParsesOrIsRefusedWithAReason) {
  int written = 0;
  for (const auto& e : fs::directory_iterator(MPDRILL_SOURCE_DIR "/corpus/live_fuzzer")) {
    const LiveInput in = DecodeLiveInput(ReadBytes(e.path()));
    const auto text = WriteLiveScript(in, kHeader);
    if (!text.ok()) {
      EXPECT_NE(text.error().find("not written as a script yet"), std::string::npos)
          << e.path() << ": " << text.error();
      continue;
    }
    const auto parsed = parser::Parse(*text, e.path().filename().string());
    EXPECT_TRUE(parsed.ok()) << e.path() << "\n" << *text;
    ++written;
  }
  EXPECT_GT(written, 20);
}

TEST(LiveScriptTest, WrongChecksumIsTheRightOneFlipped) {
  LiveInput in;
  in.header.how = kHowChecksums;
  DataStep good;
  good.length = 10;
  DataStep bad = good;
  bad.how = 0x20;
  bad.checksum_xor = 0x0101;
  in.steps = {good};
  const std::string a = *WriteLiveScript(in, kHeader);
  in.steps = {bad};
  const std::string b = *WriteLiveScript(in, kHeader);
  const auto cksum = [](const std::string& t) {
    const auto at = t.find("cksum=");
    return std::stoul(t.substr(at + 6, t.find(' ', at) - at - 6), nullptr, 16);
  };
  EXPECT_EQ(cksum(a) ^ cksum(b), 0x0101u);
}

TEST(LiveScriptTest, TraceLinesRoundTrip) {
  const std::string text = "< 0\n> 0 S. 0 0 1\nw\n> 1 P. 1 497 1\n> 1 R 0 0 -1\n";
  const auto t = ParseTrace(text);
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(t->size(), 5u);
  EXPECT_TRUE((*t)[2].write);
  EXPECT_EQ((*t)[3].length, 497u);
  EXPECT_FALSE((*t)[4].ack.has_value());
  std::string again;
  for (const LiveTraceEvent& e : *t) again += FormatTraceEvent(e) + "\n";
  EXPECT_EQ(again, text);
  const auto bad = ParseTrace("< 0\n> 0 Q 1 2 3\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("line 2"), std::string::npos);
}

// With the run's trace every kernel packet becomes an outbound line where it crossed the wire:
// here the kernel's ACK of the data before the join's SYN/ACK, and its data after the write.
TEST(LiveScriptTest, TheKernelsPacketsFromTheTrace) {
  LiveInput in;
  DataStep data;
  data.length = 100;
  in.steps = {data, JoinStep{}, AppWriteStep{.bytes = 10, .flow = 1}};
  const auto trace = ParseTrace(
      "< 0\n> 0 S. 0 0 1\n< 0\n"  // handshake
      "< 0\n> 0 . 1 0 101\n"        // data, acknowledged
      "< 1\n> 1 S. 0 0 1\n< 1\n> 1 . 1 0 1\n"  // join
      "w\n> 1 P. 1 10 1\n< 1\n");  // the write, mpdrill's ACK
  ASSERT_TRUE(trace.ok());
  const auto text = WriteLiveScript(in, kHeader, &*trace);
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_TRUE(parser::Parse(*text, "t.pkt").ok()) << *text;
  for (const char* line : {
           "> addr[saddr0] > addr[caddr0] S. 0:0(0) ack 1 <mss 1460, nop, wscale 8,",
           "> addr[saddr0] > addr[caddr0] . 1:1(0) ack 101 <...>\n// join",
           "write(4, ..., 10) = 10\n+0.000 > addr[saddr0] > addr[caddr1] P. 1:11(10) ack 1 <...>",
           "< addr[caddr1] > addr[saddr0] . 1:1(0) ack 11 win 65535 <dss dack8 dll=0 nocs>",
       }) {
    EXPECT_NE(text->find(line), std::string::npos) << line << "\n" << *text;
  }
  // A trace of another run does not fit: refused, with where.
  const auto other = ParseTrace("< 1\n");
  const auto refused = WriteLiveScript(in, kHeader, &*other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("does not follow the steps"), std::string::npos);
}

TEST(LiveScriptTest, KernelAsClientIsRefused) {
  LiveInput in;
  in.header.how = kHowKernelClient;
  const auto text = WriteLiveScript(in, kHeader);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().find("the kernel as client"), std::string::npos);
}

}  // namespace
}  // namespace mpdrill::fuzz
