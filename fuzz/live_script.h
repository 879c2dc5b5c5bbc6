// A live_fuzzer input (fuzz/live_input.h) as a packetdrill script for `mpdrill run`
// (docs/fuzzing.md, "Findings as scripts"): the same connection, step by step — mpdrill's
// packets written from the decoded steps (keys, tokens, HMACs and DATA_ACKs symbolic where
// they depend on the kernel's key), the kernel's application as syscalls. The script asserts
// only the kernel's handshake answers (`<...>`: they teach the runner the kernel's ISN, key
// and nonces); every other kernel packet is judged by the reference model, which is what
// makes `mpdrill run` fail it with the finding's rule.
#ifndef MPDRILL_FUZZ_LIVE_SCRIPT_H_
#define MPDRILL_FUZZ_LIVE_SCRIPT_H_

#include <string>
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

// The script text, or why the input cannot be written yet (a step or role the writer does
// not express; the text names it).
Result<std::string, std::string> WriteLiveScript(const LiveInput& input,
                                                 const LiveScriptHeader& header);

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_LIVE_SCRIPT_H_
