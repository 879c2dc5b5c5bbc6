// Shared pieces of the codec fuzz harnesses (docs/fuzzing.md): the input layout, the contract
// checks every harness applies to a decoded option, and the structure-aware mutators that
// libFuzzer calls through LLVMFuzzerCustomMutator.
//
// Input layout of every codec harness: byte 0 describes the segment the option(s) travel on
// (SegmentFlags bits below), the rest is one MPTCP option (mp_capable/dss/add_addr_fuzzer) or
// a whole TCP option area of at most 40 bytes (option_list_fuzzer).
#ifndef MPDRILL_FUZZ_CODEC_MUTATOR_H_
#define MPDRILL_FUZZ_CODEC_MUTATOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_option.h"

namespace mpdrill::fuzz {

// Byte 0 of a harness input. A "known" bit clear leaves that SegmentInfo field nullopt.
inline constexpr std::uint8_t kSegSynKnown = 0x01;
inline constexpr std::uint8_t kSegSyn = 0x02;
inline constexpr std::uint8_t kSegAckKnown = 0x04;
inline constexpr std::uint8_t kSegAck = 0x08;
inline constexpr std::uint8_t kSegRstKnown = 0x10;
inline constexpr std::uint8_t kSegRst = 0x20;
inline constexpr std::uint8_t kSegPayloadKnown = 0x40;
inline constexpr std::uint8_t kSegPayloadNonZero = 0x80;  // payload_length 1000, else 0
inline constexpr std::uint32_t kSegPayloadLength = 1000;

codec::SegmentInfo SegmentFromFlags(std::uint8_t flags);
// Inverse for segments whose fields are all known (payload lengths > 0 map to 1000).
std::uint8_t FlagsFromSegment(const codec::SegmentInfo& segment);

// Checks the codec's contracts on one option and aborts (after printing `expected: X
// actual: Y` to stderr) when one breaks:
//  - a decode error's offset lies within the bytes (or at their end, for truncation);
//  - accepted bytes re-encode to exactly themselves (EncodedLength agrees, Encode succeeds);
//  - Decode(Encode(option)) == option, with the same violations;
//  - SubtypeOf(option) is byte 2's high nibble; every violation offset lies inside the option;
//  - ToScript and AppendJsonFields do not crash and print something.
// Returns the decoded option when the bytes were accepted.
std::optional<codec::Option> CheckOption(std::span<const std::uint8_t> option,
                                         const codec::SegmentInfo& segment);

// libFuzzer's byte-level mutator (LLVMFuzzerMutate), or nullptr outside a libFuzzer build.
using ByteMutator = std::size_t (*)(std::uint8_t* data, std::size_t size, std::size_t max_size);

// Structure-aware mutation of a single-option input (segment byte + option). When the option
// decodes, mutates its decoded fields (flags, lengths/forms, keys, DSN widths, address family,
// port/HMAC presence, reserved bits) and re-encodes, sometimes with a crafted length byte;
// otherwise builds a fresh option of `target` or falls back to `fallback`. Keeps `target`'s
// subtype about 7 times in 8. All randomness comes from `seed`: the same arguments give the
// same output. Returns the new size (<= max_size).
std::size_t MutateOptionInput(std::uint8_t* data, std::size_t size, std::size_t max_size,
                              unsigned seed, codec::Subtype target, ByteMutator fallback);

// Structure-aware mutation of an option-area input (segment byte + up to 40 option bytes):
// mutates one MPTCP option in place (as above, any subtype), inserts or removes an option
// (NOP, EOL, MSS, SACK-permitted, timestamps, window scale, an MPTCP option), or falls back.
std::size_t MutateOptionArea(std::uint8_t* data, std::size_t size, std::size_t max_size,
                             unsigned seed, ByteMutator fallback);

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_CODEC_MUTATOR_H_
