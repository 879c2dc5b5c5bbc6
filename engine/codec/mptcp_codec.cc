// Decode/Encode dispatch: the option header (kind, length, subtype) is checked here; each
// subtype's body lives in codec_<subtype>.cc.
#include "engine/codec/mptcp_codec.h"

#include <variant>

#include "base/bytes.h"
#include "engine/codec/codec_internal.h"

namespace mpdrill::codec {

using internal::Fail;

Result<Decoded, DecodeError> Decode(std::span<const std::uint8_t> bytes,
                                    const SegmentInfo& segment) {
  // Header checks, mpdrill rule G7 (RFC 8684 §3: kind, length, subtype are always present).
  if (bytes.size() < 3) {
    return Fail(DecodeErrorCode::kTruncatedHeader, RuleId::kG7, bytes.size(),
                "mptcp option: fewer than 3 bytes, no room for kind, length and subtype");
  }
  if (bytes[0] != kMptcpOptionKind) {
    return Fail(DecodeErrorCode::kNotMptcpKind, RuleId::kG7, 0, "mptcp option: kind is not 30");
  }
  const std::uint8_t length = bytes[1];
  if (length < 3) {
    return Fail(DecodeErrorCode::kLengthFieldTooSmall, RuleId::kG7, internal::kOffLength,
                "mptcp option: length byte is below 3");
  }
  if (length > bytes.size()) {
    return Fail(DecodeErrorCode::kLengthFieldPastEnd, RuleId::kG7, internal::kOffLength,
                "mptcp option: length byte runs past the end of the bytes");
  }
  if (length < bytes.size()) {
    return Fail(DecodeErrorCode::kTrailingBytes, RuleId::kG7, length,
                "mptcp option: bytes follow the end given by the length byte");
  }
  if (length > kMaxTcpOptionSpace) {
    // RFC 8684 §3 / rule A7: every option fits in the 40-byte TCP option space.
    return Fail(DecodeErrorCode::kOptionTooLong, RuleId::kA7, internal::kOffLength,
                "mptcp option: length byte exceeds the 40-byte option space");
  }
  const std::uint8_t subtype = bytes[internal::kOffSubtype] >> 4;
  const std::uint8_t nibble = bytes[internal::kOffSubtype] & 0x0f;
  // Each case returns the subtype decoder's Result as it is (a tail call: no copy).
  switch (subtype) {
    case 0x0: return internal::DecodeMpCapable(bytes, nibble, segment);
    case 0x1: return internal::DecodeMpJoin(bytes, nibble, segment);
    case 0x2: return internal::DecodeDss(bytes, nibble, segment);
    case 0x3: return internal::DecodeAddAddr(bytes, nibble, segment);
    case 0x4: return internal::DecodeRemoveAddr(bytes, nibble, segment);
    case 0x5: return internal::DecodeMpPrio(bytes, nibble, segment);
    case 0x6: return internal::DecodeMpFail(bytes, nibble, segment);
    case 0x7: return internal::DecodeMpFastclose(bytes, nibble, segment);
    case 0x8: return internal::DecodeMpTcpRst(bytes, nibble, segment);
    default: return internal::DecodeOpaque(bytes, subtype, nibble);  // 0x9..0xf
  }
}

std::size_t EncodedLength(const Option& option) {
  return std::visit([](const auto& o) { return internal::LengthOf(o); }, option);
}

Result<std::size_t, EncodeError> Encode(const Option& option, std::span<std::uint8_t> out,
                                        const EncodeParams& params) {
  const std::size_t length = EncodedLength(option);
  if (length > 255) {
    return internal::Inconsistent("encode: option longer than a length byte can say");
  }
  if (out.size() < length) {
    return Unexpected<EncodeError>{
        EncodeError{EncodeErrorCode::kBufferTooSmall, "encode: output buffer is too small"}};
  }
  ByteWriter w(out.first(length));
  w.WriteU8(kMptcpOptionKind);
  w.WriteU8(params.length_override.value_or(static_cast<std::uint8_t>(length)));
  internal::EncodeStatus body =
      std::visit([&w](const auto& o) { return internal::EncodeBody(o, w); }, option);
  if (!body.ok()) return Unexpected<EncodeError>{body.error()};
  if (w.size() != length) std::abort();  // LengthOf and EncodeBody disagree: a codec bug.
  return length;
}

}  // namespace mpdrill::codec
