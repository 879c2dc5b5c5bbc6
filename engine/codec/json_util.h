// Small JSON helpers shared by the codec printers and `mpdrill decode`.
#ifndef MPDRILL_ENGINE_CODEC_JSON_UTIL_H_
#define MPDRILL_ENGINE_CODEC_JSON_UTIL_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mpdrill::codec {

// Appends `s` as a quoted JSON string: ", \ and control characters escaped (RFC 8259 §7).
// Bytes >= 0x80 are copied as they are (the caller passes UTF-8).
void AppendJsonString(std::string_view s, std::string* out);

// Appends lowercase hex digits of `bytes`, no prefix, no quotes.
void AppendHex(std::span<const std::uint8_t> bytes, std::string* out);

// Appends `v` in decimal (a JSON number, or text) without a temporary string.
void AppendUint(std::uint64_t v, std::string* out);

}  // namespace mpdrill::codec

#endif  // MPDRILL_ENGINE_CODEC_JSON_UTIL_H_
