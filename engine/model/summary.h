// What the model says about a connection as a whole: the per-connection summary of
// `mpdrill check` and the invariants the fuzzer checks.
#ifndef MPDRILL_ENGINE_MODEL_SUMMARY_H_
#define MPDRILL_ENGINE_MODEL_SUMMARY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/mapping.h"
#include "engine/model/segment.h"
#include "engine/model/subflow.h"
#include "engine/model/violation.h"

namespace mpdrill::model {

enum class Mode : std::uint8_t {
  kPending,   // SYN offered MP_CAPABLE, no answer seen yet
  kMptcp,     // MP_CAPABLE negotiated, not fallen back
  kPlain,     // never MPTCP (no MP_CAPABLE in the SYN, or C10)
  kFallback,  // negotiated or offered, then fell back to TCP
};
std::string_view ModeName(Mode m);

enum class CloseKind : std::uint8_t {
  kOpen,       // still running (or the capture ended)
  kDataFin,    // both DATA_FINs acknowledged (RFC 8684 §3.3.3)
  kFastclose,  // MP_FASTCLOSE (§3.5)
  kReset,      // every subflow reset without a connection-level close
  kTcp,        // plain TCP or fallback, closed by TCP FIN/RST
};
std::string_view CloseKindName(CloseKind c);

struct SubflowSummary {
  std::uint32_t id = 0;
  bool joined = false;
  Side initiator = Side::kClient;
  Endpoint initiator_endpoint;
  Endpoint responder_endpoint;
  SubflowState state = SubflowState::kSynSent;
  bool backup = false;
  std::array<std::uint64_t, 2> tcp_bytes{};  // new TCP payload bytes, by sender Side
  std::array<std::uint64_t, 2> retransmitted_bytes{};
  std::optional<std::uint8_t> reset_reason;  // MP_TCPRST reason
  std::uint64_t first_packet = 0;
  std::uint64_t last_packet = 0;
};

struct ConnectionSummary {
  std::uint64_t id = 0;
  Endpoint client;
  Endpoint server;
  Mode mode = Mode::kPlain;
  bool mptcp_negotiated = false;  // SYN and SYN/ACK both carried MP_CAPABLE
  bool checksums = false;         // rule C5
  bool fallback = false;
  std::string fallback_reason;    // empty unless fallback
  std::optional<codec::RuleId> fallback_rule;  // C11, G2, G4, G6
  std::uint64_t fallback_packet = 0;
  std::array<std::optional<std::uint64_t>, 2> keys{};  // by Side
  std::array<std::optional<std::uint32_t>, 2> tokens{};
  std::vector<SubflowSummary> subflows;
  std::array<std::uint64_t, 2> data_bytes{};  // data-level bytes mapped, by sender Side
  CloseKind close = CloseKind::kOpen;
  bool evicted = false;  // retired for idleness or capacity, not because it closed
  ChecksumStats checksum_stats;
  // MP_FAIL options (RFC 8684 §3.7) by sender Side: a checksum failure reported, or echoed.
  std::array<std::uint32_t, 2> mp_fail_sent{};
  // Checksum failures the receiver answered as RFC 8684 §3.7 asks (path_event.h): not
  // violations. Counted only with ObserverOptions::checksum_failures_as_path_events.
  std::uint32_t path_events = 0;
  std::uint64_t violations = 0;
  std::uint64_t first_packet = 0;
  std::uint64_t last_packet = 0;
};

// "198.51.100.1:8080" or "[2001:db8::1]:8080".
void AppendEndpoint(const Endpoint& e, std::string* out);

// Multi-line human-readable summary.
std::string Describe(const ConnectionSummary& s);

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_SUMMARY_H_
