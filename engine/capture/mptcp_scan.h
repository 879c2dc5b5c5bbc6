// The MPTCP options of one dissected TCP segment: walks the option area (rule G5), decodes
// every kind-30 option with the segment's flags (RFC 8684 §3), and checks the per-segment rules
// the codec cannot see from one option (C10). Fixed capacity: no allocation per segment.
#ifndef MPDRILL_ENGINE_CAPTURE_MPTCP_SCAN_H_
#define MPDRILL_ENGINE_CAPTURE_MPTCP_SCAN_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"
#include "engine/capture/dissect.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/tcp_options.h"

namespace mpdrill::capture {

// One kind-30 option as found in the option area; `result` holds the decoded option and its
// violations, or why it could not be decoded (never dropped).
struct MptcpOptionEntry {
  std::uint8_t offset = 0;  // of the kind byte, from the start of the TCP option area
  Bytes bytes;              // the whole option as the walker delimited it
  std::optional<codec::Decoded> decoded;
  std::optional<codec::DecodeError> error;
  // The subtype nibble (byte 2's high nibble) when the option has a byte 2.
  std::optional<std::uint8_t> subtype_nibble() const;
};

struct MptcpScan {
  // 40 option bytes / 3 bytes per option at least (a 2-byte kind-30 option is counted too).
  static constexpr std::size_t kCapacity = 20;
  std::array<MptcpOptionEntry, kCapacity> entries;
  std::uint8_t size = 0;
  // Set when the walk stopped early (rule G5); `stop_on_mptcp` when the stopping option's
  // kind byte is 30 (then the truncated MPTCP option could not be delimited at all).
  std::optional<codec::WalkStop> stop;
  std::uint8_t stop_at = 0;  // offset of the kind byte where walking stopped
  bool stop_on_mptcp = false;
  // Rules broken by the combination of options in the segment (C10); offsets count from the
  // start of the option area.
  codec::ViolationList segment_violations;

  std::span<const MptcpOptionEntry> view() const { return {entries.data(), size}; }
  // Anything to report: an MPTCP option, or an option area that broke off at a kind-30 byte.
  bool has_mptcp() const { return size > 0 || stop_on_mptcp; }
  // Total violations (severity kViolation; kInfo notes are not counted): per option (decoded
  // violations and decode errors), G5, segment rules.
  std::size_t violation_count() const;
};

// The codec's view of the segment: flags and the wire payload length.
codec::SegmentInfo SegmentInfoOf(const TcpSegment& segment);

// Fills *out (reset first) from the segment's option area.
void ScanMptcpOptions(const TcpSegment& segment, MptcpScan* out);

}  // namespace mpdrill::capture

#endif  // MPDRILL_ENGINE_CAPTURE_MPTCP_SCAN_H_
