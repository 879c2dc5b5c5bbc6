#include "engine/codec/rules.h"

#include <array>
#include <cstddef>

namespace mpdrill::codec {
namespace {

using R = RuleId;
constexpr std::string_view k31 = "RFC 8684 §3.1";
constexpr std::string_view k32 = "RFC 8684 §3.2";
constexpr std::string_view k33 = "RFC 8684 §3.3";
constexpr std::string_view k341 = "RFC 8684 §3.4.1";
constexpr std::string_view k342 = "RFC 8684 §3.4.2";

// One row per RuleId, in enum order (checked by a static_assert below and by rules_test).
constexpr std::array<RuleInfo, static_cast<std::size_t>(R::kG7) + 1> kRules{{
    {R::kC1, "C1", k31, "MP_CAPABLE length matches the segment's role (SYN 4, SYN/ACK 12, ACK 20, ACK+data 22/24)", false},
    {R::kC2, "C2", k31, "MP_CAPABLE version is 1; no common version means plain TCP", false},
    {R::kC3, "C3", k31, "MP_CAPABLE flag H is set and flags D-G are zero", false},
    {R::kC4, "C4", k31, "flag B from a peer that does not understand it makes the option ignored", true},
    {R::kC5, "C5", k31, "flag A from either side means DSS checksums for the whole connection", true},
    {R::kC6, "C6", k31, "the third ACK echoes the key sent in the SYN/ACK", true},
    {R::kC7, "C7", k31, "DSNs of each direction start at IDSN+1 of the sender's key", true},
    {R::kC8, "C8", k31, "the 22/24-byte form appears only on data while the third ACK may be lost", true},
    {R::kC9, "C9", k31, "flag C set: the peer never opens subflows to that address and port", true},
    {R::kC10, "C10", "RFC 8684 §3.2", "MP_CAPABLE and MP_JOIN in one SYN: both ignored", false},
    {R::kC11, "C11", k31, "SYN/ACK without MP_CAPABLE means plain TCP: no MPTCP option afterwards", true},
    {R::kJ1, "J1", k32, "MP_JOIN length by role: SYN 12, SYN/ACK 16, ACK 24", false},
    {R::kJ2, "J2", k32, "MP_JOIN token equals the receiver's token; unknown token means RST", true},
    {R::kJ3, "J3", k32, "MP_JOIN SYN/ACK HMAC is the leftmost 64 bits of HMAC(Kb||Ka, Rb||Ra)", true},
    {R::kJ4, "J4", k32, "MP_JOIN ACK HMAC is the leftmost 160 bits of HMAC(Ka||Kb, Ra||Rb)", true},
    {R::kJ5, "J5", k32, "a bad MP_JOIN HMAC resets the subflow", true},
    {R::kJ6, "J6", k32, "no data on a joined subflow before its third ACK is acknowledged", true},
    {R::kJ7, "J7", k32, "MP_JOIN reserved bits are zero", false},
    {R::kJ8, "J8", k32, "a joined subflow that loses MPTCP options is reset, never falls back", true},
    {R::kJ9, "J9", k32, "address IDs are unique per sender; ID 0 is the initial subflow's", true},
    {R::kD1, "D1", k33, "DSS length = 4 + ack + map (+2 iff checksums were negotiated)", false},
    {R::kD2, "D2", k33, "DSS checksum present iff negotiated, else the subflow is reset", true},
    {R::kD3, "D3", "RFC 8684 §3.3.1", "DSS checksum is the one's-complement sum over pseudo-header and payload", true},
    {R::kD4, "D4", k33, "a 4-byte DSN/DATA_ACK is the low 32 bits of the 64-bit space", true},
    {R::kD5, "D5", k33, "SSN is relative to the subflow ISN", true},
    {R::kD6, "D6", "RFC 8684 §3.3.1", "data-level length 0 is an infinite mapping (fallback)", false},
    {R::kD7, "D7", "RFC 8684 §3.3.3", "a DATA_FIN alone has SSN 0 and data-level length 1", false},
    {R::kD8, "D8", "RFC 8684 §3.3.3", "DATA_FIN takes one DSN and is acknowledged by DATA_ACK", true},
    {R::kD9, "D9", k33, "a mapping, once sent, is never changed", true},
    {R::kD10, "D10", "RFC 8684 §3.3.2", "DATA_ACK is cumulative, never moves backwards, never acks unsent data", true},
    {R::kD11, "D11", k33, "DSS flags m and a are meaningless unless M and A are set", false},
    {R::kD12, "D12", "RFC 8684 §3.7", "a DSS checksum failure leads to MP_FAIL", true},
    {R::kD13, "D13", "RFC 8684 §3.3.4", "the sender stays within DATA_ACK + the receive window", true},
    {R::kA1, "A1", k341, "ADD_ADDR length is in the set for the E flag and family", false},
    {R::kA2, "A2", k341, "ADD_ADDR HMAC is the rightmost 64 bits of HMAC(Ks||Kr, ID||addr||port)", true},
    {R::kA3, "A3", k341, "an ADD_ADDR with a bad HMAC is ignored", true},
    {R::kA4, "A4", k341, "the receiver echoes ADD_ADDR; the sender retransmits until echoed", true},
    {R::kA5, "A5", k341, "an ADD_ADDR echo carries no HMAC", false},
    {R::kA6, "A6", k341, "an address ID bound to one address is not silently rebound", true},
    {R::kA7, "A7", "RFC 8684 §3", "all options of a segment fit in 40 bytes", false},
    {R::kR1, "R1", k342, "REMOVE_ADDR carries at least one address ID", false},
    {R::kR2, "R2", k342, "subflows using a removed ID are closed; unknown IDs have no effect", true},
    {R::kR3, "R3", k342, "REMOVE_ADDR reserved bits are zero", false},
    {R::kP1, "P1", "RFC 8684 §3.3.8", "MP_PRIO length is 3 (reserved bits zero)", false},
    {R::kP2, "P2", "RFC 8684 §3.3.8", "MP_PRIO applies to the subflow it arrives on", true},
    {R::kF1, "F1", "RFC 8684 §3.7", "MP_FAIL length is 12 with a 64-bit DSN (reserved bits zero)", false},
    {R::kF2, "F2", "RFC 8684 §3.7", "MP_FAIL: one subflow falls back, several reset the failing one", true},
    {R::kF3, "F3", "RFC 8684 §3.7", "MP_FAIL DSN is the start of the failed mapping", true},
    {R::kX1, "X1", "RFC 8684 §3.5", "MP_FASTCLOSE carries the receiver's key (length 12, reserved zero)", true},
    {R::kX2, "X2", "RFC 8684 §3.5", "a valid MP_FASTCLOSE resets every subflow", true},
    {R::kT1, "T1", "RFC 8684 §3.6", "MP_TCPRST is only meaningful on RST segments", false},
    {R::kT2, "T2", "RFC 8684 §3.6", "MP_TCPRST length is 4 and flags U/V/W are zero", false},
    {R::kT3, "T3", "RFC 8684 §3.6", "unknown MP_TCPRST reasons are tolerated", false},
    {R::kE1, "E1", "RFC 8684 §3", "unknown subtypes are ignored, never fatal", false},
    {R::kG1, "G1", "RFC 8684 §3.7", "after fallback no MPTCP option is sent", true},
    {R::kG2, "G2", "RFC 8684 §3.7", "first data without DSS and no DATA_ACK seen: fallback, not RST", true},
    {R::kG3, "G3", "RFC 8684 §3.7", "MPTCP options stripped on a non-initial subflow: RST", true},
    {R::kG4, "G4", "RFC 8684 §3.1", "third ACK without MP_CAPABLE: fallback", true},
    {R::kG5, "G5", "RFC 9293 §3.1", "TCP option walking stops at a length < 2 or past the header end", false},
    {R::kG6, "G6", "RFC 8684 §3.7", "an infinite mapping marks the connection as fallen back", true},
    {R::kG7, "G7", "RFC 8684 §3", "(mpdrill) an MPTCP option has a 3-byte header, a length within the bytes, no trailing bytes", false},
}};

constexpr bool InEnumOrder() {
  for (std::size_t i = 0; i < kRules.size(); ++i) {
    if (static_cast<std::size_t>(kRules[i].id) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kRules must list every RuleId in enum order");

}  // namespace

const RuleInfo& Describe(RuleId id) { return kRules[static_cast<std::size_t>(id)]; }

std::string_view RuleName(RuleId id) { return Describe(id).name; }

std::optional<RuleId> ParseRuleName(std::string_view name) {
  for (const RuleInfo& info : kRules) {
    if (info.name == name) return info.id;
  }
  return std::nullopt;
}

}  // namespace mpdrill::codec
