// System call events and their argument expressions.
#include <string>
#include <utility>

#include "parser/parser_impl.h"

namespace mpdrill::parser::internal {

bool ScriptParser::ParseSyscall(Syscall* out) {
  if (Peek().kind == TokenKind::kEllipsis) {  // blocking call: ...0.3 read(...)
    Take();
    std::int64_t end = 0;
    if (!ParseSeconds("end time of the blocking call after '...'", &end)) return false;
    out->end_usecs = end;
  }
  if (Peek().kind != TokenKind::kWord) return Expected("system call name");
  out->name = std::string(Take().text);
  if (!Expect('(')) return false;
  if (!ParseExprList(')', &out->args)) return false;
  if (!Expect('=')) return false;
  if (!ParseExpr(&out->result)) return false;
  // Optional `ERRNO` and `(note)`, on the same line as the result.
  const int line = lex_.LocOf(prev_end_).line;
  if (Peek().kind == TokenKind::kWord && Peek().loc.line == line) {
    out->errno_name = std::string(Take().text);
  }
  if (Peek().Is('(') && Peek().loc.line == line) {
    const Token open = Take();
    const std::string_view src = source();
    std::size_t pos = open.end;
    int nesting = 1;
    std::string note;
    bool space = false;
    while (pos < src.size() && src[pos] != '\n') {
      const char c = src[pos];
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t' && c != '\r') || u >= 0x7f) {
        return Error(lex_.LocOf(pos), "unexpected byte in the note after the result");
      }
      if (c == '(') ++nesting;
      if (c == ')' && --nesting == 0) break;
      if (c == ' ' || c == '\t' || c == '\r') {
        space = !note.empty();
      } else {
        if (space) note.push_back(' ');
        space = false;
        note.push_back(c);
      }
      ++pos;
    }
    if (pos >= src.size() || src[pos] != ')') {
      return Error(open.loc, "unterminated '(' note after the system call result");
    }
    out->note = std::move(note);
    ResetTo(pos + 1);
  }
  return true;
}

bool ScriptParser::ParseExprList(char close, std::vector<Expr>* out) {
  if (TakeIf(close)) return true;
  while (true) {
    Expr e;
    if (!ParseExpr(&e)) return false;
    out->push_back(std::move(e));
    if (TakeIf(close)) return true;
    if (!TakeIf(',')) return Expected(std::string("',' or '") + close + "'");
  }
}

bool ScriptParser::ParseExpr(Expr* out) {
  DepthGuard guard(this);
  if (guard.TooDeep()) return Error(Peek().loc, "expression nested too deeply");
  if (!ParsePrimary(out)) return false;
  while (Peek().Is('|')) {
    Take();
    Expr rhs;
    if (!ParsePrimary(&rhs)) return false;
    Expr bin;
    bin.kind = ExprKind::kBitOr;
    bin.loc = out->loc;
    bin.children.push_back(std::move(*out));
    bin.children.push_back(std::move(rhs));
    *out = std::move(bin);
  }
  return true;
}

bool ScriptParser::ParsePrimary(Expr* out) {
  const Token& t = Peek();
  out->loc = t.loc;
  switch (t.kind) {
    case TokenKind::kEllipsis:
      Take();
      out->kind = ExprKind::kEllipsis;
      return true;
    case TokenKind::kInteger:
    case TokenKind::kHex: {
      out->kind = ExprKind::kInteger;
      out->hex = t.kind == TokenKind::kHex;
      std::uint64_t v = 0;
      const std::uint64_t max = out->hex ? ~std::uint64_t{0} : 0x7fffffffffffffffULL;
      if (!ParseUnsigned(max, "integer", &v)) return false;
      out->integer = static_cast<std::int64_t>(v);
      return true;
    }
    case TokenKind::kString: {
      out->kind = ExprKind::kString;
      out->text = std::string(Take().text);
      if (Peek().kind == TokenKind::kEllipsis) {
        Take();
        out->string_ellipsis = true;
        return true;
      }
      if (Peek().kind != TokenKind::kString) return true;
      Expr concat;
      concat.kind = ExprKind::kConcat;
      concat.loc = out->loc;
      concat.children.push_back(std::move(*out));
      while (Peek().kind == TokenKind::kString) {
        Expr s;
        s.kind = ExprKind::kString;
        s.loc = Peek().loc;
        s.text = std::string(Take().text);
        concat.children.push_back(std::move(s));
      }
      *out = std::move(concat);
      return true;
    }
    case TokenKind::kWord: {
      out->text = std::string(Take().text);
      out->kind = ExprKind::kWord;
      if (Peek().Is('(')) {
        Take();
        out->kind = ExprKind::kCall;
        if (!ParseExprList(')', &out->children)) return false;
      }
      if (Peek().Is('=')) {
        Take();
        Expr rhs;
        if (!ParseExpr(&rhs)) return false;
        Expr assign;
        assign.kind = ExprKind::kAssign;
        assign.loc = out->loc;
        assign.children.push_back(std::move(*out));
        assign.children.push_back(std::move(rhs));
        *out = std::move(assign);
      }
      return true;
    }
    case TokenKind::kPunct:
      if (t.Is('-')) {  // negative integer
        Take();
        if (Peek().kind != TokenKind::kInteger) return Expected("integer after '-'");
        std::uint64_t v = 0;
        if (!ParseUnsigned(0x8000000000000000ULL, "integer", &v)) return false;
        out->kind = ExprKind::kInteger;
        out->integer = static_cast<std::int64_t>(0 - v);
        return true;
      }
      if (t.Is('[')) {
        Take();
        out->kind = ExprKind::kList;
        return ParseExprList(']', &out->children);
      }
      if (t.Is('{')) {
        Take();
        out->kind = ExprKind::kBraces;
        return ParseExprList('}', &out->children);
      }
      break;
    case TokenKind::kEof:
    case TokenKind::kFloat:
    case TokenKind::kIpv4:
    case TokenKind::kBackquote:
    case TokenKind::kCode:
    case TokenKind::kOption:
    case TokenKind::kError:
      break;
  }
  return Expected("an expression");
}

}  // namespace mpdrill::parser::internal
