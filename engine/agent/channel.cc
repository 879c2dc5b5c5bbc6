#include "engine/agent/channel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mpdrill::agent {
namespace {

ChannelError Err(ChannelErrorKind kind, std::string message) {
  return ChannelError{kind, {}, std::move(message)};
}

}  // namespace

Result<Endpoint, std::string> ParseEndpoint(const std::string& text) {
  Endpoint ep;
  ep.text = text;
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find("]:");
    if (close == std::string::npos) return Unexpected{"\"" + text + "\": expected [IPV6]:PORT"};
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return Unexpected{"\"" + text + "\": expected ADDR:PORT"};
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    return Unexpected{"\"" + text + "\": port \"" + port + "\" is not a number 0-65535"};
  }
  const auto p = htons(static_cast<std::uint16_t>(std::stoul(port)));
  auto* sin = reinterpret_cast<sockaddr_in*>(&ep.addr);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
  if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = p;
    ep.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = p;
    ep.len = sizeof(sockaddr_in6);
  } else {
    return Unexpected{"\"" + text + "\": \"" + host + "\" is not a numeric IPv4 or IPv6 address"};
  }
  return ep;
}

std::string EndpointToString(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(ntohs(sin->sin_port));
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(sin6->sin6_port));
}

void ConfigureSocket(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const int one = 1, idle = 10, intvl = 5, cnt = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Channel::~Channel() {
  if (fd_ >= 0) close(fd_);
}

void Channel::Shutdown() {
  if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
}

Status<ChannelError> Channel::ReadFull(std::uint8_t* out, std::size_t n,
                                       std::chrono::steady_clock::time_point deadline,
                                       bool first) {
  std::size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (first && got == 0) {
        return Unexpected{Err(ChannelErrorKind::kIdle, "no message before the deadline")};
      }
      return Unexpected{Err(ChannelErrorKind::kTimeout, "peer stopped in the middle of a frame")};
    }
    pollfd p{fd_, POLLIN, 0};
    const int rc = poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100)));
    if (rc < 0 && errno != EINTR) return Unexpected{Err(ChannelErrorKind::kIo, std::strerror(errno))};
    if (rc <= 0) continue;
    const ssize_t r = recv(fd_, out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Unexpected{Err(ChannelErrorKind::kIo, std::string("recv: ") + std::strerror(errno))};
    }
    if (r == 0) {
      if (first && got == 0) return Unexpected{Err(ChannelErrorKind::kClosed, "peer closed")};
      return Unexpected{Err(ChannelErrorKind::kIo, "peer closed in the middle of a frame")};
    }
    got += static_cast<std::size_t>(r);
  }
  return Ok{};
}

Result<Frame, ChannelError> Channel::Read(std::chrono::milliseconds first_byte,
                                          std::chrono::milliseconds rest) {
  std::array<std::uint8_t, 4> header{};
  const auto start = std::chrono::steady_clock::now();
  if (auto s = ReadFull(header.data(), 1, start + first_byte, true); !s) return Unexpected{s.error()};
  const auto deadline = std::chrono::steady_clock::now() + rest;
  if (auto s = ReadFull(header.data() + 1, 3, deadline, false); !s) return Unexpected{s.error()};
  auto len = DecodeFrameLength(header);
  if (!len) return Unexpected{ChannelError{ChannelErrorKind::kDecode, len.error(), len.error().ToString()}};
  std::vector<std::uint8_t> payload(*len);
  if (auto s = ReadFull(payload.data(), payload.size(), deadline, false); !s) {
    return Unexpected{s.error()};
  }
  auto frame = DecodeFrame(payload);
  if (!frame) {
    return Unexpected{ChannelError{ChannelErrorKind::kDecode, frame.error(), frame.error().ToString()}};
  }
  return std::move(*frame);
}

Status<ChannelError> Channel::Write(const Frame& frame) {
  const std::vector<std::uint8_t> bytes = EncodeFrame(frame);
  std::lock_guard<std::mutex> lock(write_mu_);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t r = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Unexpected{Err(ChannelErrorKind::kIo, std::string("send: ") + std::strerror(errno))};
    }
    sent += static_cast<std::size_t>(r);
  }
  return Ok{};
}

Status<ChannelError> Channel::Write(MessageType type, std::uint32_t id,
                                    std::vector<std::uint8_t> body) {
  return Write(Frame{type, id, std::move(body)});
}

}  // namespace mpdrill::agent
