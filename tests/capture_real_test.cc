// Real kernel MPTCP captures (mpdrill-mkcapture, in private network namespaces) decoded by
// engine/capture + engine/codec, and their keys, tokens, HMACs and checksums recomputed with
// engine/crypto: what Linux put on the wire must decode cleanly and authenticate.
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "engine/codec/rules.h"
#include "engine/crypto/mptcp_crypto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/mptcp_trace.h"
#include "tests/real_captures.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

using ::testing::Contains;

// Endpoint IDs mpdrill-mkcapture gives `ip mptcp endpoint add` (sandbox/mkcapture_scenarios.h).
constexpr std::uint8_t kClientSubflowEndpointId = 3;
constexpr std::uint8_t kServerSignalEndpointId = 5;

bool IsV6(const std::string& scenario) { return scenario.ends_with("-v6"); }
bool IsChecksum(const std::string& scenario) { return scenario.starts_with("checksum"); }
bool IsFastclose(const std::string& scenario) { return scenario.starts_with("fastclose"); }

Side Other(Side s) { return s == Side::kClient ? Side::kServer : Side::kClient; }

class RealCaptureTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const RealCaptures& c = GetRealCaptures();
    if (!c.skip_reason.empty()) GTEST_SKIP() << c.skip_reason;
    ASSERT_TRUE(c.failure.empty()) << c.failure;
    auto trace = LoadTrace(c.PathOf(GetParam()));
    ASSERT_TRUE(trace.ok()) << trace.error();
    trace_ = std::move(*trace);
    ASSERT_FALSE(trace_.options.empty()) << trace_.path << " holds no MPTCP option";
    ASSERT_TRUE(trace_.client_key && trace_.server_key)
        << trace_.path << ": no MP_CAPABLE third ACK with both keys";
  }

  // The options of one type, with their trace entries.
  template <typename T>
  std::vector<std::pair<const TraceOption*, const T*>> All() const {
    std::vector<std::pair<const TraceOption*, const T*>> out;
    for (const TraceOption& o : trace_.options) {
      if (!o.decoded) continue;
      if (const T* v = std::get_if<T>(&o.decoded->option)) out.emplace_back(&o, v);
    }
    return out;
  }

  Side SenderOf(const TraceOption& o) const {
    auto side = trace_.SenderOf(trace_.SegmentOf(o));
    EXPECT_TRUE(side.has_value()) << "cannot tell who sent " << Describe(trace_, o);
    return side.value_or(Side::kClient);
  }
  std::uint64_t KeyOf(Side side) const { return *trace_.KeyOf(side); }

  Trace trace_;
};

TEST_P(RealCaptureTest, EveryMptcpOptionDecodesWithoutViolation) {
  EXPECT_THAT(trace_.problems, ::testing::IsEmpty());
  for (const TraceOption& o : trace_.options) {
    if (o.error) {
      ADD_FAILURE() << "rule " << codec::RuleName(o.error->rule) << " at byte "
                    << int{o.error->offset} << ": " << o.error->reason << "\n  "
                    << Describe(trace_, o);
      continue;
    }
    for (const codec::Violation& v : o.decoded->violations.view()) {
      ADD_FAILURE() << "rule " << codec::RuleName(v.rule) << " at byte " << int{v.offset} << ": "
                    << v.reason << "\n  " << Describe(trace_, o);
    }
  }
}

TEST_P(RealCaptureTest, EveryFormLinuxEmitsIsThere) {
  const std::string scenario = GetParam();
  std::set<std::string> forms;
  for (const TraceOption& o : trace_.options) {
    if (o.decoded) forms.insert(FormOf(o.decoded->option));
  }
  const std::string csum = IsChecksum(scenario) ? "+csum" : "";
  const std::string family = IsV6(scenario) ? "/v6" : "/v4";
  std::vector<std::string> want = {
      "mp_capable/syn", "mp_capable/synack", "mp_capable/ack", "mp_capable/data" + csum,
      "mp_join/syn", "mp_join/synack", "mp_join/ack",
      "dss/map" + csum, "dss/nomap",
      "add_addr/announce" + family, "add_addr/echo" + family,
      "remove_addr", "mp_prio"};
  if (IsFastclose(scenario)) {
    want.insert(want.end(), {"mp_fastclose", "mp_tcprst"});
  } else {
    want.push_back("dss/map" + csum + "+fin");
  }
  for (const std::string& form : want) {
    EXPECT_THAT(forms, Contains(form)) << trace_.path << " lacks " << form;
  }
  // No form of the other checksum mode, and none of the other family's addresses.
  for (const std::string& form : forms) {
    if (form.starts_with("dss/map") || form.starts_with("mp_capable/data")) {
      EXPECT_EQ(form.find("+csum") != std::string::npos, IsChecksum(scenario))
          << form << " in " << trace_.path;
    }
    if (form.starts_with("add_addr")) {
      EXPECT_TRUE(form.ends_with(family)) << form;
    }
    EXPECT_NE(form, "unknown");
    EXPECT_NE(form, "mp_fail");  // no checksum failure on a clean link
  }
}

TEST_P(RealCaptureTest, ChecksumFlagAMatchesTheScenario) {
  // RFC 8684 §3.1 (rule C5): A set in the SYN or SYN/ACK means checksums for the connection.
  int handshake_options = 0;
  for (const auto& [o, mpc] : All<codec::MpCapable>()) {
    if (!trace_.SegmentOf(*o).syn()) continue;
    ++handshake_options;
    EXPECT_EQ((mpc->flags & codec::kMpcFlagA) != 0, IsChecksum(GetParam())) << Describe(trace_, *o);
    EXPECT_NE(mpc->flags & codec::kMpcFlagH, 0) << Describe(trace_, *o);
  }
  EXPECT_GE(handshake_options, 2);
}

TEST_P(RealCaptureTest, KeysAreEchoedAndJoinTokensDeriveFromThem) {
  // C6: the third ACK echoes the key of the SYN/ACK.
  ASSERT_TRUE(trace_.synack_key.has_value());
  EXPECT_EQ(*trace_.synack_key, *trace_.server_key);
  EXPECT_NE(*trace_.client_key, *trace_.server_key);
  // K1 / J2: an MP_JOIN SYN carries the token of the key of the side it is sent to.
  int joins = 0;
  for (const auto& [o, join] : All<codec::MpJoin>()) {
    if (join->form != codec::JoinForm::kSyn) continue;
    ++joins;
    const Side receiver = Other(SenderOf(*o));
    EXPECT_EQ(join->token, crypto::Token(KeyOf(receiver)))
        << "expected: token of the receiver's key " << KeyOf(receiver) << "\n  "
        << Describe(trace_, *o);
  }
  EXPECT_GE(joins, 1);
}

TEST_P(RealCaptureTest, FirstDataSequenceNumberOfEachDirectionIsIdsnPlusOne) {
  // K1 / C7: the first data byte has DSN = IDSN + 1. Data sent in the 22/24-byte MP_CAPABLE
  // form carries no DSN (it is implicitly IDSN + 1), so the first DSS mapping then follows it.
  for (Side side : {Side::kClient, Side::kServer}) {
    std::uint64_t implicit = 0;
    for (const auto& [o, mpc] : All<codec::MpCapable>()) {
      if (mpc->data_level_length && SenderOf(*o) == side) implicit = *mpc->data_level_length;
    }
    std::optional<std::uint64_t> lowest;
    std::optional<bool> lowest_64;
    for (const auto& [o, dss] : All<codec::Dss>()) {
      if (!dss->has_mapping() || SenderOf(*o) != side) continue;
      // The earliest in sequence space (retransmissions and reordering do not matter).
      if (!lowest || static_cast<std::int64_t>(dss->dsn - *lowest) < 0) {
        lowest = dss->dsn;
        lowest_64 = dss->dsn_64();
      }
    }
    ASSERT_TRUE(lowest.has_value())
        << "no DSS mapping from the " << (side == Side::kClient ? "client" : "server");
    const std::uint64_t idsn = crypto::Idsn(KeyOf(side));
    std::uint64_t want = idsn + 1 + implicit;
    if (!*lowest_64) want &= 0xffffffffu;  // rule D4: a 4-byte DSN is the low 32 bits
    EXPECT_EQ(*lowest, want) << (side == Side::kClient ? "client" : "server")
                             << ": expected: IDSN+1" << (implicit ? "+MP_CAPABLE data" : "")
                             << " = " << want << " actual: " << *lowest;
  }
}

TEST_P(RealCaptureTest, MpJoinHmacsAuthenticate) {
  // K2 / J3 / J4, RFC 8684 §3.2: SYN/ACK truncated HMAC(K_B‖K_A, R_B‖R_A) and third-ACK
  // HMAC(K_A‖K_B, R_A‖R_B), A being the side that sent the SYN.
  struct Join {
    Side a = Side::kClient;
    std::optional<std::uint32_t> nonce_a, nonce_b;
    std::optional<std::uint64_t> synack_hmac;
    std::optional<std::array<std::uint8_t, 20>> ack_hmac;
    const TraceOption* synack = nullptr;
    const TraceOption* ack = nullptr;
  };
  std::map<FlowKey, Join> joins;  // keyed by the SYN's direction
  for (const auto& [o, join] : All<codec::MpJoin>()) {
    const capture::TcpSegment& s = trace_.SegmentOf(*o);
    const FlowKey flow{s.src, s.dst, s.sport, s.dport};
    switch (join->form) {
      case codec::JoinForm::kSyn:
        joins[flow].a = SenderOf(*o);
        joins[flow].nonce_a = join->nonce;
        break;
      case codec::JoinForm::kSynAck:
        joins[flow.Reversed()].nonce_b = join->nonce;
        joins[flow.Reversed()].synack_hmac = join->truncated_hmac;
        joins[flow.Reversed()].synack = o;
        break;
      case codec::JoinForm::kAck:
        joins[flow].ack_hmac = join->hmac;
        joins[flow].ack = o;
        break;
    }
  }
  int verified = 0;
  for (const auto& [flow, j] : joins) {
    if (!j.nonce_a || !j.nonce_b) continue;  // a retransmitted piece without its partner
    const std::uint64_t key_a = KeyOf(j.a);
    const std::uint64_t key_b = KeyOf(Other(j.a));
    if (j.synack_hmac) {
      const std::uint64_t want = crypto::JoinSynAckHmac(key_b, key_a, *j.nonce_b, *j.nonce_a);
      EXPECT_EQ(*j.synack_hmac, want) << "expected: " << want << " actual: " << *j.synack_hmac
                                      << "\n  " << Describe(trace_, *j.synack);
    }
    if (j.ack_hmac) {
      const auto want = crypto::JoinAckHmac(key_a, key_b, *j.nonce_a, *j.nonce_b);
      EXPECT_EQ(Hex(*j.ack_hmac), Hex(want)) << Describe(trace_, *j.ack);
      ++verified;
    }
  }
  EXPECT_GE(verified, 1) << "no complete MP_JOIN handshake in " << trace_.path;
}

TEST_P(RealCaptureTest, AddAddrHmacAuthenticatesAndIsEchoed) {
  // K3 / A2: HMAC(K_sender‖K_receiver, ID‖address‖port); A4: the receiver echoes it.
  int announced = 0;
  int echoed = 0;
  for (const auto& [o, add] : All<codec::AddAddr>()) {
    const Side sender = SenderOf(*o);
    const std::span<const std::uint8_t> address(add->address.data(), add->ipv6 ? 16u : 4u);
    EXPECT_EQ(add->ipv6, IsV6(GetParam())) << Describe(trace_, *o);
    EXPECT_EQ(add->address_id, kServerSignalEndpointId) << Describe(trace_, *o);
    if (add->echo) {
      EXPECT_EQ(sender, Side::kClient) << Describe(trace_, *o);
      EXPECT_FALSE(add->hmac.has_value()) << Describe(trace_, *o);
      ++echoed;
      continue;
    }
    ++announced;
    EXPECT_EQ(sender, Side::kServer) << Describe(trace_, *o);
    ASSERT_TRUE(add->hmac.has_value()) << Describe(trace_, *o);
    const std::uint64_t want = crypto::AddAddrHmac(KeyOf(sender), KeyOf(Other(sender)),
                                                   add->address_id, address, add->port);
    EXPECT_EQ(*add->hmac, want) << "expected: " << want << " actual: " << *add->hmac << "\n  "
                                << Describe(trace_, *o);
  }
  EXPECT_GE(announced, 1);
  EXPECT_GE(echoed, 1);
}

TEST_P(RealCaptureTest, MpPrioAndRemoveAddrFollowThePathManagerCommands) {
  // `ip mptcp endpoint change id 3 backup` in the client: MP_PRIO B=1 from the client.
  const auto prios = All<codec::MpPrio>();
  ASSERT_FALSE(prios.empty());
  for (const auto& [o, prio] : prios) {
    EXPECT_TRUE(prio->backup) << Describe(trace_, *o);
    EXPECT_EQ(SenderOf(*o), Side::kClient) << Describe(trace_, *o);
  }
  // `ip mptcp endpoint delete id 5` in the server: REMOVE_ADDR [5] from the server.
  const auto removes = All<codec::RemoveAddr>();
  ASSERT_FALSE(removes.empty());
  for (const auto& [o, rm] : removes) {
    EXPECT_EQ(SenderOf(*o), Side::kServer) << Describe(trace_, *o);
    const auto ids = rm->address_ids.view();
    EXPECT_THAT(std::vector<std::uint8_t>(ids.begin(), ids.end()),
                Contains(kServerSignalEndpointId))
        << Describe(trace_, *o);
  }
  // The client's subflow endpoint is the source of its joins (J9: IDs per sender).
  bool join_from_endpoint = false;
  for (const auto& [o, join] : All<codec::MpJoin>()) {
    if (join->form == codec::JoinForm::kSyn && join->address_id == kClientSubflowEndpointId) {
      join_from_endpoint = true;
    }
  }
  EXPECT_TRUE(join_from_endpoint);
}

// Payload bytes of one subflow direction, by sequence number relative to its ISN.
class SubflowBytes {
 public:
  void Add(std::uint32_t relative_seq, std::span<const std::uint8_t> bytes) {
    if (!bytes.empty()) pieces_[relative_seq].assign(bytes.begin(), bytes.end());
  }
  // Bytes [start, start + length), or nullopt when the capture misses some.
  std::optional<std::vector<std::uint8_t>> Get(std::uint32_t start, std::uint32_t length) const {
    std::vector<std::uint8_t> out;
    std::uint32_t pos = start;
    for (int guard = 0; out.size() < length && guard < 100000; ++guard) {
      auto it = pieces_.upper_bound(pos);
      if (it == pieces_.begin()) return std::nullopt;
      --it;
      const std::uint32_t off = pos - it->first;
      if (off >= it->second.size()) return std::nullopt;
      const std::size_t take = std::min<std::size_t>(it->second.size() - off, length - out.size());
      out.insert(out.end(), it->second.begin() + off, it->second.begin() + off + take);
      pos += static_cast<std::uint32_t>(take);
    }
    if (out.size() != length) return std::nullopt;
    return out;
  }

 private:
  std::map<std::uint32_t, std::vector<std::uint8_t>> pieces_;
};

TEST_P(RealCaptureTest, DssChecksumsCoverTheMappedPayload) {
  // K4 / D3, RFC 8684 §3.3.1: one's-complement sum of {DSN, SSN, length, 0} and the whole
  // mapped payload, which may span several segments of the subflow.
  std::map<FlowKey, SubflowBytes> flows;
  for (const capture::CapturedSegment& seg : trace_.segments) {
    const capture::TcpSegment& s = seg.tcp;
    const FlowKey flow{s.src, s.dst, s.sport, s.dport};
    auto isn = trace_.isn.find(flow);
    if (isn == trace_.isn.end() || !s.payload_complete()) continue;
    flows[flow].Add(s.seq - isn->second, s.payload);
  }
  int verified = 0;
  int unverifiable = 0;
  auto check = [&](const TraceOption& o, std::uint64_t dsn, std::uint32_t ssn, std::uint16_t dll,
                   bool data_fin, std::uint16_t wire) {
    const capture::TcpSegment& s = trace_.SegmentOf(o);
    const std::uint32_t bytes = dll - (data_fin ? 1u : 0u);  // DATA_FIN takes a DSN, no byte
    std::optional<std::vector<std::uint8_t>> payload = std::vector<std::uint8_t>{};
    if (bytes > 0) payload = flows[FlowKey{s.src, s.dst, s.sport, s.dport}].Get(ssn, bytes);
    if (!payload) {
      ++unverifiable;
      return;
    }
    crypto::DssChecksum sum(dsn, ssn, dll);
    sum.Add(*payload);
    EXPECT_EQ(sum.Finish(), wire) << "expected: 0x" << std::hex << sum.Finish() << " actual: 0x"
                                  << wire << std::dec << "\n  " << Describe(trace_, o);
    ++verified;
  };
  for (const auto& [o, dss] : All<codec::Dss>()) {
    if (!dss->has_mapping()) continue;
    EXPECT_EQ(dss->checksum.has_value(), IsChecksum(GetParam())) << Describe(trace_, *o);
    if (!dss->checksum) continue;
    std::uint64_t dsn = dss->dsn;
    if (!dss->dsn_64()) {
      // D4: widen a 4-byte DSN with the sender's IDSN high bits (no wrap in these short runs).
      const std::uint64_t idsn = crypto::Idsn(KeyOf(SenderOf(*o)));
      dsn = (idsn & ~0xffffffffull) | dss->dsn;
    }
    check(*o, dsn, dss->ssn, dss->data_level_length, dss->data_fin(), *dss->checksum);
  }
  for (const auto& [o, mpc] : All<codec::MpCapable>()) {
    if (!mpc->checksum) continue;
    // C8: the 24-byte form maps its payload at DSN = IDSN + 1, SSN 1.
    check(*o, crypto::Idsn(*mpc->sender_key) + 1, 1, *mpc->data_level_length, false,
          *mpc->checksum);
  }
  if (IsChecksum(GetParam())) {
    EXPECT_GE(verified, 10) << unverifiable << " mappings could not be verified";
    EXPECT_LE(unverifiable, verified / 4) << "too many mappings without their payload";
  } else {
    EXPECT_EQ(verified, 0);
  }
}

TEST_P(RealCaptureTest, FastcloseCarriesTheReceiversKeyOnResets) {
  const auto closes = All<codec::MpFastclose>();
  const auto resets = All<codec::MpTcpRst>();
  if (!IsFastclose(GetParam())) {
    EXPECT_TRUE(closes.empty());
    return;
  }
  ASSERT_FALSE(closes.empty());
  for (const auto& [o, fc] : closes) {
    // RFC 8684 §3.5: the option carries the key of the host it is sent to.
    const Side sender = SenderOf(*o);
    EXPECT_EQ(sender, Side::kClient) << Describe(trace_, *o);
    EXPECT_EQ(fc->receiver_key, KeyOf(Other(sender)))
        << "expected: receiver's key " << KeyOf(Other(sender)) << " actual: " << fc->receiver_key
        << "\n  " << Describe(trace_, *o);
  }
  // Linux resets every subflow with MP_FASTCLOSE + MP_TCPRST (§3.6) on the RST.
  ASSERT_FALSE(resets.empty());
  for (const auto& [o, rst] : resets) {
    EXPECT_TRUE(trace_.SegmentOf(*o).rst()) << Describe(trace_, *o);
    EXPECT_EQ(rst->flags & codec::kTcpRstFlagsUvw, 0) << Describe(trace_, *o);
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, RealCaptureTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(RealCaptureToolTest, ListNamesEveryScenarioTheTestsCover) {
  const ToolRun run = RunTool({MkcapturePath(), "--list"}, std::chrono::seconds(10));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const std::string& name : ScenarioNames()) {
    EXPECT_NE(run.out.find(name + "\t"), std::string::npos) << name;
  }
  EXPECT_NE(run.out.find("all\t"), std::string::npos);
}

TEST(RealCaptureToolTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunTool({MkcapturePath()}, std::chrono::seconds(10)).exit_code, 2);
  EXPECT_EQ(RunTool({MkcapturePath(), "--scenario", "no-such", "--out", "/tmp/x.pcap"},
                    std::chrono::seconds(10))
                .exit_code,
            2);
  EXPECT_EQ(RunTool({MkcapturePath(), "--bogus-flag"}, std::chrono::seconds(10)).exit_code, 2);
}

}  // namespace
}  // namespace mpdrill::tests
