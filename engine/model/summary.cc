#include "engine/model/summary.h"

#include "engine/codec/json_util.h"
#include "engine/model/address_manager.h"
#include "engine/model/connection.h"

namespace mpdrill::model {

std::string_view ModeName(Mode m) {
  switch (m) {
    case Mode::kPending:
      return "pending";
    case Mode::kMptcp:
      return "mptcp";
    case Mode::kPlain:
      return "plain-tcp";
    case Mode::kFallback:
      return "fallback";
  }
  return "?";
}

std::string_view CloseKindName(CloseKind c) {
  switch (c) {
    case CloseKind::kOpen:
      return "open";
    case CloseKind::kDataFin:
      return "data-fin";
    case CloseKind::kFastclose:
      return "fastclose";
    case CloseKind::kReset:
      return "reset";
    case CloseKind::kTcp:
      return "tcp";
  }
  return "?";
}

void AppendEndpoint(const Endpoint& e, std::string* out) {
  const bool v6 = e.ip_version == 6;
  if (v6) out->push_back('[');
  AppendAddress(v6, e.address, out);
  out->append(v6 ? "]:" : ":");
  codec::AppendUint(e.port, out);
}

// "from -> to".
static void AppendPath(const Endpoint& from, const Endpoint& to, std::string* out) {
  AppendEndpoint(from, out);
  out->append(" -> ");
  AppendEndpoint(to, out);
}

std::string Describe(const ConnectionSummary& s) {
  // Appended in place: `mpdrill check` describes every connection of a capture.
  std::string out = "connection ";
  codec::AppendUint(s.id, &out);
  out.push_back(' ');
  AppendPath(s.client, s.server, &out);
  out.append(" mode ");
  out.append(ModeName(s.mode));
  if (s.fallback) {
    out.append(" (fallback: ");
    out.append(s.fallback_reason);
    out.push_back(')');
  }
  if (s.checksums) out.append(" checksums");
  out.append(" close ");
  out.append(CloseKindName(s.close));
  if (s.evicted) out.append(" (evicted)");
  out.append("\n  data bytes client->server ");
  codec::AppendUint(s.data_bytes[0], &out);
  out.append(" server->client ");
  codec::AppendUint(s.data_bytes[1], &out);
  out.append(", violations ");
  codec::AppendUint(s.violations, &out);
  out.push_back('\n');
  if (s.mp_fail_sent[0] + s.mp_fail_sent[1] > 0) {
    out.append("  MP_FAIL sent by client ");
    codec::AppendUint(s.mp_fail_sent[0], &out);
    out.append(" server ");
    codec::AppendUint(s.mp_fail_sent[1], &out);
    out.push_back('\n');
  }
  if (s.path_events > 0) {
    out.append("  path events ");
    codec::AppendUint(s.path_events, &out);
    out.append(" (checksum failures answered as RFC 8684 §3.7 asks)\n");
  }
  for (const SubflowSummary& f : s.subflows) {
    out.append("  subflow ");
    codec::AppendUint(f.id, &out);
    out.append(f.joined ? " join " : " initial ");
    AppendPath(f.initiator_endpoint, f.responder_endpoint, &out);
    out.push_back(' ');
    out.append(SubflowStateName(f.state));
    if (f.reset_reason) {
      out.append(" (MP_TCPRST reason ");
      codec::AppendUint(*f.reset_reason, &out);
      out.push_back(')');
    }
    if (f.backup) out.append(" backup");
    out.append(" bytes ");
    codec::AppendUint(f.tcp_bytes[0], &out);
    out.push_back('/');
    codec::AppendUint(f.tcp_bytes[1], &out);
    out.push_back('\n');
  }
  return out;
}

ConnectionSummary Connection::Summary() const {
  ConnectionSummary s;
  s.id = id_;
  s.client = subflows_[0]->initiator_endpoint();
  s.server = subflows_[0]->responder_endpoint();
  s.mode = mode_;
  s.mptcp_negotiated = mptcp_negotiated_;
  s.checksums = checksums_;
  s.fallback = fallback_;
  s.fallback_reason = fallback_reason_;
  s.fallback_rule = fallback_rule_;
  s.fallback_packet = fallback_packet_;
  s.keys = keys_;
  s.tokens = tokens_;
  bool all_closed = true, all_reset = true;
  for (const auto& sf : subflows_) {
    SubflowSummary f;
    f.id = sf->id();
    f.joined = sf->joined();
    f.initiator = sf->initiator();
    f.initiator_endpoint = sf->initiator_endpoint();
    f.responder_endpoint = sf->responder_endpoint();
    f.state = sf->state();
    f.backup = sf->backup();
    for (Side side : {Side::kClient, Side::kServer}) {
      f.tcp_bytes[Index(side)] = sf->tcp(side).new_bytes;
      f.retransmitted_bytes[Index(side)] = sf->tcp(side).retransmitted_bytes;
    }
    f.reset_reason = sf->reset_reason();
    f.first_packet = sf->first_packet();
    f.last_packet = sf->last_packet();
    all_closed = all_closed && sf->closed();
    all_reset = all_reset && sf->state() == SubflowState::kReset;
    s.subflows.push_back(f);
  }
  s.data_bytes = {data_[0].bytes(), data_[1].bytes()};
  if (fastclose_by_) {
    s.close = CloseKind::kFastclose;
  } else if (mode_ == Mode::kMptcp && data_[0].data_fin_acked() && data_[1].data_fin_acked()) {
    s.close = CloseKind::kDataFin;
  } else if (all_closed) {
    s.close = mode_ == Mode::kMptcp ? (all_reset ? CloseKind::kReset : CloseKind::kOpen)
                                    : CloseKind::kTcp;
  }
  s.checksum_stats = checksum_stats_;
  s.mp_fail_sent = mp_fail_sent_;
  s.path_events = checksum_failures_.event_count();
  s.violations = violations_;
  s.first_packet = first_packet_;
  s.last_packet = last_packet_;
  return s;
}

}  // namespace mpdrill::model
