#include "engine/agent/protocol.h"

#include <utility>

namespace mpdrill::agent {
namespace {

// The body starts after the type byte and the request id.
constexpr std::size_t kBodyOffset = 5;

// Appends big-endian fields through ByteWriter into a growing vector.
class Encoder {
 public:
  void U8(std::uint8_t v) { Put<1>([v](ByteWriter& w) { return w.WriteU8(v); }); }
  void U16(std::uint16_t v) { Put<2>([v](ByteWriter& w) { return w.WriteU16(v); }); }
  void U32(std::uint32_t v) { Put<4>([v](ByteWriter& w) { return w.WriteU32(v); }); }
  void U64(std::uint64_t v) { Put<8>([v](ByteWriter& w) { return w.WriteU64(v); }); }
  void Raw(Bytes b) {
    const std::size_t at = out_.size();
    out_.resize(at + b.size());
    ByteWriter w(std::span<std::uint8_t>(out_.data() + at, b.size()));
    w.WriteBytes(b);
  }
  void Str(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    Raw(Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }
  std::vector<std::uint8_t> Take() { return std::move(out_); }

 private:
  template <std::size_t N, typename F>
  void Put(F f) {
    std::array<std::uint8_t, N> buf{};
    ByteWriter w(buf);
    f(w);
    out_.insert(out_.end(), buf.begin(), buf.end());
  }
  std::vector<std::uint8_t> out_;
};

// Reads fields of a body; the first failure is kept with its offset (counted from the frame's
// type byte) and every later read fails too.
class Decoder {
 public:
  explicit Decoder(Bytes body) : r_(body) {}
  bool U8(std::uint8_t* v, const char* what) { return Check(r_.ReadU8(v), 1, what); }
  bool U16(std::uint16_t* v, const char* what) { return Check(r_.ReadU16(v), 2, what); }
  bool U32(std::uint32_t* v, const char* what) { return Check(r_.ReadU32(v), 4, what); }
  bool U64(std::uint64_t* v, const char* what) { return Check(r_.ReadU64(v), 8, what); }
  bool Bool(bool* v, const char* what) {
    std::uint8_t b = 0;
    if (!U8(&b, what)) return false;
    if (b > 1) return Fail(r_.offset() - 1, std::string(what) + ": " + std::to_string(b) +
                                                " is not a boolean (0 or 1)");
    *v = b == 1;
    return true;
  }
  template <std::size_t N>
  bool Array(std::array<std::uint8_t, N>* v, const char* what) {
    return Check(r_.ReadArray(v), N, what);
  }
  bool Str(std::string* v, const char* what) {
    std::uint32_t n = 0;
    if (!U32(&n, what)) return false;
    if (n > r_.remaining()) {
      return Fail(r_.offset() - 4, std::string(what) + ": string length " + std::to_string(n) +
                                       " exceeds the " + std::to_string(r_.remaining()) +
                                       " byte(s) left");
    }
    Bytes b;
    r_.ReadBytes(n, &b);
    v->assign(reinterpret_cast<const char*>(b.data()), b.size());
    return true;
  }
  // A count of items each at least `min_item` bytes long: refused when they cannot fit.
  bool Count(std::uint32_t* n, std::size_t min_item, const char* what) {
    if (!U32(n, what)) return false;
    if (static_cast<std::uint64_t>(*n) * min_item > r_.remaining()) {
      return Fail(r_.offset() - 4, std::string(what) + ": count " + std::to_string(*n) +
                                       " cannot fit in the " + std::to_string(r_.remaining()) +
                                       " byte(s) left");
    }
    return true;
  }
  std::size_t at() const { return r_.offset(); }
  bool Fail(std::size_t at, std::string message) {
    if (!error_) error_ = DecodeError{ErrorCode::kMalformed, kBodyOffset + at, std::move(message)};
    return false;
  }
  template <typename T>
  Result<T, DecodeError> Finish(T value) {
    if (!error_ && !r_.empty()) {
      Fail(r_.offset(), std::to_string(r_.remaining()) + " unexpected byte(s) after the message");
    }
    if (error_) return Unexpected{*error_};
    return value;
  }

 private:
  bool Check(bool ok, std::size_t size, const char* what) {
    if (error_) return false;
    if (ok) return true;
    return Fail(r_.offset(), std::string(what) + ": needs " + std::to_string(size) +
                                 " byte(s), " + std::to_string(r_.remaining()) + " left");
  }
  ByteReader r_;
  std::optional<DecodeError> error_;
};

void EncodeMagicVersion(Encoder& e, std::uint16_t version) {
  e.Raw(kMagic);
  e.U16(version);
}

bool DecodeMagicVersion(Decoder& d, std::uint16_t* version) {
  std::array<std::uint8_t, 4> magic{};
  if (!d.Array(&magic, "magic")) return false;
  if (magic != kMagic) return d.Fail(0, "magic: not \"MPDA\": not an mpdrill agent peer");
  return d.U16(version, "version");
}

void EncodeFds(Encoder& e, const std::vector<int>& fds) {
  e.U32(static_cast<std::uint32_t>(fds.size()));
  for (int fd : fds) e.U32(static_cast<std::uint32_t>(fd));
}

bool DecodeFds(Decoder& d, std::vector<int>* fds, const char* what) {
  std::uint32_t n = 0;
  if (!d.Count(&n, 4, what)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t v = 0;
    if (!d.U32(&v, what)) return false;
    fds->push_back(static_cast<int>(v));
  }
  return true;
}

// line, column, text: the shape of a syscall request and of a syscall error.
std::vector<std::uint8_t> EncodeLocated(std::uint32_t line, std::uint32_t col,
                                        const std::string& text) {
  Encoder e;
  e.U32(line);
  e.U32(col);
  e.Str(text);
  return e.Take();
}

template <typename T>
Result<T, DecodeError> DecodeLocated(Bytes body, const char* what, T* m, std::uint32_t* line,
                                     std::uint32_t* col, std::string* text) {
  Decoder d(body);
  d.U32(line, "line") && d.U32(col, "column") && d.Str(text, what);
  return d.Finish(std::move(*m));
}

}  // namespace

std::string_view MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kChallenge: return "challenge";
    case MessageType::kAuth: return "auth";
    case MessageType::kWelcome: return "welcome";
    case MessageType::kSetContext: return "set-context";
    case MessageType::kSyscall: return "syscall";
    case MessageType::kCloseAll: return "close-all";
    case MessageType::kCommand: return "command";
    case MessageType::kInterfaces: return "interfaces";
    case MessageType::kFreshNetns: return "fresh-netns";
    case MessageType::kKernelLog: return "kernel-log";
    case MessageType::kLogLines: return "log-lines";
    case MessageType::kShutdown: return "shutdown";
    case MessageType::kOk: return "ok";
    case MessageType::kSyscallResult: return "syscall-result";
    case MessageType::kSyscallError: return "syscall-error";
    case MessageType::kCommandResult: return "command-result";
    case MessageType::kInterfaceList: return "interface-list";
    case MessageType::kError: return "error";
  }
  return "unknown";
}

bool IsKnownMessageType(std::uint8_t type) {
  return MessageTypeName(static_cast<MessageType>(type)) != "unknown";
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kOversized: return "oversized";
    case ErrorCode::kVersion: return "version";
    case ErrorCode::kAuth: return "auth";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kUnexpected: return "unexpected";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kNoContext: return "no-context";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string DecodeError::ToString() const {
  return "byte " + std::to_string(offset) + ": " + message;
}

Result<std::uint32_t, DecodeError> DecodeFrameLength(std::array<std::uint8_t, 4> header) {
  ByteReader r(header);
  std::uint32_t n = 0;
  r.ReadU32(&n);
  if (n < kFrameMinLength) {
    return Unexpected{DecodeError{ErrorCode::kMalformed, 0,
                                  "frame length " + std::to_string(n) + " is below the minimum " +
                                      std::to_string(kFrameMinLength)}};
  }
  if (n > kMaxFrameBody + kFrameMinLength) {
    return Unexpected{DecodeError{ErrorCode::kOversized, 0,
                                  "frame length " + std::to_string(n) + " exceeds the limit " +
                                      std::to_string(kMaxFrameBody + kFrameMinLength)}};
  }
  return n;
}

Result<Frame, DecodeError> DecodeFrame(Bytes payload) {
  ByteReader r(payload);
  std::uint8_t type = 0;
  Frame f;
  if (!r.ReadU8(&type) || !r.ReadU32(&f.id)) {
    return Unexpected{DecodeError{ErrorCode::kMalformed, r.offset(),
                                  "frame shorter than its type and request id"}};
  }
  if (!IsKnownMessageType(type)) {
    return Unexpected{DecodeError{ErrorCode::kMalformed, 0,
                                  "unknown message type " + std::to_string(type)}};
  }
  f.type = static_cast<MessageType>(type);
  f.body.assign(r.rest().begin(), r.rest().end());
  return f;
}

std::vector<std::uint8_t> EncodeFrame(const Frame& frame) {
  Encoder e;
  e.U32(static_cast<std::uint32_t>(kFrameMinLength + frame.body.size()));
  e.U8(static_cast<std::uint8_t>(frame.type));
  e.U32(frame.id);
  e.Raw(frame.body);
  return e.Take();
}

std::vector<std::uint8_t> EncodeChallenge(const Challenge& m) {
  Encoder e;
  EncodeMagicVersion(e, m.version);
  e.Raw(m.agent_nonce);
  return e.Take();
}

std::vector<std::uint8_t> EncodeAuth(const Auth& m) {
  Encoder e;
  EncodeMagicVersion(e, m.version);
  e.Raw(m.client_nonce);
  e.Raw(m.client_mac);
  return e.Take();
}

std::vector<std::uint8_t> EncodeWelcome(const Welcome& m) {
  Encoder e;
  e.Raw(m.agent_mac);
  return e.Take();
}

std::vector<std::uint8_t> EncodeError(const ErrorMessage& m) {
  Encoder e;
  e.U16(static_cast<std::uint16_t>(m.code));
  e.Str(m.message);
  return e.Take();
}

std::vector<std::uint8_t> EncodeContext(const syscalls::Context& m) {
  Encoder e;
  e.U32(static_cast<std::uint32_t>(m.family));
  e.U8(m.ipv4_mapped ? 1 : 0);
  e.Str(m.local_ip);
  e.Str(m.remote_ip);
  e.U16(m.bind_port);
  e.U16(m.connect_port);
  e.U32(static_cast<std::uint32_t>(m.defines.size()));
  for (const auto& [k, v] : m.defines) {
    e.Str(k);
    e.Str(v);
  }
  return e.Take();
}

std::vector<std::uint8_t> EncodeFreshNetns(const FreshNetnsRequest& m) {
  Encoder e;
  e.Str(m.device);
  e.U32(m.link.mtu);
  e.Str(m.link.address);
  e.U8(m.link.prefix);
  e.Str(m.link.route);
  e.U8(m.link.route_prefix);
  e.Str(m.link.gateway);
  return e.Take();
}

std::vector<std::uint8_t> EncodeLogLines(const std::vector<std::string>& lines) {
  Encoder e;
  e.U32(static_cast<std::uint32_t>(lines.size()));
  for (const std::string& l : lines) e.Str(l);
  return e.Take();
}

std::vector<std::uint8_t> EncodeSyscall(const SyscallRequest& m) {
  return EncodeLocated(m.line, m.col, m.text);
}

std::vector<std::uint8_t> EncodeSyscallReply(const SyscallReply& m) {
  Encoder e;
  e.U64(static_cast<std::uint64_t>(m.outcome.result));
  e.U32(static_cast<std::uint32_t>(m.outcome.err));
  e.U8(m.outcome.mismatch ? 1 : 0);
  e.Str(m.outcome.mismatch.value_or(""));
  EncodeFds(e, m.outcome.opened_fds);
  EncodeFds(e, m.outcome.closed_fds);
  return e.Take();
}

std::vector<std::uint8_t> EncodeSyscallFailure(const SyscallFailure& m) {
  return EncodeLocated(m.line, m.col, m.message);
}

std::vector<std::uint8_t> EncodeCommand(const CommandRequest& m) {
  Encoder e;
  e.Str(m.command);
  e.U32(static_cast<std::uint32_t>(m.env.size()));
  for (const auto& s : m.env) e.Str(s);
  e.Str(m.cwd);
  e.U32(m.timeout_ms);
  return e.Take();
}

std::vector<std::uint8_t> EncodeCommandReply(const CommandReply& m) {
  Encoder e;
  e.U32(static_cast<std::uint32_t>(m.exit_code));
  e.U8(m.timed_out ? 1 : 0);
  e.Str(m.output);
  return e.Take();
}

std::vector<std::uint8_t> EncodeInterfaces(const std::vector<InterfaceInfo>& m) {
  Encoder e;
  e.U32(static_cast<std::uint32_t>(m.size()));
  for (const auto& i : m) {
    e.Str(i.name);
    e.U32(i.index);
    e.U8(i.up ? 1 : 0);
    e.Raw(i.mac);
    e.U32(static_cast<std::uint32_t>(i.addresses.size()));
    for (const auto& a : i.addresses) {
      e.Str(a.address);
      e.U8(a.prefix);
    }
  }
  return e.Take();
}

Result<Challenge, DecodeError> DecodeChallenge(Bytes body) {
  Decoder d(body);
  Challenge m;
  DecodeMagicVersion(d, &m.version) && d.Array(&m.agent_nonce, "agent nonce");
  return d.Finish(m);
}

Result<Auth, DecodeError> DecodeAuth(Bytes body) {
  Decoder d(body);
  Auth m;
  DecodeMagicVersion(d, &m.version) && d.Array(&m.client_nonce, "client nonce") &&
      d.Array(&m.client_mac, "client MAC");
  return d.Finish(m);
}

Result<Welcome, DecodeError> DecodeWelcome(Bytes body) {
  Decoder d(body);
  Welcome m;
  d.Array(&m.agent_mac, "agent MAC");
  return d.Finish(m);
}

Result<ErrorMessage, DecodeError> DecodeErrorMessage(Bytes body) {
  Decoder d(body);
  ErrorMessage m;
  std::uint16_t code = 0;
  if (d.U16(&code, "error code")) m.code = static_cast<ErrorCode>(code);
  d.Str(&m.message, "error message");
  return d.Finish(m);
}

Result<syscalls::Context, DecodeError> DecodeContext(Bytes body) {
  Decoder d(body);
  syscalls::Context m;
  std::uint32_t family = 0, n = 0;
  bool ok = d.U32(&family, "family") && d.Bool(&m.ipv4_mapped, "ipv4-mapped") &&
            d.Str(&m.local_ip, "local ip") && d.Str(&m.remote_ip, "remote ip") &&
            d.U16(&m.bind_port, "bind port") && d.U16(&m.connect_port, "connect port") &&
            d.Count(&n, 8, "define count");
  m.family = static_cast<int>(family);
  for (std::uint32_t i = 0; ok && i < n; ++i) {
    std::string k, v;
    ok = d.Str(&k, "define name") && d.Str(&v, "define value");
    m.defines[k] = v;
  }
  return d.Finish(std::move(m));
}

Result<FreshNetnsRequest, DecodeError> DecodeFreshNetns(Bytes body) {
  Decoder d(body);
  FreshNetnsRequest m;
  if (d.Str(&m.device, "device") &&
      (m.device.empty() || m.device.size() >= 16 || m.device.find('/') != std::string::npos)) {
    d.Fail(0, "device: '" + m.device + "' is not an interface name");
  }
  d.U32(&m.link.mtu, "mtu") && d.Str(&m.link.address, "address") &&
      d.U8(&m.link.prefix, "prefix") && d.Str(&m.link.route, "route") &&
      d.U8(&m.link.route_prefix, "route prefix") && d.Str(&m.link.gateway, "gateway");
  return d.Finish(std::move(m));
}

Result<std::vector<std::string>, DecodeError> DecodeLogLines(Bytes body) {
  Decoder d(body);
  std::vector<std::string> lines;
  std::uint32_t n = 0;
  if (d.U32(&n, "line count")) {
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string line;
      if (!d.Str(&line, "log line")) break;
      lines.push_back(std::move(line));
    }
  }
  return d.Finish(std::move(lines));
}

Result<SyscallRequest, DecodeError> DecodeSyscall(Bytes body) {
  SyscallRequest m;
  return DecodeLocated(body, "syscall text", &m, &m.line, &m.col, &m.text);
}

Result<SyscallReply, DecodeError> DecodeSyscallReply(Bytes body) {
  Decoder d(body);
  SyscallReply m;
  std::uint64_t result = 0;
  std::uint32_t err = 0;
  bool has_mismatch = false;
  std::string mismatch;
  std::size_t mismatch_at = 0;
  d.U64(&result, "result") && d.U32(&err, "errno") && d.Bool(&has_mismatch, "has mismatch") &&
      (mismatch_at = d.at(), d.Str(&mismatch, "mismatch")) &&
      (has_mismatch || mismatch.empty() ||
       d.Fail(mismatch_at, "mismatch: text without the has-mismatch flag")) &&
      DecodeFds(d, &m.outcome.opened_fds, "opened fds") &&
      DecodeFds(d, &m.outcome.closed_fds, "closed fds");
  m.outcome.result = static_cast<std::int64_t>(result);
  m.outcome.err = static_cast<int>(err);
  if (has_mismatch) m.outcome.mismatch = std::move(mismatch);
  return d.Finish(std::move(m));
}

Result<SyscallFailure, DecodeError> DecodeSyscallFailure(Bytes body) {
  SyscallFailure m;
  return DecodeLocated(body, "message", &m, &m.line, &m.col, &m.message);
}

Result<CommandRequest, DecodeError> DecodeCommand(Bytes body) {
  Decoder d(body);
  CommandRequest m;
  std::uint32_t n = 0;
  bool ok = d.Str(&m.command, "command") && d.Count(&n, 4, "environment count");
  for (std::uint32_t i = 0; ok && i < n; ++i) {
    std::string s;
    const std::size_t at = d.at();
    ok = d.Str(&s, "environment entry");
    if (ok && s.find('=') == std::string::npos) {
      ok = d.Fail(at, "environment entry \"" + s + "\" has no '='");
    }
    m.env.push_back(std::move(s));
  }
  ok = ok && d.Str(&m.cwd, "working directory") && d.U32(&m.timeout_ms, "timeout");
  return d.Finish(std::move(m));
}

Result<CommandReply, DecodeError> DecodeCommandReply(Bytes body) {
  Decoder d(body);
  CommandReply m;
  std::uint32_t code = 0;
  d.U32(&code, "exit code") && d.Bool(&m.timed_out, "timed out") && d.Str(&m.output, "output");
  m.exit_code = static_cast<std::int32_t>(code);
  return d.Finish(std::move(m));
}

Result<std::vector<InterfaceInfo>, DecodeError> DecodeInterfaces(Bytes body) {
  Decoder d(body);
  std::vector<InterfaceInfo> m;
  std::uint32_t n = 0;
  bool ok = d.Count(&n, 19, "interface count");
  for (std::uint32_t i = 0; ok && i < n; ++i) {
    InterfaceInfo info;
    std::uint32_t na = 0;
    ok = d.Str(&info.name, "interface name") && d.U32(&info.index, "interface index") &&
         d.Bool(&info.up, "interface up") && d.Array(&info.mac, "interface MAC") &&
         d.Count(&na, 5, "address count");
    for (std::uint32_t j = 0; ok && j < na; ++j) {
      InterfaceAddress a;
      ok = d.Str(&a.address, "address") && d.U8(&a.prefix, "prefix length");
      info.addresses.push_back(std::move(a));
    }
    m.push_back(std::move(info));
  }
  return d.Finish(std::move(m));
}

}  // namespace mpdrill::agent
