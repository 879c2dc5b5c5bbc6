// Bounds-checked walker over a TCP header's option bytes (all kinds, not only 30).
#ifndef MPDRILL_ENGINE_CODEC_TCP_OPTIONS_H_
#define MPDRILL_ENGINE_CODEC_TCP_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <span>

#include "engine/codec/reason.h"

namespace mpdrill::codec {

struct TcpOptionView {
  std::uint8_t kind;
  std::uint8_t offset;                 // from the start of the option area
  std::span<const std::uint8_t> bytes;  // the whole option, kind byte included
};

// Why walking stopped before the end (RFC 8684 rule G5: a length < 2 or running past the
// header end stops parsing). The rest of the area is not interpreted.
struct WalkStop {
  std::uint8_t offset;
  Reason reason;  // unique sentence
};

// Iterates EOL (0) and NOP (1) as one-byte options; stops at EOL (reported as an option).
class TcpOptionWalker {
 public:
  explicit TcpOptionWalker(std::span<const std::uint8_t> options) : area_(options) {}
  // Next option, or nullopt at the end / on a malformed length (then stop() says why).
  std::optional<TcpOptionView> Next();
  const std::optional<WalkStop>& stop() const { return stop_; }

 private:
  std::span<const std::uint8_t> area_;
  std::size_t pos_ = 0;
  bool done_ = false;
  std::optional<WalkStop> stop_;
};

}  // namespace mpdrill::codec

#endif  // MPDRILL_ENGINE_CODEC_TCP_OPTIONS_H_
