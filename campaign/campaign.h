// `mpdrill fuzz campaign` as a library (docs/fuzzing.md, "Campaigns in VMs"): live_fuzzer runs
// inside `mpdrill vm` guests (vm/session.h), one guest per worker, until a time budget ends.
// The kernel under test may die: a guest panic, a WARN/BUG/KASAN report (turned into a panic
// with panic_on_warn/panic_on_oops in the guest, so it names its input), a hang, or a rule of
// the reference model the kernel broke (live_fuzzer aborts) is a finding — a directory with
// the input (live_fuzzer wrote it to a shared file before running it), the console excerpt,
// the kernel's identity and the replay command — and the worker boots a new guest and goes on
// with the corpus. Findings are data; the CLI (cli/cmd_fuzz_campaign.cc) prints them.
#ifndef MPDRILL_CAMPAIGN_CAMPAIGN_H_
#define MPDRILL_CAMPAIGN_CAMPAIGN_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/live_hooks.h"
#include "vm/session.h"

namespace mpdrill::campaign {

// How live_fuzzer was built: the replay main of the default preset runs the named inputs
// once; the libFuzzer build of the `fuzz` preset mutates the corpus for -max_total_time.
enum class FuzzerKind { kReplay, kLibFuzzer };
const char* FuzzerKindName(FuzzerKind kind);
// kLibFuzzer when the binary carries libFuzzer's flag table.
FuzzerKind DetectFuzzerKind(const std::filesystem::path& fuzzer);

struct CampaignConfig {
  // Kernel, accelerator, qemu, cpus, memory, watchdog, boot timeout, cache, signal_fd; the
  // command, directories, environment, timeout and console of each boot are the campaign's.
  vm::VmRequest vm;
  std::filesystem::path fuzzer;  // absolute
  FuzzerKind kind = FuzzerKind::kReplay;
  std::filesystem::path corpus;    // absolute; libFuzzer adds new inputs here
  std::filesystem::path findings;  // absolute; created
  std::chrono::seconds budget{600};
  int workers = 1;
  // MPDRILL_LIVE_FUZZ_* for live_fuzzer in the guest (RULE_OFF, the test's PANIC_MARKER).
  std::vector<std::pair<std::string, std::string>> fuzzer_env;
  std::vector<std::string> fuzzer_args;  // more libFuzzer flags
  std::string mpdrill = "mpdrill";       // as written in each finding's replay command
  std::function<void(const std::string&)> on_status;
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
};

struct Finding {
  std::filesystem::path dir;
  std::string verdict;  // KERNEL-PANIC, KERNEL-WARNING, KERNEL-HANG, MODEL-D10, FUZZER-CRASH
  std::string what;     // the report's first line
  int worker = 0;
  int boot = 0;
  bool has_input = false;
};

struct WorkerReport {
  int boots = 0;
  fuzz::LiveStats stats;  // summed over its boots
  double seconds = 0;     // wall time, boots included
  std::string fuzzer_status;  // libFuzzer: its last status line ("#1582 DONE cov: ... ft: ...")
};

struct CampaignReport {
  std::string kernel_release, kernel_identity;
  std::vector<Finding> findings;
  std::vector<WorkerReport> workers;
  double seconds = 0;
  std::string error;  // an environment failure stopped the campaign (guest set-up, no TUN)
  bool interrupted = false;
};

CampaignReport RunCampaign(const CampaignConfig& config);

// What one guest's end means for the campaign. Pure: the outcome and the fuzzer's stderr in.
struct BootVerdict {
  enum class Kind { kDone, kFinding, kBudgetEnd, kInterrupted, kEnvironment };
  Kind kind = Kind::kDone;
  std::string verdict;               // findings: as Finding::verdict
  std::string what;                  // findings: first line; kEnvironment: why
  std::vector<std::string> excerpt;  // console (reports and, on a panic or hang, the tail)
};
BootVerdict ClassifyBoot(const vm::MachineOutcome& outcome, const std::string& fuzzer_output);

// The first "live_fuzzer: model: RULE ..." line a kernel finding printed (without the
// "live_fuzzer: " prefix), or "".
std::string FirstModelFinding(const std::string& fuzzer_output);

}  // namespace mpdrill::campaign

#endif  // MPDRILL_CAMPAIGN_CAMPAIGN_H_
