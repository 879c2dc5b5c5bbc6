// What live_fuzzer does for `mpdrill fuzz campaign` (docs/fuzzing.md, "Campaigns in VMs"),
// read from its environment once:
//   MPDRILL_LIVE_FUZZ_CURRENT=FILE  each input is written to FILE and fsynced *before* it runs,
//       so a kernel panic or hang that kills the guest leaves its input on the host (the 9p
//       share is write-through).
//   MPDRILL_LIVE_FUZZ_STATS=FILE    "inputs N\ninjected N\nkernel N\nwait_ms N\n" rewritten
//       (atomically) after each input: inputs run, packets mpdrill injected, packets the kernel
//       sent, milliseconds spent in the inputs' wait steps (the kernel's timers).
//   MPDRILL_LIVE_FUZZ_PANIC_MARKER=HEX  TEST-ONLY: an input containing these bytes panics the
//       kernel (writes 'c' to /proc/sysrq-trigger) — honoured only inside an `mpdrill vm`
//       guest (MPDRILL_VM=1 *and* the root file system is 9p), refused with a message
//       anywhere else. It is how tests/fuzz_campaign_test.cc makes a deterministic guest panic.
#ifndef MPDRILL_FUZZ_LIVE_HOOKS_H_
#define MPDRILL_FUZZ_LIVE_HOOKS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mpdrill::fuzz {

struct LiveHooks {
  std::string current;                     // MPDRILL_LIVE_FUZZ_CURRENT
  std::string stats;                       // MPDRILL_LIVE_FUZZ_STATS
  std::vector<std::uint8_t> panic_marker;  // empty unless set *and* in an mpdrill guest
};

// Reads the variables; says on stderr when the panic marker is refused (not in a guest).
LiveHooks LiveHooksFromEnvironment();

// Whether this process runs inside an `mpdrill vm` guest (see above).
bool InMpdrillGuest();

// "c0ffee" -> {0xc0, 0xff, 0xee}; nullopt for odd lengths or non-hex characters.
std::optional<std::vector<std::uint8_t>> ParseHexBytes(std::string_view hex);

void WriteCurrentInput(const std::string& path, std::span<const std::uint8_t> input);

struct LiveStats {
  std::uint64_t inputs = 0, injected = 0, kernel = 0;
  std::uint64_t wait_ms = 0;  // optional in the file (0 when absent)
};
void WriteLiveStats(const std::string& path, const LiveStats& stats);
// Reads what WriteLiveStats wrote; nullopt when the file is missing or malformed.
std::optional<LiveStats> ParseLiveStats(std::string_view text);

// Test-only: panics the (guest) kernel when `input` contains hooks.panic_marker.
void PanicOnMarker(const LiveHooks& hooks, std::span<const std::uint8_t> input);

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_LIVE_HOOKS_H_
