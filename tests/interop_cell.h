// One cell of the interop matrix (docs/interop.md): a client peer, a server peer and a
// scenario. The two peers are cabled to a middle network namespace (the link) where both
// sides are captured with libpcap and where the scenario's middlebox, if any, sits: a kernel
// bridge, or a userspace bridge that strips MPTCP options or corrupts one payload byte
// (tests/corrupting_bridge.h). The traffic is tests/interop_endpoint.py on both peers. What
// happened is data (CellResult); judging the captures is `mpdrill check`'s (ci/interop.sh).
#ifndef MPDRILL_TESTS_INTEROP_CELL_H_
#define MPDRILL_TESTS_INTEROP_CELL_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/interop_peer.h"

namespace mpdrill::tests {

enum class Middlebox : std::uint8_t {
  kNone,         // a kernel bridge
  kStripMptcp,   // every MPTCP option removed from every segment, both ways
  kStripAfterSyns,  // MPTCP options removed from every segment but SYNs, both ways
  kCorruptData,  // one bit of the client's 5th data segment on the initial subflow flipped
};

// Which peer runs an event's command.
enum class Side : std::uint8_t { kClient, kServer };

// A command run on one peer while the transfer goes on.
struct TimedEvent {
  std::chrono::milliseconds at{0};  // after the client started
  Side side = Side::kClient;
  Argv argv;
};

struct Scenario {
  std::string_view name;
  std::string_view what;  // one line for the matrix's legend
  bool checksums = false;  // net.mptcp.checksum_enabled=1 on both peers
  Middlebox middlebox = Middlebox::kNone;
  std::vector<Argv> client_setup;  // after addresses, limits and sysctls
  std::vector<Argv> server_setup;
  std::string mode = "echo";  // tests/interop_endpoint.py --mode
  std::uint64_t bytes = 0;
  std::uint64_t rate = 0;  // client bytes per second, 0: unpaced
  std::vector<TimedEvent> events;
  std::chrono::seconds bound{15};  // the endpoints' bound (--seconds)
};

// The scenarios, in matrix order.
const std::vector<Scenario>& Scenarios();

struct CellResult {
  std::string skip_reason;      // the environment cannot run it (not root, no ethtool, ...)
  std::string failure;          // set-up or traffic failed: the cell has no verdict
  std::string client_kernel, server_kernel;
  std::string client_output, server_output;  // the endpoints' last lines
  std::string middlebox_report;
  std::vector<std::string> event_log;  // "1000 ms server: ip mptcp endpoint delete id 2: ok"
  std::string client_pcap, server_pcap;  // the link captured at the client's / server's side
  std::uint64_t capture_drops = 0;       // packets libpcap lost on either side (then failed)
  double seconds = 0;
  // The mpdrill peer's cells (tests/interop_live.h): one capture of the whole path in
  // client_pcap, and the rules its live model found the kernel breaking.
  bool one_capture = false;
  std::vector<std::string> live_rules;
};

struct CellConfig {
  int ip_version = 4;              // 6: the same cells over IPv6 (2001:db8:1::/64)
  std::string python = "python3";  // where both peers find it
  std::string endpoint_program;    // tests/interop_endpoint.py
  std::string out_dir;           // created by the caller; the captures and logs go there
};

// Runs one cell between the two peers (Reset first), bounded (about 20 s at most).
CellResult RunCell(const CellConfig& config, const Scenario& scenario, InteropPeer& client,
                   InteropPeer& server);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_INTEROP_CELL_H_
