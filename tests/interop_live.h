// The mpdrill peer of the interop matrix (docs/interop.md, "mpdrill as a peer"): mpdrill
// itself as a live MPTCP endpoint against a kernel. It is the live fuzzer's machinery without
// mutation: each scenario is a conforming live_fuzzer input (fuzz/live_input.h), built with
// fuzz::EncodeLiveInput from typed steps, and a cell runs `live_fuzzer INPUT` where the
// kernel peer's stack is (InteropPeer::Start). live_fuzzer unshares a namespace of its own
// there, connects over its tun0 (mpdrill as client) or lets the kernel's application connect
// to it (mpdrill as server, kHowKernelClient), checks every packet with the live reference
// model and writes them all to one capture (MPDRILL_LIVE_FUZZ_PCAP): tun0 is the whole path,
// so that capture is both ends' view. ci/interop.sh judges it with `mpdrill check` like every
// other cell.
#ifndef MPDRILL_TESTS_INTEROP_LIVE_H_
#define MPDRILL_TESTS_INTEROP_LIVE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/live_input.h"
#include "tests/interop_cell.h"
#include "tests/interop_peer.h"

namespace mpdrill::tests {

// The end mpdrill plays: it connects to the kernel's listener, or the kernel connects to it.
enum class LiveRole : std::uint8_t { kClient, kServer };

struct LiveScenario {
  std::string_view name;  // the matrix's scenario it stands for
  std::string_view what;  // one line for the matrix's legend
  bool checksums = false;
  // The steps after the handshake, for mpdrill's role (the steps differ where the roles do:
  // mpdrill opens joins as client; as server it announces addresses the kernel joins).
  std::vector<fuzz::LiveStep> (*steps)(LiveRole role, bool ipv6) = nullptr;
};

// The mpdrill peer's scenarios, in matrix order: bulk, bulk-csum, subflows, add-remove,
// backup, fastclose. The middlebox scenarios have no counterpart: tun0 has no path between
// mpdrill and the kernel for a middlebox to sit on.
const std::vector<LiveScenario>& LiveScenarios();
// nullptr when `name` has no mpdrill counterpart.
const LiveScenario* FindLiveScenario(std::string_view name);

// The conforming live_fuzzer input of one cell.
fuzz::LiveInput LiveScenarioInput(const LiveScenario& scenario, LiveRole role, int ip_version);

// What the input makes mpdrill send (payload under DSS mappings) and the kernel's
// application write, for the cell's traffic column.
struct LiveTraffic {
  std::uint64_t mpdrill_sent = 0;
  std::uint64_t kernel_wrote = 0;
};
LiveTraffic LiveScenarioTraffic(const fuzz::LiveInput& input);

// What live_fuzzer printed (MPDRILL_LIVE_FUZZ_VERBOSE) about one input.
struct LiveLog {
  std::string skip_reason;  // "live_fuzzer: skipped: ..."
  std::string summary;  // "89 packets, kernel key learnt, 1 subflow(s) opened, 0 deliberate ..."
  std::uint64_t packets = 0;              // both ways
  std::uint64_t subflows = 0;             // opened, the initial one included (0: no kernel key)
  std::uint64_t deliberate = 0;           // rules mpdrill itself broke (0 for a conforming input)
  std::vector<std::string> kernel_rules;  // rule IDs of the live model's findings on the kernel
  std::string first_finding;              // its first line
};
LiveLog ParseLiveLog(std::string_view text);

struct LiveCellConfig {
  std::string live_fuzzer;  // the live_fuzzer binary (where the kernel peer can run it)
  std::string out_dir;      // the cell's directory: input.bin, input.txt, link.pcap, the log
  int ip_version = 4;
};

// Runs one cell between mpdrill (in `role`) and `kernel` (Reset first), bounded (about 20 s).
CellResult RunLiveCell(const LiveCellConfig& config, const LiveScenario& scenario, LiveRole role,
                       InteropPeer& kernel);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_INTEROP_LIVE_H_
