// Fuzzes parser::Parse on arbitrary bytes: it must return (no crash, no hang), and every
// diagnostic must be located (line and column >= 1) and carry a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parser/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = mpdrill::parser::Parse(text, "fuzz.pkt");
  if (result.ok()) return 0;
  if (result.error().empty()) std::abort();
  for (const auto& d : result.error().items) {
    if (d.line < 1 || d.col < 1 || d.message.empty() || d.excerpt_col < 1) std::abort();
    if (mpdrill::parser::FormatDiagnostic(d).empty()) std::abort();
  }
  return 0;
}
