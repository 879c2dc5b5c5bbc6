// The same real captures through tshark: for every frame with MPTCP options, the field values
// tshark shows (keys, tokens, nonces, HMACs, DSN/SSN/DATA_ACK raw values, lengths, address
// IDs) equal what engine/codec decoded. Skipped when tshark is not installed.
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "tests/mptcp_trace.h"
#include "tests/real_captures.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {
namespace {

// tshark field names (tshark -G fields | grep tcp.options.mptcp), in column order.
const std::vector<std::string>& Fields() {
  static const std::vector<std::string> fields = {
      "tcp.options.mptcp.sendkey",       "tcp.options.mptcp.recvkey",
      "tcp.options.mptcp.recvtok",       "tcp.options.mptcp.sendrand",
      "tcp.options.mptcp.sendtrunchmac", "tcp.options.mptcp.sendhmac",
      "tcp.options.mptcp.rawdataseqno",  "tcp.options.mptcp.subflowseqno",
      "tcp.options.mptcp.rawdataack",    "tcp.options.mptcp.datalvllen",
      "tcp.options.mptcp.addrid",        "tcp.options.mptcp.addaddrtrunchmac",
  };
  return fields;
}
enum Column {
  kSendKey, kRecvKey, kRecvTok, kSendRand, kSendTruncHmac, kSendHmac,
  kRawDsn, kSsn, kRawDataAck, kDll, kAddrId, kAddAddrHmac, kColumns
};

using FrameFields = std::vector<std::vector<std::string>>;  // [column] -> values in order

// What tshark should show for the options of one frame, from our decode.
void Expect(const codec::Option& option, FrameFields* f) {
  auto add = [f](Column c, auto value) { (*f)[c].push_back(std::to_string(value)); };
  if (const auto* mpc = std::get_if<codec::MpCapable>(&option)) {
    if (mpc->sender_key) add(kSendKey, *mpc->sender_key);
    if (mpc->receiver_key) add(kRecvKey, *mpc->receiver_key);
    if (mpc->data_level_length) add(kDll, *mpc->data_level_length);
  } else if (const auto* join = std::get_if<codec::MpJoin>(&option)) {
    switch (join->form) {
      case codec::JoinForm::kSyn:
        add(kRecvTok, join->token);
        add(kSendRand, join->nonce);
        add(kAddrId, join->address_id);
        break;
      case codec::JoinForm::kSynAck:
        add(kSendTruncHmac, join->truncated_hmac);
        add(kSendRand, join->nonce);
        add(kAddrId, join->address_id);
        break;
      case codec::JoinForm::kAck:
        (*f)[kSendHmac].push_back(Hex(join->hmac));
        break;
    }
  } else if (const auto* dss = std::get_if<codec::Dss>(&option)) {
    if (dss->has_data_ack()) add(kRawDataAck, dss->data_ack);
    if (dss->has_mapping()) {
      add(kRawDsn, dss->dsn);
      add(kSsn, dss->ssn);
      add(kDll, dss->data_level_length);
    }
  } else if (const auto* a = std::get_if<codec::AddAddr>(&option)) {
    add(kAddrId, a->address_id);
    if (a->hmac) add(kAddAddrHmac, *a->hmac);
  } else if (const auto* rm = std::get_if<codec::RemoveAddr>(&option)) {
    for (std::uint8_t id : rm->address_ids.view()) add(kAddrId, id);
  } else if (const auto* fc = std::get_if<codec::MpFastclose>(&option)) {
    add(kRecvKey, fc->receiver_key);  // tshark shows the fast-close key as "Receiver's Key"
  }
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::string FindTshark() {
  for (const char* p : {"/usr/bin/tshark", "/usr/local/bin/tshark"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

class TsharkFieldTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TsharkFieldTest, FieldValuesMatchTheCodec) {
  const RealCaptures& c = GetRealCaptures();
  if (!c.skip_reason.empty()) GTEST_SKIP() << c.skip_reason;
  ASSERT_TRUE(c.failure.empty()) << c.failure;
  const std::string tshark = FindTshark();
  if (tshark.empty()) GTEST_SKIP() << "tshark is not installed";
  const std::string path = c.PathOf(GetParam());
  auto trace = LoadTrace(path);
  ASSERT_TRUE(trace.ok()) << trace.error();

  std::vector<std::string> argv = {tshark, "-n", "-r", path, "-Y", "mptcp", "-T", "fields",
                                   "-E", "separator=/t", "-E", "occurrence=a",
                                   "-E", "aggregator=,", "-e", "frame.number"};
  for (const std::string& f : Fields()) {
    argv.push_back("-e");
    argv.push_back(f);
  }
  const ToolRun run = RunTool(argv, std::chrono::seconds(60));
  ASSERT_EQ(run.exit_code, 0) << run.err;

  std::map<std::uint64_t, FrameFields> ours;
  for (const TraceOption& o : trace->options) {
    if (!o.decoded) continue;
    auto [it, inserted] = ours.try_emplace(trace->FrameOf(o), FrameFields(kColumns));
    Expect(o.decoded->option, &it->second);
  }
  std::size_t frames = 0;
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    const std::vector<std::string> cols = Split(line, '\t');
    ASSERT_EQ(cols.size(), Fields().size() + 1) << line;
    const std::uint64_t frame = std::stoull(cols[0]);
    auto it = ours.find(frame);
    ASSERT_NE(it, ours.end()) << "tshark sees MPTCP in frame " << frame << ", the codec does not";
    ++frames;
    for (std::size_t i = 0; i < Fields().size(); ++i) {
      EXPECT_EQ(cols[i + 1], Join(it->second[i]))
          << path << " frame " << frame << " " << Fields()[i] << ": expected (tshark): "
          << cols[i + 1] << " actual (codec): " << Join(it->second[i]);
    }
  }
  EXPECT_EQ(frames, ours.size()) << "frames with MPTCP options: tshark vs codec";
  EXPECT_GT(frames, 20u);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, TsharkFieldTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace mpdrill::tests
