// The data sequence space of one direction of an MPTCP connection (RFC 8684 §3.3): what the
// sender has mapped, what the receiver has acknowledged with DATA_ACK, where the DATA_FIN is.
#ifndef MPDRILL_ENGINE_MODEL_DATA_SEQUENCE_H_
#define MPDRILL_ENGINE_MODEL_DATA_SEQUENCE_H_

#include <cstdint>
#include <optional>

#include "engine/model/violation.h"

namespace mpdrill::model {

// RFC 8684 §3.3, rule D4: a 4-byte DSN or DATA_ACK is the low 32 bits of the 64-bit value.
// Returns the 64-bit value with these low bits nearest to `reference`.
std::uint64_t Expand32(std::uint64_t reference, std::uint32_t low);

// Signed distance b - a in a 64-bit modular space (the DSN space wraps).
inline std::int64_t Distance(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::int64_t>(b - a);
}

class DataSequence {
 public:
  // The sender's IDSN (K1); the first data byte has DSN IDSN+1 (rule C7).
  void Start(std::uint64_t idsn);
  bool started() const { return started_; }
  std::uint64_t idsn() const { return idsn_; }
  std::uint64_t first_dsn() const { return idsn_ + 1; }

  // Reference for expanding a 32-bit DSN of this direction.
  std::uint64_t dsn_reference() const { return sent_end_; }
  // Reference for expanding a 32-bit DATA_ACK of this direction.
  std::uint64_t ack_reference() const { return acked_; }

  // A mapping of `data_len` payload bytes at `dsn`, plus a DATA_FIN at dsn + data_len when
  // `data_fin`. Checks D8 (data after the DATA_FIN, DATA_FIN moving). Caller checked C7.
  void OnMapping(std::uint64_t dsn, std::uint32_t data_len, bool data_fin, const Reporter& r);

  // A DATA_ACK for this direction, sent by the receiver. `previous_on_subflow` is the last
  // DATA_ACK of this direction seen on the same subflow (nullopt: none), and `stale` says the
  // segment is an old one (reordered or retransmitted): then only the upper bound is checked.
  // Rule D10. Returns the expanded 64-bit value.
  std::uint64_t OnDataAck(std::uint64_t value, bool is64, std::optional<std::uint64_t> previous,
                          bool stale, const Reporter& r);

  std::uint64_t sent_end() const { return sent_end_; }  // one past the highest mapped DSN
  std::uint64_t acked() const { return acked_; }        // highest DATA_ACK seen
  std::optional<std::uint64_t> data_fin() const { return data_fin_; }
  bool data_fin_acked() const {
    return data_fin_ && Distance(*data_fin_, acked_) >= 1;
  }
  // Distinct payload bytes mapped in this direction (DATA_FIN excluded).
  std::uint64_t bytes() const;

 private:
  bool started_ = false;
  std::uint64_t idsn_ = 0;
  std::uint64_t sent_end_ = 0;  // DSN one past the last mapped byte (or DATA_FIN)
  std::uint64_t acked_ = 0;
  std::optional<std::uint64_t> data_fin_;
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_DATA_SEQUENCE_H_
