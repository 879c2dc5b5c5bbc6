// Syntax tree of the MPTCP option forms (TCP option kind 30) inside a packet's <...> list:
// multipath-tcp/packetdrill's syntax plus mpdrill's canonical concrete forms (docs/syntax.md).
// Names (keys, addresses) and `auto` stay symbolic; the engine's binder resolves them.
#ifndef MPDRILL_PARSER_AST_MPTCP_H_
#define MPDRILL_PARSER_AST_MPTCP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "parser/source_loc.h"

namespace mpdrill::parser {

// A key variable: `ckey`, `ckey=2`, `ckey=0x0123456789abcdef`. An empty name is a literal value
// (mpdrill's `mp_fastclose key=0x...`).
struct KeyRef {
  std::string name;
  std::optional<std::uint64_t> value;
  friend bool operator==(const KeyRef&, const KeyRef&) = default;
};

// MP_CAPABLE (RFC 8684 §3.1): `mpcapable v1 flags[flag_h] key[ckey, skey] mpcdatalen 2`.
struct MpCapableSpec {
  std::optional<std::uint8_t> version = 1;  // v0, v1 (v0..v15); nullopt for `none`
  bool raw_flags = false;   // `flags 0x41` instead of `flags[flag_b, flag_h]`
  std::uint8_t flags = 0;   // bit mask (flag_a = 0x80 ... flag_h = 0x01)
  bool nokey = true;        // `nokey`; otherwise `key[...]` with one or two keys
  std::vector<KeyRef> keys;
  std::optional<std::uint16_t> data_len;  // mpcdatalen N
  std::optional<std::uint16_t> checksum;  // cksum=0x1234 (mpdrill)
  // The MPTCP v0 form of older packetdrill MPTCP scripts: `mp_capable_no_cs ckey[=N] [skey]`
  // (flags H) and `mp_capable ckey [skey]` (flags A|H, checksums on); version 0, keys as above.
  enum class Legacy : std::uint8_t { kNone, kMpCapable, kMpCapableNoCs };
  Legacy legacy = Legacy::kNone;
  friend bool operator==(const MpCapableSpec&, const MpCapableSpec&) = default;
};

// token=N | sha256_32(var) | sha1_32(var) | auto
struct TokenSpec {
  enum class Kind : std::uint8_t { kValue, kSha256, kSha1, kAuto };
  Kind kind = Kind::kAuto;
  std::uint32_t value = 0;
  std::string var;
  friend bool operator==(const TokenSpec&, const TokenSpec&) = default;
};

// sender_hmac=auto | trunc_l64_hmac(N) | trunc_l64_hmac(a b) | full_160_hmac(a b) | 0x<hex>
struct HmacSpec {
  enum class Kind : std::uint8_t { kAuto, kTruncL64Value, kTruncL64Vars, kFull160Vars, kBytes };
  Kind kind = Kind::kAuto;
  std::uint64_t value = 0;
  std::string var1, var2;
  std::string hex;  // kBytes: lowercase hex digits, no 0x, even length, up to 20 bytes
  friend bool operator==(const HmacSpec&, const HmacSpec&) = default;
};

// address_id=N | address_id=auto
struct AddressIdSpec {
  bool is_auto = false;
  std::uint8_t value = 0;
  friend bool operator==(const AddressIdSpec&, const AddressIdSpec&) = default;
};

// MP_JOIN (RFC 8684 §3.2): mp_join_syn / mp_join_syn_ack / mp_join_ack.
struct MpJoinSpec {
  enum class Form : std::uint8_t { kSyn, kSynAck, kAck };
  Form form = Form::kSyn;
  std::optional<std::uint8_t> backup;  // backup=0|1
  std::optional<AddressIdSpec> address_id;
  std::optional<TokenSpec> token;       // SYN
  std::optional<std::uint32_t> rand;    // SYN, SYN/ACK
  std::optional<HmacSpec> sender_hmac;  // SYN/ACK, ACK
  friend bool operator==(const MpJoinSpec&, const MpJoinSpec&) = default;
};

// A DSS sequence field value: bare (`dack8`), `=N`, `=trunc_r64_hmac(var)[+N]`,
// `=trunc_r64_hmac_sha1(N)`, `=trunc_r64_hmac_sha256(N)`.
struct DssValue {
  enum class Kind : std::uint8_t { kUnset, kValue, kTruncR64Hmac, kTruncR64HmacSha1,
                                   kTruncR64HmacSha256 };
  Kind kind = Kind::kUnset;
  std::uint64_t value = 0;   // kValue, and the argument of the _sha1/_sha256 forms
  std::string var;           // kTruncR64Hmac
  std::uint64_t addend = 0;  // kTruncR64Hmac: `+N`
  friend bool operator==(const DssValue&, const DssValue&) = default;
};
struct DssField {
  std::uint8_t width = 8;  // 4 or 8 bytes (dack4/dack8, dsn4/dsn8)
  DssValue value;
  friend bool operator==(const DssField&, const DssField&) = default;
};

// DSS (RFC 8684 §3.3): `dss dack8=1001 dsn8=1 ssn=1 dll=1000 nocs fin`.
struct DssSpec {
  std::optional<DssField> data_ack;
  std::optional<DssField> dsn;
  std::optional<std::uint32_t> ssn;
  std::optional<std::uint16_t> dll;
  enum class Checksum : std::uint8_t { kUnspecified, kNone, kValue };  // -, nocs, cksum=N
  Checksum checksum = Checksum::kUnspecified;
  std::uint16_t checksum_value = 0;
  bool fin = false;
  std::optional<std::uint8_t> flags;  // flags=0x.. (mpdrill): the raw five flag bits
  friend bool operator==(const DssSpec&, const DssSpec&) = default;
};

// An ADD_ADDR address: `addr[var]`, `addr[var=inet_addr("..")]`, `addr[inet6_addr("..")]`,
// `addr[198.51.100.2]`.
struct AddrRef {
  std::string var;  // may be empty for an anonymous literal
  enum class Family : std::uint8_t { kUnspecified, kIpv4, kIpv6 };
  Family family = Family::kUnspecified;  // kUnspecified: a bare variable
  std::string literal;
  friend bool operator==(const AddrRef&, const AddrRef&) = default;
};

// ADD_ADDR (RFC 8684 §3.4.1).
struct AddAddressSpec {
  std::optional<AddressIdSpec> address_id;
  AddrRef addr;
  std::optional<std::uint16_t> port;
  bool echo = false;                   // addr_echo
  bool hmac_auto = false;              // hmac=auto
  std::optional<std::uint64_t> hmac;   // hmac=N
  friend bool operator==(const AddAddressSpec&, const AddAddressSpec&) = default;
};

// REMOVE_ADDR (RFC 8684 §3.4.2): `remove_address address_id=[1, 2]`.
struct RemoveAddressSpec {
  std::vector<std::uint8_t> address_ids;
  friend bool operator==(const RemoveAddressSpec&, const RemoveAddressSpec&) = default;
};

// MP_PRIO (RFC 8684 §3.3.8): `mp_prio [backup=0|1] [address_id=N]`.
struct MpPrioSpec {
  std::optional<std::uint8_t> backup;
  std::optional<AddressIdSpec> address_id;
  friend bool operator==(const MpPrioSpec&, const MpPrioSpec&) = default;
};

// MP_FAIL (RFC 8684 §3.7): `mp_fail dsn8=N`.
struct MpFailSpec {
  std::uint64_t dsn = 0;
  friend bool operator==(const MpFailSpec&, const MpFailSpec&) = default;
};

// MP_FASTCLOSE (RFC 8684 §3.5): `mp_fastclose`, `mp_fastclose ckey`, `ckey=N`, `ckey+N`,
// `key=0x...` (mpdrill literal: key.name empty).
struct MpFastcloseSpec {
  std::optional<KeyRef> key;
  std::uint64_t addend = 0;  // ckey+N
  friend bool operator==(const MpFastcloseSpec&, const MpFastcloseSpec&) = default;
};

// MP_TCPRST (RFC 8684 §3.6): `mp_reset 1 flags[flag_t]`.
struct MpResetSpec {
  std::uint8_t reason = 0;
  std::optional<std::uint8_t> flags;  // U V W T bits (flag_u=8, flag_v=4, flag_w=2, flag_t=1)
  friend bool operator==(const MpResetSpec&, const MpResetSpec&) = default;
};

// mptcp_raw=0x<hex> (mpdrill): a kind-30 option given byte for byte.
struct MptcpRawSpec {
  std::string hex;  // lowercase, even length
  friend bool operator==(const MptcpRawSpec&, const MptcpRawSpec&) = default;
};

struct MptcpOption {
  std::variant<MpCapableSpec, MpJoinSpec, DssSpec, AddAddressSpec, RemoveAddressSpec, MpPrioSpec,
               MpFailSpec, MpFastcloseSpec, MpResetSpec, MptcpRawSpec>
      spec;
  std::optional<std::uint64_t> reserved;  // reserved=0x.. (mpdrill): reserved bits as on the wire
  SourceLoc loc;
  friend bool operator==(const MptcpOption&, const MptcpOption&) = default;
};

}  // namespace mpdrill::parser

#endif  // MPDRILL_PARSER_AST_MPTCP_H_
