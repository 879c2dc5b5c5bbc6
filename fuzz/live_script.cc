#include "fuzz/live_script.h"

#include <array>
#include <cstdio>
#include <deque>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <variant>

#include "engine/capture/dissect.h"
#include "engine/codec/json_util.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/crypto/mptcp_crypto.h"
#include "engine/model/violation.h"
#include "engine/run/wire.h"

namespace mpdrill::fuzz {
namespace {

using model::Hex;

// `mptcp_raw=0x...` of an option whose bytes do not depend on the kernel's key.
std::string Raw(const codec::Option& o) {
  std::array<std::uint8_t, codec::kMaxTcpOptionSpace> buf{};
  const auto n = codec::Encode(o, buf);
  if (!n) return "";
  std::string text = "mptcp_raw=0x";
  codec::AppendHex(std::span<const std::uint8_t>(buf.data(), *n), &text);
  return text;
}

// mpdrill's SYN options, as live_fuzzer sends them (MSS, NOP, window scale 7).
std::string SynOptions() { return "mss " + std::to_string(kLiveMss) + ", nop, wscale 7, "; }

// One of mpdrill's subflows: caddrK > saddr0, its next relative sequence number.
struct ScriptFlow {
  int address = 0;    // K of addr[caddrK]
  std::uint32_t seq = 1;
  std::uint32_t kernel_next = 1;  // what mpdrill acknowledges (from the trace; else 1)
  bool answered = true;  // the kernel answered its SYN (PickFlow falls back to flow 0 if not)
  bool open = true;
};

class Writer {
 public:
  Writer(const LiveInput& input, const std::vector<LiveTraceEvent>* trace)
      : in_(input), h_(input.header), trace_(trace) {}

  Result<std::string, std::string> Write(const LiveScriptHeader& header) {
    if (h_.kernel_client()) {
      return MakeUnexpected(std::string(
          "the kernel as client (handshake byte 0x20) is not written as a script yet"));
    }
    if (h_.no_mp_capable()) {
      return MakeUnexpected(std::string(
          "a third ACK without MP_CAPABLE (handshake bit 0x10) is not written as a script yet: "
          "the runner knows no key for the fallen-back connection's DSS options"));
    }
    if (h_.mpc_flags || h_.version) {
      return MakeUnexpected(std::string(
          "an MP_CAPABLE flag byte or version of the input's choosing (handshake bits 0x02, "
          "0x04) is not written as a script yet: the kernel's SYN/ACK to it is not known"));
    }
    Comments(header);
    Handshake();
    for (const LiveStep& step : in_.steps) {
      // The harness lets the kernel answer each packet (until it is quiet for 2 ms) before
      // the next step; a few milliseconds keep that order here (an ADD_ADDR's echo before
      // the REMOVE_ADDR that follows it, say).
      delay_ms_ += 5;
      Line("// " + DescribeStep(step));
      if (auto s = std::visit([this](const auto& st) { return Do(st); }, step); !s) {
        return MakeUnexpected(s.error());
      }
    }
    if (!trace_error_.empty()) return MakeUnexpected(trace_error_);
    // The harness ends every input by resetting its subflows; the wait before lets the
    // kernel's last answers cross tun0 while the model still watches (the trace's kernel
    // packets after them are not asserted: the run ends there).
    delay_ms_ += 60;
    trace_ = nullptr;
    for (ScriptFlow& f : flows_) {
      if (f.open && f.answered) Packet(f, "R.", 0, "");
    }
    return out_;
  }

 private:
  void Line(const std::string& text) { out_ += text + "\n"; }

  // An event line with the pending delay ("+0.030") and the event.
  void Event(const std::string& text) {
    char t[16];
    std::snprintf(t, sizeof(t), "+%d.%03d", delay_ms_ / 1000, delay_ms_ % 1000);
    delay_ms_ = 0;
    std::string prefix = t;
    prefix.resize(std::max<std::size_t>(prefix.size() + 1, 7), ' ');
    Line(prefix + text);
  }

  std::string Tuple(const ScriptFlow& f) const {
    return "addr[caddr" + std::to_string(f.address) + "] > addr[saddr0] ";
  }

  // mpdrill's packet on `f`: flags, payload, options ("" for none); advances its sequence.
  void Packet(ScriptFlow& f, const std::string& flags, std::uint32_t payload,
              const std::string& options) {
    const bool syn = flags.find('S') != std::string::npos;
    const bool fin = flags.find('F') != std::string::npos;
    std::string text = "< " + Tuple(f) + flags + " " + std::to_string(syn ? 0 : f.seq) + ":" +
                       std::to_string((syn ? 0 : f.seq) + payload) + "(" +
                       std::to_string(payload) + ")";
    if (!syn) text += " ack " + std::to_string(f.kernel_next);
    text += " win 65535";
    if (!options.empty()) text += " <" + options + ">";
    if (trace_ != nullptr) {
      if (pos_ < trace_->size() && !(*trace_)[pos_].kernel && !(*trace_)[pos_].write &&
          (*trace_)[pos_].flow == f.address) {
        ++pos_;
      } else if (trace_error_.empty()) {
        trace_error_ = "the trace does not follow the steps at mpdrill's packet " + text;
      }
    }
    Event(text);
    if (!syn) f.seq += payload + (fin ? 1 : 0);
    if (flags.find('R') != std::string::npos) f.open = false;
    KernelPackets();
  }

  // The trace's kernel packets up to mpdrill's next one, as outbound lines. The first SYN/ACK
  // is asserted in full (it binds skey), the others' options are `<...>`.
  void KernelPackets() {
    if (trace_ == nullptr) return;
    for (; pos_ < trace_->size() && (*trace_)[pos_].kernel; ++pos_) {
      const LiveTraceEvent& e = (*trace_)[pos_];
      if (static_cast<std::size_t>(e.flow) < flows_.size()) {
        ScriptFlow& f = flows_[static_cast<std::size_t>(e.flow)];
        const std::uint32_t end =
            e.seq + e.length + ((e.flags & (capture::kTcpSyn | capture::kTcpFin)) ? 1 : 0);
        if (static_cast<std::int32_t>(end - f.kernel_next) > 0) f.kernel_next = end;
      }
      std::string text = "> addr[saddr0] > addr[caddr" + std::to_string(e.flow) + "] " +
                         run::TcpFlagsToString(e.flags) + " " + std::to_string(e.seq) + ":" +
                         std::to_string(e.seq + e.length) + "(" + std::to_string(e.length) + ")";
      if (e.ack) text += " ack " + std::to_string(*e.ack);
      const bool synack = (e.flags & capture::kTcpSyn) && (e.flags & capture::kTcpAck);
      text += synack && e.flow == 0 ? " " + SynAckOptions() : " <...>";
      Event(text);
    }
  }

  // Asserted in full: a key is bound by name only from an asserted option. Linux with
  // net.mptcp.checksum_enabled=0 does not echo flag A, checksums or not.
  static std::string SynAckOptions() {
    return "<mss 1460, nop, wscale 8, mpcapable v1 flags[flag_h] key[skey]>";
  }

  void Comments(const LiveScriptHeader& header) {
    Line("// Finding of fuzz/live_fuzzer.cc on " + header.kernel + ", written by `mpdrill fuzz");
    Line("// minimize` from " + header.source + " (" + std::to_string(in_.steps.size()) + " of " +
         std::to_string(header.original_steps) + " steps kept).");
    Line("// Rule: " + header.rule);
    if (trace_ != nullptr) {
      Line("// The kernel's packets are asserted as live_fuzzer saw them (flags, sequence and ack");
      Line("// numbers; options only on the SYN/ACK); the reference model judges every packet,");
    } else {
      Line("// The script asserts only the kernel's handshake answers; the reference model");
      Line("// judges every packet,");
    }
    Line("// so `mpdrill run` fails it with that rule while the kernel behaves this way");
    Line("// (`mpdrill run --model=warn` passes it). Input header:");
    Line("//   " + DescribeHeader(h_));
    Line("// Found over " + std::string(run::IpVersionName(h_.family)) +
         "; run it with --ip_version=" + std::string(run::IpVersionName(h_.family)) +
         " for the same family.");
    Line("--tolerance_usecs=100000");
    // live_fuzzer's namespace: its TCP buffers (the kernel's SYN/ACK below, window scale 8,
    // follows from them) and MPTCP limits.
    const auto quoted = [](std::string_view setting) {
      const std::size_t eq = setting.find('=');
      return std::string(setting.substr(0, eq + 1)) + "\"" + std::string(setting.substr(eq + 1)) +
             "\"";
    };
    Line("`sysctl -q -w " + quoted(kLiveTcpRmem) + " " + quoted(kLiveTcpWmem) +
         " >/dev/null; ip mptcp limits set subflows 4 add_addr_accepted 4`");
    Line("");
  }

  std::string MpcFlags() const {
    return h_.checksums() ? "flags[flag_a, flag_h]" : "flags[flag_h]";
  }

  void Handshake() {
    Event("socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3");
    Event("bind(3, ..., ...) = 0");
    Event("listen(3, 1) = 0");
    flows_.push_back(ScriptFlow{});
    ScriptFlow& f = flows_[0];
    Packet(f, "S", 0, SynOptions() + "mpcapable v1 " + MpcFlags() + " nokey");
    if (trace_ == nullptr) Event("> S. 0:0(0) ack 1 " + SynAckOptions());
    const std::string keys = "key[ckey=" + Hex(h_.key) + ", " +
                             (h_.wrong_key() ? "wrongkey=" + Hex(h_.wrong_key_xor) : "skey") + "]";
    Packet(f, ".", 0, "mpcapable v1 " + MpcFlags() + " " + keys);
    Event("accept(3, ..., ...) = 4");
  }

  ScriptFlow& Pick(std::uint8_t b) {
    ScriptFlow& f = flows_[b % flows_.size()];
    return f.answered ? f : flows_[0];
  }

  std::string Dack() const { return "dss dack8 dll=0 nocs"; }

  Status<std::string> Do(const DataStep& s) {
    ScriptFlow& f = Pick(s.flow);
    if (s.no_dss()) {
      Packet(f, "P.", s.length, "");
      return Ok{};
    }
    const std::int64_t rel = static_cast<std::int64_t>(dsn_rel_) + s.dsn_delta;
    const std::uint32_t ssn = f.seq + s.ssn_delta;
    const std::uint16_t dll = s.data_level_length.value_or(static_cast<std::uint16_t>(s.length));
    std::string dss = "dss dack8 " + std::string(s.dsn32() ? "dsn4=" : "dsn8=") +
                      std::to_string(rel) + " ssn=" + std::to_string(ssn) +
                      " dll=" + std::to_string(dll);
    if (h_.checksums()) {
      crypto::DssChecksum c(crypto::Idsn(h_.key) + static_cast<std::uint64_t>(rel), ssn, dll);
      const std::vector<std::uint8_t> zeros(s.length, 0);
      c.Add(zeros);
      dss += " cksum=" + Hex(static_cast<std::uint16_t>(c.Finish() ^ s.checksum_xor));
    } else {
      dss += " nocs";
    }
    if (s.data_fin()) dss += " fin";
    if (rel < 0) {
      return MakeUnexpected(
          std::string("a data step with a DSN before mpdrill's IDSN is not written as a script yet"));
    }
    Packet(f, "P.", s.length, dss);
    if (s.conforming_mapping()) dsn_rel_ += s.length;
    return Ok{};
  }

  Status<std::string> Do(const DataAckStep& s) {
    if (s.delta != 0) {
      return MakeUnexpected(std::string(
          "a data_ack step with a DATA_ACK off by a delta is not written as a script yet (the "
          "kernel's data-level progress is not known to the writer)"));
    }
    Packet(Pick(s.flow), ".", 0,
           std::string((s.how & 0x02) ? "dss dack4" : "dss dack8") + " dll=0 nocs");
    return Ok{};
  }

  Status<std::string> Do(const AddAddrStep& s) {
    std::string addr = s.ipv6() ? "inet6_addr(\"2001:db8::" + Hex(s.last_byte).substr(2) + "\")"
                                : "inet_addr(\"192.0.2." + std::to_string(s.last_byte) + "\")";
    std::string o = "add_address address_id=" + std::to_string(s.address_id) + " addr[" +
                    addr + "]";
    if (s.port) o += " port=" + std::to_string(*s.port);
    if (s.echo()) {
      o += " addr_echo";
    } else {
      o += (s.how & 0x08) ? " hmac=" + Hex(s.hmac_xor) : " hmac=auto";
    }
    Packet(Pick(s.flow), ".", 0, o);
    return Ok{};
  }

  Status<std::string> Do(const RemoveAddrStep& s) {
    codec::RemoveAddr r;
    for (std::uint8_t id : s.address_ids) r.address_ids.data[r.address_ids.size++] = id;
    Packet(Pick(s.flow), ".", 0, Raw(r) + ", " + Dack());
    return Ok{};
  }

  Status<std::string> Do(const MpPrioStep& s) {
    codec::MpPrio p;
    p.backup = s.backup;
    Packet(Pick(s.flow), ".", 0, Raw(p) + ", " + Dack());
    return Ok{};
  }

  Status<std::string> Do(const MpFailStep& s) {
    codec::MpFail m;
    m.dsn = crypto::Idsn(h_.key) + dsn_rel_ - s.back;
    Packet(Pick(s.flow), s.rst ? "R." : ".", 0, Raw(m));
    return Ok{};
  }

  Status<std::string> Do(const FastcloseStep& s) {
    Packet(flows_[0], s.rst ? "R." : ".", 0,
           s.key_xor == 0 ? "mp_fastclose skey" : "mp_fastclose key=" + Hex(s.key_xor));
    return Ok{};
  }

  Status<std::string> Do(const JoinStep& s) {
    if (flows_.size() >= 4) return Ok{};
    ScriptFlow f;
    f.address = static_cast<int>(flows_.size());
    f.answered = !(s.how & 0x01);
    flows_.push_back(f);
    ScriptFlow& j = flows_.back();
    const std::string token = (s.how & 0x01) ? "token=" + Hex(s.token_xor) : "token=sha256_32(skey)";
    Packet(j, "S", 0,
           SynOptions() + "mp_join_syn backup=" +
               std::to_string((s.how & 0x02) ? 1 : 0) + " address_id=" +
               std::to_string(s.address_id) + " " + token + " rand=" + Hex(s.nonce));
    if (!j.answered) return Ok{};  // the kernel resets a join with an unknown token
    if (trace_ == nullptr) {
      Event("> addr[saddr0] > addr[caddr" + std::to_string(j.address) + "] S. 0:0(0) ack 1 <...>");
    }
    std::string ack;
    if (!(s.how & 0x08)) {
      ack = (s.how & 0x04) ? "mp_join_ack sender_hmac=" + Hex(0x5a5a5a5a5a5a5a5aull)
                           : "mp_join_ack sender_hmac=auto";
    }
    Packet(j, ".", 0, ack);
    return Ok{};
  }

  Status<std::string> Do(const RawStep& s) {
    std::string o = "mptcp_raw=0x";
    codec::AppendHex(s.option, &o);
    Packet(Pick(s.flow), s.payload ? "P." : ".", s.payload ? 100 : 0, o);
    return Ok{};
  }

  Status<std::string> Do(const FinStep& s) {
    std::string o = Dack();
    if (s.how & 0x01) {
      o = "dss dack8 dsn8=" + std::to_string(dsn_rel_) + " ssn=0 dll=1 " +
          (h_.checksums() ? "" : "nocs ") + "fin";
    }
    Packet(Pick(s.flow), (s.how & 0x02) ? "F." : ".", 0, o);
    return Ok{};
  }

  Status<std::string> Do(const TcpRstStep& s) {
    codec::MpTcpRst r;
    r.reason = s.reason;
    r.flags = s.flags;
    Packet(Pick(s.flow), "R.", 0, Raw(r));
    return Ok{};
  }

  Status<std::string> Do(const WaitStep& s) {
    delay_ms_ += s.milliseconds;
    return Ok{};
  }

  Status<std::string> Do(const AppWriteStep& s) {
    if (trace_ != nullptr) {
      if (pos_ < trace_->size() && (*trace_)[pos_].write) {
        ++pos_;
      } else if (trace_error_.empty()) {
        trace_error_ = "the trace does not follow the steps at the application's write";
      }
    }
    Event("write(4, ..., " + std::to_string(s.bytes) + ") = " + std::to_string(s.bytes));
    KernelPackets();
    delay_ms_ += 10;  // the harness collects the kernel's data before acknowledging it
    Packet(Pick(s.flow), ".", 0, Dack());
    return Ok{};
  }

  const LiveInput& in_;
  const LiveHeader& h_;
  const std::vector<LiveTraceEvent>* trace_;  // null: no outbound lines but the handshakes'
  std::size_t pos_ = 0;                       // next trace event
  std::string trace_error_;
  std::deque<ScriptFlow> flows_;
  std::uint64_t dsn_rel_ = 1;  // mpdrill's next DSN relative to its IDSN
  int delay_ms_ = 0;
  std::string out_;
};

}  // namespace

Result<std::string, std::string> WriteLiveScript(const LiveInput& input,
                                                 const LiveScriptHeader& header,
                                                 const std::vector<LiveTraceEvent>* trace) {
  return Writer(input, trace).Write(header);
}

std::string FormatTraceEvent(const LiveTraceEvent& e) {
  if (e.write) return "w";
  if (!e.kernel) return "< " + std::to_string(e.flow);
  return "> " + std::to_string(e.flow) + " " + run::TcpFlagsToString(e.flags) + " " +
         std::to_string(e.seq) + " " + std::to_string(e.length) + " " +
         (e.ack ? std::to_string(*e.ack) : std::string("-1"));
}

Result<std::vector<LiveTraceEvent>, std::string> ParseTrace(std::string_view text) {
  std::vector<LiveTraceEvent> events;
  std::istringstream lines{std::string(text)};
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    std::istringstream f(line);
    std::string dir, flags;
    LiveTraceEvent e;
    long long ack = -1;
    f >> dir;
    e.write = dir == "w";
    if (!e.write) f >> e.flow;
    e.kernel = dir == ">";
    if (e.kernel) f >> flags >> e.seq >> e.length >> ack;
    const auto bits = e.kernel ? run::ParseTcpFlags(flags) : std::optional<std::uint16_t>(0);
    if (!f || (dir != "<" && dir != ">" && dir != "w") || !bits || e.flow < 0 || e.flow > 255) {
      return MakeUnexpected("line " + std::to_string(n) + ": not a trace event: " + line);
    }
    e.flags = *bits;
    if (ack >= 0) e.ack = static_cast<std::uint32_t>(ack);
    events.push_back(e);
  }
  return events;
}

}  // namespace mpdrill::fuzz
