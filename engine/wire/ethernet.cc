#include "engine/wire/ethernet.h"

#include <tins/ethernetII.h>
#include <tins/hw_address.h>
#include <tins/icmpv6.h>
#include <tins/ipv6.h>
#include <tins/ipv6_address.h>

#include <cstdio>

namespace mpdrill::wire {
namespace {

constexpr std::uint8_t kIcmpv6 = 58;

std::string At(std::size_t offset, const std::string& what) {
  return "byte " + std::to_string(offset) + ": " + what;
}

std::array<std::uint8_t, 17> Key(const capture::IpAddress& a) {
  std::array<std::uint8_t, 17> k{};
  k[0] = a.version;
  std::copy(a.bytes.begin(), a.bytes.end(), k.begin() + 1);
  return k;
}

capture::IpAddress V4(const std::array<std::uint8_t, 4>& b) {
  capture::IpAddress a;
  a.version = 4;
  std::copy(b.begin(), b.end(), a.bytes.begin());
  return a;
}

capture::IpAddress V6(const std::array<std::uint8_t, 16>& b) {
  capture::IpAddress a;
  a.version = 6;
  a.bytes = b;
  return a;
}

bool IsGroup(const MacAddress& mac) { return (mac[0] & 1) != 0; }  // broadcast / multicast

}  // namespace

std::string MacToString(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

Result<EthernetFrame, std::string> ParseEthernet(Bytes frame) {
  ByteReader r(frame);
  EthernetFrame f;
  if (!r.ReadArray(&f.dst) || !r.ReadArray(&f.src) || !r.ReadU16(&f.type)) {
    return Unexpected{At(r.offset(), "Ethernet header needs 14 bytes, the frame has " +
                                         std::to_string(frame.size()))};
  }
  if (f.type == 0x8100 || f.type == 0x88a8) return Unexpected{At(12, "VLAN-tagged frame")};
  f.payload = r.rest();
  return f;
}

Result<std::vector<std::uint8_t>, std::string> FrameIp(const MacAddress& dst, const MacAddress& src,
                                                       Bytes ip_packet) {
  std::uint8_t first = 0;
  if (!ByteReader(ip_packet).PeekU8(&first)) return Unexpected{std::string("empty IP packet")};
  const std::uint8_t version = first >> 4;
  if (version != 4 && version != 6) {
    return Unexpected{At(0, "IP version " + std::to_string(version) + " is neither 4 nor 6")};
  }
  std::vector<std::uint8_t> out(kEthernetHeader + ip_packet.size());
  ByteWriter w(out);
  w.WriteBytes(dst);
  w.WriteBytes(src);
  w.WriteU16(version == 4 ? kEtherIpv4 : kEtherIpv6);
  w.WriteBytes(ip_packet);
  return out;
}

Result<ArpMessage, std::string> ParseArp(Bytes payload) {
  ByteReader r(payload);
  std::uint16_t htype = 0, ptype = 0;
  std::uint8_t hlen = 0, plen = 0;
  ArpMessage m;
  if (!r.ReadU16(&htype) || !r.ReadU16(&ptype) || !r.ReadU8(&hlen) || !r.ReadU8(&plen)) {
    return Unexpected{At(r.offset(), "ARP header truncated")};
  }
  if (htype != 1 || ptype != kEtherIpv4 || hlen != 6 || plen != 4) {
    return Unexpected{At(0, "not Ethernet/IPv4 ARP")};
  }
  if (!r.ReadU16(&m.op) || !r.ReadArray(&m.sender_mac) || !r.ReadArray(&m.sender_ip) ||
      !r.ReadArray(&m.target_mac) || !r.ReadArray(&m.target_ip)) {
    return Unexpected{At(r.offset(), "ARP message truncated")};
  }
  return m;
}

std::vector<std::uint8_t> BuildArpFrame(const ArpMessage& m) {
  std::vector<std::uint8_t> out(kEthernetHeader + 28);
  ByteWriter w(out);
  w.WriteBytes(m.op == kArpRequest ? kBroadcastMac : m.target_mac);
  w.WriteBytes(m.sender_mac);
  w.WriteU16(kEtherArp);
  w.WriteU16(1);
  w.WriteU16(kEtherIpv4);
  w.WriteU8(6);
  w.WriteU8(4);
  w.WriteU16(m.op);
  w.WriteBytes(m.sender_mac);
  w.WriteBytes(m.sender_ip);
  w.WriteBytes(m.target_mac);
  w.WriteBytes(m.target_ip);
  return out;
}

Result<std::optional<NeighbourMessage>, std::string> ParseNeighbour(Bytes ipv6_packet) {
  ByteReader r(ipv6_packet);
  std::uint8_t next = 0;
  NeighbourMessage m;
  std::array<std::uint8_t, 16> dst{};
  if (!r.Skip(6) || !r.ReadU8(&next) || !r.Skip(1) || !r.ReadArray(&m.ip_src) ||
      !r.ReadArray(&dst)) {
    return Unexpected{At(r.offset(), "IPv6 header truncated")};
  }
  if (next != kIcmpv6) return std::optional<NeighbourMessage>{};
  if (!r.ReadU8(&m.type)) return Unexpected{At(r.offset(), "ICMPv6 header truncated")};
  if (m.type != kNeighbourSolicit && m.type != kNeighbourAdvert) {
    return std::optional<NeighbourMessage>{};
  }
  if (!r.Skip(7) || !r.ReadArray(&m.target)) {
    return Unexpected{At(r.offset(), "neighbour message truncated")};
  }
  // Options: type, length in units of 8 bytes (0 is invalid), data.
  while (!r.empty()) {
    const std::size_t at = r.offset();
    std::uint8_t type = 0, len = 0;
    if (!r.ReadU8(&type) || !r.ReadU8(&len) || len == 0) {
      return Unexpected{At(at, "bad neighbour discovery option")};
    }
    Bytes body;
    if (!r.ReadBytes(len * 8u - 2, &body)) {
      return Unexpected{At(at, "neighbour discovery option runs past the packet")};
    }
    const std::uint8_t want = m.type == kNeighbourSolicit ? 1 : 2;
    if (type == want && body.size() >= 6) {
      MacAddress mac;
      std::copy(body.begin(), body.begin() + 6, mac.begin());
      m.link_address = mac;
    }
  }
  return std::optional<NeighbourMessage>(m);
}

std::vector<std::uint8_t> BuildNeighbourAdvert(const MacAddress& own_mac,
                                               const std::array<std::uint8_t, 16>& target,
                                               const MacAddress& dst_mac,
                                               const std::array<std::uint8_t, 16>& dst_ip) {
  Tins::EthernetII eth{Tins::HWAddress<6>(dst_mac.data()), Tins::HWAddress<6>(own_mac.data())};
  Tins::IPv6 ip{Tins::IPv6Address(dst_ip.data()), Tins::IPv6Address(target.data())};
  ip.hop_limit(255);
  Tins::ICMPv6 icmp(Tins::ICMPv6::NEIGHBOUR_ADVERT);
  icmp.target_addr(Tins::IPv6Address(target.data()));
  icmp.solicited(1);
  icmp.override(1);
  icmp.target_link_layer_addr(Tins::HWAddress<6>(own_mac.data()));
  Tins::EthernetII packet = eth / ip / icmp;
  return packet.serialize();
}

std::vector<std::uint8_t> BuildNeighbourSolicit(const MacAddress& own_mac,
                                                const std::array<std::uint8_t, 16>& source,
                                                const std::array<std::uint8_t, 16>& target) {
  std::array<std::uint8_t, 16> group = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff,
                                        target[13], target[14], target[15]};
  const MacAddress group_mac = {0x33, 0x33, 0xff, target[13], target[14], target[15]};
  Tins::EthernetII eth{Tins::HWAddress<6>(group_mac.data()), Tins::HWAddress<6>(own_mac.data())};
  Tins::IPv6 ip{Tins::IPv6Address(group.data()), Tins::IPv6Address(source.data())};
  ip.hop_limit(255);
  Tins::ICMPv6 icmp(Tins::ICMPv6::NEIGHBOUR_SOLICIT);
  icmp.target_addr(Tins::IPv6Address(target.data()));
  icmp.source_link_layer_addr(Tins::HWAddress<6>(own_mac.data()));
  Tins::EthernetII packet = eth / ip / icmp;
  return packet.serialize();
}

std::optional<std::pair<capture::IpAddress, capture::IpAddress>> IpEndpoints(Bytes ip_packet) {
  ByteReader r(ip_packet);
  std::uint8_t first = 0;
  if (!r.PeekU8(&first)) return std::nullopt;
  capture::IpAddress src, dst;
  if ((first >> 4) == 4) {
    std::array<std::uint8_t, 4> s{}, d{};
    if (!r.Skip(12) || !r.ReadArray(&s) || !r.ReadArray(&d)) return std::nullopt;
    return std::make_pair(V4(s), V4(d));
  }
  if ((first >> 4) == 6) {
    std::array<std::uint8_t, 16> s{}, d{};
    if (!r.Skip(8) || !r.ReadArray(&s) || !r.ReadArray(&d)) return std::nullopt;
    return std::make_pair(V6(s), V6(d));
  }
  return std::nullopt;
}

void Neighbours::AddOwnAddress(const capture::IpAddress& address) {
  if (!IsOwn(address)) own_.push_back(address);
}

bool Neighbours::IsOwn(const capture::IpAddress& address) const {
  for (const auto& a : own_) {
    if (a == address) return true;
  }
  return false;
}

void Neighbours::Learn(const capture::IpAddress& address, const MacAddress& mac) {
  if (IsGroup(mac) || mac == MacAddress{}) return;
  learned_[Key(address)] = mac;
}

std::optional<MacAddress> Neighbours::MacOf(const capture::IpAddress& address) const {
  auto it = learned_.find(Key(address));
  if (it == learned_.end()) return std::nullopt;
  return it->second;
}

FrameAction Neighbours::OnFrame(Bytes bytes) {
  FrameAction action;
  auto frame = ParseEthernet(bytes);
  if (!frame) {
    action.skipped = "Ethernet: " + frame.error();
    return action;
  }
  if (frame->src == own_mac_) {
    action.skipped = "our own frame";
    return action;
  }
  if (frame->dst != own_mac_ && !IsGroup(frame->dst)) {
    action.skipped = "frame for " + MacToString(frame->dst);
    return action;
  }
  switch (frame->type) {
    case kEtherArp: {
      auto arp = ParseArp(frame->payload);
      if (!arp) {
        action.skipped = "ARP: " + arp.error();
        return action;
      }
      const capture::IpAddress sender = V4(arp->sender_ip);
      Learn(sender, arp->sender_mac);
      if (arp->op == kArpRequest && IsOwn(V4(arp->target_ip))) {
        ArpMessage reply;
        reply.op = kArpReply;
        reply.sender_mac = own_mac_;
        reply.sender_ip = arp->target_ip;
        reply.target_mac = arp->sender_mac;
        reply.target_ip = arp->sender_ip;
        action.reply = BuildArpFrame(reply);
      } else {
        action.skipped = "ARP not for us";
      }
      return action;
    }
    case kEtherIpv4:
    case kEtherIpv6: {
      auto ends = IpEndpoints(frame->payload);
      if (!ends) {
        action.skipped = "IP header truncated";
        return action;
      }
      if (frame->type == kEtherIpv6) {
        auto nd = ParseNeighbour(frame->payload);
        if (!nd) {
          action.skipped = "neighbour discovery: " + nd.error();
          return action;
        }
        if (*nd) {
          const NeighbourMessage& m = **nd;
          const bool unspecified = m.ip_src == std::array<std::uint8_t, 16>{};  // DAD probe
          if (!unspecified) Learn(V6(m.ip_src), m.link_address.value_or(frame->src));
          if (m.type == kNeighbourAdvert && m.link_address) Learn(V6(m.target), *m.link_address);
          if (m.type == kNeighbourSolicit && !unspecified && IsOwn(V6(m.target))) {
            action.reply = BuildNeighbourAdvert(own_mac_, m.target,
                                                m.link_address.value_or(frame->src), m.ip_src);
          } else {
            action.skipped = "neighbour discovery not for us";
          }
          return action;
        }
      }
      if (frame->dst != own_mac_) {
        action.skipped = "IP multicast/broadcast";  // MLD reports, router solicitations
        return action;
      }
      Learn(ends->first, frame->src);
      last_peer_ = frame->src;
      action.ip_packet.emplace(frame->payload.begin(), frame->payload.end());
      return action;
    }
    default:
      action.skipped = "ethertype " + std::to_string(frame->type);
      return action;
  }
}

std::vector<std::uint8_t> Neighbours::Solicit(const capture::IpAddress& source,
                                              const capture::IpAddress& target) const {
  if (target.version == 4) {
    ArpMessage m;
    m.op = kArpRequest;
    m.sender_mac = own_mac_;
    std::copy(source.bytes.begin(), source.bytes.begin() + 4, m.sender_ip.begin());
    std::copy(target.bytes.begin(), target.bytes.begin() + 4, m.target_ip.begin());
    return BuildArpFrame(m);
  }
  return BuildNeighbourSolicit(own_mac_, source.bytes, target.bytes);
}

}  // namespace mpdrill::wire
