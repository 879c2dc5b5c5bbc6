// MP_CAPABLE, RFC 8684 §3.1: lengths 4 (SYN), 12 (SYN/ACK), 20 (third ACK), 22/24 (first data).
#include "engine/codec/codec_internal.h"

namespace mpdrill::codec::internal {

DecodeResult DecodeMpCapable(Bytes option, std::uint8_t nibble, const SegmentInfo& segment) {
  const std::size_t length = option.size();
  if (length != 4 && length != 12 && length != 20 && length != 22 && length != 24) {
    return Fail(DecodeErrorCode::kMpCapableLength, RuleId::kC1, kOffLength,
                "mp_capable: length is not 4, 12, 20, 22 or 24");
  }
  return Build<MpCapable>([&](MpCapable& o, ViolationList& violations) {
    ByteReader r = Body(option);
    o.version = nibble;
    r.ReadU8(&o.flags);
    if (length >= 12) o.sender_key.emplace(), r.ReadU64(&*o.sender_key);
    if (length >= 20) o.receiver_key.emplace(), r.ReadU64(&*o.receiver_key);
    if (length >= 22) o.data_level_length.emplace(), r.ReadU16(&*o.data_level_length);
    if (length >= 24) o.checksum.emplace(), r.ReadU16(&*o.checksum);

    // C1: the length must match the segment's role, when the segment says it.
    if (IsSyn(segment) && length != 4) {
      violations.Add({RuleId::kC1, kOffLength, "mp_capable: SYN form must be 4 bytes"});
    } else if (IsSynAck(segment) && length != 12) {
      violations.Add({RuleId::kC1, kOffLength, "mp_capable: SYN/ACK form must be 12 bytes"});
    } else if (segment.syn.has_value() && *segment.syn && !segment.ack.has_value() &&
               length != 4 && length != 12) {
      violations.Add({RuleId::kC1, kOffLength, "mp_capable: a SYN carries 4 or 12 bytes"});
    } else if (IsNonSyn(segment)) {
      if (length < 20) {
        violations.Add(
            {RuleId::kC1, kOffLength, "mp_capable: non-SYN form must be 20, 22 or 24 bytes"});
      } else if (segment.payload_length.has_value() && *segment.payload_length == 0 &&
                 length != 20) {
        violations.Add({RuleId::kC1, kOffLength, "mp_capable: ACK without data must be 20 bytes"});
      } else if (segment.payload_length.has_value() && *segment.payload_length > 0 &&
                 length == 20) {
        violations.Add(
            {RuleId::kC1, kOffLength, "mp_capable: ACK with data must be 22 or 24 bytes"});
      }
    }
    // C2: version 1 (RFC 8684 §3.1).
    if (o.version != 1) {
      violations.Add({RuleId::kC2, kOffSubtype, "mp_capable: version is not 1"});
    }
    // C3: "The H bit MUST be set"; D-G "MUST be cleared by the sender".
    if (!(o.flags & kMpcFlagH)) {
      violations.Add({RuleId::kC3, kOffByte3, "mp_capable: flag H (HMAC-SHA256) is not set"});
    }
    if (o.flags & kMpcFlagsDtoG) {
      violations.Add({RuleId::kC3, kOffByte3, "mp_capable: unassigned flags D-G are set"});
    }
  });
}

std::size_t LengthOf(const MpCapable& o) {
  if (o.checksum) return 24;
  if (o.data_level_length) return 22;
  if (o.receiver_key) return 20;
  if (o.sender_key) return 12;
  return 4;
}

EncodeStatus EncodeBody(const MpCapable& o, ByteWriter& w) {
  if (o.version > 0x0f) return Inconsistent("mp_capable: version does not fit 4 bits");
  if (o.receiver_key && !o.sender_key) {
    return Inconsistent("mp_capable: receiver key without sender key");
  }
  if (o.data_level_length && !o.receiver_key) {
    return Inconsistent("mp_capable: data-level length without both keys");
  }
  if (o.checksum && !o.data_level_length) {
    return Inconsistent("mp_capable: checksum without data-level length");
  }
  w.WriteU8(SubtypeByte(Subtype::kMpCapable, o.version));
  w.WriteU8(o.flags);
  if (o.sender_key) w.WriteU64(*o.sender_key);
  if (o.receiver_key) w.WriteU64(*o.receiver_key);
  if (o.data_level_length) w.WriteU16(*o.data_level_length);
  if (o.checksum) w.WriteU16(*o.checksum);
  return Ok{};
}

}  // namespace mpdrill::codec::internal
