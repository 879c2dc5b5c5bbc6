// Packet I/O of a run, injected into the Runner: the TUN device in the run's namespace, or
// an in-memory backend in tests. Sniffed packets carry the time they arrived (a reader thread
// timestamps them as the kernel sends them, so a packet sent early is seen as early).
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
#include "sandbox/tun.h"

namespace mpdrill::run {

struct SniffedPacket {
  std::vector<std::uint8_t> bytes;  // IP packet
  std::int64_t time = 0;            // Clock usecs at arrival
};

class PacketIo {
 public:
  virtual ~PacketIo() = default;
  virtual Status<std::string> Send(std::span<const std::uint8_t> packet) = 0;
  // The next packet the kernel sent, waiting until `deadline` (Clock usecs); nullopt if none.
  virtual Result<std::optional<SniffedPacket>, std::string> Receive(std::int64_t deadline) = 0;
  // Puts a received packet back: the next Receive returns it first.
  virtual void Unread(SniffedPacket packet) = 0;
};

// Writes packets to a pcap file (LINKTYPE_RAW), both directions, with Clock timestamps.
class PcapRecorder {
 public:
  static Result<std::unique_ptr<PcapRecorder>, std::string> Open(const std::string& path);
  ~PcapRecorder();
  void Record(std::span<const std::uint8_t> packet, std::int64_t time_usecs);

 private:
  PcapRecorder(pcap_t* dead, pcap_dumper_t* dumper) : dead_(dead), dumper_(dumper) {}
  std::mutex mu_;
  pcap_t* dead_;
  pcap_dumper_t* dumper_;
};

// The TUN backend: a reader thread drains the device into a queue.
class TunPacketIo final : public PacketIo {
 public:
  TunPacketIo(sandbox::TunDevice tun, Clock& clock, PcapRecorder* recorder);
  ~TunPacketIo() override;  // stops and joins the reader
  Status<std::string> Send(std::span<const std::uint8_t> packet) override;
  Result<std::optional<SniffedPacket>, std::string> Receive(std::int64_t deadline) override;
  void Unread(SniffedPacket packet) override;

 private:
  void ReadLoop();
  sandbox::TunDevice tun_;
  Clock& clock_;
  PcapRecorder* recorder_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SniffedPacket> queue_;
  std::optional<std::string> error_;
  bool stop_ = false;
  std::thread reader_;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_PACKET_IO_H_
