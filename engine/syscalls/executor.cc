#include "engine/syscalls/executor.h"

#include <mutex>

namespace mpdrill::syscalls {

struct Executor::State {
  explicit State(Context c) : ctx(std::move(c)) {}
  Context ctx;
  mutable std::mutex mu;
  std::map<int, int> fds;  // script fd -> real fd
};

Executor::Executor(Context ctx) : state_(std::make_unique<State>(std::move(ctx))) {}
Executor::~Executor() { CloseAll(); }

Result<Outcome, SyscallError> Executor::Run(const parser::Syscall& call,
                                            const parser::SourceLoc& loc) {
  return MakeUnexpected(SyscallError{loc, "syscall not implemented yet: " + call.name});
}

std::optional<int> Executor::RealFd(int script_fd) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->fds.find(script_fd);
  if (it == state_->fds.end()) return std::nullopt;
  return it->second;
}

void Executor::CloseAll() {}

bool Executor::Supports(const std::string&) { return false; }

}  // namespace mpdrill::syscalls
