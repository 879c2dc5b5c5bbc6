// The input layout of live_fuzzer (docs/fuzzing.md, "Against the live kernel"), decoded into
// data: a header (roles, ISN, key, address family, what the handshake breaks) and up to 24
// steps, each an action with its arguments. live_fuzzer.cc executes these steps against the
// kernel; the finding script writer (fuzz/live_script.h) turns the same steps into packetdrill
// script events, so the bytes are read in one place only.
//
// Bytes are read front to back; once they run out every read is 0, and 0 always means "the
// conforming choice": an empty input is a clean MPTCP handshake over IPv4. Every field is read
// whatever the kernel later does (the harness skips a step's remainder when the kernel did
// not answer, but the bytes were consumed here), so decoding is a function of the bytes alone.
#ifndef MPDRILL_FUZZ_LIVE_INPUT_H_
#define MPDRILL_FUZZ_LIVE_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "engine/run/run_config.h"

namespace mpdrill::fuzz {

inline constexpr std::size_t kLiveMaxInput = 4096;  // bytes past this are ignored
inline constexpr std::size_t kLiveMaxSteps = 24;
inline constexpr std::uint32_t kLiveMss = 1400;
// The kernel's TCP buffers in live_fuzzer's namespace and in the scripts of its findings: the
// upstream MPTCP suite's (scripts/mptcp/common/defaults.sh), so both see the same windows.
inline constexpr const char* kLiveTcpRmem = "net.ipv4.tcp_rmem=4096 540000 15728640";
inline constexpr const char* kLiveTcpWmem = "net.ipv4.tcp_wmem=4096 262144 4194304";

// Bits of the handshake byte.
inline constexpr std::uint8_t kHowChecksums = 0x01;     // DSS checksums requested
inline constexpr std::uint8_t kHowAnyFlags = 0x02;      // any MP_CAPABLE flag byte follows
inline constexpr std::uint8_t kHowAnyVersion = 0x04;    // any version (low nibble) follows
inline constexpr std::uint8_t kHowWrongKey = 0x08;      // server: third ACK echoes key ^ U64
                                                        // client: SYN/ACK without a key
inline constexpr std::uint8_t kHowNoMpCapable = 0x10;   // third ACK / SYN/ACK without MPC
inline constexpr std::uint8_t kHowKernelClient = 0x20;  // the kernel connects to mpdrill
inline constexpr std::uint8_t kHowRefuseJoins = 0x40;   // kernel-opened subflows get RST
inline constexpr std::uint8_t kHowFamily = 0x80;        // a family byte follows (mod 3)

struct LiveHeader {
  std::uint32_t isn = 0;  // mpdrill's, initial subflow
  std::uint64_t key = 1;  // mpdrill's (odd)
  std::uint8_t how = 0;
  run::IpVersion family = run::IpVersion::kIpv4;
  std::optional<std::uint8_t> mpc_flags;  // kHowAnyFlags: the whole flag byte
  std::optional<std::uint8_t> version;    // kHowAnyVersion: 0-15
  std::uint64_t wrong_key_xor = 0;        // kHowWrongKey as server: XOR on the echoed key

  bool checksums() const { return how & kHowChecksums; }
  bool kernel_client() const { return how & kHowKernelClient; }
  bool refuse_joins() const { return how & kHowRefuseJoins; }
  bool wrong_key() const { return how & kHowWrongKey; }
  bool no_mp_capable() const { return how & kHowNoMpCapable; }
  friend bool operator==(const LiveHeader&, const LiveHeader&) = default;
};

// Step arguments. `flow` bytes pick a subflow (modulo the number open, the initial one when
// the picked one never got the kernel's SYN).
struct DataStep {          // action 0: data under a DSS mapping
  std::uint8_t how = 0;    // 0x01 no DSS, 0x02 DSN delta, 0x04 32-bit DSN, 0x08 other length,
                           // 0x10 SSN delta, 0x20 wrong checksum, 0x40 DATA_FIN inside
  std::uint8_t flow = 0;
  std::uint32_t length = 1;  // payload bytes, 1..kLiveMss
  std::int16_t dsn_delta = 0;
  std::optional<std::uint16_t> data_level_length;  // 0x08
  std::uint16_t ssn_delta = 0;
  std::uint16_t checksum_xor = 0;  // 0x20 with checksums: never 0
  bool no_dss() const { return how & 0x01; }
  bool dsn32() const { return how & 0x04; }
  bool data_fin() const { return how & 0x40; }
  bool conforming_mapping() const { return (how & 0x1a) == 0; }  // advances mpdrill's DSN
  friend bool operator==(const DataStep&, const DataStep&) = default;
};
struct DataAckStep {  // action 1
  std::uint8_t how = 0;  // 0x01 DATA_ACK off by `delta`, 0x02 32-bit
  std::int16_t delta = 0;
  std::uint8_t flow = 0;
  friend bool operator==(const DataAckStep&, const DataAckStep&) = default;
};
struct AddAddrStep {  // action 2
  std::uint8_t how = 0;  // 0x01 echo, 0x02 IPv6, 0x04 port, 0x08 wrong HMAC
  std::uint8_t address_id = 0;
  std::uint8_t last_byte = 0;  // 192.0.2.<b> or 2001:db8::<b>
  std::optional<std::uint16_t> port;
  std::uint64_t hmac_xor = 0;  // 0x08 without echo: odd
  std::uint8_t flow = 0;
  bool echo() const { return how & 0x01; }
  bool ipv6() const { return how & 0x02; }
  friend bool operator==(const AddAddrStep&, const AddAddrStep&) = default;
};
struct RemoveAddrStep {  // action 3
  std::vector<std::uint8_t> address_ids;  // 1-4
  std::uint8_t flow = 0;
  friend bool operator==(const RemoveAddrStep&, const RemoveAddrStep&) = default;
};
struct MpPrioStep {  // action 4
  bool backup = false;
  std::uint8_t flow = 0;
  friend bool operator==(const MpPrioStep&, const MpPrioStep&) = default;
};
struct MpFailStep {  // action 5: MP_FAIL for mpdrill's DSN minus `back`
  std::uint16_t back = 0;
  bool rst = false;
  std::uint8_t flow = 0;
  friend bool operator==(const MpFailStep&, const MpFailStep&) = default;
};
struct FastcloseStep {  // action 6, on the initial subflow: the kernel's key XOR `key_xor`
  std::uint64_t key_xor = 0;
  bool rst = false;
  friend bool operator==(const FastcloseStep&, const FastcloseStep&) = default;
};
struct JoinStep {  // action 7: a new subflow from mpdrill
  std::uint8_t how = 0;  // 0x01 wrong token, 0x02 backup, 0x04 wrong HMAC, 0x08 no MP_JOIN in
                         // the third ACK
  std::uint32_t isn = 0;
  std::uint32_t nonce = 0;
  std::uint32_t token_xor = 0;  // 0x01: odd
  std::uint8_t address_id = 0;
  std::uint8_t hmac_byte = 0;  // 0x04: which of the 20 HMAC bytes is flipped (mod 20)
  friend bool operator==(const JoinStep&, const JoinStep&) = default;
};
struct RawStep {  // action 8: raw kind-30 bytes
  std::vector<std::uint8_t> option;  // kind 30, the input's length byte, body (2-31 bytes)
  bool payload = false;              // 100 bytes of data with it
  std::uint8_t flow = 0;
  friend bool operator==(const RawStep&, const RawStep&) = default;
};
struct FinStep {  // action 9
  std::uint8_t how = 0;  // 0x01 DATA_FIN (SSN 0, length 1), 0x02 TCP FIN
  std::uint8_t flow = 0;
  friend bool operator==(const FinStep&, const FinStep&) = default;
};
struct TcpRstStep {  // action 10: RST with MP_TCPRST
  std::uint8_t reason = 0;
  std::uint8_t flags = 0;  // 0-15
  std::uint8_t flow = 0;
  friend bool operator==(const TcpRstStep&, const TcpRstStep&) = default;
};
struct WaitStep {  // action 11: the kernel's timers
  std::uint8_t milliseconds = 0;  // 0-39
  friend bool operator==(const WaitStep&, const WaitStep&) = default;
};
struct AppWriteStep {  // action bytes 0xf0-0xff: the kernel's application writes
  std::uint32_t bytes = 1;  // 1-8000
  std::uint8_t flow = 0;    // where mpdrill's acknowledgement goes
  friend bool operator==(const AppWriteStep&, const AppWriteStep&) = default;
};

using LiveStep = std::variant<DataStep, DataAckStep, AddAddrStep, RemoveAddrStep, MpPrioStep,
                              MpFailStep, FastcloseStep, JoinStep, RawStep, FinStep, TcpRstStep,
                              WaitStep, AppWriteStep>;

struct LiveInput {
  LiveHeader header;
  std::vector<LiveStep> steps;
  friend bool operator==(const LiveInput&, const LiveInput&) = default;
};

// Never fails: every byte string is an input.
LiveInput DecodeLiveInput(std::span<const std::uint8_t> bytes);
// The bytes of an input: DecodeLiveInput(EncodeLiveInput(x)) == x for every decoded x (and
// for any x whose fields are in their decoded ranges). What `mpdrill fuzz minimize` writes
// after dropping steps.
std::vector<std::uint8_t> EncodeLiveInput(const LiveInput& input);

// One line per step for triage ("join how=0x04 isn=0x5000 ..."), and the step's action name.
std::string DescribeStep(const LiveStep& step);
std::string DescribeHeader(const LiveHeader& header);

}  // namespace mpdrill::fuzz

#endif  // MPDRILL_FUZZ_LIVE_INPUT_H_
