// Wire structs for TCP option kind 30 (MPTCP, RFC 8684 §3). Plain data: no parsing, no state.
// Lossless: every bit on the wire has a home here (reserved bits, raw flag bytes, unknown
// subtypes), so Encode(Decode(b)) == b for every accepted b.
#ifndef MPDRILL_ENGINE_CODEC_MPTCP_OPTION_H_
#define MPDRILL_ENGINE_CODEC_MPTCP_OPTION_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

namespace mpdrill::codec {

inline constexpr std::uint8_t kMptcpOptionKind = 30;
inline constexpr std::size_t kMaxTcpOptionSpace = 40;  // RFC 9293: 60-byte header - 20

enum class Subtype : std::uint8_t {
  kMpCapable = 0x0,
  kMpJoin = 0x1,
  kDss = 0x2,
  kAddAddr = 0x3,
  kRemoveAddr = 0x4,
  kMpPrio = 0x5,
  kMpFail = 0x6,
  kMpFastclose = 0x7,
  kMpTcpRst = 0x8,
  kExperimental = 0xf,
};

// Up to N bytes held inline (options never exceed the 40-byte option space): no allocation.
template <std::size_t N>
struct InlineBytes {
  std::array<std::uint8_t, N> data{};
  std::uint8_t size = 0;
  std::span<const std::uint8_t> view() const { return {data.data(), size}; }
  friend bool operator==(const InlineBytes& a, const InlineBytes& b) {
    return a.size == b.size && std::equal(a.data.begin(), a.data.begin() + a.size, b.data.begin());
  }
};

// MP_CAPABLE flag bits (RFC 8684 §3.1).
inline constexpr std::uint8_t kMpcFlagA = 0x80;  // checksum required
inline constexpr std::uint8_t kMpcFlagB = 0x40;  // extensibility
inline constexpr std::uint8_t kMpcFlagC = 0x20;  // no more subflows to this address/port
inline constexpr std::uint8_t kMpcFlagsDtoG = 0x1e;
inline constexpr std::uint8_t kMpcFlagH = 0x01;  // HMAC-SHA256

// Lengths 4 (SYN), 12 (SYN/ACK), 20 (third ACK), 22 (data), 24 (data + checksum). Which fields
// are present is implied by the length, and the encoder writes the length from them.
struct MpCapable {
  std::uint8_t version = 1;      // low nibble of byte 2
  std::uint8_t flags = kMpcFlagH;  // byte 3, all eight bits as on the wire
  std::optional<std::uint64_t> sender_key;
  std::optional<std::uint64_t> receiver_key;
  std::optional<std::uint16_t> data_level_length;
  std::optional<std::uint16_t> checksum;
  friend bool operator==(const MpCapable&, const MpCapable&) = default;
};

// MP_JOIN (§3.2): the form is implied by the length (12 SYN, 16 SYN/ACK, 24 ACK).
enum class JoinForm : std::uint8_t { kSyn, kSynAck, kAck };
struct MpJoin {
  JoinForm form = JoinForm::kSyn;
  // SYN and SYN/ACK: byte 2 low nibble = 3 reserved bits + B; byte 3 = address ID.
  // ACK: byte 2 low nibble + byte 3 are 12 reserved bits; `backup` and `address_id` unused.
  bool backup = false;
  std::uint8_t address_id = 0;
  std::uint16_t reserved = 0;  // SYN/SYN-ACK: 3 bits (nibble bits 3..1); ACK: 12 bits
  std::uint32_t token = 0;            // SYN
  std::uint32_t nonce = 0;            // SYN, SYN/ACK
  std::uint64_t truncated_hmac = 0;   // SYN/ACK: leftmost 64 bits
  std::array<std::uint8_t, 20> hmac{};  // ACK: leftmost 160 bits
  friend bool operator==(const MpJoin&, const MpJoin&) = default;
};

// DSS flag bits, low five bits of byte 3 (§3.3).
inline constexpr std::uint8_t kDssFlagDataAck = 0x01;    // A
inline constexpr std::uint8_t kDssFlagDataAck8 = 0x02;   // a
inline constexpr std::uint8_t kDssFlagMapping = 0x04;    // M
inline constexpr std::uint8_t kDssFlagDsn8 = 0x08;       // m
inline constexpr std::uint8_t kDssFlagDataFin = 0x10;    // F

// DSS: length = 4 + ack (0/4/8) + map (0 or dsn 4/8 + ssn 4 + dll 2) + checksum (0/2).
struct Dss {
  std::uint8_t flags = 0;      // F m M a A exactly as on the wire (5 bits)
  std::uint8_t reserved = 0;   // 7 bits: byte 2 low nibble (high 4) + byte 3 bits 7..5 (low 3)
  std::uint64_t data_ack = 0;  // present iff flags & A; 4 or 8 bytes per flag a
  std::uint64_t dsn = 0;       // mapping fields present iff flags & M; 4 or 8 bytes per flag m
  std::uint32_t ssn = 0;
  std::uint16_t data_level_length = 0;
  std::optional<std::uint16_t> checksum;  // only with a mapping
  bool has_data_ack() const { return flags & kDssFlagDataAck; }
  bool data_ack_64() const { return flags & kDssFlagDataAck8; }
  bool has_mapping() const { return flags & kDssFlagMapping; }
  bool dsn_64() const { return flags & kDssFlagDsn8; }
  bool data_fin() const { return flags & kDssFlagDataFin; }
  friend bool operator==(const Dss&, const Dss&) = default;
};

// ADD_ADDR (§3.4.1). The length alone tells family, port and HMAC apart:
// 8 v4, 10 v4+port, 16 v4+hmac, 18 v4+port+hmac, 20 v6, 22 v6+port, 28 v6+hmac, 30 all.
struct AddAddr {
  bool echo = false;           // E
  std::uint8_t reserved = 0;   // 3 bits above E in byte 2's low nibble
  std::uint8_t address_id = 0;
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};  // first 4 bytes used for IPv4
  std::optional<std::uint16_t> port;
  std::optional<std::uint64_t> hmac;  // rightmost 64 bits of the HMAC
  friend bool operator==(const AddAddr&, const AddAddr&) = default;
};

struct RemoveAddr {
  std::uint8_t reserved = 0;  // low nibble of byte 2
  InlineBytes<kMaxTcpOptionSpace> address_ids;
  friend bool operator==(const RemoveAddr&, const RemoveAddr&) = default;
};

struct MpPrio {
  bool backup = false;
  std::uint8_t reserved = 0;  // 3 bits above B
  friend bool operator==(const MpPrio&, const MpPrio&) = default;
};

struct MpFail {
  std::uint16_t reserved = 0;  // 12 bits
  std::uint64_t dsn = 0;
  friend bool operator==(const MpFail&, const MpFail&) = default;
};

struct MpFastclose {
  std::uint16_t reserved = 0;  // 12 bits
  std::uint64_t receiver_key = 0;
  friend bool operator==(const MpFastclose&, const MpFastclose&) = default;
};

// MP_TCPRST flag bits, low nibble of byte 2 (§3.6).
inline constexpr std::uint8_t kTcpRstFlagT = 0x1;      // transient
inline constexpr std::uint8_t kTcpRstFlagsUvw = 0xe;   // reserved
struct MpTcpRst {
  std::uint8_t flags = 0;  // U V W T
  std::uint8_t reason = 0;
  bool transient() const { return flags & kTcpRstFlagT; }
  friend bool operator==(const MpTcpRst&, const MpTcpRst&) = default;
};

// Subtype 0xf, and any unassigned subtype: kept byte for byte.
struct Experimental {
  std::uint8_t nibble = 0;  // low nibble of byte 2
  InlineBytes<kMaxTcpOptionSpace> body;  // bytes after byte 2
  friend bool operator==(const Experimental&, const Experimental&) = default;
};
struct UnknownSubtype {
  std::uint8_t subtype = 0;  // 0x9..0xe
  std::uint8_t nibble = 0;
  InlineBytes<kMaxTcpOptionSpace> body;
  friend bool operator==(const UnknownSubtype&, const UnknownSubtype&) = default;
};

using Option = std::variant<MpCapable, MpJoin, Dss, AddAddr, RemoveAddr, MpPrio, MpFail,
                            MpFastclose, MpTcpRst, Experimental, UnknownSubtype>;

// The subtype nibble an Option encodes to.
std::uint8_t SubtypeOf(const Option& option);
// JSON / diagnostic name: mp_capable, mp_join, dss, add_addr, remove_addr, mp_prio, mp_fail,
// mp_fastclose, mp_tcprst, experimental, unknown.
const char* SubtypeName(const Option& option);

}  // namespace mpdrill::codec

#endif  // MPDRILL_ENGINE_CODEC_MPTCP_OPTION_H_
