// Runs one script variant in a forked, isolated child and supervises it:
//   parent --fork--> child A: own process group, PR_SET_PDEATHSIG(SIGKILL), unshare(NEWNET |
//   NEWPID), inode check --fork--> B (PID 1 of the new PID namespace, reaps orphans) --fork-->
//   C (numbered as A is on the host, so scripts naming files after the runner's pid do not
//   collide across parallel runs): network set up, runner.
// Nothing runs in the starting namespace. When B ends, the kernel kills every process left in
// its PID namespace (background shell commands included), and with them the network namespace
// and tun0 go. The parent enforces a deadline and turns SIGINT/SIGTERM (read from a signalfd
// the caller owns) into SIGKILL of A's process group.
#ifndef MPDRILL_ENGINE_RUN_SUPERVISOR_H_
#define MPDRILL_ENGINE_RUN_SUPERVISOR_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/run/run_config.h"
#include "engine/run/runner.h"
#include "parser/ast.h"

namespace mpdrill::run {

struct IsolatedRun {
  std::string script_path;  // as given (messages)
  const parser::Script* script = nullptr;
  RunConfig config;         // finalized for the variant
  std::string pcap_path;    // "" = no pcap
  std::chrono::milliseconds deadline{60000};
  int signal_fd = -1;       // signalfd for SIGINT/SIGTERM, or -1
};

struct IsolatedResult {
  RunReport report;
  double seconds = 0;
  bool interrupted = false;  // a signal arrived: the caller stops
  // A remote target's kernel log (its raw lines), when the run's launcher reads one (wire
  // runs, through the agent): what the target logged during the run, and before it since the
  // previous run. The suite scans them for WARN/BUG/... as it scans the local /dev/kmsg.
  bool target_log_read = false;
  std::vector<std::string> target_log, target_log_before;
};

// Blocking: starts the run and supervises it to the end.
IsolatedResult RunIsolated(const IsolatedRun& run);

// A run started without blocking (for a scheduler running several at once): the caller polls
// report_fd() and pid_fd() and calls Poll() when one is ready, or at least every few tens of
// milliseconds (Poll also enforces the deadline). Two kinds: ActiveRun below (a TUN run in
// forked, private namespaces) and a wire run in this process (engine/remote).
class RunHandle {
 public:
  virtual ~RunHandle() = default;
  // File descriptors worth polling for POLLIN; -1 for none.
  virtual int report_fd() const = 0;
  virtual int pid_fd() const = 0;
  // Takes what arrived, ends the run at its deadline. True once finished (then result() is
  // final).
  virtual bool Poll() = 0;
  // Ends the run as soon as it can; its result says "interrupted".
  virtual void Interrupt() = 0;
  virtual const IsolatedResult& result() const = 0;
  // The inode of the PID namespace the run's processes live in, while it runs; nullopt when
  // it has none of its own (a wire run). A kernel report naming a task in it is this run's.
  virtual std::optional<ino_t> PidNamespace() const { return std::nullopt; }
};

class ActiveRun final : public RunHandle {
 public:
  ActiveRun(const ActiveRun&) = delete;
  ActiveRun& operator=(const ActiveRun&) = delete;
  ~ActiveRun() override;  // a run still going is killed and reaped

  // Starts `run` (forks). A start that fails is finished at once (done() true, the result says
  // why).
  static std::unique_ptr<ActiveRun> Start(const IsolatedRun& run);

  int report_fd() const override { return eof_ ? -1 : pipe_fd_; }
  int pid_fd() const override { return pid_fd_; }
  // Reads what arrived, reaps the run when it ended, kills it at its deadline.
  bool Poll() override;
  bool done() const { return done_; }
  // SIGKILL to the run's process group.
  void Interrupt() override;
  const IsolatedResult& result() const override { return result_; }
  // Child A's namespace for its children (B, C and every shell command of the run).
  std::optional<ino_t> PidNamespace() const override;
  double elapsed_seconds() const;

 private:
  ActiveRun() = default;
  void Finish(int status);

  std::string script_path_;
  std::int64_t start_ms_ = 0, deadline_ms_ = 0, deadline_len_ms_ = 0;
  pid_t pid_ = -1;
  int pipe_fd_ = -1, pid_fd_ = -1;
  bool eof_ = false, done_ = false, killed_on_deadline_ = false;
  std::string data_;
  IsolatedResult result_;
};

}  // namespace mpdrill::run

#endif  // MPDRILL_ENGINE_RUN_SUPERVISOR_H_
