// IP/TCP packets of `mpdrill run` on the wire: building inbound packets (the TCP segment with
// its options byte for byte and a zero-filled payload like packetdrill's through the project's
// bounds-checked ByteWriter, framed in IPv4/IPv6 by libtins), TCP flag strings, and the
// non-MPTCP TCP options in both directions (script option -> bytes, sniffed bytes -> script
// option for matching/printing).
#ifndef MPDRILL_ENGINE_RUN_WIRE_H_
#define MPDRILL_ENGINE_RUN_WIRE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/capture/dissect.h"
#include "engine/codec/mptcp_codec.h"
#include "parser/ast.h"

namespace mpdrill::run {

struct WireTcp {
  capture::IpAddress src, dst;
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t flags = 0;  // capture::kTcp* bits
  std::uint16_t window = 0;
  std::uint16_t urgent = 0;
  std::vector<std::uint8_t> options;  // padded to 4 bytes by BuildTcpPacket with EOL (0)
  std::uint32_t payload_length = 0;   // zero bytes
  parser::IpInfo ip;                  // tos / ecn / ttl / flowlabel
};

// Bytes of the IP packet. Error when options exceed 40 bytes or the packet 65535.
Result<std::vector<std::uint8_t>, std::string> BuildTcpPacket(const WireTcp& tcp);

// `payload` (a transport header and what follows, checksummed by the caller) framed in an
// IPv4 or IPv6 header from `src` to `dst` (lengths, IPv4 header checksum, TOS/traffic class
// `tos`, TTL/hop limit and flow label from `ip`; IPv4 DF when `dont_fragment`).
Result<std::vector<std::uint8_t>, std::string> FrameInIp(const capture::IpAddress& src,
                                                         const capture::IpAddress& dst,
                                                         std::uint8_t protocol,
                                                         const parser::IpInfo& ip,
                                                         std::uint8_t tos, bool dont_fragment,
                                                         const std::vector<std::uint8_t>& payload);

// The TOS byte / traffic class of an inbound packet: the script's tos with its ECN mark.
std::uint8_t TosByte(const parser::IpInfo& ip);

// "S.", "F.", "P.", ".", "R", "SEW", "" for `-`: capture::kTcp* bits, or nullopt on an
// unknown letter. Letters: F S R P . (ACK) U E (ECE) W (CWR) A (AE).
std::optional<std::uint16_t> ParseTcpFlags(std::string_view text);
std::string TcpFlagsToString(std::uint16_t flags);  // the script spelling

// Parses an IPv4/IPv6 address string (an IPv4 one for `v6` = false).
std::optional<capture::IpAddress> ParseAddress(const std::string& text, bool v6);

// One sniffed TCP option: a script-syntax option when mpdrill knows the kind (MPTCP ones are
// reported with `mptcp` set, their bytes and the codec's decode or why it failed), else `raw`
// with the bytes.
struct LiveOption {
  std::optional<parser::TcpOption> option;  // not for MPTCP and unknown kinds
  bool mptcp = false;
  std::vector<std::uint8_t> bytes;  // the whole option
  std::optional<codec::Option> mptcp_option;      // mptcp: the decode (engine/codec)
  std::optional<codec::DecodeError> mptcp_error;  // mptcp: why it did not decode
};
// A sniffed option area decoded once: every option in order, and why the walk ended early
// (empty: it did not).
struct LiveOptions {
  std::vector<LiveOption> list;
  std::string stop;
  // The decodable MPTCP options, in order (undecodable ones are the codec's findings).
  std::vector<codec::Option> Mptcp() const;
};
// Walks a sniffed option area (never reads past it) and decodes every option.
LiveOptions DecodeLiveOptions(std::span<const std::uint8_t> area);

// Appends the wire form of a non-MPTCP script option. Errors for forms that need the MPTCP
// binder (handled by the caller) or that cannot be encoded.
Status<std::string> AppendTcpOption(const parser::TcpOption& option,
                                    std::vector<std::uint8_t>* out);

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_WIRE_H_
