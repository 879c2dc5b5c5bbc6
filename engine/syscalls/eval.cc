#include "engine/syscalls/eval.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "engine/syscalls/symbols.h"

namespace mpdrill::syscalls {
namespace {

using parser::Expr;
using parser::ExprKind;

constexpr int kMaxDefineDepth = 8;  // NAME=OTHER=...: a bound on define chains (and cycles)

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "42", "-1", "0x1f": the integer; nullopt for anything else.
std::optional<std::int64_t> ParseInteger(std::string_view s) {
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  const auto value = static_cast<std::int64_t>(v);
  return negative ? -value : value;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

SyscallError Evaluator::ErrorAt(const Expr& e, std::string message) const {
  return SyscallError{e.loc.line > 0 ? e.loc : fallback_, std::move(message)};
}

Result<std::int64_t, SyscallError> Evaluator::DefineValue(const std::string& name,
                                                          std::string_view text,
                                                          const Expr& where, int depth) const {
  text = Trim(text);
  if (auto v = ParseInteger(text)) return *v;
  // A | B | C inside a define.
  if (text.find('|') != std::string_view::npos) {
    std::int64_t acc = 0;
    while (true) {
      const std::size_t bar = text.find('|');
      const std::string_view part = Trim(text.substr(0, bar));
      auto v = DefineValue(name, part, where, depth + 1);
      if (!v.ok()) return v;
      acc |= *v;
      if (bar == std::string_view::npos) break;
      text.remove_prefix(bar + 1);
    }
    return acc;
  }
  if (IsIdentifier(text)) return SymbolAtDepth(std::string(text), where, depth + 1);
  return MakeUnexpected(ErrorAt(where, "define " + name + "=" + std::string(text) +
                                           " is not an integer or a symbol"));
}

Result<std::int64_t, SyscallError> Evaluator::SymbolAtDepth(const std::string& name,
                                                            const Expr& where, int depth) const {
  if (depth > kMaxDefineDepth) {
    return MakeUnexpected(ErrorAt(where, "define chain too deep (a cycle?) at " + name));
  }
  if (defines_ != nullptr) {
    auto it = defines_->find(name);
    if (it != defines_->end()) return DefineValue(name, it->second, where, depth);
  }
  if (auto v = LookupSymbol(name)) return *v;
  return MakeUnexpected(ErrorAt(where, "unknown symbol: " + name));
}

Result<std::int64_t, SyscallError> Evaluator::Symbol(const std::string& name,
                                                     const Expr& where) const {
  return SymbolAtDepth(name, where, 0);
}

Result<std::int64_t, SyscallError> Evaluator::Int(const Expr& e) const {
  switch (e.kind) {
    case ExprKind::kInteger:
      return e.integer;
    case ExprKind::kWord:
      return Symbol(e.text, e);
    case ExprKind::kBitOr: {
      std::int64_t acc = 0;
      for (const Expr& child : e.children) {
        auto v = Int(child);
        if (!v.ok()) return v;
        acc |= *v;
      }
      return acc;
    }
    case ExprKind::kCall: {
      if (e.text == "inet_addr") {
        if (e.children.size() != 1) return MakeUnexpected(ErrorAt(e, "inet_addr takes 1 argument"));
        auto text = Bytes(e.children[0]);
        if (!text.ok()) return MakeUnexpected(text.error());
        in_addr a{};
        if (inet_pton(AF_INET, text->c_str(), &a) != 1) {
          return MakeUnexpected(ErrorAt(e, "inet_addr: not an IPv4 address: " + *text));
        }
        return static_cast<std::int64_t>(a.s_addr);  // network byte order, as inet_addr(3)
      }
      const bool is16 = e.text == "htons" || e.text == "ntohs";
      const bool is32 = e.text == "htonl" || e.text == "ntohl";
      if (!is16 && !is32) {
        return MakeUnexpected(ErrorAt(e, "unknown function in an integer context: " + e.text));
      }
      if (e.children.size() != 1) {
        return MakeUnexpected(ErrorAt(e, e.text + " takes 1 argument"));
      }
      auto v = Int(e.children[0]);
      if (!v.ok()) return v;
      if (is16) {
        if (*v < 0 || *v > 0xffff) return MakeUnexpected(ErrorAt(e, e.text + ": out of range"));
        return static_cast<std::int64_t>(htons(static_cast<std::uint16_t>(*v)));
      }
      if (*v < 0 || *v > 0xffffffffLL) return MakeUnexpected(ErrorAt(e, e.text + ": out of range"));
      return static_cast<std::int64_t>(htonl(static_cast<std::uint32_t>(*v)));
    }
    case ExprKind::kEllipsis:
    case ExprKind::kString:
    case ExprKind::kConcat:
    case ExprKind::kAssign:
    case ExprKind::kList:
    case ExprKind::kBraces:
      break;
  }
  return MakeUnexpected(ErrorAt(e, "expected an integer, got " + Describe(e)));
}

Result<std::string, SyscallError> Evaluator::Bytes(const Expr& e) const {
  if (e.kind == ExprKind::kString) {
    if (e.string_ellipsis) {
      return MakeUnexpected(ErrorAt(e, "a \"...\"... prefix string is not supported here"));
    }
    auto s = UnescapeString(e.text);
    if (!s.ok()) return MakeUnexpected(ErrorAt(e, s.error()));
    return std::move(s).value();
  }
  if (e.kind == ExprKind::kConcat) {
    std::string out;
    for (const Expr& child : e.children) {
      auto s = Bytes(child);
      if (!s.ok()) return s;
      out += *s;
    }
    return out;
  }
  return MakeUnexpected(ErrorAt(e, "expected a string, got " + Describe(e)));
}

Result<std::string, std::string> UnescapeString(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == raw.size()) return MakeUnexpected(std::string("string ends in a backslash"));
    const char n = raw[i];
    switch (n) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': case '"': case '\'': case '?': out.push_back(n); break;
      case 'x': {
        int value = 0, digits = 0;
        while (digits < 2 && i + 1 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1]))) {
          const char h = raw[++i];
          value = value * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          ++digits;
        }
        if (digits == 0) return MakeUnexpected(std::string("\\x without hex digits"));
        out.push_back(static_cast<char>(value));
        break;
      }
      default:
        if (n >= '0' && n <= '7') {
          int value = n - '0', digits = 1;
          while (digits < 3 && i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '7') {
            value = value * 8 + (raw[++i] - '0');
            ++digits;
          }
          out.push_back(static_cast<char>(value & 0xff));
          break;
        }
        return MakeUnexpected(std::string("unknown escape \\") + n);
    }
  }
  return out;
}

std::string Describe(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kEllipsis: return "...";
    case ExprKind::kInteger: return std::to_string(e.integer);
    case ExprKind::kWord: return e.text;
    case ExprKind::kString: return "a string";
    case ExprKind::kConcat: return "a string";
    case ExprKind::kBitOr: return Describe(e.children.at(0)) + "|" + Describe(e.children.at(1));
    case ExprKind::kAssign: return "an assignment";
    case ExprKind::kList: return "a [...] list";
    case ExprKind::kBraces: return "a {...} struct";
    case ExprKind::kCall: return e.text + "(...)";
  }
  return "an expression";
}

}  // namespace mpdrill::syscalls
