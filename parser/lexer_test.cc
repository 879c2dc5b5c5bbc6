#include "parser/lexer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mpdrill::parser {
namespace {

std::vector<Token> LexAll(std::string_view src) {
  Lexer lex(src);
  std::vector<Token> out;
  for (int i = 0; i < 1000; ++i) {
    Token t = lex.Next();
    if (t.kind == TokenKind::kEof) break;
    out.push_back(t);
  }
  return out;
}

std::string Kinds(std::string_view src) {
  std::string out;
  for (const Token& t : LexAll(src)) {
    if (!out.empty()) out += " ";
    out += std::string(TokenKindName(t.kind)) + ":" + std::string(t.text);
  }
  return out;
}

TEST(LexerTest, NumbersTimesAndSequenceRanges) {
  EXPECT_EQ(Kinds("+0.1"), "punctuation:+ number:0.1");
  EXPECT_EQ(Kinds("+.002"), "punctuation:+ number:.002");
  EXPECT_EQ(Kinds("1:1001(1000)"),
            "integer:1 punctuation:: integer:1001 punctuation:( integer:1000 punctuation:)");
  EXPECT_EQ(Kinds("0x1aF"), "hex integer:0x1aF");
  EXPECT_EQ(Kinds("+0...0.3"), "punctuation:+ integer:0 '...':... number:0.3");
  EXPECT_EQ(Kinds("198.51.100.2"), "IPv4 address:198.51.100.2");
  EXPECT_EQ(Kinds("1234abcd"), "word:1234abcd");
}

TEST(LexerTest, LiteralsKeepTheirRawContents) {
  EXPECT_EQ(Kinds(R"("a\"b")"), R"(string:a\"b)");
  EXPECT_EQ(Kinds("`ip link\nset x`"), "shell command:ip link\nset x");
  EXPECT_EQ(Kinds("%{ assert x }%"), "%{ }% code block: assert x ");
  EXPECT_EQ(Kinds("--tolerance_usecs=5"), "--option:tolerance_usecs punctuation:= integer:5");
}

TEST(LexerTest, CommentsAreSkipped) {
  EXPECT_EQ(Kinds("a // b c\n/* d\n e */ f"), "word:a word:f");
}

TEST(LexerTest, LocationsAreOneBasedLineAndColumn) {
  const std::vector<Token> toks = LexAll("a\n  bb /* x\n */ c");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[1].loc.line, 2);
  EXPECT_EQ(toks[1].loc.col, 3);
  EXPECT_EQ(toks[2].loc.line, 3);
  EXPECT_EQ(toks[2].loc.col, 5);
}

TEST(LexerTest, BadBytesAndUnterminatedLiteralsAreErrorTokens) {
  EXPECT_EQ(Kinds(std::string_view("\x01", 1)), "invalid input:unexpected byte");
  EXPECT_EQ(Kinds("\"abc"), "invalid input:unterminated string");
  EXPECT_EQ(Kinds("`abc"), "invalid input:unterminated `shell command`");
  EXPECT_EQ(Kinds("%{ abc"), "invalid input:unterminated %{ code block");
  EXPECT_EQ(Kinds("/* abc"), "invalid input:unterminated /* comment");
}

TEST(LexerTest, AtLineStart) {
  Lexer lex("  a b\n\tc");
  EXPECT_TRUE(lex.AtLineStart(2));
  EXPECT_FALSE(lex.AtLineStart(4));
  EXPECT_TRUE(lex.AtLineStart(7));
}

}  // namespace
}  // namespace mpdrill::parser
