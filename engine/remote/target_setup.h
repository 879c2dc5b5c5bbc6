// What a wire run asks of the machine under test (pure, unit-tested). Each run gets a fresh
// network namespace on the target with the test device moved in and configured for the run's
// IP variant as netdev.cc configures tun0 (the agent's fresh-netns with a LinkSetup,
// engine/agent/run_netns.h); the session starts with one shell script. docs/wire.md lists it.
#ifndef MPDRILL_ENGINE_REMOTE_TARGET_SETUP_H_
#define MPDRILL_ENGINE_REMOTE_TARGET_SETUP_H_

#include <string>
#include <string_view>
#include <vector>

#include "engine/agent/protocol.h"
#include "engine/run/run_config.h"

namespace mpdrill::remote {

// Run once when the session starts, in the agent's namespace: segmentation and checksum
// offloads off on the test device (best effort; they stay off when it changes namespace), as
// the kernel hands a TUN whole segments with full checksums. Prints the kernel release.
std::string SessionSetupScript(const std::string& dev);

// The device's set-up for a run of `config` (finalized): up with the run's MTU, the local
// address, the route to the remote network via the gateway (which mpdrill answers ARP/ND for).
agent::LinkSetup LinkSetupFor(const run::RunConfig& config);

}  // namespace mpdrill::remote

#endif  // MPDRILL_ENGINE_REMOTE_TARGET_SETUP_H_
