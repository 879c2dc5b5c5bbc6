// The syscall executor of `mpdrill run`: performs one script syscall event against the real
// kernel and compares what came back (return value, errno, output arguments) with the script.
//
// packetdrill semantics (docs/syscalls.md): the script's fd numbers are the ones a fresh
// packetdrill process would get (3, 4, ...) and are mapped to the real descriptors; `...`
// arguments take the run's addresses (bind → local_ip:bind_port, connect →
// remote_ip:connect_port) or are not checked; `-D NAME=VALUE` defines act as symbols.
//
// Thread use: one call in flight at a time (packetdrill's rule), but Run may be called from a
// different thread than the one that built the Executor (the runner puts blocking calls such as
// accept or read on a syscall thread while it injects packets). The fd table is guarded by a
// mutex that is never held across the blocking call itself.
#ifndef MPDRILL_ENGINE_SYSCALLS_EXECUTOR_H_
#define MPDRILL_ENGINE_SYSCALLS_EXECUTOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "parser/ast.h"
#include "parser/source_loc.h"

namespace mpdrill::syscalls {

// Per-run settings, from the runner.
struct Context {
  int family = 0;            // AF_INET or AF_INET6; 0 means "from local_ip"
  bool ipv4_mapped = false;  // AF_INET6 sockets with ::ffff:a.b.c.d addresses
  std::string local_ip;      // the kernel side of the run, e.g. "192.0.2.1"
  std::string remote_ip;     // the script's (injected) side, e.g. "192.0.2.2"
  std::uint16_t bind_port = 8080;
  std::uint16_t connect_port = 8080;
  std::map<std::string, std::string> defines;  // -D NAME=VALUE: usable as symbols
};

// An error in the script itself: unknown syscall, unknown symbol, bad argument shape, an fd
// the script never opened. The runner reports it at `loc` and exits 2.
struct SyscallError {
  parser::SourceLoc loc;
  std::string message;
};

// What one call did. A mismatch is not an error of the script: the run fails (exit 1).
struct Outcome {
  std::int64_t result = 0;  // what the kernel returned
  int err = 0;              // errno when result < 0, else 0
  // "connect: result: expected: 0 actual: -1 (ECONNREFUSED)" when the kernel's answer differs
  // from the script's; nullopt when it matches.
  std::optional<std::string> mismatch;
  // Script fds this call opened (socket, accept, pipe, open, epoll_create) and closed (close),
  // so the runner can follow which socket the script is talking about.
  std::vector<int> opened_fds;
  std::vector<int> closed_fds;
};

class Executor {
 public:
  explicit Executor(Context ctx);
  ~Executor();  // CloseAll()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Evaluates the arguments, performs the call in the calling thread, and compares the result,
  // errno and output arguments with the script. `loc` is the event's location, used for
  // script errors whose expression carries no location of its own.
  Result<Outcome, SyscallError> Run(const parser::Syscall& call, const parser::SourceLoc& loc);

  // The real descriptor behind a script fd, if the script opened it and has not closed it.
  std::optional<int> RealFd(int script_fd) const;

  // Closes every fd the script opened and not closed (end of run). Idempotent. If a call is
  // still in flight (blocked in another thread), sockets are shut down first so it returns.
  void CloseAll();

  // True if `name` is a syscall this executor knows (for lint-style checks before a run).
  static bool Supports(const std::string& name);

  // The checks that need no kernel, for a whole script before its run starts: a known
  // syscall, the argument count, every symbol / define / function / string escape resolves,
  // a valid result and errno name. Run() still finds the shape errors this cannot (fds the
  // script never opened, a struct where an int belongs).
  Status<SyscallError> Check(const parser::Syscall& call, const parser::SourceLoc& loc) const;

  struct State;  // fd table and run context, behind a mutex

 private:
  // Shared with a call in flight: a call still blocked in the kernel when the Executor goes
  // away keeps the state alive until it returns.
  std::shared_ptr<State> state_;
};

}  // namespace mpdrill::syscalls

#endif  // MPDRILL_ENGINE_SYSCALLS_EXECUTOR_H_
