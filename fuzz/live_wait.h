// How long live_fuzzer waits for the kernel's answers to a packet it injected (docs/fuzzing.md,
// "What the kernel answers, and how long the harness waits").
//
// A segment written to tun0 is received in the write itself (tun_get_user -> netif_receive_skb
// under local_bh_disable): whatever TCP and MPTCP answer in their receive path — the SYN/ACK,
// an ACK in quick-ack mode, a DATA_ACK, an RST for a bad join or mapping — is already queued on
// the TUN device when write() returns, and one non-blocking read after another takes it. Only
// work the kernel defers answers later, and for one packet that is the MPTCP worker (msk->work
// on the system workqueue of the CPU that received it: the path manager's ADD_ADDR echo and
// the subflows it opens, REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, DATA_FIN, subflow
// closes). Timers (delayed ACK, retransmissions, the ADD_ADDR timer) are not an answer to the
// packet; a WaitStep is how an input waits for them. So the harness waits for quiet only
// after a packet that MayBeAnsweredLater, and only `settle` long.
#ifndef MPDRILL_FUZZ_LIVE_WAIT_H_
#define MPDRILL_FUZZ_LIVE_WAIT_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace mpdrill::fuzz {

// The quiet time after a packet whose answers may be deferred; the measured answers of the
// MPTCP worker come 10-200 µs after the write on a loaded 2-core machine.
inline constexpr std::chrono::microseconds kLiveSettle{500};
// The harness's rule before December 2026: after every packet, until quiet for 2 ms.
inline constexpr std::chrono::microseconds kLiveClassicQuiet{2000};

// Whether the kernel may answer the injected segment (its TCP flags and option area) from
// deferred work: FIN or RST (the subflow closes in the worker), any kind-30 option but
// MP_CAPABLE, MP_JOIN and a DSS without DATA_FIN (path manager and connection-level signals,
// and options too short to name a subtype, which the input may have made anything).
bool MayBeAnsweredLater(std::uint16_t tcp_flags, std::span<const std::uint8_t> options);

struct LiveWait {
  // Non-zero: the old rule, for baselines — after every packet and syscall, read until the
  // kernel has been quiet this long.
  std::chrono::microseconds classic_quiet{0};
  std::chrono::microseconds settle = kLiveSettle;

  bool classic() const { return classic_quiet.count() > 0; }
  // How long the kernel must have been quiet before the harness goes on after injecting a
  // segment (0: only what the write produced, read at once).
  std::chrono::microseconds AfterPacket(std::uint16_t tcp_flags,
                                        std::span<const std::uint8_t> options) const;
  // After the kernel's application acted (connect, send, close): settle, or classic_quiet.
  std::chrono::microseconds AfterSyscall() const;
};

// MPDRILL_LIVE_FUZZ_QUIET_US's value (nullptr: unset): a number of microseconds 1..1000000
// selects the classic rule with that quiet time (2000 = the harness before December 2026);
// "0" or unset the rule above. Anything else is an error naming the variable and the value.
Result<LiveWait, std::string> LiveWaitFromEnvironment(const char* quiet_us);

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_LIVE_WAIT_H_
