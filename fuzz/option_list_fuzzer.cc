// Fuzzes a whole TCP option area (RFC 9293 §3.1, at most 40 bytes) as the capture path sees it:
// TcpOptionWalker delimits the options (rule G5), every kind-30 option goes through the codec's
// contract checks (fuzz/codec_mutator.h), and capture::ScanMptcpOptions must agree with the
// walker. Input: byte 0 = segment flags (SYN/ACK/RST; unknown bits count as clear here, since a
// captured segment always knows them), then the option area.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>

#include "engine/capture/dissect.h"
#include "engine/capture/mptcp_scan.h"
#include "engine/codec/tcp_options.h"
#include "fuzz/codec_mutator.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                        std::size_t max_size) __attribute__((weak));

namespace {

using mpdrill::codec::kMaxTcpOptionSpace;
using mpdrill::codec::kMptcpOptionKind;

mpdrill::capture::TcpSegment SegmentOf(std::uint8_t flags, std::span<const std::uint8_t> area) {
  mpdrill::capture::TcpSegment s;
  if (flags & mpdrill::fuzz::kSegSyn) s.flags |= mpdrill::capture::kTcpSyn;
  if (flags & mpdrill::fuzz::kSegAck) s.flags |= mpdrill::capture::kTcpAck;
  if (flags & mpdrill::fuzz::kSegRst) s.flags |= mpdrill::capture::kTcpRst;
  s.payload_length = (flags & mpdrill::fuzz::kSegPayloadNonZero) ? mpdrill::fuzz::kSegPayloadLength : 0;
  s.options = area;
  s.data_offset = static_cast<std::uint8_t>(5 + (area.size() + 3) / 4);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size - 1 > kMaxTcpOptionSpace) return 0;
  const std::span<const std::uint8_t> area(data + 1, size - 1);
  const mpdrill::capture::TcpSegment tcp = SegmentOf(data[0], area);
  const mpdrill::codec::SegmentInfo segment = mpdrill::capture::SegmentInfoOf(tcp);

  mpdrill::codec::TcpOptionWalker walker(area);
  std::size_t pos = 0;
  std::size_t mptcp = 0;
  for (std::size_t steps = 0;; ++steps) {
    if (steps > area.size()) std::abort();  // the walker must advance at least a byte a step
    auto view = walker.Next();
    if (!view) break;
    // Each option starts where the previous ended and lies inside the area.
    if (view->offset != pos || view->bytes.empty() || view->bytes[0] != view->kind ||
        view->bytes.data() != area.data() + pos || pos + view->bytes.size() > area.size()) {
      std::abort();
    }
    pos += view->bytes.size();
    if (view->kind == kMptcpOptionKind) {
      ++mptcp;
      mpdrill::fuzz::CheckOption(view->bytes, segment);
    }
  }
  if (walker.stop() && walker.stop()->offset >= area.size()) std::abort();

  mpdrill::capture::MptcpScan scan;
  mpdrill::capture::ScanMptcpOptions(tcp, &scan);
  const std::size_t expected = mptcp < scan.kCapacity ? mptcp : scan.kCapacity;
  if (scan.size != expected) std::abort();
  for (const auto& entry : scan.view()) {
    if (entry.decoded.has_value() == entry.error.has_value()) std::abort();  // exactly one
    if (entry.offset >= area.size()) std::abort();
  }
  if (scan.stop.has_value() != walker.stop().has_value()) std::abort();
  (void)scan.violation_count();
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return mpdrill::fuzz::MutateOptionArea(data, size, max_size, seed, LLVMFuzzerMutate);
}
