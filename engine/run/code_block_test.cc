#include "engine/run/code_block.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace mpdrill::run {
namespace {

bool HavePython() { return std::system("python3 -c pass >/dev/null 2>&1") == 0; }

TEST(CodeBlockTest, DedentMakesOneLinersAndIndentedBlocksStatements) {
  EXPECT_EQ(DedentCode(" assert x == 1, x "), "assert x == 1, x\n");
  EXPECT_EQ(DedentCode("\n   a = 1\n   if a:\n     b = 2\n"), "a = 1\nif a:\n  b = 2\n");
}

TEST(CodeBlockTest, TcpInfoFieldsUpToWhatTheKernelReturned) {
  unsigned char info[104] = {};
  info[0] = 1;     // tcpi_state
  info[6] = 0x72;  // snd_wscale 2, rcv_wscale 7
  info[80] = 10;   // tcpi_snd_cwnd (host order, little endian)
  const std::string v = TcpInfoVariables(info, sizeof(info));
  EXPECT_NE(v.find("tcpi_state = 1\n"), std::string::npos);
  EXPECT_NE(v.find("tcpi_snd_cwnd = 10\n"), std::string::npos);
  EXPECT_NE(v.find("tcpi_snd_wscale = 2\n"), std::string::npos);
  EXPECT_NE(v.find("tcpi_rcv_wscale = 7\n"), std::string::npos);
  EXPECT_NE(v.find("TCP_CA_Recovery = 3\n"), std::string::npos);
  EXPECT_EQ(v.find("tcpi_pacing_rate"), std::string::npos);  // past the 104 bytes
}

// A real socket's TCP_INFO through python3: a true assertion passes, a false one fails the run
// at its block's line with python's message.
TEST(CodeBlockTest, AssertionsRunOverTheSnapshotAfterTheScript) {
  if (!HavePython()) GTEST_SKIP() << "python3 not installed";
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  CodeBlocks ok;
  ASSERT_TRUE(ok.Add(fd, 5, " assert tcpi_state == TCP_CLOSE, tcpi_state ").ok());
  EXPECT_FALSE(ok.Execute("python3", "x.pkt", ".", {"PATH=/usr/bin:/bin"}, std::chrono::seconds(30)));
  CodeBlocks bad;
  ASSERT_TRUE(bad.Add(fd, 5, "assert tcpi_state == TCP_CLOSE").ok());
  ASSERT_TRUE(bad.Add(fd, 9, "\nassert tcpi_state == TCP_LISTEN, tcpi_state\n").ok());
  auto f = bad.Execute("python3", "x.pkt", ".", {"PATH=/usr/bin:/bin"}, std::chrono::seconds(30));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->line, 9);
  EXPECT_EQ(f->message, "error in Python code: AssertionError: 7");
  EXPECT_FALSE(f->environment);
  close(fd);
}

}  // namespace
}  // namespace mpdrill::run
