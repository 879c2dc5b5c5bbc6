#include "engine/capture/model_segment.h"

namespace mpdrill::capture {

model::Endpoint ModelEndpoint(const IpAddress& address, std::uint16_t port) {
  return model::Endpoint{address.version, address.bytes, port};
}

std::optional<std::uint8_t> WindowScale(Bytes o) {
  for (std::size_t i = 0; i < o.size();) {
    const std::uint8_t kind = o[i];
    if (kind == 0) break;  // EOL
    if (kind == 1) {       // NOP
      ++i;
      continue;
    }
    if (i + 1 >= o.size()) break;
    const std::uint8_t length = o[i + 1];
    if (length < 2 || i + length > o.size()) break;
    if (kind == 3 && length == 3) return o[i + 2];
    i += length;
  }
  return std::nullopt;
}

model::Segment ModelSegment(const TcpSegment& tcp, std::uint64_t index, std::uint64_t timestamp_us,
                            std::span<const codec::Option> options,
                            std::span<const codec::Violation> codec_violations) {
  model::Segment seg;
  seg.index = index;
  seg.timestamp_us = timestamp_us;
  seg.src = ModelEndpoint(tcp.src, tcp.sport);
  seg.dst = ModelEndpoint(tcp.dst, tcp.dport);
  seg.seq = tcp.seq;
  seg.ack = tcp.ack;
  seg.flags = static_cast<std::uint8_t>(tcp.flags & 0xff);
  seg.window = tcp.window;
  if (tcp.syn()) seg.window_scale = WindowScale(tcp.options);
  seg.payload_length = tcp.payload_length;
  seg.payload = tcp.payload;
  seg.options = options;
  seg.codec_violations = codec_violations;
  return seg;
}

}  // namespace mpdrill::capture
