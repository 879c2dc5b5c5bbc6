// Real kernel traffic for the checker that mpdrill-mkcapture does not make: one private
// network namespace, client and server on TEST-NET addresses of its loopback device, captured
// there with libpcap (sandbox::LiveCapture). Nothing touches the host's namespace.
#ifndef MPDRILL_TESTS_CHECK_SCENARIOS_H_
#define MPDRILL_TESTS_CHECK_SCENARIOS_H_

#include <cstdint>
#include <string>

namespace mpdrill::tests {

enum class CheckScenario : std::uint8_t {
  // MPTCP client, plain TCP listener: the SYN/ACK lacks MP_CAPABLE, the client falls back.
  kFallbackToTcp,
  // MPTCP with two subflows under `tc netem loss` on the loopback: retransmissions (and
  // data-level reinjections) in the capture.
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
