#include "sandbox/live_capture.h"

#include <pcap/pcap.h>
#include <poll.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "sandbox/sandbox_internal.h"

namespace mpdrill::sandbox {

struct LiveCapture::Shared {
  CaptureOptions options;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;                  // guarded by mu
  std::optional<SandboxError> error;   // guarded by mu; set before ready or at the end
  CaptureStats stats;                  // written by the thread, read after join
};

namespace {

constexpr int kPollMs = 20;
constexpr int kDrainRounds = 64;

struct DumpContext {
  pcap_dumper_t* dumper;
  std::size_t* count;
};

void OnPacket(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
  auto* ctx = reinterpret_cast<DumpContext*>(user);
  pcap_dump(reinterpret_cast<u_char*>(ctx->dumper), header, bytes);
  ++*ctx->count;
}

SandboxError PcapError(const std::string& what, const std::string& detail) {
  return SandboxError{SandboxErrorCode::kCapture, what + ": " + detail};
}

// Opens and activates the capture; the calling thread must already be in the namespace.
SandboxResult<pcap_t*> Open(const CaptureOptions& o) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(o.device.c_str(), errbuf);
  if (p == nullptr) return Unexpected{PcapError("pcap_create " + o.device, errbuf)};
  pcap_set_snaplen(p, o.snaplen);
  pcap_set_promisc(p, 0);
  pcap_set_immediate_mode(p, 1);
  pcap_set_timeout(p, kPollMs);
  pcap_set_buffer_size(p, 4 << 20);
  const int activated = pcap_activate(p);
  if (activated < 0) {
    std::string detail = pcap_geterr(p);
    pcap_close(p);
    return Unexpected{PcapError("pcap_activate " + o.device, detail)};
  }
  switch (o.link_type) {
    case CaptureLinkType::kDefault:
      break;
    case CaptureLinkType::kLinuxSll2:
      if (pcap_set_datalink(p, DLT_LINUX_SLL2) != 0) {
        std::string detail = pcap_geterr(p);
        pcap_close(p);
        return Unexpected{PcapError("pcap_set_datalink LINUX_SLL2", detail)};
      }
      break;
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    pcap_close(p);
    return Unexpected{PcapError("pcap_setnonblock", errbuf)};
  }
  return p;
}

void CaptureMain(std::shared_ptr<LiveCapture::Shared> shared, const NetNamespace* ns) {
  auto& s = *shared;
  auto fail = [&s](SandboxError e) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.error = std::move(e);
    s.ready = true;
    s.cv.notify_all();
  };
  // `ns` is only used until `ready`: Start() keeps it alive until then.
  auto entered = ScopedNetnsEnter::Enter(*ns);
  if (!entered) return fail(entered.error());
  auto opened = Open(s.options);
  if (!opened) return fail(opened.error());
  pcap_t* p = *opened;
  pcap_dumper_t* dumper = pcap_dump_open(p, s.options.out_path.c_str());
  if (dumper == nullptr) {
    SandboxError e = PcapError("pcap_dump_open " + s.options.out_path, pcap_geterr(p));
    pcap_close(p);
    return fail(std::move(e));
  }
  s.stats.datalink = pcap_datalink(p);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.ready = true;
    s.cv.notify_all();
  }

  std::size_t count = 0;
  DumpContext ctx{dumper, &count};
  const int fd = pcap_get_selectable_fd(p);
  const auto deadline = internal::Clock::now() + s.options.max_duration;
  std::optional<SandboxError> error;
  auto dispatch = [&]() {
    const std::size_t left = s.options.max_packets - count;
    const int n = pcap_dispatch(p, static_cast<int>(std::min<std::size_t>(left, 1 << 20)),
                                OnPacket, reinterpret_cast<u_char*>(&ctx));
    if (n < 0) error = PcapError("pcap_dispatch", pcap_geterr(p));
    return n;
  };
  while (!error && !s.stop.load()) {
    if (count >= s.options.max_packets) {
      s.stats.hit_packet_limit = true;
      break;
    }
    if (internal::Clock::now() >= deadline) {
      s.stats.hit_time_limit = true;
      break;
    }
    pollfd pfd{fd, POLLIN, 0};
    poll(&pfd, 1, kPollMs);
    dispatch();
  }
  // Packets already queued when Stop() came: bounded rounds, non-blocking.
  for (int i = 0; i < kDrainRounds && !error && count < s.options.max_packets; ++i) {
    if (dispatch() <= 0) break;
  }
  pcap_stat ps{};
  if (pcap_stats(p, &ps) == 0) s.stats.dropped_by_kernel = ps.ps_drop;
  s.stats.packets_written = count;
  pcap_dump_flush(dumper);
  pcap_dump_close(dumper);
  pcap_close(p);
  if (error) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.error = std::move(error);
  }
}

}  // namespace

SandboxResult<std::unique_ptr<LiveCapture>> LiveCapture::Start(const NetNamespace& ns,
                                                               CaptureOptions options) {
  if (!ns.valid() || options.out_path.empty() || options.max_packets == 0) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument,
                                   "capture needs a live namespace, a file and max_packets > 0"}};
  }
  auto shared = std::make_shared<Shared>();
  shared->options = std::move(options);
  std::unique_ptr<LiveCapture> capture(new LiveCapture(shared));
  capture->thread_ = std::thread(CaptureMain, shared, &ns);
  std::unique_lock<std::mutex> lock(shared->mu);
  if (!shared->cv.wait_for(lock, std::chrono::seconds(5), [&] { return shared->ready; })) {
    lock.unlock();
    shared->stop = true;
    capture->thread_.join();  // the thread polls `stop` at least every kPollMs
    capture->stopped_ = true;
    return Unexpected{SandboxError{SandboxErrorCode::kTimeout, "capture did not start in 5 s"}};
  }
  if (shared->error) {
    SandboxError e = *shared->error;
    lock.unlock();
    capture->thread_.join();
    capture->stopped_ = true;
    return Unexpected{std::move(e)};
  }
  return capture;
}

LiveCapture::~LiveCapture() {
  if (!stopped_) (void)Stop(std::chrono::milliseconds(0));
}

SandboxResult<CaptureStats> LiveCapture::Stop(std::chrono::milliseconds drain) {
  if (stopped_) {
    return Unexpected{SandboxError{SandboxErrorCode::kInvalidArgument, "capture already stopped"}};
  }
  if (drain.count() > 0) std::this_thread::sleep_for(drain);
  shared_->stop = true;
  thread_.join();
  stopped_ = true;
  std::lock_guard<std::mutex> lock(shared_->mu);
  if (shared_->error) return Unexpected{*shared_->error};
  return shared_->stats;
}

}  // namespace mpdrill::sandbox
