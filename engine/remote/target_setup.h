// What a wire run asks of the machine under test, as shell scripts the agent runs there (pure
// text generation, so it is unit-tested as text and with a real shell). Each run gets a fresh
// network namespace on the target with the test device moved in (the agent's fresh-netns,
// engine/agent/run_netns.h), as a TUN run gets one here; the per-run script then configures
// the device for the run's IP variant as netdev.cc configures tun0. docs/wire.md lists it.
#ifndef MPDRILL_ENGINE_REMOTE_TARGET_SETUP_H_
#define MPDRILL_ENGINE_REMOTE_TARGET_SETUP_H_

#include <string>
#include <string_view>
#include <vector>

#include "engine/run/run_config.h"

namespace mpdrill::remote {

// Run once when the session starts, in the agent's namespace: segmentation and checksum
// offloads off on the test device (best effort; they stay off when it changes namespace), as
// the kernel hands a TUN whole segments with full checksums. Prints the kernel release.
std::string SessionSetupScript(const std::string& dev);

// The per-run script for `config` (finalized) on device `dev`, in the run's fresh namespace:
// link up with the run's MTU, the local address, the route to the remote network via the
// gateway (which mpdrill answers ARP/ND for). Exits non-zero naming the step that failed.
std::string RunSetupScript(const std::string& dev, const run::RunConfig& config);

}  // namespace mpdrill::remote

#endif  // MPDRILL_ENGINE_REMOTE_TARGET_SETUP_H_
