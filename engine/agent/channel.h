// Frames over a connected stream socket, with deadlines: a peer that stops mid-frame is a
// timeout, never a hang. Writes are whole frames under a lock (several threads reply).
#ifndef MPDRILL_ENGINE_AGENT_CHANNEL_H_
#define MPDRILL_ENGINE_AGENT_CHANNEL_H_

#include <sys/socket.h>

#include <chrono>
#include <mutex>
#include <string>
#include <utility>

#include "base/result.h"
#include "engine/agent/protocol.h"

namespace mpdrill::agent {

enum class ChannelErrorKind : std::uint8_t {
  kClosed,   // the peer closed the connection at a frame boundary
  kIdle,     // no frame started before the first-byte deadline (nothing read)
  kTimeout,  // the peer stopped in the middle of a frame
  kIo,       // a socket error, or the peer closed mid-frame
  kDecode,   // the length field or the frame header is bad (decode set)
};
struct ChannelError {
  ChannelErrorKind kind = ChannelErrorKind::kIo;
  DecodeError decode;   // kDecode only
  std::string message;  // the whole explanation
};

// "198.51.100.2:7000" or "[2001:db8::2]:7000" (numeric addresses only: no name lookups).
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;  // as given
};
Result<Endpoint, std::string> ParseEndpoint(const std::string& text);
// "198.51.100.2:7000" / "[2001:db8::2]:7000" for a socket address.
std::string EndpointToString(const sockaddr_storage& addr);

// Send/receive timeouts (a peer that stops reading cannot block a writer forever) and TCP
// keepalive (a peer host that vanishes without a FIN is noticed within about 25 s).
void ConfigureSocket(int fd);

class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}  // takes ownership
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  int fd() const { return fd_; }
  // Gives up the descriptor (the caller owns it) and leaves the channel closed.
  int Release() { return std::exchange(fd_, -1); }
  // Waits for a frame's first byte until `first_byte` has passed, then for the rest of it at
  // most `rest` (a peer that stops mid-frame is a timeout).
  Result<Frame, ChannelError> Read(std::chrono::milliseconds first_byte,
                                   std::chrono::milliseconds rest = std::chrono::seconds(5));
  Status<ChannelError> Write(const Frame& frame);
  Status<ChannelError> Write(MessageType type, std::uint32_t id, std::vector<std::uint8_t> body);
  // Stops both directions (a reader blocked in Read returns kClosed or kIo).
  void Shutdown();

 private:
  Status<ChannelError> ReadFull(std::uint8_t* out, std::size_t n,
                                std::chrono::steady_clock::time_point deadline, bool first);
  int fd_;
  std::mutex write_mu_;
};

}  // namespace mpdrill::agent

#endif  // MPDRILL_ENGINE_AGENT_CHANNEL_H_
