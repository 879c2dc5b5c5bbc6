// live_fuzzer's private network (docs/fuzzing.md, "Against the live kernel"): a network
// namespace of its own, unshared before tun0 exists, with packetdrill's default IPv4 and IPv6
// networks on tun0, the upstream suite's TCP buffers, room for subflows, and one MPTCP
// listener per address family. MakeLiveEnvironment refuses to configure the namespace the
// process started in (SetUpNetwork checks), and says why it cannot run in skip_reason.
#ifndef MPDRILL_FUZZ_LIVE_ENV_H_
#define MPDRILL_FUZZ_LIVE_ENV_H_

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "engine/capture/dissect.h"
#include "engine/codec/rules.h"
#include "engine/run/run_config.h"
#include "fuzz/live_wait.h"
#include "sandbox/tun.h"

namespace mpdrill::fuzz {

inline constexpr std::uint16_t kLiveServerPort = 8080;
inline constexpr int kIpprotoMptcp = 262;  // IPPROTO_MPTCP (glibc 2.36 lacks it)

// One address family's endpoints and the kernel's listener for it (docs/fuzzing.md): ipv4
// (AF_INET sockets), ipv4-mapped-ipv6 (AF_INET6 sockets with ::ffff:a.b.c.d addresses, IPv4
// on the wire; its listener is on port 8081, as ::ffff:192.168.0.2:8080 is the AF_INET
// listener's) and ipv6 (AF_INET6 on both). Addresses are packetdrill's defaults per variant.
struct FamilyNet {
  capture::IpAddress local;             // the kernel's address on the wire
  capture::IpAddress remote;            // mpdrill's
  std::string local_text, remote_text;  // as the kernel's sockets name them
  int domain = AF_INET;
  std::uint16_t port = kLiveServerPort;
  int listener = -1;
};

// The process's private network: tun0 with the IPv4 and IPv6 addresses of packetdrill's
// defaults, and an MPTCP listener per family.
struct LiveEnvironment {
  std::string skip_reason;  // non-empty: cannot run here
  std::optional<sandbox::TunDevice> tun;
  std::array<FamilyNet, 3> nets;  // by run::IpVersion
  std::uint16_t next_port = 20000;
  std::set<codec::RuleId> rules_off;  // MPDRILL_LIVE_FUZZ_RULE_OFF=D10,G1
  LiveWait wait;                      // MPDRILL_LIVE_FUZZ_QUIET_US (live_wait.h)
  // Counters for MPDRILL_LIVE_FUZZ_STATS.
  std::uint64_t inputs = 0, injected = 0, kernel_packets = 0;
  std::chrono::steady_clock::duration waited{};  // in the inputs' wait steps
  FamilyNet& net(run::IpVersion v) { return nets[static_cast<std::size_t>(v)]; }
};

// Unshares the namespace and sets it up; reads MPDRILL_LIVE_FUZZ_RULE_OFF and
// MPDRILL_LIVE_FUZZ_QUIET_US (a bad value is printed and aborts, as a finding would).
LiveEnvironment MakeLiveEnvironment();

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_LIVE_ENV_H_
