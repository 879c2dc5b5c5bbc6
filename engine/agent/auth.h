// The agent's authentication (docs/agent.md "Security"): a shared token file, and an
// HMAC-SHA256 challenge-response in both directions so that the token never crosses the wire.
//   client MAC = HMAC(token, "mpdrill-agent/1 client" ‖ agent nonce ‖ client nonce)
//   agent MAC  = HMAC(token, "mpdrill-agent/1 agent"  ‖ agent nonce ‖ client nonce)
// Nonces are 32 random bytes from the injected source (OpenSSL's RAND_bytes in the tools).
#ifndef MPDRILL_ENGINE_AGENT_AUTH_H_
#define MPDRILL_ENGINE_AGENT_AUTH_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/agent/protocol.h"

namespace mpdrill::agent {

inline constexpr std::size_t kMinTokenSize = 16;
inline constexpr std::size_t kMaxTokenSize = 4096;

// Fills the span with unpredictable bytes; false if it could not.
using RandomSource = std::function<bool(std::span<std::uint8_t>)>;
RandomSource OpenSslRandom();

// Reads the token: a regular file readable by its owner only (mode & 077 == 0, as ssh keys),
// 16 to 4096 bytes after one trailing newline is dropped. The error names the file and why.
Result<std::vector<std::uint8_t>, std::string> LoadToken(const std::string& path);

Mac ClientMac(std::span<const std::uint8_t> token, const Nonce& agent_nonce,
              const Nonce& client_nonce);
Mac AgentMac(std::span<const std::uint8_t> token, const Nonce& agent_nonce,
             const Nonce& client_nonce);
// Constant-time comparison (CRYPTO_memcmp).
bool MacEqual(const Mac& a, const Mac& b);

}  // namespace mpdrill::agent

#endif  // MPDRILL_ENGINE_AGENT_AUTH_H_
