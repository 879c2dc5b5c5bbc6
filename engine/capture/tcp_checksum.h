// The TCP checksum (RFC 9293 §3.1): the Internet checksum (RFC 1071) over the IPv4 or IPv6
// pseudo-header and the segment, and its incremental update when one 16-bit word of the
// segment changes (RFC 1624). Pure, bounds-checked (ByteReader).
#ifndef MPDRILL_ENGINE_CAPTURE_TCP_CHECKSUM_H_
#define MPDRILL_ENGINE_CAPTURE_TCP_CHECKSUM_H_

#include <cstdint>

#include "base/bytes.h"
#include "engine/capture/dissect.h"

namespace mpdrill::capture {

// The one's complement of the one's complement sum over the pseudo-header of `src`, `dst`
// (protocol 6, the segment's length) and `segment` (TCP header and payload) as it is. With
// the checksum field zeroed: the value to put there. With the field as received: 0 when it
// verifies.
std::uint16_t TcpChecksum(const IpAddress& src, const IpAddress& dst, Bytes segment);

// RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the checksum `checksum` after one 16-bit word of
// what it covers changed from `old_word` to `new_word` (words in host order).
std::uint16_t UpdateChecksum(std::uint16_t checksum, std::uint16_t old_word,
                             std::uint16_t new_word);

}  // namespace mpdrill::capture

#endif  // MPDRILL_ENGINE_CAPTURE_TCP_CHECKSUM_H_
