// Data calls: read, readv, recv, recvfrom, write, writev, send, sendto, splice, sendfile, and the
// fd-making pipe and open (sendmsg and recvmsg are in calls_msg.cc).
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
  return c.AdoptResultFd(c.Finish(Check::kFd));
}

}  // namespace mpdrill::syscalls::internal
