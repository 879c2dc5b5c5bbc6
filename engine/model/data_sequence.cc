#include "engine/model/data_sequence.h"

#include <string>

namespace mpdrill::model {

using codec::RuleId;

std::uint64_t Expand32(std::uint64_t reference, std::uint32_t low) {
  const std::uint64_t candidate = (reference & ~0xffffffffULL) | low;
  const std::int64_t d = Distance(reference, candidate);
  if (d > static_cast<std::int64_t>(0x80000000LL)) return candidate - 0x100000000ULL;
  if (d < -static_cast<std::int64_t>(0x80000000LL)) return candidate + 0x100000000ULL;
  return candidate;
}

void DataSequence::Start(std::uint64_t idsn) {
  started_ = true;
  idsn_ = idsn;
  sent_end_ = idsn + 1;
  acked_ = idsn + 1;
  data_fin_.reset();
}

void DataSequence::OnMapping(std::uint64_t dsn, std::uint32_t data_len, bool data_fin,
                             const Reporter& r) {
  if (!started_) return;
  const std::uint64_t end = dsn + data_len;
  // RFC 8684 §3.3.3, rule D8: the DATA_FIN takes one DSN after the last data byte; nothing is
  // mapped at or beyond it, and it does not move.
  if (data_fin_) {
    if (data_len > 0 && Distance(*data_fin_, end) > 0) {
      r.Report(RuleId::kD8, "data mapped after the DATA_FIN: " +
                                ExpectedActual("data below DSN " + Hex(*data_fin_),
                                               "data up to DSN " + Hex(end - 1)));
    }
    if (data_fin && end != *data_fin_) {
      r.Report(RuleId::kD8, "DATA_FIN moved: " + ExpectedActual("DATA_FIN at DSN " +
                                                                     Hex(*data_fin_),
                                                                 "DSN " + Hex(end)));
    }
  } else if (data_fin) {
    if (Distance(sent_end_, end) < 0) {
      r.Report(RuleId::kD8, "DATA_FIN before the end of mapped data: " +
                                ExpectedActual("DATA_FIN at DSN >= " + Hex(sent_end_),
                                               "DSN " + Hex(end)));
    }
    data_fin_ = end;
  }
  const std::uint64_t new_end = end + (data_fin ? 1 : 0);
  if (Distance(sent_end_, new_end) > 0) sent_end_ = new_end;
}

std::uint64_t DataSequence::OnDataAck(std::uint64_t value, bool is64,
                                      std::optional<std::uint64_t> previous, bool stale,
                                      const Reporter& r) {
  if (!started_) return value;
  const std::uint64_t ack =
      is64 ? value : Expand32(acked_, static_cast<std::uint32_t>(value));
  // RFC 8684 §3.3.2, rule D10: never acknowledges data that was not sent.
  if (Distance(sent_end_, ack) > 0) {
    r.Report(RuleId::kD10, "DATA_ACK beyond the data sent: " +
                               ExpectedActual("DATA_ACK <= " + Hex(sent_end_),
                                              Hex(ack)));
  }
  // ...and is cumulative: it never moves backwards (judged per subflow: segments of different
  // subflows legitimately reorder).
  if (!stale && previous && Distance(*previous, ack) < 0) {
    r.Report(RuleId::kD10, "DATA_ACK moved backwards: " +
                               ExpectedActual("DATA_ACK >= " + Hex(*previous), Hex(ack)));
  }
  // Rule C7 bound: an acknowledgement below IDSN+1 is not in this space at all.
  if (Distance(acked_, ack) > 0 && Distance(sent_end_, ack) <= 0) acked_ = ack;
  return ack;
}

std::uint64_t DataSequence::bytes() const {
  if (!started_) return 0;
  std::uint64_t n = sent_end_ - (idsn_ + 1);
  if (data_fin_ && n > 0) --n;
  return n;
}

}  // namespace mpdrill::model
