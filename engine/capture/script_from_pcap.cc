#include "engine/capture/script_from_pcap.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "base/bytes.h"
#include "engine/capture/pcap_reader.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_print.h"
#include "engine/codec/tcp_options.h"
#include "engine/crypto/mptcp_crypto.h"

namespace mpdrill::capture {
namespace {

using Error = ScriptFromPcapError;

Unexpected<Error> Fail(std::uint64_t frame, const std::string& what) {
  return Unexpected<Error>{Error{"frame " + std::to_string(frame) + ": " + what}};
}

bool SameEndpoint(const IpAddress& a, std::uint16_t ap, const IpAddress& b, std::uint16_t bp) {
  return ap == bp && a == b;
}

std::string Flags(std::uint16_t f) {
  std::string s;
  if (f & kTcpSyn) s += 'S';
  if (f & kTcpFin) s += 'F';
  if (f & kTcpRst) s += 'R';
  if (f & kTcpPsh) s += 'P';
  if (f & kTcpAck) s += '.';
  return s.empty() ? "-" : s;
}

// "0.012345": the capture time since the first segment of the connection.
std::string Seconds(std::uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(us / 1000000),
                static_cast<unsigned long long>(us % 1000000));
  return buf;
}

std::uint64_t TimeUs(const CapturedSegment& s) {
  return static_cast<std::uint64_t>(s.timestamp.seconds) * 1000000u +
         s.timestamp.nanoseconds / 1000u;
}

std::uint64_t Relative(std::uint64_t value, std::uint64_t idsn, bool wide) {
  if (wide) return value - idsn;
  return static_cast<std::uint32_t>(value - static_cast<std::uint32_t>(idsn));
}

// The conversation's state while its segments are written out.
class Writer {
 public:
  Writer(const ScriptFromPcapOptions& options, const TcpSegment& syn)
      : options_(options), client_primary_(syn.src), server_primary_(syn.dst) {
    flows_.push_back(Flow{syn.src, syn.sport, syn.dst, syn.dport, true, {syn.seq, 0}});
  }

  Result<Ok, Error> Segment(const CapturedSegment& s) {
    const TcpSegment& t = s.tcp;
    auto found = FindFlow(s);
    if (!found) return Unexpected<Error>{found.error()};
    const std::size_t index = found->first;
    Flow& f = flows_[index];
    const int dir = found->second;  // 0: from the flow's initiator
    const bool from_client = (dir == 0) == f.initiator_is_client;
    if (t.syn() && t.ack_flag() && dir == 1) {
      f.isn[1] = t.seq;
      f.synack_seen = true;
    }
    if (!t.syn() && !f.synack_seen) return Fail(s.frame_number, "data before the SYN/ACK");
    // The side the script tests sends outbound packets; mpdrill plays the other side.
    const bool inbound = from_client == (options_.side == ScriptSide::kServer);
    const std::uint32_t seq = t.seq - f.isn[dir];
    const std::uint32_t end = seq + t.payload_length;
    const std::string at = Seconds(TimeUs(s) - t0_) + " ";

    // Syscalls the application made before this packet left.
    if (!inbound) {
      // The application's close: a DATA_FIN, or a FIN on the initial subflow (a FIN on a
      // join closes that subflow only: after REMOVE_ADDR, say).
      const bool closing = HasDataFin(t) || (t.fin() && index == 0);
      if (closing && !closed_ && (accepted_ || client())) {
        out_ += at + "close(" + Fd() + ") = 0\n";
        closed_ = true;
      }
      if (t.payload_length > 0 && !closed_ && SeqAfter(end, f.sent[dir])) {
        const std::uint32_t fresh = end - (SeqAfter(seq, f.sent[dir]) ? seq : f.sent[dir]);
        out_ += at + "write(" + Fd() + ", ..., " + std::to_string(fresh) + ") = " +
                std::to_string(fresh) + "\n";
      }
    }
    const bool news = SeqAfter(end, f.sent[dir]) || !f.started[dir];
    std::string line = at + (inbound ? "< " : "> ");
    if (index != current_flow_) {
      // Another flow than the previous packet's: name it (docs/run.md, "Subflows").
      auto src = AddressName(s.frame_number, t.src, from_client);
      auto dst = AddressName(s.frame_number, t.dst, !from_client);
      if (!src) return Unexpected<Error>{src.error()};
      if (!dst) return Unexpected<Error>{dst.error()};
      line += "addr[" + *src + "] > addr[" + *dst + "] ";
      current_flow_ = index;
    }
    line += Flags(t.flags) + " " + std::to_string(seq) + ":" + std::to_string(end) + "(" +
            std::to_string(t.payload_length) + ")";
    if (t.ack_flag()) line += " ack " + std::to_string(t.ack - f.isn[1 - dir]);
    if (inbound) line += " win " + std::to_string(t.window);
    auto options = Options(s, from_client);
    if (!options) return Unexpected<Error>{options.error()};
    if (!options->empty()) line += " <" + *options + ">";
    out_ += line + "\n";
    if (news) {
      f.sent[dir] = end + (t.fin() ? 1 : 0) + (t.syn() ? 1 : 0);
      f.started[dir] = true;
    }

    // What the application did once this packet arrived (or left).
    if (!client() && inbound && !accepted_ && !t.syn() && t.ack_flag()) {
      out_ += at + "accept(3, ..., ...) = 4\n";
      accepted_ = true;
    }
    if (client() && !inbound && !connected_ && !t.syn() && t.ack_flag()) {
      // The third ACK: the non-blocking connect() completed; blocking again for the rest.
      out_ += at + "fcntl(3, F_SETFL, O_RDWR) = 0\n";
      connected_ = true;
    }
    if (inbound && t.payload_length > 0 && (accepted_ || connected_) && news) {
      out_ += at + "read(" + Fd() + ", ..., " + std::to_string(t.payload_length) + ") = " +
              std::to_string(t.payload_length) + "\n";
    }
    return Ok{};
  }

  Result<std::string, Error> Finish(const std::string& source) {
    std::string head = "// " + source + ", " +
                       (options_.side == ScriptSide::kServer ? "server" : "client") +
                       " side, by mpdrill script-from-pcap\n--tolerance_usecs=" +
                       std::to_string(options_.tolerance_usecs) + "\n";
    // One command line: only the first backquoted line may go without an event time.
    std::string init;
    for (const std::string& c : options_.init_commands) init += (init.empty() ? "" : "; ") + c;
    if (!init.empty()) head += "`" + init + "`\n";
    head += "\n0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n";
    if (client()) {
      head += "0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
              "0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n";
    } else {
      head += "0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
              "0 bind(3, ..., ...) = 0\n"
              "0 listen(3, 1) = 0\n";
    }
    return head + out_;
  }

  void set_t0(std::uint64_t t0) { t0_ = t0; }

 private:
  // One TCP subflow: the initiator's SYN opened it.
  struct Flow {
    IpAddress a;  // the initiator
    std::uint16_t ap = 0;
    IpAddress b;
    std::uint16_t bp = 0;
    bool initiator_is_client = true;  // the connection's client (the first SYN's sender)
    std::uint32_t isn[2] = {0, 0};    // [0] initiator, [1] responder
    std::uint32_t sent[2] = {0, 0};
    bool started[2] = {false, false};
    bool synack_seen = false;
  };
  static constexpr std::size_t kMaxFlows = 8;

  // The flow of `s` and its direction (0: from the initiator); a SYN of a new four-tuple
  // opens a flow (a join: it must carry MP_JOIN).
  Result<std::pair<std::size_t, int>, Error> FindFlow(const CapturedSegment& s) {
    const TcpSegment& t = s.tcp;
    for (std::size_t i = 0; i < flows_.size(); ++i) {
      const Flow& f = flows_[i];
      if (SameEndpoint(t.src, t.sport, f.a, f.ap) && SameEndpoint(t.dst, t.dport, f.b, f.bp)) {
        return std::pair{i, 0};
      }
      if (SameEndpoint(t.src, t.sport, f.b, f.bp) && SameEndpoint(t.dst, t.dport, f.a, f.ap)) {
        return std::pair{i, 1};
      }
    }
    if (!t.syn() || t.ack_flag()) {
      return Fail(s.frame_number, "a segment of no subflow whose SYN the capture has");
    }
    const auto join = JoinSyn(t);
    if (!join) {
      return Fail(s.frame_number, "a second connection: script-from-pcap writes the first one");
    }
    if (!keys_[0] || !keys_[1]) return Fail(s.frame_number, "a join before both keys are known");
    // The token names the responder's key: a join to the server comes from the client.
    const bool to_server = join->token == crypto::Token(*keys_[1]);
    if (!to_server && join->token != crypto::Token(*keys_[0])) {
      return Fail(s.frame_number, "a join whose token is neither side's");
    }
    for (const Flow& f : flows_) {
      const bool same = (f.a == t.src && f.b == t.dst) || (f.a == t.dst && f.b == t.src);
      if (same) {
        return Fail(s.frame_number, "a second subflow between the same two addresses (the "
                                    "script names subflows by their addresses)");
      }
    }
    if (flows_.size() == kMaxFlows) return Fail(s.frame_number, "more than 8 subflows");
    flows_.push_back(Flow{t.src, t.sport, t.dst, t.dport, to_server, {t.seq, 0}});
    return std::pair{flows_.size() - 1, 0};
  }

  static std::optional<codec::MpJoin> JoinSyn(const TcpSegment& t) {
    codec::TcpOptionWalker walk(t.options);
    while (auto o = walk.Next()) {
      if (o->kind != 30) continue;
      auto d = codec::Decode(o->bytes);
      if (!d) continue;
      if (const auto* j = std::get_if<codec::MpJoin>(&d->option)) return *j;
    }
    return std::nullopt;
  }

  // caddrN / saddrN (docs/run-mptcp.md, "Address variables"): N is the distance of the last
  // byte from the side's primary address (the first SYN's), the rest must be equal.
  Result<std::string, Error> AddressName(std::uint64_t frame, const IpAddress& ip,
                                         bool client_side) const {
    const IpAddress& primary = client_side ? client_primary_ : server_primary_;
    const std::size_t last = ip.view().size() - 1;
    const bool same_prefix =
        ip.version == primary.version &&
        std::equal(ip.bytes.begin(), ip.bytes.begin() + static_cast<std::ptrdiff_t>(last),
                   primary.bytes.begin());
    if (!same_prefix || ip.bytes[last] < primary.bytes[last]) {
      std::string text;
      AppendAddress(ip, &text);
      return Fail(frame, "address " + text + " is not the " +
                             (client_side ? "client's" : "server's") +
                             " first address plus N on its last byte");
    }
    return std::string(client_side ? "caddr" : "saddr") +
           std::to_string(ip.bytes[last] - primary.bytes[last]);
  }

  bool client() const { return options_.side == ScriptSide::kClient; }
  // The tested side's connected socket: the accepted one (server) or the connecting one.
  std::string Fd() const { return client() ? "3" : "4"; }

  static bool SeqAfter(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b) > 0;
  }

  static bool HasDataFin(const TcpSegment& t) {
    codec::TcpOptionWalker walk(t.options);
    while (auto o = walk.Next()) {
      if (o->kind != 30) continue;
      auto d = codec::Decode(o->bytes);
      if (!d) continue;
      if (const auto* dss = std::get_if<codec::Dss>(&d->option); dss && dss->data_fin()) {
        return true;
      }
    }
    return false;
  }

  // The TCP options in script syntax, MPTCP ones symbolic.
  Result<std::string, Error> Options(const CapturedSegment& s, bool from_client) {
    const TcpSegment& t = s.tcp;
    std::string out;
    codec::TcpOptionWalker walk(t.options);
    while (auto o = walk.Next()) {
      if (!out.empty()) out += ", ";
      ByteReader r(o->bytes);
      std::uint8_t u8 = 0;
      std::uint16_t u16 = 0;
      std::uint32_t val = 0, ecr = 0;
      const bool header = r.Skip(2);  // kind and length (the walker checked them)
      switch (o->kind) {
        case 0:
          out += "eol";
          break;
        case 1:
          out += "nop";
          break;
        case 2:
          if (!header || !r.ReadU16(&u16)) return Fail(s.frame_number, "MSS option too short");
          out += "mss " + std::to_string(u16);
          break;
        case 3:
          if (!header || !r.ReadU8(&u8)) return Fail(s.frame_number, "window scale option too short");
          out += "wscale " + std::to_string(u8);
          break;
        case 4:
          out += "sackOK";
          break;
        case 8:
          if (!header || !r.ReadU32(&val) || !r.ReadU32(&ecr)) {
            return Fail(s.frame_number, "timestamp option too short");
          }
          out += "TS val " + std::to_string(val) + " ecr " + std::to_string(ecr);
          break;
        case 30: {
          auto m = Mptcp(s, o->bytes, from_client);
          if (!m) return Unexpected<Error>{m.error()};
          out += *m;
          break;
        }
        default:
          return Fail(s.frame_number, "TCP option kind " + std::to_string(o->kind) +
                                   " is not supported by script-from-pcap yet");
      }
    }
    if (walk.stop()) return Fail(s.frame_number, "TCP options cannot be walked");
    return out;
  }

  Result<std::string, Error> Mptcp(const CapturedSegment& s, Bytes bytes, bool from_client) {
    auto d = codec::Decode(bytes);
    if (!d) return Fail(s.frame_number, "MPTCP option does not decode");
    const int me = from_client ? 0 : 1;
    if (const auto* mpc = std::get_if<codec::MpCapable>(&d->option)) {
      if (mpc->checksum) {
        return Fail(s.frame_number, "DSS checksums are not supported by script-from-pcap yet");
      }
      if (mpc->sender_key) {
        const bool synack = s.tcp.syn() && s.tcp.ack_flag();
        keys_[synack ? 1 : 0] = *mpc->sender_key;
        if (mpc->receiver_key) keys_[1] = *mpc->receiver_key;
      }
      std::string text = codec::ToScript(d->option, {.syn = s.tcp.syn(), .ack = s.tcp.ack_flag()});
      // The keys are symbolic: mpdrill's generated, the tested side's bound on first sight.
      for (std::string_view name : {"ckey=", "skey="}) {
        const std::size_t at = text.find(name);
        if (at != std::string::npos) text.erase(at + 4, 1 + 18);  // "=0x" + 16 hex digits
      }
      return text;
    }
    if (const auto* dss = std::get_if<codec::Dss>(&d->option)) {
      if (!keys_[0] || !keys_[1]) return Fail(s.frame_number, "DSS before both MPTCP keys are known");
      const std::uint64_t mine = crypto::Idsn(*keys_[me]);
      const std::uint64_t peer = crypto::Idsn(*keys_[1 - me]);
      std::string text = "dss";
      if (dss->has_data_ack()) {
        text += dss->data_ack_64() ? " dack8=" : " dack4=";
        text += std::to_string(Relative(dss->data_ack, peer, dss->data_ack_64()));
      }
      if (dss->has_mapping()) {
        if (dss->checksum) {
          return Fail(s.frame_number, "DSS checksums are not supported by script-from-pcap yet");
        }
        text += dss->dsn_64() ? " dsn8=" : " dsn4=";
        text += std::to_string(Relative(dss->dsn, mine, dss->dsn_64()));
        text += " ssn=" + std::to_string(dss->ssn) +
                " dll=" + std::to_string(dss->data_level_length);
      }
      text += " nocs";
      if (dss->data_fin()) text += " fin";
      return text;
    }
    if (const auto* join = std::get_if<codec::MpJoin>(&d->option)) {
      // Token, nonces and HMACs symbolic: mpdrill computes its own, checks the kernel's.
      const std::string backup = join->backup ? " backup=1" : "";
      const std::string id = " address_id=" + std::to_string(join->address_id);
      switch (join->form) {
        case codec::JoinForm::kSyn:
          // FindFlow checked that the token is one of the two keys'.
          return "mp_join_syn" + backup + id + " token=sha256_32(" +
                 (join->token == crypto::Token(*keys_[1]) ? "skey" : "ckey") + ")";
        case codec::JoinForm::kSynAck:
          return "mp_join_syn_ack" + backup + id + " sender_hmac=auto";
        case codec::JoinForm::kAck:
          return std::string("mp_join_ack sender_hmac=auto");
      }
    }
    if (const auto* add = std::get_if<codec::AddAddr>(&d->option)) {
      // The address is the announcer's: the sender's, or the peer's in an echo.
      IpAddress ip;
      ip.version = add->ipv6 ? 6 : 4;
      ip.bytes = add->address;
      auto name = AddressName(s.frame_number, ip, add->echo ? !from_client : from_client);
      if (!name) return Unexpected<Error>{name.error()};
      std::string text = "add_address address_id=" + std::to_string(add->address_id) +
                         " addr[" + *name + "]";
      if (add->port) text += " port=" + std::to_string(*add->port);
      text += add->echo ? " addr_echo" : " hmac=auto";
      return text;
    }
    if (std::holds_alternative<codec::RemoveAddr>(d->option) ||
        std::holds_alternative<codec::MpPrio>(d->option)) {
      return codec::ToScript(d->option);
    }
    return Fail(s.frame_number, "MPTCP option " + codec::ToScript(d->option) +
                             " is not supported by script-from-pcap yet (MP_CAPABLE, DSS, "
                             "MP_JOIN, ADD_ADDR, REMOVE_ADDR and MP_PRIO are)");
  }

  const ScriptFromPcapOptions& options_;
  IpAddress client_primary_;
  IpAddress server_primary_;
  std::vector<Flow> flows_;
  std::size_t current_flow_ = 0;  // the previous packet's (the runner's current flow)
  std::optional<std::uint64_t> keys_[2];
  bool accepted_ = false;
  bool connected_ = false;
  bool closed_ = false;
  std::uint64_t t0_ = 0;
  std::string out_;
};

}  // namespace

Result<std::string, ScriptFromPcapError> ScriptFromSegments(
    const std::vector<CapturedSegment>& segments, const ScriptFromPcapOptions& options) {
  const CapturedSegment* syn = nullptr;
  for (const CapturedSegment& s : segments) {
    if (s.tcp.syn() && !s.tcp.ack_flag()) {
      syn = &s;
      break;
    }
  }
  if (syn == nullptr) return Unexpected<Error>{Error{"no SYN in the capture"}};
  Writer w(options, syn->tcp);
  w.set_t0(TimeUs(*syn));
  for (const CapturedSegment& s : segments) {
    if (s.frame_number < syn->frame_number) continue;
    if (auto r = w.Segment(s); !r) return Unexpected<Error>{r.error()};
  }
  return w.Finish("the first connection of the capture");
}

Result<std::string, ScriptFromPcapError> ScriptFromPcap(const std::string& path,
                                                        const ScriptFromPcapOptions& options) {
  auto segments = ReadTcpSegments(path);
  if (!segments) return Unexpected<Error>{Error{segments.error().message}};
  auto script = ScriptFromSegments(*segments, options);
  if (!script) return Unexpected<Error>{Error{path + ": " + script.error().message}};
  return script;
}

}  // namespace mpdrill::capture
