// Real calls inside a private network namespace: TCP and MPTCP over loopback, socket options,
// pipes, poll, epoll, fcntl, mismatch messages and script errors with their locations.
#include "engine/syscalls/executor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <thread>

#include "engine/syscalls/test_util.h"
#include "gtest/gtest.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/sandbox_test_util.h"
#include "sandbox/topology.h"

namespace mpdrill::syscalls {
namespace {

using test_util::ParseCalls;
using test_util::RunAll;
using test_util::RunMatching;

// 192.0.2.1 on the namespace's loopback: the run talks to itself.
Context LoopbackContext() {
  Context ctx;
  ctx.local_ip = "192.0.2.1";
  ctx.remote_ip = "192.0.2.1";
  ctx.bind_port = 8080;
  ctx.connect_port = 8080;
  return ctx;
}

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = sandbox::NetNamespace::Create();
    if (!ns.ok()) {
      if (ns.error().code == sandbox::SandboxErrorCode::kPermission) {
        GTEST_SKIP() << "needs root (CAP_SYS_ADMIN) to create a network namespace: "
                     << ns.error().message;
      }
      FAIL() << ns.error().message;
    }
    ns_.emplace(std::move(ns).value());
    ASSERT_TRUE(sandbox::LoopbackUp(*ns_).ok());
    auto added = sandbox::AddAddress(*ns_, "lo", "192.0.2.1/32");
    ASSERT_TRUE(added.ok()) << added.error().message;
    auto entered = sandbox::ScopedNetnsEnter::Enter(*ns_);
    ASSERT_TRUE(entered.ok()) << entered.error().message;
    enter_.emplace(std::move(entered).value());
  }
  void TearDown() override {
    enter_.reset();  // back to the test's own namespace first
    ns_.reset();
  }

  // True iff this kernel lets the namespace open MPTCP sockets.
  static bool MptcpAvailable() {
    const int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
    if (fd < 0) return false;
    close(fd);
    return true;
  }

  std::optional<sandbox::NetNamespace> ns_;
  std::optional<sandbox::ScopedNetnsEnter> enter_;
};

TEST_F(ExecutorTest, TcpOverLoopback) {
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 connect(4, ..., ...) = 0
+0 accept(3, ..., ...) = 5
+0 write(4, ..., 1000) = 1000
+0 send(4, ..., 500, 0) = 500
+0 writev(4, [{..., 10}, {..., 20}], 2) = 30
+0 read(5, ..., 1000) = 1000
+0 recv(5, ..., 500, 0) = 500
+0 readv(5, [{..., 5}, {..., 100}], 2) = 30
+0 recv(5, ..., 10, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)
+0 shutdown(4, SHUT_WR) = 0
+0 read(5, ..., 10) = 0
+0 close(5) = 0
+0 close(4) = 0
+0 close(3) = 0
)");
  EXPECT_EQ(ex.RealFd(3), std::nullopt);
}

TEST_F(ExecutorTest, ScriptFdsAreMappedAndReported) {
  Executor ex(LoopbackContext());
  // A script fd number far from the real one still works, and the outcome says what opened.
  auto outcomes = RunAll(ex, "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 17\n"
                             "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = ...\n"
                             "+0 close(17) = 0\n");
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].opened_fds, std::vector<int>{17});
  EXPECT_EQ(outcomes[1].opened_fds, std::vector<int>{3});  // `...`: the lowest free from 3
  EXPECT_EQ(outcomes[2].closed_fds, std::vector<int>{17});
  const std::optional<int> live = ex.RealFd(3);
  ASSERT_TRUE(live.has_value());
  EXPECT_GE(fcntl(*live, F_GETFD), 0);
  ex.CloseAll();
  EXPECT_EQ(ex.RealFd(3), std::nullopt);
  EXPECT_EQ(fcntl(*live, F_GETFD), -1);  // closed
}

TEST_F(ExecutorTest, MptcpOverLoopback) {
  if (!MptcpAvailable()) GTEST_SKIP() << "this kernel has no IPPROTO_MPTCP sockets";
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3
+0 getsockopt(3, SOL_TCP, TCP_IS_MPTCP, [1], [4]) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 4
+0 connect(4, ..., ...) = 0
+0 accept(3, ..., ...) = 5
+0 getsockopt(4, SOL_TCP, TCP_IS_MPTCP, [1], [4]) = 0
+0 getsockopt(5, SOL_TCP, TCP_IS_MPTCP, [1], [4]) = 0
+0 getsockopt(4, SOL_MPTCP, MPTCP_INFO, ..., ...) = 0
+0 write(4, ..., 2000) = 2000
+0 read(5, ..., 2000) = 2000
+0 close(4) = 0
+0 close(5) = 0
+0 close(3) = 0
)");
}

TEST_F(ExecutorTest, MptcpInfoAndTcpInfoFields) {
  if (!MptcpAvailable()) GTEST_SKIP() << "this kernel has no IPPROTO_MPTCP sockets";
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=10}, ...) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 4
+0 connect(4, ..., ...) = 0
+0 accept(3, ..., ...) = 5
+0 write(4, ..., 2000) = 2000
+0 read(5, ..., 2000) = 2000
+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=1, tcpi_retransmits=0}, ...) = 0
+0 getsockopt(4, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=0, mptcpi_csum_enabled=0, mptcpi_token=..., mptcpi_bytes_sent=2000}, ...) = 0
+0 getsockopt(5, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=0, mptcpi_bytes_received=2000, mptcpi_subflows_total=1}, ...) = 0
)");
  auto outcomes = RunAll(ex, "+0 getsockopt(5, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=3}, ...) = 0\n");
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].mismatch);
  EXPECT_EQ(*outcomes[0].mismatch, "getsockopt: mptcpi_subflows: expected: 3 actual: 0");
  auto calls = ParseCalls("+0 getsockopt(5, SOL_MPTCP, MPTCP_INFO, {mptcpi_nope=3}, ...) = 0\n");
  auto bad = ex.Run(calls.at(0).call, calls.at(0).loc);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "getsockopt: unknown field: mptcpi_nope");
}

TEST_F(ExecutorTest, PlainTcpSocketIsNotMptcp) {
  if (!MptcpAvailable()) GTEST_SKIP() << "this kernel has no IPPROTO_MPTCP sockets";
  Executor ex(LoopbackContext());
  RunMatching(ex, "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                  "+0 getsockopt(3, SOL_TCP, TCP_IS_MPTCP, [0], [4]) = 0\n");
}

TEST_F(ExecutorTest, SocketOptionRoundTrips) {
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 getsockopt(3, SOL_TCP, TCP_NODELAY, [0], [4]) = 0
+0 setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0
+0 getsockopt(3, SOL_TCP, TCP_NODELAY, [1], [4]) = 0
+0 setsockopt(3, SOL_IP, IP_TTL, [2], 4) = 0
+0 getsockopt(3, SOL_IP, IP_TTL, [2], [4]) = 0
+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0 getsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, [8]) = 0
+0 setsockopt(3, SOL_SOCKET, SO_RCVTIMEO, {tv_sec=2, tv_usec=0}, 16) = 0
+0 getsockopt(3, SOL_SOCKET, SO_RCVTIMEO, {tv_sec=2, tv_usec=0}, [16]) = 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 getsockopt(3, SOL_SOCKET, SO_TYPE, [SOCK_STREAM], [4]) = 0
+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, "reno", 4) = 0
+0 getsockopt(3, SOL_TCP, TCP_CONGESTION, "reno\0\0\0\0\0\0\0\0\0\0\0\0", [16]) = 0
+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_CONNECT, [1], 4) = 0
+0 getsockopt(3, SOL_TCP, TCP_FASTOPEN_CONNECT, [1], [4]) = 0
+0 setsockopt(3, SOL_TCP, 9999, [1], 4) = -1 ENOPROTOOPT (Protocol not available)
+0 setsockopt(3, SOL_TCP, TCP_MAXSEG, [1], 4) = -1 (Invalid argument)
)");
}

TEST_F(ExecutorTest, FastOpenOptionsAndMsgFastopen) {
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "d4d4d4d4c3c3c3c3b2b2b2b2a1a1a1a1", 32) = 0
+0 getsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "d4d4d4d4c3c3c3c3b2b2b2b2a1a1a1a1", [32]) = 0
+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [2], 4) = 0
+0 getsockopt(3, SOL_TCP, TCP_FASTOPEN, [2], [4]) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 8) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 setsockopt(4, SOL_TCP, TCP_FASTOPEN_NO_COOKIE, [1], 4) = 0
+0 sendto(4, ..., 500, MSG_FASTOPEN, ..., ...) = 500
+0 accept(3, ..., ...) = 5
+0 read(5, ..., 1000) = 500
)");
}

TEST_F(ExecutorTest, PollAndEpollOnAPipe) {
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 pipe([3, 4]) = 0
+0 poll([{fd=3, events=POLLIN}], 1, 0) = 0
+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0 write(4, ..., 10) = 10
+0 poll([{fd=3, events=POLLIN, revents=POLLIN}, {fd=4, events=POLLOUT, revents=POLLOUT}], 2, 0) = 2
+0 epoll_create1(0) = 5
+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = 0
+0 epoll_wait(5, [{events=EPOLLIN, fd=3}], 8, 0) = 1
+0 ioctl(3, FIONREAD, [10]) = 0
+0 read(3, ..., 100) = 10
+0 epoll_wait(5, ..., 8, 0) = 0
+0 epoll_ctl(5, EPOLL_CTL_DEL, 3, NULL) = 0
+0 epoll_create(1) = 6
+0 close(4) = 0
+0 poll([{fd=3, events=POLLIN, revents=POLLHUP}], 1, 0) = 1
+0 close(3) = 0
+0 close(5) = 0
+0 close(6) = 0
)");
}

TEST_F(ExecutorTest, SpliceBetweenSocketAndPipe) {
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 connect(4, ..., ...) = 0
+0 accept(3, ..., ...) = 5
+0 pipe([6, 7]) = 0
+0 write(4, ..., 100) = 100
+0 poll([{fd=5, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
+0 splice(5, NULL, 7, NULL, 100, 0) = 100
+0 read(6, ..., 200) = 100
)");
}

TEST_F(ExecutorTest, OpenAndSendfile) {
  char path[] = "/tmp/mpdrill-syscalls-XXXXXX";
  const int tmp = mkstemp(path);
  ASSERT_GE(tmp, 0);
  const std::string data(300, 'x');
  ASSERT_EQ(write(tmp, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  close(tmp);
  Executor ex(LoopbackContext());
  RunMatching(ex, std::string(R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 connect(4, ..., ...) = 0
+0 accept(3, ..., ...) = 5
+0 open(")") + path + R"(", O_RDONLY) = 6
+0 sendfile(4, 6, NULL, 100) = 100
+0 sendfile(4, 6, [250], 100) = 50
+0 read(5, ..., 1000) = 150
+0 open("/nonexistent/mpdrill", O_RDONLY) = -1 ENOENT (No such file or directory)
)");
  unlink(path);
}

TEST_F(ExecutorTest, WriteToAClosedPipeIsEpipeNotSigpipe) {
  Executor ex(LoopbackContext());
  RunMatching(ex, "+0 pipe([3, 4]) = 0\n"
                  "+0 close(3) = 0\n"
                  "+0 write(4, ..., 1) = -1 EPIPE (Broken pipe)\n"
                  "+0 write(4, ..., 1) = -1 (Broken pipe)\n");
}

TEST_F(ExecutorTest, FcntlFlagsAndNonBlockingCalls) {
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 fcntl(3, F_GETFL) = O_RDWR|O_NONBLOCK
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
+0 socket(..., SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 4
+0 connect(4, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 1000) = 1
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 accept(3, ..., ...) = 5
+0 fcntl(5, F_GETFD) = 0
+0 fcntl(5, F_SETFD, FD_CLOEXEC) = 0
+0 fcntl(5, F_GETFD) = FD_CLOEXEC
)");
}

TEST_F(ExecutorTest, BlockingAcceptOnAnotherThread) {
  Executor ex(LoopbackContext());
  RunMatching(ex, "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                  "+0 bind(3, ..., ...) = 0\n"
                  "+0 listen(3, 1) = 0\n");
  // The runner's shape: a blocking call on a syscall thread while the main thread goes on.
  std::optional<Outcome> accepted;
  std::thread syscall_thread([&] {
    auto calls = ParseCalls("+0 accept(3, ..., ...) = 4\n");
    auto r = ex.Run(calls.at(0).call, calls.at(0).loc);
    if (r.ok()) accepted = std::move(r).value();
  });
  RunMatching(ex, "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n"
                  "+0 connect(5, ..., ...) = 0\n");
  syscall_thread.join();
  ASSERT_TRUE(accepted.has_value());
  EXPECT_FALSE(accepted->mismatch.has_value()) << *accepted->mismatch;
  EXPECT_TRUE(ex.RealFd(4).has_value());
}

// True once thread `tid` of this process sleeps in the kernel (packetdrill's test for "the
// syscall thread is blocked"), polling for at most 2 s.
bool WaitUntilSleeping(pid_t tid) {
  const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(path);
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'S') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(ExecutorTest, DestroyingTheExecutorWakesABlockedCall) {
  auto ex = std::make_unique<Executor>(LoopbackContext());
  RunMatching(*ex, "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                   "+0 bind(3, ..., ...) = 0\n"
                   "+0 listen(3, 1) = 0\n");
  auto calls = ParseCalls("+0 accept(3, ..., ...) = 4\n");
  ASSERT_EQ(calls.size(), 1u);
  std::atomic<pid_t> tid{0};
  std::optional<Outcome> outcome;
  Executor* raw = ex.get();
  std::thread syscall_thread([&] {
    tid = gettid();
    auto r = raw->Run(calls[0].call, calls[0].loc);
    if (r.ok()) outcome = std::move(r).value();
  });
  while (tid == 0) std::this_thread::yield();
  ASSERT_TRUE(WaitUntilSleeping(tid));
  calls.clear();  // the script goes away too: the call holds its own copy
  ex.reset();     // CloseAll shuts the listener down: accept returns
  syscall_thread.join();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->result, -1);
  ASSERT_TRUE(outcome->mismatch.has_value());
  EXPECT_EQ(outcome->mismatch->rfind("accept: result: expected: 4 actual: -1 (", 0), 0u)
      << *outcome->mismatch;
}

TEST_F(ExecutorTest, Ipv4MappedSocketsAreInet6) {
  Context ctx = LoopbackContext();
  ctx.ipv4_mapped = true;
  Executor ex(ctx);
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 getsockopt(3, SOL_SOCKET, SO_DOMAIN, [AF_INET6], [4]) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 connect(4, ..., ...) = 0
+0 accept(3, ..., ...) = 5
)");
}

// True once a TCP connection to `ip` completes (at most 20 tries of 100 ms). Right after the
// address is added the kernel may still drop the first SYN, and a test must not wait for the
// 1 s SYN retransmission (or hang on accept).
bool WaitForTcp6(const char* ip) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  if (inet_pton(AF_INET6, ip, &sin6.sin6_addr) != 1) return false;
  const int listener = socket(AF_INET6, SOCK_STREAM, 0);
  socklen_t len = sizeof(sin6);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)) != 0 ||
      listen(listener, 8) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&sin6), &len) != 0) {
    if (listener >= 0) close(listener);
    return false;
  }
  bool ok = false;
  for (int i = 0; i < 20 && !ok; ++i) {
    const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6));
    pollfd p{fd, POLLOUT, 0};
    int err = -1;
    socklen_t elen = sizeof(err);
    if (poll(&p, 1, 100) == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    ok = err == 0;
    close(fd);
  }
  close(listener);
  return ok;
}

TEST_F(ExecutorTest, Ipv6OverLoopback) {
  // nodad: usable at once, not "tentative" while duplicate address detection runs.
  auto added = sandbox::RunChecked(
      *ns_, {"ip", "-6", "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad"});
  ASSERT_TRUE(added.ok()) << added.error().message;
  ASSERT_TRUE(WaitForTcp6("2001:db8::1"));
  Context ctx;
  ctx.family = AF_INET6;
  ctx.local_ip = "2001:db8::1";
  ctx.remote_ip = "2001:db8::1";
  Executor ex(ctx);
  RunMatching(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 getsockopt(3, SOL_SOCKET, SO_DOMAIN, [AF_INET6], [4]) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 connect(4, ..., ...) = 0
+0 accept(3, ..., ...) = 5
+0 socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 6
+0 bind(6, {sa_family=AF_INET6, sin6_port=htons(9090), sin6_addr=inet6_addr("2001:db8::1")}, ...) = 0
+0 listen(6, 1) = 0
+0 socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 7
+0 connect(7, {sa_family=AF_INET6, sin6_port=htons(9090), sin6_addr=inet6_addr("2001:db8::1")}, ...) = 0
+0 setsockopt(7, SOL_IPV6, IPV6_TCLASS, [4], 4) = 0
+0 getsockopt(7, SOL_IPV6, IPV6_TCLASS, [4], [4]) = 0
)");
}

TEST_F(ExecutorTest, ExplicitSockaddrsAndFamilies) {
  Executor ex(LoopbackContext());
  RunMatching(ex, R"(
+0 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, {sa_family=AF_INET, sin_port=htons(9090), sin_addr=inet_addr("192.0.2.1")}, 16) = 0
+0 listen(3, 1) = 0
+0 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 4
+0 connect(4, AF_PACKET, ...) = -1 EAFNOSUPPORT (Address family not supported by protocol)
+0 connect(4, {sa_family=AF_INET, sin_port=htons(9090), sin_addr=inet_addr("192.0.2.1")}, ...) = 0
+0 accept(3, ..., ...) = 5
+0 socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 6
+0 bind(6, ..., ...) = 0
+0 sendto(6, ..., 20, 0, ..., ...) = 20
+0 recvfrom(6, ..., 100, 0, ..., ...) = 20
+0 sendmsg(6, {msg_name(...)=..., msg_iov(1)=[{..., 7}], msg_flags=0}, 0) = 7
+0 recvmsg(6, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 7
+0 sendto(6, ..., 200, 0, ..., ...) = 200
+0 recvmsg(6, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=MSG_TRUNC}, 0) = 100
)");
}

TEST_F(ExecutorTest, ControlMessages) {
  Context ctx = LoopbackContext();
  ctx.defines = {{"CMSG_LEVEL_IP", "SOL_IP"}, {"CMSG_TYPE_RECVTOS", "IP_TOS"}};
  Executor ex(ctx);
  auto outcomes = RunAll(ex, R"(
+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 bind(3, ..., ...) = 0
+0 setsockopt(3, SOL_IP, IP_RECVTOS, [1], 4) = 0
+0 sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 5}], msg_control=[{cmsg_level=SOL_IP, cmsg_type=IP_TOS, cmsg_data=8}], msg_flags=0}, 0) = 5
+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_control=[{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVTOS, cmsg_data=8}], msg_flags=0}, 0) = 5
+0 sendto(3, ..., 6, 0, ..., ...) = 6
+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_control=[{cmsg_level=SOL_IP, cmsg_type=IP_TOS, cmsg_data=4}], msg_flags=0}, 0) = 6
+0 sendto(3, ..., 7, 0, ..., ...) = 7
+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_control=[], msg_flags=0}, 0) = 7
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 bind(4, ..., ...) = 0
+0 listen(4, 1) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5
+0 connect(5, ..., ...) = 0
+0 accept(4, ..., ...) = 6
+0 setsockopt(6, SOL_TCP, TCP_INQ, [1], 4) = 0
+0 write(5, ..., 300) = 300
+0 recvmsg(6, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=200}], msg_flags=0}, 0) = 100
)");
  ASSERT_EQ(outcomes.size(), 18u);
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17}) {
    EXPECT_FALSE(outcomes[i].mismatch) << i << ": " << *outcomes[i].mismatch;
  }
  ASSERT_TRUE(outcomes[6].mismatch);
  EXPECT_EQ(*outcomes[6].mismatch, "recvmsg: cmsg[0].cmsg_data: expected: 4 actual: 0");
  ASSERT_TRUE(outcomes[8].mismatch);
  EXPECT_EQ(*outcomes[8].mismatch,
            "recvmsg: cmsgs: expected: 0 control messages actual: more than 0");
}

TEST_F(ExecutorTest, MismatchMessagesNameTheCallAndBothValues) {
  Executor ex(LoopbackContext());
  auto outcomes = RunAll(ex, R"(
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 connect(4, ..., ...) = -1 ETIMEDOUT (Connection timed out)
+0 getsockopt(4, SOL_TCP, TCP_NODELAY, [1], [4]) = 0
+0 socket(..., SOCK_STREAM, 9999) = 5
+0 pipe([6, 7]) = 0
+0 poll([{fd=6, events=POLLIN}], 1, 0) = 0
+0 poll([{fd=7, events=POLLOUT}], 1, 0) = 1
)");
  ASSERT_EQ(outcomes.size(), 9u);
  EXPECT_FALSE(outcomes[0].mismatch);
  ASSERT_TRUE(outcomes[1].mismatch);
  EXPECT_EQ(*outcomes[1].mismatch, "connect: result: expected: 0 actual: -1 (ECONNREFUSED)");
  EXPECT_EQ(outcomes[1].result, -1);
  EXPECT_EQ(outcomes[1].err, ECONNREFUSED);
  ASSERT_TRUE(outcomes[3].mismatch);
  EXPECT_EQ(*outcomes[3].mismatch, "connect: errno: expected: ETIMEDOUT actual: ECONNREFUSED");
  ASSERT_TRUE(outcomes[4].mismatch);
  EXPECT_EQ(*outcomes[4].mismatch, "getsockopt: optval: expected: 1 actual: 0");
  ASSERT_TRUE(outcomes[5].mismatch);
  EXPECT_EQ(*outcomes[5].mismatch,
            "socket: result: expected: 5 actual: -1 (EINVAL)");
  EXPECT_EQ(ex.RealFd(5), std::nullopt);
  EXPECT_FALSE(outcomes[6].mismatch);
  EXPECT_FALSE(outcomes[7].mismatch);
  ASSERT_TRUE(outcomes[8].mismatch);
  EXPECT_EQ(*outcomes[8].mismatch,
            "poll: pollfd[0].revents: expected: 0 actual: POLLOUT");
  auto fcntl_outcomes = RunAll(ex, "+0 fcntl(3, F_GETFL) = 0x802\n");
  ASSERT_EQ(fcntl_outcomes.size(), 1u);
  ASSERT_TRUE(fcntl_outcomes[0].mismatch);
  EXPECT_EQ(*fcntl_outcomes[0].mismatch, "fcntl: result: expected: 0x802 actual: 0x2");
}

TEST_F(ExecutorTest, EpollMismatchesNameTheEventAndField) {
  Executor ex(LoopbackContext());
  auto outcomes = RunAll(ex, R"(
+0 pipe([3, 4]) = 0
+0 write(4, ..., 1) = 1
+0 epoll_create1(0) = 5
+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, u64=77}) = 0
+0 epoll_wait(5, [{events=EPOLLOUT, u64=78}], 4, 0) = 1
+0 epoll_wait(5, [{events=EPOLLIN, u64=77}, {events=EPOLLIN, u64=77}], 4, 0) = ...
)");
  ASSERT_EQ(outcomes.size(), 6u);
  ASSERT_TRUE(outcomes[4].mismatch);
  EXPECT_EQ(*outcomes[4].mismatch,
            "epoll_wait: events[0].events: expected: EPOLLOUT actual: EPOLLIN; "
            "epoll_wait: events[0].data: expected: 78 actual: 77");
  ASSERT_TRUE(outcomes[5].mismatch);
  EXPECT_EQ(*outcomes[5].mismatch, "epoll_wait: events: expected: 2 events actual: 1");
  // The iovec count must agree with the array: a script error, located at the count.
  auto calls = ParseCalls("+0 readv(3, [{..., 1}, {..., 2}], 3) = 1\n");
  auto r = ex.Run(calls.at(0).call, calls.at(0).loc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "readv: iov count 3 does not match the 2-element iovec array");
  EXPECT_EQ(r.error().loc.col, 35);
}

// packetdrill's own form: one struct, compared with the first slot of the answer; with
// nothing ready that slot is zeroed, so `{events=0, ptr=0}` with `= 0` holds.
TEST_F(ExecutorTest, EpollWaitTakesPacketdrillsSingleStruct) {
  Executor ex(LoopbackContext());
  auto outcomes = RunAll(ex, R"(
+0 pipe([3, 4]) = 0
+0 epoll_create1(0) = 5
+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = 0
+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
+0 write(4, ..., 1) = 1
+0 epoll_wait(5, {events=EPOLLIN, fd=3}, 1, 0) = 1
+0 epoll_wait(5, {events=EPOLLIN|EPOLLERR, fd=3}, 1, 0) = 1
)");
  ASSERT_EQ(outcomes.size(), 7u);
  EXPECT_FALSE(outcomes[3].mismatch);
  EXPECT_FALSE(outcomes[5].mismatch);
  ASSERT_TRUE(outcomes[6].mismatch);
  EXPECT_EQ(*outcomes[6].mismatch,
            "epoll_wait: events[0].events: expected: EPOLLIN|EPOLLERR actual: EPOLLIN");
}

TEST_F(ExecutorTest, UnexpectedDescriptorIsClosedNotAdopted) {
  Executor ex(LoopbackContext());
  auto outcomes = RunAll(ex, "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = -1 EMFILE (Too many)\n");
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].mismatch);
  EXPECT_EQ(outcomes[0].mismatch->rfind("socket: result: expected: -1 actual: ", 0), 0u)
      << *outcomes[0].mismatch;
  EXPECT_TRUE(outcomes[0].opened_fds.empty());
}

// Errors in the script itself come back as SyscallError with the location of the culprit.
TEST_F(ExecutorTest, ScriptErrorsAreLocated) {
  Executor ex(LoopbackContext());
  auto calls = ParseCalls(R"(+0 socket(..., SOCK_STREEM, IPPROTO_TCP) = 3
+0 frobnicate(3) = 0
+0 close(9) = 0
+0 listen(3) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 read(3, ..., 10) = -1 EBOGUS (No such errno)
+0 getsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0
+0 write(3, "data", 4) = 4
)");
  ASSERT_EQ(calls.size(), 9u);
  struct Want {
    int line, col;
    const char* message;
  };
  const Want want[] = {
      {1, 16, "socket: unknown symbol: SOCK_STREEM"},
      {2, 1, "unknown syscall: frobnicate"},
      {3, 10, "close: fd 9 is not open in the script"},
      {4, 1, "listen: expected 2 arguments, got 1"},
      {0, 0, nullptr},  // a good call
      {0, 0, nullptr},  // fd 3 again while open: the new socket shadows the old (packetdrill)
      {7, 1, "read: unknown errno name: EBOGUS"},
      {8, 45, "getsockopt: expected [<integer>], got 4"},
      {9, 13, "write: expected ... or NULL for a buffer, got a string"},
  };
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto r = ex.Run(calls[i].call, calls[i].loc);
    if (want[i].message == nullptr) {
      ASSERT_TRUE(r.ok()) << r.error().message;
      continue;
    }
    ASSERT_FALSE(r.ok()) << "call " << i;
    EXPECT_EQ(r.error().message, want[i].message);
    EXPECT_EQ(r.error().loc.line, want[i].line) << want[i].message;
    EXPECT_EQ(r.error().loc.col, want[i].col) << want[i].message;
  }
}

// Every call with argument lists of the wrong shape: a located script error or an outcome,
// never a crash (fd 99 is never open, so nothing can block).
TEST_F(ExecutorTest, WrongShapesNeverCrash) {
  const char* names[] = {"socket", "bind", "listen", "accept", "connect", "read", "readv", "recv",
                         "recvfrom", "recvmsg", "write", "writev", "send", "sendto", "sendmsg",
                         "fcntl", "ioctl", "close", "shutdown", "getsockopt", "setsockopt", "poll",
                         "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "pipe",
                         "splice", "sendfile", "open"};
  const char* shapes[] = {"", "...", "99", "\"str\"", "[1]", "[99, 98]", "{a=1}", "[{fd=99, events=1}]",
                          "99, ...", "99, [1], [4]", "99, {x=1}, 0", "99, ..., ...",
                          "..., ..., ...", "99, 1, 2, [1], [4]", "99, 1, 2, \"ab\", 2",
                          "[], 0, 0", "99, NULL, 99, NULL, 1, 0", "{msg_iov(1)=[{..., 1}]}, 0",
                          "99, [{..., 1}], 2", "-1", "0x7fffffffffffffff, 1, 1"};
  Executor ex(LoopbackContext());
  int errors = 0, outcomes = 0;
  for (const char* name : names) {
    for (const char* shape : shapes) {
      const std::string line = std::string("+0 ") + name + "(" + shape + ") = ...\n";
      auto calls = ParseCalls(line);
      ASSERT_EQ(calls.size(), 1u) << line;
      auto r = ex.Run(calls[0].call, calls[0].loc);
      if (r.ok()) {
        ++outcomes;
      } else {
        ++errors;
        EXPECT_EQ(r.error().loc.line, 1) << line;
        EXPECT_FALSE(r.error().message.empty()) << line;
      }
    }
  }
  EXPECT_GT(errors, 0);
  ex.CloseAll();
}

TEST_F(ExecutorTest, DefinesActAsSymbols) {
  Context ctx = LoopbackContext();
  ctx.defines = {{"MY_PROTO", "IPPROTO_TCP"}, {"LEVEL", "SOL_TCP"}, {"ONE", "1"}};
  Executor ex(ctx);
  RunMatching(ex, "+0 socket(..., SOCK_STREAM, MY_PROTO) = 3\n"
                  "+0 setsockopt(3, LEVEL, TCP_NODELAY, [ONE], 4) = 0\n"
                  "+0 getsockopt(3, LEVEL, TCP_NODELAY, [ONE], [4]) = 0\n");
}

TEST(ExecutorCheckTest, FindsScriptErrorsWithoutTheKernel) {
  Context ctx = LoopbackContext();
  ctx.defines = {{"MY_LEVEL", "SOL_TCP"}};
  const Executor ex(ctx);
  auto good = ParseCalls(R"(+0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3
+0 setsockopt(3, MY_LEVEL, TCP_NODELAY, [1], 4) = 0
+0 bind(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("192.0.2.1")}, ...) = 0
+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = -1 EAGAIN (x)
+0 fcntl(3, F_GETFL) = O_RDWR|O_NONBLOCK
)");
  for (const auto& pc : good) {
    auto s = ex.Check(pc.call, pc.loc);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  auto bad = ParseCalls(R"(+0 socket(..., SOCK_STREEM, 0) = 3
+0 close(3, 4) = 0
+0 bind(3, ..., frob(1)) = 0
+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, "a\q", 3) = 0
+0 read(3, ..., 1) = -1 ENOPE (x)
+0 fcntl(3, F_GETFL) = NOT_A_FLAG
+0 nosuchcall(1) = 0
)");
  struct Want {
    int line, col;
    const char* message;
  };
  const Want want[] = {
      {1, 16, "socket: unknown symbol: SOCK_STREEM"},
      {2, 1, "close: expected 1 arguments, got 2"},
      {3, 17, "bind: unknown function: frob"},
      {4, 43, "setsockopt: unknown escape \\q"},
      {5, 1, "read: unknown errno name: ENOPE"},
      {6, 24, "fcntl: result: unknown symbol: NOT_A_FLAG"},
      {7, 1, "unknown syscall: nosuchcall"},
  };
  ASSERT_EQ(bad.size(), std::size(want));
  for (std::size_t i = 0; i < bad.size(); ++i) {
    auto s = ex.Check(bad[i].call, bad[i].loc);
    ASSERT_FALSE(s.ok()) << want[i].message;
    EXPECT_EQ(s.error().message, want[i].message);
    EXPECT_EQ(s.error().loc.line, want[i].line) << want[i].message;
    EXPECT_EQ(s.error().loc.col, want[i].col) << want[i].message;
  }
}

TEST(ExecutorStaticTest, SupportsTheDocumentedCalls) {
  for (const char* name :
       {"socket", "bind", "listen", "accept", "connect", "read", "readv", "recv", "recvfrom",
        "recvmsg", "write", "writev", "send", "sendto", "sendmsg", "fcntl", "ioctl", "close",
        "shutdown", "getsockopt", "setsockopt", "poll", "epoll_create", "epoll_create1",
        "epoll_ctl", "epoll_wait", "pipe", "splice", "sendfile", "open"}) {
    EXPECT_TRUE(Executor::Supports(name)) << name;
  }
  EXPECT_FALSE(Executor::Supports("frobnicate"));
}

}  // namespace
}  // namespace mpdrill::syscalls
