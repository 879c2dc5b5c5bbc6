#include "engine/run/model_monitor.h"

#include <utility>

namespace mpdrill::run {

void ModelMonitor::OnWire(std::span<const std::uint8_t> packet, PacketOrigin origin,
                          std::int64_t time_usecs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  live_.OnPacket(packet, origin, time_usecs);
  for (LiveFinding& f : live_.TakeFindings()) {
    if (kept_ >= max_findings_) {
      ++dropped_;
      continue;
    }
    ++kept_;
    MonitorFinding m;
    m.finding = std::move(f);
    m.line = line_;
    m.packet_origin = origin;
    m.packet.assign(packet.begin(), packet.end());
    findings_.push_back(std::move(m));
  }
}

void ModelMonitor::SetEvent(int line) {
  std::lock_guard<std::mutex> lock(mu_);
  line_ = line;
}

std::vector<MonitorFinding> ModelMonitor::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<MonitorFinding> out;
  out.swap(findings_);
  return out;
}

void ModelMonitor::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

MonitorTotals ModelMonitor::Totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  MonitorTotals t;
  t.packets = live_.packets();
  t.skipped = live_.skipped_packets();
  t.connections = live_.observer().stats().connections;
  t.kernel = live_.kernel_violations();
  t.deliberate = live_.deliberate_violations();
  t.dropped = live_.dropped_findings() + dropped_;
  return t;
}

}  // namespace mpdrill::run
