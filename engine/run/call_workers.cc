#include "engine/run/call_workers.h"

#include <chrono>
#include <thread>
#include <utility>

namespace mpdrill::run {

CallWorkers::~CallWorkers() {
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->stop = true;
  shared_->cv.notify_all();
}

std::size_t CallWorkers::idle() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->idle;
}

void CallWorkers::Submit(std::function<void()> job) {
  bool spawn = false;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->jobs.push_back(std::move(job));
    spawn = shared_->jobs.size() > shared_->idle;
    shared_->cv.notify_one();
  }
  if (spawn) {
    std::thread(Work, shared_).detach();
    ++created_;
  }
}

void CallWorkers::Warm() {
  if (created_ == 0) Submit([] {});
  for (int i = 0; i < 2000 && idle() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void CallWorkers::Work(const std::shared_ptr<Shared>& shared) {
  std::unique_lock<std::mutex> lock(shared->mu);
  for (;;) {
    ++shared->idle;
    shared->cv.wait(lock, [&shared] { return shared->stop || !shared->jobs.empty(); });
    --shared->idle;
    if (shared->jobs.empty()) return;  // stopped, nothing left to run
    std::function<void()> job = std::move(shared->jobs.front());
    shared->jobs.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace mpdrill::run
