// Internal: the recursive-descent parser shared by parser.cc (script, events, times),
// parser_syscall.cc (expressions), parser_packet.cc (packets, TCP options) and
// parser_mptcp.cc (MPTCP options). Not part of the library's API.
//
// Every Parse* function returns false after recording exactly one diagnostic for the current
// event; the caller unwinds and the script loop recovers at the next event line.
#ifndef MPDRILL_PARSER_PARSER_IMPL_H_
#define MPDRILL_PARSER_PARSER_IMPL_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "parser/ast.h"
#include "parser/diagnostics.h"
#include "parser/lexer.h"
#include "parser/parser.h"

namespace mpdrill::parser::internal {

class ScriptParser {
 public:
  ScriptParser(std::string_view source, std::string_view file, const ParseOptions& options);
  Script ParseScript();
  Diagnostics& diagnostics() { return diags_; }

  // ---- token stream
  const Token& Peek(std::size_t n = 0);
  Token Take();
  bool TakeIf(char punct);
  bool TakeWordIf(std::string_view word);
  // Re-lex from `offset` after a raw scan of the source.
  void ResetTo(std::size_t offset);
  std::string_view source() const { return lex_.source(); }

  // ---- errors
  bool Error(SourceLoc loc, std::string message);
  // "expected <what>, found <token>" (at the end of the previous line if the token is on a
  // later line: a truncated line is reported where it stops).
  bool Expected(std::string_view what);
  bool Expect(char punct);
  bool ExpectWord(std::string_view word);
  static std::string Describe(const Token& t);

  // ---- numbers (integer or hex tokens), with located range errors
  bool ParseUnsigned(std::uint64_t max, std::string_view what, std::uint64_t* out);
  template <typename T>
  bool ParseUnsignedAs(std::string_view what, T* out) {
    std::uint64_t v = 0;
    if (!ParseUnsigned(static_cast<std::uint64_t>(static_cast<T>(~T{0})), what, &v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  bool ParseSeconds(std::string_view what, std::int64_t* usecs);

  // ---- parser.cc
  bool ParseHeaderOption(HeaderOption* out);
  bool ParseEvent(Event* out);
  bool ParseTime(EventTime* out);
  bool ParseAction(Action* out);
  bool CheckEvent(const Event& e, SourceLoc time_loc);

  // ---- parser_syscall.cc
  bool ParseSyscall(Syscall* out);
  bool ParseExpr(Expr* out);
  bool ParseExprList(char close, std::vector<Expr>* out);
  bool ParsePrimary(Expr* out);

  // ---- parser_packet.cc
  bool ParsePacket(Packet* out);
  bool ParseIpInfo(IpInfo* out);
  bool ParseEncap(Encap* out);
  bool ParseTuple(std::optional<Tuple>* out);
  bool ParseEndpoint(Endpoint* out);
  bool ParseTcpSegment(Direction dir, TcpSegment* out);
  bool ParseTcpOptions(Direction dir, TcpSegment* out);
  bool ParseTokenText(char stop, std::string* out);
  bool ParseFlags(std::string* out);
  bool ParseTcpOption(TcpOption* out);
  bool ParseIcmp(IcmpMessage* out);
  bool ParseIpv6Raw(std::string* out, bool strip_colon);

  // ---- parser_mptcp.cc
  bool ParseMptcpOption(MptcpOption* out);
  bool AtOptionEnd();
  bool ParseKeyRef(KeyRef* out);
  bool ParseAddressId(AddressIdSpec* out);
  bool ParseTokenSpec(TokenSpec* out);
  bool ParseHmacSpec(HmacSpec* out);
  bool ParseDssValue(DssValue* out);
  bool ParseHexBytes(std::string_view what, std::size_t max_bytes, std::string* out);
  bool ParseAddrRef(AddrRef* out);
  bool ParseMpCapable(MpCapableSpec* out, std::optional<std::uint64_t>* reserved);
  bool ParseMpJoin(MpJoinSpec* out, std::optional<std::uint64_t>* reserved);
  bool ParseDss(DssSpec* out, std::optional<std::uint64_t>* reserved);
  bool ParseAddAddress(AddAddressSpec* out, std::optional<std::uint64_t>* reserved);
  bool ParseFlagList(std::string_view what, const std::string_view* names,
                     const std::uint8_t* bits, std::size_t count, std::uint8_t* mask);

 private:
  bool CanStartEvent(const Token& t) const;
  void RecoverAfter(int failed_line);

  Lexer lex_;
  std::string file_;
  ParseOptions options_;
  std::deque<Token> lookahead_;
  std::size_t prev_end_ = 0;  // end offset of the last taken token
  bool failed_ = false;       // a diagnostic was recorded for the current event
  int depth_ = 0;
  Diagnostics diags_;

  friend class DepthGuard;
};

// Bounds recursion: expression nesting deeper than ParseOptions::max_nesting is an error.
class DepthGuard {
 public:
  explicit DepthGuard(ScriptParser* p) : p_(p) { ++p_->depth_; }
  ~DepthGuard() { --p_->depth_; }
  bool TooDeep() const { return p_->depth_ > p_->options_.max_nesting; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  ScriptParser* p_;
};

}  // namespace mpdrill::parser::internal

#endif  // MPDRILL_PARSER_PARSER_IMPL_H_
