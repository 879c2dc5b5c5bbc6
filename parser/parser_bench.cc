// Parse throughput: MB/s (bytes_per_second) and scripts/s (items_per_second) on a typical
// MPTCP script, plus print throughput for the round trip.
#include <string>

#include <benchmark/benchmark.h>

#include "parser/parser.h"
#include "parser/printer.h"

namespace {

// A representative ~70-line MPTCP script (handshake, join, data, DATA_FIN), like the suite's.
std::string TypicalScript() {
  std::string s =
      "--tolerance_usecs=100000\n`../common/defaults.sh`\n\n"
      "0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
      "+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
      "+0 < addr[c0] > addr[s0] S 0:0(0) win 65535 <mss 1460, sackOK, TS val 4074410674 ecr 0, "
      "nop, wscale 8, mpcapable v1 flags[flag_h] nokey>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460, sackOK, TS val 4074410674 ecr 4074410674, nop, wscale 8, "
      "mpcapable v1 flags[flag_h] key[skey]>\n"
      "+0.1 < . 1:1(0) ack 1 win 256 <nop, nop, TS val 4074410674 ecr 4074410674, "
      "mpcapable v1 flags[flag_h] key[ckey=2, skey]>\n"
      "+0 accept(3, ..., ...) = 4\n";
  for (int i = 0; i < 20; ++i) {
    const std::string seq = std::to_string(1 + i * 100), end = std::to_string(101 + i * 100);
    s += "+0 < P. " + seq + ":" + end + "(100) ack 1 win 256 <nop, nop, TS val 1 ecr 2, dss dack8=1 dsn8=" +
         seq + " ssn=" + seq + " dll=100 nocs>\n";
    s += "+0 > . 1:1(0) ack " + end + " <nop, nop, TS val 3 ecr 1, dss dack8=" + end + " nocs>\n";
    s += "+0 read(4, ..., 100) = 100\n";
  }
  s += "+0 < > addr[s1] S 0:0(0) win 65535 <mss 1460, nop, wscale 8, mp_join_syn address_id=1 "
       "token=sha256_32(skey)>\n"
       "+0 > S. 0:0(0) ack 1 <mss 1460, nop, wscale 8, mp_join_syn_ack address_id=0 "
       "sender_hmac=auto>\n"
       "+0 < . 1:1(0) ack 1 win 256 <mp_join_ack sender_hmac=auto>\n"
       "+0 close(4) = 0\n"
       "+0 > . 1:1(0) ack 2001 <dss dack8=2001 dsn8=1 ssn=0 dll=1 nocs fin, nop, nop>\n";
  return s;
}

void BM_ParseTypicalScript(benchmark::State& state) {
  const std::string text = TypicalScript();
  for (auto _ : state) {
    auto r = mpdrill::parser::Parse(text, "bench.pkt");
    benchmark::DoNotOptimize(r);
    if (!r.ok()) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseTypicalScript);

void BM_PrintTypicalScript(benchmark::State& state) {
  auto r = mpdrill::parser::Parse(TypicalScript(), "bench.pkt");
  if (!r.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string out = mpdrill::parser::PrintScript(*r);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PrintTypicalScript);

void BM_ParseErrorsEveryLine(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "+0 < S 0:0(0) win 99999 <mss 1460, bogus>\n";
  mpdrill::parser::ParseOptions options;
  options.max_errors = 1000;
  for (auto _ : state) {
    auto r = mpdrill::parser::Parse(text, "bench.pkt", options);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseErrorsEveryLine);

}  // namespace
