#include "engine/run/live_packet.h"

#include <charconv>
#include <utility>
#include <variant>

#include "engine/capture/model_segment.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_print.h"
#include "engine/run/icmp.h"
#include "engine/run/wire.h"
#include "parser/printer.h"

namespace mpdrill::run {
namespace {

std::string Num(std::uint64_t v) { return std::to_string(v); }


std::string PrintLiveOption(const LiveOption& o) {
  if (o.option) return parser::PrintTcpOption(*o.option);
  if (o.mptcp_option) return codec::ToScript(*o.mptcp_option);
  std::string hex;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::uint8_t b : o.bytes) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return "raw 0x" + hex;
}

}  // namespace

std::string Mismatch(const std::string& field, const std::string& expected,
                     const std::string& actual) {
  return field + ": expected: " + expected + " actual: " + actual;
}

void MatchIpFields(const std::optional<parser::IpInfo>& ip, std::uint8_t ttl, std::uint8_t tos,
                   std::vector<std::string>* out) {
  if (!ip) return;
  if (ip->ttl && ttl != *ip->ttl) out->push_back(Mismatch("ip ttl", Num(*ip->ttl), Num(ttl)));
  if (ip->tos && (tos & 0xfc) != (*ip->tos & 0xfc)) {
    out->push_back(Mismatch("ip tos", Num(*ip->tos & 0xfc), Num(tos & 0xfc)));
  }
}

std::optional<LivePacket> ParseLive(std::span<const std::uint8_t> ip_packet, std::int64_t time) {
  auto d = capture::DissectIp(Bytes(ip_packet.data(), ip_packet.size()));
  if (!d) return std::nullopt;
  const auto* seg = std::get_if<capture::TcpSegment>(&*d);
  if (!seg) return std::nullopt;
  LivePacket p;
  p.src = seg->src;
  p.dst = seg->dst;
  p.sport = seg->sport;
  p.dport = seg->dport;
  p.seq = seg->seq;
  p.ack = seg->ack;
  p.flags = seg->flags;
  p.window = seg->window;
  p.urgent = seg->urgent;
  p.options.assign(seg->options.begin(), seg->options.end());
  p.decoded_options = DecodeLiveOptions(p.options);
  p.payload.assign(seg->payload.begin(), seg->payload.end());
  p.payload_length = seg->payload_length;
  if (!ip_packet.empty()) {
    if ((ip_packet[0] >> 4) == 4 && ip_packet.size() >= 9) {
      p.tos = ip_packet[1];
      p.ttl = ip_packet[8];
    } else if (ip_packet.size() >= 8) {
      p.tos = static_cast<std::uint8_t>(((ip_packet[0] & 0x0f) << 4) | (ip_packet[1] >> 4));
      p.ttl = ip_packet[7];
    }
  }
  p.time = time;
  return p;
}

LivePacket Coalesce(const std::vector<LivePacket>& segments) {
  LivePacket m = segments.front();
  for (std::size_t i = 1; i < segments.size(); ++i) {
    m.payload.insert(m.payload.end(), segments[i].payload.begin(), segments[i].payload.end());
    m.payload_length += segments[i].payload_length;
    // packetdrill's aggregate_packets: the flags of the last segment, CWR of the first (Linux
    // may put PSH on a middle segment of a write: the script then expects none).
    m.flags = static_cast<std::uint16_t>((segments[i].flags & ~capture::kTcpCwr) |
                                         (segments.front().flags & capture::kTcpCwr));
    m.ack = segments[i].ack;
    m.window = segments[i].window;
  }
  return m;
}

namespace {

capture::IpAddress ToIp(const model::Endpoint& e) {
  capture::IpAddress a;
  a.version = e.ip_version;
  a.bytes = e.address;
  return a;
}

std::string AddressText(const capture::IpAddress& a) {
  std::string s;
  capture::AppendAddress(a, &s);
  return s;
}

bind::BinderOptions MakeBinderOptions(const RunConfig& config) {
  const bool v6 = config.wire_ipv6();
  bind::BinderOptions o;
  o.seed = config.seed.value_or(0);
  o.addresses.kernel =
      capture::ModelEndpoint(ParseAddress(config.local_ip, v6).value_or(capture::IpAddress{}), 0);
  o.addresses.mpdrill =
      capture::ModelEndpoint(ParseAddress(config.remote_ip, v6).value_or(capture::IpAddress{}), 0);
  return o;
}

}  // namespace

FlowTable::FlowTable(const RunConfig& config, std::uint16_t first_remote_port)
    : config_(config), next_remote_port_(first_remote_port), binder_(MakeBinderOptions(config)) {
  const bool v6 = config.wire_ipv6();
  local_ = ParseAddress(config.local_ip, v6).value_or(capture::IpAddress{});
  remote_ = ParseAddress(config.remote_ip, v6).value_or(capture::IpAddress{});
}

bind::PacketView FlowTable::View(const Flow& flow, parser::Direction dir, std::uint16_t flags,
                                 std::uint32_t relative_seq,
                                 std::span<const std::uint8_t> payload) const {
  bind::PacketView v;
  v.direction = dir;
  v.tcp_flags = static_cast<std::uint8_t>(flags & 0xff);
  v.subflow.local = capture::ModelEndpoint(flow.local_addr, flow.local_port);
  v.subflow.remote = capture::ModelEndpoint(flow.remote_addr, flow.remote_port);
  v.subflow.kernel_isn = flow.live_local_isn;
  v.subflow.injected_isn = flow.remote_isn.value_or(0);
  v.subflow.kernel_is_client = flow.kernel_client;
  v.relative_seq = relative_seq;
  v.payload = payload;
  return v;
}

Result<FlowTable::TupleSpec, PacketError> FlowTable::ResolveTuple(const parser::Packet& packet,
                                                                  std::uint16_t flags,
                                                                  const LivePacket* live) {
  TupleSpec t;
  if (!packet.tuple) return t;
  const bool inbound = packet.direction == parser::Direction::kInbound;
  // Inbound packets go from mpdrill (remote) to the kernel (local); outbound the other way.
  struct Side {
    const parser::Endpoint* endpoint;
    std::optional<capture::IpAddress>* address;
    std::optional<std::uint16_t>* port;
    const capture::IpAddress* observed;
    bind::Side owner;
  };
  const Side sides[] = {
      {&packet.tuple->src, inbound ? &t.remote : &t.local, inbound ? &t.remote_port : &t.local_port,
       live ? &live->src : nullptr, inbound ? bind::Side::kMpdrill : bind::Side::kKernel},
      {&packet.tuple->dst, inbound ? &t.local : &t.remote, inbound ? &t.local_port : &t.remote_port,
       live ? &live->dst : nullptr, inbound ? bind::Side::kKernel : bind::Side::kMpdrill},
  };
  const std::uint8_t tcp_flags = static_cast<std::uint8_t>(flags & 0xff);
  for (const Side& side : sides) {
    const parser::Endpoint& ep = *side.endpoint;
    using K = parser::Endpoint::Kind;
    switch (ep.kind) {
      case K::kNone:
        break;
      case K::kPort:
        *side.port = ep.port;
        break;
      case K::kAddressPort: {
        auto a = ParseAddress(ep.address, config_.wire_ipv6());
        if (!a) {
          return MakeUnexpected(
              PacketError{true, "'" + ep.address + "' is not an address of this run's IP version"});
        }
        *side.address = *a;
        if (ep.port) *side.port = ep.port;
        break;
      }
      case K::kVar: {
        std::optional<bind::ResolvedAddress> seen;
        if (side.observed)
          seen = bind::ResolvedAddress{capture::ModelEndpoint(*side.observed, 0), side.owner};
        auto r = binder_.ResolveEndpoint(ep, packet.direction, tcp_flags, seen);
        if (!r) return MakeUnexpected(PacketError{true, r.error().message});
        const capture::IpAddress a = ToIp(r->address);
        if (a.version != local_.version) {
          return MakeUnexpected(PacketError{true, "addr[" + ep.var + "] = " + AddressText(a) +
                                                      ": not an address of this run's IP version"});
        }
        *side.address = a;
        break;
      }
    }
  }
  return t;
}

bool FlowTable::Matches(const Flow& flow, const TupleSpec& t) {
  return (!t.local || *t.local == flow.local_addr) &&
         (!t.remote || *t.remote == flow.remote_addr) &&
         (!t.local_port || *t.local_port == flow.local_port) &&
         (!t.remote_port || *t.remote_port == flow.remote_port);
}

Flow& FlowTable::InboundFlow(const TupleSpec& t, bool syn_only, std::uint32_t start_seq) {
  Flow* cur = flows_.empty() ? nullptr : &flows_[current_];
  const bool untupled = !t.local && !t.remote && !t.local_port && !t.remote_port;
  if (syn_only) {
    // The same SYN again (same ISN, not yet answered by an ACK) is a retransmission; any
    // other SYN opens a new flow (a new connection, or an MP_JOIN subflow).
    const bool repeat = cur && !cur->kernel_client && !cur->established && Matches(*cur, t) &&
                        (!cur->remote_isn || *cur->remote_isn == start_seq);
    // A SYN the script names no connection for while the kernel's own SYN waits for its
    // answer crosses it (simultaneous open): packetdrill sends it to the socket under test,
    // the connecting one (google's fastopen/client/simultaneous-fast-open.pkt).
    const bool crossing = cur && untupled && cur->kernel_client && !cur->established &&
                          !cur->remote_isn;
    if (!repeat && !crossing) cur = nullptr;
  } else if (cur && !untupled && !Matches(*cur, t)) {
    cur = nullptr;
    for (std::size_t i = flows_.size(); i-- > 0;) {
      if (Matches(flows_[i], t)) {
        cur = &flows_[i];
        current_ = i;
        break;
      }
    }
  }
  if (!cur) {
    Flow f;
    f.local_addr = t.local.value_or(local_);
    f.remote_addr = t.remote.value_or(remote_);
    f.local_port = t.local_port.value_or(config_.bind_port);
    f.remote_port = t.remote_port ? *t.remote_port : next_remote_port_++;
    flows_.push_back(f);
    current_ = flows_.size() - 1;
    cur = &flows_.back();
  }
  if (syn_only) {
    cur->remote_isn = start_seq;
  } else {
    cur->established = true;
  }
  return *cur;
}

Flow* FlowTable::FindLive(const LivePacket& live) {
  const Flow* f = std::as_const(*this).FindLive(live);
  if (!f) return nullptr;
  current_ = static_cast<std::size_t>(f - flows_.data());
  return &flows_[current_];
}

const Flow* FlowTable::FindLive(const LivePacket& live) const {
  for (std::size_t i = flows_.size(); i-- > 0;) {
    const Flow& f = flows_[i];
    if (f.local_port == live.sport && f.remote_port == live.dport && f.local_addr == live.src &&
        f.remote_addr == live.dst) {
      return &f;
    }
  }
  return nullptr;
}

Result<parser::TcpOption, PacketError> FlowTable::ResolveSymbols(
    const parser::TcpOption& option) const {
  const auto lookup = [&](const std::string& name) -> const std::string* {
    for (auto it = config_.defines.rbegin(); it != config_.defines.rend(); ++it) {
      if (it->first == name) return &it->second;
    }
    return nullptr;
  };
  parser::TcpOption out = option;
  if (auto* mss = std::get_if<parser::OptMss>(&out); mss && !mss->symbol.empty()) {
    const std::string* v = lookup(mss->symbol);
    std::uint64_t n = 0;
    const auto [end, ec] =
        v ? std::from_chars(v->data(), v->data() + v->size(), n) : std::from_chars_result{};
    if (!v || ec != std::errc() || end != v->data() + v->size() || n > 0xffff) {
      return MakeUnexpected(PacketError{
          true, "mss " + mss->symbol + ": " +
                    (v ? "'" + *v + "' is not a 16-bit number" : std::string("not defined (-D)"))});
    }
    mss->mss = static_cast<std::uint16_t>(n);
    mss->symbol.clear();
  } else if (auto* fo = std::get_if<parser::OptFastOpen>(&out)) {
    if (const std::string* v = lookup(fo->cookie)) fo->cookie = *v;
  }
  return out;
}

std::optional<std::uint32_t> FlowTable::MapEcr(std::uint32_t script_ecr) const {
  if (auto it = ts_val_map_.find(script_ecr); it != ts_val_map_.end()) return it->second;
  if (first_ts_) return script_ecr - first_ts_->first + first_ts_->second;
  return std::nullopt;
}

Result<std::vector<std::uint8_t>, PacketError> FlowTable::BuildInboundIcmp(
    const parser::Packet& packet) {
  const auto& icmp = std::get<parser::IcmpMessage>(packet.body);
  auto m = IcmpFromScript(packet, config_.wire_ipv6(), config_.DefineMap());
  if (!m) return MakeUnexpected(PacketError{true, m.error()});
  // No quote at all is a quoted TCP header at sequence 0 with no payload (packetdrill).
  if (icmp.echoed == parser::IcmpMessage::Echoed::kRaw) {
    return MakeUnexpected(PacketError{
        true, "ICMP quoting a raw packet is not supported yet: quote the connection's TCP "
              "segment, [start:end(len)], or its UDP datagram, [udp (len)]"});
  }
  if (flows_.empty()) {
    return MakeUnexpected(PacketError{true, "ICMP message before any TCP connection"});
  }
  const Flow& flow = flows_[current_];
  m->src = flow.remote_addr;
  m->dst = flow.local_addr;
  m->quoted_src = flow.local_addr;
  m->quoted_dst = flow.remote_addr;
  m->quoted_sport = flow.local_port;
  m->quoted_dport = flow.remote_port;
  // packetdrill maps the quoted sequence number into the kernel's space (non-SYN numbering).
  m->quoted_seq = icmp.echoed_start + flow.local_offset(false);
  m->quoted_payload = icmp.echoed_end - icmp.echoed_start;
  auto bytes = BuildIcmpPacket(*m);
  if (!bytes) return MakeUnexpected(PacketError{true, bytes.error()});
  return std::move(*bytes);
}

Result<std::vector<std::uint8_t>, PacketError> FlowTable::BuildInbound(
    const parser::Packet& packet) {
  if (std::holds_alternative<parser::IcmpMessage>(packet.body)) return BuildInboundIcmp(packet);
  const auto& seg = std::get<parser::TcpSegment>(packet.body);
  auto flags = ParseTcpFlags(seg.flags);
  if (!flags) return MakeUnexpected(PacketError{true, "bad TCP flags '" + seg.flags + "'"});
  auto tuple = ResolveTuple(packet, *flags, nullptr);
  if (!tuple) return MakeUnexpected(tuple.error());
  const bool syn_only = (*flags & capture::kTcpSyn) && !(*flags & capture::kTcpAck);
  Flow& flow = InboundFlow(*tuple, syn_only, seg.start_seq);
  const bool syn = (*flags & capture::kTcpSyn) != 0;
  if (syn) flow.script_remote_isn = seg.start_seq;
  WireTcp t;
  t.src = flow.remote_addr;
  t.dst = flow.local_addr;
  t.sport = flow.remote_port;
  t.dport = flow.local_port;
  t.seq = seg.start_seq + flow.remote_offset(syn);
  // Like packetdrill, the ACK field of a packet with the ACK flag is in the kernel's space
  // even when the script leaves it out (then 0, i.e. the kernel's ISN: a probe after a reset
  // draws a RST whose sequence number is 0 in script terms); without the flag it is raw.
  t.ack =
      (*flags & capture::kTcpAck) ? seg.ack.value_or(0) + flow.local_offset(syn) : seg.ack.value_or(0);
  t.flags = *flags;
  t.window = seg.win.value_or(65535);
  t.urgent = seg.urg.value_or(0);
  t.payload_length = seg.end_seq - seg.start_seq;
  if (packet.ip_info) t.ip = *packet.ip_info;
  const std::vector<std::uint8_t> zeros(t.payload_length, 0);
  for (const parser::TcpOption& o : seg.options) {
    if (const auto* m = std::get_if<parser::MptcpOption>(&o)) {
      auto b = binder_.BuildInbound(
          *m, View(flow, parser::Direction::kInbound, *flags, seg.start_seq, zeros));
      if (!b) return MakeUnexpected(PacketError{true, b.error().message});
      t.options.insert(t.options.end(), b->begin(), b->end());
      continue;
    }
    auto resolved = ResolveSymbols(o);
    if (!resolved) return MakeUnexpected(resolved.error());
    parser::TcpOption mapped = std::move(*resolved);
    if (auto* ts = std::get_if<parser::OptTimestamp>(&mapped)) {
      if (*flags & capture::kTcpAck) {
        if (auto live = MapEcr(ts->ecr)) ts->ecr = *live;
      }
    } else if (auto* sack = std::get_if<parser::OptSack>(&mapped)) {
      for (auto& b : sack->blocks) {
        b.left += flow.local_offset(syn);
        b.right += flow.local_offset(syn);
      }
    }
    if (auto s = AppendTcpOption(mapped, &t.options); !s) {
      return MakeUnexpected(PacketError{true, s.error()});
    }
  }
  auto bytes = BuildTcpPacket(t);
  if (!bytes) return MakeUnexpected(PacketError{true, bytes.error()});
  return std::move(bytes.value());
}

namespace {

std::string Endpoints(const capture::IpAddress& a, std::uint16_t ap, const capture::IpAddress& b,
                      std::uint16_t bp) {
  return AddressText(a) + ":" + Num(ap) + ">" + AddressText(b) + ":" + Num(bp);
}

// Flags, sequence number (script space), payload length, ack, window.
void MatchTcpHeader(const parser::TcpSegment& seg, std::uint16_t flags, const Flow& flow,
                    const LivePacket& live, std::vector<std::string>* out) {
  if (live.flags != flags) {
    out->push_back(
        Mismatch("tcp flags", seg.flags.empty() ? "-" : seg.flags, TcpFlagsToString(live.flags)));
  }
  const bool syn = (live.flags & capture::kTcpSyn) != 0;
  const std::uint32_t seq = live.seq - flow.local_offset(syn);
  if (seq != seg.start_seq) out->push_back(Mismatch("tcp seq", Num(seg.start_seq), Num(seq)));
  const std::uint32_t want_len = seg.end_seq - seg.start_seq;
  if (live.payload_length != want_len) {
    out->push_back(Mismatch("tcp payload length", Num(want_len), Num(live.payload_length)));
  }
  const std::uint32_t ack = live.ack - flow.remote_offset(syn);
  if (seg.ack && (live.flags & capture::kTcpAck) && ack != *seg.ack) {
    out->push_back(Mismatch("tcp ack", Num(*seg.ack), Num(ack)));
  }
  if (seg.win && live.window != *seg.win) {
    out->push_back(Mismatch("tcp window", Num(*seg.win), Num(live.window)));
  }
}

}  // namespace

Flow* FlowTable::LearnFlow(const LivePacket& live) {
  // Without a tuple in the script, a packet of any known flow (or the kernel's SYN of a new
  // one) is taken, as packetdrill finds the socket by the live packet; with one, the flow
  // must be the one it names (MatchTuple).
  if (Flow* flow = FindLive(live)) return flow;
  if (!(live.flags & capture::kTcpSyn) || (live.flags & capture::kTcpAck)) return nullptr;
  Flow f;
  f.local_addr = live.src;
  f.remote_addr = live.dst;
  f.local_port = live.sport;
  f.remote_port = live.dport;
  f.kernel_client = true;
  flows_.push_back(f);
  current_ = flows_.size() - 1;
  return &flows_.back();
}

std::string FlowTable::UnknownConnection(const LivePacket& live) const {
  const std::string expected =
      flows_.empty() ? std::string("a known connection")
                     : Endpoints(flows_[current_].local_addr, flows_[current_].local_port,
                                 flows_[current_].remote_addr, flows_[current_].remote_port);
  return Mismatch("tcp connection", expected, Endpoints(live.src, live.sport, live.dst, live.dport));
}

void FlowTable::MatchTuple(const TupleSpec& t, const Flow& flow, const LivePacket& live,
                           std::vector<std::string>* out) const {
  if (Matches(flow, t)) return;
  // What the script pins (ports only where it writes them) against the live four-tuple.
  const auto side = [](const capture::IpAddress& a, std::optional<std::uint16_t> port) {
    return AddressText(a) + (port ? ":" + Num(*port) : "");
  };
  out->push_back(Mismatch("ip addresses",
                          side(t.local.value_or(flow.local_addr), t.local_port) + ">" +
                              side(t.remote.value_or(flow.remote_addr), t.remote_port),
                          Endpoints(live.src, live.sport, live.dst, live.dport)));
}

Result<std::vector<std::string>, PacketError> FlowTable::MatchOutbound(
    const parser::Packet& packet, const LivePacket& live, std::int64_t ts_tolerance_usecs) {
  const auto& seg = std::get<parser::TcpSegment>(packet.body);
  auto flags = ParseTcpFlags(seg.flags);
  if (!flags) return MakeUnexpected(PacketError{true, "bad TCP flags '" + seg.flags + "'"});
  std::vector<std::string> out;
  Flow* flow = LearnFlow(live);
  auto tuple = ResolveTuple(packet, *flags, &live);
  if (!tuple) return MakeUnexpected(tuple.error());
  if (!flow) {
    out.push_back(UnknownConnection(live));
    return out;
  }
  const bool live_syn = (live.flags & capture::kTcpSyn) != 0;
  if (!live_syn) flow->established = true;
  if (live.flags & capture::kTcpFin) flow->fin_end = live.seq + live.payload_length + 1;
  if (live_syn && (*flags & capture::kTcpSyn)) {
    flow->local_isn_known = true;
    flow->script_local_isn = seg.start_seq;
    flow->live_local_isn = live.seq;
  }
  MatchTuple(*tuple, *flow, live, &out);
  MatchTcpHeader(seg, *flags, *flow, live, &out);
  MatchIpFields(packet.ip_info, live.ttl, live.tos, &out);
  if (auto s = MatchOptions(seg, *flow, live, ts_tolerance_usecs, &out); !s) {
    return MakeUnexpected(s.error());
  }
  return out;
}

Status<PacketError> FlowTable::MatchOptions(const parser::TcpSegment& seg, const Flow& flow,
                                            const LivePacket& live,
                                            std::int64_t ts_tolerance_usecs,
                                            std::vector<std::string>* out) {
  const bind::PacketView view =
      View(flow, parser::Direction::kOutbound, live.flags, seg.start_seq, live.payload);
  if (seg.options_form == parser::OptionsForm::kAny) {
    // `<...>`: nothing is compared, but the binder still learns keys, nonces and data-level
    // progress from the kernel's MPTCP options (later `auto` HMACs and relative DSNs need them).
    binder_.Observe(live.decoded_options.Mptcp(), view);
    return Ok{};
  }
  std::vector<const LiveOption*> actual;
  std::vector<codec::Option> live_mptcp;
  for (const LiveOption& o : live.decoded_options.list) {
    if (!o.mptcp) {
      actual.push_back(&o);
    } else if (o.mptcp_option) {
      live_mptcp.push_back(*o.mptcp_option);
    } else {
      out->push_back("mptcp option: undecodable: " + PrintLiveOption(o));
    }
  }
  const bool syn = (live.flags & capture::kTcpSyn) != 0;
  std::vector<parser::TcpOption> plain;
  std::vector<parser::MptcpOption> want_mptcp;
  for (const parser::TcpOption& o : seg.options) {
    if (const auto* m = std::get_if<parser::MptcpOption>(&o)) {
      want_mptcp.push_back(*m);
      continue;
    }
    auto resolved = ResolveSymbols(o);
    if (!resolved) return MakeUnexpected(resolved.error());
    if (auto* sack = std::get_if<parser::OptSack>(&*resolved)) {
      for (auto& b : sack->blocks) {
        b.left += flow.remote_offset(syn);
        b.right += flow.remote_offset(syn);
      }
    }
    plain.push_back(std::move(*resolved));
  }
  if (!want_mptcp.empty() || !live_mptcp.empty()) {
    auto r = binder_.MatchOutbound(want_mptcp, live_mptcp, view, config_.strict_option_order);
    if (!r) return MakeUnexpected(PacketError{false, r.error().message});
    for (const auto& m : *r) out->push_back(m.ToString());
  }
  MatchPlainOptions(plain, actual, ts_tolerance_usecs, out);
  if (!live.decoded_options.stop.empty()) out->push_back("tcp options: " + live.decoded_options.stop);
  return Ok{};
}

void FlowTable::MatchPlainOptions(const std::vector<parser::TcpOption>& want,
                                  const std::vector<const LiveOption*>& got,
                                  std::int64_t ts_tolerance_usecs, std::vector<std::string>* out) {
  for (std::size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const std::string field = "tcp option " + Num(i + 1);
    if (i >= want.size()) {
      out->push_back(Mismatch(field, "none", PrintLiveOption(*got[i])));
      return;
    }
    if (i >= got.size()) {
      out->push_back(Mismatch(field, parser::PrintTcpOption(want[i]), "none"));
      return;
    }
    const std::optional<parser::TcpOption>& live = got[i]->option;
    if (const auto* ts = std::get_if<parser::OptTimestamp>(&want[i])) {
      const auto* live_ts = live ? std::get_if<parser::OptTimestamp>(&*live) : nullptr;
      if (live_ts) {
        MatchTimestamp(*ts, *live_ts, ts_tolerance_usecs, out);
      } else {
        out->push_back(Mismatch(field, parser::PrintTcpOption(want[i]), PrintLiveOption(*got[i])));
      }
      continue;
    }
    if (!live || !(*live == want[i])) {
      out->push_back(Mismatch(field, parser::PrintTcpOption(want[i]), PrintLiveOption(*got[i])));
    }
  }
}

void FlowTable::MatchTimestamp(const parser::OptTimestamp& want, const parser::OptTimestamp& got,
                               std::int64_t ts_tolerance_usecs, std::vector<std::string>* out) {
  // TS val is only checked with --tcp_ts_tick_usecs (packetdrill's default: not), in script
  // space (offset by the first TS val pair seen), within the tolerance; TS ecr of outbound
  // packets is not checked at all, as packetdrill does not (run_packet.c
  // verify_outbound_tcp_option): the script's ecr values name inbound TS vals that need not be
  // the last ones the kernel saw.
  ts_val_map_[want.val] = got.val;
  if (!first_ts_) first_ts_.emplace(want.val, got.val);
  if (config_.tcp_ts_tick_usecs <= 0) return;
  const std::uint32_t scripted = first_ts_->first + (got.val - first_ts_->second);
  const std::int64_t ticks = static_cast<std::int32_t>(scripted - want.val);
  if ((ticks < 0 ? -ticks : ticks) * config_.tcp_ts_tick_usecs > ts_tolerance_usecs) {
    out->push_back(Mismatch("tcp option TS val", Num(want.val),
                            Num(scripted) + " (tolerance " + Num(ts_tolerance_usecs) +
                                " usecs at " + Num(config_.tcp_ts_tick_usecs) +
                                " usecs per tick)"));
  }
}

bool FlowTable::Expected(const parser::Packet& packet, const LivePacket& live) const {
  const auto syn_only = [](std::uint16_t f) {
    return (f & capture::kTcpSyn) && !(f & capture::kTcpAck);
  };
  const auto* seg = std::get_if<parser::TcpSegment>(&packet.body);
  const auto flags = seg ? ParseTcpFlags(seg->flags) : std::nullopt;
  if (const Flow* f = FindLive(live)) {
    // The script waits for the SYN of a connection it just asked the kernel to open: packets
    // of the connections it already has (a closed socket's FIN) are not it, as packetdrill
    // follows only the socket under test.
    if (flags && syn_only(*flags) && !(live.flags & capture::kTcpSyn)) return false;
    // The script waits for the SYN/ACK of the connection its SYN just opened: packets of an
    // older connection (the RST of a socket it closed with unread data) are not it, as
    // packetdrill only follows the socket under test.
    const bool want_syn_ack = flags && (*flags & capture::kTcpSyn) && (*flags & capture::kTcpAck);
    const bool other_flow = !flows_.empty() && f != &flows_[current_];
    // The script waits for a packet it names no connection for: an older connection
    // retransmitting the FIN the script already saw is not it, as packetdrill only follows
    // the socket under test (google's gtests/net/tcp/fastopen/client/fallback-exp-opt.pkt).
    if (other_flow && !packet.tuple && f->fin_end &&
        (live.flags & capture::kTcpFin) &&
        live.seq + live.payload_length + 1 == *f->fin_end) {
      return false;
    }
    return !(want_syn_ack && other_flow && !(live.flags & capture::kTcpSyn) &&
             !flows_[current_].kernel_client && !flows_[current_].established);
  }
  return syn_only(live.flags) && flags && syn_only(*flags);
}

bool FlowTable::WantsMore(const parser::Packet& packet,
                          const std::vector<LivePacket>& segments) const {
  const auto& seg = std::get<parser::TcpSegment>(packet.body);
  const std::uint32_t want = seg.end_seq - seg.start_seq;
  std::uint32_t have = 0;
  for (const auto& s : segments) have += s.payload_length;
  const auto& last = segments.back();
  if (last.flags & (capture::kTcpSyn | capture::kTcpRst | capture::kTcpFin)) return false;
  return have > 0 && have < want;
}

bool FlowTable::Continues(const std::vector<LivePacket>& segments, const LivePacket& next) const {
  const auto& last = segments.back();
  if (!(next.sport == last.sport && next.dport == last.dport && next.src == last.src &&
        next.dst == last.dst && next.seq == last.seq + last.payload_length &&
        next.payload_length > 0 && !(next.flags & (capture::kTcpSyn | capture::kTcpRst)))) {
    return false;
  }
  // Never across DSS mappings: one script packet is one mapping (or none), so segments of
  // different mappings are compared one by one.
  return binder_.SameMapping(last.decoded_options.Mptcp(), next.decoded_options.Mptcp());
}

std::string FlowTable::FormatLive(const LivePacket& live) const {
  const Flow* flow = FindLive(live);
  const bool syn = (live.flags & capture::kTcpSyn) != 0;
  const std::uint32_t off = flow ? flow->local_offset(syn) : 0;
  const std::uint32_t seq = live.seq - off;
  const std::uint32_t remote_off = flow ? flow->remote_offset(syn) : 0;
  std::string s = "> ";
  // With several flows, name the subflow: packetdrill's explicit `address:port > address:port`.
  if (flows_.size() > 1 || !flow) {
    // IPv6 in brackets, so that the port stays readable: [2001:db8::1]:8080.
    const auto endpoint = [](const capture::IpAddress& a, std::uint16_t port) {
      return a.version == 6 ? "[" + AddressText(a) + "]:" + Num(port)
                            : AddressText(a) + ":" + Num(port);
    };
    s += endpoint(live.src, live.sport) + " > " + endpoint(live.dst, live.dport) + " ";
  }
  s += (live.flags ? TcpFlagsToString(live.flags) : std::string("-")) + " " + Num(seq) + ":" +
       Num(seq + live.payload_length) + "(" + Num(live.payload_length) + ")";
  if (live.flags & capture::kTcpAck) s += " ack " + Num(live.ack - remote_off);
  s += " win " + Num(live.window);
  const std::vector<LiveOption>& opts = live.decoded_options.list;
  if (!opts.empty()) {
    s += " <";
    for (std::size_t i = 0; i < opts.size(); ++i) {
      if (i) s += ", ";
      // MPTCP options as the script would write them (relative DSNs) once the flow is known.
      s += opts[i].mptcp_option && flow
               ? binder_.Describe(*opts[i].mptcp_option,
                                  View(*flow, parser::Direction::kOutbound, live.flags, seq,
                                       live.payload))
               : PrintLiveOption(opts[i]);
    }
    s += ">";
  }
  return s;
}

}  // namespace mpdrill::run
