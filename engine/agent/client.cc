#include "engine/agent/client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <thread>

#include "parser/printer.h"

namespace mpdrill::agent {
namespace {

// A syscall may block as long as the script says; this only bounds a dead agent that still
// holds the connection open.
constexpr std::chrono::minutes kSyscallTimeout{10};
constexpr std::chrono::seconds kRequestTimeout{10};

ClientError Lost(const std::string& m) { return {ClientErrorKind::kLost, ErrorCode::kInternal, m}; }

// Connects within `timeout`; a refused connection is tried again every 20 ms until then (an
// agent being restarted between sessions, or still starting).
Result<int, ClientError> ConnectWithin(const Endpoint& ep, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const int fd = socket(ep.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Unexpected{ClientError{ClientErrorKind::kConnect, {}, std::strerror(errno)}};
    int rc = connect(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len);
    if (rc != 0 && errno == EINPROGRESS) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
      int err = ETIMEDOUT;
      socklen_t len = sizeof(err);
      if (rc == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      errno = err;
      rc = err == 0 ? 0 : -1;
    }
    if (rc == 0) {
      const int flags = fcntl(fd, F_GETFL);
      fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      ConfigureSocket(fd);
      return fd;
    }
    const int err = errno;
    close(fd);
    if (err == ECONNREFUSED &&
        std::chrono::steady_clock::now() + std::chrono::milliseconds(20) < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    return Unexpected{ClientError{ClientErrorKind::kConnect, {},
                                  "connect to agent " + ep.text + ": " + std::strerror(err)}};
  }
}

ClientError FromChannel(const ChannelError& e, const std::string& during) {
  switch (e.kind) {
    case ChannelErrorKind::kClosed:
    case ChannelErrorKind::kIo:
      return Lost(during + ": " + e.message);
    case ChannelErrorKind::kIdle:
    case ChannelErrorKind::kTimeout:
      return {ClientErrorKind::kTimeout, {}, during + ": " + e.message};
    case ChannelErrorKind::kDecode:
      return {ClientErrorKind::kProtocol, {}, during + ": " + e.message};
  }
  return Lost(during);
}

// An kError frame from the agent as a ClientError of `kind`.
ClientError FromErrorFrame(const Frame& f, ClientErrorKind kind) {
  auto m = DecodeErrorMessage(f.body);
  if (!m) return {ClientErrorKind::kProtocol, {}, "bad error frame: " + m.error().ToString()};
  return {kind, m->code, std::string(ErrorCodeName(m->code)) + ": " + m->message};
}

}  // namespace

std::string ClientErrorText(const ClientError& e) {
  switch (e.kind) {
    case ClientErrorKind::kConnect: return e.message;
    case ClientErrorKind::kRefused: return "agent refused: " + e.message;
    case ClientErrorKind::kAuth: return "agent failed to prove the token: " + e.message;
    case ClientErrorKind::kProtocol: return "agent protocol error: " + e.message;
    case ClientErrorKind::kLost: return "agent connection lost: " + e.message;
    case ClientErrorKind::kTimeout: return "agent timed out: " + e.message;
    case ClientErrorKind::kRemote: return "agent error: " + e.message;
  }
  return e.message;
}

AgentClient::AgentClient(int fd, std::string endpoint)
    : channel_(fd), name_("agent " + std::move(endpoint)) {}

Result<std::unique_ptr<AgentClient>, ClientError> AgentClient::Connect(
    const std::string& endpoint, std::span<const std::uint8_t> token,
    std::chrono::milliseconds timeout, RandomSource random) {
  auto ep = ParseEndpoint(endpoint);
  if (!ep) return Unexpected{ClientError{ClientErrorKind::kConnect, {}, ep.error()}};
  auto fd = ConnectWithin(*ep, timeout);
  if (!fd) return Unexpected{fd.error()};
  std::unique_ptr<AgentClient> c(new AgentClient(*fd, endpoint));
  auto f = c->channel_.Read(timeout, timeout);
  if (!f) return Unexpected{FromChannel(f.error(), "waiting for the agent's challenge")};
  if (f->type == MessageType::kError) return Unexpected{FromErrorFrame(*f, ClientErrorKind::kRefused)};
  if (f->type != MessageType::kChallenge) {
    return Unexpected{ClientError{ClientErrorKind::kProtocol, {},
                                  "expected challenge, got " + std::string(MessageTypeName(f->type))}};
  }
  auto ch = DecodeChallenge(f->body);
  if (!ch) return Unexpected{ClientError{ClientErrorKind::kProtocol, {}, "challenge: " + ch.error().ToString()}};
  if (ch->version != kProtocolVersion) {
    return Unexpected{ClientError{ClientErrorKind::kProtocol, ErrorCode::kVersion,
                                  "agent speaks protocol version " + std::to_string(ch->version) +
                                      ", this client " + std::to_string(kProtocolVersion)}};
  }
  Auth auth;
  if (!random || !random(auth.client_nonce)) {
    return Unexpected{ClientError{ClientErrorKind::kConnect, {}, "no random bytes for the nonce"}};
  }
  auth.client_mac = ClientMac(token, ch->agent_nonce, auth.client_nonce);
  if (auto w = c->channel_.Write(MessageType::kAuth, 0, EncodeAuth(auth)); !w) {
    return Unexpected{FromChannel(w.error(), "sending auth")};
  }
  f = c->channel_.Read(timeout, timeout);
  if (!f) return Unexpected{FromChannel(f.error(), "waiting for the agent's welcome")};
  if (f->type == MessageType::kError) return Unexpected{FromErrorFrame(*f, ClientErrorKind::kRefused)};
  auto welcome = f->type == MessageType::kWelcome
                     ? DecodeWelcome(f->body)
                     : Result<Welcome, DecodeError>(Unexpected{DecodeError{
                           ErrorCode::kUnexpected, 0,
                           "expected welcome, got " + std::string(MessageTypeName(f->type))}});
  if (!welcome) return Unexpected{ClientError{ClientErrorKind::kProtocol, {}, welcome.error().ToString()}};
  if (!MacEqual(welcome->agent_mac, AgentMac(token, ch->agent_nonce, auth.client_nonce))) {
    return Unexpected{ClientError{ClientErrorKind::kAuth, ErrorCode::kAuth,
                                  "the agent's MAC does not match our token"}};
  }
  c->reader_ = std::thread([raw = c.get()] { raw->ReadLoop(); });
  return c;
}

AgentClient::~AgentClient() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  channel_.Shutdown();
  if (reader_.joinable()) reader_.join();
}

void AgentClient::ReadLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    auto f = channel_.Read(std::chrono::milliseconds(200));
    std::lock_guard<std::mutex> lock(mu_);
    if (!f) {
      if (f.error().kind == ChannelErrorKind::kIdle) continue;
      lost_ = f.error().message;
      break;
    }
    auto it = pending_.find(f->id);
    if (it != pending_.end()) {
      it->second = std::move(*f);
    } else if (f->type == MessageType::kError) {
      auto m = DecodeErrorMessage(f->body);
      lost_ = "agent: " + (m ? std::string(ErrorCodeName(m->code)) + ": " + m->message
                             : std::string("bad error frame"));
      break;
    }
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!lost_) lost_ = "client closed";
  cv_.notify_all();
}

Result<Frame, ClientError> AgentClient::Call(MessageType type, std::vector<std::uint8_t> body,
                                             std::chrono::milliseconds timeout) {
  std::uint32_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (lost_) return Unexpected{Lost(*lost_)};
    id = next_id_++;
    pending_[id];
  }
  if (auto w = channel_.Write(type, id, std::move(body)); !w) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(id);
    return Unexpected{FromChannel(w.error(), std::string("sending ") + std::string(MessageTypeName(type)))};
  }
  std::unique_lock<std::mutex> lock(mu_);
  const bool got = cv_.wait_for(lock, timeout, [&] { return pending_[id].has_value() || lost_; });
  std::optional<Frame> reply = std::move(pending_[id]);
  pending_.erase(id);
  if (!reply) {
    if (lost_) return Unexpected{Lost(*lost_)};
    (void)got;
    return Unexpected{ClientError{ClientErrorKind::kTimeout, {},
                                  std::string(MessageTypeName(type)) + ": no reply within " +
                                      std::to_string(timeout.count()) + " ms"}};
  }
  if (reply->type == MessageType::kError) return Unexpected{FromErrorFrame(*reply, ClientErrorKind::kRemote)};
  return std::move(*reply);
}

namespace {
Status<ClientError> ExpectOk(Result<Frame, ClientError> r) {
  if (!r) return Unexpected{r.error()};
  if (r->type != MessageType::kOk) {
    return Unexpected{ClientError{ClientErrorKind::kProtocol, {},
                                  "expected ok, got " + std::string(MessageTypeName(r->type))}};
  }
  return Ok{};
}
ClientError WrongReply(const Frame& f, MessageType want) {
  return {ClientErrorKind::kProtocol, {},
          "expected " + std::string(MessageTypeName(want)) + ", got " +
              std::string(MessageTypeName(f.type))};
}
}  // namespace

Status<ClientError> AgentClient::SetContext(const syscalls::Context& ctx) {
  return ExpectOk(Call(MessageType::kSetContext, EncodeContext(ctx), kRequestTimeout));
}

Result<CommandReply, ClientError> AgentClient::Command(const CommandRequest& request) {
  auto r = Call(MessageType::kCommand, EncodeCommand(request),
                std::chrono::milliseconds(request.timeout_ms) + kRequestTimeout);
  if (!r) return Unexpected{r.error()};
  if (r->type != MessageType::kCommandResult) return Unexpected{WrongReply(*r, MessageType::kCommandResult)};
  auto m = DecodeCommandReply(r->body);
  if (!m) return Unexpected{ClientError{ClientErrorKind::kProtocol, {}, m.error().ToString()}};
  return std::move(*m);
}

Result<std::vector<InterfaceInfo>, ClientError> AgentClient::Interfaces() {
  auto r = Call(MessageType::kInterfaces, {}, kRequestTimeout);
  if (!r) return Unexpected{r.error()};
  if (r->type != MessageType::kInterfaceList) return Unexpected{WrongReply(*r, MessageType::kInterfaceList)};
  auto m = DecodeInterfaces(r->body);
  if (!m) return Unexpected{ClientError{ClientErrorKind::kProtocol, {}, m.error().ToString()}};
  return std::move(*m);
}

Status<ClientError> AgentClient::FreshNetns(const std::string& device, const LinkSetup& link) {
  return ExpectOk(Call(MessageType::kFreshNetns, EncodeFreshNetns({device, link}), kRequestTimeout));
}

Result<std::vector<std::string>, ClientError> AgentClient::KernelLog() {
  auto r = Call(MessageType::kKernelLog, {}, kRequestTimeout);
  if (!r) return Unexpected{r.error()};
  if (r->type != MessageType::kLogLines) return Unexpected{WrongReply(*r, MessageType::kLogLines)};
  auto m = DecodeLogLines(r->body);
  if (!m) return Unexpected{ClientError{ClientErrorKind::kProtocol, {}, m.error().ToString()}};
  return std::move(*m);
}

Status<ClientError> AgentClient::Shutdown() {
  return ExpectOk(Call(MessageType::kShutdown, {}, kRequestTimeout));
}

Result<syscalls::Outcome, syscalls::BackendError> AgentClient::Run(const parser::Syscall& call,
                                                                   const parser::SourceLoc& loc) {
  using syscalls::BackendError;
  using syscalls::BackendErrorKind;
  SyscallRequest req{static_cast<std::uint32_t>(loc.line), static_cast<std::uint32_t>(loc.col),
                     parser::PrintSyscall(call)};
  auto r = Call(MessageType::kSyscall, EncodeSyscall(req), kSyscallTimeout);
  auto unavailable = [&](const std::string& m) {
    return Unexpected{BackendError{BackendErrorKind::kUnavailable, {loc, name_ + ": " + m}}};
  };
  if (!r) return unavailable(ClientErrorText(r.error()));
  if (r->type == MessageType::kSyscallResult) {
    auto m = DecodeSyscallReply(r->body);
    if (!m) return unavailable("syscall result: " + m.error().ToString());
    return std::move(m->outcome);
  }
  if (r->type == MessageType::kSyscallError) {
    auto m = DecodeSyscallFailure(r->body);
    if (!m) return unavailable("syscall error: " + m.error().ToString());
    return Unexpected{BackendError{BackendErrorKind::kScript, {loc, m->message}}};
  }
  return unavailable(WrongReply(*r, MessageType::kSyscallResult).message);
}

void AgentClient::CloseAll() {
  (void)ExpectOk(Call(MessageType::kCloseAll, {}, kRequestTimeout));
}

}  // namespace mpdrill::agent
