#include "engine/suite/latency.h"

#include <time.h>

#include <algorithm>
#include <cmath>

namespace mpdrill::suite {
namespace {
std::int64_t NowUsecs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
}  // namespace

std::vector<std::int64_t> ProbeWakeups(int samples, std::int64_t sleep_usecs) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < samples; ++i) {
    const std::int64_t before = NowUsecs();
    timespec d{static_cast<time_t>(sleep_usecs / 1000000),
               static_cast<long>((sleep_usecs % 1000000) * 1000)};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &d, nullptr);
    out.push_back(std::max<std::int64_t>(0, NowUsecs() - before - sleep_usecs));
  }
  return out;
}

std::int64_t Quantile(std::vector<std::int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

int NextCap(int cap, int active, std::int64_t p90_usecs, std::int64_t budget_usecs,
            int max_jobs) {
  if (p90_usecs > budget_usecs) {
    cap = cap / 2;
  } else if (p90_usecs <= budget_usecs && active >= cap) {
    cap = cap + 1;
  }
  return std::clamp(cap, 1, std::max(1, max_jobs));
}

double AutoToleranceScale(std::int64_t p99_usecs, std::int64_t tolerance_usecs) {
  if (tolerance_usecs <= 0) return 1;
  const double raw = 4.0 * static_cast<double>(p99_usecs) / static_cast<double>(tolerance_usecs);
  return std::clamp(std::ceil(raw * 2) / 2, 1.0, 10.0);
}

}  // namespace mpdrill::suite
