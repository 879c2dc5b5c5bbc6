// The reference model's entry point: watches segments of both directions of any number of
// connections, groups subflows into MPTCP connections (the initial subflow by its 4-tuple,
// joined subflows by token), and reports where an endpoint breaks RFC 8684.
//
//   model::Observer observer;
//   model::ViolationSink violations;
//   for (const model::Segment& s : segments) observer.Observe(s, &violations);
//   observer.Finish(&violations);
//   for (const auto& c : observer.TakeFinished()) ...
//
// Memory grows with live connections (each bounded), never with the number of packets.
#ifndef MPDRILL_ENGINE_MODEL_OBSERVER_H_
#define MPDRILL_ENGINE_MODEL_OBSERVER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/model/connection.h"
#include "engine/model/path_event.h"
#include "engine/model/segment.h"
#include "engine/model/summary.h"
#include "engine/model/violation.h"

namespace mpdrill::model {

struct ObserverOptions {
  // Rule J2: a responder accepting an MP_JOIN with an unknown token is a violation. Turn off
  // for captures that may start after the connection did (its token is then unknown to us).
  bool unknown_token_is_violation = true;
  std::size_t max_connections = 1 << 16;  // beyond: the least recently active is evicted
  std::size_t max_pending_joins = 1024;   // SYNs with unknown tokens awaiting an answer
  // Connections silent this long (by the segments' injected timestamps) are retired.
  std::uint64_t idle_timeout_us = 600ull * 1000 * 1000;
  // An MPTCP connection whose subflows were all reset stays joinable this long (Linux keeps
  // it until the application closes it; a capture cannot see that) before it is retired.
  std::uint64_t all_reset_linger_us = 60ull * 1000 * 1000;
  // A DSS checksum failure (D3) waits for its receiver's answer (RFC 8684 §3.7): answered as
  // the RFC asks, it is a path event (TakePathEvents), not a violation; unanswered when the
  // connection retires, or answered wrongly (F2, F3), it is reported as D3 then. Off: D3 is
  // reported when the checksum fails. For captures, where corruption on the path and a wrong
  // checksum look the same (path_event.h).
  bool checksum_failures_as_path_events = false;
};

struct ObserverStats {
  std::uint64_t segments = 0;
  std::uint64_t ignored = 0;         // no SYN seen for their 4-tuple (capture started later)
  std::uint64_t unknown_tokens = 0;  // MP_JOIN SYNs whose token no connection has
  std::uint64_t connections = 0;     // ever opened
  std::uint64_t evicted = 0;
};

// Where a segment belongs, for a caller that reports something about it (codec violations).
struct FlowLocation {
  std::uint64_t connection = 0;
  std::uint32_t subflow = 0;
  Side sender = Side::kClient;
};

class Observer {
 public:
  explicit Observer(ObserverOptions options = {});

  void Observe(const Segment& seg, ViolationSink* out);
  // End of input: every live connection is retired into the finished summaries.
  void Finish(ViolationSink* out);
  // Retires the connections silent since before now_us minus their timeout (idle_timeout_us,
  // all_reset_linger_us). Observe() does this itself every few thousand segments.
  void Sweep(std::uint64_t now_us);

  // Summaries of retired connections (closed, evicted or finished), oldest first; drains them.
  std::vector<ConnectionSummary> TakeFinished();
  // Path events found so far (ObserverOptions::checksum_failures_as_path_events); drains them.
  std::vector<PathEvent> TakePathEvents();
  std::vector<ConnectionSummary> LiveSummaries() const;
  // The live connection and subflow the segment's 4-tuple belongs to, and who sent it.
  std::optional<FlowLocation> Locate(const Segment& seg) const;
  std::size_t live_connections() const { return connections_.size(); }
  std::size_t pending_joins() const { return orphans_.size(); }
  std::size_t tracked_flows() const { return flows_.size(); }
  const ObserverStats& stats() const { return stats_; }

 private:
  struct FlowKey {
    Endpoint a, b;  // ordered: a <= b
    friend bool operator==(const FlowKey&, const FlowKey&) = default;
  };
  struct FlowHash {
    std::size_t operator()(const FlowKey& k) const;
  };
  struct FlowRef {
    std::uint64_t connection;
    std::uint32_t subflow;
  };
  struct TokenRef {
    std::uint64_t connection;
    Side owner;
  };
  struct OrphanJoin {  // a SYN with MP_JOIN and an unknown token (rule J2)
    std::uint32_t token;
    Endpoint initiator;
    std::uint32_t isn;
  };

  static FlowKey KeyOf(const Segment& seg);
  void OnSyn(const Segment& seg, const FlowKey& key, ViolationSink* out);
  void OnOrphan(const Segment& seg, const FlowKey& key, ViolationSink* out);
  void Dispatch(Connection& c, std::uint32_t subflow, const Segment& seg, ViolationSink* out);
  void RegisterTokens(Connection& c);
  void Retire(std::uint64_t id, bool evicted);
  void ForgetLastFlow() { last_.connection = nullptr; }

  ObserverOptions options_;
  ObserverStats stats_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;  // by id = age
  std::unordered_map<FlowKey, FlowRef, FlowHash> flows_;
  std::unordered_map<std::uint32_t, TokenRef> tokens_;
  std::unordered_map<FlowKey, OrphanJoin, FlowHash> orphans_;
  // Tokens of retired connections, newest last (at most max_pending_joins), with when they
  // were retired: the host may hold such a connection until its application closes it, so an
  // MP_JOIN for one within all_reset_linger_us is no J2 (found by fuzz/live_fuzzer.cc).
  std::deque<std::pair<std::uint32_t, std::uint64_t>> retired_tokens_;
  bool RecentlyRetired(std::uint32_t token, std::uint64_t now_us) const;
  std::vector<ConnectionSummary> finished_;
  std::vector<PathEvent> path_events_;
  // D3s of connections retired outside Observe/Finish (Sweep): handed out by the next call.
  ViolationSink retired_violations_;
  void ObserveSegment(const Segment& seg, ViolationSink* out);
  // The flow of the last segment dispatched through flows_: consecutive segments of one subflow
  // (most of a capture) skip the hash and the connection lookup. Forgotten whenever a flow or
  // a connection goes away or a SYN may remap a 4-tuple.
  struct LastFlow {
    FlowKey key;
    std::uint32_t subflow = 0;
    Connection* connection = nullptr;  // null: nothing cached
  };
  LastFlow last_;
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_OBSERVER_H_
