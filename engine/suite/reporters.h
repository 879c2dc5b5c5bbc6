// The report formats of `mpdrill run` (docs/run.md "Suites in CI"): the text lines (byte for
// byte what `mpdrill run` always printed), TAP 13 (--tap FILE), KTAP v1 (--ktap, stdout),
// JUnit XML (--junit FILE), JSON Lines (--json FILE, docs/json.md), and the live progress line.
#ifndef MPDRILL_ENGINE_SUITE_REPORTERS_H_
#define MPDRILL_ENGINE_SUITE_REPORTERS_H_

#include <ostream>
#include <string>
#include <vector>

#include "engine/suite/reporter.h"

namespace mpdrill::suite {

// One line per run and a summary on `out`, syntax-error diagnostics on `err`. `prog` names the
// command in the summary ("mpdrill run", "packetdrill"). With a `comment` prefix ("# " under
// --ktap) every line on `out` starts with it.
class TextReporter final : public Reporter {
 public:
  TextReporter(std::ostream& out, std::ostream& err, std::string prog, std::string comment = "")
      : out_(out), err_(err), prog_(std::move(prog)), comment_(std::move(comment)) {}
  void Begin(const SuiteInfo& info) override;
  void Result(const RunResult& r) override;
  void End(const SuiteSummary& s) override;

 private:
  void Line(const std::string& text);
  void Indented(const std::string& block, const std::string& indent);
  std::ostream& out_;
  std::ostream& err_;
  std::string prog_, comment_;
  SuiteInfo info_;
};

// TAP version 13 (TAP::Parser / prove), or KTAP version 1 (kselftest): a test line per run,
// TAP13 with a YAML block on failures; skips (ENV, DRY) as "# SKIP". TAP puts its plan last
// (runs interrupted simply end it early), KTAP first (as the spec requires) and ends an
// interrupted suite with skipped lines for what did not run.
class TapReporter final : public Reporter {
 public:
  enum class Flavor : std::uint8_t { kTap13, kKtap1 };
  TapReporter(std::ostream& out, Flavor flavor) : out_(out), flavor_(flavor) {}
  void Begin(const SuiteInfo& info) override;
  void Result(const RunResult& r) override;
  void End(const SuiteSummary& s) override;

 private:
  std::ostream& out_;
  Flavor flavor_;
  int planned_ = 0, n_ = 0, pass_ = 0, fail_ = 0, skip_ = 0;
};

// JUnit XML, written at End: one <testsuite> per directory, one <testcase> per run.
class JunitReporter final : public Reporter {
 public:
  explicit JunitReporter(std::ostream& out) : out_(out) {}
  void Begin(const SuiteInfo& info) override { info_ = info; }
  void Result(const RunResult& r) override { results_.push_back(r); }
  void End(const SuiteSummary& s) override;

 private:
  std::ostream& out_;
  SuiteInfo info_;
  std::vector<RunResult> results_;
};

// JSON Lines: a "run" record per run, a "summary" record at the end (docs/json.md).
class JsonReporter final : public Reporter {
 public:
  explicit JsonReporter(std::ostream& out) : out_(out) {}
  void Begin(const SuiteInfo& info) override { info_ = info; }
  void Result(const RunResult& r) override;
  void End(const SuiteSummary& s) override;

 private:
  std::ostream& out_;
  SuiteInfo info_;
};

// "[12/194] 1 failed, 35s elapsed, ETA 2m10s" redrawn in place on a terminal; cleared before
// every result line so the text lines stay intact. Add it before the text reporter.
class ProgressReporter final : public Reporter {
 public:
  explicit ProgressReporter(std::ostream& tty) : tty_(tty) {}
  void Begin(const SuiteInfo& info) override { planned_ = info.planned; }
  void Result(const RunResult& r) override;
  void Tick(int done, int failures, double elapsed) override;
  void End(const SuiteSummary& s) override;

 private:
  void Clear();
  std::ostream& tty_;
  int planned_ = 0;
  bool shown_ = false;
};

// The progress line's text (pure, for tests).
std::string ProgressText(int done, int total, int failures, double elapsed);

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_REPORTERS_H_
