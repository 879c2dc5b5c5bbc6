// MPTCP key derivations and authentication (RFC 8684 §3.1, §3.2, §3.3.1, §3.4.1), on
// OpenSSL libcrypto. Pure functions of their inputs; keys and nonces as the host integers
// that go on the wire big-endian.
#ifndef MPDRILL_ENGINE_CRYPTO_MPTCP_CRYPTO_H_
#define MPDRILL_ENGINE_CRYPTO_MPTCP_CRYPTO_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace mpdrill::crypto {

// K1: token = most significant 32 bits of SHA-256(key); IDSN = least significant 64 bits.
struct KeyDerived {
  std::uint32_t token = 0;
  std::uint64_t idsn = 0;
};
KeyDerived Derive(std::uint64_t key);  // both from one digest
std::uint32_t Token(std::uint64_t key);
std::uint64_t Idsn(std::uint64_t key);

// K2: HMAC-SHA256 with key = key_a ‖ key_b and message = nonce_a ‖ nonce_b (all big-endian).
std::array<std::uint8_t, 32> JoinHmac(std::uint64_t key_a, std::uint64_t key_b,
                                      std::uint32_t nonce_a, std::uint32_t nonce_b);
// MP_JOIN SYN/ACK from B: leftmost 64 bits of HMAC(K_B‖K_A, R_B‖R_A).
std::uint64_t JoinSynAckHmac(std::uint64_t key_b, std::uint64_t key_a, std::uint32_t nonce_b,
                             std::uint32_t nonce_a);
// MP_JOIN third ACK from A: leftmost 160 bits of HMAC(K_A‖K_B, R_A‖R_B).
std::array<std::uint8_t, 20> JoinAckHmac(std::uint64_t key_a, std::uint64_t key_b,
                                         std::uint32_t nonce_a, std::uint32_t nonce_b);

// K3: rightmost 64 bits of HMAC(K_sender‖K_receiver, AddrID‖Address‖Port); `address` is 4
// or 16 bytes; an absent port is two zero bytes.
std::uint64_t AddAddrHmac(std::uint64_t key_sender, std::uint64_t key_receiver,
                          std::uint8_t address_id, std::span<const std::uint8_t> address,
                          std::optional<std::uint16_t> port);

// K4: DSS checksum. Incremental, since a mapping can span segments: feed the pseudo-header,
// then each payload piece in order, then Finish() gives the value to put on the wire.
class DssChecksum {
 public:
  DssChecksum(std::uint64_t dsn, std::uint32_t ssn, std::uint16_t data_level_length);
  void Add(std::span<const std::uint8_t> payload);
  std::uint16_t Finish() const;

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;  // an odd byte count so far: the next byte is a low byte
};

}  // namespace mpdrill::crypto

#endif  // MPDRILL_ENGINE_CRYPTO_MPTCP_CRYPTO_H_
