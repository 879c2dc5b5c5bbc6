// The runner against an in-memory peer and a fake clock: scripts of packets only, the "kernel"
// answering each injected packet with packets built here, at chosen delays. No namespace, no
// TUN, no waiting: the clock jumps to each deadline.
#include "engine/run/runner.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <deque>
#include <functional>

#include "engine/capture/dissect.h"
#include "engine/run/datagram.h"
#include "engine/run/icmp.h"
#include "engine/run/live_packet.h"
#include "engine/run/wire.h"
#include "parser/parser.h"

namespace mpdrill::run {
namespace {

// Time moves only when the runner sleeps or waits for a packet.
class FakeClock final : public Clock {
 public:
  std::int64_t NowUsecs() override { return now_; }
  void SleepUntilUsecs(std::int64_t t) override { now_ = std::max(now_, t); }
  void Advance(std::int64_t t) { now_ = std::max(now_, t); }

 private:
  std::int64_t now_ = 1000000;  // not 0: the run's time 0 is wherever the clock stands
};

struct Reply {
  std::int64_t delay_usecs = 0;
  std::vector<std::uint8_t> packet;
};

// The kernel's side, in memory: `respond` sees each packet the runner injects (parsed) and
// returns what the kernel sends back and when.
class InMemoryPeer final : public PacketIo {
 public:
  InMemoryPeer(FakeClock& clock, std::function<std::vector<Reply>(const LivePacket&)> respond)
      : clock_(clock), respond_(std::move(respond)) {}

  Status<std::string> Send(std::span<const std::uint8_t> packet, std::uint16_t) override {
    auto live = ParseLive(packet, clock_.NowUsecs());
    if (!live) {
      auto datagram = ParseLiveDatagram(packet, clock_.NowUsecs());
      if (!datagram || !respond_datagram_) {
        return Unexpected{std::string("the runner sent a packet that is neither TCP nor UDP/ICMP")};
      }
      datagrams_.push_back(*datagram);
      for (Reply& r : respond_datagram_(*datagram)) {
        Queue(clock_.NowUsecs() + r.delay_usecs, std::move(r.packet));
      }
      return Ok{};
    }
    injected_.push_back(*live);
    for (Reply& r : respond_(*live)) {
      Queue(clock_.NowUsecs() + r.delay_usecs, std::move(r.packet));
    }
    return Ok{};
  }
  Result<std::optional<SniffedPacket>, std::string> Receive(std::int64_t deadline) override {
    if (queue_.empty() || queue_.front().time > deadline) {
      clock_.Advance(deadline);
      return std::optional<SniffedPacket>();
    }
    SniffedPacket p = std::move(queue_.front());
    queue_.pop_front();
    clock_.Advance(p.time);
    return std::optional<SniffedPacket>(std::move(p));
  }
  void Unread(SniffedPacket packet) override { queue_.push_front(std::move(packet)); }

  // A packet the kernel sends on its own at `time` (clock usecs).
  void Queue(std::int64_t time, std::vector<std::uint8_t> packet) {
    auto it = queue_.begin();
    while (it != queue_.end() && it->time <= time) ++it;
    queue_.insert(it, SniffedPacket{std::move(packet), time});
  }
  const std::vector<LivePacket>& injected() const { return injected_; }
  // UDP datagrams and ICMP messages: what the runner injects and how the kernel answers.
  void AnswerDatagrams(std::function<std::vector<Reply>(const LiveDatagram&)> respond) {
    respond_datagram_ = std::move(respond);
  }
  const std::vector<LiveDatagram>& datagrams() const { return datagrams_; }

 private:
  FakeClock& clock_;
  std::function<std::vector<Reply>(const LivePacket&)> respond_;
  std::deque<SniffedPacket> queue_;
  std::vector<LivePacket> injected_;
  std::function<std::vector<Reply>(const LiveDatagram&)> respond_datagram_;
  std::vector<LiveDatagram> datagrams_;
};

constexpr std::uint32_t kKernelIsn = 123456789;

// The kernel's SYN/ACK to an injected SYN: ack = seq + 1, MSS 1460, `ack_offset` added to the
// ack (to get it wrong on purpose).
std::vector<std::uint8_t> SynAckFor(const LivePacket& syn, std::uint32_t ack_offset = 0) {
  WireTcp t;
  t.src = syn.dst;
  t.dst = syn.src;
  t.sport = syn.dport;
  t.dport = syn.sport;
  t.seq = kKernelIsn;
  t.ack = syn.seq + 1 + ack_offset;
  t.flags = capture::kTcpSyn | capture::kTcpAck;
  t.window = 65535;
  t.options = {2, 4, 0x05, 0xb4};
  auto p = BuildTcpPacket(t);
  EXPECT_TRUE(p.ok());
  return p.ok() ? *p : std::vector<std::uint8_t>{};
}

struct Outcome {
  RunReport report;
  std::vector<LivePacket> injected;
  std::vector<LiveDatagram> datagrams;
};

Outcome RunWithPeer(const std::string& text, std::function<std::vector<Reply>(const LivePacket&)> respond,
            std::function<void(InMemoryPeer&, FakeClock&)> before = nullptr,
            std::function<void(RunConfig&)> configure = nullptr) {
  auto script = parser::Parse(text, "t.pkt");
  EXPECT_TRUE(script.ok());
  RunConfig config;
  EXPECT_TRUE(config.Finalize().ok());
  config.model_mode = ModelMode::kOff;
  if (configure) configure(config);
  FakeClock clock;
  InMemoryPeer peer(clock, std::move(respond));
  if (before) before(peer, clock);
  RunnerContext ctx;
  ctx.script_path = "t.pkt";
  ctx.script_dir = ".";
  ctx.clock = &clock;
  ctx.io = &peer;
  Outcome o{RunScript(*script, config, ctx), peer.injected(), peer.datagrams()};
  return o;
}

constexpr char kPassiveOpen[] =
    "0 < S 0:0(0) win 32792 <mss 1000>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
    "+.1 < . 1:1(0) ack 1 win 257\n";

std::vector<Reply> AnswerSyns(const LivePacket& p, std::int64_t delay, std::uint32_t ack_offset = 0) {
  if ((p.flags & capture::kTcpSyn) && !(p.flags & capture::kTcpAck)) {
    return {{delay, SynAckFor(p, ack_offset)}};
  }
  return {};
}

TEST(Runner, PassesAHandshakeTheKernelAnswersOnTime) {
  Outcome o = RunWithPeer(kPassiveOpen, [](const LivePacket& p) { return AnswerSyns(p, 1000); });
  EXPECT_EQ(o.report.verdict, Verdict::kPass) << o.report.first_error << "\n" << o.report.details;
  ASSERT_EQ(o.injected.size(), 2u);
  // The third packet's ack is mapped into the kernel's sequence space, 0.1 s after the SYN.
  EXPECT_EQ(o.injected[1].ack, kKernelIsn + 1);
  EXPECT_EQ(o.injected[1].time - o.injected[0].time, 101000);
}

TEST(Runner, RunsItsUntimedSetUpAtTheUntimedNiceAndTimedCommandsAsItself) {
  // A suite running several runs at once sets untimed_nice to 19 (engine/suite): the init
  // command and --init_scripts run before time 0, the timed command on the clock.
  const std::string own = std::to_string(getpriority(PRIO_PROCESS, 0));
  const std::string script = "`test \"$(nice)\" = 19`\n0 `test \"$(nice)\" = " + own + "`\n";
  Outcome o = RunWithPeer(
      script, [](const LivePacket&) { return std::vector<Reply>{}; }, nullptr,
      [](RunConfig& c) {
        c.untimed_nice = 19;
        c.init_scripts = "test \"$(nice)\" = 19";
      });
  EXPECT_EQ(o.report.verdict, Verdict::kPass) << o.report.first_error << "\n" << o.report.details;
  // Without it, set-up runs as the runner does (unless the test itself runs at 19).
  if (own == "19") return;
  Outcome plain = RunWithPeer(script, [](const LivePacket&) { return std::vector<Reply>{}; });
  EXPECT_EQ(plain.report.verdict, Verdict::kFail);
  EXPECT_NE(plain.report.first_error.find("t.pkt:1: "), std::string::npos)
      << plain.report.first_error;
}

TEST(Runner, FailsAnAnswerThatComesTooLate) {
  Outcome o = RunWithPeer(kPassiveOpen, [](const LivePacket& p) { return AnswerSyns(p, 50000); });
  EXPECT_EQ(o.report.verdict, Verdict::kFail);
  EXPECT_NE(o.report.first_error.find("t.pkt:2: error handling packet: Timed out waiting for packet"),
            std::string::npos)
      << o.report.first_error;
  EXPECT_EQ(o.injected.size(), 1u);  // the run stopped there
}

TEST(Runner, FailsAnAnswerThatComesTooEarly) {
  const std::string script =
      "0 < S 0:0(0) win 32792 <mss 1000>\n"
      "+.1 > S. 0:0(0) ack 1 <mss 1460>\n";
  Outcome o = RunWithPeer(script, [](const LivePacket& p) { return AnswerSyns(p, 1000); });
  EXPECT_EQ(o.report.verdict, Verdict::kFail);
  EXPECT_NE(o.report.first_error.find("t.pkt:2: outbound packet"), std::string::npos)
      << o.report.first_error;
  EXPECT_NE(o.report.first_error.find("expected: 0.100"), std::string::npos) << o.report.first_error;
  EXPECT_NE(o.report.first_error.find("actual: 0.001"), std::string::npos) << o.report.first_error;
}

TEST(Runner, NamesTheFieldThatDiffers) {
  Outcome o = RunWithPeer(kPassiveOpen, [](const LivePacket& p) { return AnswerSyns(p, 1000, 5); });
  EXPECT_EQ(o.report.verdict, Verdict::kFail);
  EXPECT_NE(o.report.first_error.find("t.pkt:2:"), std::string::npos) << o.report.first_error;
  EXPECT_NE(o.report.first_error.find("ack"), std::string::npos) << o.report.first_error;
  EXPECT_NE(o.report.first_error.find("expected: 1 actual: 6"), std::string::npos)
      << o.report.first_error;
  EXPECT_NE(o.report.details.find("actual packet:"), std::string::npos) << o.report.details;
}

TEST(Runner, SkipsPacketsThatAreNotTcpOrOfNoKnownFlow) {
  Outcome o = RunWithPeer(
      kPassiveOpen, [](const LivePacket& p) { return AnswerSyns(p, 2000); },
      [](InMemoryPeer& peer, FakeClock& clock) {
        // A UDP datagram and a TCP segment of a connection the script never made, both before
        // the SYN/ACK.
        std::vector<std::uint8_t> udp = {0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0,
                                         192, 168, 0, 2, 192, 0, 2, 1, 0, 53, 0, 53, 0, 8, 0, 0};
        peer.Queue(clock.NowUsecs() + 500, udp);
        WireTcp stray;
        stray.src = *ParseAddress("192.168.0.2", false);
        stray.dst = *ParseAddress("192.0.2.1", false);
        stray.sport = 9999;
        stray.dport = 7777;
        stray.flags = capture::kTcpAck;
        peer.Queue(clock.NowUsecs() + 800, *BuildTcpPacket(stray));
      });
  EXPECT_EQ(o.report.verdict, Verdict::kPass) << o.report.first_error << "\n" << o.report.details;
}

// Two data segments of the kernel make one script packet (packetdrill's coalescing).
TEST(Runner, CoalescesTheKernelsSegments) {
  const std::string script = std::string(kPassiveOpen) + "+0 > P. 1:2001(2000) ack 1\n";
  Outcome o = RunWithPeer(script, [](const LivePacket& p) {
    if (p.flags & capture::kTcpSyn) return AnswerSyns(p, 1000);
    std::vector<Reply> data;
    for (std::uint32_t i = 0; i < 2; ++i) {
      WireTcp t;
      t.src = p.dst;
      t.dst = p.src;
      t.sport = p.dport;
      t.dport = p.sport;
      t.seq = kKernelIsn + 1 + 1000 * i;
      t.ack = p.seq;
      t.flags = capture::kTcpAck | (i == 1 ? capture::kTcpPsh : 0);
      t.window = 502;
      t.payload_length = 1000;
      data.push_back({1000, *BuildTcpPacket(t)});
    }
    return data;
  });
  EXPECT_EQ(o.report.verdict, Verdict::kPass) << o.report.first_error << "\n" << o.report.details;
}

// The kernel's answer to the handshake's last ACK: `segments` data segments of 1000 bytes from
// seq 1 (PSH on the last), window 502, `options` on each, then `mutate` on each.
std::vector<Reply> DataAfterHandshake(const LivePacket& p, int segments,
                                      const std::vector<std::uint8_t>& options,
                                      const std::function<void(WireTcp&)>& mutate = nullptr) {
  if (p.flags & capture::kTcpSyn) return AnswerSyns(p, 1000);
  std::vector<Reply> data;
  for (int i = 0; i < segments; ++i) {
    WireTcp t;
    t.src = p.dst;
    t.dst = p.src;
    t.sport = p.dport;
    t.dport = p.sport;
    t.seq = kKernelIsn + 1 + 1000 * static_cast<std::uint32_t>(i);
    t.ack = p.seq;
    t.flags = capture::kTcpAck | (i + 1 == segments ? capture::kTcpPsh : 0);
    t.window = 502;
    t.payload_length = 1000;
    t.options = options;
    t.ip.ttl = 64;
    if (mutate) mutate(t);
    data.push_back({1000, *BuildTcpPacket(t)});
  }
  return data;
}

// One field of the kernel's packet differs from the script's: the run fails at that line with
// the field's message (the exact text scripts and CI logs rely on).
struct FieldCase {
  const char* script_line;  // the expected packet, after kPassiveOpen
  std::vector<std::uint8_t> options;
  std::function<void(WireTcp&)> mutate;
  const char* first_error;  // after "t.pkt:4: "
};

TEST(Runner, NamesEachMismatchedFieldAsBefore) {
  const std::vector<FieldCase> cases = {
      {"+0 > P. 1:1001(1000) ack 1 win 502", {}, [](WireTcp& t) { t.flags = capture::kTcpAck; },
       "tcp flags: expected: P. actual: ."},
      {"+0 > P. 1:1001(1000) ack 1 win 502", {}, [](WireTcp& t) { t.seq += 3; },
       "tcp seq: expected: 1 actual: 4"},
      {"+0 > P. 1:1001(1000) ack 1 win 502", {}, [](WireTcp& t) { t.payload_length = 1200; },
       "tcp payload length: expected: 1000 actual: 1200"},
      {"+0 > P. 1:1001(1000) ack 1 win 502", {}, [](WireTcp& t) { t.ack += 7; },
       "tcp ack: expected: 1 actual: 8"},
      {"+0 > P. 1:1001(1000) ack 1 win 502", {}, [](WireTcp& t) { t.window = 600; },
       "tcp window: expected: 502 actual: 600"},
      {"+0 > [ttl 32] P. 1:1001(1000) ack 1", {}, nullptr, "ip ttl: expected: 32 actual: 64"},
      {"+0 > [tos 0x10] P. 1:1001(1000) ack 1", {}, [](WireTcp& t) { t.ip.tos = 0x20; },
       "ip tos: expected: 16 actual: 32"},
      {"+0 > 192.168.0.2:8080 > 192.0.2.1:9 P. 1:1001(1000) ack 1", {}, nullptr,
       "ip addresses: expected: 192.168.0.2:8080>192.0.2.1:9 actual: "
       "192.168.0.2:8080>192.0.2.1:48000"},
      {"+0 > P. 1:1001(1000) ack 1 <nop>", {}, nullptr,
       "tcp option 1: expected: nop actual: none"},
      {"+0 > P. 1:1001(1000) ack 1", {1, 1, 1, 1}, nullptr,
       "tcp option 1: expected: none actual: nop"},
      {"+0 > P. 1:1001(1000) ack 1 <mss 1000>", {2, 4, 0x05, 0xb4}, nullptr,
       "tcp option 1: expected: mss 1000 actual: mss 1460"},
      {"+0 > P. 1:1001(1000) ack 1 <nop, nop, TS val 5 ecr 6>", {1, 1, 1, 1}, nullptr,
       "tcp option 3: expected: TS val 5 ecr 6 actual: nop"},
      {"+0 > P. 1:1001(1000) ack 1 <nop>", {1, 30, 3, 0x20}, nullptr,
       "mptcp option: undecodable: raw 0x1e0320"},
      {"+0 > P. 1:1001(1000) ack 1 <nop>", {1, 8, 20, 0}, nullptr, "tcp options: "},
  };
  for (const FieldCase& c : cases) {
    Outcome o = RunWithPeer(std::string(kPassiveOpen) + c.script_line + "\n",
                            [&c](const LivePacket& p) {
                              return DataAfterHandshake(p, 1, c.options, c.mutate);
                            });
    EXPECT_EQ(o.report.verdict, Verdict::kFail) << c.script_line;
    EXPECT_EQ(o.report.first_error.rfind(std::string("t.pkt:4: ") + c.first_error, 0), 0u)
        << c.script_line << "\n" << o.report.first_error;
  }
}

// With --tcp_ts_tick_usecs the TS val is checked in script space (offset by the first pair
// seen), within the tolerance; the ecr is never checked.
TEST(Runner, ChecksTheTsValOnlyWithATick) {
  const std::string script = std::string(kPassiveOpen) +
                             "+0 > . 1:1001(1000) ack 1 <nop, nop, TS val 100 ecr 0>\n"
                             "+0 > P. 1001:2001(1000) ack 1 <nop, nop, TS val 100 ecr 0>\n";
  std::uint32_t ts = 5000;
  const auto respond = [&ts](const LivePacket& p) {
    // 100 ticks between the two segments: 0.1 s at 1 ms a tick, past the tolerance (12.5% of
    // the 0.102 s since the start: 12.75 ms).
    return DataAfterHandshake(p, 2, {}, [&ts](WireTcp& t) {
      t.options = {1, 1, 8, 10};
      for (int shift : {24, 16, 8, 0}) t.options.push_back(static_cast<std::uint8_t>(ts >> shift));
      for (int i = 0; i < 4; ++i) t.options.push_back(9);
      ts += 100;
    });
  };
  const auto strict = [](RunConfig& c) { c.strict_segments = true; };
  Outcome off = RunWithPeer(script, respond, nullptr, strict);
  EXPECT_EQ(off.report.verdict, Verdict::kPass) << off.report.first_error;
  ts = 5000;
  Outcome on = RunWithPeer(script, respond, nullptr, [&strict](RunConfig& c) {
    strict(c);
    c.tcp_ts_tick_usecs = 1000;
  });
  EXPECT_EQ(on.report.verdict, Verdict::kFail);
  EXPECT_EQ(on.report.first_error,
            "t.pkt:5: tcp option TS val: expected: 100 actual: 200 (tolerance 12750 usecs at 1000 "
            "usecs per tick)");
}

// Two segments with MPTCP and TS options coalesced into one script packet: the first's options
// are what the packet prints, the whole length is what it compares.
TEST(Runner, PrintsACoalescedPacketWithTheFirstSegmentsOptions) {
  const std::string script = std::string(kPassiveOpen) + "+0 > P. 1:2001(2000) ack 1 win 999\n";
  // nop, nop, TS val 7 ecr 9; DSS with a DATA_ACK (4 bytes) only; padding.
  const std::vector<std::uint8_t> options = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9,
                                             30, 8, 0x20, 0x01, 0, 0, 0, 42};
  Outcome o = RunWithPeer(script, [&options](const LivePacket& p) {
    return DataAfterHandshake(p, 2, options);
  });
  EXPECT_EQ(o.report.verdict, Verdict::kFail);
  EXPECT_EQ(o.report.first_error, "t.pkt:4: tcp window: expected: 999 actual: 502");
  EXPECT_NE(o.report.details.find("actual packet: > P. 1:2001(2000) ack 1 win 502 <nop, nop, "
                                  "TS val 7 ecr 9, dss dack4=42 nocs>"),
            std::string::npos)
      << o.report.details;
}

// The kernel's side of UDP: a datagram of `payload` bytes from the injected one's
// destination back to its source, or from `from_port` when set.
std::vector<std::uint8_t> UdpReply(const LiveDatagram& to, std::uint32_t payload,
                                   std::uint16_t from_port = 0) {
  WireUdp u;
  u.src = to.dst;
  u.dst = to.src;
  u.sport = from_port ? from_port : to.dport;
  u.dport = to.sport;
  u.payload_length = payload;
  return *BuildUdpPacket(u);
}

// The kernel's port unreachable for an injected datagram, quoting it.
std::vector<std::uint8_t> PortUnreachable(const LiveDatagram& d, std::uint8_t code = 3) {
  WireIcmp m;
  m.src = d.dst;
  m.dst = d.src;
  m.kind = {3, code};
  m.quoted_protocol = 17;
  m.quoted_src = d.src;
  m.quoted_dst = d.dst;
  m.quoted_sport = d.sport;
  m.quoted_dport = d.dport;
  m.quoted_payload = d.payload_length;
  return *BuildIcmpPacket(m);
}

constexpr char kUdpServer[] =
    "0 < udp (100)\n"
    "+0 > udp (50)\n"
    "+.01 < udp (10)\n"
    "+0 > icmp unreachable port_unreachable [udp (10)]\n";

// A datagram to the kernel's bound port (local_ip:bind_port, from remote_ip:connect_port, as
// the syscalls' `...` addresses) answered on the same association; the next one answered
// with a port unreachable.
TEST(Runner, InjectsAndMatchesUdpAndTheKernelsIcmp) {
  auto udp_peer = [](std::uint32_t reply_payload, std::uint8_t code) {
    return [=](InMemoryPeer& peer, FakeClock&) {
      peer.AnswerDatagrams([=](const LiveDatagram& d) -> std::vector<Reply> {
        if (d.payload_length == 100) return {{1000, UdpReply(d, reply_payload)}};
        return {{1000, PortUnreachable(d, code)}};
      });
    };
  };
  const auto no_tcp = [](const LivePacket&) { return std::vector<Reply>{}; };
  Outcome ok = RunWithPeer(kUdpServer, no_tcp, udp_peer(50, 3));
  EXPECT_EQ(ok.report.verdict, Verdict::kPass) << ok.report.first_error << "\n" << ok.report.details;
  ASSERT_EQ(ok.datagrams.size(), 2u);
  EXPECT_EQ(ok.datagrams[0].sport, 8080);
  EXPECT_EQ(ok.datagrams[0].dport, 8080);
  EXPECT_EQ(ok.datagrams[0].payload_length, 100u);
  // 10 ms after the reply, which came 1 ms after the first datagram.
  EXPECT_EQ(ok.datagrams[1].time - ok.datagrams[0].time, 11000);

  Outcome longer = RunWithPeer(kUdpServer, no_tcp, udp_peer(60, 3));
  EXPECT_EQ(longer.report.verdict, Verdict::kFail);
  EXPECT_EQ(longer.report.first_error, "t.pkt:2: udp payload length: expected: 50 actual: 60");
  EXPECT_NE(longer.report.details.find(
                "actual packet: > 192.168.0.2:8080 > 192.0.2.1:8080 udp (60)"),
            std::string::npos)
      << longer.report.details;

  Outcome host = RunWithPeer(kUdpServer, no_tcp, udp_peer(50, 1));
  EXPECT_EQ(host.report.verdict, Verdict::kFail);
  EXPECT_EQ(host.report.first_error,
            "t.pkt:4: icmp type and code: expected: unreachable port_unreachable actual: "
            "unreachable host_unreachable");
}

// A connected socket's first datagram teaches the kernel's ephemeral port: the script's next
// inbound datagram goes there; a script that pins another port is told the live one.
TEST(Runner, LearnsTheKernelsPortFromItsFirstDatagram) {
  const auto kernel_sends = [](InMemoryPeer& peer, FakeClock& clock) {
    WireUdp u;
    u.src = *ParseAddress("192.168.0.2", false);
    u.dst = *ParseAddress("192.0.2.1", false);
    u.sport = 40001;
    u.dport = 8080;
    u.payload_length = 20;
    peer.Queue(clock.NowUsecs() + 1000, *BuildUdpPacket(u));
    peer.AnswerDatagrams([](const LiveDatagram&) { return std::vector<Reply>{}; });
  };
  const auto no_tcp = [](const LivePacket&) { return std::vector<Reply>{}; };
  Outcome o = RunWithPeer("0 > udp (20)\n+.01 < udp (30)\n", no_tcp, kernel_sends);
  EXPECT_EQ(o.report.verdict, Verdict::kPass) << o.report.first_error << "\n" << o.report.details;
  ASSERT_EQ(o.datagrams.size(), 1u);
  EXPECT_EQ(o.datagrams[0].dport, 40001);
  EXPECT_EQ(o.datagrams[0].sport, 8080);

  Outcome pinned = RunWithPeer("0 > 5000 > 8080 udp (20)\n", no_tcp, kernel_sends);
  EXPECT_EQ(pinned.report.verdict, Verdict::kFail);
  EXPECT_EQ(pinned.report.first_error,
            "t.pkt:1: ip addresses: expected: 192.168.0.2:5000>192.0.2.1:8080 actual: "
            "192.168.0.2:40001>192.0.2.1:8080");
}

// A datagram that comes after its deadline but matches is a timing failure (worth a retry).
TEST(Runner, ALateDatagramIsATimingFailure) {
  Outcome o = RunWithPeer(
      "0 < udp (100)\n+0 > udp (50)\n", [](const LivePacket&) { return std::vector<Reply>{}; },
      [](InMemoryPeer& peer, FakeClock&) {
        peer.AnswerDatagrams([](const LiveDatagram& d) -> std::vector<Reply> {
          return {{20000, UdpReply(d, 50)}};
        });
      });
  EXPECT_EQ(o.report.verdict, Verdict::kFail);
  EXPECT_EQ(o.report.failure_class, FailureClass::kTiming);
  EXPECT_EQ(o.report.timing_excess_usecs, 16000);
  EXPECT_NE(o.report.details.find("after the deadline (a timing failure): > 192.168.0.2:8080 > "
                                  "192.0.2.1:8080 udp (50)"),
            std::string::npos)
      << o.report.details;
}

TEST(Runner, TimesOutWaitingForADatagramTcpDoesNotCount) {
  Outcome o = RunWithPeer(
      "0 > udp (20)\n", [](const LivePacket&) { return std::vector<Reply>{}; },
      [](InMemoryPeer& peer, FakeClock& clock) {
        WireTcp stray;
        stray.src = *ParseAddress("192.168.0.2", false);
        stray.dst = *ParseAddress("192.0.2.1", false);
        stray.flags = capture::kTcpAck;
        peer.Queue(clock.NowUsecs() + 800, *BuildTcpPacket(stray));
      });
  EXPECT_EQ(o.report.verdict, Verdict::kFail);
  EXPECT_NE(o.report.first_error.find("t.pkt:1: error handling packet: Timed out waiting for "
                                      "packet: expected: > udp (20)"),
            std::string::npos)
      << o.report.first_error;
}

}  // namespace
}  // namespace mpdrill::run
