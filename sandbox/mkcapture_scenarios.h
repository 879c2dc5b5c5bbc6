// The scenarios of mpdrill-mkcapture: two namespaces ("client", "server") joined by two veth
// pairs, the kernel's MPTCP path managers configured with `ip mptcp`, and a client/server
// pair whose connection walks through the MPTCP options Linux emits. Captured with libpcap
// ("any" device, LINUX_SLL) in the client namespace.
#ifndef MPDRILL_SANDBOX_MKCAPTURE_SCENARIOS_H_
#define MPDRILL_SANDBOX_MKCAPTURE_SCENARIOS_H_

#include <cstddef>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "sandbox/sandbox_error.h"

namespace mpdrill::mkcapture {

enum class Family { kIpv4, kIpv6 };
enum class CloseKind { kDataFin, kFastclose };

struct Scenario {
  std::string_view name;
  std::string_view summary;
  Family family;
  bool checksum;  // net.mptcp.checksum_enabled=1 on both sides
  CloseKind close;
};

std::span<const Scenario> Scenarios();
const Scenario* FindScenario(std::string_view name);

// Addresses and names of the topology (fixed; TEST-NET only).
struct Topology {
  std::string client_ip[2];  // on c-eth0, c-eth1
  std::string server_ip[2];  // on s-eth0, s-eth1
  int prefix;
};
Topology TopologyFor(Family family);

// Endpoint IDs the scenarios give `ip mptcp endpoint add`, visible in MP_JOIN / ADD_ADDR /
// REMOVE_ADDR address IDs.
inline constexpr int kClientSubflowEndpointId = 3;
inline constexpr int kServerSignalEndpointId = 5;

struct ScenarioReport {
  std::size_t packets = 0;
  std::uint32_t dropped = 0;
  int extra_subflows = 0;  // as the client's MPTCP_INFO saw them before the PM events
};

// Runs one scenario and writes its capture to `out_path`. Progress lines go to `log` if set.
sandbox::SandboxResult<ScenarioReport> RunScenario(const Scenario& scenario,
                                                   const std::string& out_path,
                                                   std::ostream* log);

}  // namespace mpdrill::mkcapture

#endif  // MPDRILL_SANDBOX_MKCAPTURE_SCENARIOS_H_
