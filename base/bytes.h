// Bounds-checked big-endian reader and writer over byte spans. Every byte the project parses or
// builds goes through these: a read never runs past the end and advances only on success.
#ifndef MPDRILL_BASE_BYTES_H_
#define MPDRILL_BASE_BYTES_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace mpdrill {

using Bytes = std::span<const std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(Bytes data) : data_(data) {}

  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  Bytes data() const { return data_; }
  Bytes rest() const { return data_.subspan(pos_); }

  // Each Read* returns false and leaves the reader untouched if too few bytes remain.
  bool ReadU8(std::uint8_t* out) { return ReadBig(out); }
  bool ReadU16(std::uint16_t* out) { return ReadBig(out); }
  bool ReadU32(std::uint32_t* out) { return ReadBig(out); }
  bool ReadU64(std::uint64_t* out) { return ReadBig(out); }
  bool PeekU8(std::uint8_t* out) const {
    if (remaining() < 1) return false;
    *out = data_[pos_];
    return true;
  }
  bool ReadBytes(std::size_t n, Bytes* out) {
    if (remaining() < n) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  template <std::size_t N>
  bool ReadArray(std::array<std::uint8_t, N>* out) {
    if (remaining() < N) return false;
    std::memcpy(out->data(), data_.data() + pos_, N);
    pos_ += N;
    return true;
  }
  bool Skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  // One load and a byte swap: g++ 12 -O2 kept the byte-at-a-time form as a loop per field,
  // ~40% of the instructions of decoding a DSS mapping (codec_bench, docs/performance.md).
  template <typename U>
  bool ReadBig(U* out) {
    if (remaining() < sizeof(U)) return false;
    U v;
    std::memcpy(&v, data_.data() + pos_, sizeof(U));
    *out = FromBigEndian(v);
    pos_ += sizeof(U);
    return true;
  }
  template <typename U>
  static U FromBigEndian(U v) {
    static_assert(std::is_unsigned_v<U> && sizeof(U) <= 8);
    if constexpr (std::endian::native == std::endian::big || sizeof(U) == 1) {
      return v;
    } else if constexpr (sizeof(U) == 2) {
      return __builtin_bswap16(v);
    } else if constexpr (sizeof(U) == 4) {
      return __builtin_bswap32(v);
    } else {
      return __builtin_bswap64(v);
    }
  }

  Bytes data_;
  std::size_t pos_ = 0;
};

// Writes into a caller-owned buffer; a write that does not fit writes nothing and returns false.
class ByteWriter {
 public:
  explicit ByteWriter(std::span<std::uint8_t> buf) : buf_(buf) {}

  std::size_t size() const { return pos_; }
  std::size_t remaining() const { return buf_.size() - pos_; }
  Bytes written() const { return Bytes(buf_.data(), pos_); }

  bool WriteU8(std::uint8_t v) { return WriteBig(v); }
  bool WriteU16(std::uint16_t v) { return WriteBig(v); }
  bool WriteU32(std::uint32_t v) { return WriteBig(v); }
  bool WriteU64(std::uint64_t v) { return WriteBig(v); }
  bool WriteBytes(Bytes b) {
    if (remaining() < b.size()) return false;
    if (!b.empty()) std::memcpy(buf_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
    return true;
  }
  // Overwrites one byte already written (e.g. a length field decided after the body).
  bool PatchU8(std::size_t at, std::uint8_t v) {
    if (at >= pos_) return false;
    buf_[at] = v;
    return true;
  }

 private:
  template <typename U>
  bool WriteBig(U v) {
    if (remaining() < sizeof(U)) return false;
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      buf_[pos_ + i] = static_cast<std::uint8_t>(v >> (8 * (sizeof(U) - 1 - i)));
    }
    pos_ += sizeof(U);
    return true;
  }

  std::span<std::uint8_t> buf_;
  std::size_t pos_ = 0;
};

}  // namespace mpdrill

#endif  // MPDRILL_BASE_BYTES_H_
