// Located errors (exact line:col), recovery at the next event, and hostile input.
#include <string>

#include <gtest/gtest.h>

#include "parser/parser.h"
#include "parser/test_util.h"

namespace mpdrill::parser {
namespace {

using testing::ParseErrors;

struct Case {
  const char* text;
  int line, col;
  const char* message;  // substring
};

void ExpectOneError(const Case& c) {
  const Diagnostics d = ParseErrors(c.text);
  ASSERT_EQ(d.size(), 1u) << c.text << FormatDiagnostics(d);
  EXPECT_EQ(d.items[0].line, c.line) << c.text << d.items[0].message;
  EXPECT_EQ(d.items[0].col, c.col) << c.text << d.items[0].message;
  EXPECT_NE(d.items[0].message.find(c.message), std::string::npos)
      << c.text << " got: " << d.items[0].message;
}

TEST(ParserErrorsTest, TruncatedPacketLinesPointAtTheEndOfTheLine) {
  const Case cases[] = {
      {"+0 < S 0:0(0) ack\n+0 close(3) = 0\n", 1, 18, "expected ack number"},
      {"+0 < S 0:0\n", 1, 11, "expected '('"},
      {"+0 < S 0:0(0\n", 1, 13, "expected ')'"},
      {"+0 <\n", 1, 5, "expected TCP flags"},
      {"+0 < S 0:0(0) win 1 <mss 1460,\n", 1, 31, "expected TCP option"},
      {"+0 < S 0:0(0) win 1 <mss 1460\n", 1, 30, "expected '>'"},
      {"+0 > . 1:1(0) <dss dack8=\n", 1, 26, "expected sequence value"},
      {"+0 close(3) =\n", 1, 14, "expected an expression"},
      {"+0 write(3, ..., 10\n", 1, 20, "expected ',' or ')'"},
  };
  for (const Case& c : cases) ExpectOneError(c);
}

TEST(ParserErrorsTest, BadOptionsAndUnknownKeywords) {
  const Case cases[] = {
      {"+0 < S 0:0(0) win 1 <mss 1460, bogus 3>\n", 1, 32, "unknown TCP option 'bogus'"},
      {"+0 < S 0:0(0) win 1 <TS 1 ecr 2>\n", 1, 25, "expected 'val'"},
      {"+0 < S 0:0(0) win 1 <mss 1460 nop>\n", 1, 31, "missing ','"},
      {"+0 < [bogus 1] S 0:0(0) win 1\n", 1, 7, "unknown IP info 'bogus'"},
      {"+0 < XYZ 0:0(0) win 1\n", 1, 6, "invalid TCP flags 'XYZ'"},
      {"+0 frobnicate\n", 1, 4, "expected a packet"},
      {"foo(3) = 0\n", 1, 1, "expected event time"},
      {"+0 < S 0:0(0) wn 1\n", 1, 15, "expected event time"},
  };
  for (const Case& c : cases) ExpectOneError(c);
}

TEST(ParserErrorsTest, BadMptcpOptionsPspHeadersAndAceFlags) {
  const Case cases[] = {
      {"+0 < . 1:1(0) win 1 <mpcapable v16 flags[flag_h] nokey>\n", 1, 32,
       "MP_CAPABLE version out of range: v16"},
      {"+0 < . 1:1(0) win 1 <mpcapable v1 flags[flag_z] nokey>\n", 1, 41,
       "unknown mpcapable flag 'flag_z'"},
      {"+0 < . 1:1(0) win 1 <mpcapable v1 flags[flag_h]>\n", 1, 48,
       "expected 'nokey' or 'key[...]' in mpcapable"},
      {"+0 < . 1:1(0) win 1 <remove_address address_id=[256]>\n", 1, 49,
       "address_id out of range: 256 (maximum 255)"},
      {"+0 < . 1:1(0) win 1 <dss dack5=1>\n", 1, 26, "found 'dack5'"},
      {"+0 < S 0:0(0) win 1 <mp_join_syn token=sha512_32(k)>\n", 1, 40, "found 'sha512_32'"},
      {"+0 < . 1:1(0) win 1 <add_address addr[x=inet_addr(\"198.51.100.300\")] hmac=auto>\n", 1,
       51, "invalid IPv4 address"},
      {"+0 < . 1:1(0) win 1 <mp_reset 256>\n", 1, 31, "mp_reset reason out of range"},
      {"+0 < . 1:1(0) win 1 <mp_fail dsn4=1>\n", 1, 30, "not dsn4"},
      {"+0 < . 1:1(0) win 1 <mp_capable_no_cs a b c>\n", 1, 43, "unexpected 'c'"},
      {"+0 < . 1:1(0) win 1 <mss>\n", 1, 25, "expected mss (a number)"},
      {"+0 < encap psp 12 . 1:1(0) win 1\n", 1, 16, "expected 'spi'"},
      {"+0 < ipv4 192.0.2.1 > 192.0.2.2: psp spi 0x100000000: . 1:1(0) win 1\n", 1, 42,
       "PSP spi out of range"},
      {"+0 < ipv4 192.0.2.1 > 192.0.2.2: psp spi 1 . 1:1(0) win 1\n", 1, 44, "expected ':'"},
      {"+0 > P55. 1:1(0) ack 1\n", 1, 6, "invalid TCP flags 'P55.'"},
      {"+0 > P8. 1:1(0) ack 1\n", 1, 6, "invalid TCP flags 'P8.'"},
  };
  for (const Case& c : cases) ExpectOneError(c);
}

TEST(ParserErrorsTest, UnbalancedBrackets) {
  const Case cases[] = {
      {"+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1, 4) = 0\n", 1, 49, "expected ',' or ']'"},
      {"+0 poll([{fd=3, events=POLLIN], 1, 0) = 1\n", 1, 30, "expected ',' or '}'"},
      {"+0 f(3)) = 0\n", 1, 8, "expected '='"},
      {"+0 < . 1:1(0) win 1 <mpcapable v1 flags[flag_h key[a]>\n", 1, 48, "expected ']'"},
  };
  for (const Case& c : cases) ExpectOneError(c);
}

TEST(ParserErrorsTest, OutOfRangeNumbers) {
  const Case cases[] = {
      {"+0 < S 0:0(0) win 65536\n", 1, 19, "window out of range: 65536 (maximum 65535)"},
      {"+0 < S 4294967296:4294967296(0) win 1\n", 1, 8, "start sequence number out of range"},
      {"+0 < S 0:0(0) win 1 <wscale 256>\n", 1, 29, "window scale shift count out of range"},
      {"+0 < . 1:1(0) ack 99999999999999999999999\n", 1, 19, "ack number out of range"},
      {"+0 close(99999999999999999999) = 0\n", 1, 10, "integer out of range"},
      {"+0 close(0x1ffffffffffffffff) = 0\n", 1, 10, "integer out of range"},
      {"+99999999999 close(3) = 0\n", 1, 2, "event time out of range"},
      {"+0 < [tos 0x100] S 0:0(0) win 1\n", 1, 11, "tos out of range"},
      {"+0 < [flowlabel 0x100000] S 0:0(0) win 1\n", 1, 17, "flowlabel out of range"},
  };
  for (const Case& c : cases) ExpectOneError(c);
}

TEST(ParserErrorsTest, SemanticChecks) {
  const Case cases[] = {
      {"* < S 0:0(0) win 1\n", 1, 1, "'*' can only be used with outbound packets"},
      {"+0.1~+0.2 close(3) = 0\n", 1, 1, "range can only be used with outbound packets"},
      {"+0.2~+0.1 > S 0:0(0)\n", 1, 7, "time range is backwards"},
      {"+0.1~0.2 > S 0:0(0)\n", 1, 6, "expected '+' after '~'"},
      {"+0 < S 0:0(0) <...>\n", 1, 15, "<...> for TCP options can only be used with outbound"},
      {"+0 < . 1:11(5) win 1\n", 1, 8, "inconsistent TCP sequence numbers and payload size: "
                                      "expected: 6 actual: 11"},
      {"+0 < [ect01] . 1:1(0) win 1\n", 1, 4, "[ect01] can only be used with outbound"},
      {"+0 close(3) = 0\n--late_option=1\n", 2, 1, "after the first event"},
      {"+0 close(3) = 0\n`no time`\n+0 close(4) = 0\n", 2, 1, "needs an event time"},
  };
  for (const Case& c : cases) ExpectOneError(c);
}

TEST(ParserErrorsTest, RecoveryReportsEveryBrokenEvent) {
  const Diagnostics d = ParseErrors(
      "--tolerance_usecs=1000\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n"
      "+0 < S. 0:0(0) ack\n"                      // truncated
      "+0 > . 1:1(0) ack 1 <mss 99999>\n"         // out of range
      "+0 close(3) = 0\n"
      "+0 frobnicate the socket\n"                // unknown action
      "+0 close(4) = 0\n");
  ASSERT_EQ(d.size(), 3u) << FormatDiagnostics(d);
  EXPECT_EQ(d.items[0].line, 3);
  EXPECT_EQ(d.items[1].line, 4);
  EXPECT_EQ(d.items[2].line, 6);
}

TEST(ParserErrorsTest, BinaryGarbageIsALocatedError) {
  const std::string garbage =
      std::string("+0 close(3) = 0\n+0 ") + "\x01\x02\xff" + "\n+0 close(4) = 0\n";
  const Diagnostics d = ParseErrors(garbage);
  ASSERT_EQ(d.size(), 1u) << FormatDiagnostics(d);
  EXPECT_EQ(d.items[0].line, 2);
  EXPECT_EQ(d.items[0].col, 4);
  EXPECT_EQ(d.items[0].message, "unexpected byte 0x01");
  EXPECT_EQ(d.items[0].excerpt, "+0 ???");
}

TEST(ParserErrorsTest, UnterminatedLiterals) {
  ExpectOneError({"+0 `never closed\n+0 close(3) = 0\n", 1, 4, "unterminated `shell command`"});
  ExpectOneError({"+0 %{ never closed\n", 1, 4, "unterminated %{ code block"});
  ExpectOneError({"+0 open(\"abc) = 3\n", 1, 9, "unterminated string"});
  ExpectOneError({"+0 close(3) = 0 /* open\n", 1, 17, "unterminated /* comment"});
}

TEST(ParserErrorsTest, DeepNestingIsBoundedNotAStackOverflow) {
  const std::string deep = "+0 f(" + std::string(100000, '[') + "1" + std::string(100000, ']') +
                           ") = 0\n";
  const Diagnostics d = ParseErrors(deep);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d.items[0].message.find("nested too deeply"), std::string::npos);
  const std::string parens = "+0 f(" + std::string(100000, '(') + ") = 0\n";
  EXPECT_EQ(ParseErrors(parens).size(), 1u);
  // Within the limit is fine.
  ParseOptions options;
  const std::string ok = "+0 f(" + std::string(30, '[') + "1" + std::string(30, ']') + ") = 0\n";
  EXPECT_TRUE(Parse(ok, "ok.pkt", options).ok());
}

TEST(ParserErrorsTest, ManyErrorsAreCappedAndEveryLineIsVisitedOnce) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "+0 bogus\n";
  ParseOptions options;
  options.max_errors = 10;
  auto r = Parse(text, "many.pkt", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().size(), 10u);
}

TEST(ParserErrorsTest, DiagnosticFormat) {
  const Diagnostics d = ParseErrors("+0 close(3) = 0\n\t+0 < S 0:0(0) win 70000\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(FormatDiagnostic(d.items[0]),
            "bad.pkt:2:20: error: window out of range: 70000 (maximum 65535)\n"
            "\t+0 < S 0:0(0) win 70000\n"
            "\t                  ^\n");
}

TEST(ParserErrorsTest, EmptyAndCommentOnlyScriptsParse) {
  EXPECT_TRUE(Parse("", "empty.pkt").ok());
  EXPECT_TRUE(Parse("// nothing\n/* at all */\n", "c.pkt").ok());
}

}  // namespace
}  // namespace mpdrill::parser

namespace mpdrill::parser {
namespace {

// Fuzzer finding (corpus/parser_roundtrip_fuzzer/regression_option_value_backquote_spans_lines):
// a back quote inside an option value swallowed the following lines, and binary bytes were kept
// in the value; both are now located errors on the option's line.
TEST(ParserErrorsTest, RegressionOptionValueQuoteAndBinaryBytes) {
  ExpectOneError({"--tolerance_usecs=4`000\n`init`\n+0 close(3) = 0\n", 1, 20,
                  "unterminated quote in option value"});
  ExpectOneError({"--tolerance_usecs=\xff\n+0 close(3) = 0\n", 1, 19,
                  "unexpected byte 0xff in option value"});
  ExpectOneError({"+0 close(3) = -1 (bad \x01 note)\n", 1, 23, "unexpected byte in the note"});
}

}  // namespace
}  // namespace mpdrill::parser
