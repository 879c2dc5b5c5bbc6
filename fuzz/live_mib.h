// Kernel-side feedback for live_fuzzer without KCOV: the MPTCP MIB counters (MPTcpExt of
// /proc/net/netstat, what `nstat` shows) of live_fuzzer's own network namespace, read before
// and after each input. Every counter that moved is a libFuzzer feature (its index, and its
// delta in libFuzzer's hit-count buckets): an input that makes the kernel take a path it
// counts — a fallback, a refused join, a checksum error, a dropped ADD_ADDR — is kept in the
// corpus even when mpdrill's own code ran the same way.
#ifndef MPDRILL_FUZZ_LIVE_MIB_H_
#define MPDRILL_FUZZ_LIVE_MIB_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mpdrill::fuzz {

struct MibCounters {
  std::vector<std::string> names;
  std::vector<std::uint64_t> values;
};

// The MPTcpExt header and value lines of /proc/net/netstat's text; empty when absent.
MibCounters ParseMptcpMibs(std::string_view netstat);

// The calling process's namespace's counters (empty when unreadable).
MibCounters ReadMptcpMibs();

// For each counter that moved between `before` and `after` (same layout), counters[i % size]
// is set to the delta (at most 255), which libFuzzer buckets; the names of the moved counters
// are appended to `moved` when it is not null. Returns how many moved.
std::size_t MibFeatures(const MibCounters& before, const MibCounters& after,
                        std::span<std::uint8_t> counters,
                        std::vector<std::string>* moved = nullptr);

// libFuzzer's __libfuzzer_extra_counters (64 counters; in the replay build nobody reads them).
std::span<std::uint8_t> LibFuzzerExtraCounters();

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_LIVE_MIB_H_
