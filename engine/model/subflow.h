// One subflow (a TCP connection) of an MPTCP connection: both TCP sequence spaces, enough to
// tell new data from retransmissions and reordering, the DSS mappings of each direction, and
// the MP_JOIN handshake state (RFC 8684 §3.2).
#ifndef MPDRILL_ENGINE_MODEL_SUBFLOW_H_
#define MPDRILL_ENGINE_MODEL_SUBFLOW_H_

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "engine/model/mapping.h"
#include "engine/model/segment.h"
#include "engine/model/violation.h"

namespace mpdrill::model {

// Modular 32-bit TCP sequence comparison (RFC 9293 §3.4).
inline bool SeqLt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
inline bool SeqLeq(std::uint32_t a, std::uint32_t b) { return !SeqLt(b, a); }

// One direction of a subflow's TCP sequence space.
struct TcpDirection {
  bool syn_seen = false;
  std::uint32_t isn = 0;
  bool any = false;
  std::uint32_t snd_max = 0;  // one past the highest sequence number sent (SYN/FIN count)
  bool ack_seen = false;
  std::uint32_t max_ack = 0;  // highest cumulative ACK this direction's sender sent
  bool fin_seen = false;
  std::uint32_t fin_seq = 0;
  std::optional<std::uint8_t> window_scale;
  std::uint64_t new_bytes = 0;
  std::uint64_t retransmitted_bytes = 0;
  // Sequence ranges below snd_max not seen yet (segments that overtook others), so that a late
  // segment filling one counts as reordered, not retransmitted. Bounded; oldest dropped.
  static constexpr std::size_t kMaxHoles = 16;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> holes;

  // Marks [start, end) sent; returns how many of its bytes were not sent before.
  std::uint32_t Fill(std::uint32_t start, std::uint32_t end);
};

// How a segment relates to what its sender sent before.
struct SegmentClass {
  std::uint32_t rel_seq = 0;    // seq - ISN: SSN of the first payload byte (rule D5)
  bool retransmission = false;  // all of its payload was sent before (not just reordered)
  bool stale = false;           // its ACK is below one already sent: reordered or repeated
  bool discarded = false;       // a RST its receiver cannot accept: it changes nothing
};

enum class SubflowState : std::uint8_t {
  kSynSent,
  kSynReceived,     // SYN/ACK seen
  kPreEstablished,  // joined: third ACK sent, waiting for the fourth ACK (J6)
  kEstablished,
  kClosed,  // both FINs acknowledged
  kReset,
};
std::string_view SubflowStateName(SubflowState s);

// Rule F2: a non-RST MP_FAIL on this subflow, as one side sees it.
struct MpFailState {
  bool received = false;  // the peer sent MP_FAIL on a non-RST segment here
};

struct JoinState {
  std::uint32_t token = 0;
  std::uint32_t initiator_nonce = 0;
  std::uint32_t responder_nonce = 0;
  std::uint8_t initiator_address_id = 0;
  std::uint8_t responder_address_id = 0;
  bool syn_ack_seen = false;
  bool syn_ack_hmac_bad = false;      // J3 broken: the initiator must reset (J5)
  bool ack_hmac_bad = false;          // J4 broken: the responder must reset (J5)
  bool syn_ack_without_join = false;  // the initiator must reset (J8)
  bool ack_without_join = false;      // the responder must reset (J8, G3)
};

class Subflow {
 public:
  Subflow(std::uint32_t id, const Segment& syn, Side initiator, bool joined);

  std::uint32_t id() const { return id_; }
  bool joined() const { return joined_; }
  Side initiator() const { return initiator_; }
  const Endpoint& initiator_endpoint() const { return initiator_ep_; }
  const Endpoint& responder_endpoint() const { return responder_ep_; }
  Side SenderOf(const Segment& seg) const {
    return seg.src == initiator_ep_ ? initiator_ : Peer(initiator_);
  }
  // The address ID each side uses for this subflow (0 on the initial subflow, rule J9).
  std::uint8_t address_id(Side s) const { return address_id_[Index(s)]; }
  void set_address_id(Side s, std::uint8_t id) { address_id_[Index(s)] = id; }

  // TCP bookkeeping of a segment from `sender`; call once per segment, before the options.
  SegmentClass Track(Side sender, const Segment& seg);
  // Closing: FIN/RST bookkeeping after the segment's options were applied.
  void TrackClose(Side sender, const Segment& seg);

  TcpDirection& tcp(Side s) { return tcp_[Index(s)]; }
  const TcpDirection& tcp(Side s) const { return tcp_[Index(s)]; }
  MappingTracker& mappings(Side sender) { return mappings_[Index(sender)]; }
  std::optional<std::uint64_t>& last_data_ack(Side sender) { return last_data_ack_[Index(sender)]; }
  const std::optional<std::uint64_t>& last_data_ack(Side sender) const {
    return last_data_ack_[Index(sender)];
  }

  SubflowState state() const { return state_; }
  void set_state(SubflowState s) { state_ = s; }
  bool closed() const { return state_ == SubflowState::kClosed || state_ == SubflowState::kReset; }
  JoinState& join() { return join_; }
  const JoinState& join() const { return join_; }
  bool backup() const { return backup_; }
  void set_backup(bool b) { backup_ = b; }
  bool removed() const { return removed_; }
  void set_removed() { removed_ = true; }
  MpFailState& mp_fail(Side s) { return mp_fail_[Index(s)]; }
  std::optional<std::uint8_t> reset_reason() const { return reset_reason_; }
  void set_reset_reason(std::uint8_t r) { reset_reason_ = r; }
  std::uint64_t first_packet() const { return first_packet_; }
  std::uint64_t last_packet() const { return last_packet_; }

 private:
  std::uint32_t id_;
  bool joined_;
  Side initiator_;
  Endpoint initiator_ep_;
  Endpoint responder_ep_;
  SubflowState state_ = SubflowState::kSynSent;
  std::array<TcpDirection, 2> tcp_{};
  std::array<MappingTracker, 2> mappings_{};
  std::array<std::optional<std::uint64_t>, 2> last_data_ack_{};
  std::array<std::uint8_t, 2> address_id_{};
  JoinState join_;
  std::array<MpFailState, 2> mp_fail_{};
  bool backup_ = false;
  bool removed_ = false;
  std::optional<std::uint8_t> reset_reason_;
  std::uint64_t first_packet_ = 0;
  std::uint64_t last_packet_ = 0;
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_SUBFLOW_H_
