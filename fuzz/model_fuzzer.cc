// Drives the reference model (model::Observer) with event sequences decoded from the input:
// coherent-ish segments between a few endpoints, with MPTCP options whose keys, tokens, HMACs
// and DSNs are mostly right (so deep states are reached) and sometimes wrong. Checks that the
// model never crashes, stays bounded, and that its summaries are self-consistent.
#include <algorithm>
#include <array>
#include <limits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/codec/mptcp_option.h"
#include "engine/codec/rules.h"
#include "engine/crypto/mptcp_crypto.h"
#include "engine/model/observer.h"

namespace {

// A tiny FuzzedDataProvider (gcc builds have no <fuzzer/FuzzedDataProvider.h>): reads
// little-endian integers from the front; an exhausted input yields zeros.
class FuzzedDataProvider {
 public:
  FuzzedDataProvider(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::size_t remaining_bytes() const { return size_; }
  template <typename T>
  T ConsumeIntegral() {
    return ConsumeIntegralInRange<T>(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  }
  template <typename T>
  T ConsumeIntegralInRange(T min, T max) {
    const std::uint64_t range = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min);
    std::uint64_t v = 0;
    for (std::size_t used = 0; used < sizeof(T) && (range >> (used * 8)) > 0 && size_ > 0;
         ++used) {
      v = (v << 8) | *data_++;
      --size_;
    }
    if (range != std::numeric_limits<std::uint64_t>::max()) v %= range + 1;
    return static_cast<T>(static_cast<std::uint64_t>(min) + v);
  }
  bool ConsumeBool() { return ConsumeIntegral<std::uint8_t>() & 1; }
  template <typename T>
  std::vector<T> ConsumeBytes(std::size_t n) {
    n = std::min(n, size_);
    std::vector<T> out(data_, data_ + n);
    data_ += n;
    size_ -= n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

using namespace mpdrill;  // NOLINT: a fuzz harness
using model::Endpoint;

constexpr std::array<std::uint64_t, 4> kKeys = {0x0123456789abcdefULL, 0xfedcba9876543210ULL,
                                                0x1111111111111111ULL, 0x8000000000000001ULL};
constexpr std::size_t kMaxConnections = 6;
constexpr std::size_t kMaxEvents = 512;

void Check(bool ok) {
  if (!ok) std::abort();
}

Endpoint Ep(std::uint8_t host, std::uint16_t port) {
  Endpoint e;
  e.ip_version = 4;
  e.address = {198, 51, 100, host};
  e.port = port;
  return e;
}

struct Flow {
  std::array<std::uint32_t, 2> next{};  // by direction: 0 = a->b, 1 = b->a
  std::array<std::uint64_t, 2> dsn{};
};

codec::Option MakeOption(FuzzedDataProvider& in, const std::array<std::uint64_t, 2>& keys,
                         Flow& flow, int dir, std::uint32_t ssn, std::uint32_t payload_len) {
  const std::uint64_t own = keys[dir];
  const std::uint64_t peer = keys[1 - dir];
  const bool corrupt = in.ConsumeIntegralInRange<int>(0, 7) == 0;
  switch (in.ConsumeIntegralInRange<int>(0, 10)) {
    case 0: {
      codec::MpCapable m;
      m.flags = in.ConsumeBool() ? codec::kMpcFlagH : in.ConsumeIntegral<std::uint8_t>();
      const int form = in.ConsumeIntegralInRange<int>(0, 3);
      if (form >= 1) m.sender_key = own;
      if (form >= 2) m.receiver_key = corrupt ? peer ^ 1 : peer;
      if (form == 3) {
        m.data_level_length = static_cast<std::uint16_t>(payload_len);
        if (in.ConsumeBool()) m.checksum = in.ConsumeIntegral<std::uint16_t>();
      }
      return m;
    }
    case 1: {
      codec::MpJoin j;
      j.form = static_cast<codec::JoinForm>(in.ConsumeIntegralInRange<int>(0, 2));
      j.address_id = in.ConsumeIntegralInRange<std::uint8_t>(0, 3);
      j.token = corrupt ? in.ConsumeIntegral<std::uint32_t>() : crypto::Token(peer);
      j.nonce = in.ConsumeIntegralInRange<std::uint32_t>(0, 3);
      const std::uint32_t other = in.ConsumeIntegralInRange<std::uint32_t>(0, 3);
      j.truncated_hmac = crypto::JoinSynAckHmac(own, peer, j.nonce, other) ^ (corrupt ? 1 : 0);
      j.hmac = crypto::JoinAckHmac(own, peer, other, j.nonce);
      return j;
    }
    case 2:
    case 3:
    case 4: {
      codec::Dss d;
      d.flags = in.ConsumeIntegralInRange<std::uint8_t>(0, 0x1f);
      if (in.ConsumeBool()) d.flags |= codec::kDssFlagMapping | codec::kDssFlagDataAck;
      d.data_ack = flow.dsn[1 - dir] + in.ConsumeIntegralInRange<int>(-2, 2);
      d.dsn = flow.dsn[dir];
      d.ssn = in.ConsumeBool() ? ssn : in.ConsumeIntegral<std::uint32_t>();
      d.data_level_length = static_cast<std::uint16_t>(
          payload_len + (in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<int>(0, 2)));
      if (in.ConsumeBool()) d.checksum = in.ConsumeIntegral<std::uint16_t>();
      if (d.flags & codec::kDssFlagMapping) flow.dsn[dir] += payload_len;
      return d;
    }
    case 5: {
      codec::AddAddr a;
      a.echo = in.ConsumeBool();
      a.address_id = in.ConsumeIntegralInRange<std::uint8_t>(0, 3);
      a.ipv6 = in.ConsumeIntegralInRange<int>(0, 3) == 0;
      a.address = {203, 0, 113, in.ConsumeIntegralInRange<std::uint8_t>(1, 3)};
      if (in.ConsumeBool()) a.port = in.ConsumeIntegralInRange<std::uint16_t>(1, 3);
      if (!a.echo) {
        a.hmac = crypto::AddAddrHmac(own, peer, a.address_id,
                                     std::span<const std::uint8_t>(a.address.data(),
                                                                   a.ipv6 ? 16 : 4),
                                     a.port) ^
                 (corrupt ? 1 : 0);
      }
      return a;
    }
    case 6: {
      codec::RemoveAddr r;
      r.address_ids.size = in.ConsumeIntegralInRange<std::uint8_t>(1, 3);
      for (std::uint8_t i = 0; i < r.address_ids.size; ++i) {
        r.address_ids.data[i] = in.ConsumeIntegralInRange<std::uint8_t>(0, 3);
      }
      return r;
    }
    case 7:
      return codec::MpPrio{in.ConsumeBool(), 0};
    case 8:
      return codec::MpFail{0, flow.dsn[dir]};
    case 9:
      return codec::MpFastclose{0, corrupt ? own : peer};
    default:
      return codec::MpTcpRst{in.ConsumeIntegralInRange<std::uint8_t>(0, 1),
                             in.ConsumeIntegral<std::uint8_t>()};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  model::ObserverOptions options;
  options.max_connections = kMaxConnections;
  options.max_pending_joins = 4;
  model::Observer observer(options);
  model::ViolationSink violations;
  // Four hosts, two ports each: 4-tuples collide, joins find tokens, ports get reused.
  std::array<Flow, 64> flows{};
  std::array<std::uint64_t, 2> keys = {kKeys[0], kKeys[1]};
  std::vector<std::uint8_t> payload;
  for (std::size_t event = 0; event < kMaxEvents && in.remaining_bytes() > 0; ++event) {
    const std::uint8_t a = in.ConsumeIntegralInRange<std::uint8_t>(0, 3);
    const std::uint8_t b = in.ConsumeIntegralInRange<std::uint8_t>(0, 3);
    const std::uint8_t pa = in.ConsumeIntegralInRange<std::uint8_t>(0, 1);
    const std::uint8_t pb = in.ConsumeIntegralInRange<std::uint8_t>(0, 1);
    const bool reverse = in.ConsumeBool();
    const int dir = reverse ? 1 : 0;
    Flow& flow = flows[(a * 16 + b * 4 + pa * 2 + pb) % flows.size()];
    if (in.ConsumeIntegralInRange<int>(0, 15) == 0) {
      keys = {kKeys[in.ConsumeIntegralInRange<std::size_t>(0, 3)],
              kKeys[in.ConsumeIntegralInRange<std::size_t>(0, 3)]};
      flow.dsn = {crypto::Idsn(keys[0]) + 1, crypto::Idsn(keys[1]) + 1};
    }
    model::Segment seg;
    seg.index = event + 1;
    seg.timestamp_us = event * in.ConsumeIntegralInRange<std::uint64_t>(0, 1'000'000'000);
    seg.src = reverse ? Ep(b, 80 + pb) : Ep(a, 40000 + pa);
    seg.dst = reverse ? Ep(a, 40000 + pa) : Ep(b, 80 + pb);
    seg.flags = in.ConsumeIntegral<std::uint8_t>() & 0x1f;
    if (in.ConsumeBool()) seg.flags = model::kTcpAck;
    const bool jump = in.ConsumeIntegralInRange<int>(0, 15) == 0;
    seg.seq = jump ? in.ConsumeIntegral<std::uint32_t>() : flow.next[dir];
    seg.ack = flow.next[1 - dir] - in.ConsumeIntegralInRange<std::uint32_t>(0, 2);
    const std::uint32_t len = in.ConsumeIntegralInRange<std::uint32_t>(0, 300);
    payload = in.ConsumeBytes<std::uint8_t>(len);
    seg.payload_length = len;
    seg.payload = payload;  // may be shorter: a cut capture
    const std::uint32_t ssn = seg.seq - flow.next[dir] + 1;
    std::vector<codec::Option> opts;
    const int n = in.ConsumeIntegralInRange<int>(0, 3);
    for (int i = 0; i < n; ++i) opts.push_back(MakeOption(in, keys, flow, dir, ssn, len));
    seg.options = opts;
    flow.next[dir] = seg.seq + len + ((seg.flags & model::kTcpSyn) ? 1 : 0) +
                     ((seg.flags & model::kTcpFin) ? 1 : 0);

    observer.Observe(seg, &violations);
    // Invariants: bounded state, well-formed reports.
    Check(observer.live_connections() <= kMaxConnections);
    Check(observer.pending_joins() <= options.max_pending_joins);
    Check(observer.tracked_flows() <=
          observer.live_connections() * model::Connection::kMaxSubflows);
    for (const model::Violation& v : violations) {
      Check(!codec::RuleName(v.rule).empty());
      Check(!v.explanation.empty());
      Check(v.connection <= observer.stats().connections);
      Check(v.packet == seg.index || v.packet < seg.index);
    }
    violations.clear();
  }
  observer.Finish(&violations);
  const auto done = observer.TakeFinished();
  Check(observer.live_connections() == 0);
  Check(done.size() == observer.stats().connections);
  for (const model::ConnectionSummary& c : done) {
    Check(!c.subflows.empty() && c.subflows.size() <= model::Connection::kMaxSubflows);
    Check(c.fallback == !c.fallback_reason.empty());
    Check(c.fallback == c.fallback_rule.has_value());
    Check(c.mode != model::Mode::kFallback || c.fallback);
    Check(!c.mptcp_negotiated || c.keys[1].has_value());
    for (int s = 0; s < 2; ++s) {
      Check(c.keys[s].has_value() == c.tokens[s].has_value());
      if (c.keys[s]) Check(*c.tokens[s] == crypto::Token(*c.keys[s]));
      if (!c.keys[s]) Check(c.data_bytes[s] == 0);
    }
    Check(c.subflows[0].id == 0 && !c.subflows[0].joined);
    Check(!model::Describe(c).empty());
  }
  return 0;
}
