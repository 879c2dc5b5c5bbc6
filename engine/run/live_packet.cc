#include "engine/run/live_packet.h"

#include <variant>

#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_print.h"
#include "engine/run/wire.h"
#include "parser/printer.h"

namespace mpdrill::run {
namespace {

std::string Num(std::uint64_t v) { return std::to_string(v); }

std::string Mismatch(const std::string& field, const std::string& expected,
                     const std::string& actual) {
  return field + ": expected: " + expected + " actual: " + actual;
}

std::string PrintLiveOption(const LiveOption& o) {
  if (o.option) return parser::PrintTcpOption(*o.option);
  if (o.mptcp) {
    auto d = codec::Decode(o.bytes);
    if (d) return codec::ToScript(d->option);
  }
  std::string hex;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::uint8_t b : o.bytes) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return "raw 0x" + hex;
}


}  // namespace

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
    m.flags = static_cast<std::uint16_t>(m.flags | (segments[i].flags & (capture::kTcpPsh | capture::kTcpFin)));
    m.ack = segments[i].ack;
    m.window = segments[i].window;
  }
  return m;
}

static model::Endpoint ToEndpoint(const capture::IpAddress& a, std::uint16_t port) {
  model::Endpoint e;
  e.ip_version = a.version;
  e.address = a.bytes;
  e.port = port;
  return e;
}

static bind::BinderOptions MakeBinderOptions(const RunConfig& config) {
  const bool v6 = config.wire_ipv6();
  bind::BinderOptions o;
  o.seed = config.seed.value_or(0);
  o.addresses.kernel = ToEndpoint(ParseAddress(config.local_ip, v6).value_or(capture::IpAddress{}), 0);
  o.addresses.mpdrill = ToEndpoint(ParseAddress(config.remote_ip, v6).value_or(capture::IpAddress{}), 0);
  return o;
}

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
  v.subflow.local = ToEndpoint(local_, flow.local_port);
  v.subflow.remote = ToEndpoint(remote_, flow.remote_port);
  v.subflow.kernel_isn = flow.live_local_isn;
  v.subflow.injected_isn = flow.remote_isn.value_or(0);
  v.subflow.kernel_is_client = flow.kernel_client;
  v.relative_seq = relative_seq;
  v.payload = payload;
  return v;
}

std::optional<PacketError> FlowTable::CheckTuple(const parser::Packet& packet, std::uint16_t flags) {
  if (!packet.tuple) return std::nullopt;
  for (const parser::Endpoint* ep : {&packet.tuple->src, &packet.tuple->dst}) {
    if (ep->kind != parser::Endpoint::Kind::kVar) {
      return PacketError{true, "explicit address:port tuples are not supported yet"};
    }
    auto r = binder_.ResolveEndpoint(*ep, packet.direction, static_cast<std::uint8_t>(flags & 0xff));
    if (!r) return PacketError{true, r.error().message};
    const model::Endpoint& a = r->address;
    const bool primary = (a.ip_version == local_.version && a.address == local_.bytes) ||
                         (a.ip_version == remote_.version && a.address == remote_.bytes);
    if (!primary) {
      return PacketError{true, "extra subflow addresses (addr[" + ep->var +
                                   "]) are not supported yet"};
    }
  }
  return std::nullopt;
}

Flow* FlowTable::FindByPorts(std::uint16_t local_port, std::uint16_t remote_port) {
  for (std::size_t i = flows_.size(); i-- > 0;) {
    if (flows_[i].local_port == local_port && flows_[i].remote_port == remote_port) {
      current_ = i;
      return &flows_[i];
    }
  }
  return nullptr;
}

const Flow* FlowTable::FindByPorts(std::uint16_t local_port, std::uint16_t remote_port) const {
  for (std::size_t i = flows_.size(); i-- > 0;) {
    if (flows_[i].local_port == local_port && flows_[i].remote_port == remote_port) return &flows_[i];
  }
  return nullptr;
}

std::optional<std::uint32_t> FlowTable::MapEcr(std::uint32_t script_ecr) const {
  if (auto it = ts_val_map_.find(script_ecr); it != ts_val_map_.end()) return it->second;
  if (first_ts_) return script_ecr - first_ts_->first + first_ts_->second;
  return std::nullopt;
}

Result<std::vector<std::uint8_t>, PacketError> FlowTable::BuildInbound(
    const parser::Packet& packet) {
  const auto& seg = std::get<parser::TcpSegment>(packet.body);
  auto flags = ParseTcpFlags(seg.flags);
  if (!flags) return MakeUnexpected(PacketError{true, "bad TCP flags '" + seg.flags + "'"});
  if (auto e = CheckTuple(packet, *flags)) return MakeUnexpected(*e);
  const bool syn_only = (*flags & capture::kTcpSyn) && !(*flags & capture::kTcpAck);
  if (syn_only) {
    Flow* cur = flows_.empty() ? nullptr : &flows_[current_];
    if (!cur || cur->kernel_client || (cur->remote_isn && *cur->remote_isn != seg.start_seq)) {
      Flow f;
      f.local_port = config_.bind_port;
      f.remote_port = next_remote_port_++;
      flows_.push_back(f);
      current_ = flows_.size() - 1;
    }
    flows_[current_].remote_isn = seg.start_seq;
  } else if (flows_.empty()) {
    Flow f;
    f.local_port = config_.bind_port;
    f.remote_port = next_remote_port_++;
    flows_.push_back(f);
    current_ = 0;
  }
  const Flow& flow = flows_[current_];
  WireTcp t;
  t.src = remote_;
  t.dst = local_;
  t.sport = flow.remote_port;
  t.dport = flow.local_port;
  t.seq = seg.start_seq;
  t.ack = seg.ack ? *seg.ack + flow.local_offset() : 0;
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
    parser::TcpOption mapped = o;
    if (auto* ts = std::get_if<parser::OptTimestamp>(&mapped)) {
      if (*flags & capture::kTcpAck) {
        if (auto live = MapEcr(ts->ecr)) ts->ecr = *live;
      }
    } else if (auto* sack = std::get_if<parser::OptSack>(&mapped)) {
      for (auto& b : sack->blocks) {
        b.left += flow.local_offset();
        b.right += flow.local_offset();
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

Result<std::vector<std::string>, PacketError> FlowTable::MatchOutbound(
    const parser::Packet& packet, const LivePacket& live) {
  const auto& seg = std::get<parser::TcpSegment>(packet.body);
  auto flags = ParseTcpFlags(seg.flags);
  if (!flags) return MakeUnexpected(PacketError{true, "bad TCP flags '" + seg.flags + "'"});
  if (auto e = CheckTuple(packet, *flags)) return MakeUnexpected(*e);
  std::vector<std::string> out;
  // Learn or find the flow.
  const bool live_syn = live.flags & capture::kTcpSyn;
  Flow* flow = FindByPorts(live.sport, live.dport);
  if (!flow && live_syn && !(live.flags & capture::kTcpAck)) {
    Flow f;
    f.local_port = live.sport;
    f.remote_port = live.dport;
    f.kernel_client = true;
    flows_.push_back(f);
    current_ = flows_.size() - 1;
    flow = &flows_.back();
  }
  if (!flow) {
    out.push_back(Mismatch("tcp ports", flows_.empty() ? std::string("a known connection")
                                                       : Num(flows_[current_].local_port) + ">" +
                                                             Num(flows_[current_].remote_port),
                           Num(live.sport) + ">" + Num(live.dport)));
    return out;
  }
  if (live_syn && (*flags & capture::kTcpSyn)) {
    flow->local_isn_known = true;
    flow->script_local_isn = seg.start_seq;
    flow->live_local_isn = live.seq;
  }
  if (!(live.src == local_) || !(live.dst == remote_)) {
    std::string e, a;
    capture::AppendAddress(local_, &e);
    e += ">";
    capture::AppendAddress(remote_, &e);
    capture::AppendAddress(live.src, &a);
    a += ">";
    capture::AppendAddress(live.dst, &a);
    out.push_back(Mismatch("ip addresses", e, a));
  }
  if (live.flags != *flags) {
    out.push_back(Mismatch("tcp flags", seg.flags.empty() ? "-" : seg.flags,
                           TcpFlagsToString(live.flags)));
  }
  const std::uint32_t seq = live.seq - flow->local_offset();
  if (seq != seg.start_seq) out.push_back(Mismatch("tcp seq", Num(seg.start_seq), Num(seq)));
  const std::uint32_t want_len = seg.end_seq - seg.start_seq;
  if (live.payload_length != want_len) {
    out.push_back(Mismatch("tcp payload length", Num(want_len), Num(live.payload_length)));
  }
  if (seg.ack && (live.flags & capture::kTcpAck) && live.ack != *seg.ack) {
    out.push_back(Mismatch("tcp ack", Num(*seg.ack), Num(live.ack)));
  }
  if (seg.win && live.window != *seg.win) {
    out.push_back(Mismatch("tcp window", Num(*seg.win), Num(live.window)));
  }
  if (packet.ip_info) {
    const auto& ip = *packet.ip_info;
    if (ip.ttl && live.ttl != *ip.ttl) out.push_back(Mismatch("ip ttl", Num(*ip.ttl), Num(live.ttl)));
    if (ip.tos && (live.tos & 0xfc) != (*ip.tos & 0xfc)) {
      out.push_back(Mismatch("ip tos", Num(*ip.tos & 0xfc), Num(live.tos & 0xfc)));
    }
  }
  if (seg.options_form != parser::OptionsForm::kAny) {
    std::string stop;
    std::vector<LiveOption> actual;
    std::vector<codec::Option> live_mptcp;
    for (LiveOption& o : DecodeLiveOptions(live.options, &stop)) {
      if (o.mptcp) {
        if (auto d = codec::Decode(o.bytes)) {
          live_mptcp.push_back(d->option);
        } else {
          out.push_back("mptcp option: undecodable: " + PrintLiveOption(o));
        }
      } else {
        actual.push_back(std::move(o));
      }
    }
    std::vector<parser::TcpOption> plain;
    std::vector<parser::MptcpOption> want_mptcp;
    for (const parser::TcpOption& o : seg.options) {
      if (const auto* m = std::get_if<parser::MptcpOption>(&o)) {
        want_mptcp.push_back(*m);
      } else {
        plain.push_back(o);
      }
    }
    if (!want_mptcp.empty() || !live_mptcp.empty()) {
      auto r = binder_.MatchOutbound(
          want_mptcp, live_mptcp,
          View(*flow, parser::Direction::kOutbound, live.flags, seg.start_seq, live.payload),
          /*strict_order=*/false);
      if (!r) return MakeUnexpected(PacketError{false, r.error().message});
      for (const auto& m : *r) out.push_back(m.ToString());
    }
    const std::size_t n = std::max(plain.size(), actual.size());
    for (std::size_t i = 0; i < n; ++i) {
      const std::string field = "tcp option " + Num(i + 1);
      if (i >= plain.size()) {
        out.push_back(Mismatch(field, "none", PrintLiveOption(actual[i])));
        break;
      }
      const parser::TcpOption& want = plain[i];
      if (i >= actual.size()) {
        out.push_back(Mismatch(field, parser::PrintTcpOption(want), "none"));
        break;
      }
      const LiveOption& got = actual[i];
      if (const auto* ts = std::get_if<parser::OptTimestamp>(&want)) {
        const auto* live_ts = got.option ? std::get_if<parser::OptTimestamp>(&*got.option) : nullptr;
        if (!live_ts) {
          out.push_back(Mismatch(field, parser::PrintTcpOption(want), PrintLiveOption(got)));
          continue;
        }
        // TS val is only checked with --tcp_ts_tick_usecs (packetdrill's default: not).
        ts_val_map_[ts->val] = live_ts->val;
        if (!first_ts_) first_ts_.emplace(ts->val, live_ts->val);
        if (live_ts->ecr != ts->ecr && (live.flags & capture::kTcpAck)) {
          out.push_back(Mismatch("tcp option TS ecr", Num(ts->ecr), Num(live_ts->ecr)));
        }
        continue;
      }
      if (!got.option || !(*got.option == want)) {
        out.push_back(Mismatch(field, parser::PrintTcpOption(want), PrintLiveOption(got)));
      }
    }
    if (!stop.empty()) out.push_back("tcp options: " + stop);
  }
  return out;
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
  return next.sport == last.sport && next.dport == last.dport &&
         next.seq == last.seq + last.payload_length && next.payload_length > 0 &&
         !(next.flags & (capture::kTcpSyn | capture::kTcpRst));
}

std::string FlowTable::FormatLive(const LivePacket& live) const {
  const Flow* flow = FindByPorts(live.sport, live.dport);
  const std::uint32_t off = flow ? flow->local_offset() : 0;
  const std::uint32_t seq = live.seq - off;
  std::string s = "> " + (live.flags ? TcpFlagsToString(live.flags) : std::string("-")) + " " +
                  Num(seq) + ":" + Num(seq + live.payload_length) + "(" +
                  Num(live.payload_length) + ")";
  if (live.flags & capture::kTcpAck) s += " ack " + Num(live.ack);
  s += " win " + Num(live.window);
  const std::vector<LiveOption> opts = DecodeLiveOptions(live.options);
  if (!opts.empty()) {
    s += " <";
    for (std::size_t i = 0; i < opts.size(); ++i) {
      if (i) s += ", ";
      s += PrintLiveOption(opts[i]);
    }
    s += ">";
  }
  return s;
}

}  // namespace mpdrill::run
