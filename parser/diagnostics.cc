#include "parser/diagnostics.h"

#include <algorithm>
#include <utility>

namespace mpdrill::parser {
namespace {

constexpr std::size_t kMaxExcerpt = 160;

}  // namespace

Diagnostic MakeDiagnostic(std::string_view file, std::string_view source, SourceLoc loc,
                          std::string message) {
  Diagnostic d;
  d.file = std::string(file);
  d.line = loc.line;
  d.col = loc.col;
  d.message = std::move(message);
  // Find the start of line `loc.line`.
  std::size_t start = 0;
  for (int line = 1; line < loc.line && start < source.size(); ++line) {
    const std::size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) {
      start = source.size();
      break;
    }
    start = nl + 1;
  }
  std::size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  std::string_view line = source.substr(start, end - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t caret = loc.col > 0 ? static_cast<std::size_t>(loc.col - 1) : 0;
  caret = std::min(caret, line.size());
  // Keep long lines readable: a window around the caret.
  std::size_t from = 0;
  if (line.size() > kMaxExcerpt) {
    from = caret > kMaxExcerpt / 2 ? caret - kMaxExcerpt / 2 : 0;
    line = line.substr(from, kMaxExcerpt);
  }
  d.excerpt.reserve(line.size());
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    d.excerpt.push_back((u >= 0x20 && u < 0x7f) || c == '\t' ? c : '?');
  }
  d.excerpt_col = static_cast<int>(caret - from) + 1;
  return d;
}

std::string FormatDiagnostic(const Diagnostic& d) {
  std::string out = d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.col) +
                    ": error: " + d.message + "\n" + d.excerpt + "\n";
  for (int i = 0; i + 1 < d.excerpt_col; ++i) {
    const bool tab = static_cast<std::size_t>(i) < d.excerpt.size() && d.excerpt[i] == '\t';
    out.push_back(tab ? '\t' : ' ');
  }
  out += "^\n";
  return out;
}

std::string FormatDiagnostics(const Diagnostics& d) {
  std::string out;
  for (const Diagnostic& item : d.items) out += FormatDiagnostic(item);
  return out;
}

}  // namespace mpdrill::parser
