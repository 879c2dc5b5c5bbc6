// DSS, RFC 8684 §3.3: length = 4 + ack (0/4/8) + map (0, or 4/8 + 4 + 2) + checksum (0/2).
#include "engine/codec/codec_internal.h"

namespace mpdrill::codec::internal {
namespace {

constexpr std::size_t kDssBase = 4;
constexpr std::size_t kDssChecksum = 2;

// Length without checksum, from the flags alone (named parts, as Linux's options.c does).
std::size_t DssLengthWithoutChecksum(std::uint8_t flags) {
  std::size_t length = kDssBase;
  if (flags & kDssFlagDataAck) length += (flags & kDssFlagDataAck8) ? 8 : 4;
  if (flags & kDssFlagMapping) length += ((flags & kDssFlagDsn8) ? 8 : 4) + 4 + 2;
  return length;
}

// DATA_ACK and DSN: 4 or 8 bytes as flag a or m says (a 4-byte one is the low 32 bits, D4).
// `inline`: without it g++ 12 calls it and the reader goes through memory (+15% instructions).
inline void ReadU32OrU64(ByteReader& r, bool eight_bytes, std::uint64_t* out) {
  if (eight_bytes) {
    r.ReadU64(out);
    return;
  }
  std::uint32_t v = 0;
  r.ReadU32(&v);
  *out = v;
}

}  // namespace

DecodeResult DecodeDss(Bytes option, std::uint8_t nibble, const SegmentInfo& segment) {
  const std::size_t length = option.size();
  ByteReader r = Body(option);
  std::uint8_t byte3 = 0;
  if (!r.ReadU8(&byte3)) {
    return Fail(DecodeErrorCode::kDssLength, RuleId::kD1, kOffLength,
                "dss: length is below 4, no room for the flags");
  }
  const std::uint8_t flags = byte3 & 0x1f;
  // D1: length from named parts; the checksum is there iff checksums were negotiated, which
  // only the model knows, so both lengths are accepted with a mapping.
  const std::size_t plain = DssLengthWithoutChecksum(flags);
  const bool with_checksum = (flags & kDssFlagMapping) && length == plain + kDssChecksum;
  if (length != plain && !with_checksum) {
    return Fail(DecodeErrorCode::kDssLength, RuleId::kD1, kOffLength,
                "dss: length does not match the A, a, M and m flags");
  }
  return Build<Dss>([&](Dss& o, ViolationList& violations) {
    o.flags = flags;
    o.reserved = static_cast<std::uint8_t>((nibble << 3) | (byte3 >> 5));
    if (o.has_data_ack()) ReadU32OrU64(r, o.data_ack_64(), &o.data_ack);
    std::size_t ssn_offset = 0;
    std::size_t dll_offset = 0;
    if (o.has_mapping()) {
      ReadU32OrU64(r, o.dsn_64(), &o.dsn);
      ssn_offset = r.offset();
      r.ReadU32(&o.ssn);
      dll_offset = r.offset();
      r.ReadU16(&o.data_level_length);
      if (with_checksum) o.checksum.emplace(), r.ReadU16(&*o.checksum);
    }

    // D11: "m" and "a" mean nothing without "M" and "A".
    if (o.dsn_64() && !o.has_mapping()) {
      violations.Add({RuleId::kD11, kOffByte3, "dss: flag m is set without flag M"});
    }
    if (o.data_ack_64() && !o.has_data_ack()) {
      violations.Add({RuleId::kD11, kOffByte3, "dss: flag a is set without flag A"});
    }
    // Reserved bits: the catalogue has no own rule; reported under the format rule D1.
    if (o.reserved != 0) {
      violations.Add({RuleId::kD1, kOffSubtype, "dss: reserved bits are set"});
    }
    if (o.has_mapping()) {
      const bool fin_only = o.data_fin() && segment.payload_length.has_value() &&
                            *segment.payload_length == 0;
      if (fin_only) {
        // D7 (RFC 8684 §3.3.3): a DATA_FIN without data has SSN 0 and data-level length 1.
        if (o.ssn != 0) {
          violations.Add({RuleId::kD7, static_cast<std::uint8_t>(ssn_offset),
                          "dss: DATA_FIN-only mapping has an SSN other than 0"});
        }
        if (o.data_level_length != 1) {
          violations.Add({RuleId::kD7, static_cast<std::uint8_t>(dll_offset),
                          "dss: DATA_FIN-only mapping has a data-level length other than 1"});
        }
      } else if (o.data_level_length == 0) {
        // D6 (RFC 8684 §3.3.1): legitimate fallback signal, reported for information only.
        violations.Add({RuleId::kD6, static_cast<std::uint8_t>(dll_offset),
                        "dss: data-level length 0 is an infinite mapping", Severity::kInfo});
      }
    }
  });
}

std::size_t LengthOf(const Dss& o) {
  return DssLengthWithoutChecksum(o.flags) + (o.has_mapping() && o.checksum ? kDssChecksum : 0);
}

EncodeStatus EncodeBody(const Dss& o, ByteWriter& w) {
  if (o.flags > 0x1f) return Inconsistent("dss: flags do not fit 5 bits");
  if (o.reserved > 0x7f) return Inconsistent("dss: reserved does not fit 7 bits");
  if (o.checksum && !o.has_mapping()) return Inconsistent("dss: checksum without a mapping");
  w.WriteU8(SubtypeByte(Subtype::kDss, static_cast<std::uint8_t>(o.reserved >> 3)));
  w.WriteU8(static_cast<std::uint8_t>(((o.reserved & 0x7) << 5) | o.flags));
  // RFC 8684 §3.3 / D4: a 4-byte DATA_ACK or DSN carries the low 32 bits.
  if (o.has_data_ack()) {
    if (o.data_ack_64()) {
      w.WriteU64(o.data_ack);
    } else {
      w.WriteU32(static_cast<std::uint32_t>(o.data_ack));
    }
  }
  if (o.has_mapping()) {
    if (o.dsn_64()) {
      w.WriteU64(o.dsn);
    } else {
      w.WriteU32(static_cast<std::uint32_t>(o.dsn));
    }
    w.WriteU32(o.ssn);
    w.WriteU16(o.data_level_length);
    if (o.checksum) w.WriteU16(*o.checksum);
  }
  return Ok{};
}

}  // namespace mpdrill::codec::internal
