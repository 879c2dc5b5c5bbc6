// The reference model live under `mpdrill run` (issue 5 "Live"): every packet mpdrill writes
// to tun0 and every packet the kernel sends through it is dissected, its MPTCP options decoded
// and fed to a model::Observer in wire order. Violations are attributed to the endpoint that
// broke the rule: the kernel's are failures of the run (unless --model=warn|off), mpdrill's
// own are "deliberate" — scripts send non-conformant packets on purpose to test the kernel.
//
//   run::LiveModel live;
//   live.OnPacket(bytes_written_to_tun, run::PacketOrigin::kInjected, time_us);
//   live.OnPacket(bytes_read_from_tun, run::PacketOrigin::kKernel, time_us);
//   live.Finish();
//   for (const run::LiveFinding& f : live.TakeFindings()) print(f.ToString());
//   if (live.kernel_violations() > 0) fail the run;
//
// Pure: bytes in, findings out; time is the caller's (usecs since the run's time 0).
#ifndef MPDRILL_ENGINE_RUN_LIVE_MODEL_H_
#define MPDRILL_ENGINE_RUN_LIVE_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/capture/segment_pipeline.h"
#include "engine/model/observer.h"
#include "engine/model/violation.h"
#include "engine/run/wire_tap.h"

namespace mpdrill::run {

struct LiveFinding {
  model::Violation violation;  // violation.packet = the LiveModel's packet number (1-based)
  // The endpoint that broke the rule: kInjected = mpdrill itself (deliberate).
  PacketOrigin culprit = PacketOrigin::kKernel;
  bool deliberate() const { return culprit == PacketOrigin::kInjected; }
  // "model: D3 (RFC 8684 §3.3.1) packet 4 conn 1 subflow 0 server (kernel): ..." or
  // "model: deliberate: C6 (RFC 8684 §3.1) packet 3 ... (mpdrill): ..." for mpdrill's own.
  std::string ToString() const;
};

struct LiveModelOptions {
  model::ObserverOptions observer;
  std::size_t max_findings = 256;  // kept; beyond, only counted (dropped_findings())
};

class LiveModel {
 public:
  LiveModel() : LiveModel(LiveModelOptions{}) {}
  explicit LiveModel(const LiveModelOptions& options);

  // One IPv4 or IPv6 packet as on tun0 (IFF_NO_PI), in the order packets crossed the device.
  // Non-TCP and undissectable packets are counted and skipped.
  void OnPacket(std::span<const std::uint8_t> ip_packet, PacketOrigin origin,
                std::int64_t time_us);
  // End of the run: connections still open are retired (end-of-input rules run).
  void Finish();

  // Findings since the last call, in the order found.
  std::vector<LiveFinding> TakeFindings();

  // Totals over the whole run (not reset by TakeFindings).
  std::size_t kernel_violations() const { return kernel_violations_; }
  std::size_t deliberate_violations() const { return deliberate_violations_; }
  std::size_t dropped_findings() const { return dropped_; }
  std::uint64_t packets() const { return packets_; }
  std::uint64_t skipped_packets() const { return skipped_; }
  const model::Observer& observer() const { return pipeline_.observer(); }

 private:
  void Attribute(const model::Violation& v, PacketOrigin packet_origin);
  void Add(LiveFinding finding);
  void NoteSender(const std::optional<model::FlowLocation>& where, PacketOrigin origin);

  LiveModelOptions options_;
  capture::SegmentPipeline pipeline_;
  std::vector<capture::SegmentFinding> found_;
  // Per connection id: which side (client/server) mpdrill is, from the packets it injected,
  // and which side the kernel is, from the packets it sent. Bounded by the run's connections.
  std::map<std::uint64_t, model::Side> mpdrill_side_;
  std::map<std::uint64_t, model::Side> kernel_side_;
  std::vector<LiveFinding> findings_;
  std::size_t kernel_violations_ = 0;
  std::size_t deliberate_violations_ = 0;
  std::size_t dropped_ = 0;
  std::uint64_t packets_ = 0;
  std::uint64_t skipped_ = 0;
  std::uint64_t last_time_us_ = 0;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_LIVE_MODEL_H_
