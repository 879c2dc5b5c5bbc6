// Helpers shared by the codec tests.
#ifndef MPDRILL_ENGINE_CODEC_CODEC_TEST_UTIL_H_
#define MPDRILL_ENGINE_CODEC_CODEC_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/codec/mptcp_codec.h"

namespace mpdrill::codec::testing {

using ByteVec = std::vector<std::uint8_t>;

inline std::string Hex(const ByteVec& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (auto c : b) s += {kDigits[c >> 4], kDigits[c & 0xf]};
  return s;
}

// Segment roles.
inline SegmentInfo Syn() { return {true, false, false, 0}; }
inline SegmentInfo SynAck() { return {true, true, false, 0}; }
inline SegmentInfo Ack(std::uint32_t payload = 0) { return {false, true, false, payload}; }
inline SegmentInfo Rst() { return {false, true, true, 0}; }

// Decodes and expects success; the test fails (and returns a default) otherwise.
inline Decoded MustDecode(const ByteVec& b, const SegmentInfo& seg = {}) {
  auto r = Decode(b, seg);
  if (!r.ok()) {
    ADD_FAILURE() << "decode of " << Hex(b) << " failed: " << r.error().reason;
    return Decoded{};
  }
  return r.value();
}

template <typename T>
T MustDecodeAs(const ByteVec& b, const SegmentInfo& seg = {}) {
  Decoded d = MustDecode(b, seg);
  const T* o = std::get_if<T>(&d.option);
  if (o == nullptr) {
    ADD_FAILURE() << "decode of " << Hex(b) << " gave another subtype";
    return T{};
  }
  return *o;
}

inline ByteVec MustEncode(const Option& o, const EncodeParams& params = {}) {
  ByteVec out(64);
  auto r = Encode(o, out, params);
  if (!r.ok()) {
    ADD_FAILURE() << "encode failed: " << r.error().reason;
    return {};
  }
  out.resize(r.value());
  return out;
}

}  // namespace mpdrill::codec::testing

#endif  // MPDRILL_ENGINE_CODEC_CODEC_TEST_UTIL_H_
