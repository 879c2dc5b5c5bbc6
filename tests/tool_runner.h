// Runs the built tools (mpdrill-mkcapture, mpdrill) from tests: a child process with its
// output captured, a deadline, and a kill by PID when the deadline passes.
#ifndef MPDRILL_TESTS_TOOL_RUNNER_H_
#define MPDRILL_TESTS_TOOL_RUNNER_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace mpdrill::tests {

inline std::string MkcapturePath() { return MPDRILL_BINARY_DIR "/sandbox/mpdrill-mkcapture"; }

struct ToolRun {
  int exit_code = -1;  // 128 + N when killed by signal N; -1 when it could not start
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv (argv[0] a path) to completion or `timeout`, whichever is first.
ToolRun RunTool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// A tool started in the background, stderr readable line by line.
class BackgroundTool {
 public:
  explicit BackgroundTool(const std::vector<std::string>& argv);
  BackgroundTool(const BackgroundTool&) = delete;
  BackgroundTool& operator=(const BackgroundTool&) = delete;
  ~BackgroundTool();  // SIGKILL by PID and reap, if still running

  pid_t pid() const { return pid_; }
  // Reads stderr until a line contains `needle` (true) or `timeout` passes / EOF (false).
  bool WaitForStderr(const std::string& needle, std::chrono::milliseconds timeout);
  // Waits for exit (reaps); returns the exit code or -1 on timeout (then the tool is killed).
  int Wait(std::chrono::milliseconds timeout);
  const std::string& err() const { return err_; }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string err_;
};

// Every process whose parent chain reaches `root` (not `root` itself), from /proc.
std::vector<pid_t> Descendants(pid_t root);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_TOOL_RUNNER_H_
