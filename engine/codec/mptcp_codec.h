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
#include <type_traits>
#include <utility>

#include "base/result.h"
#include "engine/codec/mptcp_option.h"
#include "engine/codec/reason.h"
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
// Written `{rule, offset, "reason"}` or `{rule, offset, "reason", Severity::kInfo}`; the
// default constructor leaves it unset (only ViolationList's filled slots are ever read).
struct Violation {
  Violation() = default;
  constexpr Violation(RuleId rule, std::uint8_t offset, Reason reason,
                      Severity severity = Severity::kViolation)
      : reason(reason), rule(rule), offset(offset), severity(severity) {}
  Reason reason;  // first, so that the three bytes below share one 8-byte slot
  RuleId rule;
  std::uint8_t offset;
  Severity severity;
  friend bool operator==(const Violation&, const Violation&) = default;
};
static_assert(sizeof(Violation) == 16 && std::is_trivially_default_constructible_v<Violation>);

// Fixed capacity, no allocation on the decode path. Only items[0, size) are ever read; the
// slots are trivially constructible, so building a list writes `size` alone.
struct ViolationList {
  static constexpr std::size_t kCapacity = 8;
  ViolationList() {}  // user-provided: `ViolationList{}` must not zero the slots either
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
  std::uint8_t offset;  // of the byte that proved the failure
  Reason reason;        // e.g. "dss: length does not match the A, a, M and m flags"
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

struct Decoded {
  Decoded() {}  // user-provided: value-initialisation must not zero `violations`
  // The option of subtype T built in place (the decoder's way: no default MpCapable first).
  template <typename T>
  explicit Decoded(std::in_place_type_t<T> subtype) : option(subtype) {}
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
