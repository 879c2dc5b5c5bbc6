// Test helper: writes MPTCP packet sequences with real keys, tokens, nonces, HMACs and DSS
// checksums (computed by mpdrill::crypto), feeds them to a model::Observer and keeps what it
// reports. Each helper emits what a conforming pair of hosts would send; tests then break
// exactly one thing with the low-level Send().
#ifndef MPDRILL_ENGINE_MODEL_TEST_BUILDER_H_
#define MPDRILL_ENGINE_MODEL_TEST_BUILDER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/codec/mptcp_option.h"
#include "engine/codec/rules.h"
#include "engine/crypto/mptcp_crypto.h"
#include "engine/model/observer.h"

namespace mpdrill::model::testing {

inline Endpoint V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                   std::uint16_t port) {
  Endpoint e;
  e.ip_version = 4;
  e.address = {a, b, c, d};
  e.port = port;
  return e;
}

struct HandshakeParams {
  bool client_checksum = false;                    // A flag in the SYN
  bool server_checksum = false;                    // A flag in the SYN/ACK
  bool syn_ack_mpc = true;                         // false: the server answers without MP_CAPABLE
  bool third_ack_mpc = true;                       // false: the client's third ACK lacks MP_CAPABLE
  std::optional<std::uint64_t> echoed_server_key;  // third ACK's receiver key (default right)
};

struct JoinParams {
  Side initiator = Side::kClient;
  std::uint8_t address_id = 1;
  std::uint32_t initiator_nonce = 0x1a2b3c4d;
  std::uint32_t responder_nonce = 0x5e6f7081;
  std::optional<std::uint32_t> token;  // default: the responder's real token
  bool corrupt_syn_ack_hmac = false;
  bool corrupt_ack_hmac = false;
  bool fourth_ack = true;         // the responder acknowledges the third ACK
  bool refuse = false;            // the responder answers the SYN with a RST
  bool strip_syn_ack = false;     // the SYN/ACK loses its MP_JOIN (a middlebox)
  bool strip_ack = false;         // the third ACK loses its MP_JOIN
  bool reset_on_bad_hmac = true;  // conforming (rules J5, J8); false: carry on regardless
  std::optional<Endpoint> initiator_endpoint;  // default: 198.51.100.2 (client) / server's
};

class Scenario {
 public:
  static constexpr std::uint64_t kClientKey = 0x0123456789abcdefULL;
  static constexpr std::uint64_t kServerKey = 0xfedcba9876543210ULL;

  explicit Scenario(std::uint64_t client_key = kClientKey, std::uint64_t server_key = kServerKey,
                    ObserverOptions options = {})
      : observer_(options) {
    key_ = {client_key, server_key};
    for (Side s : {Side::kClient, Side::kServer}) dsn_[Index(s)] = crypto::Idsn(key(s)) + 1;
  }

  Observer& observer() { return observer_; }
  // Sees every segment before the observer does (tests that write the sequence to a pcap).
  std::function<void(const Segment&)> tap;
  // The next Send() comes this long after the previous one (default: 1 ms).
  std::optional<std::int64_t> next_gap_us;
  // The next Send() acknowledges this many bytes less than the peer sent (an older ACK).
  std::uint32_t ack_lag = 0;
  // The next Send() carries a sequence number this far beyond its sender's next one (a
  // segment the receiver cannot accept); the sender's next sequence number does not move.
  std::uint32_t seq_ahead = 0;
  const ViolationSink& violations() const { return violations_; }
  std::uint64_t key(Side s) const { return key_[Index(s)]; }
  std::uint64_t idsn(Side s) const { return crypto::Idsn(key(s)); }
  std::uint64_t next_dsn(Side s) const { return dsn_[Index(s)]; }
  bool checksums() const { return checksums_; }

  // Rule names reported so far, in order ("D3", ...).
  std::vector<std::string> Rules() const {
    std::vector<std::string> out;
    for (const Violation& v : violations_) out.emplace_back(codec::RuleName(v.rule));
    return out;
  }
  std::string Dump() const {
    std::string out;
    for (const Violation& v : violations_) out += Format(v) + "\n";
    return out;
  }

  // Deterministic payload bytes.
  static std::vector<std::uint8_t> Bytes(std::size_t n, std::uint8_t seed = 7) {
    std::vector<std::uint8_t> b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31 + (i >> 3));
    return b;
  }

  // The low-level step: one segment on subflow `sf` from `from`, with the current sequence
  // numbers, acknowledging everything the peer sent. Returns the segment's index.
  std::uint64_t Send(std::size_t sf, Side from, std::uint8_t flags,
                     const std::vector<std::uint8_t>& payload, std::vector<codec::Option> options,
                     std::optional<std::uint32_t> cut_payload_to = std::nullopt) {
    Flow& f = flows_.at(sf);
    const int i = FlowIndex(f, from);
    Segment seg;
    seg.index = ++packet_;
    last_us_ += next_gap_us.value_or(1000);
    next_gap_us.reset();
    seg.timestamp_us = last_us_;
    seg.src = f.ep[i];
    seg.dst = f.ep[1 - i];
    seg.seq = f.next[i] + seq_ahead;
    seg.ack = (flags & kTcpAck) ? f.next[1 - i] - ack_lag : 0;
    ack_lag = 0;
    const bool ahead = seq_ahead != 0;
    seq_ahead = 0;
    seg.flags = flags;
    seg.window = 65535;
    seg.payload_length = static_cast<std::uint32_t>(payload.size());
    seg.payload = payload;
    if (cut_payload_to) seg.payload = seg.payload.first(*cut_payload_to);
    seg.options = options;
    if (!ahead) {
      f.next[i] += seg.payload_length + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
    }
    if (tap) tap(seg);
    observer_.Observe(seg, &violations_);
    return seg.index;
  }

  // SYN, SYN/ACK, third ACK of the initial subflow (RFC 8684 §3.1).
  void Handshake(const HandshakeParams& p = {}) {
    flows_.clear();
    for (Side s : {Side::kClient, Side::kServer}) dsn_[Index(s)] = crypto::Idsn(key(s)) + 1;
    Flow f;
    f.ep = {V4(198, 51, 100, 1, 40000), V4(203, 0, 113, 1, 80)};
    f.initiator = Side::kClient;
    f.next = {0x10000000u, 0x20000000u};
    f.isn = f.next;
    flows_.push_back(f);
    checksums_ = p.client_checksum || p.server_checksum;
    codec::MpCapable syn;
    syn.flags = codec::kMpcFlagH | (p.client_checksum ? codec::kMpcFlagA : 0);
    Send(0, Side::kClient, kTcpSyn, {}, {syn});
    std::vector<codec::Option> synack_opts;
    if (p.syn_ack_mpc) {
      codec::MpCapable synack;
      synack.flags = codec::kMpcFlagH | (p.server_checksum ? codec::kMpcFlagA : 0);
      synack.sender_key = key(Side::kServer);
      synack_opts.push_back(synack);
    }
    Send(0, Side::kServer, kTcpSyn | kTcpAck, {}, synack_opts);
    std::vector<codec::Option> ack_opts;
    if (p.third_ack_mpc && p.syn_ack_mpc) ack_opts.push_back(ThirdAckMpc(p.echoed_server_key));
    Send(0, Side::kClient, kTcpAck, {}, ack_opts);
  }

  codec::MpCapable ThirdAckMpc(std::optional<std::uint64_t> echoed = std::nullopt) const {
    codec::MpCapable m;
    m.flags = codec::kMpcFlagH | (checksums_ ? codec::kMpcFlagA : 0);
    m.sender_key = key(Side::kClient);
    m.receiver_key = echoed.value_or(key(Side::kServer));
    return m;
  }

  // A DSS mapping `payload` as the next data of `from` on `sf` (DSN, relative SSN, checksum
  // when negotiated), with a 64-bit DATA_ACK of everything the peer sent.
  codec::Dss MapDss(std::size_t sf, Side from, const std::vector<std::uint8_t>& payload,
                    bool data_fin = false) const {
    const Flow& f = flows_.at(sf);
    const int i = FlowIndex(f, from);
    codec::Dss d;
    d.flags = codec::kDssFlagMapping | codec::kDssFlagDsn8 | codec::kDssFlagDataAck |
              codec::kDssFlagDataAck8 | (data_fin ? codec::kDssFlagDataFin : 0);
    d.data_ack = dsn_[Index(Peer(from))];
    d.dsn = dsn_[Index(from)];
    d.ssn = f.next[i] - f.isn[i];
    d.data_level_length = static_cast<std::uint16_t>(payload.size() + (data_fin ? 1 : 0));
    if (checksums_) d.checksum = Checksum(d.dsn, d.ssn, d.data_level_length, payload);
    return d;
  }
  static std::uint16_t Checksum(std::uint64_t dsn, std::uint32_t ssn, std::uint16_t dll,
                                const std::vector<std::uint8_t>& payload) {
    crypto::DssChecksum c(dsn, ssn, dll);
    c.Add(payload);
    return c.Finish();
  }
  // `n` bytes from `from` on `sf` under an infinite mapping (data-level length 0, rule G6);
  // returns the DSS it carried.
  codec::Dss InfiniteMapping(std::size_t sf, Side from, std::size_t n) {
    const auto payload = Bytes(n);
    codec::Dss inf = MapDss(sf, from, payload);
    inf.data_level_length = 0;
    Send(sf, from, kTcpAck, payload, {inf});
    return inf;
  }
  codec::Dss AckDss(Side from) const {
    codec::Dss d;
    d.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8;
    d.data_ack = dsn_[Index(Peer(from))];
    return d;
  }

  // `n` bytes of data from `from` on `sf`, one segment, one mapping; then the peer's ACK.
  void Data(Side from, std::size_t n, std::size_t sf = 0, bool peer_ack = true) {
    const auto payload = Bytes(n, static_cast<std::uint8_t>(packet_));
    Send(sf, from, kTcpAck | kTcpPsh, payload, {MapDss(sf, from, payload)});
    dsn_[Index(from)] += n;
    if (peer_ack) Send(sf, Peer(from), kTcpAck, {}, {AckDss(Peer(from))});
  }
  void AdvanceDsn(Side from, std::uint64_t n) { dsn_[Index(from)] += n; }

  // DATA_FIN alone (SSN 0, length 1, rule D7) from `from`, and the peer's DATA_ACK of it.
  void DataFin(Side from, std::size_t sf = 0) {
    codec::Dss d;
    d.flags = codec::kDssFlagMapping | codec::kDssFlagDsn8 | codec::kDssFlagDataAck |
              codec::kDssFlagDataAck8 | codec::kDssFlagDataFin;
    d.data_ack = dsn_[Index(Peer(from))];
    d.dsn = dsn_[Index(from)];
    d.ssn = 0;
    d.data_level_length = 1;
    if (checksums_) d.checksum = Checksum(d.dsn, 0, 1, {});
    Send(sf, from, kTcpAck, {}, {d});
    dsn_[Index(from)] += 1;
    Send(sf, Peer(from), kTcpAck, {}, {AckDss(Peer(from))});
  }

  // FIN exchange of subflow `sf`, started by `from`.
  void CloseSubflow(std::size_t sf, Side from) {
    Send(sf, from, kTcpFin | kTcpAck, {}, {AckDss(from)});
    Send(sf, Peer(from), kTcpFin | kTcpAck, {}, {AckDss(Peer(from))});
    Send(sf, from, kTcpAck, {}, {AckDss(from)});
  }

  // MP_JOIN handshake of a new subflow (RFC 8684 §3.2); returns its index.
  std::size_t Join(const JoinParams& p = {}) {
    Flow f;
    const auto n = static_cast<std::uint16_t>(flows_.size());
    const Endpoint client = V4(198, 51, 100, 2, static_cast<std::uint16_t>(40000 + n));
    const Endpoint server = V4(203, 0, 113, 1, 80);
    f.initiator = p.initiator;
    f.ep = {client, server};
    if (p.initiator == Side::kServer) f.ep = {server, client};  // ep[0] is the initiator's
    if (p.initiator_endpoint) f.ep[0] = *p.initiator_endpoint;
    f.next = {0x30000000u + n * 0x1000u, 0x40000000u + n * 0x1000u};
    f.isn = f.next;
    flows_.push_back(f);
    const std::size_t sf = flows_.size() - 1;
    const Side ini = p.initiator;
    const Side res = Peer(ini);
    codec::MpJoin syn;
    syn.form = codec::JoinForm::kSyn;
    syn.address_id = p.address_id;
    syn.token = p.token.value_or(crypto::Token(key(res)));
    syn.nonce = p.initiator_nonce;
    Send(sf, ini, kTcpSyn, {}, {syn});
    if (p.refuse) {
      Send(sf, res, kTcpRst | kTcpAck, {}, {codec::MpTcpRst{0, 1}});
      return sf;
    }
    codec::MpJoin synack;
    synack.form = codec::JoinForm::kSynAck;
    // The responder's ID for its address (J9): the server answers from its initial address
    // (ID 0), the client from 198.51.100.2, which it calls 2.
    synack.address_id = res == Side::kServer ? 0 : 2;
    synack.nonce = p.responder_nonce;
    synack.truncated_hmac =
        crypto::JoinSynAckHmac(key(res), key(ini), p.responder_nonce, p.initiator_nonce);
    if (p.corrupt_syn_ack_hmac) synack.truncated_hmac ^= 1;
    Send(sf, res, kTcpSyn | kTcpAck, {},
         p.strip_syn_ack ? std::vector<codec::Option>{} : std::vector<codec::Option>{synack});
    if (p.token && *p.token != crypto::Token(key(res))) return sf;
    if ((p.corrupt_syn_ack_hmac || p.strip_syn_ack) && p.reset_on_bad_hmac) {  // J5, J8
      Send(sf, ini, kTcpRst, {}, {});
      return sf;
    }
    codec::MpJoin ack;
    ack.form = codec::JoinForm::kAck;
    ack.hmac = crypto::JoinAckHmac(key(ini), key(res), p.initiator_nonce, p.responder_nonce);
    if (p.corrupt_ack_hmac) ack.hmac[19] ^= 1;
    Send(sf, ini, kTcpAck, {},
         p.strip_ack ? std::vector<codec::Option>{} : std::vector<codec::Option>{ack});
    if ((p.corrupt_ack_hmac || p.strip_ack) && p.reset_on_bad_hmac) {  // J5, J8
      Send(sf, res, kTcpRst, {}, {});
      return sf;
    }
    if (p.fourth_ack) Send(sf, res, kTcpAck, {}, {AckDss(res)});
    return sf;
  }

  codec::AddAddr Advertise(Side from, std::uint8_t id, std::array<std::uint8_t, 4> addr,
                           std::optional<std::uint16_t> port = std::nullopt) const {
    codec::AddAddr a;
    a.address_id = id;
    std::copy(addr.begin(), addr.end(), a.address.begin());
    a.port = port;
    a.hmac = crypto::AddAddrHmac(key(from), key(Peer(from)), id, addr, port);
    return a;
  }
  static codec::AddAddr Echo(codec::AddAddr a) {
    a.echo = true;
    a.hmac.reset();
    return a;
  }

 private:
  struct Flow {
    std::array<Endpoint, 2> ep;  // [0] initiator, [1] responder
    Side initiator = Side::kClient;
    std::array<std::uint32_t, 2> isn{};  // by role
    std::array<std::uint32_t, 2> next{};
  };
  static int FlowIndex(const Flow& f, Side from) { return from == f.initiator ? 0 : 1; }

  Observer observer_;
  ViolationSink violations_;
  std::vector<Flow> flows_;
  std::array<std::uint64_t, 2> key_{};
  std::array<std::uint64_t, 2> dsn_{};
  bool checksums_ = false;
  std::uint64_t packet_ = 0;
  std::int64_t last_us_ = 0;
};

}  // namespace mpdrill::model::testing

#endif  // MPDRILL_ENGINE_MODEL_TEST_BUILDER_H_
