// Evaluates syscall argument expressions of a script (parser::Expr) to integers and byte
// strings: numbers, symbols from the constant table, -D defines (which may name a symbol),
// `A|B`, htons()/ntohs()/htonl()/ntohl(), inet_addr(), and C string literals with escapes.
#ifndef MPDRILL_ENGINE_SYSCALLS_EVAL_H_
#define MPDRILL_ENGINE_SYSCALLS_EVAL_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/syscalls/executor.h"
#include "parser/ast.h"

namespace mpdrill::syscalls {

class Evaluator {
 public:
  // `defines` must outlive the evaluator. `fallback` locates errors of expressions that carry
  // no location of their own (e.g. built by a test).
  Evaluator(const std::map<std::string, std::string>* defines, parser::SourceLoc fallback)
      : defines_(defines), fallback_(fallback) {}

  Result<std::int64_t, SyscallError> Int(const parser::Expr& e) const;
  // A string literal or a concatenation of them, escapes resolved: the bytes it stands for.
  Result<std::string, SyscallError> Bytes(const parser::Expr& e) const;
  // The value of a symbol: a define (itself a number, symbol or `A|B`) or a named constant.
  Result<std::int64_t, SyscallError> Symbol(const std::string& name,
                                            const parser::Expr& where) const;

  SyscallError ErrorAt(const parser::Expr& e, std::string message) const;

 private:
  Result<std::int64_t, SyscallError> DefineValue(const std::string& name, std::string_view text,
                                                 const parser::Expr& where, int depth) const;
  Result<std::int64_t, SyscallError> SymbolAtDepth(const std::string& name,
                                                   const parser::Expr& where, int depth) const;

  const std::map<std::string, std::string>* defines_;
  parser::SourceLoc fallback_;
};

// Resolves C escapes of a string literal's raw contents: \n \t \r \0 \\ \" \' \xHH \ooo.
// Returns an error message for a bad escape.
Result<std::string, std::string> UnescapeString(std::string_view raw);

// A short rendering of an expression for error messages ("[1]", "SOCK_STREAM", "...").
std::string Describe(const parser::Expr& e);

}  // namespace mpdrill::syscalls

#endif  // MPDRILL_ENGINE_SYSCALLS_EVAL_H_
