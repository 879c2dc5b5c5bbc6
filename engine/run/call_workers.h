// Threads that run a script's system calls beside the event loop. A call may block in the
// kernel while the script goes on (packetdrill's `...` calls), so each call gets a thread of
// its own -- but an idle one is reused: creating a thread per call (an 8 MiB stack and a new
// malloc arena each) cost ~0.4 ms a call, enough to push a script's packets across a kernel
// timer tick that packetdrill's don't cross (docs/kernel-tcp.md, "Timer ticks").
#ifndef MPDRILL_ENGINE_RUN_CALL_WORKERS_H_
#define MPDRILL_ENGINE_RUN_CALL_WORKERS_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace mpdrill::run {

class CallWorkers {
 public:
  CallWorkers() = default;
  CallWorkers(const CallWorkers&) = delete;
  CallWorkers& operator=(const CallWorkers&) = delete;
  // Idle workers end; a worker still in a job (a call blocked in the kernel) is left to
  // finish on its own: it cannot be joined, and the run's process exits soon after.
  ~CallWorkers();

  // Runs `job` on an idle worker, or on a new one when every worker is busy.
  void Submit(std::function<void()> job);
  // Makes sure one worker exists and waits (at most 100 ms) until it is idle, so that the
  // script's first call does not pay for creating it (~1 ms).
  void Warm();

  // Workers created so far, and those waiting for a job now (for tests).
  std::size_t created() const { return created_; }
  std::size_t idle() const;

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    std::size_t idle = 0;
    bool stop = false;
  };
  static void Work(const std::shared_ptr<Shared>& shared);

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::size_t created_ = 0;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_CALL_WORKERS_H_
