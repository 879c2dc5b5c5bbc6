// The one interface every report format implements: the scheduler calls Begin once, Result
// for each run in plan order (whatever order they finished in), Tick now and then while runs
// go on, and End with the totals.
#ifndef MPDRILL_ENGINE_SUITE_REPORTER_H_
#define MPDRILL_ENGINE_SUITE_REPORTER_H_

#include <vector>

#include "engine/suite/result.h"

namespace mpdrill::suite {

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void Begin(const SuiteInfo& info) { (void)info; }
  virtual void Result(const RunResult& r) = 0;
  // Runs done (in any order) / failed so far, for progress displays.
  virtual void Tick(int done, int failures, double elapsed_seconds) {
    (void)done, (void)failures, (void)elapsed_seconds;
  }
  virtual void End(const SuiteSummary& summary) { (void)summary; }
};

// Fans out to several reporters, in order.
class Reporters final : public Reporter {
 public:
  void Add(Reporter* r) { all_.push_back(r); }
  void Begin(const SuiteInfo& info) override {
    for (Reporter* r : all_) r->Begin(info);
  }
  void Result(const RunResult& res) override {
    for (Reporter* r : all_) r->Result(res);
  }
  void Tick(int done, int failures, double elapsed) override {
    for (Reporter* r : all_) r->Tick(done, failures, elapsed);
  }
  void End(const SuiteSummary& s) override {
    for (Reporter* r : all_) r->End(s);
  }

 private:
  std::vector<Reporter*> all_;
};

}  // namespace mpdrill::suite

#endif  // MPDRILL_ENGINE_SUITE_REPORTER_H_
