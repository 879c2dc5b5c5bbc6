#include "parser/lexer.h"

#include <algorithm>

namespace mpdrill::parser {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsWordChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Length of a dotted quad at `s` (digits.digits.digits.digits), or 0.
std::size_t MatchIpv4(std::string_view s) {
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return 0;
      ++i;
    }
    const std::size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return 0;
  }
  if (i < s.size() && (IsWordChar(s[i]) || s[i] == '.')) return 0;
  return i;
}

}  // namespace

const char* TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEof: return "end of file";
    case TokenKind::kInteger: return "integer";
    case TokenKind::kHex: return "hex integer";
    case TokenKind::kFloat: return "number";
    case TokenKind::kIpv4: return "IPv4 address";
    case TokenKind::kWord: return "word";
    case TokenKind::kString: return "string";
    case TokenKind::kBackquote: return "shell command";
    case TokenKind::kCode: return "%{ }% code block";
    case TokenKind::kOption: return "--option";
    case TokenKind::kEllipsis: return "'...'";
    case TokenKind::kPunct: return "punctuation";
    case TokenKind::kError: return "invalid input";
  }
  return "token";
}

Lexer::Lexer(std::string_view source) : src_(source) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < src_.size(); ++i) {
    if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceLoc Lexer::LocOf(std::size_t offset) const {
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());  // >= 1
  return SourceLoc{static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
}

bool Lexer::AtLineStart(std::size_t offset) const {
  while (offset > 0) {
    const char c = src_[offset - 1];
    if (c == '\n') return true;
    if (c != ' ' && c != '\t' && c != '\r') return false;
    --offset;
  }
  return true;
}

Token Lexer::Make(TokenKind kind, std::size_t start, std::size_t end,
                  std::string_view text) const {
  Token t;
  t.kind = kind;
  t.offset = start;
  t.end = end;
  t.text = text;
  t.loc = LocOf(start);
  return t;
}

void Lexer::SkipSpaceAndComments(Token* error) {
  while (pos_ < src_.size()) {
    const char c = src_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++pos_;
    } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
      const std::size_t nl = src_.find('\n', pos_);
      pos_ = nl == std::string_view::npos ? src_.size() : nl + 1;
    } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '*') {
      const std::size_t close = src_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) {
        *error = Make(TokenKind::kError, pos_, src_.size(), "unterminated /* comment");
        pos_ = src_.size();
        return;
      }
      pos_ = close + 2;
    } else {
      return;
    }
  }
}

Token Lexer::Next() {
  Token error;
  SkipSpaceAndComments(&error);
  if (error.kind == TokenKind::kError) return error;
  const std::size_t start = pos_;
  if (pos_ >= src_.size()) return Make(TokenKind::kEof, start, start, "");
  const std::string_view rest = src_.substr(pos_);
  const char c = rest[0];

  // Quoted literals: contents kept raw, escapes untouched.
  if (c == '"' || c == '`') {
    std::size_t i = 1;
    while (i < rest.size() && rest[i] != c) {
      if (c == '"' && rest[i] == '\n') break;  // strings stay on one line
      i += (rest[i] == '\\' && i + 1 < rest.size()) ? 2 : 1;
    }
    if (i >= rest.size() || rest[i] != c) {
      pos_ = start + std::min(i, rest.size());
      return Make(TokenKind::kError, start, pos_,
                  c == '"' ? "unterminated string" : "unterminated `shell command`");
    }
    pos_ = start + i + 1;
    return Make(c == '"' ? TokenKind::kString : TokenKind::kBackquote, start, pos_,
                rest.substr(1, i - 1));
  }
  if (c == '%' && rest.size() > 1 && rest[1] == '{') {
    const std::size_t close = rest.find("}%", 2);
    if (close == std::string_view::npos) {
      pos_ = src_.size();
      return Make(TokenKind::kError, start, pos_, "unterminated %{ code block");
    }
    pos_ = start + close + 2;
    return Make(TokenKind::kCode, start, pos_, rest.substr(2, close - 2));
  }
  if (rest.substr(0, 3) == "...") {
    pos_ += 3;
    return Make(TokenKind::kEllipsis, start, pos_, rest.substr(0, 3));
  }
  if (c == '-' && rest.size() > 2 && rest[1] == '-' && IsWordChar(rest[2])) {
    std::size_t i = 2;
    while (i < rest.size() && IsWordChar(rest[i])) ++i;
    pos_ = start + i;
    return Make(TokenKind::kOption, start, pos_, rest.substr(2, i - 2));
  }
  if (IsDigit(c)) {
    if (const std::size_t n = MatchIpv4(rest)) {
      pos_ += n;
      return Make(TokenKind::kIpv4, start, pos_, rest.substr(0, n));
    }
    if (c == '0' && rest.size() > 2 && (rest[1] == 'x' || rest[1] == 'X') && IsHexDigit(rest[2])) {
      std::size_t i = 2;
      while (i < rest.size() && IsHexDigit(rest[i])) ++i;
      if (i >= rest.size() || !IsWordChar(rest[i])) {
        pos_ += i;
        return Make(TokenKind::kHex, start, pos_, rest.substr(0, i));
      }
    }
    std::size_t i = 0;
    while (i < rest.size() && IsDigit(rest[i])) ++i;
    if (i + 1 < rest.size() && rest[i] == '.' && IsDigit(rest[i + 1])) {
      ++i;
      while (i < rest.size() && IsDigit(rest[i])) ++i;
      pos_ += i;
      return Make(TokenKind::kFloat, start, pos_, rest.substr(0, i));
    }
    if (i < rest.size() && IsWordChar(rest[i])) {  // 1234abcd: a word, as in packetdrill
      while (i < rest.size() && IsWordChar(rest[i])) ++i;
      pos_ += i;
      return Make(TokenKind::kWord, start, pos_, rest.substr(0, i));
    }
    pos_ += i;
    return Make(TokenKind::kInteger, start, pos_, rest.substr(0, i));
  }
  if (c == '.' && rest.size() > 1 && IsDigit(rest[1])) {
    std::size_t i = 1;
    while (i < rest.size() && IsDigit(rest[i])) ++i;
    pos_ += i;
    return Make(TokenKind::kFloat, start, pos_, rest.substr(0, i));
  }
  if (IsWordChar(c)) {
    std::size_t i = 0;
    while (i < rest.size() && IsWordChar(rest[i])) ++i;
    pos_ += i;
    return Make(TokenKind::kWord, start, pos_, rest.substr(0, i));
  }
  const auto u = static_cast<unsigned char>(c);
  ++pos_;
  if (u > 0x20 && u < 0x7f) return Make(TokenKind::kPunct, start, pos_, rest.substr(0, 1));
  return Make(TokenKind::kError, start, pos_, "unexpected byte");
}

}  // namespace mpdrill::parser
