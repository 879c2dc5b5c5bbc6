// Live-kernel fuzz target (docs/fuzzing.md, "Against the live kernel"): each input is one MPTCP
// connection between mpdrill and the running kernel over tun0, in a network namespace this
// process makes for itself — the kernel as server (mpdrill connects to its listener) or as
// client (the kernel connects to mpdrill; it then also opens the subflows mpdrill's ADD_ADDRs
// offer, which mpdrill answers) — followed by a sequence of fuzzed steps: data under right or
// wrong DSS mappings and checksums, DATA_ACKs, ADD_ADDR (right or wrong HMAC), REMOVE_ADDR,
// MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_JOIN subflows (right or wrong token and HMAC), raw kind-30
// option bytes, FIN/DATA_FIN, RST with MP_TCPRST, and the kernel's application writing data.
// Every packet in both directions passes through the reference model
// (engine/run/live_model.h); a finding is a rule the *kernel* broke (mpdrill's own bad packets
// are deliberate), printed with the model's explanation, then abort(). A kernel crash or hang
// ends the run too. MPDRILL_LIVE_FUZZ_RULE_OFF=D10,... skips known kernel deviations;
// MPDRILL_LIVE_FUZZ_VERBOSE and MPDRILL_LIVE_FUZZ_PCAP=FILE help triage one input.
//
// Input layout (docs/fuzzing.md): bytes are read front to back; once they run out every read
// is 0, and 0 always means "the conforming choice", so an empty input is a clean MPTCP
// handshake and a short input a mostly conforming connection.
//
// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and /dev/net/tun; without them every input is
// skipped with the reason printed once ("live_fuzzer: skipped: ..."). Nothing is configured
// outside the namespace: it is unshared before tun0 exists, and SetUpNetwork refuses to act in
// the starting namespace.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/capture/dissect.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/rules.h"
#include "engine/crypto/mptcp_crypto.h"
#include "engine/model/data_sequence.h"
#include "engine/model/summary.h"
#include "engine/run/live_model.h"
#include "engine/run/live_packet.h"
#include "engine/run/netdev.h"
#include "engine/run/packet_io.h"
#include "engine/run/run_config.h"
#include "engine/run/wire.h"
#include "sandbox/netns.h"
#include "sandbox/tun.h"

namespace {

using mpdrill::capture::IpAddress;
using mpdrill::capture::kTcpAck;
using mpdrill::capture::kTcpFin;
using mpdrill::capture::kTcpPsh;
using mpdrill::capture::kTcpRst;
using mpdrill::capture::kTcpSyn;
namespace codec = mpdrill::codec;
namespace crypto = mpdrill::crypto;
namespace run = mpdrill::run;
namespace sandbox = mpdrill::sandbox;

constexpr int kIpprotoMptcp = 262;
constexpr std::uint16_t kServerPort = 8080;
constexpr std::size_t kMaxSteps = 24;
constexpr std::size_t kMaxSubflows = 4;
constexpr std::uint32_t kMss = 1400;
// How long the kernel may stay quiet before a step is over, and a bound per step.
constexpr auto kQuiet = std::chrono::milliseconds(2);
constexpr auto kStepBound = std::chrono::milliseconds(60);

// Front-to-back reader of the input; 0 once exhausted.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() << 8 | U8()); }
  std::uint32_t U32() { return static_cast<std::uint32_t>(U16()) << 16 | U16(); }
  std::uint64_t U64() { return static_cast<std::uint64_t>(U32()) << 32 | U32(); }
  bool done() const { return pos_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// The process's private network: tun0 and an MPTCP listener on local_ip:8080.
struct Environment {
  std::string skip_reason;  // non-empty: cannot run here
  std::optional<sandbox::TunDevice> tun;
  int listener = -1;
  IpAddress local;   // the kernel's address
  IpAddress remote;  // mpdrill's
  std::uint16_t next_port = 20000;
  std::set<codec::RuleId> rules_off;  // MPDRILL_LIVE_FUZZ_RULE_OFF=D10,G1
};

Environment MakeEnvironment() {
  Environment env;
  if (const char* off = std::getenv("MPDRILL_LIVE_FUZZ_RULE_OFF")) {
    std::string_view rest(off);
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view name = rest.substr(0, comma);
      const auto rule = codec::ParseRuleName(name);
      if (!rule) {
        std::fprintf(stderr, "live_fuzzer: MPDRILL_LIVE_FUZZ_RULE_OFF: unknown rule '%.*s'\n",
                     static_cast<int>(name.size()), name.data());
        std::abort();
      }
      env.rules_off.insert(*rule);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  auto starting = sandbox::CurrentNetnsInode();
  if (!starting) {
    env.skip_reason = "cannot read the network namespace: " + starting.error().message;
    return env;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    env.skip_reason =
        "cannot create a network namespace (needs root): " + std::string(std::strerror(errno));
    return env;
  }
  run::RunConfig config;
  if (auto s = config.Finalize(); !s) {
    env.skip_reason = "config: " + s.error();
    return env;
  }
  auto tun = run::SetUpNetwork(config, *starting);
  if (!tun) {
    env.skip_reason = "network setup: " + tun.error().message;
    return env;
  }
  env.tun.emplace(std::move(tun.value()));
  // Room for the subflows ADD_ADDR offers the kernel (the in-kernel path manager opens them).
  const auto limits =
      run::Exec({"ip", "mptcp", "limits", "set", "subflows", "4", "add_addr_accepted", "4"}, {},
                ".", std::chrono::seconds(5));
  if (limits.exit_code != 0) {
    env.skip_reason = "ip mptcp limits: " + limits.output;
    return env;
  }
  env.local = *run::ParseAddress(config.local_ip, false);
  env.remote = *run::ParseAddress(config.remote_ip, false);
  env.listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, kIpprotoMptcp);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(kServerPort);
  std::copy_n(env.local.bytes.begin(), 4, reinterpret_cast<std::uint8_t*>(&a.sin_addr));
  if (env.listener < 0 || bind(env.listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      listen(env.listener, 64) != 0) {
    env.skip_reason = "MPTCP listener: " + std::string(std::strerror(errno));
  }
  return env;
}

Environment& Env() {
  static Environment env = MakeEnvironment();
  return env;
}

// One subflow as mpdrill sees it.
struct Flow {
  IpAddress our_addr;
  std::uint16_t our_port = 0;
  std::uint16_t kernel_port = kServerPort;  // kernel as client: learnt from its SYN (0 until)
  bool kernel_initiated = false;            // the kernel sent the SYN
  std::uint32_t isn = 0;
  std::uint32_t next = 0;  // our next sequence number
  std::optional<std::uint32_t> kernel_isn;
  std::uint32_t kernel_next = 0;  // what we acknowledge
  bool joined = false;
  std::uint32_t nonce = 0;
  std::uint32_t kernel_nonce = 0;
  bool syn_ack_seen = false;
  bool join_ack_seen = false;  // the kernel's third ACK of a subflow it opened
  bool open = true;
};

class Session {
 public:
  Session(Environment& env, Bytes& in) : env_(env), in_(in) {}

  void Run() {
    start_ = std::chrono::steady_clock::now();
    if (const char* path = std::getenv("MPDRILL_LIVE_FUZZ_PCAP")) {
      auto r = run::PcapRecorder::Open(path);
      if (r) pcap_ = std::move(r.value());
    }
    Handshake();
    for (std::size_t i = 0; i < kMaxSteps && !in_.done() && kernel_key_; ++i) Step();
    for (Flow& f : flows_) {
      if (f.open && f.kernel_isn) Send(f, kTcpRst | kTcpAck, 0, {});
    }
    Collect();
    if (app_fd_ >= 0) close(app_fd_);
    DrainSockets();
    Collect();
    model_.Finish();
    findings_ = model_.TakeFindings();
    if (std::getenv("MPDRILL_LIVE_FUZZ_VERBOSE") != nullptr) {
      std::fprintf(stderr,
                   "live_fuzzer: %llu packets, kernel key %s, %zu subflow(s) opened, "
                   "%zu deliberate finding(s)\n",
                   static_cast<unsigned long long>(model_.packets()),
                   kernel_key_ ? "learnt" : "none", flows_.size(), model_.deliberate_violations());
      for (const run::LiveFinding& f : findings_) {
        std::fprintf(stderr, "live_fuzzer:   %s\n", f.ToString().c_str());
      }
    }
    Judge();
  }

 private:
  std::int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
  }

  void Send(Flow& f, std::uint16_t flags, std::uint32_t payload,
            const std::vector<codec::Option>& mptcp, std::span<const std::uint8_t> raw = {}) {
    run::WireTcp t;
    t.src = f.our_addr;
    t.dst = env_.local;
    t.sport = f.our_port;
    t.dport = f.kernel_port;
    t.seq = f.next;
    t.ack = (flags & kTcpAck) ? f.kernel_next : 0;
    t.flags = flags;
    t.window = 65535;
    t.payload_length = payload;
    if (flags & kTcpSyn) {
      t.options = {2, 4, kMss >> 8, kMss & 0xff, 1, 3, 3, 7};  // MSS, NOP, wscale 7
    }
    for (const codec::Option& o : mptcp) {
      std::array<std::uint8_t, codec::kMaxTcpOptionSpace> buf{};
      auto n = codec::Encode(o, buf);
      if (!n) continue;
      if (t.options.size() + *n > codec::kMaxTcpOptionSpace) break;
      t.options.insert(t.options.end(), buf.begin(), buf.begin() + *n);
    }
    if (t.options.size() + raw.size() <= codec::kMaxTcpOptionSpace) {
      t.options.insert(t.options.end(), raw.begin(), raw.end());
    }
    auto bytes = run::BuildTcpPacket(t);
    if (!bytes) return;
    (void)env_.tun->Write(*bytes);
    Tap(*bytes, run::PacketOrigin::kInjected);
    f.next += payload + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
    if (flags & kTcpRst) f.open = false;
    CollectAndAnswer();
  }

  // Reads the kernel's packets (Collect), then answers the MP_JOIN SYNs it sent meanwhile.
  void CollectAndAnswer() {
    Collect();
    if (answering_) return;  // AnswerJoin's own Sends: the outer loop goes on
    answering_ = true;
    while (!joins_to_answer_.empty()) {
      const std::size_t i = joins_to_answer_.front();
      joins_to_answer_.pop_front();
      AnswerJoin(flows_[i]);
    }
    answering_ = false;
  }

  void Tap(std::span<const std::uint8_t> bytes, run::PacketOrigin origin) {
    const std::int64_t now = Now();
    if (pcap_) pcap_->Record(bytes, now);
    model_.OnPacket(bytes, origin, now);
  }

  // Reads what the kernel sends until it is quiet for kQuiet (at most kStepBound).
  void Collect() {
    const auto bound = std::chrono::steady_clock::now() + kStepBound;
    while (std::chrono::steady_clock::now() < bound) {
      auto got = env_.tun->Read(kQuiet);
      if (!got || !got->has_value()) return;
      const std::vector<std::uint8_t>& bytes = **got;
      Tap(bytes, run::PacketOrigin::kKernel);
      auto p = run::ParseLive(bytes, Now());
      if (!p) continue;
      Flow* flow = nullptr;
      for (Flow& f : flows_) {
        if (f.our_port == p->dport && f.our_addr == p->dst &&
            (f.kernel_port == p->sport || f.kernel_port == 0)) {
          flow = &f;
        }
      }
      if (flow == nullptr && (p->flags & kTcpSyn) && !(p->flags & kTcpAck) &&
          flows_.size() < kMaxSubflows + 4) {
        // A subflow the kernel opens (to an address or port an ADD_ADDR offered).
        Flow f;
        f.our_addr = p->dst;
        f.our_port = p->dport;
        f.kernel_port = p->sport;
        f.kernel_initiated = true;
        f.joined = true;
        f.isn = 0x5a5a0000u + static_cast<std::uint32_t>(flows_.size());
        f.next = f.isn;
        flows_.push_back(f);
        flow = &flows_.back();
        joins_to_answer_.push_back(flows_.size() - 1);
      }
      if (flow != nullptr) Learn(*flow, *p);
    }
  }

  void Learn(Flow& f, const run::LivePacket& p) {
    if ((p.flags & kTcpSyn) && !f.kernel_isn) {
      f.kernel_isn = p.seq;
      f.kernel_next = p.seq + 1;
      f.kernel_port = p.sport;
      f.syn_ack_seen = (p.flags & kTcpAck) != 0;
    }
    if (p.flags & kTcpRst) f.open = false;
    const std::uint32_t end =
        p.seq + p.payload_length + ((p.flags & kTcpSyn) ? 1 : 0) + ((p.flags & kTcpFin) ? 1 : 0);
    if (f.kernel_isn && static_cast<std::int32_t>(end - f.kernel_next) > 0) f.kernel_next = end;
    for (const run::LiveOption& o : run::DecodeLiveOptions(p.options)) {
      if (!o.mptcp) continue;
      auto d = codec::Decode(o.bytes);
      if (!d) continue;
      if (const auto* mpc = std::get_if<codec::MpCapable>(&d->option)) {
        // The server's key comes in its SYN/ACK, the client's in its third ACK (v1: none in
        // the SYN).
        if (mpc->sender_key && !kernel_key_) {
          kernel_key_ = *mpc->sender_key;
          kernel_dsn_ = crypto::Idsn(*kernel_key_) + 1;
        }
      } else if (const auto* j = std::get_if<codec::MpJoin>(&d->option)) {
        if (j->form != codec::JoinForm::kAck) f.kernel_nonce = j->nonce;
        if (j->form == codec::JoinForm::kAck) f.join_ack_seen = true;
      } else if (const auto* dss = std::get_if<codec::Dss>(&d->option)) {
        LearnKernelData(*dss);
      }
    }
  }

  // The kernel's data: what mpdrill's DATA_ACKs acknowledge (everything mapped so far).
  void LearnKernelData(const codec::Dss& dss) {
    if (!dss.has_mapping() || !kernel_key_ || dss.data_level_length == 0) return;
    const std::uint64_t dsn =
        dss.dsn_64() ? dss.dsn
                     : mpdrill::model::Expand32(kernel_dsn_, static_cast<std::uint32_t>(dss.dsn));
    const std::uint64_t end = dsn + dss.data_level_length;
    if (static_cast<std::int64_t>(end - kernel_dsn_) > 0 &&
        static_cast<std::int64_t>(end - kernel_dsn_) < (1ll << 24)) {
      kernel_dsn_ = end;
    }
  }

  // The kernel opened a subflow: SYN/ACK with MP_JOIN (right HMAC), then the fourth ACK; or a
  // refusal (RST with MP_TCPRST) when the input says so.
  void AnswerJoin(Flow& f) {
    if (!kernel_key_ || !f.kernel_isn || !f.open) return;
    if (refuse_joins_) {
      codec::MpTcpRst r;
      r.reason = 3;
      Send(f, kTcpRst | kTcpAck, 0, {r});
      return;
    }
    f.nonce = 0x0badcafeu ^ f.kernel_nonce;
    codec::MpJoin synack;
    synack.form = codec::JoinForm::kSynAck;
    synack.address_id = static_cast<std::uint8_t>(flows_.size());
    synack.nonce = f.nonce;
    synack.truncated_hmac = crypto::JoinSynAckHmac(key_, *kernel_key_, f.nonce, f.kernel_nonce);
    Send(f, kTcpSyn | kTcpAck, 0, {synack});
    if (f.open && f.join_ack_seen) Send(f, kTcpAck, 0, {DataAck()});  // the fourth ACK
  }

  // SYN, SYN/ACK, third ACK: header bytes choose the roles, ISN, key, checksums and what to
  // break.
  void Handshake() {
    Flow f;
    f.our_addr = env_.remote;
    f.our_port = NextPort();
    f.isn = in_.U32();
    f.next = f.isn;
    key_ = in_.U64() | 1;
    dsn_ = crypto::Idsn(key_) + 1;
    const std::uint8_t how = in_.U8();
    checksums_ = how & 0x01;
    refuse_joins_ = how & 0x40;
    flows_.push_back(f);
    if (how & 0x20) return KernelClientHandshake(how);
    codec::MpCapable syn;
    syn.flags = static_cast<std::uint8_t>(codec::kMpcFlagH | (checksums_ ? codec::kMpcFlagA : 0));
    if (how & 0x02) syn.flags = in_.U8();  // any flag byte, reserved bits included
    if (how & 0x04) syn.version = in_.U8() & 0x0f;
    Send(flows_[0], kTcpSyn, 0, {syn});
    if (!flows_[0].kernel_isn || !kernel_key_) return;
    codec::MpCapable ack;
    ack.flags = syn.flags;
    ack.sender_key = key_;
    ack.receiver_key = (how & 0x08) ? *kernel_key_ ^ in_.U64() : *kernel_key_;
    if (how & 0x10) {
      Send(flows_[0], kTcpAck, 0, {});  // the third ACK without MP_CAPABLE
    } else {
      Send(flows_[0], kTcpAck, 0, {ack});
    }
  }

  // The kernel connects (its application's MPTCP socket) to mpdrill's port on 192.0.2.1.
  void KernelClientHandshake(std::uint8_t how) {
    kernel_client_ = true;
    app_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, kIpprotoMptcp);
    if (app_fd_ < 0) return;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(flows_[0].our_port);
    std::copy_n(env_.remote.bytes.begin(), 4, reinterpret_cast<std::uint8_t*>(&a.sin_addr));
    flows_[0].kernel_port = 0;
    if (connect(app_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 && errno != EINPROGRESS) {
      return;
    }
    Collect();  // the kernel's SYN with MP_CAPABLE and its key
    Flow& f = flows_[0];
    if (!f.kernel_isn) return;
    codec::MpCapable synack;
    synack.flags =
        static_cast<std::uint8_t>(codec::kMpcFlagH | (checksums_ ? codec::kMpcFlagA : 0));
    if (how & 0x02) synack.flags = in_.U8();
    if (how & 0x04) synack.version = in_.U8() & 0x0f;
    synack.sender_key = (how & 0x08) ? std::optional<std::uint64_t>() : key_;
    if (how & 0x10) {
      Send(f, kTcpSyn | kTcpAck, 0, {});  // the SYN/ACK without MP_CAPABLE: plain TCP
    } else {
      Send(f, kTcpSyn | kTcpAck, 0, {synack});
    }
  }

  std::uint16_t NextPort() {
    const std::uint16_t p = env_.next_port;
    env_.next_port = p >= 60000 ? 20000 : static_cast<std::uint16_t>(p + 1);
    return p;
  }

  Flow& PickFlow(std::uint8_t b) {
    Flow& f = flows_[b % flows_.size()];
    return f.kernel_isn ? f : flows_[0];
  }

  codec::Dss DataAck() const {
    codec::Dss d;
    d.flags = codec::kDssFlagDataAck | codec::kDssFlagDataAck8;
    d.data_ack = kernel_dsn_;
    return d;
  }

  void Step() {
    // Action bytes 0xf0-0xff are the kernel's application writing; the others pick one of the
    // first twelve actions (their meaning is unchanged since the harness had only those).
    const std::uint8_t action = in_.U8();
    switch (action >= 0xf0 ? 12 : action % 12) {
      case 0:
        return DataStep();
      case 1:
        return DataAckStep();
      case 2:
        return AddAddrStep();
      case 3: {
        codec::RemoveAddr r;
        const std::uint8_t n = 1 + in_.U8() % 4;
        for (std::uint8_t i = 0; i < n; ++i) r.address_ids.data[r.address_ids.size++] = in_.U8();
        return Send(PickFlow(in_.U8()), kTcpAck, 0, {r, DataAck()});
      }
      case 4: {
        codec::MpPrio p;
        p.backup = in_.U8() & 1;
        return Send(PickFlow(in_.U8()), kTcpAck, 0, {p, DataAck()});
      }
      case 5: {
        codec::MpFail m;
        m.dsn = dsn_ - in_.U16();
        const bool rst = in_.U8() & 1;
        return Send(PickFlow(in_.U8()), rst ? kTcpRst | kTcpAck : kTcpAck, 0, {m});
      }
      case 6: {
        codec::MpFastclose fc;
        const std::uint64_t wrong = in_.U64();
        fc.receiver_key = *kernel_key_ ^ wrong;
        const bool rst = in_.U8() & 1;
        return Send(flows_[0], rst ? kTcpRst | kTcpAck : kTcpAck, 0, {fc});
      }
      case 7:
        return JoinStep();
      case 8:
        return RawStep();
      case 9:
        return FinStep();
      case 10: {
        codec::MpTcpRst r;
        r.reason = in_.U8();
        r.flags = in_.U8() & 0x0f;
        return Send(PickFlow(in_.U8()), kTcpRst | kTcpAck, 0, {r});
      }
      case 11: {
        const auto until =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(in_.U8() % 40);
        while (std::chrono::steady_clock::now() < until) CollectAndAnswer();
        return;
      }
      case 12:
        return AppWriteStep();
    }
  }

  // The kernel's application writes: the kernel sends data under its own mappings, which
  // mpdrill acknowledges (TCP and DATA_ACK).
  void AppWriteStep() {
    const std::size_t n = 1 + in_.U16() % 8000;
    if (app_fd_ < 0 && !kernel_client_)
      app_fd_ = accept4(env_.listener, nullptr, nullptr, SOCK_NONBLOCK);
    if (app_fd_ < 0) return;
    const std::vector<char> bytes(n, 'm');
    (void)!send(app_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);  // reset: no SIGPIPE
    Collect();
    Send(PickFlow(in_.U8()), kTcpAck, 0, {DataAck()});
  }

  // Data under a DSS mapping; 0 = conforming (right DSN, SSN, length and checksum).
  void DataStep() {
    const std::uint8_t how = in_.U8();
    Flow& f = PickFlow(in_.U8());
    const std::uint32_t len = 1 + in_.U16() % kMss;
    if (how & 0x01) {  // no DSS at all
      return Send(f, kTcpAck | kTcpPsh, len, {});
    }
    codec::Dss d = DataAck();
    d.flags |= codec::kDssFlagMapping | codec::kDssFlagDsn8;
    d.dsn = dsn_;
    if (how & 0x02) d.dsn += static_cast<std::int16_t>(in_.U16());
    if (how & 0x04) d.flags &= static_cast<std::uint8_t>(~codec::kDssFlagDsn8);  // 32-bit DSN
    if (!d.dsn_64()) d.dsn &= 0xffffffffu;
    d.ssn = f.next - f.isn;
    d.data_level_length = static_cast<std::uint16_t>(len);
    if (how & 0x08) d.data_level_length = in_.U16();
    if (how & 0x10) d.ssn += in_.U16();
    if (checksums_) {
      crypto::DssChecksum c(d.dsn_64() ? d.dsn : mpdrill::model::Expand32(dsn_, d.dsn), d.ssn,
                            d.data_level_length);
      const std::vector<std::uint8_t> zeros(len, 0);
      c.Add(zeros);
      d.checksum = c.Finish();
      if (how & 0x20) *d.checksum ^= static_cast<std::uint16_t>(1 + in_.U16() % 0xfffe);
    }
    if (how & 0x40) d.flags |= codec::kDssFlagDataFin;
    Send(f, kTcpAck | kTcpPsh, len, {d});
    if ((how & 0x1a) == 0) dsn_ += len;
  }

  void DataAckStep() {
    const std::uint8_t how = in_.U8();
    codec::Dss d = DataAck();
    if (how & 0x01) d.data_ack += static_cast<std::int16_t>(in_.U16());
    if (how & 0x02) {
      d.flags &= static_cast<std::uint8_t>(~codec::kDssFlagDataAck8);
      d.data_ack &= 0xffffffffu;
    }
    Send(PickFlow(in_.U8()), kTcpAck, 0, {d});
  }

  void AddAddrStep() {
    const std::uint8_t how = in_.U8();
    codec::AddAddr a;
    a.address_id = in_.U8();
    a.echo = how & 0x01;
    a.ipv6 = how & 0x02;
    if (a.ipv6) {
      a.address = {0x20, 0x01, 0x0d, 0xb8};
      a.address[15] = in_.U8();
    } else {
      a.address = {192, 0, 2, in_.U8()};
    }
    if (how & 0x04) a.port = in_.U16();
    if (!a.echo) {
      a.hmac = crypto::AddAddrHmac(key_, *kernel_key_, a.address_id,
                                   std::span(a.address.data(), a.ipv6 ? 16 : 4), a.port);
      if (how & 0x08) *a.hmac ^= in_.U64() | 1;
    }
    Send(PickFlow(in_.U8()), kTcpAck, 0, {a});
  }

  // A new subflow: MP_JOIN SYN (right token unless asked), third ACK with the HMAC.
  void JoinStep() {
    const std::uint8_t how = in_.U8();
    if (flows_.size() >= kMaxSubflows) return;
    Flow f;
    f.our_addr = env_.remote;
    f.our_port = NextPort();
    f.isn = in_.U32();
    f.next = f.isn;
    f.joined = true;
    f.nonce = in_.U32();
    flows_.push_back(f);
    Flow& j = flows_.back();
    codec::MpJoin syn;
    syn.form = codec::JoinForm::kSyn;
    syn.token = crypto::Token(*kernel_key_);
    if (how & 0x01) syn.token ^= in_.U32() | 1;
    syn.nonce = j.nonce;
    syn.backup = how & 0x02;
    syn.address_id = in_.U8();
    Send(j, kTcpSyn, 0, {syn});
    if (!j.kernel_isn) return;
    codec::MpJoin ack;
    ack.form = codec::JoinForm::kAck;
    ack.hmac = crypto::JoinAckHmac(key_, *kernel_key_, j.nonce, j.kernel_nonce);
    if (how & 0x04) ack.hmac[in_.U8() % 20] ^= 0x5a;
    if (how & 0x08) {
      Send(j, kTcpAck, 0, {});  // the third ACK without MP_JOIN
    } else {
      Send(j, kTcpAck, 0, {ack});
    }
  }

  // Raw kind-30 bytes: a length byte and subtype/body exactly as the input gives them.
  void RawStep() {
    const std::uint8_t n = 2 + in_.U8() % 30;
    std::vector<std::uint8_t> raw(n);
    raw[0] = codec::kMptcpOptionKind;
    raw[1] = in_.U8();
    for (std::size_t i = 2; i < n; ++i) raw[i] = in_.U8();
    const std::uint8_t how = in_.U8();
    const std::uint32_t payload = (how & 0x01) ? 100 : 0;
    Send(PickFlow(in_.U8()), kTcpAck | (payload ? kTcpPsh : 0), payload, {}, raw);
  }

  void FinStep() {
    const std::uint8_t how = in_.U8();
    Flow& f = PickFlow(in_.U8());
    codec::Dss d = DataAck();
    if (how & 0x01) {  // DATA_FIN alone (SSN 0, length 1)
      d.flags |= codec::kDssFlagMapping | codec::kDssFlagDsn8 | codec::kDssFlagDataFin;
      d.dsn = dsn_;
      d.data_level_length = 1;
      if (checksums_) {
        crypto::DssChecksum c(d.dsn, 0, 1);
        d.checksum = c.Finish();
      }
    }
    Send(f, (how & 0x02) ? kTcpFin | kTcpAck : kTcpAck, 0, {d});
  }

  // The server application: accepts and reads whatever arrived, closes at the end.
  void DrainSockets() {
    for (;;) {
      const int c = accept4(env_.listener, nullptr, nullptr, SOCK_NONBLOCK);
      if (c < 0) return;
      std::array<char, 4096> buf;
      for (int i = 0; i < 64 && read(c, buf.data(), buf.size()) > 0; ++i) {
      }
      close(c);
    }
  }

  // A rule the kernel broke is the finding, unless MPDRILL_LIVE_FUZZ_RULE_OFF names it (to
  // go on past a known kernel deviation, scripts/findings/README.md).
  void Judge() {
    std::size_t counted = 0;
    for (const run::LiveFinding& f : findings_) {
      if (!f.deliberate() && !env_.rules_off.contains(f.violation.rule)) ++counted;
    }
    if (counted == 0) return;
    for (const run::LiveFinding& f : findings_) {
      if (!f.deliberate()) std::fprintf(stderr, "live_fuzzer: %s\n", f.ToString().c_str());
    }
    for (const auto& s : model_.observer().LiveSummaries()) {
      std::fprintf(stderr, "live_fuzzer: %s\n", mpdrill::model::Describe(s).c_str());
    }
    std::fprintf(stderr, "live_fuzzer: the kernel broke %zu rule(s) of the reference model\n",
                 model_.kernel_violations());
    std::abort();
  }

  Environment& env_;
  Bytes& in_;
  std::chrono::steady_clock::time_point start_;
  run::LiveModel model_;
  std::vector<run::LiveFinding> findings_;
  std::unique_ptr<run::PcapRecorder> pcap_;  // MPDRILL_LIVE_FUZZ_PCAP: every packet, for triage
  std::deque<Flow> flows_;  // stable references: Collect adds the kernel's subflows
  std::deque<std::size_t> joins_to_answer_;
  bool kernel_client_ = false;
  bool refuse_joins_ = false;
  bool answering_ = false;
  int app_fd_ = -1;  // the kernel side's application socket: its client, or the accepted one
  std::uint64_t key_ = 0;
  std::uint64_t dsn_ = 0;
  bool checksums_ = false;
  std::optional<std::uint64_t> kernel_key_;
  std::uint64_t kernel_dsn_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Environment& env = Env();
  if (!env.skip_reason.empty()) {
    static bool said = false;
    if (!said) std::fprintf(stderr, "live_fuzzer: skipped: %s\n", env.skip_reason.c_str());
    said = true;
    return 0;
  }
  Bytes in(data, std::min<std::size_t>(size, 4096));
  Session(env, in).Run();
  return 0;
}
