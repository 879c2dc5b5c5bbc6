// The live progress line (only ever constructed for a terminal: cli/cmd_run.cc checks).
#include <algorithm>
#include <cmath>

#include "engine/suite/reporters.h"

namespace mpdrill::suite {
namespace {

std::string Duration(double secs) {
  const long s = std::lround(std::max(0.0, secs));
  if (s < 60) return std::to_string(s) + "s";
  return std::to_string(s / 60) + "m" + (s % 60 < 10 ? "0" : "") + std::to_string(s % 60) + "s";
}

}  // namespace

std::string ProgressText(int done, int total, int failures, double elapsed) {
  std::string t = "[" + std::to_string(done) + "/" + std::to_string(total) + "] " +
                  std::to_string(failures) + " failed, " + Duration(elapsed) + " elapsed";
  if (done > 0 && done < total) {
    t += ", ETA " + Duration(elapsed / done * (total - done));
  }
  return t;
}

void ProgressReporter::Clear() {
  if (shown_) tty_ << "\r\033[K" << std::flush;
  shown_ = false;
}

void ProgressReporter::Result(const RunResult& r) {
  (void)r;
  Clear();
}

void ProgressReporter::Tick(int done, int failures, double elapsed) {
  tty_ << "\r\033[K" << ProgressText(done, planned_, failures, elapsed) << std::flush;
  shown_ = true;
}

void ProgressReporter::End(const SuiteSummary& s) {
  (void)s;
  Clear();
}

}  // namespace mpdrill::suite
