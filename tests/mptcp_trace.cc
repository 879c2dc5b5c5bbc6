#include "tests/mptcp_trace.h"

#include <algorithm>
#include <cstdio>
#include <variant>

#include "engine/codec/mptcp_print.h"
#include "engine/codec/tcp_options.h"

namespace mpdrill::tests {
namespace {

codec::SegmentInfo InfoOf(const capture::TcpSegment& s) {
  return codec::SegmentInfo{.syn = s.syn(), .ack = s.ack_flag(), .rst = s.rst(),
                            .payload_length = s.payload_length};
}

void AddUnique(std::vector<capture::IpAddress>* v, const capture::IpAddress& a) {
  if (std::find(v->begin(), v->end(), a) == v->end()) v->push_back(a);
}

// Learns keys, ISNs and which addresses belong to which side from one decoded option.
void Learn(Trace* t, const capture::TcpSegment& s, const codec::Option& option) {
  const FlowKey flow{s.src, s.dst, s.sport, s.dport};
  if (s.syn()) t->isn.emplace(flow, s.seq);
  if (s.syn() && !s.ack_flag()) AddUnique(&t->client_addresses, s.src);
  if (s.syn() && s.ack_flag()) AddUnique(&t->server_addresses, s.src);
  if (const auto* mpc = std::get_if<codec::MpCapable>(&option)) {
    if (s.syn() && s.ack_flag() && mpc->sender_key && !t->synack_key) {
      t->synack_key = mpc->sender_key;
    }
    if (!s.syn() && mpc->sender_key && mpc->receiver_key && !t->client_key) {
      t->client_key = mpc->sender_key;
      t->server_key = mpc->receiver_key;
    }
  }
}

}  // namespace

std::string Hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  char buf[3];
  for (std::uint8_t b : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x", b);
    out += buf;
  }
  return out;
}

std::optional<Side> Trace::SenderOf(const capture::TcpSegment& s) const {
  const bool client = std::find(client_addresses.begin(), client_addresses.end(), s.src) !=
                      client_addresses.end();
  const bool server = std::find(server_addresses.begin(), server_addresses.end(), s.src) !=
                      server_addresses.end();
  if (client == server) return std::nullopt;  // unknown, or ambiguous
  return client ? Side::kClient : Side::kServer;
}

Result<Trace, std::string> LoadTrace(const std::string& path) {
  auto segments = capture::ReadTcpSegments(path);
  if (!segments) return Unexpected{segments.error().message};
  Trace t;
  t.path = path;
  t.segments = std::move(*segments);
  for (std::size_t i = 0; i < t.segments.size(); ++i) {
    const capture::TcpSegment& s = t.segments[i].tcp;
    codec::TcpOptionWalker walker(s.options);
    for (int guard = 0; guard < 40; ++guard) {  // at most 40 option bytes
      auto opt = walker.Next();
      if (!opt) break;
      if (opt->kind != codec::kMptcpOptionKind) continue;
      TraceOption o;
      o.segment_index = i;
      o.bytes.assign(opt->bytes.begin(), opt->bytes.end());
      auto decoded = codec::Decode(opt->bytes, InfoOf(s));
      if (decoded) {
        Learn(&t, s, decoded->option);
        o.decoded = std::move(*decoded);
      } else {
        o.error = decoded.error();
      }
      t.options.push_back(std::move(o));
    }
    if (walker.stop()) {
      t.problems.push_back("frame " + std::to_string(t.segments[i].frame_number) +
                           ": option walk stopped at offset " +
                           std::to_string(walker.stop()->offset) + ": " +
                           std::string(walker.stop()->reason));
    }
  }
  return t;
}

std::string Describe(const Trace& trace, const TraceOption& o) {
  const capture::TcpSegment& s = trace.SegmentOf(o);
  std::string src;
  std::string dst;
  capture::AppendAddress(s.src, &src);
  capture::AppendAddress(s.dst, &dst);
  std::string text = trace.path + " frame " + std::to_string(trace.FrameOf(o)) + " " + src + ":" +
                     std::to_string(s.sport) + " > " + dst + ":" + std::to_string(s.dport) +
                     " option " + Hex(o.bytes);
  if (o.decoded) {
    text += " (" + codec::ToScript(o.decoded->option, InfoOf(s)) + ")";
  } else if (o.error) {
    text += " (decode error: " + std::string(o.error->reason) + ")";
  }
  return text;
}

std::string FormOf(const codec::Option& option) {
  if (const auto* mpc = std::get_if<codec::MpCapable>(&option)) {
    if (!mpc->sender_key) return "mp_capable/syn";
    if (!mpc->receiver_key) return "mp_capable/synack";
    if (!mpc->data_level_length) return "mp_capable/ack";
    return mpc->checksum ? "mp_capable/data+csum" : "mp_capable/data";
  }
  if (const auto* join = std::get_if<codec::MpJoin>(&option)) {
    switch (join->form) {
      case codec::JoinForm::kSyn:
        return "mp_join/syn";
      case codec::JoinForm::kSynAck:
        return "mp_join/synack";
      case codec::JoinForm::kAck:
        return "mp_join/ack";
    }
  }
  if (const auto* dss = std::get_if<codec::Dss>(&option)) {
    std::string f = dss->has_mapping() ? "dss/map" : "dss/nomap";
    if (dss->checksum) f += "+csum";
    if (dss->data_fin()) f += "+fin";
    return f;
  }
  if (const auto* add = std::get_if<codec::AddAddr>(&option)) {
    return std::string("add_addr/") + (add->echo ? "echo" : "announce") +
           (add->ipv6 ? "/v6" : "/v4");
  }
  return codec::SubtypeName(option);
}

}  // namespace mpdrill::tests
