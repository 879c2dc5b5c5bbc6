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
};

struct ScenarioResult {
  std::string skip_reason;  // non-empty: the environment cannot run it (not root, no netem)
  std::string failure;      // non-empty: it should have worked and did not
  std::uint64_t bytes_each_way = 0;  // what the client sent and the server echoed
};

// Runs the scenario and writes its capture to `pcap_path`. Bounded: about 20 s at most.
ScenarioResult MakeCheckScenario(CheckScenario scenario, const std::string& pcap_path);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_CHECK_SCENARIOS_H_
