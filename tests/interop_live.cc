#include "tests/interop_live.h"

#include <algorithm>
#include <cstdlib>

#include "base/files.h"
#include "sandbox/sandbox_error.h"

namespace mpdrill::tests {
namespace {

using namespace std::chrono_literals;
using Steps = std::vector<fuzz::LiveStep>;

// mpdrill's ISN and key (any; fixed so a cell's packets are the same from run to run, up to
// the kernel's choices).
constexpr std::uint32_t kIsn = 0x10000000;
constexpr std::uint64_t kKey = 0x6d7064726931'6c6dull | 1;
constexpr std::uint32_t kWrite = 8000;  // the largest application write of a step
constexpr auto kBound = 20s;            // 24 steps of at most 60 ms each, the set-up, the end

// A full-size segment of data under a conforming DSS mapping (with the DATA_ACK).
fuzz::DataStep Data(std::uint8_t flow) {
  return {.how = 0, .flow = flow, .length = fuzz::kLiveMss};
}
// The kernel's application writes; mpdrill acknowledges on `flow`.
fuzz::AppWriteStep Write(std::uint8_t flow) { return {.bytes = kWrite, .flow = flow}; }
// ADD_ADDR of mpdrill's address 192.0.2.<last> (2001:db8::<last>) with the right HMAC. The
// id must be the one live_fuzzer's MP_JOIN SYN/ACK names when the kernel joins that address:
// the number of subflows it then has, the join included (2 for the first join). Another id
// would give one address two ids, and REMOVE_ADDR of the announced one would name no subflow
// the kernel has.
fuzz::AddAddrStep AddAddr(std::uint8_t id, std::uint8_t last, bool ipv6) {
  return {.how = static_cast<std::uint8_t>(ipv6 ? 0x02 : 0), .address_id = id, .last_byte = last};
}
// A subflow mpdrill opens from its own address (address id 0: the initial subflow's).
fuzz::JoinStep Join(std::uint32_t n) {
  return {.how = 0, .isn = kIsn + n * 0x01000000u, .nonce = 0x6a6f696e + n, .address_id = 0};
}
// The kernel's timers and path manager: 30 ms.
fuzz::WaitStep Pause() { return {.milliseconds = 30}; }
// The close of mpdrill's side: a DATA_ACK, then DATA_FIN and FIN on the initial subflow.
void Close(Steps& s) {
  s.push_back(fuzz::DataAckStep{});
  s.push_back(fuzz::FinStep{.how = 0x03, .flow = 0});
}
// Before an ADD_ADDR: a mapping. Linux as client ignored (did not echo, did not join) an
// ADD_ADDR that came on a pure ACK right after its third ACK, before any DSS from the server,
// in one run under load; the RFC's sender would retransmit it, live_fuzzer does not.
void Established(Steps& s) { s.push_back(Data(0)); }

// The subflows besides the initial one: mpdrill opens two (client), or announces two
// addresses the kernel's path manager joins (server: the kernel is the client).
void TwoMoreSubflows(Steps& s, LiveRole role, bool ipv6) {
  if (role == LiveRole::kClient) {
    s.push_back(Join(1));
    s.push_back(Join(2));
  } else {
    Established(s);
    s.push_back(AddAddr(2, 2, ipv6));
    s.push_back(AddAddr(3, 3, ipv6));
  }
  s.push_back(Pause());
}

// `n` times: a mapping from mpdrill and a write by the kernel, on `flow`.
void BothWays(Steps& s, int n, std::uint8_t flow) {
  for (int i = 0; i < n; ++i) {
    s.push_back(Data(flow));
    s.push_back(Write(flow));
  }
}

Steps Bulk(LiveRole, bool) {
  Steps s;
  BothWays(s, 10, 0);
  Close(s);
  return s;
}

Steps Subflows(LiveRole role, bool ipv6) {
  Steps s;
  TwoMoreSubflows(s, role, ipv6);
  for (std::uint8_t i = 0; i < 4; ++i) {
    s.push_back(Data(0));
    s.push_back(Data(1));
    s.push_back(Data(2));
    s.push_back(Write(static_cast<std::uint8_t>(i % 3)));
  }
  Close(s);
  return s;
}

// ADD_ADDR (as server the kernel joins it, as client it need not), data, REMOVE_ADDR (the
// kernel closes its join), data on the initial subflow.
Steps AddRemove(LiveRole, bool ipv6) {
  Steps s;
  Established(s);
  s.push_back(AddAddr(2, 2, ipv6));
  s.push_back(Pause());
  for (int i = 0; i < 3; ++i) {
    s.push_back(Data(0));
    s.push_back(Data(1));
    s.push_back(Write(1));
  }
  s.push_back(fuzz::RemoveAddrStep{.address_ids = {2}, .flow = 0});
  s.push_back(Pause());
  BothWays(s, 3, 0);
  Close(s);
  return s;
}

// A second subflow, then MP_PRIO backup on the initial one: the kernel's data moves to the
// second.
Steps Backup(LiveRole role, bool ipv6) {
  Steps s;
  if (role == LiveRole::kClient) {
    s.push_back(Join(1));
  } else {
    Established(s);
    s.push_back(AddAddr(2, 2, ipv6));
  }
  s.push_back(Pause());
  s.push_back(Data(0));
  s.push_back(Data(1));
  s.push_back(Write(0));
  s.push_back(fuzz::MpPrioStep{.backup = true, .flow = 0});
  BothWays(s, 6, 1);
  Close(s);
  return s;
}

// Data both ways, then MP_FASTCLOSE with the kernel's key on an ACK (RFC 8684 §3.5): the
// kernel answers with RST.
Steps Fastclose(LiveRole, bool) {
  Steps s;
  BothWays(s, 5, 0);
  s.push_back(fuzz::FastcloseStep{.key_xor = 0, .rst = false});
  s.push_back(Pause());
  return s;
}

std::vector<LiveScenario> MakeLiveScenarios() {
  return {
      {"bulk",
       "10 mappings of 1400 bytes from mpdrill, 10 writes of 8000 bytes by the kernel, "
       "DATA_ACKs, DATA_FIN",
       false, Bulk},
      {"bulk-csum", "bulk with DSS checksums (mpdrill's MP_CAPABLE sets A)", true, Bulk},
      {"subflows",
       "3 subflows: mpdrill opens 2 joins (client), or announces 2 addresses the "
       "kernel joins (server); data on all three",
       false, Subflows},
      {"add-remove", "ADD_ADDR (the kernel as client joins it), data, REMOVE_ADDR, data", false,
       AddRemove},
      {"backup",
       "a second subflow, then MP_PRIO backup on the initial one: the kernel's data "
       "moves",
       false, Backup},
      {"fastclose", "data both ways, then MP_FASTCLOSE on an ACK: the kernel resets", false,
       Fastclose},
  };
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

}  // namespace

const std::vector<LiveScenario>& LiveScenarios() {
  static const std::vector<LiveScenario> scenarios = MakeLiveScenarios();
  return scenarios;
}

const LiveScenario* FindLiveScenario(std::string_view name) {
  for (const LiveScenario& s : LiveScenarios()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

fuzz::LiveInput LiveScenarioInput(const LiveScenario& scenario, LiveRole role, int ip_version) {
  fuzz::LiveInput input;
  input.header.isn = kIsn;
  input.header.key = kKey;
  input.header.how = static_cast<std::uint8_t>(
      (scenario.checksums ? fuzz::kHowChecksums : 0) |
      (role == LiveRole::kServer ? fuzz::kHowKernelClient : 0) |
      (ip_version == 6 ? fuzz::kHowFamily : 0));  // as DecodeLiveInput has it
  input.header.family = ip_version == 6 ? run::IpVersion::kIpv6 : run::IpVersion::kIpv4;
  input.steps = scenario.steps(role, ip_version == 6);
  return input;
}

LiveTraffic LiveScenarioTraffic(const fuzz::LiveInput& input) {
  LiveTraffic t;
  for (const fuzz::LiveStep& step : input.steps) {
    if (const auto* d = std::get_if<fuzz::DataStep>(&step)) t.mpdrill_sent += d->length;
    if (const auto* w = std::get_if<fuzz::AppWriteStep>(&step)) t.kernel_wrote += w->bytes;
  }
  return t;
}

LiveLog ParseLiveLog(std::string_view text) {
  constexpr std::string_view kPrefix = "live_fuzzer: ";
  constexpr std::string_view kModel = "model: ";
  LiveLog log;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.starts_with(kPrefix)) continue;
    line = Trim(line.substr(kPrefix.size()));
    if (line.starts_with("skipped: ")) {
      log.skip_reason = std::string(line.substr(9));
    } else if (line.find(" packets, kernel key ") != std::string_view::npos) {
      // "89 packets, kernel key learnt, 1 subflow(s) opened, 0 deliberate finding(s)"
      log.summary = std::string(line);
      log.packets = std::strtoull(log.summary.c_str(), nullptr, 10);
      if (const std::size_t key = line.find(", kernel key learnt, "); key != line.npos) {
        log.subflows = std::strtoull(log.summary.c_str() + key + 21, nullptr, 10);
      }
      if (const std::size_t comma = line.rfind(", "); comma != line.npos) {
        log.deliberate = std::strtoull(log.summary.c_str() + comma + 2, nullptr, 10);
      }
    } else if (line.starts_with(kModel) && !line.starts_with("model: deliberate: ")) {
      // "model: D10 (RFC 8684 §3.3.2) packet 12 ...": the verbose block and Judge print
      // each finding; a rule is named once.
      const std::string rule(
          line.substr(kModel.size(), line.find(' ', kModel.size()) - kModel.size()));
      if (std::find(log.kernel_rules.begin(), log.kernel_rules.end(), rule) ==
          log.kernel_rules.end()) {
        log.kernel_rules.push_back(rule);
      }
      if (log.first_finding.empty()) log.first_finding = std::string(line);
    }
  }
  return log;
}

CellResult RunLiveCell(const LiveCellConfig& config, const LiveScenario& scenario, LiveRole role,
                       InteropPeer& kernel) {
  CellResult result;
  result.one_capture = true;
  if (auto st = kernel.Reset(); !st.ok()) {
    (st.error().code == sandbox::SandboxErrorCode::kPermission ? result.skip_reason
                                                               : result.failure) =
        kernel.Name() + ": reset: " + st.error().message;
    return result;
  }
  auto release = kernel.KernelRelease();
  (role == LiveRole::kClient ? result.server_kernel : result.client_kernel) =
      release ? *release : "?";
  (role == LiveRole::kClient ? result.client_kernel : result.server_kernel) = "none";
  const fuzz::LiveInput input = LiveScenarioInput(scenario, role, config.ip_version);
  const std::vector<std::uint8_t> bytes = fuzz::EncodeLiveInput(input);
  std::string described = fuzz::DescribeHeader(input.header) + "\n";
  for (const fuzz::LiveStep& step : input.steps) described += fuzz::DescribeStep(step) + "\n";
  const std::string input_path = config.out_dir + "/input.bin";
  if (!WriteFile(input_path,
                 std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()))
           .ok() ||
      !WriteFile(config.out_dir + "/input.txt", described).ok()) {
    result.failure = "cannot write " + input_path;
    return result;
  }
  result.client_pcap = config.out_dir + "/link.pcap";
  const std::string log_path = config.out_dir + "/live_fuzzer.log";
  const auto start = std::chrono::steady_clock::now();
  auto job = kernel.Start({"env", "MPDRILL_LIVE_FUZZ_PCAP=" + result.client_pcap,
                           "MPDRILL_LIVE_FUZZ_VERBOSE=1", config.live_fuzzer, input_path},
                          log_path);
  if (!job) {
    result.failure = "live_fuzzer: " + job.error().message;
    return result;
  }
  const auto code = (*job)->Wait(kBound);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto text = ReadFile(log_path, 1 << 20);
  const LiveLog log = ParseLiveLog(text ? *text : "");
  const LiveTraffic traffic = LiveScenarioTraffic(input);
  const std::string output = "mpdrill sent=" + std::to_string(traffic.mpdrill_sent) +
                             " kernel wrote=" + std::to_string(traffic.kernel_wrote) +
                             " packets=" + std::to_string(log.packets) +
                             " subflows=" + std::to_string(log.subflows) +
                             " seconds=" + std::to_string(result.seconds).substr(0, 4);
  result.client_output = output;
  result.server_output = output;
  result.live_rules = log.kernel_rules;
  if (!log.skip_reason.empty()) {
    result.skip_reason = "live_fuzzer: " + log.skip_reason;
  } else if (!code) {
    result.failure = "live_fuzzer: " + code.error().message;
  } else if (*code != 0 || log.summary.empty()) {
    result.failure = "live_fuzzer exit " + std::to_string(*code) +
                     (log.first_finding.empty() ? "" : ": the live model: " + log.first_finding);
  } else if (log.deliberate != 0) {
    result.failure = "mpdrill broke " + std::to_string(log.deliberate) +
                     " rule(s) of its own model in a conforming scenario (live_fuzzer.log)";
  }
  return result;
}

}  // namespace mpdrill::tests
