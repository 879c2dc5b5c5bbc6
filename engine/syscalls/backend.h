// Where a run's syscalls execute: the SyscallBackend the runner talks to. Two implementations:
//   LocalSyscallBackend (here): engine/syscalls' Executor in the runner's own process (TUN runs);
//   agent::AgentClient (engine/agent/client.h): the same Executor inside `mpdrill agent` on the
//     machine under test (wire runs), reached over the agent protocol (docs/agent.md).
// Same contract as Executor::Run / CloseAll: one call in flight; CloseAll may come from another
// thread while a call blocks, and makes it return.
#ifndef MPDRILL_ENGINE_SYSCALLS_BACKEND_H_
#define MPDRILL_ENGINE_SYSCALLS_BACKEND_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/syscalls/executor.h"

namespace mpdrill::syscalls {

enum class BackendErrorKind : std::uint8_t {
  kScript,       // the script is wrong (as SyscallError): the run's verdict is a script error
  kUnavailable,  // the backend could not run it (agent gone, protocol error): environment
};
struct BackendError {
  BackendErrorKind kind = BackendErrorKind::kScript;
  SyscallError error;
};

class SyscallBackend {
 public:
  virtual ~SyscallBackend() = default;
  virtual Result<Outcome, BackendError> Run(const parser::Syscall& call,
                                            const parser::SourceLoc& loc) = 0;
  virtual void CloseAll() = 0;
  virtual std::string_view Name() const = 0;  // "local", "agent 198.51.100.2:7000"
};

class LocalSyscallBackend final : public SyscallBackend {
 public:
  explicit LocalSyscallBackend(Context ctx) : executor_(std::move(ctx)) {}
  Result<Outcome, BackendError> Run(const parser::Syscall& call,
                                    const parser::SourceLoc& loc) override {
    auto r = executor_.Run(call, loc);
    if (!r) return Unexpected{BackendError{BackendErrorKind::kScript, std::move(r.error())}};
    return std::move(*r);
  }
  void CloseAll() override { executor_.CloseAll(); }
  std::string_view Name() const override { return "local"; }
  Executor& executor() { return executor_; }

 private:
  Executor executor_;
};

}  // namespace mpdrill::syscalls

#endif  // MPDRILL_ENGINE_SYSCALLS_BACKEND_H_
