// Known-answer tests for RFC 8684 K1-K4.
//
// Unless said otherwise, expected values were computed independently with python3:
//   import hashlib, hmac, struct
//   sha = hashlib.sha256(struct.pack('>Q', key)).digest()        # K1: token sha[:4], IDSN sha[-8:]
//   hm = lambda k1, k2, m: hmac.new(struct.pack('>QQ', k1, k2), m, hashlib.sha256).digest()
//   csum = RFC 1071 sum of big-endian 16-bit words (odd tail padded with 0), folded, inverted,
//          over struct.pack('>QIHH', dsn, ssn, dll, 0) + payload                # K4
#include "engine/crypto/mptcp_crypto.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

namespace mpdrill::crypto {
namespace {

constexpr std::uint64_t kKeyA = 0x0123456789abcdefULL;
constexpr std::uint64_t kKeyB = 0xfedcba9876543210ULL;
constexpr std::uint32_t kNonceA = 0x11223344;
constexpr std::uint32_t kNonceB = 0xaabbccdd;

template <std::size_t N>
std::array<std::uint8_t, N> FromHex(const char (&hex)[2 * N + 1]) {
  std::array<std::uint8_t, N> out{};
  auto nibble = [](char c) -> std::uint8_t {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  };
  for (std::size_t i = 0; i < N; ++i) {
    out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
  return out;
}

// K1 (RFC 8684 §3.1).
TEST(TokenIdsn, KnownAnswers) {
  EXPECT_EQ(Token(0x0123456789abcdefULL), 0x55c53f5du);
  EXPECT_EQ(Idsn(0x0123456789abcdefULL), 0x570762cd38be9818ULL);
  EXPECT_EQ(Token(0), 0xaf5570f5u);
  EXPECT_EQ(Idsn(0), 0xe5b2328de0e83dfcULL);
  EXPECT_EQ(Token(0xffffffffffffffffULL), 0x12a3ae44u);
  EXPECT_EQ(Idsn(0xffffffffffffffffULL), 0x57fb595bbbacf0caULL);
  EXPECT_EQ(Token(0xfedcba9876543210ULL), 0x18f9781bu);
  EXPECT_EQ(Idsn(0xfedcba9876543210ULL), 0x280818bf0fa7e28eULL);
  const KeyDerived both = Derive(0x0123456789abcdefULL);  // one digest, the same two values
  EXPECT_EQ(both.token, 0x55c53f5du);
  EXPECT_EQ(both.idsn, 0x570762cd38be9818ULL);
}

// The Linux kernel's net/mptcp/crypto_test.c vectors: its key and message strings are used as
// raw ASCII bytes (key1 = first 8 characters, key2 = last 8, nonces = 4 characters each).
// Cross-checked with python3 hmac.new(b"0b0b0b0b0b0b0b0b", b"48692054", sha256).
TEST(JoinHmac, KernelCryptoTestVectors) {
  EXPECT_EQ(JoinHmac(0x3062306230623062ULL, 0x3062306230623062ULL, 0x34383639, 0x32303534),
            FromHex<32>("8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa"));
  EXPECT_EQ(JoinHmac(0x6161616161616161ULL, 0x6161616161616161ULL, 0x64646464, 0x64646464),
            FromHex<32>("2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9"));
  EXPECT_EQ(JoinHmac(0x3031303230333034ULL, 0x3035303630373038ULL, 0x63646364, 0x63646364),
            FromHex<32>("e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d"));
}

// K2 (RFC 8684 §3.2): python hm(kA, kB, pack('>II', rA, rB)).
TEST(JoinHmac, FullDigest) {
  EXPECT_EQ(JoinHmac(kKeyA, kKeyB, kNonceA, kNonceB),
            FromHex<32>("f61753d6b8ac227764b9d1b17a6f5ceeec9d1a8a4351afe5408a31e58cbbe7ba"));
}

// SYN/ACK from B: hm(kB, kA, pack('>II', rB, rA))[:8].
TEST(JoinHmac, SynAckIsLeftmost64BitsWithBsKeyFirst) {
  EXPECT_EQ(JoinSynAckHmac(kKeyB, kKeyA, kNonceB, kNonceA), 0x3bae5abc810a33c2ULL);
  // Swapping the roles must change the value (the key order matters).
  EXPECT_NE(JoinSynAckHmac(kKeyA, kKeyB, kNonceA, kNonceB), 0x3bae5abc810a33c2ULL);
}

// Third ACK from A: hm(kA, kB, pack('>II', rA, rB))[:20].
TEST(JoinHmac, AckIsLeftmost160Bits) {
  EXPECT_EQ(JoinAckHmac(kKeyA, kKeyB, kNonceA, kNonceB),
            FromHex<20>("f61753d6b8ac227764b9d1b17a6f5ceeec9d1a8a"));
}

// K3 (RFC 8684 §3.4.1): hm(kS, kR, bytes([id]) + addr + port)[-8:].
TEST(AddAddrHmac, Ipv4WithoutPortUsesTwoZeroBytes) {
  const std::uint8_t addr[] = {198, 51, 100, 2};
  EXPECT_EQ(AddAddrHmac(kKeyA, kKeyB, 5, addr, std::nullopt), 0xa1e5a4d8f5043fb6ULL);
  // "absent" and port 0 are the same message.
  EXPECT_EQ(AddAddrHmac(kKeyA, kKeyB, 5, addr, 0), 0xa1e5a4d8f5043fb6ULL);
}

TEST(AddAddrHmac, Ipv4WithPort) {
  const std::uint8_t addr[] = {198, 51, 100, 2};
  EXPECT_EQ(AddAddrHmac(kKeyA, kKeyB, 5, addr, 8080), 0xad8bc392533ee6e8ULL);
}

TEST(AddAddrHmac, Ipv6WithPort) {
  const auto addr = FromHex<16>("20010db8000000000000000000000002");
  EXPECT_EQ(AddAddrHmac(kKeyB, kKeyA, 9, addr, 443), 0x17ac1e3f512468adULL);
}

// K4 (RFC 8684 §3.3.1): python csum(pack('>QIHH', dsn, ssn, dll, 0) + payload).
TEST(DssChecksum, PseudoHeaderOnly) {
  EXPECT_EQ(DssChecksum(0x0102030405060708ULL, 1, 0).Finish(), 0xefea);
  EXPECT_EQ(DssChecksum(0, 0, 0).Finish(), 0xffff);
}

std::vector<std::uint8_t> Payload107() {
  std::vector<std::uint8_t> p(100);
  std::iota(p.begin(), p.end(), std::uint8_t{1});  // 1..100
  p.insert(p.end(), 7, 0xff);
  return p;
}

TEST(DssChecksum, OddLengthPayloadInOnePiece) {
  const auto p = Payload107();
  DssChecksum c(0x0123456789abcdefULL, 0x1000, 107);
  c.Add(p);
  EXPECT_EQ(c.Finish(), 0x846e);
}

// A mapping can span segments: every split point, including odd ones, gives the same value.
TEST(DssChecksum, AnySplitIntoTwoOrThreePiecesGivesTheSameValue) {
  const auto p = Payload107();
  const std::span<const std::uint8_t> all(p);
  for (std::size_t i = 0; i <= p.size(); ++i) {
    for (std::size_t j = i; j <= p.size(); j += 13) {
      DssChecksum c(0x0123456789abcdefULL, 0x1000, 107);
      c.Add(all.first(i));
      c.Add(all.subspan(i, j - i));
      c.Add(all.subspan(j));
      ASSERT_EQ(c.Finish(), 0x846e) << "split at " << i << " and " << j;
    }
  }
}

TEST(DssChecksum, ByteByByteAndEmptyPieces) {
  const auto p = Payload107();
  DssChecksum c(0x0123456789abcdefULL, 0x1000, 107);
  for (std::uint8_t b : p) {
    c.Add({});
    c.Add(std::span<const std::uint8_t>(&b, 1));
  }
  EXPECT_EQ(c.Finish(), 0x846e);
}

// The bulk of a piece is summed 8 bytes at a time: pieces of every length and alignment up to
// 64 KiB + 40, over bytes that are not all alike, agree with a plain word-by-word sum.
TEST(DssChecksum, WideSumsAgreeWithWordByWordSums) {
  std::vector<std::uint8_t> data((1 << 16) + 41);
  std::uint32_t x = 12345;
  for (std::uint8_t& b : data) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  auto reference = [&](std::size_t from, std::size_t length) {
    std::uint64_t sum = 0x0123 + 0x4567 + 0x89ab + 0xcdef + 0x1000 + 7;  // header words
    for (std::size_t i = 0; i < length; ++i) {
      sum += (i % 2 == 0) ? std::uint64_t{data[from + i]} << 8 : data[from + i];
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
  };
  const std::span<const std::uint8_t> all(data);
  for (std::size_t from : {0, 1, 3, 8}) {
    for (std::size_t length : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1499, 1500, 65535, 65536,
                               65537, 65540}) {
      if (from + length > data.size()) continue;
      DssChecksum one(0x0123456789abcdefULL, 0x1000, 7);
      one.Add(all.subspan(from, length));
      EXPECT_EQ(one.Finish(), reference(from, length)) << from << " " << length;
      // The same bytes in an odd piece, then the rest.
      DssChecksum two(0x0123456789abcdefULL, 0x1000, 7);
      const std::size_t cut = length / 3 | 1;
      two.Add(all.subspan(from, std::min(cut, length)));
      if (cut < length) two.Add(all.subspan(from + cut, length - cut));
      EXPECT_EQ(two.Finish(), reference(from, length)) << from << " " << length << " cut";
    }
  }
}

// A receiver's check: summing the pseudo-header with the checksum field filled in, plus the
// payload, yields zero after the final complement (RFC 1071 property the kernel relies on).
TEST(DssChecksum, ValueVerifiesToZero) {
  const auto p = Payload107();
  DssChecksum c(0x0123456789abcdefULL, 0x1000, 107);
  c.Add(p);
  const std::uint16_t sum = c.Finish();
  DssChecksum verify(0x0123456789abcdefULL, 0x1000, 107);
  const std::uint8_t field[] = {static_cast<std::uint8_t>(sum >> 8),
                                static_cast<std::uint8_t>(sum)};
  verify.Add(field);  // lands at an even offset after the 16-byte header
  verify.Add(p);
  EXPECT_EQ(verify.Finish(), 0x0000);
}

// Large payloads must not overflow the accumulator: 1 MiB of 0xff words sums to 0xffff.
TEST(DssChecksum, LargePayloadDoesNotOverflow) {
  std::vector<std::uint8_t> big(1 << 20, 0xff);
  DssChecksum c(0, 0, 0);
  for (int i = 0; i < 64; ++i) c.Add(big);
  // 0xffff is negative zero: the header's zero sum plus any number of 0xffff words folds to
  // 0xffff, whose complement is 0.
  EXPECT_EQ(c.Finish(), 0x0000);
}

// Values a Linux 6.18 kernel put on the wire, read with `mpdrill decode` from captures of MPTCP
// connections (net.mptcp.checksum_enabled=1, one signalled address, a join) made on loopback in
// a private network namespace. Payload bytes were known: message i was 1500 bytes of value i, the
// echo 100 bytes of the same value.
TEST(LinuxKernelCapture, TokenIdsnAddAddrAndDssChecksums) {
  constexpr std::uint64_t kClientKey = 0x2e8654342ac46d31ULL;  // MP_CAPABLE ckey
  constexpr std::uint64_t kServerKey = 0x622035243b912f7eULL;  // MP_CAPABLE skey
  // The first DSN of each direction is IDSN + 1 (K1).
  EXPECT_EQ(Idsn(kClientKey) + 1, 13163554518601276579ULL);
  EXPECT_EQ(Idsn(kServerKey) + 1, 16746827742045114386ULL);
  // MP_JOIN SYNs towards each side carried the token of that side's key.
  EXPECT_EQ(Token(kServerKey), 0x11511b4cu);
  EXPECT_EQ(Token(kClientKey), 0x6515347cu);
  // ADD_ADDR id 1, 198.51.100.2, no port, from the server, then from the client.
  const std::uint8_t addr[] = {198, 51, 100, 2};
  EXPECT_EQ(AddAddrHmac(kServerKey, kClientKey, 1, addr, std::nullopt), 0x0b983dbbd504b173ULL);
  EXPECT_EQ(AddAddrHmac(kClientKey, kServerKey, 1, addr, std::nullopt), 0x14e431d1c0634037ULL);
  auto checksum = [](std::uint64_t dsn, std::uint32_t ssn, std::uint16_t dll, std::uint8_t fill) {
    const std::vector<std::uint8_t> payload(dll, fill);
    DssChecksum c(dsn, ssn, dll);
    c.Add(payload);
    return c.Finish();
  };
  // MP_CAPABLE with data (mpcdatalen 1500 cksum=0xf901): DSN = client IDSN + 1, SSN 1.
  EXPECT_EQ(checksum(Idsn(kClientKey) + 1, 1, 1500, 0), 0xf901);
  EXPECT_EQ(checksum(16746827742045114386ULL, 1, 100, 0), 0x80c3);
  EXPECT_EQ(checksum(16746827742045114386ULL, 101, 100, 0), 0x805f);
  EXPECT_EQ(checksum(13163554518601278079ULL, 1501, 1500, 1), 0xfc58);
  // DATA_FIN-only mapping: SSN 0, length 1, no payload.
  EXPECT_EQ(DssChecksum(13163554518601306579ULL, 0, 1).Finish(), 0x89ad);
}

// A successful join in the same kind of capture: A (client) joins B (server).
TEST(LinuxKernelCapture, JoinHmacs) {
  constexpr std::uint64_t kKeyA = 0x2fad9d2974bb6b64ULL;
  constexpr std::uint64_t kKeyB = 0xb73b22e45e33b7e0ULL;
  constexpr std::uint32_t kNonceA = 0x5f85b248;  // mp_join_syn rand
  constexpr std::uint32_t kNonceB = 0x0199206e;  // mp_join_syn_ack rand
  EXPECT_EQ(Token(kKeyB), 0x47af29aau);
  EXPECT_EQ(JoinSynAckHmac(kKeyB, kKeyA, kNonceB, kNonceA), 0x22277cac8e8458a0ULL);
  EXPECT_EQ(JoinAckHmac(kKeyA, kKeyB, kNonceA, kNonceB),
            FromHex<20>("41c4aa32162aaf666fdab4a285920eaef141e727"));
}

}  // namespace
}  // namespace mpdrill::crypto
