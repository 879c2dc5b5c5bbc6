// Checksum failures as path events (RFC 8684 §3.7). A capture cannot tell a payload changed
// on the path from a sender computing a wrong DSS checksum, but the protocol says what the
// receiver of a failed checksum must do. When it does, the failure is a *path event*
// (something on the path changed the payload, and the endpoints handled it); when it does not
// (the connection ends unanswered) or answers wrongly (F2, F3), the failure stays a D3
// violation against the mapping's sender. Correct answers:
//   - a lone subflow: MP_FAIL naming the failed mapping, then the mapping's sender falls back
//     with an infinite mapping (G6);
//   - the subflow reset by its receiver, the RST carrying MP_FAIL, or MP_TCPRST reason 6
//     (middlebox interference, RFC 8684 §3.6);
//   - on the first data (no checksum verified yet): the receiver falls back without MP_FAIL,
//     its first data without a DSS mapping (G2).
// Off by default (ObserverOptions::checksum_failures_as_path_events): a D3 is then reported
// as soon as the checksum fails.
#ifndef MPDRILL_ENGINE_MODEL_PATH_EVENT_H_
#define MPDRILL_ENGINE_MODEL_PATH_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/violation.h"

namespace mpdrill::model {

enum class PathEventKind : std::uint8_t {
  kMpFailInfiniteMapping,  // MP_FAIL on a lone subflow, then the infinite mapping
  kSubflowReset,           // the receiver reset the subflow: MP_FAIL, or MP_TCPRST reason 6
  kFallbackWithoutMpFail,  // the first data failed: the receiver fell back, no MP_FAIL
};
// "mp-fail-infinite-mapping", "subflow-reset", "fallback-without-mp-fail".
std::string_view PathEventKindName(PathEventKind k);

struct PathEvent {
  PathEventKind kind = PathEventKind::kMpFailInfiniteMapping;
  // The D3 it would have been: packet = the segment whose checksum failed, sender = the
  // mapping's sender, explanation = the checksum expected and found.
  Violation failure;
  std::uint64_t answer_packet = 0;  // the segment that completed the answer
  std::string answer;               // what happened, e.g. "server MP_FAIL at packet 9, ..."
};

// Per connection: the checksum failures waiting for their answer. Bounded (kMaxPending:
// beyond, a failure is reported as D3 at once).
class ChecksumFailures {
 public:
  static constexpr std::size_t kMaxPending = 8;

  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }

  // Moves the D3 violations appended to `sink` from index `from` on into the pending list.
  void Defer(ViolationSink* sink, std::size_t from);
  // The receiver of `data_sender`'s data sent MP_FAIL on a segment without RST, rightly (no
  // F2, no F3): the answer is complete once the data sender sends its infinite mapping.
  void OnMpFail(Side data_sender, std::uint64_t packet, Side receiver);
  // `data_sender` sent an infinite mapping: its MP_FAIL-answered failures are path events.
  void OnInfiniteMapping(Side data_sender, std::uint64_t packet);
  // The receiver reset `subflow` with MP_FAIL or MP_TCPRST reason 6 (`how` says which).
  void OnSubflowReset(Side data_sender, std::uint32_t subflow, std::uint64_t packet,
                      std::string_view how);
  // The receiver fell back without MP_FAIL on its first data (G2).
  void OnFallback(Side data_sender, std::uint64_t packet);
  // A wrong answer (F2, F3): `data_sender`'s pending failures are D3 violations now.
  void Refuse(Side data_sender, ViolationSink* sink);
  // End of the connection: what is still unanswered is a D3 violation.
  void Flush(ViolationSink* sink);

  std::vector<PathEvent> TakeEvents();
  std::uint32_t event_count() const { return event_count_; }

 private:
  struct Pending {
    Violation d3;
    std::optional<std::uint64_t> mp_fail_packet;  // the receiver's MP_FAIL
    Side receiver = Side::kServer;
  };
  void Resolve(Pending& p, PathEventKind kind, std::uint64_t packet, std::string answer);

  bool enabled_ = false;
  std::vector<Pending> pending_;
  std::vector<PathEvent> events_;  // drained by the Observer after every segment
  std::uint32_t event_count_ = 0;
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_PATH_EVENT_H_
