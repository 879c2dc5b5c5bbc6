// The live reference model as a wire tap (issue 5 "Live"): TunPacketIo hands it every packet
// crossing tun0 in wire order, from its reader thread (the kernel's) and the runner's
// (mpdrill's); the runner says which script event it is executing and collects the findings,
// each tagged with the script line of the event being executed when its packet was seen.
//
//   ModelMonitor monitor;                      // one per run
//   TunPacketIo io(tun, clock, {&monitor});    // taps: packets go through LiveModel
//   monitor.SetEvent(ev.loc.line);             // runner, before executing an event
//   for (MonitorFinding& f : monitor.Take()) ...   // runner, after it
//   monitor.Close();                           // end of the run: nothing more is judged
//
// End of a run: Close() stops feeding the model and does not run its end-of-input rules
// (LiveModel::Finish): packetdrill scripts routinely end with connections open, so what a
// connection would have done later is never judged (docs/run.md).
#ifndef MPDRILL_ENGINE_RUN_MODEL_MONITOR_H_
#define MPDRILL_ENGINE_RUN_MODEL_MONITOR_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "engine/run/live_model.h"
#include "engine/run/wire_tap.h"

namespace mpdrill::run {

struct MonitorFinding {
  LiveFinding finding;
  int line = 0;  // script line of the event being executed when the packet crossed (0: none)
  PacketOrigin packet_origin = PacketOrigin::kKernel;  // who sent the packet it was found on
  std::vector<std::uint8_t> packet;                    // that packet (IP), to print it
};

struct MonitorTotals {
  std::uint64_t packets = 0;
  std::uint64_t skipped = 0;  // not TCP / not dissectable
  std::uint64_t connections = 0;
  std::size_t kernel = 0;
  std::size_t deliberate = 0;
  std::size_t dropped = 0;  // findings beyond LiveModelOptions::max_findings, only counted
};

class ModelMonitor final : public WireTap {
 public:
  ModelMonitor() : ModelMonitor(LiveModelOptions{}) {}
  // At most options.max_findings findings are kept over the whole run; beyond, only counted.
  explicit ModelMonitor(const LiveModelOptions& options)
      : live_(options), max_findings_(options.max_findings) {}

  void OnWire(std::span<const std::uint8_t> packet, PacketOrigin origin,
              std::int64_t time_usecs) override;
  void SetEvent(int line);
  // Findings since the last call, in the order found.
  std::vector<MonitorFinding> Take();
  // Later packets are not fed to the model (the run is over).
  void Close();
  MonitorTotals Totals() const;

 private:
  mutable std::mutex mu_;
  LiveModel live_;
  std::size_t max_findings_;
  std::size_t kept_ = 0;
  std::size_t dropped_ = 0;
  int line_ = 0;
  bool closed_ = false;
  std::vector<MonitorFinding> findings_;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_MODEL_MONITOR_H_
