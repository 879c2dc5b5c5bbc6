// `mpdrill run --target=wire:IFACE --agent ADDR:PORT --agent-token FILE`: runs against a
// kernel on the other side of an Ethernet link. Frames go in and out of IFACE through libpcap
// (engine/wire's LinkPacketIo); the script's syscalls and shell commands run on the target
// through `mpdrill agent` (engine/agent). One session per invocation: the agent connection
// lives as long as the WireTarget, runs go one at a time, in
// this process (an agent connection does not survive fork), each in a fresh network namespace
// on the target holding the test device. docs/wire.md describes it.
#ifndef MPDRILL_ENGINE_REMOTE_WIRE_TARGET_H_
#define MPDRILL_ENGINE_REMOTE_WIRE_TARGET_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/agent/client.h"
#include "engine/remote/target_setup.h"
#include "engine/run/supervisor.h"

namespace mpdrill::remote {

struct WireOptions {
  std::string interface;       // mpdrill's side of the link
  std::string agent_endpoint;  // "ADDR:PORT" / "[ADDR]:PORT"
  std::string token_path;
  std::string target_dev;      // the target's device on the link; "" = the only candidate
  std::chrono::milliseconds connect_timeout{10000};
};

enum class WireErrorKind : std::uint8_t {
  kUsage,        // bad flags or token file: exit 2
  kEnvironment,  // no agent, no such device, refused: exit 3
};
struct WireError {
  WireErrorKind kind = WireErrorKind::kEnvironment;
  std::string message;
};

// Which of the agent's interfaces faces mpdrill: `wanted` if given (it must exist), else the
// only interface that is not loopback, has a MAC and does not carry `agent_address` (the
// control link's).
Result<std::string, WireError> ChooseTargetDevice(const std::vector<agent::InterfaceInfo>& ifs,
                                                  const std::string& wanted,
                                                  const std::string& agent_address);

class WireTarget {
 public:
  static Result<std::unique_ptr<WireTarget>, WireError> Open(const WireOptions& options);
  // Ends the agent session (the agent puts the device back in its namespace and exits 0).
  ~WireTarget();
  WireTarget(const WireTarget&) = delete;
  WireTarget& operator=(const WireTarget&) = delete;

  // Starts one run (the previous one must have finished).
  std::unique_ptr<run::RunHandle> Start(const run::IsolatedRun& run);
  // "wire:w0 -> agent 203.0.113.2:7000, device w1, kernel 6.1.0-28-amd64"
  const std::string& description() const { return description_; }

 private:
  WireTarget() = default;

  WireOptions options_;
  std::unique_ptr<agent::AgentClient> agent_;
  std::string dev_;
  std::string description_;
  std::uint32_t runs_ = 0;
};

}  // namespace mpdrill::remote

#endif  // MPDRILL_ENGINE_REMOTE_WIRE_TARGET_H_
