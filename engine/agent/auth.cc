#include "engine/agent/auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace mpdrill::agent {
namespace {

Mac Compute(std::span<const std::uint8_t> token, std::string_view label, const Nonce& agent_nonce,
            const Nonce& client_nonce) {
  std::vector<std::uint8_t> msg(label.begin(), label.end());
  msg.insert(msg.end(), agent_nonce.begin(), agent_nonce.end());
  msg.insert(msg.end(), client_nonce.begin(), client_nonce.end());
  Mac mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()), msg.data(), msg.size(),
       mac.data(), &len);
  return mac;
}

}  // namespace

RandomSource OpenSslRandom() {
  return [](std::span<std::uint8_t> out) {
    return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
  };
}

Result<std::vector<std::uint8_t>, std::string> LoadToken(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Unexpected{"token file " + path + ": " + std::strerror(errno)};
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Unexpected{"token file " + path + ": not a regular file"};
  }
  if ((st.st_mode & 077) != 0) {
    close(fd);
    return Unexpected{"token file " + path + ": readable or writable by others (mode " +
                      std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                      std::to_string(st.st_mode & 7) + "); chmod 600 it"};
  }
  std::vector<std::uint8_t> token(kMaxTokenSize + 2);
  std::size_t got = 0;
  while (got < token.size()) {
    const ssize_t n = read(fd, token.data() + got, token.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  token.resize(got);
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (token.size() < kMinTokenSize || token.size() > kMaxTokenSize) {
    return Unexpected{"token file " + path + ": " + std::to_string(token.size()) +
                      " byte(s); a token has " + std::to_string(kMinTokenSize) + " to " +
                      std::to_string(kMaxTokenSize)};
  }
  return token;
}

Mac ClientMac(std::span<const std::uint8_t> token, const Nonce& agent_nonce,
              const Nonce& client_nonce) {
  return Compute(token, "mpdrill-agent/1 client", agent_nonce, client_nonce);
}

Mac AgentMac(std::span<const std::uint8_t> token, const Nonce& agent_nonce,
             const Nonce& client_nonce) {
  return Compute(token, "mpdrill-agent/1 agent", agent_nonce, client_nonce);
}

bool MacEqual(const Mac& a, const Mac& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

}  // namespace mpdrill::agent
