// Decode and Encode throughput per subtype (items/s = options/s).
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "engine/codec/mptcp_codec.h"

namespace mpdrill::codec {
namespace {

using ByteVec = std::vector<std::uint8_t>;

// One representative option per subtype/form, indexed by the benchmark argument.
const std::vector<ByteVec>& Samples() {
  static const std::vector<ByteVec> kSamples = {
      {0x1e, 0x04, 0x01, 0x01},                                                          // 0 mpc SYN
      {0x1e, 0x14, 0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1},          // 1 mpc ACK
      {0x1e, 0x0c, 0x11, 0x02, 1, 2, 3, 4, 5, 6, 7, 8},                                   // 2 join SYN
      {0x1e, 0x18, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
      {0x1e, 0x08, 0x20, 0x01, 0, 0, 3, 0xe9},                                           // 4 dss ack
      {0x1e, 0x1a, 0x20, 0x0f, 0, 0, 0, 0, 0, 0, 3, 0xe9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 3, 0xe8},
      {0x1e, 0x12, 0x30, 0x01, 198, 51, 100, 2, 0x1f, 0x90, 1, 2, 3, 4, 5, 6, 7, 8},     // 6 add_addr
      {0x1e, 0x05, 0x40, 0x01, 0x02},                                                    // 7 remove
      {0x1e, 0x03, 0x51},                                                                // 8 prio
      {0x1e, 0x0c, 0x60, 0x00, 0, 0, 0, 0, 0, 0, 3, 0xe8},                               // 9 fail
      {0x1e, 0x0c, 0x70, 0x00, 1, 2, 3, 4, 5, 6, 7, 8},                                   // 10 fastclose
      {0x1e, 0x04, 0x81, 0x01},                                                          // 11 tcprst
      {0x1e, 0x05, 0xf0, 0xaa, 0xbb},                                                    // 12 experimental
  };
  return kSamples;
}

const char* const kNames[] = {"mpc_syn",  "mpc_ack",  "join_syn", "join_ack",  "dss_ack",
                              "dss_map",  "add_addr", "rm_addr",  "mp_prio",   "mp_fail",
                              "fastclose", "tcprst",  "experimental"};

void BM_Decode(benchmark::State& state) {
  const ByteVec& b = Samples()[static_cast<std::size_t>(state.range(0))];
  state.SetLabel(kNames[state.range(0)]);
  const SegmentInfo seg{false, true, false, 0};
  for (auto _ : state) {
    auto r = Decode(b, seg);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode)->DenseRange(0, 12);

void BM_Encode(benchmark::State& state) {
  const ByteVec& b = Samples()[static_cast<std::size_t>(state.range(0))];
  state.SetLabel(kNames[state.range(0)]);
  const Option option = Decode(b).value().option;
  std::array<std::uint8_t, 64> out{};
  for (auto _ : state) {
    auto n = Encode(option, out);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode)->DenseRange(0, 12);

// A mixed stream, as a capture of a busy connection would give (mostly DSS).
void BM_DecodeMix(benchmark::State& state) {
  const auto& s = Samples();
  const std::vector<const ByteVec*> mix = {&s[4], &s[5], &s[4], &s[5], &s[1], &s[6], &s[4], &s[9]};
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = Decode(*mix[i++ & 7]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeMix);

}  // namespace
}  // namespace mpdrill::codec
