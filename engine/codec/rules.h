// Rule IDs of ../shared/reference/rfc8684-rules.md (stable; used in diagnostics, JSON and docs).
#ifndef MPDRILL_ENGINE_CODEC_RULES_H_
#define MPDRILL_ENGINE_CODEC_RULES_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace mpdrill::codec {

enum class RuleId : std::uint8_t {
  // MP_CAPABLE
  kC1, kC2, kC3, kC4, kC5, kC6, kC7, kC8, kC9, kC10, kC11,
  // MP_JOIN
  kJ1, kJ2, kJ3, kJ4, kJ5, kJ6, kJ7, kJ8, kJ9,
  // DSS
  kD1, kD2, kD3, kD4, kD5, kD6, kD7, kD8, kD9, kD10, kD11, kD12, kD13,
  // ADD_ADDR
  kA1, kA2, kA3, kA4, kA5, kA6, kA7,
  // REMOVE_ADDR
  kR1, kR2, kR3,
  // MP_PRIO
  kP1, kP2,
  // MP_FAIL
  kF1, kF2, kF3,
  // MP_FASTCLOSE
  kX1, kX2,
  // MP_TCPRST
  kT1, kT2, kT3,
  // General
  kE1, kG1, kG2, kG3, kG4, kG5, kG6,
  // Added by mpdrill (documented in docs/rules.md):
  // G7: an MPTCP option (kind 30) shorter than its 3-byte header, or whose length field runs
  //     past the bytes given.
  kG7,
};

struct RuleInfo {
  RuleId id;
  std::string_view name;     // "C1"
  std::string_view section;  // "RFC 8684 §3.1"
  std::string_view summary;  // one line
  bool needs_state;          // true: only the reference model can check it
};

// Every rule, in enum order.
const RuleInfo& Describe(RuleId id);
std::string_view RuleName(RuleId id);                        // "C1"
std::optional<RuleId> ParseRuleName(std::string_view name);  // "C1" -> kC1

}  // namespace mpdrill::codec

#endif  // MPDRILL_ENGINE_CODEC_RULES_H_
