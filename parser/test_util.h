// Helpers for the parser's tests.
#ifndef MPDRILL_PARSER_TEST_UTIL_H_
#define MPDRILL_PARSER_TEST_UTIL_H_

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "parser/parser.h"

namespace mpdrill::parser::testing {

// Parses text that must be valid; a failure prints the diagnostics.
inline Script ParseOk(std::string_view text) {
  auto r = Parse(text, "test.pkt");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : FormatDiagnostics(r.error())) << text;
  return r.ok() ? std::move(r).value() : Script{};
}

// Parses a one-event script and returns the event.
inline Event OneEvent(std::string_view line) {
  Script s = ParseOk(std::string(line) + "\n");
  EXPECT_EQ(s.events.size(), 1u) << line;
  return s.events.empty() ? Event{} : s.events.front();
}

// Parses text that must fail and returns its diagnostics.
inline Diagnostics ParseErrors(std::string_view text) {
  auto r = Parse(text, "bad.pkt");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? Diagnostics{} : r.error();
}

}  // namespace mpdrill::parser::testing

#endif  // MPDRILL_PARSER_TEST_UTIL_H_
