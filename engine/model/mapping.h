// DSS mappings of one direction of one subflow (RFC 8684 §3.3.1): the recent mappings, to tell
// a retransmitted mapping from a conflicting one (rule D9), and the payload each checksummed
// mapping covers, reassembled across segments to verify its DSS checksum (rule D3).
#ifndef MPDRILL_ENGINE_MODEL_MAPPING_H_
#define MPDRILL_ENGINE_MODEL_MAPPING_H_

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "engine/model/violation.h"

namespace mpdrill::model {

struct Mapping {
  std::uint64_t dsn = 0;       // 64-bit (expanded)
  std::uint32_t ssn = 0;       // relative to the subflow ISN (rule D5)
  std::uint32_t data_len = 0;  // payload bytes: the data-level length minus the DATA_FIN
  std::uint16_t dll = 0;       // data-level length as on the wire
  bool data_fin = false;
  std::optional<std::uint16_t> checksum;
  friend bool operator==(const Mapping&, const Mapping&) = default;
};

// True if [a, a+alen) and [b, b+blen) intersect in the 32-bit modular subflow space.
bool SsnRangesOverlap(std::uint32_t a, std::uint32_t alen, std::uint32_t b, std::uint32_t blen);
// True if ssn lies in [start, start+len).
bool SsnInRange(std::uint32_t ssn, std::uint32_t start, std::uint32_t len);

struct ChecksumStats {
  std::uint64_t verified = 0;
  std::uint64_t failed = 0;
  std::uint64_t unverifiable = 0;  // payload cut by the capture, or evicted before complete
};

class MappingTracker {
 public:
  // Bounds: memory grows with live subflows, never with packets.
  static constexpr std::size_t kMaxRecords = 64;  // a power of two: At() masks
  static constexpr std::size_t kMaxPending = 8;

  // A recorded mapping that maps some subflow byte of `m` to a different DSN (rule D9).
  std::optional<Mapping> FindConflict(const Mapping& m) const;
  // Records a mapping; an identical one (a retransmission) is recorded once. A mapping with a
  // checksum starts collecting its payload.
  void Add(const Mapping& m, ChecksumStats* stats);
  // Payload at relative subflow sequence `rel_seq`. `bytes` may be shorter than `length`
  // (capture cut): the mappings it touches become unverifiable. Reports D3.
  void OnPayload(std::uint32_t rel_seq, std::uint32_t length, std::span<const std::uint8_t> bytes,
                 ChecksumStats* stats, const Reporter& r);
  // Whether some recorded mapping covers the subflow byte `rel_seq`.
  bool Covers(std::uint32_t rel_seq) const;
  bool empty() const { return records_.empty(); }
  std::size_t size() const { return records_.size(); }
  std::size_t pending() const { return pending_; }
  // DSNs of mappings whose checksum failed since the last call (rule F3), oldest first.
  std::vector<std::uint64_t> TakeFailed() {
    std::vector<std::uint64_t> out;
    out.swap(failed_);
    return out;
  }

 private:
  struct Record {
    Mapping mapping;
    bool pending = false;  // collecting payload for the checksum
    std::vector<std::uint8_t> buffer;  // data_len bytes while pending, once split
    std::vector<std::pair<std::uint32_t, std::uint32_t>> covered;  // merged [begin, end)
  };
  // `payload`: the mapping's data_len bytes (the buffer, or one segment's payload).
  void Verify(Record& rec, std::span<const std::uint8_t> payload, ChecksumStats* stats,
              const Reporter& r);
  static void Cover(Record& rec, std::uint32_t begin, std::uint32_t end);
  // The k-th record, oldest first (k < size()). Until the ring is full oldest_ is 0; then its
  // size is kMaxRecords: either way the index is taken modulo the constant (a mask, no division).
  Record& At(std::size_t k) { return records_[(oldest_ + k) % kMaxRecords]; }
  const Record& At(std::size_t k) const { return records_[(oldest_ + k) % kMaxRecords]; }
  // Stops collecting the record's payload (verified, unverifiable or evicted).
  void EndPending(Record& rec);

  // A ring, oldest first from oldest_: it grows to kMaxRecords, then each new record takes the
  // oldest one's slot (no allocation per mapping, as a deque's pop_front/push_back had).
  std::vector<Record> records_;
  std::size_t oldest_ = 0;
  std::size_t pending_ = 0;  // records collecting payload
  std::vector<std::uint64_t> failed_;  // bounded: drained after every segment
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_MAPPING_H_
