// Live packet capture inside a sandbox namespace with libpcap, written to a pcap file.
//
// A capture thread enters the namespace (ScopedNetnsEnter: only that thread moves), opens the
// device there and writes every packet to the file until Stop(), the time limit or the
// packet limit, whichever comes first.
#ifndef MPDRILL_SANDBOX_LIVE_CAPTURE_H_
#define MPDRILL_SANDBOX_LIVE_CAPTURE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "sandbox/netns.h"
#include "sandbox/sandbox_error.h"

namespace mpdrill::sandbox {

enum class CaptureLinkType {
  kDefault,    // what the device gives: Ethernet on a veth, LINUX_SLL on "any"
  kLinuxSll2,  // "any" only: LINUX_SLL2 (carries the interface index)
};

struct CaptureOptions {
  std::string device = "any";  // "any" = every interface of the namespace
  std::string out_path;        // pcap file to write (truncated)
  std::chrono::milliseconds max_duration{10000};
  std::size_t max_packets = 100000;
  int snaplen = 65535;
  CaptureLinkType link_type = CaptureLinkType::kDefault;
};

struct CaptureStats {
  std::size_t packets_written = 0;
  std::uint32_t dropped_by_kernel = 0;
  bool hit_time_limit = false;
  bool hit_packet_limit = false;
  int datalink = 0;  // DLT_* of the file
};

class LiveCapture {
 public:
  // Opens the capture in `ns` and returns once packets are being recorded (or failed).
  static SandboxResult<std::unique_ptr<LiveCapture>> Start(const NetNamespace& ns,
                                                           CaptureOptions options);
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;
  ~LiveCapture();  // Stop()s if still running

  // Lets `drain` pass for packets in flight, then stops, flushes the file and joins.
  SandboxResult<CaptureStats> Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(50));

  struct Shared;  // state shared with the capture thread (defined in live_capture.cc)

 private:
  explicit LiveCapture(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace mpdrill::sandbox

#endif  // MPDRILL_SANDBOX_LIVE_CAPTURE_H_
