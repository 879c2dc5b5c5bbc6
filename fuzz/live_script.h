// A live_fuzzer input (fuzz/live_input.h) as a packetdrill script for `mpdrill run`
// (docs/fuzzing.md, "Findings as scripts"): the same connection, step by step — mpdrill's
// packets written from the decoded steps (keys, tokens, HMACs and DATA_ACKs symbolic where
// they depend on the kernel's key), the kernel's application as syscalls. The script asserts
// only the kernel's handshake answers (`<...>`: they teach the runner the kernel's ISN, key
// and nonces); every other kernel packet is judged by the reference model, which is what
// makes `mpdrill run` fail it with the finding's rule.
#ifndef MPDRILL_FUZZ_LIVE_SCRIPT_H_
#define MPDRILL_FUZZ_LIVE_SCRIPT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fuzz/live_input.h"

namespace mpdrill::fuzz {

struct LiveScriptHeader {
  std::string kernel;             // `uname -sr` of the kernel the finding is from
  std::string rule;               // the finding's first kernel rule line (model: D10 ...)
  std::string source;             // the finding's input file
  std::size_t original_steps = 0;  // before minimizing
};

// What live_fuzzer saw of one run, in wire order (MPDRILL_LIVE_FUZZ_TRACE=FILE): each of
// mpdrill's packets (its subflow), each write of the kernel's application, and each kernel
// packet of a subflow mpdrill knows, with its flags and sequence numbers relative to the
// subflow's ISNs. One line each: "< FLOW", "w", and "> FLOW FLAGS SEQ LENGTH ACK" (ACK -1:
// none; FLAGS in script spelling).
struct LiveTraceEvent {
  bool kernel = false;
  bool write = false;  // the application's write (not kernel)
  int flow = 0;
  std::uint16_t flags = 0;
  std::uint32_t seq = 0;  // relative to the kernel's ISN (its SYN: 0)
  std::uint32_t length = 0;
  std::optional<std::uint32_t> ack;  // relative to mpdrill's ISN on the subflow
};
std::string FormatTraceEvent(const LiveTraceEvent& event);
// Error: "line N: ..." for a line that is not an event.
Result<std::vector<LiveTraceEvent>, std::string> ParseTrace(std::string_view text);

// The script text, or why the input cannot be written yet (a step or role the writer does
// not express; the text names it). With a trace of the input's run, every kernel packet of
// it becomes an outbound line (flags, sequence and ack numbers asserted, options `<...>`
// but for the first SYN/ACK), so the runner's in-order matching follows the kernel through
// joins that come after traffic; without one, only the handshake answers are asserted.
Result<std::string, std::string> WriteLiveScript(
    const LiveInput& input, const LiveScriptHeader& header,
    const std::vector<LiveTraceEvent>* trace = nullptr);

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_LIVE_SCRIPT_H_
