#include "sandbox/mkcapture_traffic.h"

#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace mpdrill::mkcapture {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kIoTimeoutMs = 3000;
constexpr int kAcceptTimeoutMs = 5000;
constexpr auto kServerLifetime = std::chrono::seconds(8);

bool MakeAddress(int family, const std::string& ip, std::uint16_t port, sockaddr_storage* ss,
                 socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    *len = sizeof(*sin);
    return ip.empty() || inet_pton(AF_INET, ip.c_str(), &sin->sin_addr) == 1;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  *len = sizeof(*sin6);
  return ip.empty() || inet_pton(AF_INET6, ip.c_str(), &sin6->sin6_addr) == 1;
}

void SetIoTimeouts(int fd) {
  timeval tv{kIoTimeoutMs / 1000, (kIoTimeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int Fail(const char* what) {
  std::fprintf(stderr, "mkcapture: %s: %s\n", what, std::strerror(errno));
  return 1;
}

bool SendAll(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool RecvExactly(int fd, std::size_t n) {
  std::vector<char> buf(4096);
  while (n > 0) {
    const ssize_t r = recv(fd, buf.data(), std::min(n, buf.size()), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// Several writes with short gaps (so mappings and PM events interleave), then the echo.
bool ExchangeChunk(int fd, const TrafficConfig& c, int round) {
  std::vector<char> data(static_cast<std::size_t>(c.write_size));
  for (int i = 0; i < c.chunk_writes; ++i) {
    for (std::size_t j = 0; j < data.size(); ++j) {
      data[j] = static_cast<char>('a' + (round * 7 + i * 3 + static_cast<int>(j)) % 26);
    }
    if (!SendAll(fd, data.data(), data.size())) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(c.write_gap_ms));
  }
  return RecvExactly(fd, data.size() * static_cast<std::size_t>(c.chunk_writes));
}

int ExtraSubflows(int fd) {
  mptcp_info info{};
  socklen_t len = sizeof(info);
  if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len) != 0) return -1;
  return info.mptcpi_subflows;
}

bool ReadControl(int fd, char* cmd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, kAcceptTimeoutMs) != 1) return false;
  return read(fd, cmd, 1) == 1;
}

}  // namespace

int RunServer(const TrafficConfig& config, int ready_fd) {
  sockaddr_storage ss;
  socklen_t len;
  MakeAddress(config.family, "", config.port, &ss, &len);  // wildcard: joins arrive on any address
  const int s = socket(config.family, SOCK_STREAM, IPPROTO_MPTCP);
  if (s < 0) return Fail("server socket(IPPROTO_MPTCP)");
  const int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0) return Fail("server bind");
  if (listen(s, 4) != 0) return Fail("server listen");
  if (write(ready_fd, "r", 1) != 1) return Fail("server ready");
  pollfd p{s, POLLIN, 0};
  if (poll(&p, 1, kAcceptTimeoutMs) != 1) {
    std::fprintf(stderr, "mkcapture: server: no connection within %d ms\n", kAcceptTimeoutMs);
    return 1;
  }
  const int c = accept(s, nullptr, nullptr);
  if (c < 0) return Fail("server accept");
  SetIoTimeouts(c);
  const auto deadline = Clock::now() + kServerLifetime;
  std::vector<char> buf(8192);
  while (Clock::now() < deadline) {
    const ssize_t r = recv(c, buf.data(), buf.size(), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) break;  // client's DATA_FIN: close in turn
    if (r < 0) {
      if (errno == ECONNRESET || errno == EPIPE) break;  // fast close
      return Fail("server recv");
    }
    if (!SendAll(c, buf.data(), static_cast<std::size_t>(r))) {
      if (errno == ECONNRESET || errno == EPIPE) break;
      return Fail("server send");
    }
  }
  close(c);
  close(s);
  return 0;
}

int RunClient(const TrafficConfig& config, int control_fd, int answer_fd) {
  sockaddr_storage ss;
  socklen_t len;
  if (!MakeAddress(config.family, config.server_ip, config.port, &ss, &len)) {
    std::fprintf(stderr, "mkcapture: bad server address %s\n", config.server_ip.c_str());
    return 2;
  }
  const int fd = socket(config.family, SOCK_STREAM, IPPROTO_MPTCP);
  if (fd < 0) return Fail("client socket(IPPROTO_MPTCP)");
  SetIoTimeouts(fd);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return Fail("client connect");
  int round = 0;
  if (!ExchangeChunk(fd, config, round++)) return Fail("client first exchange");

  if (write(answer_fd, &kAnswerReady, 1) != 1) return Fail("client ready");

  for (int commands = 0; commands < 64; ++commands) {
    char cmd = 0;
    if (!ReadControl(control_fd, &cmd)) {
      std::fprintf(stderr, "mkcapture: client: no command within %d ms\n", kAcceptTimeoutMs);
      return 1;
    }
    switch (cmd) {
      case kCmdWaitSubflows: {
        // The path managers add subflows (MP_JOIN) asynchronously: wait for them, bounded.
        const auto deadline = Clock::now() + std::chrono::milliseconds(config.wait_subflows_ms);
        int subflows = ExtraSubflows(fd);
        while (subflows < config.want_subflows && Clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          subflows = ExtraSubflows(fd);
        }
        const char answer[2] = {kAnswerDone, static_cast<char>(subflows < 0 ? 0 : subflows)};
        if (write(answer_fd, answer, 2) != 2) return Fail("client answer");
        continue;
      }
      case kCmdData:
        if (!ExchangeChunk(fd, config, round++)) return Fail("client exchange");
        break;
      case kCmdClose: {
        if (shutdown(fd, SHUT_WR) != 0) return Fail("client shutdown");
        char buf[512];
        for (int i = 0; i < 1000; ++i) {  // bounded: SO_RCVTIMEO per read
          const ssize_t r = recv(fd, buf, sizeof(buf), 0);
          if (r <= 0) break;
        }
        close(fd);
        return write(answer_fd, &kAnswerDone, 1) == 1 ? 0 : 1;
      }
      case kCmdFastclose: {
        // RFC 8684 §3.5: an abortive close of the MPTCP socket; Linux answers with
        // MP_FASTCLOSE (and MP_TCPRST on the resets).
        const linger lg{1, 0};
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0) {
          return Fail("client SO_LINGER");
        }
        close(fd);
        return write(answer_fd, &kAnswerDone, 1) == 1 ? 0 : 1;
      }
      default:
        std::fprintf(stderr, "mkcapture: client: unknown command %d\n", cmd);
        return 2;
    }
    if (write(answer_fd, &kAnswerDone, 1) != 1) return Fail("client answer");
  }
  return 1;
}

}  // namespace mpdrill::mkcapture
