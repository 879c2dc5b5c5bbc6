// Observers of tun0's wire: every packet mpdrill writes and every packet the kernel sends,
// in the order they crossed the device (engine/run/packet_io.h calls them under one lock).
// The pcap recorder and the live reference model (engine/run/model_monitor.h) are taps.
#ifndef MPDRILL_ENGINE_RUN_WIRE_TAP_H_
#define MPDRILL_ENGINE_RUN_WIRE_TAP_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace mpdrill::run {

// Who put a packet on the wire of tun0.
enum class PacketOrigin : std::uint8_t {
  kInjected,  // mpdrill built and wrote it (a script's inbound packet)
  kKernel,    // the kernel under test sent it (sniffed)
};
std::string_view OriginName(PacketOrigin origin);  // "mpdrill" / "kernel"

class WireTap {
 public:
  virtual ~WireTap() = default;
  // One IP packet (IFF_NO_PI) at `time_usecs` (Clock usecs). Called from the runner's thread
  // for injected packets and from the TUN reader for the kernel's, never concurrently.
  virtual void OnWire(std::span<const std::uint8_t> packet, PacketOrigin origin,
                      std::int64_t time_usecs) = 0;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_WIRE_TAP_H_
