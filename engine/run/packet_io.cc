#include "engine/run/packet_io.h"

#include <chrono>

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

TunPacketIo::TunPacketIo(sandbox::TunDevice tun, Clock& clock, PcapRecorder* recorder)
    : tun_(std::move(tun)), clock_(clock), recorder_(recorder) {
  reader_ = std::thread([this] { ReadLoop(); });
}

TunPacketIo::~TunPacketIo() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  reader_.join();
}

void TunPacketIo::ReadLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    auto got = tun_.Read(std::chrono::microseconds(20000));
    const std::int64_t now = clock_.NowUsecs();
    std::lock_guard<std::mutex> lock(mu_);
    if (!got) {
      error_ = got.error().message;
      cv_.notify_all();
      return;
    }
    if (*got) {
      if (recorder_) recorder_->Record(**got, now);
      queue_.push_back(SniffedPacket{std::move(**got), now});
      cv_.notify_all();
    }
  }
}

Status<std::string> TunPacketIo::Send(std::span<const std::uint8_t> packet) {
  if (recorder_) recorder_->Record(packet, clock_.NowUsecs());
  if (auto s = tun_.Write(packet); !s) return MakeUnexpected(s.error().message);
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
