// Packet I/O of a run, injected into the Runner: the TUN device in the run's namespace, or
// an in-memory backend in tests. Sniffed packets carry the time they arrived (a reader thread
// timestamps them as the kernel sends them, so a packet sent early is seen as early).
// Wire taps (the pcap recorder, the live model) see both directions in wire order.
#ifndef MPDRILL_ENGINE_RUN_PACKET_IO_H_
#define MPDRILL_ENGINE_RUN_PACKET_IO_H_

#include <pcap/pcap.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "engine/run/timing.h"
#include "engine/run/wire_tap.h"
#include "sandbox/tun.h"

namespace mpdrill::run {

struct SniffedPacket {
  std::vector<std::uint8_t> bytes;  // IP packet
  std::int64_t time = 0;            // Clock usecs at arrival
};

class PacketIo {
 public:
  virtual ~PacketIo() = default;
  // `gso_size`: inject a TCP packet as one GSO packet of that segment size (packetdrill's
  // --mss); 0: a plain packet.
  virtual Status<std::string> Send(std::span<const std::uint8_t> packet,
                                   std::uint16_t gso_size) = 0;
  // The next packet the kernel sent, waiting until `deadline` (Clock usecs); nullopt if none.
  virtual Result<std::optional<SniffedPacket>, std::string> Receive(std::int64_t deadline) = 0;
  // Puts a received packet back: the next Receive returns it first.
  virtual void Unread(SniffedPacket packet) = 0;
};

// Writes packets to a pcap file (LINKTYPE_RAW), both directions, with Clock timestamps.
class PcapRecorder final : public WireTap {
 public:
  static Result<std::unique_ptr<PcapRecorder>, std::string> Open(const std::string& path);
  ~PcapRecorder() override;
  void Record(std::span<const std::uint8_t> packet, std::int64_t time_usecs);
  void OnWire(std::span<const std::uint8_t> packet, PacketOrigin /*origin*/,
              std::int64_t time_usecs) override {
    Record(packet, time_usecs);
  }

 private:
  PcapRecorder(pcap_t* dead, pcap_dumper_t* dumper) : dead_(dead), dumper_(dumper) {}
  std::mutex mu_;
  pcap_t* dead_;
  pcap_dumper_t* dumper_;
};

// The TUN backend: a reader thread drains the device into a queue. Reads and writes of the
// device happen under one lock, and Send first drains what the kernel already sent, so the
// taps see the packets in the order they crossed tun0 (a reply the kernel makes while the
// write that caused it is still in progress comes after that write).
class TunPacketIo final : public PacketIo {
 public:
  TunPacketIo(sandbox::TunDevice tun, Clock& clock, std::vector<WireTap*> taps);
  ~TunPacketIo() override;  // stops and joins the reader
  Status<std::string> Send(std::span<const std::uint8_t> packet, std::uint16_t gso_size) override;
  Result<std::optional<SniffedPacket>, std::string> Receive(std::int64_t deadline) override;
  void Unread(SniffedPacket packet) override;

 private:
  void ReadLoop();
  // Reads every packet the device holds now into the queue, through the taps; false on a read
  // error (then error_ is set). Needs wire_mu_.
  bool DrainLocked();
  sandbox::TunDevice tun_;
  Clock& clock_;
  std::vector<WireTap*> taps_;
  std::mutex wire_mu_;  // device reads/writes and taps, in wire order
  std::mutex mu_;       // queue_, error_, stop_
  std::condition_variable cv_;
  std::deque<SniffedPacket> queue_;
  std::optional<std::string> error_;
  bool stop_ = false;
  std::thread reader_;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_PACKET_IO_H_
