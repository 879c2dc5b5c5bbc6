// Runs a Plan: each run isolated in its own namespaces (engine/run's ActiveRun), up to -j at
// once with the wake-up latency watched so injected packets stay on time, timing failures
// retried (--retries; a retry that passes is FLAKY), the kernel log watched for WARN/BUG/...
// (a verdict of their own on the runs active then), results handed to the reporter in plan
// order whatever order they finished in.
#ifndef MPDRILL_ENGINE_SUITE_SUITE_H_
#define MPDRILL_ENGINE_SUITE_SUITE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/run/supervisor.h"
#include "engine/suite/plan.h"
#include "engine/suite/reporter.h"
#include "engine/suite/result.h"

namespace mpdrill::suite {

struct SuiteOptions {
  int jobs = 1;                           // 0: auto
  int retries = 0;                        // re-runs of a timing failure
  std::optional<double> tolerance_scale;  // nullopt: auto (from the wake-up latency)
  bool health = true;                     // read /dev/kmsg during the suite
  bool markers = false;                   // write run markers even with health off
  bool kmemleak = false;                  // kmemleak scan after the suite
  std::string pcap_dir;                   // "" = none
  int signal_fd = -1;                     // signalfd for SIGINT/SIGTERM, or -1
  // Starts one run; empty: run::ActiveRun::Start (TUN, private namespaces). A launcher that
  // can serve one run at a time (a wire target) sets serial.
  std::function<std::unique_ptr<run::RunHandle>(const run::IsolatedRun&)> launcher;
  bool serial = false;
  // The launcher's runs bring their target's kernel log (IsolatedResult::target_log): it is
  // scanned instead of this machine's /dev/kmsg (health is on when it is read).
  bool target_health = false;
};

SuiteSummary RunSuite(const Plan& plan, const SuiteOptions& options, Reporter& reporter);

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_SUITE_H_
