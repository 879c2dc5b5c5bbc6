// One MPTCP connection as seen from the wire, both endpoints at once (RFC 8684): the
// MP_CAPABLE handshake, fallback, joined subflows, the data sequence space of each direction,
// address management, and closing. Pure: consumes decoded options and segment metadata.
#ifndef MPDRILL_ENGINE_MODEL_CONNECTION_H_
#define MPDRILL_ENGINE_MODEL_CONNECTION_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/codec/mptcp_option.h"
#include "engine/model/address_manager.h"
#include "engine/model/data_sequence.h"
#include "engine/model/mapping.h"
#include "engine/model/path_event.h"
#include "engine/model/segment.h"
#include "engine/model/subflow.h"
#include "engine/model/summary.h"
#include "engine/model/violation.h"

namespace mpdrill::model {

class Connection {
 public:
  static constexpr std::size_t kMaxSubflows = 64;

  // `syn` is the SYN that opens the initial subflow; call OnSegment(0, syn, ...) next.
  Connection(std::uint64_t id, const Segment& syn);

  std::uint64_t id() const { return id_; }
  // Adds the subflow a SYN with MP_JOIN opens; `responder` owns the token it carries.
  // nullopt when the connection already has kMaxSubflows subflows.
  std::optional<std::uint32_t> AddJoin(const Segment& syn, Side responder);
  // Processes one segment of subflow `index`.
  void OnSegment(std::uint32_t index, const Segment& seg, ViolationSink* sink);

  std::optional<std::uint32_t> token(Side s) const { return tokens_[Index(s)]; }
  // True once after a key (and so a token) was learnt: the Observer registers tokens then.
  bool TakeNewTokens() {
    const bool fresh = new_tokens_;
    new_tokens_ = false;
    return fresh;
  }
  // A token is still claimed by another connection: try again on the next segment.
  void RetryTokens() { new_tokens_ = true; }
  std::size_t subflow_count() const { return subflows_.size(); }
  const Subflow& subflow(std::uint32_t i) const { return *subflows_[i]; }
  Mode mode() const { return mode_; }
  // Closed for good: every subflow closed, and the connection closed at data level, by
  // MP_FASTCLOSE, or as TCP. Retransmissions after this are ignored.
  bool finished() const;
  // Every subflow was reset, the connection itself not closed: it may still be joined.
  bool all_subflows_reset() const;
  std::uint64_t last_timestamp_us() const { return last_timestamp_us_; }
  ConnectionSummary Summary() const;

  // Checksum failures answered as RFC 8684 §3.7 asks become path events (path_event.h).
  void set_checksum_failures_as_path_events(bool on) { checksum_failures_.set_enabled(on); }
  std::vector<PathEvent> TakePathEvents() { return checksum_failures_.TakeEvents(); }
  // The end of the connection: checksum failures still unanswered are D3 violations.
  void FlushChecksumFailures(ViolationSink* sink);

 private:
  struct FallbackPending {  // rule G6: the infinite mapping's receiver falls back on receipt
    bool active = false;
    Side side = Side::kClient;
    std::uint32_t subflow = 0;
    std::uint32_t seq_end = 0;
  };

  void InitialHandshake(Subflow& sf, Side sender, const Segment& seg, const Reporter& r);
  void JoinHandshake(Subflow& sf, Side sender, const Segment& seg, const SegmentClass& cls,
                     const Reporter& r);
  // After fallback (or for plain TCP): any MPTCP option is a violation (C10, C11, G1). On a
  // join attempt made after the fallback, MP_JOIN and MP_TCPRST (the refusal) are allowed.
  void CheckNoOptions(Side sender, const Segment& seg, const Reporter& r,
                      bool join_attempt = false);
  void ApplyOptions(Subflow& sf, Side sender, const Segment& seg, const SegmentClass& cls,
                    const Reporter& r);
  void OnMpCapable(Subflow& sf, Side sender, const codec::MpCapable& o, const Segment& seg,
                   const SegmentClass& cls, const Reporter& r);
  void OnDss(Subflow& sf, Side sender, const codec::Dss& o, const Segment& seg,
             const SegmentClass& cls, const Reporter& r);
  // A DSS mapping of data-level length 0 on a segment that takes sequence space (D6, G6).
  void OnInfiniteMapping(Subflow& sf, Side sender, const codec::Dss& o, const Segment& seg,
                         const SegmentClass& cls, const Reporter& r);
  void OnMapping(Subflow& sf, Side sender, const Mapping& m, const Segment& seg,
                 const SegmentClass& cls, const Reporter& r);
  void OnFastclose(Side sender, const codec::MpFastclose& o, const Reporter& r);
  void OnMpFail(Subflow& sf, Side sender, const codec::MpFail& o, const Segment& seg,
                const Reporter& r);
  // Rule G2: first data on the initial subflow without a mapping ⇒ fallback.
  void CheckFirstDataMapped(Subflow& sf, Side sender, const Segment& seg, const SegmentClass& cls);
  void OnRemoveAddr(Side sender, const codec::RemoveAddr& o);
  // Rule J9: `id` names `address` for side `s` (ID 0: the initial subflow's address).
  void BindAddressId(Side s, std::uint8_t id, const Endpoint& address, const Reporter& r);
  void SetKey(Side s, std::uint64_t key);
  void FallBack(codec::RuleId why, std::string reason, const Segment& seg);
  bool SideFallen(Side s) const;
  bool RetransmitsPreFallback(std::uint32_t subflow, Side sender, const Segment& seg,
                              const SegmentClass& cls) const;
  // G1 exceptions after fallback: each side's first infinite mapping (the fallback signal),
  // and that same DSS repeated on its subflow until the receiver acknowledged it.
  bool InfiniteMappingAfterFallback(const Subflow& sf, Side sender, const Segment& seg);

  std::uint64_t id_;
  Mode mode_ = Mode::kPlain;
  bool c10_ = false;  // SYN carried MP_CAPABLE and MP_JOIN: both ignored (C10)
  std::uint8_t syn_version_ = 1;
  std::uint8_t syn_flags_ = 0;
  bool mptcp_negotiated_ = false;
  bool checksums_ = false;  // rule C5
  bool third_ack_seen_ = false;
  bool join_completed_ = false;  // a join's third ACK carried MP_JOIN: no G2 fallback after
  std::array<std::optional<std::uint64_t>, 2> keys_{};
  std::array<std::optional<std::uint32_t>, 2> tokens_{};
  bool new_tokens_ = false;
  std::array<DataSequence, 2> data_{};  // by sender Side
  AddressManager addresses_;
  struct AddressIdBinding {
    std::uint8_t id = 0;
    Endpoint address;  // port 0: the ID names an address, whatever the port
  };
  // By Side; bounded like the subflows (one binding per join at most).
  std::array<std::vector<AddressIdBinding>, 2> address_ids_;
  std::vector<std::unique_ptr<Subflow>> subflows_;
  ChecksumStats checksum_stats_;

  bool fallback_ = false;
  std::string fallback_reason_;
  std::optional<codec::RuleId> fallback_rule_;
  std::uint64_t fallback_packet_ = 0;
  std::array<bool, 2> side_fallen_{};
  // Per subflow, each side's snd_max when the connection fell back: a retransmission of what
  // was sent up to there may carry the MPTCP options it first had (the infinite mapping).
  std::vector<std::array<std::uint32_t, 2>> fallback_snd_max_;
  FallbackPending fallback_pending_;
  struct InfiniteMapping {
    std::uint32_t subflow;
    std::uint32_t seq_end;  // one past the segment that carried it
    codec::Dss dss;
    std::uint64_t last_us = 0;   // when the last segment of its burst was seen
    std::uint32_t burst_end = 0;  // one past the last contiguous segment repeating it
  };
  std::array<std::optional<InfiniteMapping>, 2> infinite_mappings_;  // by sender Side

  std::optional<Side> fastclose_by_;
  // Rule F3: DSNs of the last mappings whose DSS checksum failed, by the mapping's sender.
  static constexpr std::size_t kMaxFailedMappings = 8;
  std::array<std::vector<std::uint64_t>, 2> failed_mappings_{};
  ChecksumFailures checksum_failures_;
  std::array<std::uint32_t, 2> mp_fail_sent_{};  // MP_FAIL options, by sender Side
  std::uint64_t violations_ = 0;
  std::uint64_t first_packet_ = 0;
  std::uint64_t last_packet_ = 0;
  std::uint64_t last_timestamp_us_ = 0;
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_CONNECTION_H_
