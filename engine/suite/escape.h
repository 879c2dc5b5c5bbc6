// Text made safe for the report formats: JSON strings and XML text / attributes. Bytes that
// are not valid UTF-8 (command output, kernel log) become U+FFFD; XML also drops the control
// characters XML 1.0 forbids.
#ifndef MPDRILL_ENGINE_SUITE_ESCAPE_H_
#define MPDRILL_ENGINE_SUITE_ESCAPE_H_

#include <string>
#include <string_view>

namespace mpdrill::suite {

std::string JsonString(std::string_view s);  // with the quotes
// For element text, or (attribute: newlines and tabs as character references) "..." values.
std::string XmlEscape(std::string_view s, bool attribute = false);
// 0.123456 -> "0.123": seconds with three decimals.
std::string Secs3(double seconds);

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_ESCAPE_H_
