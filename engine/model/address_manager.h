// Address management of one connection (RFC 8684 §3.4): the addresses each side advertised
// with ADD_ADDR, their echoes, and REMOVE_ADDR.
#ifndef MPDRILL_ENGINE_MODEL_ADDRESS_MANAGER_H_
#define MPDRILL_ENGINE_MODEL_ADDRESS_MANAGER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/codec/mptcp_option.h"
#include "engine/model/violation.h"

namespace mpdrill::model {

struct Advertisement {
  std::uint8_t id = 0;
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};
  std::optional<std::uint16_t> port;
  bool echoed = false;
  bool removed = false;
  std::uint64_t packet = 0;      // first sent
  std::uint32_t retransmissions = 0;
};

// Dotted quad, or RFC 5952 text for IPv6; AddressText adds " port N" when there is a port.
void AppendAddress(bool ipv6, const std::array<std::uint8_t, 16>& address, std::string* out);
std::string AddressText(bool ipv6, const std::array<std::uint8_t, 16>& address,
                        std::optional<std::uint16_t> port);

class AddressManager {
 public:
  static constexpr std::size_t kMaxPerSide = 256;  // IDs are 8 bits

  // ADD_ADDR from `sender`. `keys` are the connection's keys by Side (nullopt: unknown), for
  // the HMAC (A2). Echoes are matched against the peer's advertisements (A4).
  void OnAddAddr(Side sender, const codec::AddAddr& opt,
                 const std::array<std::optional<std::uint64_t>, 2>& keys, std::uint64_t packet,
                 const Reporter& r);
  // REMOVE_ADDR from `sender`: forgets its advertisements with those IDs (an unknown ID has no
  // effect, rule R2); the connection closes the subflows using them.
  void OnRemoveAddr(Side sender, const codec::RemoveAddr& opt);

  const std::vector<Advertisement>& advertised(Side s) const { return adv_[Index(s)]; }
  std::size_t unechoed(Side s) const;

 private:
  Advertisement* Find(Side s, std::uint8_t id);
  std::array<std::vector<Advertisement>, 2> adv_;
};

}  // namespace mpdrill::model

#endif  // MPDRILL_ENGINE_MODEL_ADDRESS_MANAGER_H_
