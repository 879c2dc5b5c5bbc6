// socket, bind, listen, accept, connect, close, shutdown, getsockopt, setsockopt.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/syscalls/executor_internal.h"

namespace mpdrill::syscalls::internal {
namespace {

using parser::Expr;
using parser::ExprKind;

// An option value the script wrote, as bytes: [N] (an int), "string", {onoff=, linger=},
// {tv_sec=, tv_usec=}, inet6_addr("..."), or NULL (empty, null pointer).
struct OptionValue {
  std::string bytes;
  bool null = false;
  bool is_int = false;  // [N]
};

Result<OptionValue, SyscallError> EncodeOption(const Call& c, const Expr& e) {
  OptionValue out;
  auto put = [&out](const void* p, std::size_t n) {
    out.bytes.assign(static_cast<const char*>(p), n);
  };
  switch (e.kind) {
    case ExprKind::kList: {
      MPD_ASSIGN(std::int64_t v, c.BracketedExpr(e));
      const auto i = static_cast<std::int32_t>(v);
      put(&i, sizeof(i));
      out.is_int = true;
      return out;
    }
    case ExprKind::kString:
    case ExprKind::kConcat: {
      MPD_ASSIGN(out.bytes, c.eval().Bytes(e));
      return out;
    }
    case ExprKind::kBraces: {
      MPD_ASSIGN(auto fields, c.Fields(e));
      const parser::BraceForm form = parser::ClassifyBraces(e);
      if (form == parser::BraceForm::kLinger) {
        linger l{};
        for (const auto& [key, value] : fields) {
          MPD_ASSIGN(std::int64_t v, c.Int(*value));
          if (key == "onoff") {
            l.l_onoff = static_cast<int>(v);
          } else if (key == "linger") {
            l.l_linger = static_cast<int>(v);
          } else {
            return MakeUnexpected(c.ErrorAt(*value, "unknown linger field: " + key));
          }
        }
        put(&l, sizeof(l));
        return out;
      }
      if (form == parser::BraceForm::kTimeval) {
        timeval tv{};
        for (const auto& [key, value] : fields) {
          MPD_ASSIGN(std::int64_t v, c.Int(*value));
          if (key == "tv_sec") {
            tv.tv_sec = v;
          } else if (key == "tv_usec") {
            tv.tv_usec = v;
          } else {
            return MakeUnexpected(c.ErrorAt(*value, "unknown timeval field: " + key));
          }
        }
        put(&tv, sizeof(tv));
        return out;
      }
      return MakeUnexpected(c.ErrorAt(e, "unsupported option struct (want linger or timeval)"));
    }
    case ExprKind::kCall:
      if (e.text == "inet6_addr" && e.children.size() == 1) {
        MPD_ASSIGN(std::string text, c.eval().Bytes(e.children[0]));
        in6_addr a{};
        if (inet_pton(AF_INET6, text.c_str(), &a) != 1) {
          return MakeUnexpected(c.ErrorAt(e, "inet6_addr: not an IPv6 address: " + text));
        }
        put(&a, sizeof(a));
        return out;
      }
      break;
    case ExprKind::kWord:
    case ExprKind::kInteger: {
      MPD_ASSIGN(std::int64_t v, c.Int(e));
      if (v == 0) {
        out.null = true;
        return out;
      }
      break;
    }
    case ExprKind::kEllipsis:
    case ExprKind::kBitOr:
    case ExprKind::kAssign:
      break;
  }
  return MakeUnexpected(c.ErrorAt(e, "unsupported option value: " + Describe(e)));
}

std::string Printable(const std::string& bytes) {
  std::string out = "\"";
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char ch : bytes) {
    if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += "\\x";
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 0xf]);
    }
  }
  return out + "\"";
}

}  // namespace

SyscallStatus DoSocket(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  int domain = c.SocketFamily();
  if (!c.IsEllipsis(0)) {
    MPD_ASSIGN(std::int64_t d, c.Int(0));
    domain = static_cast<int>(d);
  }
  MPD_ASSIGN(std::int64_t type, c.Int(1));
  MPD_ASSIGN(std::int64_t protocol, c.Int(2));
  c.Perform([&] { return socket(domain, static_cast<int>(type), static_cast<int>(protocol)); });
  return c.AdoptResultFd(c.Finish(Check::kFd));
}

SyscallStatus DoBind(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(SockAddr addr, c.Address(1, AddrRole::kBind));
  if (!c.IsEllipsis(2)) {
    MPD_ASSIGN(std::int64_t len, c.Int(2));
    addr.len = static_cast<socklen_t>(len);
  }
  c.Perform([&] { return bind(fd, addr.get(), addr.len); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoListen(Call& c) {
  MPD_TRY(c.ExpectArgs(2));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(std::int64_t backlog, c.Int(1));
  c.Perform([&] { return listen(fd, static_cast<int>(backlog)); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoAccept(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  // The peer's address and its length are not checked (packetdrill: `...`).
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  c.Perform([&] { return accept(fd, reinterpret_cast<sockaddr*>(&peer), &len); });
  return c.AdoptResultFd(c.Finish(Check::kFd));
}

SyscallStatus DoConnect(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(SockAddr addr, c.Address(1, AddrRole::kConnect));
  if (!c.IsEllipsis(2)) {
    MPD_ASSIGN(std::int64_t len, c.Int(2));
    addr.len = static_cast<socklen_t>(len);
  }
  c.Perform([&] { return connect(fd, addr.get(), addr.len); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoClose(Call& c) {
  MPD_TRY(c.ExpectArgs(1));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(std::int64_t script_fd, c.Int(0));
  c.Perform([&] { return close(fd); });
  c.Finish(Check::kExact);
  // Linux releases the descriptor even when close() reports an error.
  c.RemoveFd(static_cast<int>(script_fd));
  return Ok{};
}

SyscallStatus DoShutdown(Call& c) {
  MPD_TRY(c.ExpectArgs(2));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(std::int64_t how, c.Int(1));
  c.Perform([&] { return shutdown(fd, static_cast<int>(how)); });
  c.Finish(Check::kExact);
  return Ok{};
}

constexpr std::int64_t kMaxOptlen = 65536;

SyscallStatus DoSetsockopt(Call& c) {
  MPD_TRY(c.ExpectArgs(5));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(std::int64_t level, c.Int(1));
  MPD_ASSIGN(std::int64_t optname, c.Int(2));
  MPD_ASSIGN(OptionValue value, EncodeOption(c, c.arg(3)));
  auto optlen = static_cast<socklen_t>(value.bytes.size());
  if (!c.IsEllipsis(4)) {
    MPD_ASSIGN(std::int64_t len, c.Int(4));
    if (len < 0 || len > kMaxOptlen) {
      return MakeUnexpected(c.ErrorAt(c.arg(4), "optlen " + std::to_string(len) +
                                                    " out of range (0 to " +
                                                    std::to_string(kMaxOptlen) + ")"));
    }
    // packetdrill passes optlen unchecked (`TCP_FASTOPEN_KEY, "", 3` tests the kernel's
    // length check): a longer optlen reads zeros past the value, never past the buffer.
    if (!value.null && static_cast<std::size_t>(len) > value.bytes.size()) {
      value.bytes.resize(static_cast<std::size_t>(len), 0);
    }
    optlen = static_cast<socklen_t>(len);
  }
  const void* optval = value.null ? nullptr : value.bytes.data();
  c.Perform([&] {
    return setsockopt(fd, static_cast<int>(level), static_cast<int>(optname), optval, optlen);
  });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoGetsockopt(Call& c) {
  MPD_TRY(c.ExpectArgs(5));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(std::int64_t level, c.Int(1));
  MPD_ASSIGN(std::int64_t optname, c.Int(2));
  const Expr& val_expr = c.arg(3);
  // optlen: [N] is both the buffer size and the expected returned length; `...` means a
  // 1024-byte buffer and an unchecked length (an mpdrill extension, e.g. for MPTCP_INFO).
  constexpr std::int64_t kUncheckedBuffer = 1024;
  std::optional<std::int64_t> script_len;
  if (!c.IsEllipsis(4)) {
    MPD_ASSIGN(std::int64_t len, c.Bracketed(4));
    if (len < 0 || len > 65536) {
      return MakeUnexpected(c.ErrorAt(c.arg(4), "optlen out of range: " + std::to_string(len)));
    }
    script_len = len;
  }
  const bool info_struct = IsInfoStruct(level, optname, val_expr);
  std::optional<OptionValue> expected;
  if (val_expr.kind != ExprKind::kEllipsis && !info_struct) {
    MPD_ASSIGN(OptionValue v, EncodeOption(c, val_expr));
    expected = std::move(v);
  }
  std::string buf(static_cast<std::size_t>(script_len.value_or(kUncheckedBuffer)) + 1, '\0');
  auto len = static_cast<socklen_t>(script_len.value_or(kUncheckedBuffer));
  c.Perform([&] {
    return getsockopt(fd, static_cast<int>(level), static_cast<int>(optname), buf.data(), &len);
  });
  if (!c.Finish(Check::kExact) || c.result() < 0) return Ok{};
  if (script_len && static_cast<std::int64_t>(len) != *script_len) {
    c.AddMismatch("optlen", std::to_string(*script_len), std::to_string(len));
    return Ok{};
  }
  const std::string actual = buf.substr(0, len);
  if (info_struct) return CheckInfoStruct(c, level, val_expr, actual);
  if (!expected) return Ok{};
  if (expected->is_int && len == sizeof(std::int32_t)) {
    std::int32_t want = 0, got = 0;
    std::memcpy(&want, expected->bytes.data(), sizeof(want));
    std::memcpy(&got, actual.data(), sizeof(got));
    if (want != got) c.AddMismatch("optval", std::to_string(want), std::to_string(got));
    return Ok{};
  }
  if (expected->bytes != actual) {
    c.AddMismatch("optval", Printable(expected->bytes), Printable(actual));
  }
  return Ok{};
}

}  // namespace mpdrill::syscalls::internal
