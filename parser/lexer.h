// Hand-written, reentrant lexer for packetdrill scripts. No global state: every Lexer owns its
// position. Tokens point into the source (string_view), so the source must outlive them.
#ifndef MPDRILL_PARSER_LEXER_H_
#define MPDRILL_PARSER_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "parser/source_loc.h"

namespace mpdrill::parser {

enum class TokenKind : std::uint8_t {
  kEof,
  kInteger,    // 123 (digits only; the sign is a separate '-' token)
  kHex,        // 0x1f (any length)
  kFloat,      // 0.1, .002
  kIpv4,       // 192.0.2.1
  kWord,       // [A-Za-z0-9_]+ that is not a number
  kString,     // "..."   text = contents
  kBackquote,  // `...`   text = contents (may span lines)
  kCode,       // %{...}% text = contents (may span lines)
  kOption,     // --name  text = name
  kEllipsis,   // ...
  kPunct,      // any other printable character: text is that one character
  kError,      // bad byte or unterminated literal; text = the message
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string_view text;
  std::size_t offset = 0;  // byte offset of the token's first character
  std::size_t end = 0;     // byte offset just past the token
  SourceLoc loc;
  bool Is(char punct) const {
    return kind == TokenKind::kPunct && text.size() == 1 && text[0] == punct;
  }
  bool IsWord(std::string_view w) const { return kind == TokenKind::kWord && text == w; }
};

const char* TokenKindName(TokenKind kind);

class Lexer {
 public:
  explicit Lexer(std::string_view source);

  Token Next();
  // Continue lexing from a byte offset (after the parser scanned raw text itself).
  void Reset(std::size_t offset) { pos_ = offset; }
  std::size_t position() const { return pos_; }

  std::string_view source() const { return src_; }
  SourceLoc LocOf(std::size_t offset) const;
  // True if only spaces and tabs precede `offset` on its line.
  bool AtLineStart(std::size_t offset) const;

 private:
  void SkipSpaceAndComments(Token* error);
  Token Make(TokenKind kind, std::size_t start, std::size_t end, std::string_view text) const;

  std::string_view src_;
  std::size_t pos_ = 0;
  std::vector<std::size_t> line_starts_;
};

}  // namespace mpdrill::parser

#endif  // MPDRILL_PARSER_LEXER_H_
