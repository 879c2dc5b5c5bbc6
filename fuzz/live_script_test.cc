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

TEST(LiveScriptTest, KernelAsClientIsRefused) {
  LiveInput in;
  in.header.how = kHowKernelClient;
  const auto text = WriteLiveScript(in, kHeader);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().find("the kernel as client"), std::string::npos);
}

}  // namespace
}  // namespace mpdrill::fuzz
