// The pure MPTCP option codec: bytes <-> Option. Never sees connection state; only the
// flags of the segment the option travels on (which decide the expected length for a role).
#ifndef MPDRILL_ENGINE_CODEC_MPTCP_CODEC_H_
#define MPDRILL_ENGINE_CODEC_MPTCP_CODEC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/result.h"
#include "engine/codec/mptcp_option.h"
#include "engine/codec/rules.h"

namespace mpdrill::codec {

// What the decoder may know of the segment. nullopt fields = unknown (e.g. fuzzing a lone
// option): role-dependent rules (C1 per role, J1 per role, T1) are then not checked.
struct SegmentInfo {
  std::optional<bool> syn;
  std::optional<bool> ack;
  std::optional<bool> rst;
  std::optional<std::uint32_t> payload_length;
};

// kViolation: the option breaks a MUST of RFC 8684. kInfo: worth reporting but legitimate
// (an infinite mapping, an unknown subtype kept per E1); never a failure on its own.
enum class Severity : std::uint8_t { kViolation, kInfo };

// A rule broken by one option, found without state. Offset counts from the option's kind byte.
struct Violation {
  RuleId rule;
  std::uint8_t offset;
  // Unique, greppable reason (static storage), e.g. "mp_capable: version is not 1".
  std::string_view reason;
  Severity severity = Severity::kViolation;
  friend bool operator==(const Violation&, const Violation&) = default;
};

// Fixed capacity, no allocation on the decode path.
struct ViolationList {
  static constexpr std::size_t kCapacity = 8;
  // Only items[0, size) are ever read. Not zeroing the 256-byte array (a `rep stos` per decoded
  // option) takes ~25% off Decode (codec_bench, docs/performance.md).
  ViolationList() {}
  std::array<Violation, kCapacity> items;
  std::uint8_t size = 0;
  void Add(Violation v) {
    if (size < kCapacity) items[size++] = v;
  }
  std::span<const Violation> view() const { return {items.data(), size}; }
  bool empty() const { return size == 0; }
};

// Why bytes could not be decoded into an Option at all. One code per failure point.
enum class DecodeErrorCode : std::uint8_t {
  kTruncatedHeader,        // fewer than 3 bytes: no kind/length/subtype (G7)
  kNotMptcpKind,           // kind byte is not 30
  kLengthFieldTooSmall,    // length byte < 3 (G7)
  kLengthFieldPastEnd,     // length byte > bytes given (G7)
  kTrailingBytes,          // bytes given > length byte (G7)
  kMpCapableLength,        // not 4/12/20/22/24 (C1)
  kMpJoinLength,           // not 12/16/24 (J1)
  kDssLength,              // length != 4 + ack + map (+2) per flags (D1)
  kAddAddrLength,          // not one of the eight ADD_ADDR lengths (A1)
  kRemoveAddrLength,       // not reachable: lengths 3..40 decode (R1 is then a Violation)
  kMpPrioLength,           // not 3 (P1)
  kMpFailLength,           // not 12 (F1)
  kMpFastcloseLength,      // not 12 (§3.5)
  kMpTcpRstLength,         // not 4 (T2)
  kOptionTooLong,          // length byte > 40: cannot fit the TCP option space (A7, G7)
};

struct DecodeError {
  DecodeErrorCode code;
  RuleId rule;
  std::uint8_t offset;      // of the byte that proved the failure
  std::string_view reason;  // unique sentence (static storage), e.g. "dss: length does not ..."
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

struct Decoded {
  Decoded() {}  // user-provided: value-initialisation must not zero `violations` (see above)
  Option option;
  ViolationList violations;  // rules broken by this option that are checkable per packet
};

// `bytes` is exactly one option: kind (30), length, subtype byte, body.
Result<Decoded, DecodeError> Decode(std::span<const std::uint8_t> bytes,
                                    const SegmentInfo& segment = {});

struct EncodeParams {
  // Writes this value in the length byte instead of the real length (crafting bad options).
  std::optional<std::uint8_t> length_override;
};

enum class EncodeErrorCode : std::uint8_t {
  kBufferTooSmall,
  kInconsistentFields,  // e.g. MP_CAPABLE receiver_key without sender_key, a value too wide
};
struct EncodeError {
  EncodeErrorCode code;
  std::string_view reason;
};

// Writes the whole option (kind, length, body) into `out`; returns the bytes written.
Result<std::size_t, EncodeError> Encode(const Option& option, std::span<std::uint8_t> out,
                                        const EncodeParams& params = {});
// Length Encode would write (without override).
std::size_t EncodedLength(const Option& option);

}  // namespace mpdrill::codec

#endif  // MPDRILL_ENGINE_CODEC_MPTCP_CODEC_H_
