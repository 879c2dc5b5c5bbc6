#include "engine/suite/kmsg.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace mpdrill::suite {
namespace {
constexpr const char* kKmsg = "/dev/kmsg";
constexpr const char* kKmemleak = "/sys/kernel/debug/kmemleak";
}  // namespace

KernelLog::~KernelLog() {
  if (read_fd_ >= 0) close(read_fd_);
}

std::unique_ptr<KernelLog> KernelLog::Open(bool read, bool write) {
  std::unique_ptr<KernelLog> k(new KernelLog());
  if (read) {
    k->read_fd_ = open(kKmsg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    // Only what the kernel logs from now on belongs to this suite.
    if (k->read_fd_ >= 0) lseek(k->read_fd_, 0, SEEK_END);
  }
  if (write) {
    // Only a probe: each record is written through its own open file (see Write).
    const int fd = open(kKmsg, O_WRONLY | O_CLOEXEC);
    k->can_write_ = fd >= 0;
    if (fd >= 0) close(fd);
  }
  return k;
}

void KernelLog::Drain() {
  if (read_fd_ < 0) return;
  // Bounded: a kernel flooding its log cannot keep the suite here forever.
  for (int i = 0; i < 100000; ++i) {
    char buf[8192];
    const ssize_t n = read(read_fd_, buf, sizeof(buf) - 1);
    if (n < 0 && errno == EPIPE) continue;  // records overwritten before we read them
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    // One record per read: "prio,seq,usec,flags;text\n" then " KEY=value\n" lines.
    std::string_view rec(buf, static_cast<std::size_t>(n));
    const std::size_t nl = rec.find('\n');
    log_.Feed(rec.substr(0, nl));
  }
}

bool KernelLog::Write(const std::string& text) {
  if (!can_write_) return false;
  // The kernel rate-limits writes to /dev/kmsg per open file (10 records per 5 s, unless
  // printk_devkmsg=on), dropping the rest: a suite writes two markers per run, so each record
  // gets a fresh open file.
  const int fd = open(kKmsg, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const std::string rec = "<5>" + text + "\n";
  const bool ok = write(fd, rec.data(), rec.size()) == static_cast<ssize_t>(rec.size());
  close(fd);
  return ok;
}

void KernelLog::Feed(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) log_.Feed(line);
}

std::string KmemleakScan(bool* available) {
  *available = false;
  {
    std::ofstream scan(kKmemleak);
    if (!scan) return "";
    scan << "scan" << std::flush;
    if (!scan) return "";
  }
  *available = true;
  std::ifstream in(kKmemleak);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace mpdrill::suite
