// Fuzzes what `mpdrill agent` and its client decode from the network: the frame length, the
// frame header and every body decoder on arbitrary bytes. Each must return (no crash, no read
// past the input: ASan), errors must name an offset inside the frame, and a body that decodes
// must encode back to the same bytes (except set-context, whose defines are a map).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/agent/protocol.h"

namespace {

using mpdrill::Bytes;
namespace agent = mpdrill::agent;

template <typename R>
void CheckError(const R& r, std::size_t frame_size) {
  if (r.ok()) return;
  // Offsets count from the type byte: at most the frame's size (a field missing at its end).
  if (r.error().offset > frame_size || r.error().message.empty()) std::abort();
}

template <typename Decode, typename Encode>
void RoundTrip(Bytes body, Decode decode, Encode encode) {
  auto r = decode(body);
  CheckError(r, body.size() + 5);
  if (!r.ok()) return;
  const std::vector<std::uint8_t> again = encode(*r);
  if (again.size() != body.size() || !std::equal(again.begin(), again.end(), body.begin())) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  if (size >= 4) {
    auto len = agent::DecodeFrameLength({data[0], data[1], data[2], data[3]});
    CheckError(len, 0);
  }
  auto frame = agent::DecodeFrame(in);
  CheckError(frame, size);
  if (frame.ok() && frame->body.size() + 5 != size) std::abort();
  // Every body decoder on the same bytes, whatever the type byte said.
  const Bytes body = size >= 5 ? in.subspan(5) : in;
  RoundTrip(body, agent::DecodeChallenge, agent::EncodeChallenge);
  RoundTrip(body, agent::DecodeAuth, agent::EncodeAuth);
  RoundTrip(body, agent::DecodeWelcome, agent::EncodeWelcome);
  RoundTrip(body, agent::DecodeErrorMessage, agent::EncodeError);
  RoundTrip(body, agent::DecodeSyscall, agent::EncodeSyscall);
  RoundTrip(body, agent::DecodeSyscallReply, agent::EncodeSyscallReply);
  RoundTrip(body, agent::DecodeSyscallFailure, agent::EncodeSyscallFailure);
  RoundTrip(body, agent::DecodeCommand, agent::EncodeCommand);
  RoundTrip(body, agent::DecodeCommandReply, agent::EncodeCommandReply);
  RoundTrip(body, agent::DecodeInterfaces, agent::EncodeInterfaces);
  CheckError(agent::DecodeContext(body), body.size() + 5);
  return 0;
}
