// The kernel log as the suite sees it: /dev/kmsg read without blocking from the suite's start
// (older records are skipped), fed into a health::HealthLog; run markers written into it; and
// the kmemleak scan (--kmemleak).
#ifndef MPDRILL_ENGINE_SUITE_KMSG_H_
#define MPDRILL_ENGINE_SUITE_KMSG_H_

#include <cstddef>
#include <memory>
#include <string>

#include "engine/health/health.h"

namespace mpdrill::suite {

class KernelLog {
 public:
  ~KernelLog();
  KernelLog(const KernelLog&) = delete;
  KernelLog& operator=(const KernelLog&) = delete;

  // `read`: open /dev/kmsg for reading (nullptr-free: a log that cannot be read or written
  // just reads nothing / writes nothing). `write`: for the run markers.
  static std::unique_ptr<KernelLog> Open(bool read, bool write);

  bool readable() const { return read_fd_ >= 0; }
  bool writable() const { return can_write_; }
  int fd() const { return read_fd_; }
  // Reads every record available now into the health log.
  void Drain();
  // Writes one record at level 5 (notice); false when it could not (not writable).
  bool Write(const std::string& text);
  // Feeds lines that did not come from /dev/kmsg (the kmemleak report).
  void Feed(const std::string& text);
  const health::HealthLog& log() const { return log_; }

 private:
  KernelLog() = default;
  int read_fd_ = -1;
  bool can_write_ = false;
  health::HealthLog log_;
};

// --kmemleak: asks kmemleak for a scan (writes "scan" to /sys/kernel/debug/kmemleak) and
// returns its report of unreferenced objects ("" when none); nullopt-like "" too when kmemleak
// is not there. `available` says whether it was.
std::string KmemleakScan(bool* available);

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_KMSG_H_
