// MappingTracker's bounds: the last kMaxRecords mappings (a ring, oldest first) and at most
// kMaxPending checksummed mappings collecting payload. What falls out of a bound is forgotten
// or counted unverifiable, never reported.
#include "engine/model/mapping.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/crypto/mptcp_crypto.h"

namespace mpdrill::model {
namespace {

constexpr std::uint64_t kDsnBase = 1000000;

// Mapping i: 100 bytes at SSN 1 + 100 i, DSN kDsnBase + 100 i.
Mapping Nth(std::uint32_t i) {
  Mapping m;
  m.ssn = 1 + 100 * i;
  m.dsn = kDsnBase + 100 * i;
  m.data_len = 100;
  m.dll = 100;
  return m;
}

Mapping WithChecksum(Mapping m, const std::vector<std::uint8_t>& payload) {
  crypto::DssChecksum sum(m.dsn, m.ssn, m.dll);
  sum.Add(payload);
  m.checksum = sum.Finish();
  return m;
}

TEST(MappingTracker, KeepsTheLastMaxRecordsOldestFirst) {
  MappingTracker t;
  ChecksumStats stats;
  const std::uint32_t n = MappingTracker::kMaxRecords + 10;  // the ring wraps
  for (std::uint32_t i = 0; i < n; ++i) t.Add(Nth(i), &stats);
  EXPECT_EQ(t.size(), MappingTracker::kMaxRecords);
  // The first ten were dropped: neither covered nor in conflict any more.
  EXPECT_FALSE(t.Covers(Nth(9).ssn));
  Mapping moved = Nth(9);
  moved.dsn += 7;
  EXPECT_FALSE(t.FindConflict(moved));
  EXPECT_TRUE(t.Covers(Nth(10).ssn));
  // A mapping over records 10..12 conflicts first with the oldest of them.
  Mapping wide = Nth(10);
  wide.data_len = 300;
  wide.dll = 300;
  wide.dsn += 1;
  const auto conflict = t.FindConflict(wide);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(*conflict, Nth(10));
  // A retransmitted mapping, even of the newest, is recorded once.
  t.Add(Nth(n - 1), &stats);
  t.Add(Nth(10), &stats);
  EXPECT_TRUE(t.Covers(Nth(10).ssn));
  EXPECT_EQ(stats.unverifiable, 0u);
}

TEST(MappingTracker, AtMostMaxPendingChecksummedMappingsOldestGivesWay) {
  MappingTracker t;
  ChecksumStats stats;
  ViolationSink sink;
  const Reporter r{&sink, 1, 0, 1, 0, Side::kClient};
  const std::vector<std::uint8_t> payload(100, 0x5a);
  const std::uint32_t n = MappingTracker::kMaxPending + 3;
  for (std::uint32_t i = 0; i < n; ++i) t.Add(WithChecksum(Nth(i), payload), &stats);
  EXPECT_EQ(t.pending(), MappingTracker::kMaxPending);
  EXPECT_EQ(stats.unverifiable, 3u);  // mappings 0, 1 and 2
  // Payload of an evicted mapping verifies nothing; of a pending one, verifies it.
  t.OnPayload(Nth(0).ssn, 100, payload, &stats, r);
  EXPECT_EQ(stats.verified, 0u);
  t.OnPayload(Nth(3).ssn, 100, payload, &stats, r);
  EXPECT_EQ(stats.verified, 1u);
  EXPECT_EQ(t.pending(), MappingTracker::kMaxPending - 1);
  EXPECT_TRUE(sink.empty());
}

TEST(MappingTracker, APendingMappingPushedOutOfTheRingIsUnverifiable) {
  MappingTracker t;
  ChecksumStats stats;
  const std::vector<std::uint8_t> payload(100, 0x11);
  t.Add(WithChecksum(Nth(0), payload), &stats);
  for (std::uint32_t i = 1; i < MappingTracker::kMaxRecords; ++i) t.Add(Nth(i), &stats);
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(stats.unverifiable, 0u);
  t.Add(Nth(MappingTracker::kMaxRecords), &stats);  // takes mapping 0's slot
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(stats.unverifiable, 1u);
  EXPECT_EQ(t.size(), MappingTracker::kMaxRecords);
}

}  // namespace
}  // namespace mpdrill::model
