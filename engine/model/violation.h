// A protocol rule broken by one endpoint, as the reference model reports it.
#ifndef MPDRILL_ENGINE_MODEL_VIOLATION_H_
#define MPDRILL_ENGINE_MODEL_VIOLATION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/codec/rules.h"

namespace mpdrill::model {

// Which end of a connection: the initiator of its first subflow is the client.
enum class Side : std::uint8_t { kClient = 0, kServer = 1 };
inline Side Peer(Side s) { return s == Side::kClient ? Side::kServer : Side::kClient; }
inline int Index(Side s) { return static_cast<int>(s); }
std::string_view SideName(Side s);  // "client" / "server"

struct Violation {
  codec::RuleId rule;
  std::uint64_t connection = 0;  // Observer-assigned id, 1-based
  std::uint32_t subflow = 0;     // index within the connection, 0 = initial subflow
  std::uint64_t packet = 0;      // Segment::index of the offending segment
  std::uint64_t timestamp_us = 0;
  Side sender = Side::kClient;   // the endpoint that broke the rule
  // What was wrong, with `expected: X actual: Y` where a value is involved.
  std::string explanation;
};

// "RFC 8684 §3.3.1" for the rule (from the codec's rule table).
std::string_view Section(codec::RuleId rule);

// One line: "packet 12 conn 1 subflow 0 client: D3 (RFC 8684 §3.3.1): <explanation>".
std::string Format(const Violation& v);

// Where the model appends what it finds. Plain vector: callers drain it as they like.
using ViolationSink = std::vector<Violation>;

// The context of the segment being processed, so rule checks only add the rule-specific part.
struct Reporter {
  ViolationSink* sink = nullptr;
  std::uint64_t connection = 0;
  std::uint32_t subflow = 0;
  std::uint64_t packet = 0;
  std::uint64_t timestamp_us = 0;
  Side sender = Side::kClient;

  void Report(codec::RuleId rule, std::string explanation) const;
};

// "expected: X actual: Y" with both values printed by std::to_string-like formatting.
std::string ExpectedActual(std::string_view expected, std::string_view actual);
std::string Hex(std::uint64_t v);

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_VIOLATION_H_
