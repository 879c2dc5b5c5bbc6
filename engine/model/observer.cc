#include "engine/model/observer.h"

#include <cstring>
#include <utility>
#include <variant>

namespace mpdrill::model {

using codec::RuleId;

namespace {

template <typename T>
const T* FindOption(std::span<const codec::Option> options) {
  for (const codec::Option& o : options) {
    if (const T* p = std::get_if<T>(&o)) return p;
  }
  return nullptr;
}

constexpr std::uint64_t kSweepEvery = 4096;  // segments between idle sweeps

}  // namespace

std::size_t Observer::FlowHash::operator()(const FlowKey& k) const {
  // Word-wise multiply-xorshift mixing (a hot path: one lookup per segment).
  auto mix = [](std::uint64_t h, std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 32);
  };
  std::uint64_t h = 0;
  for (const Endpoint* e : {&k.a, &k.b}) {
    std::uint64_t w[2];
    std::memcpy(w, e->address.data(), sizeof(w));
    h = mix(h, w[0]);
    if (e->ip_version == 6) h = mix(h, w[1]);
    h = mix(h, (std::uint64_t{e->port} << 8) | e->ip_version);
  }
  return static_cast<std::size_t>(h);
}

Observer::Observer(ObserverOptions options) : options_(options) {}

Observer::FlowKey Observer::KeyOf(const Segment& seg) {
  if (seg.src < seg.dst) return {seg.src, seg.dst};
  return {seg.dst, seg.src};
}

void Observer::Observe(const Segment& seg, ViolationSink* out) {
  ObserveSegment(seg, out);
  if (!retired_violations_.empty()) {
    if (out != nullptr) {
      for (Violation& v : retired_violations_) out->push_back(std::move(v));
    }
    retired_violations_.clear();
  }
}

void Observer::ObserveSegment(const Segment& seg, ViolationSink* out) {
  ++stats_.segments;
  if (stats_.segments % kSweepEvery == 0) Sweep(seg.timestamp_us);
  const FlowKey key = KeyOf(seg);
  if (seg.syn() && !seg.ack_flag()) {
    ForgetLastFlow();
    OnSyn(seg, key, out);
    return;
  }
  if (last_.connection != nullptr && last_.key == key) {
    Dispatch(*last_.connection, last_.subflow, seg, out);
    return;
  }
  auto it = flows_.find(key);
  if (it == flows_.end()) {
    OnOrphan(seg, key, out);
    return;
  }
  const FlowRef ref = it->second;
  auto c = connections_.find(ref.connection);
  if (c == connections_.end()) {  // cannot happen: Retire unmaps its flows
    flows_.erase(it);
    ++stats_.ignored;
    return;
  }
  last_ = LastFlow{key, ref.subflow, c->second.get()};  // before Dispatch: it may retire c
  Dispatch(*c->second, ref.subflow, seg, out);
}

void Observer::OnSyn(const Segment& seg, const FlowKey& key, ViolationSink* out) {
  if (auto it = flows_.find(key); it != flows_.end()) {
    auto c = connections_.find(it->second.connection);
    if (c != connections_.end()) {
      const Subflow& sf = c->second->subflow(it->second.subflow);
      if (sf.initiator_endpoint() == seg.src &&
          sf.tcp(sf.initiator()).isn == seg.seq) {  // a retransmitted SYN
        Dispatch(*c->second, it->second.subflow, seg, out);
        return;
      }
    }
    flows_.erase(it);  // the 4-tuple is reused by a new connection or subflow
  }
  if (auto it = orphans_.find(key); it != orphans_.end()) {
    if (it->second.isn == seg.seq) return;  // retransmitted SYN with the unknown token
    orphans_.erase(it);
  }
  const auto* mpc = FindOption<codec::MpCapable>(seg.options);
  const auto* join = FindOption<codec::MpJoin>(seg.options);
  if (join != nullptr && mpc == nullptr) {
    auto t = tokens_.find(join->token);
    if (t == tokens_.end()) {
      ++stats_.unknown_tokens;
      if (orphans_.size() >= options_.max_pending_joins) orphans_.erase(orphans_.begin());
      orphans_[key] = OrphanJoin{join->token, seg.src, seg.seq};
      return;
    }
    Connection& c = *connections_.at(t->second.connection);
    const auto index = c.AddJoin(seg, t->second.owner);
    if (!index) {
      ++stats_.ignored;
      return;
    }
    flows_[key] = FlowRef{c.id(), *index};
    Dispatch(c, *index, seg, out);
    return;
  }
  if (connections_.size() >= options_.max_connections) {
    // Keep memory bounded: evict the least recently active connection.
    auto oldest = connections_.begin();
    for (auto it = connections_.begin(); it != connections_.end(); ++it) {
      if (it->second->last_timestamp_us() < oldest->second->last_timestamp_us()) oldest = it;
    }
    Retire(oldest->first, /*evicted=*/true);
  }
  const std::uint64_t id = next_id_++;
  ++stats_.connections;
  auto conn = std::make_unique<Connection>(id, seg);
  conn->set_checksum_failures_as_path_events(options_.checksum_failures_as_path_events);
  Connection& c = *conn;
  connections_.emplace(id, std::move(conn));
  flows_[key] = FlowRef{id, 0};
  Dispatch(c, 0, seg, out);
}

void Observer::OnOrphan(const Segment& seg, const FlowKey& key, ViolationSink* out) {
  auto it = orphans_.find(key);
  if (it == orphans_.end()) {
    ++stats_.ignored;
    return;
  }
  const OrphanJoin orphan = it->second;
  if (seg.src == orphan.initiator) return;  // the initiator goes on: wait for the responder
  orphans_.erase(it);
  if (!seg.syn() || seg.rst() || !options_.unknown_token_is_violation) return;
  if (FindOption<codec::MpJoin>(seg.options) == nullptr) return;
  if (RecentlyRetired(orphan.token, seg.timestamp_us)) return;
  // RFC 8684 §3.2, rule J2: an MP_JOIN with an unknown token is refused with a RST.
  const Reporter r{out, 0, 0, seg.index, seg.timestamp_us, Side::kServer};
  r.Report(RuleId::kJ2, "MP_JOIN accepted for unknown token " + Hex(orphan.token) + ": " +
                            ExpectedActual("RST (MP_TCPRST reason 1)", "SYN/ACK with MP_JOIN"));
}

void Observer::Dispatch(Connection& c, std::uint32_t subflow, const Segment& seg,
                        ViolationSink* out) {
  c.OnSegment(subflow, seg, out);
  for (PathEvent& e : c.TakePathEvents()) path_events_.push_back(std::move(e));
  if (c.TakeNewTokens()) RegisterTokens(c);
  if (c.finished()) Retire(c.id(), /*evicted=*/false);
}

void Observer::RegisterTokens(Connection& c) {
  for (Side s : {Side::kClient, Side::kServer}) {
    if (auto token = c.token(s)) {
      // The first connection to claim a token keeps it (a collision is the hosts' problem).
      const auto [it, fresh] = tokens_.try_emplace(*token, TokenRef{c.id(), s});
      if (!fresh && it->second.connection != c.id()) c.RetryTokens();
    }
  }
}

bool Observer::RecentlyRetired(std::uint32_t token, std::uint64_t now_us) const {
  for (const auto& [t, at] : retired_tokens_) {
    if (t == token && now_us - std::min(now_us, at) <= options_.all_reset_linger_us) return true;
  }
  return false;
}

void Observer::Retire(std::uint64_t id, bool evicted) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  ForgetLastFlow();
  Connection& c = *it->second;
  c.FlushChecksumFailures(&retired_violations_);
  ConnectionSummary s = c.Summary();
  s.evicted = evicted;
  if (evicted) ++stats_.evicted;
  for (std::uint32_t i = 0; i < c.subflow_count(); ++i) {
    const Subflow& sf = c.subflow(i);
    Segment probe;
    probe.src = sf.initiator_endpoint();
    probe.dst = sf.responder_endpoint();
    auto f = flows_.find(KeyOf(probe));
    if (f != flows_.end() && f->second.connection == id) flows_.erase(f);
  }
  for (Side side : {Side::kClient, Side::kServer}) {
    if (auto token = c.token(side)) {
      auto t = tokens_.find(*token);
      if (t != tokens_.end() && t->second.connection == id) tokens_.erase(t);
      if (retired_tokens_.size() >= options_.max_pending_joins) retired_tokens_.pop_front();
      retired_tokens_.emplace_back(*token, c.last_timestamp_us());
    }
  }
  finished_.push_back(std::move(s));
  connections_.erase(it);
}

void Observer::Sweep(std::uint64_t now_us) {
  std::vector<std::uint64_t> idle;
  for (const auto& [id, c] : connections_) {
    const std::uint64_t limit =
        c->all_subflows_reset() ? options_.all_reset_linger_us : options_.idle_timeout_us;
    if (now_us > c->last_timestamp_us() && now_us - c->last_timestamp_us() > limit) {
      idle.push_back(id);
    }
  }
  for (std::uint64_t id : idle) Retire(id, /*evicted=*/true);
}

void Observer::Finish(ViolationSink* out) {
  while (!connections_.empty()) Retire(connections_.begin()->first, /*evicted=*/false);
  orphans_.clear();
  if (out != nullptr) {
    for (Violation& v : retired_violations_) out->push_back(std::move(v));
  }
  retired_violations_.clear();
}

std::vector<PathEvent> Observer::TakePathEvents() {
  std::vector<PathEvent> out;
  out.swap(path_events_);
  return out;
}

std::vector<ConnectionSummary> Observer::TakeFinished() {
  std::vector<ConnectionSummary> out;
  out.swap(finished_);
  return out;
}

std::optional<FlowLocation> Observer::Locate(const Segment& seg) const {
  auto f = flows_.find(KeyOf(seg));
  if (f == flows_.end()) return std::nullopt;
  auto c = connections_.find(f->second.connection);
  if (c == connections_.end() || f->second.subflow >= c->second->subflow_count()) {
    return std::nullopt;
  }
  return FlowLocation{f->second.connection, f->second.subflow,
                      c->second->subflow(f->second.subflow).SenderOf(seg)};
}

std::vector<ConnectionSummary> Observer::LiveSummaries() const {
  std::vector<ConnectionSummary> out;
  for (const auto& [id, c] : connections_) out.push_back(c->Summary());
  return out;
}

}  // namespace mpdrill::model
