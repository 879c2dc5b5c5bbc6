// Script structure: header options, init/cleanup commands, events and their times, errors,
// number ranges and recovery. Packets, syscalls and MPTCP options live in parser_*.cc.
#include "parser/parser.h"

#include <cstdio>
#include <limits>
#include <utility>

#include "parser/parser_impl.h"

namespace mpdrill::parser {
namespace internal {
namespace {

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool IsSpace(char c) { return IsSpaceOrTab(c) || c == '\n' || c == '\f' || c == '\v'; }

bool IsPrintable(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x7f;
}

// Raw text of a header option value: up to whitespace, keeping "..." and `...` (closed on the
// same line) intact. Returns the end offset, or sets *bad to the offset of a bad byte.
std::size_t ScanOptionValue(std::string_view src, std::size_t pos, std::size_t* bad) {
  while (pos < src.size() && !IsSpace(src[pos])) {
    const char c = src[pos];
    if (!IsPrintable(c)) {
      *bad = pos;
      return pos;
    }
    if (c == '"' || c == '`') {
      std::size_t close = pos + 1;
      while (close < src.size() && src[close] != c && IsPrintable(src[close])) ++close;
      if (close >= src.size() || src[close] != c) {
        *bad = pos;
        return pos;
      }
      pos = close + 1;
    } else {
      ++pos;
    }
  }
  return pos;
}

constexpr std::int64_t kMaxSeconds = 1'000'000'000;  // ~31 years: any larger time is a typo

}  // namespace

ScriptParser::ScriptParser(std::string_view source, std::string_view file,
                           const ParseOptions& options)
    : lex_(source), file_(file), options_(options) {}

const Token& ScriptParser::Peek(std::size_t n) {
  while (lookahead_.size() <= n) lookahead_.push_back(lex_.Next());
  return lookahead_[n];
}

Token ScriptParser::Take() {
  Token t = Peek();
  if (t.kind != TokenKind::kEof) {
    lookahead_.pop_front();
    prev_end_ = t.end;
  }
  return t;
}

bool ScriptParser::TakeIf(char punct) {
  if (!Peek().Is(punct)) return false;
  Take();
  return true;
}

bool ScriptParser::TakeWordIf(std::string_view word) {
  if (!Peek().IsWord(word)) return false;
  Take();
  return true;
}

void ScriptParser::ResetTo(std::size_t offset) {
  lookahead_.clear();
  lex_.Reset(offset);
  prev_end_ = offset;
}

bool ScriptParser::Error(SourceLoc loc, std::string message) {
  if (!failed_ && static_cast<int>(diags_.items.size()) < options_.max_errors) {
    diags_.items.push_back(MakeDiagnostic(file_, lex_.source(), loc, std::move(message)));
  }
  failed_ = true;
  return false;
}

std::string ScriptParser::Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEof: return "end of file";
    case TokenKind::kError: return std::string(t.text);
    case TokenKind::kString: return "string \"" + std::string(t.text.substr(0, 40)) + "\"";
    case TokenKind::kBackquote: return "`shell command`";
    case TokenKind::kCode: return "%{ code block }%";
    case TokenKind::kOption: return "'--" + std::string(t.text) + "'";
    case TokenKind::kInteger:
    case TokenKind::kHex:
    case TokenKind::kFloat:
    case TokenKind::kIpv4:
    case TokenKind::kWord:
    case TokenKind::kEllipsis:
    case TokenKind::kPunct:
      return "'" + std::string(t.text.substr(0, 40)) + "'";
  }
  return "token";
}

bool ScriptParser::Expected(std::string_view what) {
  const Token& t = Peek();
  if (t.kind == TokenKind::kError) {
    std::string msg(t.text);
    if (msg == "unexpected byte") {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x",
                    static_cast<unsigned>(static_cast<unsigned char>(lex_.source()[t.offset])));
      msg += std::string(" ") + hex;
    }
    return Error(t.loc, msg);
  }
  const SourceLoc prev = lex_.LocOf(prev_end_);
  if (prev_end_ > 0 && (t.kind == TokenKind::kEof || t.loc.line > prev.line)) {
    return Error(prev, "expected " + std::string(what) + " before end of line");
  }
  return Error(t.loc, "expected " + std::string(what) + ", found " + Describe(t));
}

bool ScriptParser::Expect(char punct) {
  if (TakeIf(punct)) return true;
  return Expected(std::string("'") + punct + "'");
}

bool ScriptParser::ExpectWord(std::string_view word) {
  if (TakeWordIf(word)) return true;
  return Expected("'" + std::string(word) + "'");
}

bool ScriptParser::ParseUnsigned(std::uint64_t max, std::string_view what, std::uint64_t* out) {
  const Token& t = Peek();
  std::uint64_t v = 0;
  if (t.kind == TokenKind::kInteger) {
    for (char c : t.text) {
      const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
      if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
        return Error(t.loc, std::string(what) + " out of range: " + std::string(t.text));
      }
      v = v * 10 + d;
    }
  } else if (t.kind == TokenKind::kHex) {
    std::string_view digits = t.text.substr(2);
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    if (digits.size() > 16) {
      return Error(t.loc, std::string(what) + " out of range: " + std::string(t.text));
    }
    for (char c : digits) {
      const int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
      v = (v << 4) | static_cast<std::uint64_t>(d);
    }
  } else {
    return Expected(std::string(what) + " (a number)");
  }
  if (v > max) {
    return Error(t.loc, std::string(what) + " out of range: " + std::string(t.text) +
                            " (maximum " + std::to_string(max) + ")");
  }
  Take();
  *out = v;
  return true;
}

bool ScriptParser::ParseSeconds(std::string_view what, std::int64_t* usecs) {
  const Token& t = Peek();
  if (t.kind != TokenKind::kInteger && t.kind != TokenKind::kFloat) {
    return Expected(std::string(what));
  }
  const std::size_t dot = t.text.find('.');
  const std::string_view whole = t.text.substr(0, dot);
  std::int64_t secs = 0;
  for (char c : whole) {
    secs = secs * 10 + (c - '0');
    if (secs > kMaxSeconds) return Error(t.loc, std::string(what) + " out of range: " +
                                                    std::string(t.text));
  }
  std::int64_t frac = 0;
  int digits = 0;
  if (dot != std::string_view::npos) {
    for (char c : t.text.substr(dot + 1)) {
      if (digits == 6) break;  // packetdrill keeps microseconds
      frac = frac * 10 + (c - '0');
      ++digits;
    }
  }
  for (; digits < 6; ++digits) frac *= 10;
  *usecs = secs * 1'000'000 + frac;
  Take();
  return true;
}

// ---------------------------------------------------------------------------------------------

bool ScriptParser::ParseHeaderOption(HeaderOption* out) {
  const Token t = Take();
  const auto BadValueByte = [this](std::size_t at) {
    ResetTo(at);
    const char c = lex_.source()[at];
    if (c == '"' || c == '`') return Error(lex_.LocOf(at), "unterminated quote in option value");
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
    return Error(lex_.LocOf(at), std::string("unexpected byte ") + hex + " in option value");
  };
  out->loc = t.loc;
  const std::string_view src = lex_.source();
  std::size_t pos = t.end;
  if (t.kind == TokenKind::kOption) {
    out->name = std::string(t.text);
    std::size_t p = pos;
    while (p < src.size() && IsSpaceOrTab(src[p])) ++p;
    if (p < src.size() && src[p] == '=') {
      ++p;
      while (p < src.size() && IsSpaceOrTab(src[p])) ++p;
      std::size_t bad = std::string_view::npos;
      const std::size_t end = ScanOptionValue(src, p, &bad);
      if (bad != std::string_view::npos) return BadValueByte(bad);
      if (end == p) {
        ResetTo(p);
        return Error(lex_.LocOf(p), "missing value after '--" + out->name + "='");
      }
      out->value = std::string(src.substr(p, end - p));
      pos = end;
    }
  } else {  // -D NAME=VALUE
    out->name = "-D";
    std::size_t p = t.end + 1;  // past "-D"
    while (p < src.size() && IsSpaceOrTab(src[p])) ++p;
    std::size_t bad = std::string_view::npos;
    const std::size_t end = ScanOptionValue(src, p, &bad);
    if (bad != std::string_view::npos) return BadValueByte(bad);
    if (end == p || src.substr(p, end - p).find('=') == std::string_view::npos) {
      ResetTo(p);
      return Error(lex_.LocOf(p), "expected NAME=VALUE after -D");
    }
    out->value = std::string(src.substr(p, end - p));
    pos = end;
  }
  ResetTo(pos);
  return true;
}

bool ScriptParser::ParseTime(EventTime* out) {
  if (TakeIf('*')) {
    out->kind = TimeKind::kAny;
    return true;
  }
  const bool relative = TakeIf('+');
  if (!ParseSeconds("event time", &out->usecs)) return false;
  out->kind = relative ? TimeKind::kRelative : TimeKind::kAbsolute;
  if (TakeIf('~')) {
    if (relative && !TakeIf('+')) return Expected("'+' after '~' in a relative time range");
    if (!relative && Peek().Is('+')) {
      return Error(Peek().loc, "time range mixes absolute and relative times");
    }
    const SourceLoc end_loc = Peek().loc;
    if (!ParseSeconds("end of time range", &out->end_usecs)) return false;
    if (out->end_usecs < out->usecs) return Error(end_loc, "time range is backwards");
    out->kind = relative ? TimeKind::kRelativeRange : TimeKind::kAbsoluteRange;
  }
  return true;
}

bool ScriptParser::ParseAction(Action* out) {
  const Token& t = Peek();
  if (t.Is('<') || t.Is('>')) {
    Packet p;
    if (!ParsePacket(&p)) return false;
    *out = std::move(p);
    return true;
  }
  if (t.kind == TokenKind::kBackquote) {
    const Token cmd = Take();
    *out = Command{std::string(cmd.text), cmd.loc};
    return true;
  }
  if (t.kind == TokenKind::kCode) {
    *out = Code{std::string(Take().text)};
    return true;
  }
  if (t.kind == TokenKind::kEllipsis || (t.kind == TokenKind::kWord && Peek(1).Is('('))) {
    Syscall s;
    if (!ParseSyscall(&s)) return false;
    *out = std::move(s);
    return true;
  }
  return Expected("a packet ('<' or '>'), a system call, a `shell command` or %{ code }%");
}

bool ScriptParser::CheckEvent(const Event& e, SourceLoc time_loc) {
  const Packet* p = std::get_if<Packet>(&e.action);
  const bool outbound = p != nullptr && p->direction == Direction::kOutbound;
  switch (e.time.kind) {
    case TimeKind::kAny:
      if (!outbound) return Error(time_loc, "event time '*' can only be used with outbound packets");
      break;
    case TimeKind::kAbsoluteRange:
    case TimeKind::kRelativeRange:
      if (!outbound) {
        return Error(time_loc, "event time range can only be used with outbound packets");
      }
      break;
    case TimeKind::kAbsolute:
    case TimeKind::kRelative:
      break;
  }
  return true;
}

bool ScriptParser::ParseEvent(Event* out) {
  const SourceLoc loc = Peek().loc;
  out->loc = loc;
  if (!ParseTime(&out->time)) return false;
  if (!ParseAction(&out->action)) return false;
  return CheckEvent(*out, loc);
}

bool ScriptParser::CanStartEvent(const Token& t) const {
  return t.Is('+') || t.Is('*') || t.kind == TokenKind::kInteger ||
         t.kind == TokenKind::kFloat || t.kind == TokenKind::kBackquote ||
         t.kind == TokenKind::kOption;
}

void ScriptParser::RecoverAfter(int failed_line) {
  // Skip to the next line that starts an event. Every iteration consumes a token, and tokens
  // only move forward, so this ends.
  while (Peek().kind != TokenKind::kEof) {
    const Token& t = Peek();
    if (t.loc.line > failed_line && lex_.AtLineStart(t.offset) && CanStartEvent(t)) break;
    Take();
  }
  failed_ = false;
  depth_ = 0;
}

Script ScriptParser::ParseScript() {
  Script script;
  // Header: --options and -D definitions.
  while (true) {
    const Token& t = Peek();
    const bool dash_d = t.Is('-') && t.end < lex_.source().size() && lex_.source()[t.end] == 'D';
    if (t.kind != TokenKind::kOption && !dash_d) break;
    HeaderOption opt;
    const int line = t.loc.line;
    if (ParseHeaderOption(&opt)) {
      script.options.push_back(std::move(opt));
    } else {
      RecoverAfter(line);
    }
  }
  if (Peek().kind == TokenKind::kBackquote) {
    const Token cmd = Take();
    script.init_command = Command{std::string(cmd.text), cmd.loc};
  }
  while (Peek().kind != TokenKind::kEof) {
    if (static_cast<int>(diags_.items.size()) >= options_.max_errors) break;
    const Token& t = Peek();
    const int line = t.loc.line;
    if (t.kind == TokenKind::kBackquote) {
      const Token cmd = Take();
      if (Peek().kind == TokenKind::kEof && !script.events.empty()) {
        script.cleanup_command = Command{std::string(cmd.text), cmd.loc};
        break;
      }
      Error(cmd.loc, "a `shell command` inside the script needs an event time (e.g. +0)");
      RecoverAfter(line);
      continue;
    }
    if (t.kind == TokenKind::kOption) {
      Error(t.loc, "header option '--" + std::string(t.text) + "' after the first event");
      Take();
      RecoverAfter(line);
      continue;
    }
    Event e;
    if (ParseEvent(&e)) {
      script.events.push_back(std::move(e));
    } else {
      RecoverAfter(line);
    }
  }
  return script;
}

}  // namespace internal

Result<Script, Diagnostics> Parse(std::string_view source, std::string_view file,
                                  const ParseOptions& options) {
  internal::ScriptParser parser(source, file, options);
  Script script = parser.ParseScript();
  if (!parser.diagnostics().empty()) return Unexpected{std::move(parser.diagnostics())};
  return script;
}

}  // namespace mpdrill::parser
