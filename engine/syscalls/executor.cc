#include "engine/syscalls/executor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include "engine/syscalls/executor_internal.h"
#include "engine/syscalls/symbols.h"

namespace mpdrill::syscalls {
namespace internal {
namespace {

using parser::Expr;
using parser::ExprKind;

constexpr int kFirstScriptFd = 3;  // what a fresh packetdrill process gets first

struct HandlerEntry {
  const char* name;
  Handler handler;
  std::uint8_t min_args, max_args;
};

constexpr HandlerEntry kHandlers[] = {
    {"socket", DoSocket, 3, 3},          {"bind", DoBind, 3, 3},
    {"listen", DoListen, 2, 2},          {"accept", DoAccept, 3, 3},
    {"connect", DoConnect, 3, 3},        {"close", DoClose, 1, 1},
    {"shutdown", DoShutdown, 2, 2},      {"getsockopt", DoGetsockopt, 5, 5},
    {"setsockopt", DoSetsockopt, 5, 5},  {"read", DoRead, 3, 3},
    {"readv", DoReadv, 3, 3},            {"recv", DoRecv, 4, 4},
    {"recvfrom", DoRecvfrom, 6, 6},      {"recvmsg", DoRecvmsg, 3, 3},
    {"write", DoWrite, 3, 3},            {"writev", DoWritev, 3, 3},
    {"send", DoSend, 4, 4},              {"sendto", DoSendto, 6, 6},
    {"sendmsg", DoSendmsg, 3, 3},        {"splice", DoSplice, 6, 6},
    {"sendfile", DoSendfile, 4, 4},      {"pipe", DoPipe, 1, 1},
    {"open", DoOpen, 2, 3},              {"fcntl", DoFcntl, 2, 3},
    {"ioctl", DoIoctl, 2, 3},            {"poll", DoPoll, 3, 3},
    {"epoll_create", DoEpollCreate, 1, 1}, {"epoll_create1", DoEpollCreate1, 1, 1},
    {"epoll_ctl", DoEpollCtl, 4, 4},     {"epoll_wait", DoEpollWait, 4, 4},
};

const HandlerEntry* FindHandler(const std::string& name) {
  for (const HandlerEntry& e : kHandlers) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

// Functions a script may call inside an argument, and the struct-field calls
// (`msg_iov(1)=...`) that only appear on the left of `=`.
bool IsKnownFunction(const std::string& name) {
  for (const char* f : {"htons", "ntohs", "htonl", "ntohl", "inet_addr", "inet6_addr"}) {
    if (name == f) return true;
  }
  return false;
}

// Every symbol and function in `e` resolves and every string literal unescapes.
SyscallStatus CheckExpr(const Evaluator& eval, const Expr& e) {
  switch (e.kind) {
    case ExprKind::kWord: {
      auto v = eval.Symbol(e.text, e);
      if (!v.ok()) return MakeUnexpected(v.error());
      return Ok{};
    }
    case ExprKind::kString: {
      auto b = eval.Bytes(e);
      if (!b.ok() && !e.string_ellipsis) return MakeUnexpected(b.error());
      return Ok{};
    }
    case ExprKind::kCall:
      if (!IsKnownFunction(e.text)) {
        return MakeUnexpected(eval.ErrorAt(e, "unknown function: " + e.text));
      }
      break;
    case ExprKind::kAssign:
      // children[0] is a field name (or a field call such as msg_iov(1)): not a symbol.
      if (e.children.size() == 2) return CheckExpr(eval, e.children[1]);
      return Ok{};
    case ExprKind::kEllipsis:
    case ExprKind::kInteger:
    case ExprKind::kConcat:
    case ExprKind::kBitOr:
    case ExprKind::kList:
    case ExprKind::kBraces:
      break;
  }
  for (const Expr& child : e.children) MPD_TRY(CheckExpr(eval, child));
  return Ok{};
}

// The family of an address text: AF_INET6 if it has a ':'.
int FamilyOf(const std::string& ip) {
  return ip.find(':') != std::string::npos ? AF_INET6 : AF_INET;
}

std::string Hex(std::int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string ResultText(std::int64_t result, int err) {
  std::string s = std::to_string(result);
  if (result < 0) s += " (" + ErrnoName(err) + ")";
  return s;
}

Call::SigpipeBlock::SigpipeBlock() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old_);
}

Call::SigpipeBlock::~SigpipeBlock() {
  // Consume a SIGPIPE the call raised (it is pending on this thread while blocked), unless the
  // thread already had it blocked before: then it was not ours to take.
  if (!sigismember(&old_, SIGPIPE)) {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    const timespec zero{};
    while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

Call::Call(std::shared_ptr<Executor::State> state, parser::Syscall syscall, parser::SourceLoc loc)
    : keep_(std::move(state)),
      state_(*keep_),
      syscall_(std::move(syscall)),
      loc_(loc),
      eval_(&state_.ctx.defines, loc) {}

SyscallError Call::Error(std::string message) const {
  return SyscallError{loc_, name() + ": " + std::move(message)};
}

SyscallError Call::ErrorAt(const Expr& e, std::string message) const {
  return SyscallError{e.loc.line > 0 ? e.loc : loc_, name() + ": " + std::move(message)};
}

SyscallStatus Call::Prepare() {
  if (syscall_.result.kind != ExprKind::kEllipsis) {
    auto v = eval_.Int(syscall_.result);
    if (!v.ok()) return MakeUnexpected(ErrorAt(syscall_.result, "result: " + v.error().message));
    expected_ = *v;
  }
  if (syscall_.errno_name) {
    expected_errno_ = ErrnoFromName(*syscall_.errno_name);
    if (!expected_errno_) return MakeUnexpected(Error("unknown errno name: " + *syscall_.errno_name));
  }
  return Ok{};
}

SyscallStatus Call::ExpectArgs(std::size_t n) const { return ExpectArgs(n, n); }

SyscallStatus Call::ExpectArgs(std::size_t min, std::size_t max) const {
  const std::size_t n = arg_count();
  if (n >= min && n <= max) return Ok{};
  std::string want = std::to_string(min);
  if (max != min) want += "-" + std::to_string(max);
  return MakeUnexpected(Error("expected " + want + " arguments, got " + std::to_string(n)));
}

bool Call::IsEllipsis(std::size_t i) const { return arg(i).kind == ExprKind::kEllipsis; }

Result<std::int64_t, SyscallError> Call::Int(std::size_t i) const {
  auto v = eval_.Int(arg(i));
  if (!v.ok()) return MakeUnexpected(ErrorAt(arg(i), v.error().message));
  return v;
}

Result<std::int64_t, SyscallError> Call::BracketedExpr(const Expr& e) const {
  if (e.kind != ExprKind::kList || e.children.size() != 1) {
    return MakeUnexpected(ErrorAt(e, "expected [<integer>], got " + Describe(e)));
  }
  auto v = eval_.Int(e.children[0]);
  if (!v.ok()) return MakeUnexpected(ErrorAt(e.children[0], v.error().message));
  return v;
}

Result<std::int64_t, SyscallError> Call::Bracketed(std::size_t i) const {
  return BracketedExpr(arg(i));
}

Result<Call::FieldList, SyscallError> Call::Fields(const Expr& braces) const {
  FieldList out;
  for (const Expr& f : braces.children) {
    if (f.kind != ExprKind::kAssign || f.children.size() != 2) {
      return MakeUnexpected(ErrorAt(f, "expected field=value, got " + Describe(f)));
    }
    out.emplace_back(f.children[0].text, &f.children[1]);
  }
  return out;
}

Result<int, SyscallError> Call::FdOf(const Expr& e) const {
  auto v = eval_.Int(e);
  if (!v.ok()) return MakeUnexpected(ErrorAt(e, "fd: " + v.error().message));
  std::lock_guard<std::mutex> lock(state_.mu);
  auto it = state_.fds.find(static_cast<int>(*v));
  if (*v < 0 || *v > 0x7fffffff || it == state_.fds.end()) {
    return MakeUnexpected(ErrorAt(e, "fd " + std::to_string(*v) + " is not open in the script"));
  }
  return it->second;
}

Result<int, SyscallError> Call::Fd(std::size_t i) const { return FdOf(arg(i)); }

Result<bool, SyscallError> Call::BufferIsNull(std::size_t i) const {
  const Expr& e = arg(i);
  if (e.kind == ExprKind::kEllipsis) return false;
  auto v = eval_.Int(e);
  if (v.ok() && *v == 0) return true;
  return MakeUnexpected(ErrorAt(e, "expected ... or NULL for a buffer, got " + Describe(e)));
}

int Call::SocketFamily() const {
  if (ctx().ipv4_mapped) return AF_INET6;
  if (ctx().family != 0) return ctx().family;
  return FamilyOf(ctx().local_ip);
}

namespace {

// Fills `out` with ip:port in `family` (ipv4-mapped when an IPv4 text goes to AF_INET6).
bool FillAddress(int family, const std::string& ip, std::uint16_t port, SockAddr* out) {
  out->storage = {};
  if (family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    const std::string text = ip.find(':') == std::string::npos ? "::ffff:" + ip : ip;
    if (inet_pton(AF_INET6, text.c_str(), &sin6->sin6_addr) != 1) return false;
    out->len = sizeof(sockaddr_in6);
    return true;
  }
  auto* sin = reinterpret_cast<sockaddr_in*>(&out->storage);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &sin->sin_addr) != 1) return false;
  out->len = sizeof(sockaddr_in);
  return true;
}

}  // namespace

Result<SockAddr, SyscallError> Call::AddressOf(const Expr& e, AddrRole role) const {
  SockAddr out;
  if (e.kind == ExprKind::kEllipsis) {
    const bool bind = role == AddrRole::kBind;
    const std::string& ip = bind ? ctx().local_ip : ctx().remote_ip;
    const std::uint16_t port = bind ? ctx().bind_port : ctx().connect_port;
    if (!FillAddress(SocketFamily(), ip, port, &out)) {
      return MakeUnexpected(ErrorAt(e, "the run's address is not an IP address: '" + ip + "'"));
    }
    return out;
  }
  if (e.kind == ExprKind::kBraces) {
    std::int64_t family = -1, port = 0, flowinfo = 0, scope = 0;
    std::optional<std::int64_t> addr4;
    std::optional<std::string> addr6;
    for (const Expr& field : e.children) {
      if (field.kind != ExprKind::kAssign || field.children.size() != 2 ||
          field.children[0].kind != ExprKind::kWord) {
        return MakeUnexpected(ErrorAt(field, "expected field=value in a sockaddr"));
      }
      const std::string& key = field.children[0].text;
      const Expr& value = field.children[1];
      if (key == "sin6_addr") {
        if (value.kind != ExprKind::kCall || value.text != "inet6_addr" ||
            value.children.size() != 1) {
          return MakeUnexpected(ErrorAt(value, "sin6_addr wants inet6_addr(\"...\")"));
        }
        MPD_ASSIGN(std::string text, eval_.Bytes(value.children[0]));
        addr6 = text;
        continue;
      }
      MPD_ASSIGN(std::int64_t v, eval_.Int(value));
      if (key == "sa_family" || key == "sin_family" || key == "sin6_family") {
        family = v;
      } else if (key == "sin_port" || key == "sin6_port") {
        port = v;  // as written: htons(8080) is already in network order
      } else if (key == "sin_addr") {
        addr4 = v;
      } else if (key == "sin6_flowinfo") {
        flowinfo = v;
      } else if (key == "sin6_scope_id") {
        scope = v;
      } else {
        return MakeUnexpected(ErrorAt(field, "unknown sockaddr field: " + key));
      }
    }
    if (family == AF_INET6 || addr6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
      sin6->sin6_family = static_cast<sa_family_t>(family < 0 ? AF_INET6 : family);
      sin6->sin6_port = static_cast<in_port_t>(port);
      sin6->sin6_flowinfo = htonl(static_cast<std::uint32_t>(flowinfo));
      sin6->sin6_scope_id = static_cast<std::uint32_t>(scope);
      if (addr6 && inet_pton(AF_INET6, addr6->c_str(), &sin6->sin6_addr) != 1) {
        return MakeUnexpected(ErrorAt(e, "inet6_addr: not an IPv6 address: " + *addr6));
      }
      out.len = sizeof(sockaddr_in6);
      return out;
    }
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = static_cast<sa_family_t>(family < 0 ? AF_INET : family);
    sin->sin_port = static_cast<in_port_t>(port);
    sin->sin_addr.s_addr = static_cast<in_addr_t>(addr4.value_or(0));
    out.len = sizeof(sockaddr_in);
    return out;
  }
  // An address family alone (packetdrill: connect(fd, AF_UNSPEC, ...) disconnects).
  auto family = eval_.Int(e);
  if (!family.ok()) {
    return MakeUnexpected(ErrorAt(e, "expected ..., an address family or a sockaddr, got " +
                                         Describe(e)));
  }
  out.storage.ss_family = static_cast<sa_family_t>(*family);
  out.len = sizeof(out.storage);
  return out;
}

bool Call::Finish(Check check) {
  outcome_.result = result_;
  outcome_.err = err_;
  if (expected_) {
    const bool fd_ok = check == Check::kFd && *expected_ >= 0 && result_ >= 0;
    if (!fd_ok && result_ != *expected_) {
      // Written in hex (fcntl flags, masks): both sides in hex.
      const bool hex = syscall_.result.hex && result_ >= 0;
      mismatches_.push_back(name() + ": result: expected: " +
                            (hex ? Hex(*expected_) : std::to_string(*expected_)) +
                            " actual: " + (hex ? Hex(result_) : ResultText(result_, err_)));
      return false;
    }
  }
  if (expected_errno_) {
    if (result_ >= 0) {
      mismatches_.push_back(name() + ": errno: expected: " + ErrnoName(*expected_errno_) +
                            " actual: none (result " + std::to_string(result_) + ")");
      return false;
    }
    if (err_ != *expected_errno_) {
      mismatches_.push_back(name() + ": errno: expected: " + ErrnoName(*expected_errno_) +
                            " actual: " + ErrnoName(err_));
      return false;
    }
  }
  return true;
}

Result<int, SyscallError> Call::ScriptFdForResult() const {
  if (expected_) {
    if (*expected_ < 0 || *expected_ > 0x7fffffff) {
      return MakeUnexpected(ErrorAt(syscall_.result, "not a descriptor: " +
                                                         std::to_string(*expected_)));
    }
    return static_cast<int>(*expected_);
  }
  std::lock_guard<std::mutex> lock(state_.mu);
  int fd = kFirstScriptFd;
  while (state_.fds.count(fd) != 0) ++fd;
  return fd;
}

void Call::AddMismatch(const std::string& what, const std::string& expected,
                       const std::string& actual) {
  mismatches_.push_back(name() + ": " + what + ": expected: " + expected + " actual: " + actual);
}

SyscallStatus Call::AddFd(int script_fd, int live_fd, const Expr& where) {
  (void)where;
  std::lock_guard<std::mutex> lock(state_.mu);
  // A number the script still has open: as in packetdrill, the new descriptor takes the
  // number over and the old one stays open (its connection untouched) until the run ends.
  if (auto [it, added] = state_.fds.emplace(script_fd, live_fd); !added) {
    state_.shadowed.push_back(it->second);
    it->second = live_fd;
  }
  outcome_.opened_fds.push_back(script_fd);
  return Ok{};
}

SyscallStatus Call::AdoptResultFd(bool matched) {
  if (result_ < 0) return Ok{};
  const int live = static_cast<int>(result_);
  if (!matched) {
    close(live);
    return Ok{};
  }
  MPD_ASSIGN(int script_fd, ScriptFdForResult());
  return AddFd(script_fd, live, syscall_.result);
}

void Call::RemoveFd(int script_fd) {
  std::lock_guard<std::mutex> lock(state_.mu);
  state_.fds.erase(script_fd);
  outcome_.closed_fds.push_back(script_fd);
}

Outcome Call::TakeOutcome() {
  if (!mismatches_.empty()) {
    std::string joined;
    for (const std::string& m : mismatches_) {
      if (!joined.empty()) joined += "; ";
      joined += m;
    }
    outcome_.mismatch = std::move(joined);
  }
  return std::move(outcome_);
}

}  // namespace internal

Executor::Executor(Context ctx) : state_(std::make_shared<State>(std::move(ctx))) {}
Executor::~Executor() { CloseAll(); }

Result<Outcome, SyscallError> Executor::Run(const parser::Syscall& call,
                                            const parser::SourceLoc& loc) {
  const internal::HandlerEntry* entry = internal::FindHandler(call.name);
  if (entry == nullptr) return MakeUnexpected(SyscallError{loc, "unknown syscall: " + call.name});
  const internal::Handler handler = entry->handler;
  internal::Call c(state_, call, loc);
  MPD_TRY(c.ExpectArgs(entry->min_args, entry->max_args));
  MPD_TRY(c.Prepare());
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->in_flight;
  }
  auto status = handler(c);
  {
    std::lock_guard<std::mutex> lock(c.state().mu);
    --c.state().in_flight;
  }
  if (!status.ok()) return MakeUnexpected(std::move(status.error()));
  return c.TakeOutcome();
}

std::optional<int> Executor::RealFd(int script_fd) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->fds.find(script_fd);
  if (it == state_->fds.end()) return std::nullopt;
  return it->second;
}

void Executor::CloseAll() {
  std::map<int, int> fds;
  std::vector<int> shadowed;
  bool busy = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    fds.swap(state_->fds);
    shadowed.swap(state_->shadowed);
    busy = state_->in_flight > 0;
  }
  for (const auto& [script_fd, live_fd] : fds) shadowed.push_back(live_fd);
  for (const int live_fd : shadowed) {
    if (busy) shutdown(live_fd, SHUT_RDWR);  // wakes a blocked accept/read; ENOTSOCK is fine
    close(live_fd);
  }
}

bool Executor::Supports(const std::string& name) { return internal::FindHandler(name) != nullptr; }

Status<SyscallError> Executor::Check(const parser::Syscall& call, const parser::SourceLoc& loc) const {
  const internal::HandlerEntry* entry = internal::FindHandler(call.name);
  if (entry == nullptr) return MakeUnexpected(SyscallError{loc, "unknown syscall: " + call.name});
  internal::Call c(state_, call, loc);
  MPD_TRY(c.ExpectArgs(entry->min_args, entry->max_args));
  MPD_TRY(c.Prepare());
  const Evaluator eval(&state_->ctx.defines, loc);
  for (const parser::Expr& arg : call.args) {
    auto s = internal::CheckExpr(eval, arg);
    if (!s.ok()) return MakeUnexpected(SyscallError{s.error().loc, call.name + ": " + s.error().message});
  }
  return Ok{};
}

}  // namespace mpdrill::syscalls
