// A middlebox for the tests: an Ethernet bridge between two devices of one namespace that
// flips one payload byte of a chosen TCP segment and fixes the TCP checksum (RFC 1624), so TCP
// accepts the segment and only a check above TCP — the MPTCP DSS checksum, RFC 8684 §3.3.1 —
// can see the change. Everything else (ARP, neighbour discovery, other segments) passes as
// it came. It exists because this kernel has neither nft nor tc pedit/csum.
//
// With `strip` it is instead a middlebox that removes MPTCP options (kind 30) from TCP
// segments both ways, as some firewalls do (RFC 8684 §3.7 fallback): from every segment, or
// from every segment but SYNs (the handshake negotiates MPTCP, nothing after it survives).
//
// The frame logic (FlipPayloadByte, StripMptcpOptions, CorruptionPlan) is pure; RunCorruptingBridge moves frames
// with AF_PACKET sockets and runs in a child that already sits in the middle namespace.
#ifndef MPDRILL_TESTS_CORRUPTING_BRIDGE_H_
#define MPDRILL_TESTS_CORRUPTING_BRIDGE_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/capture/dissect.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"

namespace mpdrill::tests {

enum class FlipOutcome : std::uint8_t {
  kFlipped,
  kNotTcp,            // not an Ethernet frame carrying an IPv4/IPv6 TCP segment
  kNoSuchByte,        // the payload is shorter than the byte index
  kChecksumMismatch,  // the TCP checksum did not verify before: left alone (offload on?)
};
std::string_view FlipOutcomeName(FlipOutcome outcome);

// XORs `mask` into TCP payload byte `index` of the Ethernet `frame` and updates the TCP
// checksum incrementally (RFC 1624 eqn. 3). Changes nothing unless it returns kFlipped.
FlipOutcome FlipPayloadByte(std::span<std::uint8_t> frame, std::size_t index, std::uint8_t mask);

// Overwrites every TCP option of kind 30 (MPTCP) in the Ethernet `frame` with NOPs and
// recomputes the TCP checksum; the segment's length does not change. kNotTcp, and the frame
// unchanged, when there is no MPTCP option (or no TCP); kChecksumMismatch, unchanged, when
// the TCP checksum did not verify before; kNoSuchByte for an option area that does not parse.
FlipOutcome StripMptcpOptions(std::span<std::uint8_t> frame);

// Which subflows of the MPTCP connection the target counts segments on. The first SYN to the
// server port is the initial subflow; every later one a join.
enum class TargetSubflow : std::uint8_t { kInitial, kJoined };

struct CorruptionTarget {
  std::uint16_t server_port = 0;  // client -> server segments: to this port
  TargetSubflow subflow = TargetSubflow::kInitial;
  std::uint32_t nth = 1;          // the nth segment with new payload on those subflows
  std::size_t payload_index = 0;  // the byte flipped
  std::uint8_t mask = 0x01;       // one bit: a one's complement sum always sees it
};

// What happened to the one corrupted segment.
struct Corruption {
  FlipOutcome outcome = FlipOutcome::kNotTcp;
  std::uint16_t sport = 0;
  std::uint32_t seq = 0;
  std::uint32_t payload_length = 0;
  std::string Describe() const;
};

// Picks the target among client -> server frames: segments with new payload (beyond what
// their flow sent before: retransmissions are not counted) on the chosen subflows.
class CorruptionPlan {
 public:
  explicit CorruptionPlan(const CorruptionTarget& target) : target_(target) {}

  // Looks at one client -> server frame; on the target it flips the byte (FlipPayloadByte)
  // and returns what happened. Only one frame is ever touched.
  std::optional<Corruption> OnFrame(std::span<std::uint8_t> frame);
  bool done() const { return done_; }

 private:
  struct Flow {
    capture::IpAddress src;
    std::uint16_t sport = 0;
    bool initial = false;
    std::uint32_t next_seq = 0;  // end of the highest data sent
  };
  static constexpr std::size_t kMaxFlows = 16;
  Flow* FindFlow(const capture::TcpSegment& seg);

  CorruptionTarget target_;
  std::vector<Flow> flows_;
  std::uint32_t counted_ = 0;
  bool done_ = false;
};

enum class StripOptions : std::uint8_t {
  kNone,
  kAll,         // MPTCP options of every segment
  kAfterSyns,   // of every segment without SYN
};

struct BridgeConfig {
  std::string client_device;  // frames from here go to server_device and may be corrupted
  std::string server_device;  // frames from here go to client_device unchanged
  CorruptionTarget target;
  // Strip MPTCP options both ways instead of corrupting one segment: the report counts the
  // segments changed, the exit is kBridgeCorrupted once one was.
  StripOptions strip = StripOptions::kNone;
  std::chrono::milliseconds max_duration{20000};
  int ready_fd = -1;   // gets one byte once both devices are open
  int stop_fd = -1;    // the bridge stops when this is readable or hung up
  int report_fd = -1;  // gets one line describing the corruption (or why there was none)
};

// Exit codes of RunCorruptingBridge.
inline constexpr int kBridgeCorrupted = 0;         // the target was found and corrupted
inline constexpr int kBridgeNoTarget = 1;          // stopped before the target went by
inline constexpr int kBridgeSetupFailed = 2;       // sockets, devices
inline constexpr int kBridgeChecksumMismatch = 3;  // the target's checksum did not verify
inline constexpr int kBridgeIoFailed = 4;          // a read or write failed

// Bridges the two devices of the calling process's namespace until stop_fd or max_duration.
int RunCorruptingBridge(const BridgeConfig& config);

// RunCorruptingBridge in a child process inside a namespace (the middle of a link), with
// the pipes it reports through.
class BridgeProcess {
 public:
  // Starts the bridge (config's ready/stop/report descriptors are this object's) and returns
  // once both devices are open (3 s at most); else the reason.
  static Result<std::unique_ptr<BridgeProcess>, std::string> Start(const sandbox::NetNamespace& ns,
                                                                   BridgeConfig config);
  BridgeProcess(const BridgeProcess&) = delete;
  BridgeProcess& operator=(const BridgeProcess&) = delete;
  ~BridgeProcess();

  struct Outcome {
    std::optional<int> code;  // kBridge*; nullopt when it had to be killed
    std::string report;       // its report line (what it changed, frame counts)
  };
  // Tells it to stop and waits (3 s at most).
  Outcome Stop();

 private:
  BridgeProcess() = default;
  std::array<int, 2> ready_{-1, -1}, stop_{-1, -1}, report_{-1, -1};
  std::optional<sandbox::ChildProcess> child_;
};

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_CORRUPTING_BRIDGE_H_
