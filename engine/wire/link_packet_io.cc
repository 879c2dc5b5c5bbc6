#include "engine/wire/link_packet_io.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

namespace mpdrill::wire {
namespace {

std::string AddressText(const capture::IpAddress& a) {
  std::string out;
  capture::AppendAddress(a, &out);
  return out;
}

}  // namespace

LinkPacketIo::LinkPacketIo(std::unique_ptr<Transport> transport, run::Clock& clock,
                           std::vector<run::WireTap*> taps, LinkConfig config)
    : transport_(std::move(transport)),
      clock_(clock),
      taps_(std::move(taps)),
      config_(std::move(config)),
      neighbours_(config_.own_mac) {
  for (const auto& a : config_.own_addresses) neighbours_.AddOwnAddress(a);
  reader_ = std::thread([this] { ReadLoop(); });
}

LinkPacketIo::~LinkPacketIo() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  reader_.join();
}

void LinkPacketIo::AddOwnAddress(const capture::IpAddress& address) {
  std::lock_guard<std::mutex> wire(wire_mu_);
  neighbours_.AddOwnAddress(address);
}

std::optional<MacAddress> LinkPacketIo::MacOf(const capture::IpAddress& address) {
  std::lock_guard<std::mutex> wire(wire_mu_);
  return neighbours_.MacOf(address);
}

LinkStats LinkPacketIo::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool LinkPacketIo::DrainLocked() {
  // Bounded: a device queue holds at most a few thousand frames at once.
  constexpr int kMaxPerDrain = 4096;
  for (int i = 0; i < kMaxPerDrain; ++i) {
    auto got = transport_->Receive(std::chrono::microseconds(0));
    const std::int64_t now = clock_.NowUsecs();
    if (!got) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = got.error();
      cv_.notify_all();
      return false;
    }
    if (!*got) return true;
    std::vector<std::uint8_t> packet;
    if (transport_->link_layer() == LinkLayer::kIp) {
      packet = std::move(**got);
    } else {
      FrameAction action = neighbours_.OnFrame(**got);
      learned_cv_.notify_all();
      if (action.reply) {
        if (auto s = transport_->Send(*action.reply); !s) {
          std::lock_guard<std::mutex> lock(mu_);
          error_ = "answering a neighbour request: " + s.error();
          cv_.notify_all();
          return false;
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.frames_in;
      if (action.reply) ++stats_.neighbour_replies;
      if (!action.ip_packet) {
        if (!action.reply) ++stats_.skipped;
        continue;
      }
      packet = std::move(*action.ip_packet);
    }
    for (run::WireTap* tap : taps_) tap->OnWire(packet, run::PacketOrigin::kKernel, now);
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.ip_packets_in;
    queue_.push_back(run::SniffedPacket{std::move(packet), now});
    cv_.notify_all();
  }
  return true;
}

void LinkPacketIo::ReadLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_ || error_) return;
    }
    // Wait outside the wire lock (Send must not wait for it), at most 20 ms to see stop_.
    pollfd p{transport_->selectable_fd(), POLLIN, 0};
    if (poll(&p, 1, 20) < 0 && errno != EINTR) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = "poll " + std::string(transport_->device()) + ": " + std::strerror(errno);
      cv_.notify_all();
      return;
    }
    std::lock_guard<std::mutex> wire(wire_mu_);
    if (!DrainLocked()) return;
  }
}

Result<MacAddress, std::string> LinkPacketIo::ResolveLocked(std::unique_lock<std::mutex>& lock,
                                                            std::span<const std::uint8_t> packet) {
  auto ends = IpEndpoints(packet);
  if (!ends) return Unexpected{std::string("not an IPv4/IPv6 packet")};
  const auto& [src, dst] = *ends;
  if (auto mac = neighbours_.MacOf(dst)) return *mac;
  if (auto s = transport_->Send(neighbours_.Solicit(src, dst)); !s) return Unexpected{s.error()};
  {
    std::lock_guard<std::mutex> l(mu_);
    ++stats_.solicitations;
  }
  const auto deadline = std::chrono::steady_clock::now() + config_.resolve_timeout;
  while (!neighbours_.MacOf(dst)) {
    // The reader learns the answer under wire_mu_, which this wait releases.
    if (learned_cv_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  if (auto mac = neighbours_.MacOf(dst)) return *mac;
  if (auto peer = neighbours_.last_peer()) return *peer;  // point-to-point: the only peer
  return Unexpected{"no MAC for " + AddressText(dst) + ": the target did not answer " +
                    (dst.version == 4 ? "ARP" : "neighbour solicitation") + " within " +
                    std::to_string(config_.resolve_timeout.count()) + " ms"};
}

Status<std::string> LinkPacketIo::Send(std::span<const std::uint8_t> packet,
                                       std::uint16_t gso_size) {
  if (gso_size != 0) {
    // A GSO packet (packetdrill's --mss) exists only between a TUN and its kernel.
    return Unexpected{std::string("--mss GSO injection needs a TUN link, not a wire link")};
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_) return Unexpected{*error_};
  }
  std::unique_lock<std::mutex> wire(wire_mu_);
  // What the target sent before this write crossed the wire before it.
  if (!DrainLocked()) {
    std::lock_guard<std::mutex> lock(mu_);
    return Unexpected{*error_};
  }
  std::vector<std::uint8_t> unit(packet.begin(), packet.end());
  if (transport_->link_layer() == LinkLayer::kEthernet) {
    auto mac = ResolveLocked(wire, packet);
    if (!mac) return Unexpected{mac.error()};
    auto frame = FrameIp(*mac, config_.own_mac, packet);
    if (!frame) return Unexpected{frame.error()};
    unit = std::move(*frame);
  }
  // Tapped before the write: the target may answer before the write returns.
  const std::int64_t now = clock_.NowUsecs();
  for (run::WireTap* tap : taps_) tap->OnWire(packet, run::PacketOrigin::kInjected, now);
  return transport_->Send(unit);
}

void LinkPacketIo::Abort(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_) error_ = reason;
  queue_.clear();
  cv_.notify_all();
}

Result<std::optional<run::SniffedPacket>, std::string> LinkPacketIo::Receive(std::int64_t deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (queue_.empty() && !error_) {
    const std::int64_t left = deadline - clock_.NowUsecs();
    if (left <= 0) return std::optional<run::SniffedPacket>();
    cv_.wait_for(lock, std::chrono::microseconds(left < 10000 ? left : 10000));
  }
  if (!queue_.empty()) {
    run::SniffedPacket p = std::move(queue_.front());
    queue_.pop_front();
    return std::optional<run::SniffedPacket>(std::move(p));
  }
  return Unexpected{*error_};
}

void LinkPacketIo::Unread(run::SniffedPacket packet) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_front(std::move(packet));
}

}  // namespace mpdrill::wire
