// Helpers for tests that use the sandbox (sandbox_test, tests/). Header-only, test code only.
#ifndef MPDRILL_SANDBOX_SANDBOX_TEST_UTIL_H_
#define MPDRILL_SANDBOX_SANDBOX_TEST_UTIL_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"
#include "sandbox/topology.h"

// Declares `NetNamespace var`, or skips the test (stating why) when namespaces cannot be made
// for lack of privilege; any other failure fails the test.
#define MPDRILL_NETNS_OR_SKIP(var)                                                          \
  auto var##_created = ::mpdrill::sandbox::NetNamespace::Create();                          \
  if (!var##_created.ok()) {                                                                \
    if (var##_created.error().code == ::mpdrill::sandbox::SandboxErrorCode::kPermission) {  \
      GTEST_SKIP() << "needs root (CAP_SYS_ADMIN) to create network namespaces: "           \
                   << var##_created.error().message;                                        \
    }                                                                                       \
    FAIL() << var##_created.error().message;                                                \
  }                                                                                         \
  ::mpdrill::sandbox::NetNamespace var = std::move(var##_created.value())

namespace mpdrill::sandbox::test_util {

// veth "va0" in a (198.51.100.1/24) <-> "vb0" in b (198.51.100.2/24), lo up on both.
inline SandboxStatus ConnectPair(const NetNamespace& a, const NetNamespace& b) {
  for (const NetNamespace* ns : {&a, &b}) {
    if (auto s = LoopbackUp(*ns); !s) return s;
  }
  if (auto s = AddVethPair(a, "va0", b, "vb0"); !s) return s;
  if (auto s = AddAddress(a, "va0", "198.51.100.1/24"); !s) return s;
  return AddAddress(b, "vb0", "198.51.100.2/24");
}

// Starts argv (argv[0] a path) in `ns`: stdout into `stdout_fd`, stderr into the file
// `stderr_path` (created, mode 600), the working directory `cwd` unless empty.
inline SandboxResult<ChildProcess> SpawnProgramInNamespace(const NetNamespace& ns,
                                                           std::vector<std::string> argv,
                                                           int stdout_fd,
                                                           const std::string& stderr_path,
                                                           const std::string& cwd = "") {
  return SpawnInNamespace(ns, [&]() -> int {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) return 126;
    dup2(stdout_fd, 1);
    const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(err, 2);
    std::vector<char*> a;
    for (auto& word : argv) a.push_back(word.data());
    a.push_back(nullptr);
    execv(a[0], a.data());
    return 127;
  });
}

inline bool ReadWithTimeout(int fd, void* buf, std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto* out = static_cast<char*>(buf);
  std::size_t got = 0;
  while (got < n && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t r = read(fd, out + got, n - got);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return got == n;
}

// Reaps `pid` (our child or an orphan we are subreaper of) within `timeout`; true once it is
// gone.
inline bool ReapWithin(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD && access(("/proc/" + std::to_string(pid)).c_str(),
                                                        F_OK) != 0)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

inline bool FillAddress(int family, const char* ip, int port, sockaddr_storage* ss,
                        socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(*sin);
    return inet_pton(AF_INET, ip, &sin->sin_addr) == 1;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(static_cast<uint16_t>(port));
  *len = sizeof(*sin6);
  return inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1;
}

inline void SetTimeouts(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// Child body: listen on ip:port, write one byte to `ready_fd`, accept one connection (3 s),
// answer "pong" to "ping". Exit code 0 on success.
inline int ServeOnePingPong(int family, const char* ip, int port, int ready_fd) {
  sockaddr_storage ss;
  socklen_t len;
  if (!FillAddress(family, ip, port, &ss, &len)) return 2;
  const int s = socket(family, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(s, 1) != 0) return 3;
  if (write(ready_fd, "r", 1) != 1) return 4;
  pollfd p{s, POLLIN, 0};
  if (poll(&p, 1, 3000) != 1) return 5;
  const int c = accept(s, nullptr, nullptr);
  if (c < 0) return 6;
  SetTimeouts(c, 3000);
  char buf[4] = {};
  if (recv(c, buf, 4, MSG_WAITALL) != 4 || std::memcmp(buf, "ping", 4) != 0) return 7;
  if (send(c, "pong", 4, 0) != 4) return 8;
  close(c);
  close(s);
  return 0;
}

// Child body: connect to ip:port, send "ping", expect "pong". Exit code 0 on success.
inline int PingPongClient(int family, const char* ip, int port) {
  sockaddr_storage ss;
  socklen_t len;
  if (!FillAddress(family, ip, port, &ss, &len)) return 2;
  const int s = socket(family, SOCK_STREAM, 0);
  if (s < 0) return 3;
  SetTimeouts(s, 3000);
  if (connect(s, reinterpret_cast<sockaddr*>(&ss), len) != 0) return 4;
  if (send(s, "ping", 4, 0) != 4) return 5;
  char buf[4] = {};
  if (recv(s, buf, 4, MSG_WAITALL) != 4 || std::memcmp(buf, "pong", 4) != 0) return 6;
  close(s);
  return 0;
}

}  // namespace mpdrill::sandbox::test_util

#endif  // MPDRILL_SANDBOX_SANDBOX_TEST_UTIL_H_
