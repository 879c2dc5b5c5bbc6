#include "engine/run/packet_io.h"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace mpdrill::run {

Result<std::unique_ptr<PcapRecorder>, std::string> PcapRecorder::Open(const std::string& path) {
  pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);
  if (!dead) return MakeUnexpected(std::string("pcap_open_dead failed"));
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (!dumper) {
    std::string err = pcap_geterr(dead);
    pcap_close(dead);
    return MakeUnexpected("cannot write " + path + ": " + err);
  }
  return std::unique_ptr<PcapRecorder>(new PcapRecorder(dead, dumper));
}

PcapRecorder::~PcapRecorder() {
  pcap_dump_close(dumper_);
  pcap_close(dead_);
}

void PcapRecorder::Record(std::span<const std::uint8_t> packet, std::int64_t time_usecs) {
  std::lock_guard<std::mutex> lock(mu_);
  pcap_pkthdr h{};
  h.ts.tv_sec = time_usecs / 1000000;
  h.ts.tv_usec = time_usecs % 1000000;
  h.caplen = h.len = static_cast<bpf_u_int32>(packet.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, packet.data());
  pcap_dump_flush(dumper_);
}

TunPacketIo::TunPacketIo(sandbox::TunDevice tun, Clock& clock, std::vector<WireTap*> taps)
    : tun_(std::move(tun)), clock_(clock), taps_(std::move(taps)) {
  reader_ = std::thread([this] { ReadLoop(); });
}

TunPacketIo::~TunPacketIo() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  reader_.join();
}

bool TunPacketIo::DrainLocked() {
  // Bounded: a device holds at most its queue (500 packets by default) at once.
  constexpr int kMaxPerDrain = 4096;
  for (int i = 0; i < kMaxPerDrain; ++i) {
    auto got = tun_.Read(std::chrono::microseconds(0));
    const std::int64_t now = clock_.NowUsecs();
    if (!got) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = got.error().message;
      cv_.notify_all();
      return false;
    }
    if (!*got) return true;
    for (WireTap* tap : taps_) tap->OnWire(**got, PacketOrigin::kKernel, now);
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(SniffedPacket{std::move(**got), now});
    cv_.notify_all();
  }
  return true;
}

void TunPacketIo::ReadLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    // Wait for a packet outside the lock (Send must not wait for it), every 20 ms at most to
    // see stop_; read under the lock.
    pollfd p{tun_.fd(), POLLIN, 0};
    if (poll(&p, 1, 20) < 0 && errno != EINTR) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::string("poll ") + tun_.name() + ": " + std::strerror(errno);
      cv_.notify_all();
      return;
    }
    std::lock_guard<std::mutex> wire(wire_mu_);
    if (!DrainLocked()) return;
  }
}

Status<std::string> TunPacketIo::Send(std::span<const std::uint8_t> packet,
                                      std::uint16_t gso_size) {
  std::lock_guard<std::mutex> wire(wire_mu_);
  // What the kernel sent before this write crossed the wire before it.
  if (!DrainLocked()) {
    std::lock_guard<std::mutex> lock(mu_);
    return MakeUnexpected(*error_);
  }
  // Tapped before the write: the kernel may answer before write() returns.
  const std::int64_t now = clock_.NowUsecs();
  for (WireTap* tap : taps_) tap->OnWire(packet, PacketOrigin::kInjected, now);
  if (auto s = tun_.Write(packet, gso_size); !s) return MakeUnexpected(s.error().message);
  return Ok{};
}

Result<std::optional<SniffedPacket>, std::string> TunPacketIo::Receive(std::int64_t deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (queue_.empty() && !error_) {
    const std::int64_t left = deadline - clock_.NowUsecs();
    if (left <= 0) return std::optional<SniffedPacket>();
    cv_.wait_for(lock, std::chrono::microseconds(left < 10000 ? left : 10000));
  }
  if (!queue_.empty()) {
    SniffedPacket p = std::move(queue_.front());
    queue_.pop_front();
    return std::optional<SniffedPacket>(std::move(p));
  }
  return MakeUnexpected(*error_);
}

void TunPacketIo::Unread(SniffedPacket packet) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_front(std::move(packet));
}

}  // namespace mpdrill::run
