// Parses packetdrill scripts (google/packetdrill's language, the multipath-tcp/packetdrill MPTCP
// extensions and mpdrill's canonical option forms) into a Script. Reentrant, no globals, no
// exceptions: errors come back as located Diagnostics, one per bad event; parsing resumes at the
// next line that starts an event, so one call reports every broken event of a file.
#ifndef MPDRILL_PARSER_PARSER_H_
#define MPDRILL_PARSER_PARSER_H_

#include <string_view>

#include "base/result.h"
#include "parser/ast.h"
#include "parser/diagnostics.h"

namespace mpdrill::parser {

struct ParseOptions {
  int max_errors = 100;    // stop after this many diagnostics
  int max_nesting = 64;    // brackets / braces / parentheses inside one expression
};

Result<Script, Diagnostics> Parse(std::string_view source, std::string_view file = "<input>",
                                  const ParseOptions& options = {});

}  // namespace mpdrill::parser

#endif  // MPDRILL_PARSER_PARSER_H_
