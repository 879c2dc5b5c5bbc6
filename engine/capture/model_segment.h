// The reference model's view of a dissected TCP segment: what `mpdrill check` (captures) and
// `mpdrill run`'s live model (tun0) both feed to model::Observer. No bytes are copied: the
// Segment's spans point into `tcp`, `options` and `codec_violations`, which must outlive it.
#ifndef MPDRILL_ENGINE_CAPTURE_MODEL_SEGMENT_H_
#define MPDRILL_ENGINE_CAPTURE_MODEL_SEGMENT_H_

#include <cstdint>
#include <optional>
#include <span>

#include "engine/capture/dissect.h"
#include "engine/codec/mptcp_option.h"
#include "engine/model/segment.h"

namespace mpdrill::capture {

model::Endpoint ModelEndpoint(const IpAddress& address, std::uint16_t port);

// The SYN's window-scale shift (TCP option kind 3, length 3; RFC 7323 §2.2), if present.
std::optional<std::uint8_t> WindowScale(Bytes tcp_options);

model::Segment ModelSegment(const TcpSegment& tcp, std::uint64_t index, std::uint64_t timestamp_us,
                            std::span<const codec::Option> options,
                            std::span<const codec::Violation> codec_violations);

}  // namespace mpdrill::capture

#endif  // MPDRILL_ENGINE_CAPTURE_MODEL_SEGMENT_H_
