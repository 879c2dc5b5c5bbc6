// Planning a suite: the inputs (files and directories searched recursively for *.pkt) become
// an ordered list of runs, one per script x IP variant, each with its configuration resolved
// (upstream runner defaults < script header options < command line). Scripts that do not parse
// or configure become plan items with their error, reported in their place.
#ifndef MPDRILL_ENGINE_SUITE_PLAN_H_
#define MPDRILL_ENGINE_SUITE_PLAN_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/run/run_config.h"
#include "parser/ast.h"

namespace mpdrill::suite {

// A command-line flag by its packetdrill name without dashes ("tolerance_usecs", "D").
struct Flag {
  std::string name;
  std::optional<std::string> value;
};

struct PlanOptions {
  std::vector<Flag> flags;        // applied over each script's header options
  bool packetdrill_mode = false;  // one variant (ipv4), packetdrill's defaults, model warns
};

struct PlanItem {
  enum class Kind : std::uint8_t { kRun, kDry, kSyntaxError, kConfigError };
  Kind kind = Kind::kRun;
  int index = 0;            // 1-based
  std::string script_path;  // as given / found
  std::string variant;      // label ("ipv4-mapped-v6" as verdicts.tsv spells it); "" if kSyntaxError
  std::shared_ptr<const parser::Script> script;  // kRun, kDry
  run::RunConfig config;    // finalized (kRun, kDry)
  std::string error;        // kConfigError: the message; kSyntaxError: the diagnostics
};

struct Plan {
  std::vector<PlanItem> items;
  // Inputs that are neither a file nor a directory, or cannot be read: one message each
  // ("X: error: no such file or directory"); each counts as a script error.
  std::vector<std::string> input_errors;
};

// The label mpdrill prints for a variant (verdicts.tsv's spelling).
std::string VariantLabel(run::IpVersion v);
// The flags upstream's MPTCP runner passes per variant, as defaults.
void UpstreamVariantDefaults(run::IpVersion v, run::RunConfig* c);

Plan MakePlan(const std::vector<std::string>& inputs, const PlanOptions& options);

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_PLAN_H_
