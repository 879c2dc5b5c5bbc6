#include "engine/model/connection.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <variant>

#include "base/overloaded.h"
#include "engine/crypto/mptcp_crypto.h"

namespace mpdrill::model {

using codec::RuleId;

namespace {

// The longest gap between two segments of one burst (one TSO/GSO buffer) repeating the
// infinite mapping's DSS: microseconds apart from a host, milliseconds from an emulated
// guest that segments in software (found by ci/interop.sh with a TCG guest as sender).
constexpr std::uint64_t kInfiniteBurstGapUs = 10000;

template <typename T>
const T* FindOption(std::span<const codec::Option> options) {
  for (const codec::Option& o : options) {
    if (const T* p = std::get_if<T>(&o)) return p;
  }
  return nullptr;
}

std::string Presence(bool present) { return present ? "present" : "absent"; }

std::string HexBytes(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (std::uint8_t v : b) {
    out += kDigits[v >> 4];
    out += kDigits[v & 0xf];
  }
  return out;
}

}  // namespace

Connection::Connection(std::uint64_t id, const Segment& syn)
    : id_(id), first_packet_(syn.index), last_packet_(syn.index) {
  subflows_.push_back(std::make_unique<Subflow>(0, syn, Side::kClient, /*joined=*/false));
  // Rule J9: address ID 0 is the initial subflow's address, for each side.
  Endpoint client = syn.src, server = syn.dst;
  client.port = server.port = 0;
  address_ids_[Index(Side::kClient)].push_back({0, client});
  address_ids_[Index(Side::kServer)].push_back({0, server});
  const auto* mpc = FindOption<codec::MpCapable>(syn.options);
  const auto* join = FindOption<codec::MpJoin>(syn.options);
  if (mpc != nullptr && join != nullptr) {
    // RFC 8684 §3.2, rule C10: MP_CAPABLE and MP_JOIN in one SYN are both ignored.
    c10_ = true;
    mode_ = Mode::kPlain;
  } else if (mpc != nullptr) {
    mode_ = Mode::kPending;
    syn_version_ = mpc->version;
    syn_flags_ = mpc->flags;
  }
}

std::optional<std::uint32_t> Connection::AddJoin(const Segment& syn, Side responder) {
  if (subflows_.size() >= kMaxSubflows) return std::nullopt;
  const auto index = static_cast<std::uint32_t>(subflows_.size());
  auto sf = std::make_unique<Subflow>(index, syn, Peer(responder), /*joined=*/true);
  if (const auto* j = FindOption<codec::MpJoin>(syn.options)) {
    sf->join().token = j->token;
    sf->join().initiator_nonce = j->nonce;
    sf->join().initiator_address_id = j->address_id;
    sf->set_address_id(Peer(responder), j->address_id);
    sf->set_backup(j->backup);
  }
  subflows_.push_back(std::move(sf));
  return index;
}

void Connection::SetKey(Side s, std::uint64_t key) {
  keys_[Index(s)] = key;
  const crypto::KeyDerived k1 = crypto::Derive(key);  // K1
  tokens_[Index(s)] = k1.token;
  new_tokens_ = true;
  data_[Index(s)].Start(k1.idsn);
}

bool Connection::SideFallen(Side s) const { return side_fallen_[Index(s)]; }

void Connection::FallBack(RuleId why, std::string reason, const Segment& seg) {
  if (fallback_) return;
  fallback_ = true;
  mode_ = Mode::kFallback;
  fallback_rule_ = why;
  fallback_reason_ = std::move(reason);
  fallback_packet_ = seg.index;
  side_fallen_ = {true, true};
  fallback_snd_max_.clear();
  for (const auto& sf : subflows_) {
    fallback_snd_max_.push_back({sf->tcp(Side::kClient).snd_max, sf->tcp(Side::kServer).snd_max});
  }
}

bool Connection::RetransmitsPreFallback(std::uint32_t subflow, Side sender, const Segment& seg,
                                        const SegmentClass& cls) const {
  if (!cls.retransmission || subflow >= fallback_snd_max_.size()) return false;
  return SeqLeq(seg.seq + seg.payload_length, fallback_snd_max_[subflow][Index(sender)]);
}

bool Connection::InfiniteMappingAfterFallback(const Subflow& sf, Side sender, const Segment& seg) {
  if (seg.options.size() != 1) return false;
  const auto* dss = std::get_if<codec::Dss>(&seg.options.front());
  if (dss == nullptr) return false;
  auto& mine = infinite_mappings_[Index(sender)];
  if (!mine) {
    // The fallback signal itself, once from each side: Linux 6.18 answering MP_FAIL sends its
    // own infinite mapping on its next data even when the peer's infinite mapping made it fall
    // back first (found by fuzz/live_fuzzer.cc). Redundant, not a new MPTCP signal.
    if (!dss->has_mapping() || dss->data_level_length != 0 || seg.payload_length == 0) {
      return false;
    }
    mine = InfiniteMapping{sf.id(), seg.seq + seg.payload_length, *dss, seg.timestamp_us,
                           seg.seq + seg.payload_length};
    return true;
  }
  // Linux 6.18 also puts the infinite mapping's DSS on every segment its TSO/GSO splits that
  // buffer into (found by fuzz/live_fuzzer.cc): the same option again, while the receiver has
  // not acknowledged the first one, is no new signal either.
  if (mine->subflow != sf.id() || !(*dss == mine->dss)) return false;
  // Segments of that one burst (contiguous, each within kInfiniteBurstGapUs of the one
  // before) whatever the capture shows in between: the receiver's acknowledgement of the
  // first segment can be seen before the rest of a burst its sender had already queued
  // (found by ci/interop.sh: G1 at the server's side of the link, clean at the client's).
  if (seg.seq == mine->burst_end && seg.timestamp_us - mine->last_us <= kInfiniteBurstGapUs) {
    mine->burst_end = seg.seq + seg.payload_length;
    mine->last_us = seg.timestamp_us;
    return true;
  }
  const TcpDirection& peer = sf.tcp(Peer(sender));
  const bool acknowledged = peer.ack_seen && SeqLeq(mine->seq_end, peer.max_ack);
  if (!acknowledged && seg.seq == mine->burst_end) mine->burst_end = seg.seq + seg.payload_length;
  return !acknowledged;
}

void Connection::OnSegment(std::uint32_t index, const Segment& seg, ViolationSink* sink) {
  Subflow& sf = *subflows_[index];
  const Side sender = sf.SenderOf(seg);
  const Reporter r{sink, id_, index, seg.index, seg.timestamp_us, sender};
  const std::size_t before = sink ? sink->size() : 0;
  last_packet_ = seg.index;
  last_timestamp_us_ = seg.timestamp_us;

  // A subflow reset before this segment no longer exists at its receiver (RFC 9293 §3.10.7.4):
  // what still arrives on it changes nothing at the connection level (Linux answers with a
  // RST; data sent after one's own RST made the model take a G2 fallback, found by
  // fuzz/live_fuzzer.cc).
  const bool gone = sf.state() == SubflowState::kReset && !seg.syn();
  const SegmentClass cls = sf.Track(sender, seg);
  if (cls.discarded || gone) {
    // Its receiver drops it: no state changes; only what its sender may never send counts.
    if (mode_ == Mode::kPlain || (mode_ == Mode::kFallback && SideFallen(sender))) {
      CheckNoOptions(sender, seg, r);
    }
    if (sink) violations_ += sink->size() - before;
    return;
  }
  // Rule G6: the receiver of the infinite mapping has fallen back once it acknowledged it. A
  // RST refuses the fallback instead (Linux 6.18 resets with MP_TCPRST when the connection can
  // no longer fall back, e.g. data missing at the connection level; found by
  // fuzz/live_fuzzer.cc): its options are that refusal, not G1.
  if (fallback_pending_.active && sender == fallback_pending_.side &&
      index == fallback_pending_.subflow && seg.ack_flag() && !seg.rst() &&
      SeqLeq(fallback_pending_.seq_end, seg.ack)) {
    side_fallen_[Index(sender)] = true;
    fallback_pending_.active = false;
  }

  if (sf.joined()) {
    JoinHandshake(sf, sender, seg, cls, r);
  } else {
    InitialHandshake(sf, sender, seg, r);
  }

  switch (mode_) {
    case Mode::kPending:
      break;
    case Mode::kPlain:
      CheckNoOptions(sender, seg, r);
      break;
    case Mode::kFallback:
      // RFC 8684 §3.7: no MPTCP option after fallback, except on a retransmission of what was
      // sent before it (Linux retransmits the infinite mapping's segment as it was).
      if (SideFallen(sender) && !RetransmitsPreFallback(index, sender, seg, cls)) {
        // A join attempt on a connection that fell back before it: the token still names the
        // connection, so the responder may answer the MP_JOIN and then refuse the subflow with
        // a RST carrying MP_TCPRST (Linux 6.18: SYN/ACK, then RST reason 1 at the third ACK;
        // found by fuzz/live_fuzzer.cc). Those two options are the refusal, not G1.
        const bool join_attempt = sf.joined() && sf.first_packet() > fallback_packet_;
        if (!InfiniteMappingAfterFallback(sf, sender, seg)) {
          CheckNoOptions(sender, seg, r, join_attempt);
        }
      }
      break;
    case Mode::kMptcp:
      // RFC 8684 §3.5, rule X2: after a valid MP_FASTCLOSE its sender sends no more data.
      if (fastclose_by_ == sender && seg.payload_length > 0 && !cls.retransmission && !seg.rst()) {
        r.Report(RuleId::kX2,
                 "new data after MP_FASTCLOSE: " +
                     ExpectedActual("RST on every subflow",
                                    std::to_string(seg.payload_length) + " new bytes"));
      }
      ApplyOptions(sf, sender, seg, cls, r);
      CheckFirstDataMapped(sf, sender, seg, cls);
      if (mode_ == Mode::kMptcp && seg.payload_length > 0) {
        const std::size_t mark = sink ? sink->size() : 0;
        sf.mappings(sender).OnPayload(cls.rel_seq, seg.payload_length, seg.payload,
                                      &checksum_stats_, r);
        checksum_failures_.Defer(sink, mark);
        auto& failed = failed_mappings_[Index(sender)];
        for (std::uint64_t dsn : sf.mappings(sender).TakeFailed()) {
          if (failed.size() >= kMaxFailedMappings) failed.erase(failed.begin());
          failed.push_back(dsn);
        }
      }
      break;
  }
  if (seg.rst() && mode_ == Mode::kMptcp) {
    // RFC 8684 §3.7: the receiver of a failed checksum resets the subflow, the RST carrying
    // MP_FAIL; a RST whose MP_TCPRST says "middlebox interference" (§3.6, reason 6) names the
    // same cause. Any other RST (Linux's fast close at the end of a run: reason 0) is not it.
    constexpr std::uint8_t kMiddleboxInterference = 6;
    const auto* rst = FindOption<codec::MpTcpRst>(seg.options);
    if (FindOption<codec::MpFail>(seg.options) != nullptr) {
      checksum_failures_.OnSubflowReset(
          Peer(sender), index, seg.index,
          rst != nullptr ? "RST with MP_FAIL and MP_TCPRST reason " + std::to_string(rst->reason)
                         : std::string("RST with MP_FAIL"));
    } else if (rst != nullptr && rst->reason == kMiddleboxInterference) {
      checksum_failures_.OnSubflowReset(Peer(sender), index, seg.index,
                                        "RST with MP_TCPRST reason 6, middlebox interference");
    }
  }
  sf.TrackClose(sender, seg);
  if (sink) violations_ += sink->size() - before;
}

void Connection::FlushChecksumFailures(ViolationSink* sink) {
  const std::size_t before = sink ? sink->size() : 0;
  checksum_failures_.Flush(sink);
  if (sink) violations_ += sink->size() - before;
}

void Connection::InitialHandshake(Subflow& sf, Side sender, const Segment& seg, const Reporter& r) {
  const auto* mpc = FindOption<codec::MpCapable>(seg.options);
  if (seg.syn() && !seg.ack_flag()) return;  // the SYN: the constructor read it
  if (seg.syn() && seg.ack_flag()) {
    if (sender != Side::kServer || sf.state() != SubflowState::kSynSent) return;
    sf.set_state(SubflowState::kSynReceived);
    if (mode_ != Mode::kPending) return;
    if (mpc == nullptr) {
      // RFC 8684 §3.1, rule C11: a SYN/ACK without MP_CAPABLE means plain TCP.
      FallBack(RuleId::kC11, "SYN/ACK without MP_CAPABLE", seg);
      return;
    }
    // Rule C2: the SYN/ACK may answer with a lower version, never a higher one.
    if (mpc->version > syn_version_) {
      r.Report(RuleId::kC2, "SYN/ACK MP_CAPABLE version above the SYN's: " +
                                ExpectedActual("version <= " + std::to_string(syn_version_),
                                               std::to_string(mpc->version)));
    }
    if (!mpc->sender_key) {
      FallBack(RuleId::kC11, "SYN/ACK MP_CAPABLE without a key", seg);
      return;
    }
    mptcp_negotiated_ = true;
    mode_ = Mode::kMptcp;
    SetKey(Side::kServer, *mpc->sender_key);
    // RFC 8684 §3.1, rule C5: A set by either side => checksums for the whole connection.
    checksums_ = (syn_flags_ & codec::kMpcFlagA) || (mpc->flags & codec::kMpcFlagA);
    return;
  }
  if (sender == Side::kClient && mode_ == Mode::kMptcp && !third_ack_seen_ && seg.ack_flag() &&
      !seg.rst()) {
    third_ack_seen_ = true;
    sf.set_state(SubflowState::kEstablished);
    if (mpc == nullptr) {
      // RFC 8684 §3.1, rule G4: a third ACK without MP_CAPABLE is a fallback, not an error.
      FallBack(RuleId::kG4, "third ACK without MP_CAPABLE", seg);
    }
    return;
  }
  if (sender == Side::kServer && sf.state() == SubflowState::kSynReceived && !seg.syn() &&
      third_ack_seen_) {
    sf.set_state(SubflowState::kEstablished);
  }
}

void Connection::JoinHandshake(Subflow& sf, Side sender, const Segment& seg,
                               const SegmentClass& cls, const Reporter& r) {
  if (mode_ != Mode::kMptcp) return;
  const auto* j = FindOption<codec::MpJoin>(seg.options);
  JoinState& js = sf.join();
  const Side initiator = sf.initiator();
  const Side responder = Peer(initiator);
  const auto& ki = keys_[Index(initiator)];
  const auto& kr = keys_[Index(responder)];
  if (seg.syn() && !seg.ack_flag()) {  // the SYN: AddJoin read it
    if (j != nullptr) BindAddressId(initiator, j->address_id, seg.src, r);
    return;
  }
  if (seg.syn() && seg.ack_flag()) {
    if (sender != responder || js.syn_ack_seen) return;
    js.syn_ack_seen = true;
    sf.set_state(SubflowState::kSynReceived);
    if (j == nullptr || j->form != codec::JoinForm::kSynAck) {
      js.syn_ack_without_join = true;
      return;
    }
    js.responder_nonce = j->nonce;
    js.responder_address_id = j->address_id;
    sf.set_address_id(responder, j->address_id);
    BindAddressId(responder, j->address_id, seg.src, r);
    if (ki && kr) {
      // RFC 8684 §3.2, rule J3 (K2): leftmost 64 bits of HMAC(K_B‖K_A, R_B‖R_A).
      const std::uint64_t want =
          crypto::JoinSynAckHmac(*kr, *ki, js.responder_nonce, js.initiator_nonce);
      if (want != j->truncated_hmac) {
        js.syn_ack_hmac_bad = true;
        r.Report(RuleId::kJ3,
                 "MP_JOIN SYN/ACK HMAC: " + ExpectedActual(Hex(want), Hex(j->truncated_hmac)));
      }
    }
    return;
  }
  if (seg.rst()) return;
  if (sender == initiator && sf.state() == SubflowState::kSynReceived) {
    // The third ACK.
    if (js.syn_ack_hmac_bad) {
      // Rule J5: a bad HMAC resets the subflow.
      r.Report(RuleId::kJ5, "MP_JOIN initiator went on after a bad SYN/ACK HMAC: " +
                                ExpectedActual("RST", "ACK"));
    }
    if (js.syn_ack_without_join) {
      // RFC 8684 §3.2, rule J8: a joined subflow that loses MP_JOIN is reset, never falls back.
      r.Report(RuleId::kJ8, "MP_JOIN initiator went on after a SYN/ACK without MP_JOIN: " +
                                ExpectedActual("RST", "ACK"));
    }
    if (j == nullptr || j->form != codec::JoinForm::kAck) js.ack_without_join = true;
    sf.set_state(SubflowState::kPreEstablished);
    if (!js.ack_without_join) join_completed_ = true;
    if (j != nullptr && j->form == codec::JoinForm::kAck && ki && kr &&
        !js.syn_ack_without_join) {  // without the SYN/ACK there is no responder nonce
      // RFC 8684 §3.2, rule J4 (K2): leftmost 160 bits of HMAC(K_A‖K_B, R_A‖R_B).
      const auto want = crypto::JoinAckHmac(*ki, *kr, js.initiator_nonce, js.responder_nonce);
      if (want != j->hmac) {
        js.ack_hmac_bad = true;
        r.Report(RuleId::kJ4,
                 "MP_JOIN ACK HMAC: " + ExpectedActual(HexBytes(want), HexBytes(j->hmac)));
      }
    }
    if (seg.payload_length > 0) {
      // RFC 8684 §3.2, rule J6: no data until the third ACK is acknowledged.
      r.Report(RuleId::kJ6, "data on the MP_JOIN third ACK: " +
                                ExpectedActual("no data before the fourth ACK",
                                               std::to_string(seg.payload_length) + " bytes"));
    }
    return;
  }
  if (sender == responder && sf.state() == SubflowState::kPreEstablished && seg.ack_flag()) {
    if (js.ack_without_join) {
      // Rules J8 and G3: MPTCP options stripped on a non-initial subflow ⇒ RST.
      r.Report(RuleId::kJ8, "MP_JOIN responder accepted a third ACK without MP_JOIN: " +
                                ExpectedActual("RST", "ACK"));
    }
    if (js.ack_hmac_bad) {
      r.Report(RuleId::kJ5,
               "MP_JOIN responder accepted a bad third-ACK HMAC: " + ExpectedActual("RST", "ACK"));
    }
    sf.set_state(SubflowState::kEstablished);  // the fourth ACK
    return;
  }
  if (sender == initiator && sf.state() == SubflowState::kPreEstablished &&
      seg.payload_length > 0 && !cls.retransmission) {
    r.Report(RuleId::kJ6, "data on a joined subflow before the fourth ACK: " +
                              ExpectedActual("no data before the fourth ACK",
                                             std::to_string(seg.payload_length) + " bytes"));
  }
}

void Connection::CheckNoOptions(Side sender, const Segment& seg, const Reporter& r,
                                bool join_attempt) {
  auto first = seg.options.begin();
  if (join_attempt) {
    first = std::find_if(seg.options.begin(), seg.options.end(), [](const codec::Option& o) {
      return !std::holds_alternative<codec::MpJoin>(o) &&
             !std::holds_alternative<codec::MpTcpRst>(o);
    });
  }
  if (first == seg.options.end()) return;
  // A retransmitted initial SYN may cross the SYN/ACK.
  if (seg.syn() && !seg.ack_flag() && sender == Side::kClient &&
      subflows_[r.subflow]->tcp(sender).isn == seg.seq && r.subflow == 0) {
    return;
  }
  const std::string name = codec::SubtypeName(*first);
  if (c10_) {
    // Rule C10: the SYN's MP_CAPABLE + MP_JOIN were both ignored: the connection is TCP.
    r.Report(RuleId::kC10, "MPTCP option after a SYN with both MP_CAPABLE and MP_JOIN: " +
                               ExpectedActual("no MPTCP option", name));
  } else if (mode_ == Mode::kPlain || fallback_rule_ == RuleId::kC11) {
    // RFC 8684 §3.1, rule C11: plain TCP, no MPTCP option afterwards from either side.
    r.Report(RuleId::kC11, "MPTCP option on a connection that is plain TCP (" +
                               (mode_ == Mode::kPlain ? std::string("no MP_CAPABLE in the SYN")
                                                      : fallback_reason_) +
                               "): " + ExpectedActual("no MPTCP option", name));
  } else {
    // RFC 8684 §3.7, rule G1: after fallback no MPTCP option is sent.
    r.Report(RuleId::kG1, "MPTCP option after fallback (" + fallback_reason_ + " at packet " +
                              std::to_string(fallback_packet_) +
                              "): " + ExpectedActual("no MPTCP option", name));
  }
}

void Connection::ApplyOptions(Subflow& sf, Side sender, const Segment& seg, const SegmentClass& cls,
                              const Reporter& r) {
  for (const codec::Option& option : seg.options) {
    if (mode_ != Mode::kMptcp) break;  // fell back on an earlier option of this segment
    std::visit(
        Overloaded{
            [&](const codec::MpCapable& o) { OnMpCapable(sf, sender, o, seg, cls, r); },
            [&](const codec::MpJoin&) {},  // handshake only: JoinHandshake read it
            [&](const codec::Dss& o) { OnDss(sf, sender, o, seg, cls, r); },
            [&](const codec::AddAddr& o) { addresses_.OnAddAddr(sender, o, keys_, seg.index, r); },
            [&](const codec::RemoveAddr& o) { OnRemoveAddr(sender, o); },
            // Rule P2: B applies to the subflow the option travels on.
            [&](const codec::MpPrio& o) { sf.set_backup(o.backup); },
            [&](const codec::MpFail& o) { OnMpFail(sf, sender, o, seg, r); },
            [&](const codec::MpFastclose& o) { OnFastclose(sender, o, r); },
            [&](const codec::MpTcpRst& o) { sf.set_reset_reason(o.reason); },
            // Rule E1: unknown and experimental subtypes are ignored.
            [&](const codec::Experimental&) {},
            [&](const codec::UnknownSubtype&) {},
        },
        option);
  }
}

void Connection::OnMpCapable(Subflow& sf, Side sender, const codec::MpCapable& o,
                             const Segment& seg, const SegmentClass& cls, const Reporter& r) {
  if (seg.syn()) return;  // SYN and SYN/ACK: InitialHandshake
  if (sender == Side::kServer || sf.joined()) {
    // RFC 8684 §3.1, rule C8: only the initiator repeats MP_CAPABLE after the handshake.
    r.Report(RuleId::kC8,
             "MP_CAPABLE after the handshake from the " + std::string(SideName(sender)) + ": " +
                 ExpectedActual(
                     "only the client, on the initial subflow",
                     std::string(SideName(sender)) + " on subflow " + std::to_string(sf.id())));
    return;
  }
  if (!o.sender_key || !o.receiver_key) return;  // a length problem: the codec reports C1
  // RFC 8684 §3.1, rule C6: (own key, peer key); the echo equals the SYN/ACK's key.
  const auto& server_key = keys_[Index(Side::kServer)];
  if (server_key && *o.receiver_key != *server_key) {
    r.Report(RuleId::kC6, "echoed server key in MP_CAPABLE: " +
                              ExpectedActual(Hex(*server_key), Hex(*o.receiver_key)));
  }
  const auto& client_key = keys_[Index(Side::kClient)];
  if (!client_key) {
    SetKey(Side::kClient, *o.sender_key);
  } else if (*client_key != *o.sender_key) {
    r.Report(RuleId::kC6, "client key changed between MP_CAPABLE options: " +
                              ExpectedActual(Hex(*client_key), Hex(*o.sender_key)));
  }
  if (!o.data_level_length) return;
  // Rule C5: the data form carries a checksum iff checksums were negotiated.
  if (o.checksum.has_value() != checksums_) {
    r.Report(RuleId::kC5,
             "MP_CAPABLE with data, DSS checksum " +
                 ExpectedActual(Presence(checksums_), Presence(o.checksum.has_value())));
  }
  // Rule C8: its length (and checksum) act as the mapping of DSN IDSN+1, SSN 1.
  if (*o.data_level_length == 0) return;
  Mapping m;
  m.dsn = data_[Index(Side::kClient)].first_dsn();
  m.ssn = 1;
  m.data_len = *o.data_level_length;
  m.dll = *o.data_level_length;
  m.checksum = o.checksum;
  OnMapping(sf, sender, m, seg, cls, r);
}

void Connection::OnDss(Subflow& sf, Side sender, const codec::Dss& o, const Segment& seg,
                       const SegmentClass& cls, const Reporter& r) {
  if (o.has_mapping()) {
    // RFC 8684 §3.3.1, rule D2: the checksum field is present iff checksums were negotiated.
    if (o.checksum.has_value() != checksums_) {
      r.Report(RuleId::kD2,
               std::string("DSS checksum (negotiated: ") + (checksums_ ? "yes" : "no") + ") " +
                   ExpectedActual(Presence(checksums_), Presence(o.checksum.has_value())));
    }
    // A length-0 mapping on a segment that takes no subflow sequence space maps nothing: it
    // is no infinite mapping, and Linux 6.18 never sees it (zero-length segments are dropped
    // before the MPTCP layer, net/mptcp/options.c mptcp_incoming_options); its DATA_ACK counts.
    const bool maps_nothing = seg.payload_length == 0 && !seg.fin() && !seg.syn();
    if (o.data_level_length == 0 && !maps_nothing) {
      OnInfiniteMapping(sf, sender, o, seg, cls, r);
      return;
    }
    DataSequence& ds = data_[Index(sender)];
    const std::uint64_t dsn =
        o.dsn_64() ? o.dsn : Expand32(ds.dsn_reference(), static_cast<std::uint32_t>(o.dsn));
    if (o.data_level_length == 0) {
      // maps_nothing: only the DATA_ACK below.
    } else if (o.data_fin() && o.ssn == 0 && o.data_level_length == 1) {
      // Rule D7: a DATA_FIN alone (SSN 0, length 1) maps no subflow bytes.
      ds.OnMapping(dsn, 0, true, r);
    } else {
      Mapping m;
      m.dsn = dsn;
      m.ssn = o.ssn;
      m.data_fin = o.data_fin();
      m.dll = o.data_level_length;
      m.data_len = o.data_level_length - (m.data_fin ? 1 : 0);
      m.checksum = o.checksum;
      OnMapping(sf, sender, m, seg, cls, r);
    }
  }
  if (o.has_data_ack()) {
    auto& previous = sf.last_data_ack(sender);
    const std::uint64_t ack =
        data_[Index(Peer(sender))].OnDataAck(o.data_ack, o.data_ack_64(), previous, cls.stale, r);
    if (!previous || Distance(*previous, ack) > 0) previous = ack;
  }
}

void Connection::OnInfiniteMapping(Subflow& sf, Side sender, const codec::Dss& o,
                                   const Segment& seg, const SegmentClass& cls, const Reporter& r) {
  // Where the receiver cannot take it, an infinite mapping falls nothing back (Linux 6.18 goes
  // on with DSS in each case; found by fuzz/live_fuzzer.cc).
  if (sf.removed()) return;  // REMOVE_ADDR closed this subflow: no more connection-level data
  if (seg.payload_length > 0 && sf.mappings(sender).Covers(cls.rel_seq)) {
    // RFC 8684 §3.3.1, rule D9: these bytes already have a mapping, which does not change; the
    // receiver is still inside it.
    r.Report(RuleId::kD9, "infinite mapping for bytes already mapped: " +
                              ExpectedActual("the mapping of SSN " + std::to_string(cls.rel_seq),
                                             "an infinite mapping"));
    return;
  }
  if (const auto fin = data_[Index(sender)].data_fin()) {
    // RFC 8684 §3.3.3, rule D8: nothing is mapped after the DATA_FIN, an infinite mapping
    // neither; the receiver has closed that direction.
    r.Report(RuleId::kD8,
             "infinite mapping after the DATA_FIN: " +
                 ExpectedActual("nothing mapped after DSN " + Hex(*fin), "an infinite mapping"));
    return;
  }
  // RFC 8684 §3.3.1, rules D6 and G6: an infinite mapping is a fallback to TCP. Its sender has
  // fallen back now; the peer once it acknowledges this segment.
  FallBack(RuleId::kG6, "infinite mapping", seg);
  checksum_failures_.OnInfiniteMapping(sender, seg.index);
  infinite_mappings_[Index(sender)] = InfiniteMapping{sf.id(), seg.seq + seg.payload_length, o,
                                                      seg.timestamp_us,
                                                      seg.seq + seg.payload_length};
  side_fallen_[Index(Peer(sender))] = false;
  fallback_pending_ = {true, Peer(sender), sf.id(),
                       seg.seq + (seg.syn() ? 1 : 0) + seg.payload_length};
}

void Connection::OnMapping(Subflow& sf, Side sender, const Mapping& m, const Segment& seg,
                           const SegmentClass& cls, const Reporter& r) {
  DataSequence& ds = data_[Index(sender)];
  // A C7 mapping below IDSN+1 and a D8 DATA_FIN not counted are reported and still stand as
  // written (its receiver uses them: found by fuzz/live_fuzzer.cc), skipping the checks after
  // them; a D5 or D9 mapping is refused. Either way one place below records a mapping.
  bool stands_as_written = false;
  if (ds.started()) {
    // RFC 8684 §3.1, rule C7 (K1): DSNs start at IDSN+1.
    if (Distance(ds.first_dsn(), m.dsn) < 0) {
      r.Report(RuleId::kC7,
               "mapping below the first DSN: " +
                   ExpectedActual("DSN >= IDSN+1 = " + Hex(ds.first_dsn()), Hex(m.dsn)));
      // What it maps from IDSN+1 on was still sent: Linux 6.18 trims the part below and
      // acknowledges the rest, which is no D10. The mapping still covers its subflow bytes:
      // an infinite mapping inside it is no fallback (D9).
      stands_as_written = true;
    } else if (!sf.joined() && m.ssn == 1 && ds.sent_end() == ds.first_dsn() &&
               m.dsn != ds.first_dsn()) {
      // The first mapping of a direction, on the initial subflow's first byte, maps IDSN+1 (a
      // direction's first data may also go out on a joined subflow: then nothing is known).
      r.Report(RuleId::kC7, "first byte of the initial subflow: " +
                                ExpectedActual("DSN IDSN+1 = " + Hex(ds.first_dsn()), Hex(m.dsn)));
    }
  }
  if (!stands_as_written && seg.payload_length > 0 &&
      !SsnRangesOverlap(cls.rel_seq, seg.payload_length, m.ssn, m.data_len)) {
    // RFC 8684 §3.3.1, rule D5: the SSN is relative to the subflow's ISN, so the mapping covers
    // the data of the segment carrying it.
    r.Report(RuleId::kD5,
             "mapping does not cover its segment's data: " +
                 ExpectedActual(
                     "a mapping covering relative SSN " + std::to_string(cls.rel_seq) + ".." +
                         std::to_string(cls.rel_seq + seg.payload_length - 1),
                     "SSN " + std::to_string(m.ssn) + " length " + std::to_string(m.data_len)));
    // Its DATA_FIN still stands on its own (data-level length 1: the DATA_FIN alone, rule
    // D7): Linux 6.18 takes it whatever the SSN and acknowledges it (fuzz/live_fuzzer.cc).
    if (m.data_fin && m.data_len == 0) ds.OnMapping(m.dsn, 0, true, r);
    return;
  }
  if (!stands_as_written && m.data_fin && seg.payload_length > 0 &&
      static_cast<std::uint32_t>(m.ssn + m.dll) == cls.rel_seq + seg.payload_length) {
    // RFC 8684 §3.3.3, rule D8: the DATA_FIN takes one DSN, counted in the data-level length.
    r.Report(RuleId::kD8, "DATA_FIN mapping does not count the DATA_FIN: " +
                              ExpectedActual("data-level length " + std::to_string(m.dll + 1),
                                             std::to_string(m.dll)));
    // Its receiver reads it as written: one byte less of data, the DATA_FIN on the last DSN
    // (Linux 6.18 acknowledges that) -- and checks its DSS checksum over those bytes,
    // answering a failure with MP_FAIL naming it (rule F3).
    stands_as_written = true;
  }
  if (!stands_as_written) {
    if (auto conflict = sf.mappings(sender).FindConflict(m)) {
      // RFC 8684 §3.3.1, rule D9: a mapping is never changed once sent.
      const std::uint32_t ssn =
          SsnInRange(m.ssn, conflict->ssn, conflict->data_len) ? m.ssn : conflict->ssn;
      r.Report(RuleId::kD9, "conflicting mapping for SSN " + std::to_string(ssn) + ": " +
                                ExpectedActual("DSN " + Hex(conflict->dsn + (ssn - conflict->ssn)),
                                               "DSN " + Hex(m.dsn + (ssn - m.ssn))));
      return;
    }
  }
  sf.mappings(sender).Add(m, &checksum_stats_);
  ds.OnMapping(m.dsn, m.data_len, m.data_fin, r);
}

void Connection::OnFastclose(Side sender, const codec::MpFastclose& o, const Reporter& r) {
  const auto& want = keys_[Index(Peer(sender))];
  if (want && o.receiver_key != *want) {
    // RFC 8684 §3.5, rule X1: the key is the receiver's; otherwise the option is ignored.
    r.Report(RuleId::kX1, "MP_FASTCLOSE key: " + ExpectedActual(Hex(*want), Hex(o.receiver_key)));
    return;
  }
  if (!fastclose_by_) fastclose_by_ = sender;
}

void Connection::BindAddressId(Side s, std::uint8_t id, const Endpoint& address,
                               const Reporter& r) {
  Endpoint a = address;
  a.port = 0;
  auto& bindings = address_ids_[Index(s)];
  for (const AddressIdBinding& b : bindings) {
    if (b.id != id) continue;
    if (b.address == a) return;
    // RFC 8684 §3.2, rule J9: an address ID names one address of its sender (ID 0 the
    // initial subflow's) until REMOVE_ADDR withdraws it.
    r.Report(
        RuleId::kJ9,
        "address ID " + std::to_string(id) + " already names another " + std::string(SideName(s)) +
            " address: " +
            ExpectedActual(AddressText(b.address.ip_version == 6, b.address.address, std::nullopt),
                           AddressText(a.ip_version == 6, a.address, std::nullopt)));
    return;
  }
  if (bindings.size() <= kMaxSubflows) bindings.push_back({id, a});
}

void Connection::CheckFirstDataMapped(Subflow& sf, Side sender, const Segment& seg,
                                      const SegmentClass& cls) {
  if (mode_ != Mode::kMptcp || sf.joined() || seg.payload_length == 0 || cls.retransmission) {
    return;
  }
  const DataSequence& ds = data_[Index(sender)];
  if (!ds.started() || ds.sent_end() != ds.first_dsn()) return;  // data already mapped
  if (sf.mappings(sender).Covers(cls.rel_seq)) return;
  // The peer sent a DATA_ACK (on any subflow), or a join has got past its handshake: the
  // connection is MPTCP for good and the receiver resets the subflow instead (Linux 6.18: RST
  // with MP_TCPRST reason 6; found by fuzz/live_fuzzer.cc).
  if (join_completed_) return;
  for (const auto& other : subflows_) {
    if (other->last_data_ack(Peer(sender)).has_value()) return;
  }
  // A mapping the model refused (D5, D8, D9: it was reported) is still a mapping: the
  // receiver sees DSS on the first data and does not take this fallback (Linux 6.18 stays
  // MPTCP, found by fuzz/live_fuzzer.cc).
  const auto* dss = FindOption<codec::Dss>(seg.options);
  if (dss != nullptr && dss->has_mapping()) return;
  const auto* mpc = FindOption<codec::MpCapable>(seg.options);
  if (mpc != nullptr && mpc->data_level_length.has_value()) return;
  // RFC 8684 §3.7, rule G2: the first data arrives without a DSS mapping (a middlebox
  // stripped it) and no DATA_ACK was seen: the receiver falls back to TCP, no RST. Its sender
  // may still send options until it learns of it, so only the receiver is held to G1, once
  // it acknowledged this segment.
  FallBack(RuleId::kG2, "first data without a DSS mapping", seg);
  checksum_failures_.OnFallback(Peer(sender), seg.index);
  side_fallen_ = {false, false};
  fallback_pending_ = {true, Peer(sender), sf.id(), seg.seq + seg.payload_length};
}

void Connection::OnMpFail(Subflow& sf, Side sender, const codec::MpFail& o, const Segment& seg,
                          const Reporter& r) {
  ++mp_fail_sent_[Index(sender)];
  std::optional<std::uint32_t> f2_beside;  // an established subflow beside this one
  if (!seg.rst()) {
    // The answer to the peer's MP_FAIL (Linux echoes it) is not judged again. What follows
    // the answer on a lone subflow (the infinite mapping) is not judged either: Linux first
    // sends the data it had already queued, under the mappings fixed when it was written, and
    // a capture cannot tell queued data from new (found by fuzz/live_fuzzer.cc).
    if (!sf.mp_fail(sender).received) {
      sf.mp_fail(Peer(sender)).received = true;
      // RFC 8684 §3.7, rule F2: with several subflows, the checksum failure closes the
      // affected subflow with a RST carrying MP_FAIL; only a lone subflow fails gracefully.
      for (const auto& other : subflows_) {
        if (other.get() == &sf || other->closed() || other->removed() ||
            other->state() != SubflowState::kEstablished) {
          continue;
        }
        f2_beside = other->id();
        break;
      }
    }
  }
  // RFC 8684 §3.7, rule F3: MP_FAIL carries the DSN of the start of the mapping whose
  // checksum failed. Judged only when the model saw such a failure (a checksum over a cut
  // payload, or a mapping corrupted after the capture point, cannot be known here).
  const auto& failed = failed_mappings_[Index(Peer(sender))];
  const bool f3 =
      !failed.empty() && std::find(failed.begin(), failed.end(), o.dsn) == failed.end();
  if (f2_beside || f3) {
    // A wrong answer leaves the checksum failure a violation (before the rule it broke).
    checksum_failures_.Refuse(Peer(sender), r.sink);
  } else if (!seg.rst()) {
    checksum_failures_.OnMpFail(Peer(sender), seg.index, sender);
  }
  if (f2_beside) {
    r.Report(RuleId::kF2, "MP_FAIL without RST while subflow " + std::to_string(*f2_beside) +
                              " is established: " +
                              ExpectedActual("RST with MP_FAIL (several subflows)",
                                             "MP_FAIL on a segment without RST"));
  }
  if (f3) {
    r.Report(RuleId::kF3, "MP_FAIL DSN is not the start of a mapping whose checksum failed: " +
                              ExpectedActual(Hex(failed.back()), Hex(o.dsn)));
  }
}

void Connection::OnRemoveAddr(Side sender, const codec::RemoveAddr& o) {
  addresses_.OnRemoveAddr(sender, o);
  auto& bindings = address_ids_[Index(sender)];
  for (std::uint8_t id : o.address_ids.view()) {
    std::erase_if(bindings, [id](const AddressIdBinding& b) { return b.id == id; });
  }
  for (auto& sf : subflows_) {
    for (std::uint8_t id : o.address_ids.view()) {
      if (sf->address_id(sender) == id) sf->set_removed();
    }
  }
}

bool Connection::finished() const {
  for (const auto& sf : subflows_) {
    if (!sf->closed()) return false;
  }
  switch (mode_) {
    case Mode::kPending:
    case Mode::kPlain:
    case Mode::kFallback:
      return true;
    case Mode::kMptcp:
      // Every subflow reset is not the end of an MPTCP connection (RFC 8684 §3.3.3: only
      // DATA_FIN or MP_FASTCLOSE close it): a new subflow may join it (Linux keeps it for
      // that). Such a connection lingers (all_subflows_reset) and the observer retires it
      // after its own timeout.
      return fastclose_by_.has_value() || (data_[0].data_fin_acked() && data_[1].data_fin_acked());
  }
  return true;
}

bool Connection::all_subflows_reset() const {
  for (const auto& sf : subflows_) {
    if (sf->state() != SubflowState::kReset) return false;
  }
  return !subflows_.empty();
}

}  // namespace mpdrill::model
