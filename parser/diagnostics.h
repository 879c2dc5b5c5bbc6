// Parse errors with file:line:col, the offending source line and a caret.
#ifndef MPDRILL_PARSER_DIAGNOSTICS_H_
#define MPDRILL_PARSER_DIAGNOSTICS_H_

#include <string>
#include <string_view>
#include <vector>

#include "parser/source_loc.h"

namespace mpdrill::parser {

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based byte column
  std::string message;
  std::string excerpt;  // the source line (non-printable bytes shown as '?', long lines cut)
  int excerpt_col = 0;  // 1-based column of the caret inside `excerpt`
};

struct Diagnostics {
  std::vector<Diagnostic> items;
  bool empty() const { return items.empty(); }
  std::size_t size() const { return items.size(); }
};

// Builds a diagnostic at `loc`, cutting the excerpt out of `source`.
Diagnostic MakeDiagnostic(std::string_view file, std::string_view source, SourceLoc loc,
                          std::string message);

// "file:line:col: error: message\n<excerpt>\n<spaces>^\n"
std::string FormatDiagnostic(const Diagnostic& d);
std::string FormatDiagnostics(const Diagnostics& d);

}  // namespace mpdrill::parser

#endif  // MPDRILL_PARSER_DIAGNOSTICS_H_
