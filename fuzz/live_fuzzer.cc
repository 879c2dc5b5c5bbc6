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
// MPDRILL_LIVE_FUZZ_VERBOSE and MPDRILL_LIVE_FUZZ_PCAP=FILE help triage one input;
// MPDRILL_LIVE_FUZZ_TRACE=FILE writes its packets for `mpdrill fuzz minimize` (live_script.h).
// MPDRILL_LIVE_FUZZ_CURRENT, _STATS, _PANIC_MARKER (test-only): campaigns in VMs (live_hooks.h).
// After each packet the kernel's answers are read at once, and only a packet the kernel may
// answer from deferred work waits for quiet (live_wait.h); MPDRILL_LIVE_FUZZ_QUIET_US=2000
// brings back the old 2 ms after everything, for baselines.
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
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/capture/dissect.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/rules.h"
#include "engine/crypto/mptcp_crypto.h"
#include "engine/model/data_sequence.h"
#include "engine/model/summary.h"
#include "engine/run/live_model.h"
#include "engine/run/live_packet.h"
#include "engine/run/packet_io.h"
#include "engine/run/wire.h"
#include "fuzz/live_env.h"
#include "fuzz/live_hooks.h"
#include "fuzz/live_input.h"
#include "fuzz/live_mib.h"
#include "fuzz/live_script.h"
#include "sandbox/sandbox_test_util.h"
#include "sandbox/tun.h"

namespace {

using mpdrill::capture::IpAddress;
using mpdrill::capture::kTcpAck;
using mpdrill::capture::kTcpFin;
using mpdrill::capture::kTcpPsh;
using mpdrill::capture::kTcpRst;
using mpdrill::capture::kTcpSyn;
namespace codec = mpdrill::codec;
namespace fuzz = mpdrill::fuzz;
namespace crypto = mpdrill::crypto;
namespace run = mpdrill::run;
namespace sandbox = mpdrill::sandbox;

using fuzz::FamilyNet;
using fuzz::kIpprotoMptcp;
using Environment = fuzz::LiveEnvironment;
using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
constexpr auto kServerPort = fuzz::kLiveServerPort;
constexpr std::size_t kMaxSubflows = 4;
// A bound on reading the kernel's answers to one step (the kernel never stops talking).
constexpr auto kStepBound = std::chrono::milliseconds(60);

Environment& Env() {
  static Environment env = fuzz::MakeLiveEnvironment();
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
  Session(Environment& env, const fuzz::LiveInput& input)
      : env_(env), input_(input), net_(env.net(input.header.family)) {}

  void Run() {
    start_ = std::chrono::steady_clock::now();
    if (const char* path = std::getenv("MPDRILL_LIVE_FUZZ_PCAP")) {
      auto r = run::PcapRecorder::Open(path);
      if (r) pcap_ = std::move(r.value());
    }
    if (const char* path = std::getenv("MPDRILL_LIVE_FUZZ_TRACE")) trace_.open(path);
    if (verbose_) {
      std::fprintf(stderr, "live_fuzzer: %s\n", fuzz::DescribeHeader(input_.header).c_str());
    }
    Handshake();
    for (const fuzz::LiveStep& step : input_.steps) {
      if (!kernel_key_) break;
      if (verbose_) std::fprintf(stderr, "live_fuzzer:   %s\n", fuzz::DescribeStep(step).c_str());
      std::visit([this](const auto& s) { Do(s); }, step);
    }
    for (Flow& f : flows_) {
      if (f.open && f.kernel_isn) Send(f, kTcpRst | kTcpAck, 0, {});
    }
    if (env_.wait.classic()) Collect(env_.wait.AfterSyscall());
    if (app_fd_ >= 0) close(app_fd_);
    DrainSockets();
    Collect(env_.wait.AfterSyscall());
    model_.Finish();
    findings_ = model_.TakeFindings();
    if (verbose_) {
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
    t.dst = net_.local;
    t.sport = f.our_port;
    t.dport = f.kernel_port;
    t.seq = f.next;
    t.ack = (flags & kTcpAck) ? f.kernel_next : 0;
    t.flags = flags;
    t.window = 65535;
    t.payload_length = payload;
    if (flags & kTcpSyn) {
      t.options = {2, 4, fuzz::kLiveMss >> 8, fuzz::kLiveMss & 0xff, 1, 3, 3, 7};  // MSS, NOP, wscale 7
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
    ++env_.injected;
    Tap(*bytes, run::PacketOrigin::kInjected);
    Trace({.kernel = false, .flow = IndexOf(f)});
    f.next += payload + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
    if (flags & kTcpRst) f.open = false;
    CollectAndAnswer(env_.wait.AfterPacket(flags, t.options));
  }

  // Reads the kernel's packets (Collect), then answers the MP_JOIN SYNs it sent meanwhile.
  void CollectAndAnswer(microseconds quiet, std::optional<Clock::time_point> until = {}) {
    Collect(quiet, until);
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

  // Reads what the kernel sends: what is queued already (its answers within the write or
  // syscall), then until it has been quiet for `quiet` (0: not at all), never past `until`
  // and at most kStepBound (live_wait.h).
  void Collect(microseconds quiet, std::optional<Clock::time_point> until = {}) {
    const auto bound =
        std::min(Clock::now() + kStepBound, until.value_or(Clock::time_point::max()));
    for (auto now = Clock::now(); now < bound; now = Clock::now()) {
      const auto left = std::chrono::duration_cast<microseconds>(bound - now);
      auto got = env_.tun->Read(std::min(quiet, left));
      if (!got || !got->has_value()) return;
      const std::vector<std::uint8_t>& bytes = **got;
      ++env_.kernel_packets;
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
      if (flow == nullptr) continue;
      Learn(*flow, *p);
      {
        // Without the kernel's SYN on the subflow (its RST refusing mpdrill's): sequence 0.
        Trace({.kernel = true,
               .flow = IndexOf(*flow),
               .flags = p->flags,
               .seq = flow->kernel_isn ? p->seq - *flow->kernel_isn : 0,
               .length = p->payload_length,
               .ack = (p->flags & kTcpAck) ? std::optional<std::uint32_t>(p->ack - flow->isn)
                                           : std::nullopt});
      }
    }
  }

  // MPDRILL_LIVE_FUZZ_TRACE: the run as `mpdrill fuzz minimize` writes it into a script.
  void Trace(const fuzz::LiveTraceEvent& e) {
    // Flushed per line: a finding ends the process with abort().
    if (trace_.is_open()) trace_ << fuzz::FormatTraceEvent(e) << "\n" << std::flush;
  }
  int IndexOf(const Flow& f) const {
    for (std::size_t i = 0; i < flows_.size(); ++i) {
      if (&flows_[i] == &f) return static_cast<int>(i);
    }
    return 0;
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
    for (const codec::Option& option : p.decoded_options.Mptcp()) {
      if (const auto* mpc = std::get_if<codec::MpCapable>(&option)) {
        // The server's key comes in its SYN/ACK, the client's in its third ACK (v1: none in
        // the SYN).
        if (mpc->sender_key && !kernel_key_) {
          kernel_key_ = *mpc->sender_key;
          kernel_dsn_ = crypto::Idsn(*kernel_key_) + 1;
        }
      } else if (const auto* j = std::get_if<codec::MpJoin>(&option)) {
        if (j->form != codec::JoinForm::kAck) f.kernel_nonce = j->nonce;
        if (j->form == codec::JoinForm::kAck) f.join_ack_seen = true;
      } else if (const auto* dss = std::get_if<codec::Dss>(&option)) {
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
    if (input_.header.refuse_joins()) {
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

  // SYN, SYN/ACK, third ACK: the header chooses the roles, family, ISN, key, checksums and
  // what to break.
  void Handshake() {
    const fuzz::LiveHeader& h = input_.header;
    Flow f;
    f.our_addr = net_.remote;
    f.our_port = NextPort();
    f.kernel_port = net_.port;
    f.isn = h.isn;
    f.next = f.isn;
    key_ = h.key;
    dsn_ = crypto::Idsn(key_) + 1;
    checksums_ = h.checksums();
    flows_.push_back(f);
    if (h.kernel_client()) return KernelClientHandshake();
    codec::MpCapable syn;
    syn.flags = static_cast<std::uint8_t>(codec::kMpcFlagH | (checksums_ ? codec::kMpcFlagA : 0));
    if (h.mpc_flags) syn.flags = *h.mpc_flags;  // any flag byte, reserved bits included
    if (h.version) syn.version = *h.version;
    Send(flows_[0], kTcpSyn, 0, {syn});
    if (!flows_[0].kernel_isn || !kernel_key_) return;
    codec::MpCapable ack;
    ack.flags = syn.flags;
    ack.sender_key = key_;
    ack.receiver_key = *kernel_key_ ^ h.wrong_key_xor;
    if (h.no_mp_capable()) {
      Send(flows_[0], kTcpAck, 0, {});  // the third ACK without MP_CAPABLE
    } else {
      Send(flows_[0], kTcpAck, 0, {ack});
    }
  }

  // The kernel connects (its application's MPTCP socket of the input's family) to mpdrill.
  void KernelClientHandshake() {
    const fuzz::LiveHeader& h = input_.header;
    kernel_client_ = true;
    app_fd_ = socket(net_.domain, SOCK_STREAM | SOCK_NONBLOCK, kIpprotoMptcp);
    if (app_fd_ < 0) return;
    sockaddr_storage a;
    socklen_t len = 0;
    if (!sandbox::test_util::FillAddress(net_.domain, net_.remote_text.c_str(),
                                         flows_[0].our_port, &a, &len)) {
      return;
    }
    flows_[0].kernel_port = 0;
    if (connect(app_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 && errno != EINPROGRESS) {
      return;
    }
    Collect(env_.wait.AfterSyscall());  // the kernel's SYN with MP_CAPABLE and its key
    Flow& f = flows_[0];
    if (!f.kernel_isn) return;
    codec::MpCapable synack;
    synack.flags =
        static_cast<std::uint8_t>(codec::kMpcFlagH | (checksums_ ? codec::kMpcFlagA : 0));
    if (h.mpc_flags) synack.flags = *h.mpc_flags;
    if (h.version) synack.version = *h.version;
    synack.sender_key = h.wrong_key() ? std::optional<std::uint64_t>() : key_;
    if (h.no_mp_capable()) {
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

  void Do(const fuzz::RemoveAddrStep& s) {
    codec::RemoveAddr r;
    for (std::uint8_t id : s.address_ids) r.address_ids.data[r.address_ids.size++] = id;
    Send(PickFlow(s.flow), kTcpAck, 0, {r, DataAck()});
  }
  void Do(const fuzz::MpPrioStep& s) {
    codec::MpPrio p;
    p.backup = s.backup;
    Send(PickFlow(s.flow), kTcpAck, 0, {p, DataAck()});
  }
  void Do(const fuzz::MpFailStep& s) {
    codec::MpFail m;
    m.dsn = dsn_ - s.back;
    Send(PickFlow(s.flow), s.rst ? kTcpRst | kTcpAck : kTcpAck, 0, {m});
  }
  void Do(const fuzz::FastcloseStep& s) {
    codec::MpFastclose fc;
    fc.receiver_key = *kernel_key_ ^ s.key_xor;
    Send(flows_[0], s.rst ? kTcpRst | kTcpAck : kTcpAck, 0, {fc});
  }
  void Do(const fuzz::TcpRstStep& s) {
    codec::MpTcpRst r;
    r.reason = s.reason;
    r.flags = s.flags;
    Send(PickFlow(s.flow), kTcpRst | kTcpAck, 0, {r});
  }
  // The kernel's timers: the harness reads and answers what the kernel sends for that long
  // (the classic rule: quiet periods until then, which may end up to one quiet time later).
  void Do(const fuzz::WaitStep& s) {
    const auto start = Clock::now();
    const auto until = start + std::chrono::milliseconds(s.milliseconds);
    const bool classic = env_.wait.classic();
    while (Clock::now() < until) {
      CollectAndAnswer(classic ? env_.wait.classic_quiet : microseconds(kStepBound),
                       classic ? std::nullopt : std::optional(until));
    }
    env_.waited += Clock::now() - start;
  }

  // The kernel's application writes: the kernel sends data under its own mappings, which
  // mpdrill acknowledges (TCP and DATA_ACK).
  void Do(const fuzz::AppWriteStep& s) {
    if (app_fd_ < 0 && !kernel_client_) {
      app_fd_ = accept4(net_.listener, nullptr, nullptr, SOCK_NONBLOCK);
    }
    if (app_fd_ < 0) return;
    const std::vector<char> bytes(s.bytes, 'm');
    Trace({.write = true});
    (void)!send(app_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);  // reset: no SIGPIPE
    Collect(env_.wait.AfterSyscall());
    Send(PickFlow(s.flow), kTcpAck, 0, {DataAck()});
  }

  // Data under a DSS mapping; how 0 = conforming (right DSN, SSN, length and checksum).
  void Do(const fuzz::DataStep& s) {
    Flow& f = PickFlow(s.flow);
    if (s.no_dss()) return Send(f, kTcpAck | kTcpPsh, s.length, {});
    codec::Dss d = DataAck();
    d.flags |= codec::kDssFlagMapping | codec::kDssFlagDsn8;
    d.dsn = dsn_ + static_cast<std::uint64_t>(static_cast<std::int64_t>(s.dsn_delta));
    if (s.dsn32()) d.flags &= static_cast<std::uint8_t>(~codec::kDssFlagDsn8);
    if (!d.dsn_64()) d.dsn &= 0xffffffffu;
    d.ssn = f.next - f.isn + s.ssn_delta;
    d.data_level_length = s.data_level_length.value_or(static_cast<std::uint16_t>(s.length));
    if (checksums_) {
      crypto::DssChecksum c(d.dsn_64() ? d.dsn : mpdrill::model::Expand32(dsn_, d.dsn), d.ssn,
                            d.data_level_length);
      const std::vector<std::uint8_t> zeros(s.length, 0);
      c.Add(zeros);
      d.checksum = static_cast<std::uint16_t>(c.Finish() ^ s.checksum_xor);
    }
    if (s.data_fin()) d.flags |= codec::kDssFlagDataFin;
    Send(f, kTcpAck | kTcpPsh, s.length, {d});
    if (s.conforming_mapping()) dsn_ += s.length;
  }

  void Do(const fuzz::DataAckStep& s) {
    codec::Dss d = DataAck();
    d.data_ack += static_cast<std::uint64_t>(static_cast<std::int64_t>(s.delta));
    if (s.how & 0x02) {
      d.flags &= static_cast<std::uint8_t>(~codec::kDssFlagDataAck8);
      d.data_ack &= 0xffffffffu;
    }
    Send(PickFlow(s.flow), kTcpAck, 0, {d});
  }

  void Do(const fuzz::AddAddrStep& s) {
    codec::AddAddr a;
    a.address_id = s.address_id;
    a.echo = s.echo();
    a.ipv6 = s.ipv6();
    if (a.ipv6) {
      a.address = {0x20, 0x01, 0x0d, 0xb8};
      a.address[15] = s.last_byte;
    } else {
      a.address = {192, 0, 2, s.last_byte};
    }
    if (s.port) a.port = *s.port;
    if (!a.echo) {
      a.hmac = crypto::AddAddrHmac(key_, *kernel_key_, a.address_id,
                                   std::span(a.address.data(), a.ipv6 ? 16 : 4), a.port);
      *a.hmac ^= s.hmac_xor;
    }
    Send(PickFlow(s.flow), kTcpAck, 0, {a});
  }

  // A new subflow: MP_JOIN SYN (right token unless asked), third ACK with the HMAC.
  void Do(const fuzz::JoinStep& s) {
    if (flows_.size() >= kMaxSubflows) return;
    Flow f;
    f.our_addr = net_.remote;
    f.our_port = NextPort();
    f.kernel_port = net_.port;
    f.isn = s.isn;
    f.next = f.isn;
    f.joined = true;
    f.nonce = s.nonce;
    flows_.push_back(f);
    Flow& j = flows_.back();
    codec::MpJoin syn;
    syn.form = codec::JoinForm::kSyn;
    syn.token = crypto::Token(*kernel_key_) ^ s.token_xor;
    syn.nonce = j.nonce;
    syn.backup = s.how & 0x02;
    syn.address_id = s.address_id;
    Send(j, kTcpSyn, 0, {syn});
    if (!j.kernel_isn) return;
    codec::MpJoin ack;
    ack.form = codec::JoinForm::kAck;
    ack.hmac = crypto::JoinAckHmac(key_, *kernel_key_, j.nonce, j.kernel_nonce);
    if (s.how & 0x04) ack.hmac[s.hmac_byte % 20] ^= 0x5a;
    if (s.how & 0x08) {
      Send(j, kTcpAck, 0, {});  // the third ACK without MP_JOIN
    } else {
      Send(j, kTcpAck, 0, {ack});
    }
  }

  // Raw kind-30 bytes: a length byte and subtype/body exactly as the input gives them.
  void Do(const fuzz::RawStep& s) {
    const std::uint32_t payload = s.payload ? 100 : 0;
    Send(PickFlow(s.flow), kTcpAck | (payload ? kTcpPsh : 0), payload, {}, s.option);
  }

  void Do(const fuzz::FinStep& s) {
    Flow& f = PickFlow(s.flow);
    codec::Dss d = DataAck();
    if (s.how & 0x01) {  // DATA_FIN alone (SSN 0, length 1)
      d.flags |= codec::kDssFlagMapping | codec::kDssFlagDsn8 | codec::kDssFlagDataFin;
      d.dsn = dsn_;
      d.data_level_length = 1;
      if (checksums_) {
        crypto::DssChecksum c(d.dsn, 0, 1);
        d.checksum = c.Finish();
      }
    }
    Send(f, (s.how & 0x02) ? kTcpFin | kTcpAck : kTcpAck, 0, {d});
  }

  // The server application: accepts and reads whatever arrived, closes at the end.
  void DrainSockets() {
    for (const FamilyNet& net : env_.nets) {
      for (;;) {
        const int c = accept4(net.listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (c < 0) break;
        std::array<char, 4096> buf;
        for (int i = 0; i < 64 && read(c, buf.data(), buf.size()) > 0; ++i) {
        }
        close(c);
      }
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
  const fuzz::LiveInput& input_;
  const FamilyNet& net_;  // the input's address family
  const bool verbose_ = std::getenv("MPDRILL_LIVE_FUZZ_VERBOSE") != nullptr;
  std::chrono::steady_clock::time_point start_;
  run::LiveModel model_;
  std::vector<run::LiveFinding> findings_;
  std::unique_ptr<run::PcapRecorder> pcap_;  // MPDRILL_LIVE_FUZZ_PCAP: every packet, for triage
  std::ofstream trace_;                      // MPDRILL_LIVE_FUZZ_TRACE
  std::deque<Flow> flows_;  // stable references: Collect adds the kernel's subflows
  std::deque<std::size_t> joins_to_answer_;
  bool kernel_client_ = false;
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
  static const fuzz::LiveHooks hooks = fuzz::LiveHooksFromEnvironment();
  if (!hooks.current.empty()) fuzz::WriteCurrentInput(hooks.current, std::span(data, size));
  fuzz::PanicOnMarker(hooks, std::span(data, size));  // test-only, in mpdrill guests only
  Environment& env = Env();
  if (!env.skip_reason.empty()) {
    static bool said = false;
    if (!said) std::fprintf(stderr, "live_fuzzer: skipped: %s\n", env.skip_reason.c_str());
    said = true;
    return 0;
  }
  const fuzz::LiveInput input = fuzz::DecodeLiveInput(std::span(data, size));
  const fuzz::MibCounters mibs = fuzz::ReadMptcpMibs();  // kernel-side features (live_mib.h)
  Session(env, input).Run();
  fuzz::MibFeatures(mibs, fuzz::ReadMptcpMibs(), fuzz::LibFuzzerExtraCounters());
  ++env.inputs;
  const fuzz::LiveStats stats{
      env.inputs, env.injected, env.kernel_packets,
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(env.waited).count())};
  if (!hooks.stats.empty()) fuzz::WriteLiveStats(hooks.stats, stats);
  return 0;
}
