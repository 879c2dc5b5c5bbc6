// Real kernel traffic for the checker that mpdrill-mkcapture does not make, in private network
// namespaces on TEST-NET addresses, captured with libpcap (sandbox::LiveCapture) on the
// client's side. Nothing touches the host's namespace.
#ifndef MPDRILL_TESTS_CHECK_SCENARIOS_H_
#define MPDRILL_TESTS_CHECK_SCENARIOS_H_

#include <cstdint>
#include <string>

namespace mpdrill::tests {

enum class CheckScenario : std::uint8_t {
  // One namespace, both ends on its loopback. MPTCP client, plain TCP listener: the SYN/ACK
  // lacks MP_CAPABLE, the client falls back.
  kFallbackToTcp,
  // client - router - server namespaces; MPTCP with two subflows through a router whose
  // egress queues (tc tbf, small limit) drop segments the senders never hear of:
  // retransmissions in the capture. (tc netem is not built into this kernel.)
  kLoss,
  // client - middlebox - server namespaces on one subnet; MPTCP with DSS checksums
  // (net.mptcp.checksum_enabled=1 on both ends) on a single subflow. The middlebox bridges
  // the two links (tests/corrupting_bridge.h) and flips one bit in the payload of the
  // client's 5th data segment, fixing the TCP checksum: TCP accepts it, the server's DSS
  // checksum fails and it answers with MP_FAIL (RFC 8684 §3.7).
  kCorruption,
  // The same, the bit flipped in the client's first data (on the MP_CAPABLE data form): no
  // checksum has verified yet, so the server falls back to TCP without MP_FAIL (§3.7).
  kCorruptionOfTheFirstData,
  // The same as kCorruption with a second subflow (a `subflow` endpoint on a second client
  // address); the bit is flipped in the 2nd data segment of the joined subflow.
  kCorruptionTwoSubflows,
};

struct ScenarioResult {
  std::string skip_reason;  // non-empty: the environment cannot run it (not root, no netem)
  std::string failure;      // non-empty: it should have worked and did not
  std::uint64_t bytes_each_way = 0;  // what the client sent and the server echoed
  std::string middlebox_report;      // kCorruption*: what the middlebox corrupted
};

// Runs the scenario and writes its capture, made on the client's side, to `pcap_path`. The
// scenarios with a server namespace of their own (kLoss, kCorruption*) also capture on the
// server's side, into `server_pcap_path` when it is not empty. `ip_version` 6 runs the
// kCorruption* scenarios over IPv6 (2001:db8:1::/64); the others are IPv4 only. Bounded:
// about 20 s at most.
ScenarioResult MakeCheckScenario(CheckScenario scenario, const std::string& pcap_path,
                                 const std::string& server_pcap_path = "", int ip_version = 4);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_CHECK_SCENARIOS_H_
