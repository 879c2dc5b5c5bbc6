#include "engine/capture/tcp_checksum.h"

namespace mpdrill::capture {
namespace {

constexpr std::uint32_t kProtocolTcp = 6;

// Adds `b` as big-endian 16-bit words (an odd last byte padded with zero, RFC 1071).
std::uint64_t Sum16(Bytes b, std::uint64_t sum) {
  ByteReader r(b);
  std::uint16_t word = 0;
  while (r.ReadU16(&word)) sum += word;
  std::uint8_t last = 0;
  if (r.ReadU8(&last)) sum += static_cast<std::uint64_t>(last) << 8;
  return sum;
}

std::uint16_t FoldComplement(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

}  // namespace

std::uint16_t TcpChecksum(const IpAddress& src, const IpAddress& dst, Bytes segment) {
  // The IPv4 pseudo-header's 16-bit length and the IPv6 one's 32-bit length sum the same.
  std::uint64_t sum = Sum16(src.view(), 0);
  sum = Sum16(dst.view(), sum);
  sum += kProtocolTcp + segment.size();
  return FoldComplement(Sum16(segment, sum));
}

std::uint16_t UpdateChecksum(std::uint16_t checksum, std::uint16_t old_word,
                             std::uint16_t new_word) {
  const std::uint64_t sum = static_cast<std::uint16_t>(~checksum) +
                            static_cast<std::uint16_t>(~old_word) + std::uint64_t{new_word};
  return FoldComplement(sum);
}

}  // namespace mpdrill::capture
