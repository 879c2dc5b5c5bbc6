// The runner's packet I/O (run::PacketIo: IP packets) over any Transport. On a kIp transport
// (TUN) units pass through; on kEthernet (wire) it frames each injected packet to the target's
// MAC, answers ARP / neighbour solicitations for mpdrill's own addresses, learns the target's
// MAC (from its frames, or by soliciting it before the first send), and hands the runner only
// the IP packets addressed to mpdrill's MAC. Taps see IP packets in wire order, as on TUN: a
// reader thread drains the transport under the wire lock, and Send drains before it writes.
#ifndef MPDRILL_ENGINE_WIRE_LINK_PACKET_IO_H_
#define MPDRILL_ENGINE_WIRE_LINK_PACKET_IO_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/run/packet_io.h"
#include "engine/run/timing.h"
#include "engine/run/wire_tap.h"
#include "engine/wire/ethernet.h"
#include "engine/wire/transport.h"

namespace mpdrill::wire {

struct LinkConfig {
  // mpdrill's own MAC on a kEthernet transport (PcapTransport::mac()); unused on kIp.
  MacAddress own_mac{};
  // mpdrill's addresses on the link (the script's remote address and every extra one): ARP and
  // neighbour solicitations for them are answered.
  std::vector<capture::IpAddress> own_addresses;
  // How long Send waits for the target to answer an ARP request / solicitation.
  std::chrono::milliseconds resolve_timeout{1000};
};

struct LinkStats {
  std::uint64_t frames_in = 0;
  std::uint64_t ip_packets_in = 0;
  std::uint64_t neighbour_replies = 0;  // ARP replies and NAs sent
  std::uint64_t solicitations = 0;      // ARP requests and NSs sent
  std::uint64_t skipped = 0;            // frames not for the runner (multicast, MLD, ...)
};

class LinkPacketIo final : public run::PacketIo {
 public:
  LinkPacketIo(std::unique_ptr<Transport> transport, run::Clock& clock,
               std::vector<run::WireTap*> taps, LinkConfig config);
  ~LinkPacketIo() override;  // stops and joins the reader

  // gso_size must be 0: GSO injection is a TUN feature.
  Status<std::string> Send(std::span<const std::uint8_t> packet, std::uint16_t gso_size) override;
  Result<std::optional<run::SniffedPacket>, std::string> Receive(std::int64_t deadline) override;
  void Unread(run::SniffedPacket packet) override;

  // Ends the I/O: every Send and Receive from now on fails with `reason` (a run being
  // interrupted or past its deadline ends at its next packet step).
  void Abort(const std::string& reason);

  LinkLayer link_layer() const { return transport_->link_layer(); }
  // A new address of mpdrill's (an extra address a script starts using).
  void AddOwnAddress(const capture::IpAddress& address);
  // The MAC learned for `address` (the target's), if any.
  std::optional<MacAddress> MacOf(const capture::IpAddress& address);
  LinkStats stats();

 private:
  void ReadLoop();
  // Reads what the transport holds now; false on an error (error_ set). Needs wire_mu_.
  bool DrainLocked();
  // The destination MAC for `packet`, soliciting it if unknown. Needs wire_mu_ (held by `lock`,
  // released while waiting).
  Result<MacAddress, std::string> ResolveLocked(std::unique_lock<std::mutex>& lock,
                                                std::span<const std::uint8_t> packet);

  std::unique_ptr<Transport> transport_;
  run::Clock& clock_;
  std::vector<run::WireTap*> taps_;
  LinkConfig config_;
  std::mutex wire_mu_;  // transport reads/writes, neighbours_, taps: in wire order
  std::condition_variable learned_cv_;
  Neighbours neighbours_;
  std::mutex mu_;  // queue_, error_, stop_, stats_
  std::condition_variable cv_;
  std::deque<run::SniffedPacket> queue_;
  std::optional<std::string> error_;
  LinkStats stats_;
  bool stop_ = false;
  std::thread reader_;
};

}  // namespace mpdrill::wire

#endif  // MPDRILL_ENGINE_WIRE_LINK_PACKET_IO_H_
