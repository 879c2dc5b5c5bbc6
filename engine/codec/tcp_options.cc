#include "engine/codec/tcp_options.h"

namespace mpdrill::codec {
namespace {

constexpr std::uint8_t kTcpOptEol = 0;
constexpr std::uint8_t kTcpOptNop = 1;

std::uint8_t ClampOffset(std::size_t offset) {
  return static_cast<std::uint8_t>(offset > 255 ? 255 : offset);
}

}  // namespace

std::optional<TcpOptionView> TcpOptionWalker::Next() {
  if (done_ || pos_ >= area_.size()) {
    done_ = true;
    return std::nullopt;
  }
  const std::size_t at = pos_;
  const std::uint8_t kind = area_[at];
  if (kind == kTcpOptEol) {
    // RFC 9293 §3.1: End of Option List; whatever follows is padding.
    done_ = true;
    return TcpOptionView{kind, ClampOffset(at), area_.subspan(at, 1)};
  }
  if (kind == kTcpOptNop) {
    pos_ = at + 1;
    return TcpOptionView{kind, ClampOffset(at), area_.subspan(at, 1)};
  }
  // Rule G5: a length < 2 or running past the header end stops parsing.
  if (at + 1 >= area_.size()) {
    done_ = true;
    stop_ = WalkStop{ClampOffset(at), "tcp options: kind byte without a length byte"};
    return std::nullopt;
  }
  const std::uint8_t length = area_[at + 1];
  if (length < 2) {
    done_ = true;
    stop_ = WalkStop{ClampOffset(at + 1), "tcp options: length byte is below 2"};
    return std::nullopt;
  }
  if (length > area_.size() - at) {
    done_ = true;
    stop_ = WalkStop{ClampOffset(at + 1), "tcp options: length runs past the option area"};
    return std::nullopt;
  }
  pos_ = at + length;
  return TcpOptionView{kind, ClampOffset(at), area_.subspan(at, length)};
}

}  // namespace mpdrill::codec
