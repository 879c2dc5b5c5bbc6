// MP_JOIN, RFC 8684 §3.2: 12 (SYN), 16 (SYN/ACK), 24 (third ACK). The length picks the form.
#include "engine/codec/codec_internal.h"

namespace mpdrill::codec::internal {

DecodeResult DecodeMpJoin(Bytes option, std::uint8_t nibble, const SegmentInfo& segment) {
  JoinForm form = JoinForm::kSyn;
  switch (option.size()) {
    case 12: form = JoinForm::kSyn; break;
    case 16: form = JoinForm::kSynAck; break;
    case 24: form = JoinForm::kAck; break;
    default:
      return Fail(DecodeErrorCode::kMpJoinLength, RuleId::kJ1, kOffLength,
                  "mp_join: length is not 12, 16 or 24");
  }
  return Build<MpJoin>([&](MpJoin& o, ViolationList& violations) {
    ByteReader r = Body(option);
    o.form = form;
    std::uint8_t byte3 = 0;
    r.ReadU8(&byte3);
    switch (o.form) {
      case JoinForm::kSyn:
        o.backup = nibble & 0x1;
        o.reserved = (nibble >> 1) & 0x7;
        o.address_id = byte3;
        r.ReadU32(&o.token);
        r.ReadU32(&o.nonce);
        break;
      case JoinForm::kSynAck:
        o.backup = nibble & 0x1;
        o.reserved = (nibble >> 1) & 0x7;
        o.address_id = byte3;
        r.ReadU64(&o.truncated_hmac);
        r.ReadU32(&o.nonce);
        break;
      case JoinForm::kAck:
        o.reserved = static_cast<std::uint16_t>((nibble << 8) | byte3);
        r.ReadArray(&o.hmac);
        break;
    }
    // J1: the form must match the segment's role.
    if (IsSyn(segment) && o.form != JoinForm::kSyn) {
      violations.Add({RuleId::kJ1, kOffLength, "mp_join: SYN form must be 12 bytes"});
    } else if (IsSynAck(segment) && o.form != JoinForm::kSynAck) {
      violations.Add({RuleId::kJ1, kOffLength, "mp_join: SYN/ACK form must be 16 bytes"});
    } else if (segment.syn.has_value() && *segment.syn && o.form == JoinForm::kAck) {
      violations.Add({RuleId::kJ1, kOffLength, "mp_join: a SYN carries the 12 or 16 byte form"});
    } else if (IsNonSyn(segment) && o.form != JoinForm::kAck) {
      violations.Add({RuleId::kJ1, kOffLength, "mp_join: non-SYN form must be 24 bytes"});
    }
    // J7: reserved bits zero.
    if (o.reserved != 0) {
      violations.Add({RuleId::kJ7, kOffSubtype, "mp_join: reserved bits are set"});
    }
  });
}

std::size_t LengthOf(const MpJoin& o) {
  switch (o.form) {
    case JoinForm::kSyn: return 12;
    case JoinForm::kSynAck: return 16;
    case JoinForm::kAck: return 24;
  }
  return 12;
}

EncodeStatus EncodeBody(const MpJoin& o, ByteWriter& w) {
  switch (o.form) {
    case JoinForm::kSyn:
    case JoinForm::kSynAck: {
      if (o.reserved > 0x7) return Inconsistent("mp_join: SYN reserved does not fit 3 bits");
      const auto nibble = static_cast<std::uint8_t>((o.reserved << 1) | (o.backup ? 1 : 0));
      w.WriteU8(SubtypeByte(Subtype::kMpJoin, nibble));
      w.WriteU8(o.address_id);
      if (o.form == JoinForm::kSyn) {
        w.WriteU32(o.token);
      } else {
        w.WriteU64(o.truncated_hmac);
      }
      w.WriteU32(o.nonce);
      return Ok{};
    }
    case JoinForm::kAck:
      if (o.reserved > 0xfff) return Inconsistent("mp_join: ACK reserved does not fit 12 bits");
      w.WriteU8(SubtypeByte(Subtype::kMpJoin, static_cast<std::uint8_t>(o.reserved >> 8)));
      w.WriteU8(static_cast<std::uint8_t>(o.reserved & 0xff));
      w.WriteBytes(o.hmac);
      return Ok{};
  }
  return Inconsistent("mp_join: unknown form");
}

}  // namespace mpdrill::codec::internal
