// Reason: the unique, greppable sentence (a string literal) behind every codec error, rule
// violation and walker stop, e.g. "mp_capable: version is not 1".
#ifndef MPDRILL_ENGINE_CODEC_REASON_H_
#define MPDRILL_ENGINE_CODEC_REASON_H_

#include <cstddef>
#include <iosfwd>
#include <string_view>

namespace mpdrill::codec {

// Held as one pointer to static storage rather than a 16-byte string_view, and trivially
// constructible: a Violation is then 16 bytes and a ViolationList is left unwritten until a
// violation is added, which is most of the gap closed in codec_bench (docs/performance.md).
// Reads as a std::string_view; only string literals convert to it.
class Reason {
 public:
  Reason() = default;  // unset: only ever read once something assigned it
  template <std::size_t N>
  constexpr Reason(const char (&sentence)[N]) : text_(sentence) {}  // NOLINT: implicit on purpose

  operator std::string_view() const {  // NOLINT: implicit on purpose
    return text_ == nullptr ? std::string_view() : std::string_view(text_);
  }
  bool empty() const { return text_ == nullptr || *text_ == '\0'; }
  friend bool operator==(Reason a, Reason b) {
    return std::string_view(a) == std::string_view(b);
  }
  friend std::ostream& operator<<(std::ostream& os, Reason r);

 private:
  const char* text_;
};

}  // namespace mpdrill::codec

#endif  // MPDRILL_ENGINE_CODEC_REASON_H_
