// ClassifyBoot and FirstModelFinding: what a guest's end means for the campaign (pure).
#include <optional>
#include <sstream>

#include "campaign/campaign.h"

namespace mpdrill::campaign {
namespace {

using Kind = BootVerdict::Kind;

// Every kernel report on the console (the panic last), each with its excerpt.
std::vector<vm::ConsoleReport> AllReports(const vm::MachineOutcome& m) {
  std::vector<vm::ConsoleReport> all = m.console.Reports();
  if (m.console.panic()) all.push_back(*m.console.panic());
  return all;
}

std::vector<std::string> Excerpt(const vm::MachineOutcome& m, bool with_tail) {
  std::vector<std::string> out;
  for (const vm::ConsoleReport& e : AllReports(m)) {
    out.push_back(e.verdict + " (console line " + std::to_string(e.line_number) + "): " +
                  (e.excerpt.empty() ? "" : e.excerpt.front()));
    for (std::size_t i = 1; i < e.excerpt.size(); ++i) out.push_back("    " + e.excerpt[i]);
  }
  if (with_tail) {
    out.push_back("console tail:");
    for (const std::string& line : m.console.tail()) out.push_back("    " + line);
  }
  return out;
}

// The report a finding is named after: the first one before the panic that is not a bare
// Call Trace (a WARN that panic_on_warn turned into a panic is a KERNEL-WARNING), else the
// panic itself.
std::optional<vm::ConsoleReport> Headline(const vm::MachineOutcome& m) {
  const auto& panic = m.console.panic();
  const std::vector<vm::ConsoleReport> reports = m.console.Reports();
  for (const vm::ConsoleReport& e : reports) {
    if (e.verdict == "KERNEL-CALL-TRACE") continue;
    if (!panic || e.line_number < panic->line_number) return e;
  }
  if (panic) return panic;
  if (reports.empty()) return std::nullopt;
  return reports.front();
}

BootVerdict KernelFinding(const vm::MachineOutcome& m, std::string verdict, std::string what,
                          bool tail) {
  if (const auto h = Headline(m)) {
    verdict = h->verdict;
    what = h->excerpt.empty() ? "" : h->excerpt.front();
  }
  return {Kind::kFinding, std::move(verdict), std::move(what), Excerpt(m, tail)};
}

std::string LineStartingWith(const std::string& text, std::string_view prefix) {
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind(prefix, 0) == 0) return l;
  }
  return "";
}

}  // namespace

std::string FirstModelFinding(const std::string& fuzzer_output) {
  std::istringstream lines(fuzzer_output);
  for (std::string l; std::getline(lines, l);) {
    if (l.starts_with("live_fuzzer: model: ") && !l.starts_with("live_fuzzer: model: deliberate")) {
      return l.substr(std::string_view("live_fuzzer: ").size());
    }
  }
  return "";
}

BootVerdict ClassifyBoot(const vm::MachineOutcome& m, const std::string& out) {
  switch (m.ending) {
    case vm::Ending::kPanic:
      return KernelFinding(m, "KERNEL-PANIC", "kernel panic", true);
    case vm::Ending::kHang: {
      BootVerdict v{Kind::kFinding, "KERNEL-HANG",
                    m.ready.empty() ? "the guest did not come up" : "no guest heartbeat",
                    Excerpt(m, true)};
      return v;
    }
    case vm::Ending::kTimeout:
      return {Kind::kBudgetEnd, "", "", {}};
    case vm::Ending::kInterrupted:
      return {Kind::kInterrupted, "", "", {}};
    case vm::Ending::kSetupError:
    case vm::Ending::kKernelLacks:
    case vm::Ending::kVanished:
      return {Kind::kEnvironment, "", std::string(vm::EndingName(m.ending)) + ": " + m.message,
              Excerpt(m, true)};
    case vm::Ending::kExited:
      break;
  }
  if (std::string skipped = LineStartingWith(out, "live_fuzzer: skipped: "); !skipped.empty()) {
    return {Kind::kEnvironment, "", skipped, {}};
  }
  if (std::string model = FirstModelFinding(out); !model.empty()) {
    const std::string rule = model.substr(7, model.find(' ', 7) - 7);  // "model: D10 (..."
    return {Kind::kFinding, "MODEL-" + rule, model, Excerpt(m, false)};
  }
  const bool reports = !m.console.Reports().empty();
  // A report the kernel survived (panic_on_warn could not be set): the input that ran last.
  if (reports) return KernelFinding(m, "KERNEL-WARNING", "", false);
  if (m.exit_code == 0) return {Kind::kDone, "", "", {}};
  std::string what = LineStartingWith(out, "==");
  if (what.empty()) what = "live_fuzzer exited with " + std::to_string(m.exit_code);
  return {Kind::kFinding, "FUZZER-CRASH", what, {}};
}

}  // namespace mpdrill::campaign
