// The short fixed-layout subtypes: REMOVE_ADDR (§3.4.2), MP_PRIO (§3.3.8), MP_FAIL (§3.7),
// MP_FASTCLOSE (§3.5), MP_TCPRST (§3.6); and subtypes kept byte for byte (0x9..0xf, rule E1).
#include "engine/codec/codec_internal.h"

namespace mpdrill::codec::internal {
namespace {

template <std::size_t N>
void CopyRest(ByteReader& r, InlineBytes<N>* out) {
  Bytes rest;
  r.ReadBytes(r.remaining(), &rest);
  // The dispatcher bounds the option to 40 bytes, so the rest always fits N >= 37.
  const std::size_t n = rest.size() < N ? rest.size() : N;
  std::copy(rest.begin(), rest.begin() + n, out->data.begin());
  out->size = static_cast<std::uint8_t>(n);
}

template <std::size_t N>
EncodeStatus WriteInline(const InlineBytes<N>& bytes, ByteWriter& w) {
  if (bytes.size > N) return Inconsistent("inline bytes: size exceeds capacity");
  w.WriteBytes(bytes.view());
  return Ok{};
}

template <std::size_t N>
std::size_t InlineSize(const InlineBytes<N>& bytes) {
  return bytes.size > N ? N : bytes.size;
}

}  // namespace

// ---- REMOVE_ADDR: 3 + n bytes, n >= 1 (R1); low nibble of byte 2 reserved (R3).
DecodeResult DecodeRemoveAddr(Bytes option, std::uint8_t nibble, const SegmentInfo&) {
  return Build<RemoveAddr>([&](RemoveAddr& o, ViolationList& violations) {
    ByteReader r = Body(option);
    o.reserved = nibble;
    CopyRest(r, &o.address_ids);
    if (o.address_ids.size == 0) {
      violations.Add({RuleId::kR1, kOffLength, "remove_addr: no address ID"});
    }
    if (o.reserved != 0) {
      violations.Add({RuleId::kR3, kOffSubtype, "remove_addr: reserved bits are set"});
    }
  });
}
std::size_t LengthOf(const RemoveAddr& o) { return 3 + InlineSize(o.address_ids); }
EncodeStatus EncodeBody(const RemoveAddr& o, ByteWriter& w) {
  if (o.reserved > 0xf) return Inconsistent("remove_addr: reserved does not fit 4 bits");
  w.WriteU8(SubtypeByte(Subtype::kRemoveAddr, o.reserved));
  return WriteInline(o.address_ids, w);
}

// ---- MP_PRIO: length 3 (P1); 3 reserved bits and B.
DecodeResult DecodeMpPrio(Bytes option, std::uint8_t nibble, const SegmentInfo&) {
  if (option.size() != 3) {
    return Fail(DecodeErrorCode::kMpPrioLength, RuleId::kP1, kOffLength,
                "mp_prio: length is not 3");
  }
  return Build<MpPrio>([&](MpPrio& o, ViolationList& violations) {
    o.backup = nibble & 0x1;
    o.reserved = (nibble >> 1) & 0x7;
    if (o.reserved != 0) {
      violations.Add({RuleId::kP1, kOffSubtype, "mp_prio: reserved bits are set"});
    }
  });
}
std::size_t LengthOf(const MpPrio&) { return 3; }
EncodeStatus EncodeBody(const MpPrio& o, ByteWriter& w) {
  if (o.reserved > 0x7) return Inconsistent("mp_prio: reserved does not fit 3 bits");
  w.WriteU8(SubtypeByte(Subtype::kMpPrio,
                        static_cast<std::uint8_t>((o.reserved << 1) | (o.backup ? 1 : 0))));
  return Ok{};
}

// ---- MP_FAIL: length 12 (F1); 12 reserved bits; 64-bit DSN.
DecodeResult DecodeMpFail(Bytes option, std::uint8_t nibble, const SegmentInfo&) {
  if (option.size() != 12) {
    return Fail(DecodeErrorCode::kMpFailLength, RuleId::kF1, kOffLength,
                "mp_fail: length is not 12");
  }
  return Build<MpFail>([&](MpFail& o, ViolationList& violations) {
    ByteReader r = Body(option);
    std::uint8_t byte3 = 0;
    r.ReadU8(&byte3);
    o.reserved = static_cast<std::uint16_t>((nibble << 8) | byte3);
    r.ReadU64(&o.dsn);
    if (o.reserved != 0) {
      violations.Add({RuleId::kF1, kOffSubtype, "mp_fail: reserved bits are set"});
    }
  });
}
std::size_t LengthOf(const MpFail&) { return 12; }
EncodeStatus EncodeBody(const MpFail& o, ByteWriter& w) {
  if (o.reserved > 0xfff) return Inconsistent("mp_fail: reserved does not fit 12 bits");
  w.WriteU8(SubtypeByte(Subtype::kMpFail, static_cast<std::uint8_t>(o.reserved >> 8)));
  w.WriteU8(static_cast<std::uint8_t>(o.reserved & 0xff));
  w.WriteU64(o.dsn);
  return Ok{};
}

// ---- MP_FASTCLOSE: length 12; 12 reserved bits; the option receiver's key (X1).
DecodeResult DecodeMpFastclose(Bytes option, std::uint8_t nibble, const SegmentInfo&) {
  if (option.size() != 12) {
    return Fail(DecodeErrorCode::kMpFastcloseLength, RuleId::kX1, kOffLength,
                "mp_fastclose: length is not 12");
  }
  return Build<MpFastclose>([&](MpFastclose& o, ViolationList& violations) {
    ByteReader r = Body(option);
    std::uint8_t byte3 = 0;
    r.ReadU8(&byte3);
    o.reserved = static_cast<std::uint16_t>((nibble << 8) | byte3);
    r.ReadU64(&o.receiver_key);
    if (o.reserved != 0) {
      violations.Add({RuleId::kX1, kOffSubtype, "mp_fastclose: reserved bits are set"});
    }
  });
}
std::size_t LengthOf(const MpFastclose&) { return 12; }
EncodeStatus EncodeBody(const MpFastclose& o, ByteWriter& w) {
  if (o.reserved > 0xfff) return Inconsistent("mp_fastclose: reserved does not fit 12 bits");
  w.WriteU8(SubtypeByte(Subtype::kMpFastclose, static_cast<std::uint8_t>(o.reserved >> 8)));
  w.WriteU8(static_cast<std::uint8_t>(o.reserved & 0xff));
  w.WriteU64(o.receiver_key);
  return Ok{};
}

// ---- MP_TCPRST: length 4 (T2); flags U V W T; reason (T3: any value tolerated).
DecodeResult DecodeMpTcpRst(Bytes option, std::uint8_t nibble, const SegmentInfo& segment) {
  if (option.size() != 4) {
    return Fail(DecodeErrorCode::kMpTcpRstLength, RuleId::kT2, kOffLength,
                "mp_tcprst: length is not 4");
  }
  return Build<MpTcpRst>([&](MpTcpRst& o, ViolationList& violations) {
    ByteReader r = Body(option);
    o.flags = nibble;
    r.ReadU8(&o.reason);
    if (segment.rst.has_value() && !*segment.rst) {
      violations.Add({RuleId::kT1, kOffSubtype, "mp_tcprst: carried on a segment without RST"});
    }
    if (o.flags & kTcpRstFlagsUvw) {
      violations.Add({RuleId::kT2, kOffSubtype, "mp_tcprst: reserved flags U, V or W are set"});
    }
  });
}
std::size_t LengthOf(const MpTcpRst&) { return 4; }
EncodeStatus EncodeBody(const MpTcpRst& o, ByteWriter& w) {
  if (o.flags > 0xf) return Inconsistent("mp_tcprst: flags do not fit 4 bits");
  w.WriteU8(SubtypeByte(Subtype::kMpTcpRst, o.flags));
  w.WriteU8(o.reason);
  return Ok{};
}

// ---- 0xf MP_EXPERIMENTAL (§8, private use) and unassigned 0x9..0xe: kept byte for byte.
DecodeResult DecodeOpaque(Bytes option, std::uint8_t subtype, std::uint8_t nibble) {
  if (subtype == static_cast<std::uint8_t>(Subtype::kExperimental)) {
    return Build<Experimental>([&](Experimental& o, ViolationList&) {
      ByteReader r = Body(option);
      o.nibble = nibble;
      CopyRest(r, &o.body);
    });
  }
  return Build<UnknownSubtype>([&](UnknownSubtype& o, ViolationList& violations) {
    ByteReader r = Body(option);
    o.subtype = subtype;
    o.nibble = nibble;
    CopyRest(r, &o.body);
    // E1: unknown subtypes are ignored, never fatal; reported for information.
    violations.Add({RuleId::kE1, kOffSubtype, "mptcp option: unknown subtype is ignored",
                    Severity::kInfo});
  });
}
std::size_t LengthOf(const Experimental& o) { return 3 + InlineSize(o.body); }
EncodeStatus EncodeBody(const Experimental& o, ByteWriter& w) {
  if (o.nibble > 0xf) return Inconsistent("experimental: nibble does not fit 4 bits");
  w.WriteU8(SubtypeByte(Subtype::kExperimental, o.nibble));
  return WriteInline(o.body, w);
}
std::size_t LengthOf(const UnknownSubtype& o) { return 3 + InlineSize(o.body); }
EncodeStatus EncodeBody(const UnknownSubtype& o, ByteWriter& w) {
  if (o.subtype < 0x9 || o.subtype > 0xe) {
    return Inconsistent("unknown subtype: subtype is not in 0x9..0xe");
  }
  if (o.nibble > 0xf) return Inconsistent("unknown subtype: nibble does not fit 4 bits");
  w.WriteU8(static_cast<std::uint8_t>((o.subtype << 4) | o.nibble));
  return WriteInline(o.body, w);
}

}  // namespace mpdrill::codec::internal
