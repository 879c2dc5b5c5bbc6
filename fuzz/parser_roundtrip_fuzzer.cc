// Fuzzes the print round trip: whatever parses must print to text that parses back into an
// equal tree, and printing that tree again must give the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parser/parser.h"
#include "parser/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = mpdrill::parser::Parse(text, "fuzz.pkt");
  if (!first.ok()) return 0;
  const std::string printed = mpdrill::parser::PrintScript(*first);
  auto second = mpdrill::parser::Parse(printed, "printed.pkt");
  if (!second.ok()) std::abort();
  if (!(*second == *first)) std::abort();
  if (mpdrill::parser::PrintScript(*second) != printed) std::abort();
  return 0;
}
