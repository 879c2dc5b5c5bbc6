// A position in a script: 1-based line and byte column.
#ifndef MPDRILL_PARSER_SOURCE_LOC_H_
#define MPDRILL_PARSER_SOURCE_LOC_H_

namespace mpdrill::parser {

struct SourceLoc {
  int line = 0;
  int col = 0;
  // Trees compare by structure: locations never make two trees different.
  friend bool operator==(const SourceLoc&, const SourceLoc&) { return true; }
};

}  // namespace mpdrill::parser

#endif  // MPDRILL_PARSER_SOURCE_LOC_H_
