// How late this machine wakes a sleeping thread under its current load, and what the suite
// makes of it: how many runs may go at once (-j auto) and how much to widen tolerances
// (--tolerance_scale auto). The probe sleeps; the policies are pure.
#ifndef MPDRILL_ENGINE_SUITE_LATENCY_H_
#define MPDRILL_ENGINE_SUITE_LATENCY_H_

#include <cstdint>
#include <vector>

namespace mpdrill::suite {

// Overshoots (usecs) of `samples` clock_nanosleep(CLOCK_MONOTONIC) calls of `sleep_usecs`.
std::vector<std::int64_t> ProbeWakeups(int samples, std::int64_t sleep_usecs);

// The q-quantile (0..1) of `v` (0 when empty).
std::int64_t Quantile(std::vector<std::int64_t> v, double q);

// Runs allowed at once next, from the recent wake-up overshoot p90: halved when it exceeds
// `budget_usecs`, one more when it is within the budget and all `cap` slots are busy (half
// the budget, the first rule, held 2 runs at once on an idle 2-core machine where -j 8 kept
// every verdict: docs/performance.md);
// always within [1, max_jobs].
int NextCap(int cap, int active, std::int64_t p90_usecs, std::int64_t budget_usecs, int max_jobs);

// --tolerance_scale auto: the factor that keeps four times the measured wake-up p99 inside the
// tolerance, in steps of 0.5, within [1, 10].
double AutoToleranceScale(std::int64_t p99_usecs, std::int64_t tolerance_usecs);

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_LATENCY_H_
