#include "engine/agent/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/agent/run_netns.h"
#include "engine/run/netdev.h"
#include "engine/syscalls/executor.h"
#include "parser/parser.h"

extern char** environ;

namespace mpdrill::agent {
namespace {

using Clock = std::chrono::steady_clock;

void Log(const AgentOptions& o, const std::string& line) {
  if (o.log) o.log(line);
}

Status<std::string> Refuse(Channel& ch, ErrorCode code, const std::string& message) {
  (void)ch.Write(MessageType::kError, 0, EncodeError({code, message}));
  return Unexpected{std::string(ErrorCodeName(code)) + ": " + message};
}

// Everything a session's worker threads share with it. Workers hold a shared_ptr, so a worker
// still blocked when the session ends (the process is about to exit) never sees freed memory.
struct SessionState {
  explicit SessionState(int fd) : channel(fd) {
    // The kernel's log from now on (kernel-log requests read what came since the last one).
    kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (kmsg_fd >= 0) lseek(kmsg_fd, 0, SEEK_END);
  }
  ~SessionState() {
    if (kmsg_fd >= 0) close(kmsg_fd);
  }
  int kmsg_fd = -1;  // only the session's thread reads it
  Channel channel;
  std::mutex mu;  // executor, netns
  std::shared_ptr<syscalls::Executor> executor;
  // The run's network namespace (fresh-netns), entered by every worker; null: the agent's.
  std::shared_ptr<RunNetns> netns;
  std::atomic<bool> syscall_busy{false};
  std::atomic<bool> command_busy{false};
};

void ReplyError(SessionState& s, std::uint32_t id, ErrorCode code, const std::string& message) {
  (void)s.channel.Write(MessageType::kError, id, EncodeError({code, message}));
}

// Parses the syscall text back into a Syscall (the client printed it with PrintSyscall).
Result<parser::Syscall, std::string> ParseSyscall(const std::string& text) {
  auto script = parser::Parse("0 " + text + "\n", "<agent>");
  if (!script) {
    std::string m = "syscall text does not parse";
    if (!script.error().items.empty()) m += ": " + script.error().items.front().message;
    return Unexpected{m};
  }
  if (script->events.size() != 1 ||
      !std::holds_alternative<parser::Syscall>(script->events[0].action)) {
    return Unexpected{std::string("syscall text is not exactly one syscall")};
  }
  return std::get<parser::Syscall>(script->events[0].action);
}

std::vector<std::string> CommandEnvironment(const std::vector<std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& kv : extra) {
    const auto eq = kv.find('=');
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

void StartSyscall(const std::shared_ptr<SessionState>& s, const Frame& f) {
  auto req = DecodeSyscall(f.body);
  if (!req) return ReplyError(*s, f.id, ErrorCode::kMalformed, req.error().ToString());
  std::shared_ptr<syscalls::Executor> ex;
  std::shared_ptr<RunNetns> netns;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    ex = s->executor;
    netns = s->netns;
  }
  if (!ex) return ReplyError(*s, f.id, ErrorCode::kNoContext, "syscall before set-context");
  auto call = ParseSyscall(req->text);
  if (!call) return ReplyError(*s, f.id, ErrorCode::kMalformed, call.error());
  if (s->syscall_busy.exchange(true)) {
    return ReplyError(*s, f.id, ErrorCode::kBusy, "a syscall is already in flight");
  }
  const std::uint32_t id = f.id;
  std::thread([s, ex, netns, id, req = std::move(*req), call = std::move(*call)] {
    if (netns) {
      if (auto e = netns->Enter(); !e) {
        s->syscall_busy = false;
        return ReplyError(*s, id, ErrorCode::kInternal, e.error());
      }
    }
    const parser::SourceLoc loc{static_cast<int>(req.line), static_cast<int>(req.col)};
    auto r = ex->Run(call, loc);
    s->syscall_busy = false;
    if (r) {
      (void)s->channel.Write(MessageType::kSyscallResult, id, EncodeSyscallReply({std::move(*r)}));
    } else {
      // Locations inside the re-parsed text mean nothing to the client: the event's stands.
      (void)s->channel.Write(MessageType::kSyscallError, id,
                             EncodeSyscallFailure({req.line, req.col, r.error().message}));
    }
  }).detach();
}

void StartCommand(const std::shared_ptr<SessionState>& s, const Frame& f) {
  auto req = DecodeCommand(f.body);
  if (!req) return ReplyError(*s, f.id, ErrorCode::kMalformed, req.error().ToString());
  if (s->command_busy.exchange(true)) {
    return ReplyError(*s, f.id, ErrorCode::kBusy, "a command is already running");
  }
  const std::uint32_t id = f.id;
  std::shared_ptr<RunNetns> netns;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    netns = s->netns;
  }
  std::thread([s, id, netns, req = std::move(*req)] {
    // The command (forked from this thread) runs in the run's namespace.
    if (netns) {
      if (auto e = netns->Enter(); !e) {
        s->command_busy = false;
        return ReplyError(*s, id, ErrorCode::kInternal, e.error());
      }
    }
    run::ExecResult r = run::Exec({"/bin/sh", "-c", req.command}, CommandEnvironment(req.env),
                                  req.cwd.empty() ? "." : req.cwd,
                                  std::chrono::milliseconds(req.timeout_ms));
    s->command_busy = false;
    (void)s->channel.Write(MessageType::kCommandResult, id,
                           EncodeCommandReply({r.exit_code, r.timed_out, std::move(r.output)}));
  }).detach();
}

// The records /dev/kmsg holds after the last read (their first lines: "prio,seq,usec,flags;
// text"), at most kMaxLogLines of them and kMaxLogBytes in all (a flooding kernel cannot make
// a reply too big; the rest waits for the next request).
std::vector<std::string> ReadKernelLog(int fd) {
  constexpr std::size_t kMaxLogLines = 4096;
  constexpr std::size_t kMaxLogBytes = 512 * 1024;
  std::vector<std::string> lines;
  std::size_t bytes = 0;
  while (lines.size() < kMaxLogLines && bytes < kMaxLogBytes) {
    char buf[8192];
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EPIPE || errno == EINTR)) continue;  // overwritten records: go on
    if (n <= 0) break;
    std::string_view rec(buf, static_cast<std::size_t>(n));
    rec = rec.substr(0, rec.find('\n'));
    bytes += rec.size();
    lines.emplace_back(rec);
  }
  return lines;
}

// A new run starts clean, as a local run's own PID namespace does: what earlier commands left
// in the background is killed and reaped. Only as PID 1 of the agent's PID namespace (where
// kill(-1) reaches exactly the agent's descendants); a no-op anywhere else.
void EndLeftoverProcesses() {
  if (getpid() != 1) return;
  kill(-1, SIGKILL);
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < deadline) {
    const pid_t r = waitpid(-1, nullptr, WNOHANG);
    if (r < 0) return;  // ECHILD: none left
    if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// One request of the session. Returns the end of the session, or nullopt to go on.
std::optional<AgentResult> Dispatch(const std::shared_ptr<SessionState>& s, const Frame& f) {
  switch (f.type) {
    case MessageType::kSetContext: {
      auto ctx = DecodeContext(f.body);
      if (!ctx) {
        ReplyError(*s, f.id, ErrorCode::kMalformed, ctx.error().ToString());
        return std::nullopt;
      }
      if (s->syscall_busy || s->command_busy) {
        ReplyError(*s, f.id, ErrorCode::kBusy,
                   "set-context while a syscall or a command is in flight");
        return std::nullopt;
      }
      auto ex = std::make_shared<syscalls::Executor>(std::move(*ctx));
      std::shared_ptr<syscalls::Executor> old;
      {
        std::lock_guard<std::mutex> lock(s->mu);
        old = std::exchange(s->executor, std::move(ex));
      }
      if (old) old->CloseAll();
      EndLeftoverProcesses();
      (void)s->channel.Write(MessageType::kOk, f.id, {});
      return std::nullopt;
    }
    case MessageType::kFreshNetns: {
      auto req = DecodeFreshNetns(f.body);
      if (!req) {
        ReplyError(*s, f.id, ErrorCode::kMalformed, req.error().ToString());
        return std::nullopt;
      }
      if (s->syscall_busy || s->command_busy) {
        ReplyError(*s, f.id, ErrorCode::kBusy,
                   "fresh-netns while a syscall or a command is in flight");
        return std::nullopt;
      }
      std::shared_ptr<syscalls::Executor> old;
      std::shared_ptr<RunNetns> old_netns;
      {
        std::lock_guard<std::mutex> lock(s->mu);
        old = std::exchange(s->executor, nullptr);
        old_netns = std::exchange(s->netns, nullptr);
      }
      if (old) old->CloseAll();
      EndLeftoverProcesses();
      if (old_netns) old_netns->ReturnDevice();  // home before it moves again
      old_netns.reset();
      auto netns = RunNetns::Create(req->device, req->link);
      if (!netns) {
        ReplyError(*s, f.id, ErrorCode::kInternal, "fresh-netns: " + netns.error());
        return std::nullopt;
      }
      {
        std::lock_guard<std::mutex> lock(s->mu);
        s->netns = std::move(*netns);
      }
      (void)s->channel.Write(MessageType::kOk, f.id, {});
      return std::nullopt;
    }
    case MessageType::kKernelLog:
      if (s->kmsg_fd < 0) {
        ReplyError(*s, f.id, ErrorCode::kInternal, "kernel-log: /dev/kmsg cannot be read here");
      } else {
        (void)s->channel.Write(MessageType::kLogLines, f.id, EncodeLogLines(ReadKernelLog(s->kmsg_fd)));
      }
      return std::nullopt;
    case MessageType::kSyscall:
      StartSyscall(s, f);
      return std::nullopt;
    case MessageType::kCloseAll: {
      std::shared_ptr<syscalls::Executor> ex;
      {
        std::lock_guard<std::mutex> lock(s->mu);
        ex = s->executor;
      }
      if (ex) ex->CloseAll();
      (void)s->channel.Write(MessageType::kOk, f.id, {});
      return std::nullopt;
    }
    case MessageType::kCommand:
      StartCommand(s, f);
      return std::nullopt;
    case MessageType::kInterfaces:
      (void)s->channel.Write(MessageType::kInterfaceList, f.id, EncodeInterfaces(ListInterfaces()));
      return std::nullopt;
    case MessageType::kShutdown:
      (void)s->channel.Write(MessageType::kOk, f.id, {});
      return AgentResult{AgentEnd::kShutdown, "client asked to shut down"};
    case MessageType::kChallenge:
    case MessageType::kAuth:
    case MessageType::kWelcome:
    case MessageType::kOk:
    case MessageType::kSyscallResult:
    case MessageType::kSyscallError:
    case MessageType::kCommandResult:
    case MessageType::kInterfaceList:
    case MessageType::kLogLines:
    case MessageType::kError:
      break;
  }
  const std::string m =
      "a client may not send " + std::string(MessageTypeName(f.type)) + " after the handshake";
  ReplyError(*s, f.id, ErrorCode::kUnexpected, m);
  return AgentResult{AgentEnd::kProtocolError, m};
}

void RefuseSecondClient(int listen_fd, const AgentOptions& o) {
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  if (fd < 0) return;
  ConfigureSocket(fd);
  Channel ch(fd);
  (void)Refuse(ch, ErrorCode::kBusy, "another client is connected; this agent serves one client");
  Log(o, "refused " + EndpointToString(peer) + ": busy: another client is connected");
}

AgentResult Session(int fd, int listen_fd, const AgentOptions& o) {
  auto s = std::make_shared<SessionState>(fd);
  AgentResult end;
  while (true) {
    pollfd p[2] = {{fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
    const int rc = poll(p, 2, 1000);
    if (rc < 0 && errno != EINTR) {
      end = {AgentEnd::kFailed, std::string("poll: ") + std::strerror(errno)};
      break;
    }
    if (rc <= 0) continue;
    if (p[1].revents & POLLIN) RefuseSecondClient(listen_fd, o);
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    auto f = s->channel.Read(std::chrono::milliseconds(1000));
    if (!f && f.error().kind == ChannelErrorKind::kIdle) continue;  // woken without data
    if (!f) {
      const ChannelError& e = f.error();
      switch (e.kind) {
        case ChannelErrorKind::kIdle:
        case ChannelErrorKind::kClosed:
          end = {AgentEnd::kClientLost, "client closed the connection without shutdown"};
          break;
        case ChannelErrorKind::kIo:
          end = {AgentEnd::kClientLost, "client lost: " + e.message};
          break;
        case ChannelErrorKind::kTimeout:
          ReplyError(*s, 0, ErrorCode::kTimeout, e.message);
          end = {AgentEnd::kProtocolError, "client: " + e.message};
          break;
        case ChannelErrorKind::kDecode:
          ReplyError(*s, 0, e.decode.code, e.message);
          end = {AgentEnd::kProtocolError, "client sent a bad frame: " + e.message};
          break;
      }
      break;
    }
    if (auto done = Dispatch(s, *f)) {
      end = *done;
      break;
    }
  }
  std::shared_ptr<syscalls::Executor> ex;
  std::shared_ptr<RunNetns> netns;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    ex = s->executor;
    netns = std::exchange(s->netns, nullptr);
  }
  if (ex) ex->CloseAll();
  if (netns) netns->ReturnDevice();  // the test device back in the agent's namespace
  netns.reset();
  s->channel.Shutdown();
  return end;
}

}  // namespace

std::string_view AgentEndName(AgentEnd end) {
  switch (end) {
    case AgentEnd::kShutdown: return "shutdown";
    case AgentEnd::kClientLost: return "client lost";
    case AgentEnd::kProtocolError: return "protocol error";
    case AgentEnd::kNoClient: return "no client";
    case AgentEnd::kFailed: return "failed";
  }
  return "unknown";
}

Result<int, std::string> Listen(const Endpoint& endpoint, std::string* bound) {
  const int fd = socket(endpoint.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unexpected{std::string("socket: ") + std::strerror(errno)};
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.addr), endpoint.len) != 0 ||
      listen(fd, 4) != 0) {
    const std::string m = "listen on " + endpoint.text + ": " + std::strerror(errno);
    close(fd);
    return Unexpected{m};
  }
  sockaddr_storage got{};
  socklen_t len = sizeof(got);
  getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len);
  if (bound) *bound = EndpointToString(got);
  return fd;
}

Status<std::string> AcceptHandshake(Channel& ch, const AgentOptions& o) {
  Challenge challenge;
  if (!o.random || !o.random(challenge.agent_nonce)) {
    return Refuse(ch, ErrorCode::kInternal, "no random bytes for the challenge");
  }
  if (auto w = ch.Write(MessageType::kChallenge, 0, EncodeChallenge(challenge)); !w) {
    return Unexpected{"sending the challenge: " + w.error().message};
  }
  auto f = ch.Read(o.handshake_timeout, o.handshake_timeout);
  if (!f) {
    const ChannelError& e = f.error();
    switch (e.kind) {
      case ChannelErrorKind::kClosed:
      case ChannelErrorKind::kIo:
        return Unexpected{"client left during the handshake: " + e.message};
      case ChannelErrorKind::kIdle:
      case ChannelErrorKind::kTimeout:
        return Refuse(ch, ErrorCode::kTimeout, "handshake: " + e.message);
      case ChannelErrorKind::kDecode:
        return Refuse(ch, e.decode.code, "handshake: " + e.message);
    }
  }
  if (f->type != MessageType::kAuth) {
    return Refuse(ch, ErrorCode::kUnexpected,
                  "handshake: expected auth, got " + std::string(MessageTypeName(f->type)));
  }
  auto auth = DecodeAuth(f->body);
  if (!auth) return Refuse(ch, ErrorCode::kMalformed, "handshake: " + auth.error().ToString());
  if (auth->version != kProtocolVersion) {
    return Refuse(ch, ErrorCode::kVersion,
                  "protocol version " + std::to_string(auth->version) +
                      " is not supported; this agent speaks version " +
                      std::to_string(kProtocolVersion));
  }
  const Mac want = ClientMac(o.token, challenge.agent_nonce, auth->client_nonce);
  if (!MacEqual(want, auth->client_mac)) {
    return Refuse(ch, ErrorCode::kAuth, "authentication failed: wrong token");
  }
  Welcome welcome{AgentMac(o.token, challenge.agent_nonce, auth->client_nonce)};
  if (auto w = ch.Write(MessageType::kWelcome, 0, EncodeWelcome(welcome)); !w) {
    return Unexpected{"sending the welcome: " + w.error().message};
  }
  return Ok{};
}

AgentResult ServeAgent(int listen_fd, const AgentOptions& o) {
  const auto deadline = Clock::now() + o.wait_for_client;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return {AgentEnd::kNoClient, "no client authenticated within " +
                                       std::to_string(o.wait_for_client.count() / 1000) + " s"};
    }
    pollfd p{listen_fd, POLLIN, 0};
    const int rc = poll(&p, 1, static_cast<int>(std::min<long>(left, 1000)));
    if (rc < 0 && errno != EINTR) return {AgentEnd::kFailed, std::string("poll: ") + std::strerror(errno)};
    if (rc <= 0) continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ConfigureSocket(fd);
    const std::string who = EndpointToString(peer);
    Log(o, "connection from " + who);
    Channel ch(fd);
    if (auto h = AcceptHandshake(ch, o); !h) {
      Log(o, "refused " + who + ": " + h.error());
      continue;
    }
    Log(o, "client " + who + " authenticated");
    AgentResult r = Session(ch.Release(), listen_fd, o);
    Log(o, "session with " + who + " ended: " + std::string(AgentEndName(r.end)) + ": " +
               r.message);
    return r;
  }
}

std::vector<InterfaceInfo> ListInterfaces() {
  std::vector<InterfaceInfo> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  std::map<std::string, InterfaceInfo> by_name;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    InterfaceInfo& info = by_name[a->ifa_name];
    info.name = a->ifa_name;
    info.index = if_nametoindex(a->ifa_name);
    info.up = (a->ifa_flags & IFF_UP) != 0;
    if (!a->ifa_addr) continue;
    const int family = a->ifa_addr->sa_family;
    if (family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
      if (ll->sll_halen == 6) std::memcpy(info.mac.data(), ll->sll_addr, 6);
      continue;
    }
    if (family != AF_INET && family != AF_INET6) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    const void* src = family == AF_INET
                          ? static_cast<const void*>(
                                &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)
                          : &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr;
    inet_ntop(family, src, buf, sizeof(buf));
    std::uint8_t prefix = 0;
    if (a->ifa_netmask) {
      const auto* m = reinterpret_cast<const std::uint8_t*>(
          family == AF_INET
              ? static_cast<const void*>(
                    &reinterpret_cast<const sockaddr_in*>(a->ifa_netmask)->sin_addr)
              : &reinterpret_cast<const sockaddr_in6*>(a->ifa_netmask)->sin6_addr);
      const int n = family == AF_INET ? 4 : 16;
      for (int i = 0; i < n; ++i) prefix += static_cast<std::uint8_t>(__builtin_popcount(m[i]));
    }
    info.addresses.push_back({buf, prefix});
  }
  freeifaddrs(list);
  for (auto& [name, info] : by_name) out.push_back(std::move(info));
  return out;
}

}  // namespace mpdrill::agent
