// Per-frame cost of the decode hot path without output: dissect + walk + decode options.
#include <benchmark/benchmark.h>

#include "engine/capture/dissect.h"
#include "engine/capture/mptcp_scan.h"
#include "engine/capture/test_frames.h"

namespace mpdrill::capture {
namespace {

testing::Buf DssDataFrame() {
  testing::TcpSpec s;
  s.flags = kTcpAck | kTcpPsh;
  // nop nop TS(10) + dss dack4 dsn8 ssn dll (22 bytes)
  s.options = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2,
               0x1e, 0x16, 0x20, 0x0d, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 0, 0, 1, 0, 100};
  s.payload = testing::Buf(100, 0x61);
  return testing::Ethernet(0x0800, testing::Ipv4({}, testing::Tcp(s)));
}

void BM_Dissect(benchmark::State& state) {
  const testing::Buf frame = DssDataFrame();
  for (auto _ : state) {
    auto r = Dissect(kLinkEthernet, frame);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Dissect);

void BM_DissectAndScan(benchmark::State& state) {
  const testing::Buf frame = DssDataFrame();
  MptcpScan scan;
  for (auto _ : state) {
    auto r = Dissect(kLinkEthernet, frame);
    ScanMptcpOptions(std::get<TcpSegment>(*r), &scan);
    benchmark::DoNotOptimize(scan.size);
  }
}
BENCHMARK(BM_DissectAndScan);

}  // namespace
}  // namespace mpdrill::capture
