// Internals shared by the executor and its per-topic call handlers (calls_*.cc): one Call is
// the state of a single script syscall while it is evaluated, performed and checked.
#ifndef MPDRILL_ENGINE_SYSCALLS_EXECUTOR_INTERNAL_H_
#define MPDRILL_ENGINE_SYSCALLS_EXECUTOR_INTERNAL_H_

#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/syscalls/eval.h"
#include "engine/syscalls/executor.h"
#include "parser/ast.h"

// Early return of a failed Result/Status from a function returning Status<SyscallError> or
// Result<T, SyscallError>.
#define MPD_TRY(expr)                                                            \
  do {                                                                           \
    auto mpd_try_status = (expr);                                                \
    if (!mpd_try_status.ok()) return ::mpdrill::MakeUnexpected(mpd_try_status.error()); \
  } while (0)
#define MPD_CONCAT_INNER(a, b) a##b
#define MPD_CONCAT(a, b) MPD_CONCAT_INNER(a, b)
#define MPD_ASSIGN(decl, expr) MPD_ASSIGN_IMPL(MPD_CONCAT(mpd_assign_, __LINE__), decl, expr)
#define MPD_ASSIGN_IMPL(tmp, decl, expr)                              \
  auto tmp = (expr);                                                  \
  if (!tmp.ok()) return ::mpdrill::MakeUnexpected(tmp.error());       \
  decl = std::move(tmp).value()

namespace mpdrill::syscalls {

struct Executor::State {
  explicit State(Context c) : ctx(std::move(c)) {}
  Context ctx;
  mutable std::mutex mu;    // guards fds and in_flight; never held across a syscall
  std::map<int, int> fds;   // script fd → live fd
  // Live fds whose script number a later call took over while they were still open
  // (packetdrill lets the newer socket shadow the older); closed at the end of the run.
  std::vector<int> shadowed;
  int in_flight = 0;        // calls between Run() entry and return
};

namespace internal {

using SyscallStatus = Status<SyscallError>;

// How a result is compared (packetdrill's CHECK_EXACT / CHECK_FD).
enum class Check : std::uint8_t {
  kExact,  // result == expected
  kFd,     // expected >= 0: any descriptor (the script's number is mapped to it)
};

// Which address a `...` sockaddr argument stands for.
enum class AddrRole : std::uint8_t { kBind, kConnect };

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

class Call {
 public:
  // Keeps `state` alive and copies `syscall`: a call blocked in the kernel may outlive both
  // the Executor and the script it came from.
  Call(std::shared_ptr<Executor::State> state, parser::Syscall syscall, parser::SourceLoc loc);

  const std::string& name() const { return syscall_.name; }
  const Context& ctx() const { return state_.ctx; }
  Executor::State& state() { return state_; }
  const Evaluator& eval() const { return eval_; }
  std::size_t arg_count() const { return syscall_.args.size(); }
  const parser::Expr& arg(std::size_t i) const { return syscall_.args[i]; }
  const parser::Expr& result_expr() const { return syscall_.result; }

  SyscallError Error(std::string message) const;  // at the event
  SyscallError ErrorAt(const parser::Expr& e, std::string message) const;

  // Checks the result and errno forms before anything runs (script errors come first).
  SyscallStatus Prepare();

  // ---- arguments
  SyscallStatus ExpectArgs(std::size_t n) const;
  SyscallStatus ExpectArgs(std::size_t min, std::size_t max) const;
  bool IsEllipsis(std::size_t i) const;
  Result<std::int64_t, SyscallError> Int(std::size_t i) const;
  Result<std::int64_t, SyscallError> Int(const parser::Expr& e) const { return eval_.Int(e); }
  // [N]: the single integer inside brackets.
  Result<std::int64_t, SyscallError> Bracketed(std::size_t i) const;
  Result<std::int64_t, SyscallError> BracketedExpr(const parser::Expr& e) const;
  // The `name=value` fields of a {...} expression, in order (names are not evaluated).
  using FieldList = std::vector<std::pair<std::string, const parser::Expr*>>;
  Result<FieldList, SyscallError> Fields(const parser::Expr& braces) const;
  // The live fd behind argument i (a script fd the script opened).
  Result<int, SyscallError> Fd(std::size_t i) const;
  Result<int, SyscallError> FdOf(const parser::Expr& e) const;
  // `...` (a buffer) → false; NULL or 0 → true (a null pointer).
  Result<bool, SyscallError> BufferIsNull(std::size_t i) const;
  // A sockaddr argument: `...` (the run's address for `role`), an address family
  // (a zeroed sockaddr of that family), or {sa_family=..., sin_port=..., sin_addr=...}.
  Result<SockAddr, SyscallError> Address(std::size_t i, AddrRole role) const {
    return AddressOf(arg(i), role);
  }
  Result<SockAddr, SyscallError> AddressOf(const parser::Expr& e, AddrRole role) const;
  // The family socket(..., ...) uses for `...`.
  int SocketFamily() const;

  // ---- the call itself
  // Runs `fn` in this thread with SIGPIPE blocked (a write to a closed peer returns EPIPE
  // instead of killing the runner) and records its return value and errno.
  template <typename Fn>
  void Perform(Fn&& fn) {
    SigpipeBlock block;
    errno = 0;
    result_ = static_cast<std::int64_t>(fn());
    err_ = result_ < 0 ? errno : 0;
  }
  std::int64_t result() const { return result_; }
  int err() const { return err_; }

  // Compares result and errno with the script. Returns true when they match (then output
  // arguments are worth checking); a mismatch is recorded in the outcome.
  bool Finish(Check check);
  // The script fd a descriptor-returning call named: its integer result, or the lowest free
  // fd from 3 when the result is `...`.
  Result<int, SyscallError> ScriptFdForResult() const;
  // An output argument differed: "what: expected: X actual: Y".
  void AddMismatch(const std::string& what, const std::string& expected,
                   const std::string& actual);

  // ---- fd table
  // After a descriptor-returning call: registers the new fd under the script's number, or
  // closes it when the script expected a failure (`matched` false: nothing would close it).
  SyscallStatus AdoptResultFd(bool matched);
  SyscallStatus AddFd(int script_fd, int live_fd, const parser::Expr& where);
  void RemoveFd(int script_fd);

  Outcome TakeOutcome();

 private:
  class SigpipeBlock {
   public:
    SigpipeBlock();
    ~SigpipeBlock();
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

   private:
    sigset_t old_;
  };

  std::shared_ptr<Executor::State> keep_;
  Executor::State& state_;
  const parser::Syscall syscall_;
  parser::SourceLoc loc_;
  Evaluator eval_;
  std::int64_t result_ = 0;
  int err_ = 0;
  std::optional<std::int64_t> expected_;  // nullopt: `= ...`
  std::optional<int> expected_errno_;
  Outcome outcome_;
  std::vector<std::string> mismatches_;
};

// [{..., 10}, {..., 20}]: zero-filled buffers of those sizes (calls_io.cc).
struct IoVecs {
  std::vector<std::string> buffers;
  std::vector<iovec> iov;
};
Result<IoVecs, SyscallError> MakeIoVecs(const Call& c, const parser::Expr& list);

// MPTCP_INFO / TCP_INFO values written as {field=value, ...} (calls_info.cc): compared field by
// field against the bytes getsockopt returned.
bool IsInfoStruct(std::int64_t level, std::int64_t optname, const parser::Expr& value);
SyscallStatus CheckInfoStruct(Call& c, std::int64_t level, const parser::Expr& value,
                              const std::string& actual);

using Handler = SyscallStatus (*)(Call&);

// Per-topic handlers (calls_socket.cc, calls_io.cc, calls_poll.cc).
SyscallStatus DoSocket(Call& c);
SyscallStatus DoBind(Call& c);
SyscallStatus DoListen(Call& c);
SyscallStatus DoAccept(Call& c);
SyscallStatus DoConnect(Call& c);
SyscallStatus DoClose(Call& c);
SyscallStatus DoShutdown(Call& c);
SyscallStatus DoGetsockopt(Call& c);
SyscallStatus DoSetsockopt(Call& c);

SyscallStatus DoRead(Call& c);
SyscallStatus DoReadv(Call& c);
SyscallStatus DoRecv(Call& c);
SyscallStatus DoRecvfrom(Call& c);
SyscallStatus DoRecvmsg(Call& c);
SyscallStatus DoWrite(Call& c);
SyscallStatus DoWritev(Call& c);
SyscallStatus DoSend(Call& c);
SyscallStatus DoSendto(Call& c);
SyscallStatus DoSendmsg(Call& c);
SyscallStatus DoSplice(Call& c);
SyscallStatus DoSendfile(Call& c);
SyscallStatus DoPipe(Call& c);
SyscallStatus DoOpen(Call& c);

SyscallStatus DoFcntl(Call& c);
SyscallStatus DoIoctl(Call& c);
SyscallStatus DoPoll(Call& c);
SyscallStatus DoEpollCreate(Call& c);
SyscallStatus DoEpollCreate1(Call& c);
SyscallStatus DoEpollCtl(Call& c);
SyscallStatus DoEpollWait(Call& c);

// Renders a result for messages: "-1 (ECONNREFUSED)" or "3".
std::string ResultText(std::int64_t result, int err);

}  // namespace internal
}  // namespace mpdrill::syscalls

#endif  // MPDRILL_ENGINE_SYSCALLS_EXECUTOR_INTERNAL_H_
