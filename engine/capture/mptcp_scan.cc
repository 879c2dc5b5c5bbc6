#include "engine/capture/mptcp_scan.h"

namespace mpdrill::capture {

std::optional<std::uint8_t> MptcpOptionEntry::subtype_nibble() const {
  if (bytes.size() < 3) return std::nullopt;
  return static_cast<std::uint8_t>(bytes[2] >> 4);
}

std::size_t MptcpScan::violation_count() const {
  auto count = [](const codec::ViolationList& list) {
    std::size_t n = 0;
    for (const codec::Violation& v : list.view()) n += v.severity == codec::Severity::kViolation;
    return n;
  };
  std::size_t n = count(segment_violations) + (stop ? 1 : 0);
  for (const MptcpOptionEntry& e : view()) n += e.decoded ? count(e.decoded->violations) : 1;
  return n;
}

codec::SegmentInfo SegmentInfoOf(const TcpSegment& segment) {
  codec::SegmentInfo info;
  info.syn = segment.syn();
  info.ack = segment.ack_flag();
  info.rst = segment.rst();
  info.payload_length = segment.payload_length;
  return info;
}

void ScanMptcpOptions(const TcpSegment& segment, MptcpScan* out) {
  out->size = 0;
  out->stop.reset();
  out->stop_at = 0;
  out->stop_on_mptcp = false;
  out->segment_violations.size = 0;  // not `= {}`: that copies all 8 slots (ViolationList)
  const codec::SegmentInfo info = SegmentInfoOf(segment);
  codec::TcpOptionWalker walker(segment.options);
  std::size_t next_at = 0;  // where the walker will look next
  std::optional<std::uint8_t> mp_capable_at, mp_join_at;
  while (auto view = walker.Next()) {
    next_at = std::size_t{view->offset} + view->bytes.size();
    if (view->kind != codec::kMptcpOptionKind || out->size == MptcpScan::kCapacity) continue;
    MptcpOptionEntry& e = out->entries[out->size++];
    e.offset = view->offset;
    e.bytes = view->bytes;
    e.decoded.reset();
    e.error.reset();
    auto decoded = codec::Decode(view->bytes, info);
    if (decoded) {
      // Member by member: assigning the whole Decoded copies its 8 violation slots, used or not
      // (most options have none), a third of this function's time per frame.
      codec::Decoded& d = e.decoded.emplace();  // reset above; no slot is zeroed
      d.option = std::move(decoded->option);
      for (const codec::Violation& v : decoded->violations.view()) d.violations.Add(v);
    } else {
      e.error = decoded.error();
    }
    const auto nibble = e.subtype_nibble();
    if (nibble == static_cast<std::uint8_t>(codec::Subtype::kMpCapable) && !mp_capable_at) {
      mp_capable_at = e.offset;
    }
    if (nibble == static_cast<std::uint8_t>(codec::Subtype::kMpJoin) && !mp_join_at) {
      mp_join_at = e.offset;
    }
  }
  if (walker.stop()) {
    // Rule G5 (RFC 8684 §3 / RFC 9293 §3.1): the rest of the area is not interpreted.
    out->stop = walker.stop();
    out->stop_at = static_cast<std::uint8_t>(next_at);
    out->stop_on_mptcp =
        next_at < segment.options.size() && segment.options[next_at] == codec::kMptcpOptionKind;
  }
  // Rule C10 (RFC 8684 §3.2): MP_CAPABLE and MP_JOIN in one SYN are both ignored.
  if (segment.syn() && mp_capable_at && mp_join_at) {
    out->segment_violations.Add(codec::Violation{
        codec::RuleId::kC10, *mp_join_at, "segment: SYN carries both MP_CAPABLE and MP_JOIN"});
  }
}

}  // namespace mpdrill::capture
