#include "engine/model/address_manager.h"

#include <algorithm>
#include <charconv>

#include "engine/codec/json_util.h"
#include "engine/crypto/mptcp_crypto.h"

namespace mpdrill::model {

using codec::RuleId;

void AppendAddress(bool ipv6, const std::array<std::uint8_t, 16>& a, std::string* out) {
  if (!ipv6) {
    for (int i = 0; i < 4; ++i) {
      if (i) out->push_back('.');
      codec::AppendUint(a[i], out);
    }
    return;
  }
  // RFC 5952 §4.2: the longest run of two or more zero groups (the first on a tie) is "::".
  int best = -1, best_len = 1;
  for (int g = 0; g < 8;) {
    int len = 0;
    while (g + len < 8 && a[2 * (g + len)] == 0 && a[2 * (g + len) + 1] == 0) ++len;
    if (len > best_len) {
      best = g;
      best_len = len;
    }
    g += len ? len : 1;
  }
  for (int g = 0; g < 8; ++g) {
    if (g == best) {
      out->append("::");
      g += best_len - 1;
      continue;
    }
    if (g && g != best + best_len) out->push_back(':');
    // RFC 5952 §4.1, §4.3: lowercase, leading zeros suppressed.
    char buf[4];
    const auto r = std::to_chars(buf, buf + sizeof(buf), (a[2 * g] << 8) | a[2 * g + 1], 16);
    out->append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
}

std::string AddressText(bool ipv6, const std::array<std::uint8_t, 16>& a,
                        std::optional<std::uint16_t> port) {
  std::string out;
  AppendAddress(ipv6, a, &out);
  if (port) {
    out.append(" port ");
    codec::AppendUint(*port, &out);
  }
  return out;
}

Advertisement* AddressManager::Find(Side s, std::uint8_t id) {
  for (Advertisement& a : adv_[Index(s)]) {
    if (a.id == id && !a.removed) return &a;
  }
  return nullptr;
}

std::size_t AddressManager::unechoed(Side s) const {
  std::size_t n = 0;
  for (const Advertisement& a : adv_[Index(s)]) n += (!a.echoed && !a.removed) ? 1 : 0;
  return n;
}

// An explicit port 0 names no port: Linux 6.18 echoes `port 0` without the port field (found
// by fuzz/live_fuzzer.cc), and port 0 is no port a subflow could use.
static bool SameAddress(const Advertisement& a, const codec::AddAddr& o) {
  const std::size_t n = a.ipv6 ? 16 : 4;
  return a.ipv6 == o.ipv6 &&
         std::equal(a.address.begin(), a.address.begin() + n, o.address.begin()) &&
         a.port.value_or(0) == o.port.value_or(0);
}

void AddressManager::OnAddAddr(Side sender, const codec::AddAddr& o,
                               const std::array<std::optional<std::uint64_t>, 2>& keys,
                               std::uint64_t packet, const Reporter& r) {
  // What the option says, for a report only (most ADD_ADDRs report nothing).
  auto text = [&o] {
    return "id " + std::to_string(o.address_id) + " " + AddressText(o.ipv6, o.address, o.port);
  };
  if (o.echo) {
    // RFC 8684 §3.4.1, rule A4: the echo repeats the advertised ID, address and port.
    Advertisement* a = Find(Peer(sender), o.address_id);
    // The echo may cross the REMOVE_ADDR of what it echoes (both in flight: found by the
    // script `mpdrill fuzz script` writes of a live_fuzzer seed, Linux 6.18): the address
    // was advertised, so the echo is no A4.
    const auto& peer_list = adv_[Index(Peer(sender))];
    if (a == nullptr && std::any_of(peer_list.begin(), peer_list.end(), [&o](const auto& p) {
          return p.removed && p.id == o.address_id && SameAddress(p, o);
        })) {
      return;
    }
    if (a == nullptr) {
      r.Report(RuleId::kA4, "ADD_ADDR echo of an address the peer never advertised: " +
                                ExpectedActual("an advertised address ID", text()));
      return;
    }
    if (!SameAddress(*a, o)) {
      r.Report(RuleId::kA4, "ADD_ADDR echo does not match the advertisement: " +
                                ExpectedActual("id " + std::to_string(a->id) + " " +
                                                   AddressText(a->ipv6, a->address, a->port),
                                               text()));
      return;
    }
    a->echoed = true;
    return;
  }
  // RFC 8684 §3.4.1, rule A2 (K3): HMAC(K_sender‖K_receiver, ID‖address‖port), rightmost 64.
  const auto& ks = keys[Index(sender)];
  const auto& kr = keys[Index(Peer(sender))];
  if (ks && kr && o.hmac) {
    const std::size_t n = o.ipv6 ? 16 : 4;
    const std::uint64_t want = crypto::AddAddrHmac(
        *ks, *kr, o.address_id, std::span<const std::uint8_t>(o.address.data(), n), o.port);
    if (want != *o.hmac) {
      // Rule A3: the receiver ignores it, so the model does too.
      r.Report(RuleId::kA2,
               "ADD_ADDR HMAC for " + text() + ": " + ExpectedActual(Hex(want), Hex(*o.hmac)));
      return;
    }
  }
  if (Advertisement* a = Find(sender, o.address_id)) {
    if (SameAddress(*a, o)) {
      ++a->retransmissions;  // rule A4: retransmitted until echoed
      return;
    }
    // RFC 8684 §3.4.1, rule A6: an ID bound to an address is not silently rebound.
    r.Report(RuleId::kA6, "ADD_ADDR rebinds an address ID without REMOVE_ADDR: " +
                              ExpectedActual("id " + std::to_string(a->id) + " " +
                                                 AddressText(a->ipv6, a->address, a->port),
                                             text()));
    a->removed = true;
  }
  auto& list = adv_[Index(sender)];
  if (list.size() >= kMaxPerSide) {
    // Keep memory bounded: forget removed advertisements first, else the oldest.
    std::erase_if(list, [](const Advertisement& a) { return a.removed; });
    if (list.size() >= kMaxPerSide) list.erase(list.begin());
  }
  Advertisement a;
  a.id = o.address_id;
  a.ipv6 = o.ipv6;
  a.address = o.address;
  if (!o.ipv6) std::fill(a.address.begin() + 4, a.address.end(), 0);
  a.port = o.port;
  a.packet = packet;
  list.push_back(a);
}

void AddressManager::OnRemoveAddr(Side sender, const codec::RemoveAddr& o) {
  // RFC 8684 §3.4.2, rule R2: an unknown ID has no effect.
  for (std::uint8_t id : o.address_ids.view()) {
    if (Advertisement* a = Find(sender, id)) a->removed = true;
  }
}

}  // namespace mpdrill::model
