// fcntl, ioctl, poll, epoll_create, epoll_create1, epoll_ctl, epoll_wait.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "engine/syscalls/executor_internal.h"

namespace mpdrill::syscalls::internal {
namespace {

using parser::Expr;
using parser::ExprKind;

constexpr std::size_t kMaxEvents = 1024;

// "POLLIN|POLLOUT" (or "0"); unknown bits in hex.
std::string EventText(std::uint32_t bits, bool epoll) {
  struct Bit {
    std::uint32_t bit;
    const char* name;
  };
  static constexpr Bit kPoll[] = {{POLLIN, "POLLIN"},     {POLLPRI, "POLLPRI"},
                                  {POLLOUT, "POLLOUT"},   {POLLERR, "POLLERR"},
                                  {POLLHUP, "POLLHUP"},   {POLLNVAL, "POLLNVAL"},
                                  {POLLRDNORM, "POLLRDNORM"}, {POLLRDBAND, "POLLRDBAND"},
                                  {POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"},
                                  {POLLRDHUP, "POLLRDHUP"}};
  static constexpr Bit kEpoll[] = {{EPOLLIN, "EPOLLIN"},     {EPOLLPRI, "EPOLLPRI"},
                                   {EPOLLOUT, "EPOLLOUT"},   {EPOLLERR, "EPOLLERR"},
                                   {EPOLLHUP, "EPOLLHUP"},   {EPOLLRDNORM, "EPOLLRDNORM"},
                                   {EPOLLRDBAND, "EPOLLRDBAND"}, {EPOLLWRNORM, "EPOLLWRNORM"},
                                   {EPOLLWRBAND, "EPOLLWRBAND"}, {EPOLLRDHUP, "EPOLLRDHUP"}};
  if (bits == 0) return "0";
  std::string out;
  auto add = [&out](const std::string& s) {
    if (!out.empty()) out += "|";
    out += s;
  };
  const Bit* begin = epoll ? std::begin(kEpoll) : std::begin(kPoll);
  const Bit* end = epoll ? std::end(kEpoll) : std::end(kPoll);
  for (const Bit* b = begin; b != end; ++b) {
    if ((bits & b->bit) != 0) {
      add(b->name);
      bits &= ~b->bit;
    }
  }
  if (bits != 0) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%x", bits);
    add(hex);
  }
  return out;
}

// {events=EPOLLIN, fd=4 | ptr=... | u32=... | u64=...}: events and the opaque data word.
struct EpollSpec {
  std::uint32_t events = 0;
  std::uint64_t data = 0;
};

Result<EpollSpec, SyscallError> MakeEpollEvent(const Call& c, const Expr& e) {
  if (e.kind != ExprKind::kBraces) {
    return MakeUnexpected(c.ErrorAt(e, "expected {events=..., fd=...}, got " + Describe(e)));
  }
  EpollSpec out;
  for (const Expr& f : e.children) {
    if (f.kind != ExprKind::kAssign || f.children.size() != 2 ||
        f.children[0].kind != ExprKind::kWord) {
      return MakeUnexpected(c.ErrorAt(f, "expected field=value in an epoll_event"));
    }
    const std::string& key = f.children[0].text;
    MPD_ASSIGN(std::int64_t v, c.Int(f.children[1]));
    if (key == "events") {
      out.events = static_cast<std::uint32_t>(v);
    } else if (key == "fd" || key == "u32") {
      // The script's own number, kept opaque by the kernel: epoll_wait returns it as written.
      out.data = static_cast<std::uint32_t>(v);
    } else if (key == "ptr" || key == "u64") {
      out.data = static_cast<std::uint64_t>(v);
    } else {
      return MakeUnexpected(c.ErrorAt(f, "unknown epoll_event field: " + key));
    }
  }
  return out;
}

}  // namespace

SyscallStatus DoFcntl(Call& c) {
  MPD_TRY(c.ExpectArgs(2, 3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(std::int64_t cmd, c.Int(1));
  if (c.arg_count() == 2) {
    c.Perform([&] { return fcntl(fd, static_cast<int>(cmd)); });
  } else {
    MPD_ASSIGN(std::int64_t value, c.Int(2));
    c.Perform([&] { return fcntl(fd, static_cast<int>(cmd), static_cast<long>(value)); });
  }
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoIoctl(Call& c) {
  MPD_TRY(c.ExpectArgs(2, 3));
  MPD_ASSIGN(int fd, c.Fd(0));
  MPD_ASSIGN(std::int64_t request, c.Int(1));
  if (c.arg_count() == 2) {
    c.Perform([&] { return ioctl(fd, static_cast<unsigned long>(request)); });
    c.Finish(Check::kExact);
    return Ok{};
  }
  // ioctl(fd, SIOCINQ, [N]): an int in and out; the value after the call is compared with N.
  std::optional<std::int64_t> expected;
  if (!c.IsEllipsis(2)) {
    MPD_ASSIGN(std::int64_t v, c.Bracketed(2));
    expected = v;
  }
  int value = static_cast<int>(expected.value_or(0));
  c.Perform([&] { return ioctl(fd, static_cast<unsigned long>(request), &value); });
  if (!c.Finish(Check::kExact) || c.result() < 0) return Ok{};
  if (expected && value != *expected) {
    c.AddMismatch("value", std::to_string(*expected), std::to_string(value));
  }
  return Ok{};
}

SyscallStatus DoPoll(Call& c) {
  MPD_TRY(c.ExpectArgs(3));
  const Expr& list = c.arg(0);
  if (list.kind != ExprKind::kList) {
    return MakeUnexpected(c.ErrorAt(list, "expected [{fd=..., events=...}, ...], got " +
                                              Describe(list)));
  }
  if (list.children.size() > kMaxEvents) return MakeUnexpected(c.ErrorAt(list, "too many pollfds"));
  std::vector<pollfd> fds;
  std::vector<std::int64_t> want_revents;
  for (const Expr& e : list.children) {
    if (parser::ClassifyBraces(e) != parser::BraceForm::kPollfd) {
      return MakeUnexpected(c.ErrorAt(e, "expected {fd=..., events=...[, revents=...]}"));
    }
    pollfd p{};
    std::int64_t revents = 0;  // packetdrill: no revents written means none expected
    for (const Expr& f : e.children) {
      if (f.kind != ExprKind::kAssign || f.children.size() != 2) {
        return MakeUnexpected(c.ErrorAt(f, "expected field=value in a pollfd"));
      }
      const std::string& key = f.children[0].text;
      if (key == "fd") {
        MPD_ASSIGN(p.fd, c.FdOf(f.children[1]));
      } else if (key == "events") {
        MPD_ASSIGN(std::int64_t v, c.Int(f.children[1]));
        p.events = static_cast<short>(v);
      } else if (key == "revents") {
        MPD_ASSIGN(revents, c.Int(f.children[1]));
      } else {
        return MakeUnexpected(c.ErrorAt(f, "unknown pollfd field: " + key));
      }
    }
    fds.push_back(p);
    want_revents.push_back(revents);
  }
  MPD_ASSIGN(std::int64_t nfds, c.Int(1));
  if (nfds != static_cast<std::int64_t>(fds.size())) {
    return MakeUnexpected(c.ErrorAt(c.arg(1), "nfds " + std::to_string(nfds) +
                                                  " does not match the " +
                                                  std::to_string(fds.size()) +
                                                  "-element pollfd array"));
  }
  MPD_ASSIGN(std::int64_t timeout, c.Int(2));
  c.Perform([&] { return poll(fds.data(), fds.size(), static_cast<int>(timeout)); });
  if (!c.Finish(Check::kExact) || c.result() < 0) return Ok{};
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const auto got = static_cast<std::uint16_t>(fds[i].revents);
    const auto want = static_cast<std::uint16_t>(want_revents[i]);
    if (got != want) {
      c.AddMismatch("pollfd[" + std::to_string(i) + "].revents", EventText(want, false),
                    EventText(got, false));
    }
  }
  return Ok{};
}

SyscallStatus DoEpollCreate(Call& c) {
  MPD_TRY(c.ExpectArgs(1));
  MPD_ASSIGN(std::int64_t size, c.Int(0));
  c.Perform([&] { return epoll_create(static_cast<int>(size)); });
  return c.AdoptResultFd(c.Finish(Check::kFd));
}

SyscallStatus DoEpollCreate1(Call& c) {
  MPD_TRY(c.ExpectArgs(1));
  MPD_ASSIGN(std::int64_t flags, c.Int(0));
  c.Perform([&] { return epoll_create1(static_cast<int>(flags)); });
  return c.AdoptResultFd(c.Finish(Check::kFd));
}

SyscallStatus DoEpollCtl(Call& c) {
  MPD_TRY(c.ExpectArgs(4));
  MPD_ASSIGN(int epfd, c.Fd(0));
  MPD_ASSIGN(std::int64_t op, c.Int(1));
  MPD_ASSIGN(int fd, c.Fd(2));
  epoll_event ev{};
  epoll_event* evp = nullptr;
  if (c.arg(3).kind == ExprKind::kBraces) {
    MPD_ASSIGN(EpollSpec spec, MakeEpollEvent(c, c.arg(3)));
    ev.events = spec.events;
    ev.data.u64 = spec.data;
    evp = &ev;
  } else {
    MPD_ASSIGN(bool null, c.BufferIsNull(3));
    (void)null;  // EPOLL_CTL_DEL may pass NULL
  }
  c.Perform([&] { return epoll_ctl(epfd, static_cast<int>(op), fd, evp); });
  c.Finish(Check::kExact);
  return Ok{};
}

SyscallStatus DoEpollWait(Call& c) {
  MPD_TRY(c.ExpectArgs(4));
  MPD_ASSIGN(int epfd, c.Fd(0));
  std::vector<EpollSpec> expected;
  const bool check_events = !c.IsEllipsis(1);
  // packetdrill's form: one struct, compared with the first slot of the answer whatever the
  // count (a zeroed slot when nothing came: `{events=0, ptr=0}` with `= 0`).
  const bool single = c.arg(1).kind == ExprKind::kBraces;
  if (single) {
    MPD_ASSIGN(EpollSpec spec, MakeEpollEvent(c, c.arg(1)));
    expected.push_back(spec);
  } else if (check_events) {
    const Expr& list = c.arg(1);
    if (list.kind != ExprKind::kList) {
      return MakeUnexpected(c.ErrorAt(list, "expected {events=..., fd=...}, [{events=..., fd=...}, ...] or ..."));
    }
    for (const Expr& e : list.children) {
      MPD_ASSIGN(EpollSpec spec, MakeEpollEvent(c, e));
      expected.push_back(spec);
    }
  }
  MPD_ASSIGN(std::int64_t maxevents, c.Int(2));
  MPD_ASSIGN(std::int64_t timeout, c.Int(3));
  if (maxevents < 0 || maxevents > static_cast<std::int64_t>(kMaxEvents)) {
    return MakeUnexpected(c.ErrorAt(c.arg(2), "maxevents out of range"));
  }
  std::vector<epoll_event> events(static_cast<std::size_t>(std::max<std::int64_t>(maxevents, 1)));
  c.Perform([&] {
    return epoll_wait(epfd, events.data(), static_cast<int>(maxevents), static_cast<int>(timeout));
  });
  if (!c.Finish(Check::kExact) || c.result() < 0 || !check_events) return Ok{};
  const auto n = single ? std::size_t{1} : static_cast<std::size_t>(c.result());
  if (n != expected.size()) {
    c.AddMismatch("events", std::to_string(expected.size()) + " events", std::to_string(n));
    return Ok{};
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::string at = "events[" + std::to_string(i) + "]";
    if (events[i].events != expected[i].events) {
      c.AddMismatch(at + ".events", EventText(expected[i].events, true),
                    EventText(events[i].events, true));
    }
    if (events[i].data.u64 != expected[i].data) {
      c.AddMismatch(at + ".data", std::to_string(expected[i].data),
                    std::to_string(events[i].data.u64));
    }
  }
  return Ok{};
}

}  // namespace mpdrill::syscalls::internal
