#include "engine/run/call_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace mpdrill::run {
namespace {

// Calls one after the other run on the same worker: no thread per call.
TEST(RunCallWorkersTest, ReusesAnIdleWorker) {
  CallWorkers w;
  for (int i = 0; i < 20; ++i) {
    std::promise<std::thread::id> ran;
    auto id = ran.get_future();
    w.Submit([&ran] { ran.set_value(std::this_thread::get_id()); });
    id.get();
    // The worker counts itself idle again only after the job returned: wait for that.
    for (int spin = 0; spin < 10000 && w.idle() < w.created(); ++spin) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  EXPECT_EQ(w.created(), 1u);
}

// A call that blocks does not hold up the next one: it gets a worker of its own.
TEST(RunCallWorkersTest, ABlockedCallGetsAnotherWorker) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> second_ran;
  {
    CallWorkers w;
    w.Submit([released] { released.wait(); });
    w.Submit([&second_ran] { second_ran.set_value(); });
    EXPECT_EQ(second_ran.get_future().wait_for(std::chrono::seconds(10)),
              std::future_status::ready);
    EXPECT_EQ(w.created(), 2u);
  }
  // The pool is gone while the first call is still blocked; it finishes on its own.
  release.set_value();
}

}  // namespace
}  // namespace mpdrill::run
