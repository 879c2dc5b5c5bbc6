#include "engine/crypto/mptcp_crypto.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "base/bytes.h"

namespace mpdrill::crypto {
namespace {

using Digest = std::array<std::uint8_t, SHA256_DIGEST_LENGTH>;
constexpr std::size_t kSha256Block = 64;

std::uint64_t LoadBig64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  ByteReader r(Bytes(p, 8));
  r.ReadU64(&v);  // 8 bytes are always there
  return v;
}

// SHA-256 fetched from the default provider once. The one-shot SHA256() and HMAC() fetch the
// algorithm on every call (a lock and a name lookup in OpenSSL 3): most of their cost on
// inputs this short, which `mpdrill check` hashes for every connection and join. Never
// mutated after the first call; C++ initialises it once even with threads.
const EVP_MD* Sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) std::abort();  // only on a broken libcrypto: an invariant
  return md;
}

Digest Sha256Of(Bytes data) {
  Digest out{};
  if (EVP_Digest(data.data(), data.size(), out.data(), nullptr, Sha256(), nullptr) != 1) {
    std::abort();  // never fails on in-memory input with a working libcrypto
  }
  return out;
}

// HMAC-SHA256 with key = key1 ‖ key2 (big-endian), as every MPTCP HMAC is keyed
// (RFC 8684 §3.2, §3.4.1). RFC 2104 §2 spelt out over two digests: H((K ^ opad) ‖
// H((K ^ ipad) ‖ message)), the 16-byte key zero-padded to the 64-byte block.
Digest HmacSha256(std::uint64_t key1, std::uint64_t key2, Bytes message) {
  std::array<std::uint8_t, kSha256Block> key{};
  ByteWriter k(key);
  k.WriteU64(key1);
  k.WriteU64(key2);
  constexpr std::size_t kMaxMessage = 1 + 16 + 2;  // ADD_ADDR's, the longest
  std::array<std::uint8_t, kSha256Block + kMaxMessage> inner{};
  std::array<std::uint8_t, kSha256Block + SHA256_DIGEST_LENGTH> outer{};
  ByteWriter in(inner), out(outer);
  for (std::uint8_t b : key) {
    in.WriteU8(b ^ 0x36);  // ipad
    out.WriteU8(b ^ 0x5c);  // opad
  }
  if (!in.WriteBytes(message)) std::abort();  // callers pass fixed-size messages
  out.WriteBytes(Sha256Of(in.written()));
  return Sha256Of(out.written());
}

std::array<std::uint8_t, 8> NonceMessage(std::uint32_t first, std::uint32_t second) {
  std::array<std::uint8_t, 8> msg{};
  ByteWriter w(msg);
  w.WriteU32(first);
  w.WriteU32(second);
  return msg;
}

}  // namespace

// K1 (RFC 8684 §3.1): token = most significant 32 bits of SHA-256(key), IDSN = least
// significant 64 bits.
KeyDerived Derive(std::uint64_t key) {
  std::array<std::uint8_t, 8> k{};
  ByteWriter(k).WriteU64(key);
  const Digest d = Sha256Of(k);
  return {static_cast<std::uint32_t>(LoadBig64(d.data()) >> 32),
          LoadBig64(d.data() + d.size() - 8)};
}

std::uint32_t Token(std::uint64_t key) { return Derive(key).token; }
std::uint64_t Idsn(std::uint64_t key) { return Derive(key).idsn; }

// K2 (RFC 8684 §3.2).
std::array<std::uint8_t, 32> JoinHmac(std::uint64_t key_a, std::uint64_t key_b,
                                      std::uint32_t nonce_a, std::uint32_t nonce_b) {
  const auto msg = NonceMessage(nonce_a, nonce_b);
  return HmacSha256(key_a, key_b, msg);
}

std::uint64_t JoinSynAckHmac(std::uint64_t key_b, std::uint64_t key_a, std::uint32_t nonce_b,
                             std::uint32_t nonce_a) {
  const auto full = JoinHmac(key_b, key_a, nonce_b, nonce_a);
  return LoadBig64(full.data());
}

std::array<std::uint8_t, 20> JoinAckHmac(std::uint64_t key_a, std::uint64_t key_b,
                                         std::uint32_t nonce_a, std::uint32_t nonce_b) {
  const auto full = JoinHmac(key_a, key_b, nonce_a, nonce_b);
  std::array<std::uint8_t, 20> out{};
  ByteReader(full).ReadArray(&out);
  return out;
}

// K3 (RFC 8684 §3.4.1): message = Address ID ‖ Address ‖ Port (two zero bytes when absent).
std::uint64_t AddAddrHmac(std::uint64_t key_sender, std::uint64_t key_receiver,
                          std::uint8_t address_id, std::span<const std::uint8_t> address,
                          std::optional<std::uint16_t> port) {
  std::array<std::uint8_t, 1 + 16 + 2> msg{};
  ByteWriter w(msg);
  w.WriteU8(address_id);
  // Addresses longer than IPv6 are cut to 16 bytes; callers pass 4 or 16.
  w.WriteBytes(address.size() <= 16 ? address : address.first(16));
  w.WriteU16(port.value_or(0));
  const Digest d = HmacSha256(key_sender, key_receiver, w.written());
  return LoadBig64(d.data() + d.size() - 8);
}

// K4 (RFC 8684 §3.3.1): the pseudo-header {DSN 64, SSN 32, data-level length 16, zero 16}
// is summed before the payload; the Linux kernel (__mptcp_make_csum) does the same with
// csum_partial over the big-endian header, then csum_fold (fold to 16 bits and complement).
DssChecksum::DssChecksum(std::uint64_t dsn, std::uint32_t ssn, std::uint16_t data_level_length) {
  std::array<std::uint8_t, 16> header{};
  ByteWriter w(header);
  w.WriteU64(dsn);
  w.WriteU32(ssn);
  w.WriteU16(data_level_length);
  w.WriteU16(0);
  Add(header);
}

namespace {

// One's-complement sum of `bytes` (a multiple of 8 long) as big-endian 16-bit words, folded to
// 16 bits. Eight bytes per step: two 32-bit halves of a native load, summed in 64 bits (no
// carry is lost: each step adds less than 2^33, a call sees at most 2^16 steps). RFC 1071
// §2: the sum does not depend on how the words are grouped (2^16 = 1 modulo 0xffff), and the
// sum of byte-swapped words is the byte-swapped sum, so a little-endian load is swapped once at
// the end instead of per word.
std::uint64_t SumWords64K(const std::uint8_t* bytes, std::size_t length) {
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < length; i += 8) {
    std::uint64_t v = 0;
    std::memcpy(&v, bytes + i, sizeof(v));
    acc += (v & 0xffffffffu) + (v >> 32);
  }
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  if constexpr (std::endian::native == std::endian::little) {
    acc = ((acc & 0xff) << 8) | (acc >> 8);
  }
  return acc;
}

}  // namespace

void DssChecksum::Add(std::span<const std::uint8_t> payload) {
  std::size_t i = 0;
  const std::size_t n = payload.size();
  if (odd_ && n > 0) {
    sum_ += payload[0];  // low byte of the 16-bit word started in the previous piece
    odd_ = false;
    i = 1;
  }
  // From here on `i` is at the start of a 16-bit word: the bulk 8 bytes at a time, in blocks
  // of at most 64 KiB (see SumWords64K).
  constexpr std::size_t kBlock = std::size_t{1} << 16;
  while (n - i >= 8) {
    const std::size_t block = std::min(kBlock, (n - i) & ~std::size_t{7});
    sum_ += SumWords64K(payload.data() + i, block);
    i += block;
  }
  for (; i + 1 < n; i += 2) {
    sum_ += static_cast<std::uint32_t>(payload[i] << 8 | payload[i + 1]);
  }
  if (i < n) {
    sum_ += static_cast<std::uint32_t>(payload[i]) << 8;  // high byte; the next Add completes it
    odd_ = true;
  }
  // Keep sum_ bounded across many Add calls.
  sum_ = (sum_ & 0xffffffffu) + (sum_ >> 32);
}

std::uint16_t DssChecksum::Finish() const {
  std::uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

}  // namespace mpdrill::crypto
