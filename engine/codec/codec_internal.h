// Per-subtype halves of Decode/Encode (one .cc per subtype group). Internal to mpdrill_codec.
#ifndef MPDRILL_ENGINE_CODEC_CODEC_INTERNAL_H_
#define MPDRILL_ENGINE_CODEC_CODEC_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <variant>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_option.h"

namespace mpdrill::codec::internal {

// A subtype decoder returns Decode's whole result. Every return is a prvalue (a Fail, or a
// Build that names its one result), so the 200-byte Result is built once, in the caller's
// slot, with the right subtype from the start: never copied, never default-built first.
using DecodeResult = Result<Decoded, DecodeError>;
using EncodeStatus = Status<EncodeError>;

inline Unexpected<DecodeError> Fail(DecodeErrorCode code, RuleId rule, std::size_t offset,
                                    Reason reason) {
  return Unexpected<DecodeError>{
      DecodeError{code, rule, static_cast<std::uint8_t>(offset > 255 ? 255 : offset), reason}};
}

// A decoded option of subtype T: `fill(T& option, ViolationList& violations)` sets its fields
// and adds the rules it breaks.
template <typename T, typename Fill>
DecodeResult Build(Fill fill) {
  DecodeResult result{std::in_place, std::in_place_type<T>};
  fill(std::get<T>(result->option), result->violations);
  return result;  // the only return: NRVO
}
inline Unexpected<EncodeError> Inconsistent(std::string_view reason) {
  return Unexpected<EncodeError>{EncodeError{EncodeErrorCode::kInconsistentFields, reason}};
}

// Byte offsets inside an option (RFC 8684 §3: kind, length, subtype|nibble, ...).
inline constexpr std::uint8_t kOffLength = 1;
inline constexpr std::uint8_t kOffSubtype = 2;
inline constexpr std::uint8_t kOffByte3 = 3;

// Segment roles as far as SegmentInfo tells them.
inline bool IsSyn(const SegmentInfo& s) { return s.syn.has_value() && *s.syn && s.ack.has_value() && !*s.ack; }
inline bool IsSynAck(const SegmentInfo& s) { return s.syn.has_value() && *s.syn && s.ack.has_value() && *s.ack; }
inline bool IsNonSyn(const SegmentInfo& s) { return s.syn.has_value() && !*s.syn; }

// Decoders get the whole option, already checked: kind 30, 3 <= size <= 40, length byte == size;
// `nibble` is byte 2's low nibble. They read the body through Body(option).
inline ByteReader Body(Bytes option) {
  ByteReader reader(option);
  reader.Skip(3);  // kind, length, subtype|nibble
  return reader;
}
DecodeResult DecodeMpCapable(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeMpJoin(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeDss(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeAddAddr(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeRemoveAddr(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeMpPrio(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeMpFail(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeMpFastclose(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeMpTcpRst(Bytes option, std::uint8_t nibble, const SegmentInfo& segment);
DecodeResult DecodeOpaque(Bytes option, std::uint8_t subtype, std::uint8_t nibble);

// Length of the whole option built from its named parts.
std::size_t LengthOf(const MpCapable& o);
std::size_t LengthOf(const MpJoin& o);
std::size_t LengthOf(const Dss& o);
std::size_t LengthOf(const AddAddr& o);
std::size_t LengthOf(const RemoveAddr& o);
std::size_t LengthOf(const MpPrio& o);
std::size_t LengthOf(const MpFail& o);
std::size_t LengthOf(const MpFastclose& o);
std::size_t LengthOf(const MpTcpRst& o);
std::size_t LengthOf(const Experimental& o);
std::size_t LengthOf(const UnknownSubtype& o);

// Writes byte 2 (subtype|nibble) and the body. The caller wrote kind and length and made sure
// the buffer holds LengthOf(o) bytes.
EncodeStatus EncodeBody(const MpCapable& o, ByteWriter& w);
EncodeStatus EncodeBody(const MpJoin& o, ByteWriter& w);
EncodeStatus EncodeBody(const Dss& o, ByteWriter& w);
EncodeStatus EncodeBody(const AddAddr& o, ByteWriter& w);
EncodeStatus EncodeBody(const RemoveAddr& o, ByteWriter& w);
EncodeStatus EncodeBody(const MpPrio& o, ByteWriter& w);
EncodeStatus EncodeBody(const MpFail& o, ByteWriter& w);
EncodeStatus EncodeBody(const MpFastclose& o, ByteWriter& w);
EncodeStatus EncodeBody(const MpTcpRst& o, ByteWriter& w);
EncodeStatus EncodeBody(const Experimental& o, ByteWriter& w);
EncodeStatus EncodeBody(const UnknownSubtype& o, ByteWriter& w);

inline std::uint8_t SubtypeByte(Subtype s, std::uint8_t nibble) {
  return static_cast<std::uint8_t>((static_cast<std::uint8_t>(s) << 4) | (nibble & 0x0f));
}

}  // namespace mpdrill::codec::internal

#endif  // MPDRILL_ENGINE_CODEC_CODEC_INTERNAL_H_
