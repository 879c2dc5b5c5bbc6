// Monotonic time for deadlines and durations (never the wall clock, which can jump).
#ifndef MPDRILL_BASE_CLOCK_H_
#define MPDRILL_BASE_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace mpdrill {

// Milliseconds on CLOCK_MONOTONIC (std::chrono::steady_clock on Linux).
inline std::int64_t MonotonicNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace mpdrill

#endif  // MPDRILL_BASE_CLOCK_H_
