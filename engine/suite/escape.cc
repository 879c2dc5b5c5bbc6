#include "engine/suite/escape.h"

#include <cstdint>
#include <cstdio>

namespace mpdrill::suite {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at s[i] (0: invalid).
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto b = static_cast<std::uint8_t>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<std::uint8_t>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Calls ascii(c) for each ASCII byte and appends every other valid UTF-8 sequence as is;
// invalid bytes become U+FFFD.
template <typename Ascii>
std::string Transcode(std::string_view s, Ascii ascii) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else if (n == 1) {
      ascii(s[i], &out);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace

std::string JsonString(std::string_view s) {
  return "\"" + Transcode(s, [](char c, std::string* out) {
           switch (c) {
             case '"': *out += "\\\""; break;
             case '\\': *out += "\\\\"; break;
             case '\n': *out += "\\n"; break;
             case '\r': *out += "\\r"; break;
             case '\t': *out += "\\t"; break;
             default:
               if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                 char buf[8];
                 std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
                 *out += buf;
               } else {
                 *out += c;
               }
           }
         }) + "\"";
}

std::string XmlEscape(std::string_view s, bool attribute) {
  return Transcode(s, [attribute](char c, std::string* out) {
    switch (c) {
      case '&': *out += "&amp;"; break;
      case '<': *out += "&lt;"; break;
      case '>': *out += "&gt;"; break;
      case '"': *out += "&quot;"; break;
      case '\'': *out += "&apos;"; break;
      case '\n': *out += attribute ? "&#10;" : "\n"; break;
      case '\t': *out += attribute ? "&#9;" : "\t"; break;
      case '\r': *out += "&#13;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) *out += c;  // XML 1.0 has no other controls
    }
  });
}

std::string Secs3(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", seconds);
  return buf;
}

}  // namespace mpdrill::suite
