// Fuzzes the codec on one MPTCP option, aimed at DSS (RFC 8684 §3.3): the A a M m F flags, 4/8-byte DATA_ACK and DSN, SSN, data-level length, checksum.
// Input: byte 0 = segment flags (fuzz/codec_mutator.h), then the option bytes. Whatever Decode
// accepts must re-encode to the same bytes, decode back to the same option and print; the
// custom mutator edits decoded fields so most inputs stay well-formed dss options.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/codec_mutator.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                        std::size_t max_size) __attribute__((weak));

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto segment = mpdrill::fuzz::SegmentFromFlags(data[0]);
  mpdrill::fuzz::CheckOption(std::span<const std::uint8_t>(data + 1, size - 1), segment);
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return mpdrill::fuzz::MutateOptionInput(data, size, max_size, seed,
                                          mpdrill::codec::Subtype::kDss, LLVMFuzzerMutate);
}
