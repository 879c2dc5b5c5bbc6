#include "engine/syscalls/eval.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "engine/syscalls/symbols.h"
#include "engine/syscalls/test_util.h"
#include "gtest/gtest.h"

namespace mpdrill::syscalls {
namespace {

using test_util::ParseCalls;

// The first argument of a one-call script, evaluated.
Result<std::int64_t, SyscallError> EvalFirstArg(const std::string& arg,
                                               const std::map<std::string, std::string>& defines = {}) {
  auto calls = ParseCalls("+0 close(" + arg + ") = 0\n");
  EXPECT_EQ(calls.size(), 1u);
  Evaluator ev(&defines, calls.at(0).loc);
  return ev.Int(calls.at(0).call.args.at(0));
}

TEST(SymbolsTest, MptcpNamesHaveTheKernelValues) {
  EXPECT_EQ(LookupSymbol("IPPROTO_MPTCP"), 262);
  EXPECT_EQ(LookupSymbol("SOL_MPTCP"), 284);
  EXPECT_EQ(LookupSymbol("TCP_IS_MPTCP"), 43);
  EXPECT_EQ(LookupSymbol("MPTCP_INFO"), 1);
  EXPECT_EQ(LookupSymbol("TCP_FASTOPEN_CONNECT"), 30);
  EXPECT_EQ(LookupSymbol("MSG_FASTOPEN"), MSG_FASTOPEN);
  EXPECT_EQ(LookupSymbol("SOL_TCP"), IPPROTO_TCP);
  EXPECT_EQ(LookupSymbol("NULL"), 0);
  EXPECT_EQ(LookupSymbol("NOT_A_SYMBOL"), std::nullopt);
  EXPECT_EQ(LookupSymbol("TCP_NLA_SRTT"), TCP_NLA_SRTT);  // from its own translation unit
  EXPECT_EQ(LookupSymbol("TCP_CA_LOSS"), 4);
  EXPECT_EQ(LookupSymbol("TCP_INFINITE_SSTHRESH"), 0x7fffffff);
  EXPECT_EQ(LookupSymbol("SO_EE_ORIGIN_ZEROCOPY"), 5);
  EXPECT_EQ(LookupSymbol("F_SETLEASE"), 1024);
  EXPECT_GT(SymbolCount(), 500u);
}

TEST(SymbolsTest, ErrnoNamesBothWays) {
  EXPECT_EQ(ErrnoFromName("ECONNREFUSED"), ECONNREFUSED);
  EXPECT_EQ(ErrnoFromName("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(ErrnoFromName("ENOTSUP"), EOPNOTSUPP);
  EXPECT_EQ(ErrnoFromName("SOCK_STREAM"), std::nullopt);
  EXPECT_EQ(ErrnoName(EAGAIN), "EAGAIN");  // the canonical name, not EWOULDBLOCK
  EXPECT_EQ(ErrnoName(EINPROGRESS), "EINPROGRESS");
  EXPECT_EQ(ErrnoName(EOPNOTSUPP), "EOPNOTSUPP");
  EXPECT_EQ(ErrnoName(4242), "errno 4242");
  EXPECT_EQ(LookupSymbol("EPIPE"), EPIPE);  // errno names are symbols too
}

TEST(EvalTest, IntegersSymbolsAndBitOr) {
  EXPECT_EQ(*EvalFirstArg("42"), 42);
  EXPECT_EQ(*EvalFirstArg("0x2"), 2);
  EXPECT_EQ(*EvalFirstArg("O_RDWR|O_NONBLOCK"), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(*EvalFirstArg("POLLIN|POLLOUT|POLLERR"), POLLIN | POLLOUT | POLLERR);
  EXPECT_EQ(*EvalFirstArg("htons(8080)"), htons(8080));
  EXPECT_EQ(*EvalFirstArg("htonl(1)"), static_cast<std::int64_t>(htonl(1)));
  in_addr a{};
  inet_pton(AF_INET, "192.0.2.1", &a);
  EXPECT_EQ(*EvalFirstArg("inet_addr(\"192.0.2.1\")"), static_cast<std::int64_t>(a.s_addr));
}

TEST(EvalTest, DefinesMayNameSymbolsNumbersOrBitOrs) {
  const std::map<std::string, std::string> defines = {
      {"CMSG_LEVEL_IP", "SOL_IP"}, {"MY_FLAGS", "O_RDWR | 0x800"}, {"TWICE", "CMSG_LEVEL_IP"},
      {"LOOP_A", "LOOP_B"},        {"LOOP_B", "LOOP_A"},           {"JUNK", "1+2"},
      {"SOCK_STREAM", "7"}};
  EXPECT_EQ(*EvalFirstArg("CMSG_LEVEL_IP", defines), SOL_IP);
  EXPECT_EQ(*EvalFirstArg("TWICE", defines), SOL_IP);
  EXPECT_EQ(*EvalFirstArg("MY_FLAGS", defines), O_RDWR | 0x800);
  EXPECT_EQ(*EvalFirstArg("SOCK_STREAM", defines), 7);  // a define overrides the table
  auto loop = EvalFirstArg("LOOP_A", defines);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("too deep"), std::string::npos);
  auto junk = EvalFirstArg("JUNK", defines);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().message, "define JUNK=1+2 is not an integer or a symbol");
}

TEST(EvalTest, ErrorsCarryTheExpressionLocation) {
  auto calls = ParseCalls("+0 close(3) = 0\n+0.1 close(SOCK_STREEM) = 0\n");
  ASSERT_EQ(calls.size(), 2u);
  const std::map<std::string, std::string> none;
  Evaluator ev(&none, calls[1].loc);
  auto v = ev.Int(calls[1].call.args[0]);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, "unknown symbol: SOCK_STREEM");
  EXPECT_EQ(v.error().loc.line, 2);
  EXPECT_EQ(v.error().loc.col, 12);
  EXPECT_FALSE(EvalFirstArg("...").ok());
  EXPECT_FALSE(EvalFirstArg("[1]").ok());
  EXPECT_FALSE(EvalFirstArg("htons(70000)").ok());
  EXPECT_FALSE(EvalFirstArg("inet_addr(\"2001:db8::1\")").ok());
}

TEST(EvalTest, UnescapeString) {
  EXPECT_EQ(*UnescapeString(R"(a\n\t\\\"b)"), "a\n\t\\\"b");
  EXPECT_EQ(*UnescapeString(R"(\x41\x4a\101\0z)"), std::string("AJA\0z", 5));
  EXPECT_EQ(*UnescapeString("d4d4d4d4"), "d4d4d4d4");
  EXPECT_FALSE(UnescapeString(R"(\q)").ok());
  EXPECT_FALSE(UnescapeString("ends\\").ok());
  EXPECT_FALSE(UnescapeString(R"(\xzz)").ok());
}

}  // namespace
}  // namespace mpdrill::syscalls
