#include "tests/corrupting_bridge.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <variant>

#include "base/bytes.h"
#include "engine/capture/tcp_checksum.h"
#include "engine/codec/tcp_options.h"

namespace mpdrill::tests {
namespace {

constexpr std::size_t kTcpChecksumOffset = 16;
constexpr int kFramesPerWakeup = 64;  // bounds one pass over a busy socket
constexpr std::size_t kMaxFrame = 65536;

const capture::TcpSegment* AsTcp(const Result<capture::Dissection, capture::DissectError>& d) {
  return d.ok() ? std::get_if<capture::TcpSegment>(&d.value()) : nullptr;
}

// The 16-bit word of the checksummed bytes that holds byte `at` (< b.size()); an odd last
// byte is the high half of a zero-padded word (RFC 1071).
std::uint16_t WordHolding(Bytes b, std::size_t at) {
  ByteReader r(b.subspan(at & ~std::size_t{1}));
  std::uint16_t word = 0;
  if (r.ReadU16(&word)) return word;
  std::uint8_t last = 0;
  (void)r.ReadU8(&last);
  return static_cast<std::uint16_t>(last << 8);
}

bool SeqAfter(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }

// A packet socket on one device: every frame it receives (PACKET_OUTGOING ones, i.e. what
// this bridge sent there, ignored), in promiscuous mode since frames are for the far end.
class PacketSocket {
 public:
  PacketSocket() = default;
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;
  ~PacketSocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool Open(const std::string& device, std::string* error) {
    const unsigned index = if_nametoindex(device.c_str());
    if (index == 0) return Fail("no device " + device, error);
    // Protocol 0 until bound: nothing from other devices is queued meanwhile.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Fail("packet socket: " + std::string(strerror(errno)), error);
    sockaddr_ll a{};
    a.sll_family = AF_PACKET;
    a.sll_protocol = htons(ETH_P_ALL);
    a.sll_ifindex = static_cast<int>(index);
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
      return Fail("bind to " + device + ": " + strerror(errno), error);
    }
    const int one = 1;
    if (setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0) {
      return Fail("PACKET_IGNORE_OUTGOING: " + std::string(strerror(errno)), error);
    }
    packet_mreq m{};
    m.mr_ifindex = static_cast<int>(index);
    m.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof(m)) != 0) {
      return Fail("promiscuous " + device + ": " + strerror(errno), error);
    }
    const timeval send_timeout{0, 100000};  // a send never blocks the bridge for long
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    return true;
  }
  int fd() const { return fd_; }

 private:
  static bool Fail(const std::string& why, std::string* error) {
    *error = why;
    return false;
  }
  int fd_ = -1;
};

struct BridgeCounters {
  std::array<std::uint64_t, 2> frames{};  // [0] client->server, [1] server->client
  std::uint64_t dropped = 0;              // too big to forward, or the send failed softly
};

void WriteReport(int fd, const std::string& line) {
  if (fd < 0) return;
  const std::string text = line + "\n";
  (void)!write(fd, text.data(), text.size());
}

// Whether `mode` strips this frame's options (a frame that is not TCP: nothing to strip).
bool Strips(StripOptions mode, std::span<const std::uint8_t> frame) {
  switch (mode) {
    case StripOptions::kNone:
      return false;
    case StripOptions::kAll:
      return true;
    case StripOptions::kAfterSyns: {
      const auto dissection = capture::Dissect(capture::kLinkEthernet, frame);
      const capture::TcpSegment* seg = AsTcp(dissection);
      return seg != nullptr && !seg->syn();
    }
  }
  return false;
}

}  // namespace

std::string_view FlipOutcomeName(FlipOutcome outcome) {
  switch (outcome) {
    case FlipOutcome::kFlipped:
      return "flipped";
    case FlipOutcome::kNotTcp:
      return "not a TCP segment";
    case FlipOutcome::kNoSuchByte:
      return "payload shorter than the byte index";
    case FlipOutcome::kChecksumMismatch:
      return "TCP checksum did not verify before the change (checksum offload on?)";
  }
  return "?";
}

FlipOutcome FlipPayloadByte(std::span<std::uint8_t> frame, std::size_t index, std::uint8_t mask) {
  const auto dissection = capture::Dissect(capture::kLinkEthernet, frame);
  const capture::TcpSegment* seg = AsTcp(dissection);
  if (seg == nullptr) return FlipOutcome::kNotTcp;
  if (!seg->payload_complete() || index >= seg->payload.size() ||
      seg->tcp_offset + seg->tcp_length() > frame.size()) {
    return FlipOutcome::kNoSuchByte;
  }
  const std::span<std::uint8_t> tcp = frame.subspan(seg->tcp_offset, seg->tcp_length());
  if (capture::TcpChecksum(seg->src, seg->dst, tcp) != 0) return FlipOutcome::kChecksumMismatch;
  const std::size_t at = seg->header.size() + index;
  const std::uint16_t checksum = seg->checksum;
  const std::uint16_t old_word = WordHolding(tcp, at);
  std::uint8_t byte = 0;
  ByteReader r(Bytes(tcp).subspan(at));
  if (!r.ReadU8(&byte) || !ByteWriter(tcp.subspan(at, 1)).WriteU8(byte ^ mask)) {
    return FlipOutcome::kNoSuchByte;
  }
  const std::uint16_t new_word = WordHolding(tcp, at);
  ByteWriter w(tcp.subspan(kTcpChecksumOffset, 2));
  (void)w.WriteU16(capture::UpdateChecksum(checksum, old_word, new_word));
  return FlipOutcome::kFlipped;
}

FlipOutcome StripMptcpOptions(std::span<std::uint8_t> frame) {
  constexpr std::uint8_t kNop = 1, kMptcp = 30;
  const auto dissection = capture::Dissect(capture::kLinkEthernet, frame);
  const capture::TcpSegment* seg = AsTcp(dissection);
  if (seg == nullptr) return FlipOutcome::kNotTcp;
  if (!seg->payload_complete() || seg->tcp_offset + seg->tcp_length() > frame.size()) {
    return FlipOutcome::kNoSuchByte;
  }
  const std::span<std::uint8_t> tcp = frame.subspan(seg->tcp_offset, seg->tcp_length());
  const std::size_t options_at = seg->header.size() - seg->options.size();
  // Where the MPTCP options are (offset in `tcp`, length), found before anything changes.
  std::vector<std::pair<std::size_t, std::size_t>> found;
  codec::TcpOptionWalker walker(seg->options);
  while (const auto option = walker.Next()) {
    if (option->kind == kMptcp) found.emplace_back(options_at + option->offset, option->bytes.size());
  }
  if (walker.stop()) return FlipOutcome::kNoSuchByte;
  if (found.empty()) return FlipOutcome::kNotTcp;
  if (capture::TcpChecksum(seg->src, seg->dst, tcp) != 0) return FlipOutcome::kChecksumMismatch;
  const capture::IpAddress src = seg->src, dst = seg->dst;  // seg is stale after the writes
  for (auto [at, length] : found) {
    ByteWriter w(tcp.subspan(at, length));
    for (std::size_t i = 0; i < length; ++i) (void)w.WriteU8(kNop);
  }
  ByteWriter zero(tcp.subspan(kTcpChecksumOffset, 2));
  (void)zero.WriteU16(0);
  const std::uint16_t checksum = capture::TcpChecksum(src, dst, tcp);
  ByteWriter w(tcp.subspan(kTcpChecksumOffset, 2));
  (void)w.WriteU16(checksum);
  return FlipOutcome::kFlipped;
}

std::string Corruption::Describe() const {
  return std::string(FlipOutcomeName(outcome)) + ": segment from port " + std::to_string(sport) +
         " seq " + std::to_string(seq) + " length " + std::to_string(payload_length);
}

CorruptionPlan::Flow* CorruptionPlan::FindFlow(const capture::TcpSegment& seg) {
  for (Flow& f : flows_) {
    if (f.sport == seg.sport && f.src == seg.src) return &f;
  }
  return nullptr;
}

std::optional<Corruption> CorruptionPlan::OnFrame(std::span<std::uint8_t> frame) {
  if (done_) return std::nullopt;
  const auto dissection = capture::Dissect(capture::kLinkEthernet, frame);
  const capture::TcpSegment* seg = AsTcp(dissection);
  if (seg == nullptr || seg->dport != target_.server_port) return std::nullopt;
  Flow* flow = FindFlow(*seg);
  if (seg->syn()) {
    if (flow == nullptr && !seg->ack_flag() && flows_.size() < kMaxFlows) {
      flows_.push_back({seg->src, seg->sport, flows_.empty(), seg->seq + 1});
    }
    return std::nullopt;
  }
  if (flow == nullptr || seg->payload_length == 0) return std::nullopt;
  const std::uint32_t end = seg->seq + seg->payload_length;
  if (!SeqAfter(end, flow->next_seq)) return std::nullopt;  // a retransmission
  flow->next_seq = end;
  if (flow->initial != (target_.subflow == TargetSubflow::kInitial)) return std::nullopt;
  if (++counted_ < target_.nth) return std::nullopt;
  done_ = true;
  Corruption c;
  c.sport = seg->sport;
  c.seq = seg->seq;
  c.payload_length = seg->payload_length;
  c.outcome = FlipPayloadByte(frame, target_.payload_index, target_.mask);  // seg is stale now
  return c;
}

int RunCorruptingBridge(const BridgeConfig& config) {
  std::array<PacketSocket, 2> sockets;  // [0] client side, [1] server side
  std::string error;
  if (!sockets[0].Open(config.client_device, &error) ||
      !sockets[1].Open(config.server_device, &error)) {
    WriteReport(config.report_fd, "bridge setup: " + error);
    return kBridgeSetupFailed;
  }
  if (config.ready_fd >= 0) {
    const char ready = 'R';
    (void)!write(config.ready_fd, &ready, 1);
  }
  CorruptionPlan plan(config.target);
  std::optional<Corruption> corruption;
  std::uint64_t stripped = 0;
  BridgeCounters counters;
  std::vector<std::uint8_t> buf(kMaxFrame);
  const auto deadline = std::chrono::steady_clock::now() + config.max_duration;
  int code = kBridgeNoTarget;
  while (std::chrono::steady_clock::now() < deadline && code != kBridgeIoFailed) {
    std::array<pollfd, 3> fds = {pollfd{sockets[0].fd(), POLLIN, 0},
                                 pollfd{sockets[1].fd(), POLLIN, 0},
                                 pollfd{config.stop_fd, POLLIN, 0}};
    const int n = poll(fds.data(), config.stop_fd >= 0 ? 3 : 2, 50);
    if (n < 0 && errno != EINTR) {
      code = kBridgeIoFailed;
      error = "poll: " + std::string(strerror(errno));
      break;
    }
    if (config.stop_fd >= 0 && fds[2].revents != 0) break;
    for (std::size_t side = 0; side < 2 && code != kBridgeIoFailed; ++side) {
      if ((fds[side].revents & POLLIN) == 0) continue;
      for (int i = 0; i < kFramesPerWakeup; ++i) {
        sockaddr_ll from{};
        socklen_t from_len = sizeof(from);
        const ssize_t got =
            recvfrom(sockets[side].fd(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC,
                     reinterpret_cast<sockaddr*>(&from), &from_len);
        if (got < 0) {
          if (errno != EAGAIN && errno != EINTR) {
            code = kBridgeIoFailed;
            error = "recv: " + std::string(strerror(errno));
          }
          break;
        }
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        if (static_cast<std::size_t>(got) > buf.size()) {  // an offloaded super-frame
          ++counters.dropped;
          continue;
        }
        const std::span<std::uint8_t> frame(buf.data(), static_cast<std::size_t>(got));
        if (config.strip != StripOptions::kNone) {
          if (Strips(config.strip, frame) && StripMptcpOptions(frame) == FlipOutcome::kFlipped) {
            ++stripped;
          }
        } else if (side == 0 && !plan.done()) {
          corruption = plan.OnFrame(frame);
        }
        if (send(sockets[1 - side].fd(), frame.data(), frame.size(), 0) < 0) {
          if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
            code = kBridgeIoFailed;
            error = "send: " + std::string(strerror(errno));
            break;
          }
          ++counters.dropped;
          continue;
        }
        ++counters.frames[side];
      }
    }
  }
  const std::string tally = "frames client->server " + std::to_string(counters.frames[0]) +
                            " server->client " + std::to_string(counters.frames[1]) + " dropped " +
                            std::to_string(counters.dropped);
  if (code == kBridgeIoFailed) {
    WriteReport(config.report_fd, error + "; " + tally);
    return code;
  }
  if (config.strip != StripOptions::kNone) {
    WriteReport(config.report_fd,
                "stripped MPTCP options from " + std::to_string(stripped) + " segments; " + tally);
    return stripped > 0 ? kBridgeCorrupted : kBridgeNoTarget;
  }
  if (!corruption) {
    WriteReport(config.report_fd, "no target segment went by; " + tally);
    return kBridgeNoTarget;
  }
  WriteReport(config.report_fd, corruption->Describe() + "; " + tally);
  switch (corruption->outcome) {
    case FlipOutcome::kFlipped:
      return kBridgeCorrupted;
    case FlipOutcome::kChecksumMismatch:
      return kBridgeChecksumMismatch;
    case FlipOutcome::kNotTcp:
    case FlipOutcome::kNoSuchByte:
      return kBridgeNoTarget;
  }
  return kBridgeNoTarget;
}

Result<std::unique_ptr<BridgeProcess>, std::string> BridgeProcess::Start(
    const sandbox::NetNamespace& ns, BridgeConfig config) {
  std::unique_ptr<BridgeProcess> bridge(new BridgeProcess());
  for (auto* fds : {&bridge->ready_, &bridge->stop_, &bridge->report_}) {
    if (pipe2(fds->data(), O_CLOEXEC) != 0) {
      return MakeUnexpected("pipe: " + std::string(strerror(errno)));
    }
  }
  config.ready_fd = bridge->ready_[1];
  config.stop_fd = bridge->stop_[0];
  config.report_fd = bridge->report_[1];
  auto child = sandbox::SpawnInNamespace(ns, [config] { return RunCorruptingBridge(config); });
  if (!child) return MakeUnexpected(child.error().message);
  bridge->child_.emplace(std::move(*child));
  char byte = 0;
  const auto ready =
      sandbox::ReadWithDeadline(bridge->ready_[0], &byte, 1, std::chrono::seconds(3));
  if (!ready.ok()) return MakeUnexpected(ready.error().message + ": " + bridge->Stop().report);
  return bridge;
}

BridgeProcess::~BridgeProcess() {
  for (auto* fds : {&ready_, &stop_, &report_}) {
    for (int fd : *fds) {
      if (fd >= 0) close(fd);
    }
  }
}

BridgeProcess::Outcome BridgeProcess::Stop() {
  Outcome outcome;
  if (!child_) return outcome;
  const char byte = 'S';
  (void)!write(stop_[1], &byte, 1);
  const auto code = child_->Wait(std::chrono::seconds(3));
  child_.reset();
  if (code) outcome.code = *code;
  // What is in the pipe now (the bridge wrote it before it exited), at most 4 KiB.
  std::string text(4096, '\0');
  const int flags = fcntl(report_[0], F_GETFL);
  ssize_t n = -1;
  if (flags >= 0 && fcntl(report_[0], F_SETFL, flags | O_NONBLOCK) == 0) {
    n = read(report_[0], text.data(), text.size());
  }
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  outcome.report = text;
  return outcome;
}

}  // namespace mpdrill::tests
