#include "engine/model/mapping.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/crypto/mptcp_crypto.h"

namespace mpdrill::model {

using codec::RuleId;

bool SsnInRange(std::uint32_t ssn, std::uint32_t start, std::uint32_t len) {
  return static_cast<std::uint32_t>(ssn - start) < len;
}

bool SsnRangesOverlap(std::uint32_t a, std::uint32_t alen, std::uint32_t b, std::uint32_t blen) {
  if (alen == 0 || blen == 0) return false;
  return SsnInRange(b, a, alen) || SsnInRange(a, b, blen);
}

std::optional<Mapping> MappingTracker::FindConflict(const Mapping& m) const {
  // RFC 8684 §3.3.1, rule D9: once sent, a mapping is never changed. Judged byte by byte: a
  // retransmission may repeat it, or grow it by the DATA_FIN (Linux adds the DATA_FIN to the
  // last mapping when it retransmits after close), but no subflow byte moves to another DSN.
  const std::uint64_t offset = m.dsn - m.ssn;
  for (std::size_t k = 0; k < records_.size(); ++k) {
    const Mapping& o = At(k).mapping;
    if (!SsnRangesOverlap(m.ssn, m.data_len, o.ssn, o.data_len)) continue;
    if (o.dsn - o.ssn != offset) return o;
  }
  return std::nullopt;
}

void MappingTracker::EndPending(Record& rec) {
  if (!rec.pending) return;
  rec.pending = false;
  --pending_;
  rec.buffer = {};
  rec.covered = {};
}

void MappingTracker::Add(const Mapping& m, ChecksumStats* stats) {
  for (const Record& rec : records_) {
    if (rec.mapping == m) return;  // retransmitted mapping
  }
  const bool collect = m.checksum && m.data_len > 0;
  if (collect && pending_ >= kMaxPending) {
    for (std::size_t k = 0; k < records_.size(); ++k) {  // the oldest pending one gives way
      Record& old = At(k);
      if (!old.pending) continue;
      EndPending(old);
      ++stats->unverifiable;
      break;
    }
  }
  Record* rec = nullptr;
  if (records_.size() < kMaxRecords) {
    rec = &records_.emplace_back();
  } else {
    rec = &records_[oldest_];
    oldest_ = (oldest_ + 1) % kMaxRecords;
    if (rec->pending) ++stats->unverifiable;
    EndPending(*rec);
  }
  rec->mapping = m;
  if (collect) {
    rec->pending = true;  // the buffer is allocated only if the mapping arrives in pieces
    ++pending_;
  }
}

void MappingTracker::Cover(Record& rec, std::uint32_t begin, std::uint32_t end) {
  auto& c = rec.covered;
  c.emplace_back(begin, end);
  std::sort(c.begin(), c.end());
  // Merge overlapping or touching intervals in place (no allocation per segment).
  std::size_t out = 0;
  for (std::size_t i = 1; i < c.size(); ++i) {
    if (c[i].first <= c[out].second) {
      c[out].second = std::max(c[out].second, c[i].second);
    } else {
      c[++out] = c[i];
    }
  }
  c.resize(out + 1);
}

void MappingTracker::OnPayload(std::uint32_t rel_seq, std::uint32_t length,
                               std::span<const std::uint8_t> bytes, ChecksumStats* stats,
                               const Reporter& r) {
  if (length == 0 || pending_ == 0) return;
  for (std::size_t k = 0; k < records_.size(); ++k) {
    Record& rec = At(k);
    if (!rec.pending) continue;
    const Mapping& m = rec.mapping;
    if (!SsnRangesOverlap(rel_seq, length, m.ssn, m.data_len)) continue;
    // Intersection, as offsets into the mapping and into the segment payload.
    const std::uint32_t seg_into_map = rel_seq - m.ssn;  // modular
    std::uint32_t map_begin, pay_begin;
    if (seg_into_map < m.data_len) {
      map_begin = seg_into_map;
      pay_begin = 0;
    } else {
      map_begin = 0;
      pay_begin = m.ssn - rel_seq;
    }
    const std::uint32_t n = std::min(m.data_len - map_begin, length - pay_begin);
    if (static_cast<std::uint64_t>(pay_begin) + n > bytes.size()) {
      // RFC 8684 §3.3.1: cannot verify what the capture did not keep; not a violation.
      EndPending(rec);
      ++stats->unverifiable;
      continue;
    }
    if (rec.covered.empty() && map_begin == 0 && n == m.data_len) {
      // The whole mapping in this one segment (the usual case): sum it in place.
      Verify(rec, bytes.subspan(pay_begin, n), stats, r);
      continue;
    }
    if (rec.buffer.empty()) rec.buffer.assign(m.data_len, 0);
    std::memcpy(rec.buffer.data() + map_begin, bytes.data() + pay_begin, n);
    Cover(rec, map_begin, map_begin + n);
    if (rec.covered.size() == 1 && rec.covered[0].first == 0 &&
        rec.covered[0].second == m.data_len) {
      Verify(rec, rec.buffer, stats, r);
    }
  }
}

void MappingTracker::Verify(Record& rec, std::span<const std::uint8_t> payload,
                           ChecksumStats* stats, const Reporter& r) {
  const Mapping& m = rec.mapping;
  // RFC 8684 §3.3.1, rule D3 (K4): one's-complement sum over the pseudo-header {DSN (64),
  // SSN, data-level length, zero} and the whole mapped payload.
  crypto::DssChecksum sum(m.dsn, m.ssn, m.dll);
  sum.Add(payload);
  const std::uint16_t want = sum.Finish();
  if (want == *m.checksum) {
    ++stats->verified;
  } else {
    ++stats->failed;
    if (failed_.size() < kMaxPending) failed_.push_back(m.dsn);
    r.Report(RuleId::kD3, "DSS checksum of the mapping at DSN " + Hex(m.dsn) + " SSN " +
                              std::to_string(m.ssn) + " length " + std::to_string(m.dll) +
                              ": " + ExpectedActual(Hex(want), Hex(*m.checksum)));
  }
  EndPending(rec);
}

bool MappingTracker::Covers(std::uint32_t rel_seq) const {
  for (const Record& rec : records_) {
    if (SsnInRange(rel_seq, rec.mapping.ssn, rec.mapping.data_len)) return true;
  }
  return false;
}

}  // namespace mpdrill::model
