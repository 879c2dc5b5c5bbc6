// mpdrill-extract-seeds end to end: a pcap written with libpcap goes in, the corpora come out
// with the right files, deduplicated and named by content hash.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/capture/test_frames.h"

namespace {

namespace fs = std::filesystem;
using mpdrill::capture::testing::Buf;
using mpdrill::capture::testing::Ipv4;
using mpdrill::capture::testing::Ipv4Spec;
using mpdrill::capture::testing::Tcp;
using mpdrill::capture::testing::TcpSpec;

constexpr int kLinkRaw = 12;  // DLT_RAW

int RunTool(const std::string& args) {
  const std::string cmd = std::string(MPDRILL_BINARY_DIR) + "/fuzz/mpdrill-extract-seeds " + args +
                          " > /dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::vector<Buf> Files(const fs::path& dir) {
  std::vector<Buf> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    EXPECT_EQ(e.path().filename().string().size(), 40u) << e.path();  // SHA-1 hex
  }
  return out;
}

Buf Frame(std::uint16_t flags, const Buf& options, const Buf& payload = {}) {
  TcpSpec t;
  t.flags = flags;
  t.options = options;
  t.payload = payload;
  return Ipv4(Ipv4Spec{}, Tcp(t));
}

TEST(ExtractSeedsTest, SplitsOptionsBySubtypeAndDeduplicates) {
  const std::string dir = mpdrill::capture::testing::MakeTempDir();
  const Buf mpc_syn = {30, 4, 0x01, 0x81};
  const Buf dss_ack = {30, 8, 0x20, 0x01, 0, 0, 3, 0xe9};
  const Buf add_addr = {30, 8, 0x31, 5, 203, 0, 113, 2};
  const Buf prio = {30, 3, 0x51};
  const std::vector<Buf> frames = {
      Frame(0x002, Buf{2, 4, 0x05, 0xb4, 1, 1, 4, 2, 30, 4, 0x01, 0x81}),  // SYN: MSS, SACK-perm, MPC
      Frame(0x002, Buf{2, 4, 0x05, 0xb4, 1, 1, 4, 2, 30, 4, 0x01, 0x81}),  // the same again
      Frame(0x010, Buf{1, 1, 30, 8, 0x20, 0x01, 0, 0, 3, 0xe9}),
      Frame(0x010, Buf{30, 8, 0x31, 5, 203, 0, 113, 2, 30, 3, 0x51, 1}),
      Frame(0x010, Buf{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}),  // no MPTCP: no seed
  };
  const std::string pcap = dir + "/in.pcap";
  ASSERT_TRUE(mpdrill::capture::testing::WritePcap(pcap, kLinkRaw, frames));
  ASSERT_EQ(RunTool("--out " + dir + "/corpus " + pcap), 0);

  const std::uint8_t syn_flags = 0x01 | 0x02 | 0x04 | 0x10 | 0x40;
  const std::uint8_t ack_flags = 0x01 | 0x04 | 0x08 | 0x10 | 0x40;
  auto with = [](std::uint8_t flags, const Buf& b) {
    Buf v{flags};
    v.insert(v.end(), b.begin(), b.end());
    return v;
  };
  const auto mpc = Files(dir + "/corpus/mp_capable_fuzzer");
  const auto dss = Files(dir + "/corpus/dss_fuzzer");
  const auto addr = Files(dir + "/corpus/add_addr_fuzzer");
  const auto list = Files(dir + "/corpus/option_list_fuzzer");
  // MP_PRIO (no harness of its own) goes to all three single-option corpora.
  EXPECT_EQ(mpc.size(), 2u);
  EXPECT_EQ(dss.size(), 2u);
  EXPECT_EQ(addr.size(), 2u);
  EXPECT_NE(std::find(mpc.begin(), mpc.end(), with(syn_flags, mpc_syn)), mpc.end());
  EXPECT_NE(std::find(dss.begin(), dss.end(), with(ack_flags, dss_ack)), dss.end());
  EXPECT_NE(std::find(addr.begin(), addr.end(), with(ack_flags, add_addr)), addr.end());
  EXPECT_NE(std::find(addr.begin(), addr.end(), with(ack_flags, prio)), addr.end());
  EXPECT_EQ(list.size(), 3u);  // three distinct areas with MPTCP; the duplicate SYN is dropped

  // Running again adds nothing; --crafted adds the named malformed seeds.
  ASSERT_EQ(RunTool("--out " + dir + "/corpus " + pcap), 0);
  EXPECT_EQ(Files(dir + "/corpus/dss_fuzzer").size(), 2u);
  ASSERT_EQ(RunTool("--out " + dir + "/crafted --crafted"), 0);
  EXPECT_TRUE(fs::exists(dir + "/crafted/dss_fuzzer/crafted-m-without-M.bin"));
  EXPECT_TRUE(fs::exists(dir + "/crafted/option_list_fuzzer/crafted-syn-mpc-and-join.bin"));
}

TEST(ExtractSeedsTest, RejectsUsageErrorsAndUnreadableFiles) {
  EXPECT_EQ(RunTool(""), 2);
  EXPECT_EQ(RunTool("--bogus"), 2);
  const std::string dir = mpdrill::capture::testing::MakeTempDir();
  EXPECT_EQ(RunTool("--out " + dir + " " + dir + "/missing.pcap"), 2);
}

}  // namespace
