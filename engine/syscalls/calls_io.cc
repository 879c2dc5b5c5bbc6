// Data calls: read, readv, recv, recvfrom, recvmsg, write, writev, send, sendto, sendmsg,
// splice, sendfile, and the fd-making pipe and open.
//
// Buffers follow packetdrill: a `...` buffer of N bytes is N zero bytes when sending and N
// bytes of scratch space when receiving; only counts are compared, never contents.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "engine/syscalls/executor_internal.h"

namespace mpdrill::syscalls::internal {
namespace {

using parser::Expr;
using parser::ExprKind;

constexpr std::int64_t kMaxBuffer = std::int64_t{64} << 20;  // 64 MiB per call
constexpr std::size_t kMaxIovecs = 1024;                    // UIO_MAXIOV

Result<std::size_t, SyscallError> Count(const Call& c, std::size_t i) {
  MPD_ASSIGN(std::int64_t n, c.Int(i));
  if (n < 0 || n > kMaxBuffer) {
    return MakeUnexpected(c.ErrorAt(c.arg(i), "byte count out of range (0.." +
                                                  std::to_string(kMaxBuffer) + "): " +
                                                  std::to_string(n)));
  }
  return static_cast<std::size_t>(n);
}

// [{..., 10}, {..., 20}]: zero-filled buffers of those sizes.
struct IoVecs {
  std::vector<std::string> buffers;
  std::vector<iovec> iov;
};

Result<IoVecs, SyscallError> MakeIoVecs(const Call& c, const Expr& list) {
  if (list.kind != ExprKind::kList) {
    return MakeUnexpected(c.ErrorAt(list, "expected an iovec array [{..., N}], got " +
                                              Describe(list)));
  }
  if (list.children.size() > kMaxIovecs) return MakeUnexpected(c.ErrorAt(list, "too many iovecs"));
  IoVecs out;
  std::int64_t total = 0;
  for (const Expr& e : list.children) {
    if (parser::ClassifyBraces(e) != parser::BraceForm::kIovec) {
      return MakeUnexpected(c.ErrorAt(e, "expected an iovec {..., N}, got " + Describe(e)));
    }
    MPD_ASSIGN(std::int64_t len, c.Int(e.children[1]));
    total += len;
    if (len < 0 || total > kMaxBuffer) return MakeUnexpected(c.ErrorAt(e, "iovec length out of range"));
    out.buffers.emplace_back(static_cast<std::size_t>(len), '\0');
  }
  for (std::string& b : out.buffers) out.iov.push_back(iovec{b.data(), b.size()});
  return out;
}

// The iovec count argument must agree with the array (packetdrill checks this too).
SyscallStatus CheckIovCount(const Call& c, std::size_t i, const IoVecs& v) {
  MPD_ASSIGN(std::int64_t n, c.Int(i));
  if (n != static_cast<std::int64_t>(v.iov.size())) {
    return MakeUnexpected(c.ErrorAt(c.arg(i), "iov count " + std::to_string(n) +
                                                  " does not match the " +
                                                  std::to_string(v.iov.size()) +
                                                  "-element iovec array"));
  }
  return Ok{};
}

// A {msg_name(...)=..., msg_iov(N)=[...], msg_flags=F} message header.
struct Msg {
  IoVecs iov;
  SockAddr name;
  bool has_name = false;
  std::optional<std::int64_t> flags;
  const Expr* control = nullptr;
  msghdr hdr{};
};

Result<Msg, SyscallError> MakeMsg(const Call& c, const Expr& e, bool sending) {
  if (e.kind != ExprKind::kBraces) {
    return MakeUnexpected(c.ErrorAt(e, "expected a msghdr {msg_name(...)=..., ...}, got " +
                                           Describe(e)));
  }
  Msg m;
  bool have_iov = false;
  for (const Expr& f : e.children) {
    if (f.kind != ExprKind::kAssign || f.children.size() != 2) {
      return MakeUnexpected(c.ErrorAt(f, "expected field=value in a msghdr"));
    }
    const Expr& key = f.children[0];
    const Expr& value = f.children[1];
    if (key.text == "msg_name") {
      // sendmsg: `...` is the run's connect address, like sendto(..., ...); recvmsg: space
      // for the sender's address, not checked.
      m.has_name = true;
      if (sending) {
        MPD_ASSIGN(m.name, c.AddressOf(value, AddrRole::kConnect));
      }
    } else if (key.text == "msg_iov") {
      MPD_ASSIGN(m.iov, MakeIoVecs(c, value));
      have_iov = true;
      if (key.kind == ExprKind::kCall && key.children.size() == 1) {
        MPD_ASSIGN(std::int64_t n, c.Int(key.children[0]));
        if (n != static_cast<std::int64_t>(m.iov.iov.size())) {
          return MakeUnexpected(c.ErrorAt(key, "msg_iov(" + std::to_string(n) +
                                                   ") does not match its array"));
        }
      }
    } else if (key.text == "msg_flags") {
      MPD_ASSIGN(std::int64_t v, c.Int(value));
      m.flags = v;
    } else if (key.text == "msg_control") {
      m.control = &value;
    } else {
      return MakeUnexpected(c.ErrorAt(f, "unknown msghdr field: " + key.text));
    }
  }
  if (!have_iov) return MakeUnexpected(c.ErrorAt(e, "msghdr without msg_iov"));
  return m;
}

SyscallStatus DoBufferCall(Call& c, bool sending, std::size_t buf_arg, std::size_t count_arg,
                           std::optional<std::size_t> flags_arg) {
  const int fd_index = 0;
  MPD_ASSIGN(int fd, c.Fd(fd_index));
  MPD_ASSIGN(bool null, c.BufferIsNull(buf_arg));
  MPD_ASSIGN(std::size_t count, Count(c, count_arg));
  int flags = 0;
  if (flags_arg) {
    MPD_ASSIGN(std::int64_t f, c.Int(*flags_arg));
    flags = static_cast<int>(f);
  }
  std::string buf(null ? 0 : count, '\0');
  void* p = null ? nullptr : buf.data();
  if (sending) {
    if (flags_arg) {
      c.Perform([&] { return send(fd, p, count, flags); });
    } else {
      c.Perform([&] { return write(fd, p, count); });
    }
  } else if (flags_arg) {
    c.Perform([&] { return recv(fd, p, count, flags); });
  } else {
    c.Perform([&] { return read(fd, p, count); });
  }
  c.Finish(Check::kExact);
  return Ok{};
}

}  // namespace

SyscallStatus DoRead(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  return DoBufferCall(c, false, 1, 2, std::nullopt);
}

SyscallStatus DoWrite(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  return DoBufferCall(c, true, 1, 2, std::nullopt);
}

SyscallStatus DoRecv(Call& c) {
  MPD_TRY(c.ExpectArgs(4));
  return DoBufferCall(c, false, 1, 2, 3);
}

SyscallStatus DoSend(Call& c) {
  MPD_TRY(c.ExpectArgs(4));
  return DoBufferCall(c, true, 1, 2, 3);
}

SyscallStatus DoReadv(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(IoVecs v, MakeIoVecs(c, c.arg(1)));
  MPD_TRY(CheckIovCount(c, 2, v));
  c.Perform([&] { return readv(fd, v.iov.data(), static_cast<int>(v.iov.size())); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoWritev(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(IoVecs v, MakeIoVecs(c, c.arg(1)));
  MPD_TRY(CheckIovCount(c, 2, v));
  c.Perform([&] { return writev(fd, v.iov.data(), static_cast<int>(v.iov.size())); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoRecvfrom(Call& c) {
  MPD_TRY(c.ExpectArgs(6));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(bool null, c.BufferIsNull(1));
  MPD_ASSIGN(std::size_t count, Count(c, 2));
  MPD_ASSIGN(std::int64_t flags, c.Int(3));
  // The sender's address and its length are not checked.
  std::string buf(null ? 0 : count, '\0');
  sockaddr_storage from{};
  socklen_t from_len = sizeof(from);
  c.Perform([&] {
    return recvfrom(fd, null ? nullptr : buf.data(), count, static_cast<int>(flags),
                    reinterpret_cast<sockaddr*>(&from), &from_len);
  });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoSendto(Call& c) {
  MPD_TRY(c.ExpectArgs(6));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(bool null, c.BufferIsNull(1));
  MPD_ASSIGN(std::size_t count, Count(c, 2));
  MPD_ASSIGN(std::int64_t flags, c.Int(3));
  MPD_ASSIGN(SockAddr to, c.Address(4, AddrRole::kConnect));
  if (!c.IsEllipsis(5)) {
    MPD_ASSIGN(std::int64_t len, c.Int(5));
    to.len = static_cast<socklen_t>(len);
  }
  std::string buf(null ? 0 : count, '\0');
  c.Perform([&] {
    return sendto(fd, null ? nullptr : buf.data(), count, static_cast<int>(flags), to.get(),
                  to.len);
  });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoSendmsg(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(Msg m, MakeMsg(c, c.arg(1), true));
  MPD_ASSIGN(std::int64_t flags, c.Int(2));
  if (m.flags && *m.flags != 0) {
    return MakeUnexpected(c.ErrorAt(c.arg(1), "sendmsg ignores msg_flags: write msg_flags=0"));
  }
  if (m.control != nullptr) {
    return MakeUnexpected(c.ErrorAt(*m.control, "sendmsg with msg_control is not supported"));
  }
  m.hdr.msg_iov = m.iov.iov.data();
  m.hdr.msg_iovlen = m.iov.iov.size();
  if (m.has_name) {
    m.hdr.msg_name = m.name.get();
    m.hdr.msg_namelen = m.name.len;
  }
  c.Perform([&] { return sendmsg(fd, &m.hdr, static_cast<int>(flags)); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoRecvmsg(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(Msg m, MakeMsg(c, c.arg(1), false));
  MPD_ASSIGN(std::int64_t flags, c.Int(2));
  std::string control(m.control != nullptr ? 1024 : 0, '\0');
  m.hdr.msg_iov = m.iov.iov.data();
  m.hdr.msg_iovlen = m.iov.iov.size();
  if (m.has_name) {
    m.hdr.msg_name = m.name.get();
    m.hdr.msg_namelen = sizeof(m.name.storage);
  }
  if (m.control != nullptr) {
    m.hdr.msg_control = control.data();
    m.hdr.msg_controllen = control.size();
  }
  c.Perform([&] { return recvmsg(fd, &m.hdr, static_cast<int>(flags)); });
  if (!c.Finish(Check::kExact) || c.result() < 0) return Ok{};
  if (m.flags && *m.flags != m.hdr.msg_flags) {
    c.AddMismatch("msg_flags", std::to_string(*m.flags), std::to_string(m.hdr.msg_flags));
  }
  return Ok{};
}

SyscallStatus DoSplice(Call& c) {
  MPD_TRY(c.ExpectArgs(6));
  MPD_ASSIGN(int fd_in, c.Fd(0));
  MPD_ASSIGN(int fd_out, c.Fd(2));
  for (std::size_t i : {std::size_t{1}, std::size_t{3}}) {
    MPD_ASSIGN(std::int64_t off, c.Int(i));
    if (off != 0) return MakeUnexpected(c.ErrorAt(c.arg(i), "splice offsets must be NULL"));
  }
  MPD_ASSIGN(std::size_t len, Count(c, 4));
  MPD_ASSIGN(std::int64_t flags, c.Int(5));
  c.Perform([&] {
    return splice(fd_in, nullptr, fd_out, nullptr, len, static_cast<unsigned>(flags));
  });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoSendfile(Call& c) {
  MPD_TRY(c.ExpectArgs(4));
  MPD_ASSIGN(int out_fd, c.Fd(0));
  MPD_ASSIGN(int in_fd, c.Fd(1));
  // offset: NULL (use the file position) or [N] (start there; not checked afterwards).
  off_t offset = 0;
  bool use_offset = false;
  if (c.arg(2).kind == ExprKind::kList) {
    MPD_ASSIGN(std::int64_t off, c.Bracketed(2));
    offset = static_cast<off_t>(off);
    use_offset = true;
  } else {
    MPD_ASSIGN(bool null, c.BufferIsNull(2));
    if (!null) return MakeUnexpected(c.ErrorAt(c.arg(2), "sendfile offset: NULL or [N]"));
  }
  MPD_ASSIGN(std::size_t count, Count(c, 3));
  c.Perform([&] { return sendfile(out_fd, in_fd, use_offset ? &offset : nullptr, count); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoPipe(Call& c) {
  MPD_TRY(c.ExpectArgs(1));
  const Expr& list = c.arg(0);
  if (list.kind != ExprKind::kList || list.children.size() != 2) {
    return MakeUnexpected(c.ErrorAt(list, "pipe wants [read_fd, write_fd]"));
  }
  MPD_ASSIGN(std::int64_t script_r, c.Int(list.children[0]));
  MPD_ASSIGN(std::int64_t script_w, c.Int(list.children[1]));
  int fds[2] = {-1, -1};
  c.Perform([&] { return pipe(fds); });
  const bool matched = c.Finish(Check::kExact);
  if (c.result() < 0) return Ok{};
  if (!matched) {
    close(fds[0]);
    close(fds[1]);
    return Ok{};
  }
  auto added = c.AddFd(static_cast<int>(script_r), fds[0], list.children[0]);
  if (!added.ok()) {
    close(fds[1]);
    return added;
  }
  return c.AddFd(static_cast<int>(script_w), fds[1], list.children[1]);
}

SyscallStatus DoOpen(Call& c) {
  MPD_TRY(c.ExpectArgs(2, 3));
  MPD_ASSIGN(std::string path, c.eval().Bytes(c.arg(0)));
  MPD_ASSIGN(std::int64_t flags, c.Int(1));
  std::int64_t mode = 0;
  if (c.arg_count() == 3) {
    MPD_ASSIGN(mode, c.Int(2));
  }
  c.Perform([&] {
    return open(path.c_str(), static_cast<int>(flags), static_cast<mode_t>(mode));
  });
  const bool matched = c.Finish(Check::kFd);
  if (c.result() < 0) return Ok{};
  const int live = static_cast<int>(c.result());
  if (!matched) {
    close(live);
    return Ok{};
  }
  MPD_ASSIGN(int script_fd, c.ScriptFdForResult());
  return c.AddFd(script_fd, live, c.result_expr());
}

}  // namespace mpdrill::syscalls::internal
