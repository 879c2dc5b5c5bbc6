// Helpers for the executor's tests: parse script lines and run their syscall events.
#ifndef MPDRILL_ENGINE_SYSCALLS_TEST_UTIL_H_
#define MPDRILL_ENGINE_SYSCALLS_TEST_UTIL_H_

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/syscalls/executor.h"
#include "gtest/gtest.h"
#include "parser/parser.h"

namespace mpdrill::syscalls::test_util {

struct ParsedCall {
  parser::Syscall call;
  parser::SourceLoc loc;
};

// Every syscall event of `script` (lines such as "+0 socket(..., SOCK_STREAM, 0) = 3").
inline std::vector<ParsedCall> ParseCalls(std::string_view script) {
  std::vector<ParsedCall> out;
  auto parsed = parser::Parse(script, "test.pkt");
  if (!parsed.ok()) {
    ADD_FAILURE() << parser::FormatDiagnostics(parsed.error());
    return out;
  }
  for (const parser::Event& e : parsed->events) {
    if (const auto* sc = std::get_if<parser::Syscall>(&e.action)) out.push_back({*sc, e.loc});
  }
  return out;
}

// Runs every syscall of `script`; a script error fails the test. Returns the outcomes.
inline std::vector<Outcome> RunAll(Executor& ex, std::string_view script) {
  std::vector<Outcome> out;
  for (const ParsedCall& pc : ParseCalls(script)) {
    auto r = ex.Run(pc.call, pc.loc);
    if (!r.ok()) {
      ADD_FAILURE() << "line " << r.error().loc.line << ":" << r.error().loc.col << ": "
                    << r.error().message;
      return out;
    }
    out.push_back(std::move(r).value());
  }
  return out;
}

// Runs `script` and expects every call to match the script. Stops at the first mismatch, as
// a run does: a later blocking call (accept after a failed connect) would otherwise hang.
inline void RunMatching(Executor& ex, std::string_view script) {
  for (const ParsedCall& pc : ParseCalls(script)) {
    auto r = ex.Run(pc.call, pc.loc);
    if (!r.ok()) {
      ADD_FAILURE() << "line " << r.error().loc.line << ":" << r.error().loc.col << ": "
                    << r.error().message;
      return;
    }
    if (r->mismatch) {
      ADD_FAILURE() << "line " << pc.loc.line << ": " << *r->mismatch;
      return;
    }
  }
}

}  // namespace mpdrill::syscalls::test_util

#endif  // MPDRILL_ENGINE_SYSCALLS_TEST_UTIL_H_
