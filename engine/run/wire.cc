#include "engine/run/wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <tins/ip.h>
#include <tins/ipv6.h>
#include <tins/rawpdu.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <variant>

#include "base/bytes.h"
#include "engine/capture/tcp_checksum.h"
#include "engine/codec/tcp_options.h"

namespace mpdrill::run {
namespace {

constexpr std::uint8_t kOptEol = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackOk = 4,
                       kOptSack = 5, kOptTs = 8, kOptMd5 = 19, kOptMptcp = 30, kOptFastOpen = 34,
                       kOptExp = 254;
constexpr std::uint16_t kFastOpenExpMagic = 0xF989;

bool HexToBytes(const std::string& hex, std::vector<std::uint8_t>* out) {
  std::string h;
  for (char c : hex) {
    if (c != ' ' && c != ':') h.push_back(c);
  }
  if (h.size() >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) h = h.substr(2);
  if (h.size() % 2) return false;
  for (std::size_t i = 0; i < h.size(); i += 2) {
    unsigned v = 0;
    for (int k = 0; k < 2; ++k) {
      const char c = h[i + k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return false;
    }
    out->push_back(static_cast<std::uint8_t>(v));
  }
  return true;
}

std::string BytesToHex(Bytes b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t v : b) {
    s.push_back(kHex[v >> 4]);
    s.push_back(kHex[v & 15]);
  }
  return s;
}

std::uint8_t EcnBits(const parser::IpInfo& ip) {
  if (!ip.ecn) return 0;
  switch (*ip.ecn) {
    case parser::EcnMark::kNoEcn: return 0;
    case parser::EcnMark::kEct0: return 2;
    case parser::EcnMark::kEct1: return 1;
    case parser::EcnMark::kCe: return 3;
    case parser::EcnMark::kEct01: return 3;
  }
  return 0;
}

}  // namespace

Result<std::vector<std::uint8_t>, std::string> BuildTcpPacket(const WireTcp& t) {
  std::vector<std::uint8_t> opts = t.options;
  while (opts.size() % 4) opts.push_back(kOptEol);
  if (opts.size() > 40) {
    return MakeUnexpected("TCP options take " + std::to_string(opts.size()) +
                          " bytes: more than the 40 a header holds");
  }
  const bool v6 = t.src.version == 6;
  const std::size_t tcp_len = 20 + opts.size() + t.payload_length;
  if ((v6 ? 40 : 20) + tcp_len > 65535) {
    return MakeUnexpected(std::string("packet longer than 65535 bytes"));
  }
  // The TCP segment is laid out here, its options byte for byte as written: a conformance and
  // fuzzing tool must put any option bytes on the wire, and libtins' TCP options cannot carry
  // some (an option with a length byte and no data, e.g. a crafted `30 2`, is sized one byte
  // short and fails to serialize). libtins frames it in the IP or IPv6 header (lengths,
  // IPv4 header checksum, TOS/traffic class, TTL/hop limit, flow label). It reports errors by
  // throwing: nothing leaves here.
  std::vector<std::uint8_t> segment(tcp_len, 0);  // payload zero-filled, as packetdrill's
  ByteWriter w(segment);
  bool ok = w.WriteU16(t.sport) && w.WriteU16(t.dport) && w.WriteU32(t.seq) &&
            w.WriteU32(t.ack);
  const std::uint16_t doff = static_cast<std::uint16_t>((20 + opts.size()) / 4);
  ok = ok && w.WriteU16(static_cast<std::uint16_t>((doff << 12) | (t.flags & 0x1ff))) &&
       w.WriteU16(t.window) && w.WriteU16(0) /* checksum, below */ && w.WriteU16(t.urgent) &&
       w.WriteBytes(Bytes(opts.data(), opts.size()));
  if (!ok) return MakeUnexpected(std::string("packet buffer too small"));
  // TCP checksum over the pseudo-header (RFC 9293 §3.1), summed here: libtins' checksum
  // helpers mix byte orders between versions.
  const std::uint16_t check = capture::TcpChecksum(t.src, t.dst, Bytes(segment.data(), tcp_len));
  segment[16] = static_cast<std::uint8_t>(check >> 8);
  segment[17] = static_cast<std::uint8_t>(check);
  return FrameInIp(t.src, t.dst, IPPROTO_TCP, t.ip, TosByte(t.ip), true, segment);
}

std::uint8_t TosByte(const parser::IpInfo& ip) {
  return static_cast<std::uint8_t>((ip.tos.value_or(0) & 0xfc) | EcnBits(ip));
}

Result<std::vector<std::uint8_t>, std::string> FrameInIp(const capture::IpAddress& src,
                                                         const capture::IpAddress& dst,
                                                         std::uint8_t protocol,
                                                         const parser::IpInfo& info,
                                                         std::uint8_t tos, bool dont_fragment,
                                                         const std::vector<std::uint8_t>& payload) {
  const std::uint8_t ttl = info.ttl.value_or(64);
  std::string s, d;
  capture::AppendAddress(src, &s);
  capture::AppendAddress(dst, &d);
  // libtins reports errors by throwing: nothing leaves here.
  try {
    Tins::RawPDU body(payload);
    if (src.version == 6) {
      Tins::IPv6 ip{Tins::IPv6Address{d}, Tins::IPv6Address{s}};
      ip.next_header(protocol);
      ip.traffic_class(tos);
      ip.flow_label(info.flowlabel.value_or(0) & 0xfffff);
      ip.hop_limit(ttl);
      return (ip / body).serialize();
    }
    Tins::IP ip{Tins::IPv4Address{d}, Tins::IPv4Address{s}};
    ip.protocol(protocol);
    ip.tos(tos);
    ip.ttl(ttl);
    ip.id(0);
    if (dont_fragment) ip.flags(Tins::IP::DONT_FRAGMENT);
    return (ip / body).serialize();
  } catch (const std::exception& e) {
    return MakeUnexpected(std::string("building the packet: ") + e.what());
  }
}

std::optional<std::uint16_t> ParseTcpFlags(std::string_view text) {
  std::uint16_t f = 0;
  for (char c : text) {
    switch (c) {
      case 'F': f |= capture::kTcpFin; break;
      case 'S': f |= capture::kTcpSyn; break;
      case 'R': f |= capture::kTcpRst; break;
      case 'P': f |= capture::kTcpPsh; break;
      case '.': f |= capture::kTcpAck; break;
      case 'U': f |= capture::kTcpUrg; break;
      case 'E': f |= capture::kTcpEce; break;
      case 'W': f |= capture::kTcpCwr; break;
      case 'A': f |= capture::kTcpAe; break;
      case '-': break;
      default: return std::nullopt;
    }
  }
  return f;
}

std::string TcpFlagsToString(std::uint16_t f) {
  std::string s;
  if (f & capture::kTcpFin) s += 'F';
  if (f & capture::kTcpSyn) s += 'S';
  if (f & capture::kTcpRst) s += 'R';
  if (f & capture::kTcpPsh) s += 'P';
  if (f & capture::kTcpAck) s += '.';
  if (f & capture::kTcpUrg) s += 'U';
  if (f & capture::kTcpEce) s += 'E';
  if (f & capture::kTcpCwr) s += 'W';
  if (f & capture::kTcpAe) s += 'A';
  return s;
}

std::optional<capture::IpAddress> ParseAddress(const std::string& text, bool v6) {
  capture::IpAddress a;
  a.version = v6 ? 6 : 4;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::vector<codec::Option> LiveOptions::Mptcp() const {
  std::vector<codec::Option> out;
  for (const LiveOption& o : list) {
    if (o.mptcp_option) out.push_back(*o.mptcp_option);
  }
  return out;
}

LiveOptions DecodeLiveOptions(std::span<const std::uint8_t> area) {
  LiveOptions out;
  codec::TcpOptionWalker walker(area);
  while (auto v = walker.Next()) {
    LiveOption o;
    o.bytes.assign(v->bytes.begin(), v->bytes.end());
    ByteReader r(Bytes(v->bytes.data(), v->bytes.size()));
    r.Skip(v->kind <= kOptNop ? 1 : 2);
    const std::size_t len = v->bytes.size();
    switch (v->kind) {
      case kOptEol: o.option = parser::OptEol{}; break;
      case kOptNop: o.option = parser::OptNop{}; break;
      case kOptMss:
        if (len == 4) {
          parser::OptMss m;
          r.ReadU16(&m.mss);
          o.option = m;
        }
        break;
      case kOptWscale:
        if (len == 3) {
          parser::OptWscale m;
          r.ReadU8(&m.shift);
          o.option = m;
        }
        break;
      case kOptSackOk:
        if (len == 2) o.option = parser::OptSackOk{};
        break;
      case kOptSack:
        if (len >= 2 && (len - 2) % 8 == 0) {
          parser::OptSack s;
          parser::SackBlock b;
          while (r.ReadU32(&b.left) && r.ReadU32(&b.right)) s.blocks.push_back(b);
          o.option = s;
        }
        break;
      case kOptTs:
        if (len == 10) {
          parser::OptTimestamp ts;
          r.ReadU32(&ts.val);
          r.ReadU32(&ts.ecr);
          o.option = ts;
        }
        break;
      case kOptMd5:
        o.option = parser::OptMd5{BytesToHex(r.rest())};
        break;
      case kOptFastOpen:
        o.option = parser::OptFastOpen{false, BytesToHex(r.rest())};
        break;
      case kOptExp: {
        std::uint16_t magic = 0;
        if (r.ReadU16(&magic) && magic == kFastOpenExpMagic) {
          o.option = parser::OptFastOpen{true, BytesToHex(r.rest())};
        }
        break;
      }
      case kOptMptcp: {
        o.mptcp = true;
        if (auto d = codec::Decode(o.bytes)) {
          o.mptcp_option = std::move(d->option);
        } else {
          o.mptcp_error = d.error();
        }
        break;
      }
      default: break;
    }
    out.list.push_back(std::move(o));
  }
  if (walker.stop()) out.stop = std::string(walker.stop()->reason);
  return out;
}

Status<std::string> AppendTcpOption(const parser::TcpOption& option,
                                    std::vector<std::uint8_t>* out) {
  auto u16 = [out](std::uint16_t v) {
    out->push_back(static_cast<std::uint8_t>(v >> 8));
    out->push_back(static_cast<std::uint8_t>(v));
  };
  auto u32 = [&u16](std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  };
  if (const auto* o = std::get_if<parser::OptNop>(&option)) {
    (void)o;
    out->push_back(kOptNop);
  } else if (std::holds_alternative<parser::OptEol>(option)) {
    out->push_back(kOptEol);
  } else if (const auto* m = std::get_if<parser::OptMss>(&option)) {
    out->insert(out->end(), {kOptMss, 4});
    u16(m->mss);
  } else if (const auto* ws = std::get_if<parser::OptWscale>(&option)) {
    out->insert(out->end(), {kOptWscale, 3, ws->shift});
  } else if (std::holds_alternative<parser::OptSackOk>(option)) {
    out->insert(out->end(), {kOptSackOk, 2});
  } else if (const auto* s = std::get_if<parser::OptSack>(&option)) {
    out->insert(out->end(), {kOptSack, static_cast<std::uint8_t>(2 + 8 * s->blocks.size())});
    for (const auto& b : s->blocks) {
      u32(b.left);
      u32(b.right);
    }
  } else if (const auto* ts = std::get_if<parser::OptTimestamp>(&option)) {
    out->insert(out->end(), {kOptTs, 10});
    u32(ts->val);
    u32(ts->ecr);
  } else if (const auto* md5 = std::get_if<parser::OptMd5>(&option)) {
    std::vector<std::uint8_t> digest;
    if (!HexToBytes(md5->hex, &digest)) return MakeUnexpected("bad md5 blob '" + md5->hex + "'");
    digest.resize(16, 0);
    out->insert(out->end(), {kOptMd5, 18});
    out->insert(out->end(), digest.begin(), digest.end());
  } else if (const auto* fo = std::get_if<parser::OptFastOpen>(&option)) {
    std::vector<std::uint8_t> cookie;
    if (!HexToBytes(fo->cookie, &cookie)) {
      return MakeUnexpected("bad fast open cookie '" + fo->cookie + "'");
    }
    if (fo->experimental) {
      out->insert(out->end(), {kOptExp, static_cast<std::uint8_t>(4 + cookie.size())});
      u16(kFastOpenExpMagic);
    } else {
      out->insert(out->end(), {kOptFastOpen, static_cast<std::uint8_t>(2 + cookie.size())});
    }
    out->insert(out->end(), cookie.begin(), cookie.end());
  } else if (std::holds_alternative<parser::OptEcn>(option)) {
    return MakeUnexpected(std::string("AccECN options are not supported yet"));
  } else {
    return MakeUnexpected(std::string("MPTCP option needs the binder"));
  }
  return Ok{};
}

}  // namespace mpdrill::run
