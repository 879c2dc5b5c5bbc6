// Binder::BuildInbound: script MPTCP option -> kind-30 bytes mpdrill injects (RFC 8684 §3).
#include <array>
#include <variant>

#include "engine/bind/binder.h"
#include "engine/bind/binder_state.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/crypto/mptcp_crypto.h"

namespace mpdrill::bind {
namespace {

using Bytes = std::vector<std::uint8_t>;
using BuildResult = Result<codec::Option, BindError>;

std::optional<std::vector<std::uint8_t>> HexBytes(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<std::uint8_t> out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

class InboundBuilder {
 public:
  InboundBuilder(BinderState& st, const PacketView& p, parser::SourceLoc loc)
      : st_(st), p_(p), loc_(loc) {}

  Unexpected<BindError> Fail(BindErrorCode code, std::string msg) const {
    return Unexpected{MakeError(code, std::move(msg), loc_)};
  }

  ConnectionState* Conn() { return st_.ConnectionOf(p_.subflow); }

  // A key written at a position mpdrill sends as its own (generated on first use).
  Result<std::uint64_t, BindError> OwnKey(const parser::KeyRef& ref) {
    if (ref.name.empty()) {
      if (ref.value) return *ref.value;
      return Fail(BindErrorCode::kUnboundVariable, "key without name or value");
    }
    if (ref.value) {
      if (auto s = st_.BindKey(ref.name, *ref.value, loc_); !s) return Unexpected{s.error()};
      return *ref.value;
    }
    if (auto k = st_.Key(ref.name)) return *k;
    std::uint64_t key = st_.RandomKey();
    (void)st_.BindKey(ref.name, key, loc_);
    return key;
  }
  // A key that must already be known (the kernel's, or a forced value).
  Result<std::uint64_t, BindError> KnownKey(const parser::KeyRef& ref) {
    if (ref.value) {
      if (!ref.name.empty()) {
        if (auto s = st_.BindKey(ref.name, *ref.value, loc_); !s) return Unexpected{s.error()};
      }
      return *ref.value;
    }
    if (auto k = st_.Key(ref.name)) return *k;
    return Fail(BindErrorCode::kUnboundVariable,
                "key '" + ref.name +
                    "' is not bound yet (a kernel key is bound when first seen outbound)");
  }

  // RFC 8684 §3.1: MP_CAPABLE. Keys are written in wire order: sender, then receiver.
  BuildResult MpCapable(const parser::MpCapableSpec& s) {
    SubflowState* sf = st_.FindSubflow(p_.subflow);
    std::size_t conn_index = sf ? sf->connection : st_.NewConnection();
    if (!sf) st_.EnsureSubflow(p_.subflow, conn_index);
    ConnectionState& conn = st_.connections[conn_index];
    codec::MpCapable o;
    // Any version goes on the wire as written (`mpcapable v0` tests that a v1 stack falls
    // back to TCP, RFC 8684 §3.1); only v0's SHA-1 tokens and IDSNs are not computed.
    o.version = s.version.value_or(1);
    o.flags = s.flags;
    if (o.flags & codec::kMpcFlagA) conn.checksums = true;
    if (!s.nokey && !s.keys.empty()) {
      auto k0 = OwnKey(s.keys[0]);
      if (!k0) return Unexpected{k0.error()};
      o.sender_key = *k0;
      if (!conn.mpdrill_key && *k0 != conn.kernel_key) conn.mpdrill_key = *k0;
      if (s.keys.size() > 1) {
        auto k1 = KnownKey(s.keys[1]);
        if (!k1) return Unexpected{k1.error()};
        o.receiver_key = *k1;
        if (!conn.kernel_key && *k1 != conn.mpdrill_key) conn.kernel_key = *k1;
      }
    }
    if (s.data_len) {
      o.data_level_length = *s.data_len;
      // RFC 8684 §3.1: MP_CAPABLE with data maps it at IDSN+1, subflow sequence 1.
      std::uint64_t dsn = crypto::Idsn(conn.mpdrill_key.value_or(0)) + 1;
      if (s.checksum) {
        o.checksum = *s.checksum;
      } else if (conn.checksums) {
        crypto::DssChecksum c(dsn, 1, *s.data_len);
        c.Add(p_.payload);
        o.checksum = c.Finish();
      }
      std::uint64_t data = *s.data_len;
      if (!conn.mpdrill_next_dsn || *conn.mpdrill_next_dsn < dsn + data) {
        conn.mpdrill_next_dsn = dsn + data;
      }
    } else if (s.checksum) {
      return Fail(BindErrorCode::kEncode, "mpcapable: cksum without mpcdatalen");
    }
    return codec::Option(o);
  }

  // RFC 8684 §3.2: MP_JOIN. mpdrill's nonces come from the seed unless `rand=` is written.
  BuildResult MpJoin(const parser::MpJoinSpec& s) {
    using F = parser::MpJoinSpec::Form;
    codec::MpJoin o;
    switch (s.form) {
      case F::kSyn: {
        o.form = codec::JoinForm::kSyn;
        std::optional<std::size_t> conn_index;
        std::optional<std::uint32_t> token;
        if (s.token) {
          using TK = parser::TokenSpec::Kind;
          switch (s.token->kind) {
            case TK::kValue:
              token = s.token->value;
              break;
            case TK::kSha256: {
              auto key = st_.Key(s.token->var);
              if (!key) {
                return Fail(BindErrorCode::kUnboundVariable,
                            "mp_join_syn: token=sha256_32(" + s.token->var + "): key not bound");
              }
              token = crypto::Token(*key);
              for (std::size_t i = 0; i < st_.connections.size(); ++i) {
                if (st_.connections[i].kernel_key == *key ||
                    st_.connections[i].mpdrill_key == *key) {
                  conn_index = i;
                }
              }
              break;
            }
            case TK::kSha1:
              return Fail(BindErrorCode::kUnsupported, "mp_join_syn: sha1_32 (MPTCP v0)");
            case TK::kAuto:
              break;
          }
        }
        if (!conn_index) {
          if (st_.connections.empty()) {
            return Fail(BindErrorCode::kNoConnection, "mp_join_syn: no MPTCP connection to join");
          }
          conn_index = st_.connections.size() - 1;
        }
        if (!token) {
          // RFC 8684 §3.2: the token of the receiver's (the kernel's) key.
          auto k = st_.connections[*conn_index].kernel_key;
          if (!k) return Fail(BindErrorCode::kUnboundVariable, "mp_join_syn: kernel key unknown");
          token = crypto::Token(*k);
        }
        SubflowState& sf = st_.EnsureSubflow(p_.subflow, *conn_index);
        sf.mpdrill_nonce = s.rand ? *s.rand : st_.RandomNonce();
        o.token = *token;
        o.nonce = *sf.mpdrill_nonce;
        o.backup = s.backup.value_or(0);
        o.address_id = AddressId(s.address_id);
        return codec::Option(o);
      }
      case F::kSynAck: {
        o.form = codec::JoinForm::kSynAck;
        SubflowState* sf = st_.FindSubflow(p_.subflow);
        if (!sf) return Fail(BindErrorCode::kNoConnection, "mp_join_syn_ack: unknown subflow");
        sf->mpdrill_nonce = s.rand ? *s.rand : st_.RandomNonce();
        o.nonce = *sf->mpdrill_nonce;
        o.backup = s.backup.value_or(0);
        o.address_id = AddressId(s.address_id);
        auto h = Hmac(s.sender_hmac, *sf, /*ack=*/false);
        if (!h) return Unexpected{h.error()};
        std::uint64_t t = 0;
        for (int i = 0; i < 8; ++i) t = t << 8 | (*h)[i];
        o.truncated_hmac = t;
        return codec::Option(o);
      }
      case F::kAck: {
        o.form = codec::JoinForm::kAck;
        SubflowState* sf = st_.FindSubflow(p_.subflow);
        if (!sf) return Fail(BindErrorCode::kNoConnection, "mp_join_ack: unknown subflow");
        auto h = Hmac(s.sender_hmac, *sf, /*ack=*/true);
        if (!h) return Unexpected{h.error()};
        o.hmac = *h;
        return codec::Option(o);
      }
    }
    return Fail(BindErrorCode::kEncode, "mp_join: unknown form");
  }

  std::uint8_t AddressId(const std::optional<parser::AddressIdSpec>& id) {
    if (id && !id->is_auto) return id->value;
    // Automatic: the index N of mpdrill's caddrN/saddrN address of this subflow, else 0.
    const model::Endpoint& base = st_.options.addresses.mpdrill;
    std::size_t last = base.ip_version == 6 ? 15 : 3;
    model::Endpoint a = p_.subflow.remote;
    a.port = 0;
    model::Endpoint b = base;
    b.port = 0;
    b.address[last] = a.address[last];
    if (a == b) return static_cast<std::uint8_t>(a.address[last] - base.address[last]);
    return 0;
  }

  // mpdrill's join HMAC (RFC 8684 §3.2): HMAC(K_mpdrill‖K_kernel, R_mpdrill‖R_kernel);
  // SYN/ACK keeps the leftmost 64 bits, the third ACK 160.
  Result<std::array<std::uint8_t, 20>, BindError> Hmac(const std::optional<parser::HmacSpec>& spec,
                                                      const SubflowState& sf, bool ack) {
    using HK = parser::HmacSpec::Kind;
    std::array<std::uint8_t, 20> out{};
    HK kind = spec ? spec->kind : HK::kAuto;
    const char* what = ack ? "mp_join_ack" : "mp_join_syn_ack";
    auto nonces_known = [&]() -> Status<BindError> {
      if (!sf.kernel_nonce || !sf.mpdrill_nonce) {
        return Fail(BindErrorCode::kMissingNonce,
                    std::string(what) + ": the kernel's nonce of this subflow is not known");
      }
      return Ok{};
    };
    std::uint64_t ka = 0, kb = 0;
    switch (kind) {
      case HK::kAuto: {
        const ConnectionState& c = st_.connections[sf.connection];
        if (!c.mpdrill_key || !c.kernel_key) {
          return Fail(BindErrorCode::kUnboundVariable, std::string(what) + ": keys not known");
        }
        ka = *c.mpdrill_key;
        kb = *c.kernel_key;
        break;
      }
      case HK::kTruncL64Vars:
      case HK::kFull160Vars: {
        auto a = st_.Key(spec->var1);
        auto b = st_.Key(spec->var2);
        if (!a || !b) {
          return Fail(BindErrorCode::kUnboundVariable,
                      std::string(what) + ": key '" + (a ? spec->var2 : spec->var1) +
                          "' is not bound");
        }
        ka = *a;
        kb = *b;
        break;
      }
      case HK::kTruncL64Value:
        for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(spec->value >> (56 - 8 * i));
        return out;
      case HK::kBytes: {
        auto bytes = HexBytes(spec->hex);
        if (!bytes) return Fail(BindErrorCode::kEncode, std::string(what) + ": bad hex");
        std::copy_n(bytes->begin(), std::min<std::size_t>(bytes->size(), 20), out.begin());
        return out;
      }
    }
    if (auto s = nonces_known(); !s) return Unexpected{s.error()};
    auto full = crypto::JoinHmac(ka, kb, *sf.mpdrill_nonce, *sf.kernel_nonce);
    std::copy_n(full.begin(), 20, out.begin());
    return out;
  }

  // RFC 8684 §3.3: DSS. DSN relative to mpdrill's IDSN, DATA_ACK to the kernel's.
  BuildResult Dss(const parser::DssSpec& s) {
    ConnectionState* conn = Conn();
    if (!conn) return Fail(BindErrorCode::kNoConnection, "dss: no MPTCP connection");
    std::optional<std::uint64_t> kernel_idsn, mpdrill_idsn;
    if (conn->kernel_key) kernel_idsn = crypto::Idsn(*conn->kernel_key);
    if (conn->mpdrill_key) mpdrill_idsn = crypto::Idsn(*conn->mpdrill_key);
    codec::Dss o;
    if (s.data_ack) {
      auto v = DssFieldValue(st_, s.data_ack->value, kernel_idsn, "dss.dack", loc_);
      if (!v) return Unexpected{v.error()};
      std::uint64_t ack;
      if (*v) {
        ack = **v;
      } else if (conn->kernel_data_end) {
        ack = *conn->kernel_data_end;
      } else if (kernel_idsn) {
        ack = *kernel_idsn + 1;
      } else {
        return Fail(BindErrorCode::kUnboundVariable, "dss.dack: the kernel's key is not known");
      }
      o.flags |= codec::kDssFlagDataAck;
      if (s.data_ack->width == 8) {
        o.flags |= codec::kDssFlagDataAck8;
        o.data_ack = ack;
      } else {
        o.data_ack = ack & 0xffffffffu;
      }
    }
    if (s.dsn || s.fin) {
      o.flags |= codec::kDssFlagMapping;
      std::uint8_t width = s.dsn ? s.dsn->width : 8;
      std::uint64_t dsn;
      parser::DssValue unset;
      auto v = DssFieldValue(st_, s.dsn ? s.dsn->value : unset, mpdrill_idsn, "dss.dsn", loc_);
      if (!v) return Unexpected{v.error()};
      if (*v) {
        dsn = **v;
      } else if (conn->mpdrill_next_dsn) {
        dsn = *conn->mpdrill_next_dsn;
      } else if (mpdrill_idsn) {
        dsn = *mpdrill_idsn + 1;
      } else {
        return Fail(BindErrorCode::kUnboundVariable, "dss.dsn: mpdrill's key is not known");
      }
      if (width == 8) o.flags |= codec::kDssFlagDsn8;
      o.dsn = width == 8 ? dsn : (dsn & 0xffffffffu);
      // RFC 8684 §3.3.1: a DATA_FIN alone on the mapping has subflow sequence number 0.
      o.ssn = s.ssn ? *s.ssn : (p_.payload.empty() && s.fin ? 0 : p_.relative_seq);
      std::uint16_t dll = s.dll ? *s.dll
                                : static_cast<std::uint16_t>(p_.payload.size() + (s.fin ? 1 : 0));
      o.data_level_length = dll;
      switch (s.checksum) {
        case parser::DssSpec::Checksum::kNone:
          break;
        case parser::DssSpec::Checksum::kValue:
          o.checksum = s.checksum_value;
          break;
        case parser::DssSpec::Checksum::kUnspecified:
          if (conn->checksums) {
            // RFC 8684 §3.3.1 (K4): pseudo-header with the 64-bit DSN, then the payload.
            crypto::DssChecksum c(dsn, o.ssn, dll);
            c.Add(p_.payload);
            o.checksum = c.Finish();
          }
          break;
      }
      std::uint64_t data_end = dsn + dll;
      if (!conn->mpdrill_next_dsn || *conn->mpdrill_next_dsn < data_end) {
        conn->mpdrill_next_dsn = data_end;
      }
    } else if (s.checksum == parser::DssSpec::Checksum::kValue) {
      return Fail(BindErrorCode::kEncode, "dss: cksum without a mapping (dsn)");
    }
    if (s.fin) o.flags |= codec::kDssFlagDataFin;
    if (s.flags) o.flags = *s.flags & 0x1f;
    return codec::Option(o);
  }

  Result<model::Endpoint, BindError> AddAddress(const parser::AddrRef& ref) {
    if (!ref.literal.empty()) {
      auto a = ParseAddress(ref.literal);
      if (!a) return Fail(BindErrorCode::kBadAddress, "'" + ref.literal + "' is not an address");
      if (!ref.var.empty()) st_.addresses[ref.var] = {*a, Side::kMpdrill};
      return *a;
    }
    if (auto it = st_.addresses.find(ref.var); it != st_.addresses.end()) return it->second.address;
    return Fail(BindErrorCode::kUnknownAddress, "addr[" + ref.var + "]: unknown address");
  }

  // RFC 8684 §3.4.1: ADD_ADDR, HMAC(K_mpdrill‖K_kernel, ID‖address‖port) (K3).
  BuildResult AddAddr(const parser::AddAddressSpec& s, Result<model::Endpoint, BindError> addr) {
    ConnectionState* conn = Conn();
    if (!conn) return Fail(BindErrorCode::kNoConnection, "add_address: no MPTCP connection");
    if (!addr) return Unexpected{addr.error()};
    codec::AddAddr o;
    o.echo = s.echo;
    o.ipv6 = addr->ip_version == 6;
    o.address = addr->address;
    o.port = s.port;
    if (s.address_id && !s.address_id->is_auto) {
      o.address_id = s.address_id->value;
    } else {
      o.address_id = ++conn->announced;
    }
    std::span<const std::uint8_t> bytes(o.address.data(), o.ipv6 ? 16 : 4);
    if (s.hmac) {
      o.hmac = *s.hmac;
    } else if (s.hmac_auto) {
      if (!conn->mpdrill_key || !conn->kernel_key) {
        return Fail(BindErrorCode::kUnboundVariable, "add_address hmac=auto: keys not known");
      }
      o.hmac = crypto::AddAddrHmac(*conn->mpdrill_key, *conn->kernel_key, o.address_id, bytes,
                                   o.port);
    }
    return codec::Option(o);
  }

  BuildResult Build(const parser::MptcpOption& option, Binder& binder) {
    return std::visit(
        [&](const auto& s) -> BuildResult {
          using T = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<T, parser::MpCapableSpec>) {
            return MpCapable(s);
          } else if constexpr (std::is_same_v<T, parser::MpJoinSpec>) {
            return MpJoin(s);
          } else if constexpr (std::is_same_v<T, parser::DssSpec>) {
            return Dss(s);
          } else if constexpr (std::is_same_v<T, parser::AddAddressSpec>) {
            if (s.addr.literal.empty() && !st_.addresses.count(s.addr.var)) {
              parser::Endpoint ep{.kind = parser::Endpoint::Kind::kVar, .var = s.addr.var};
              auto r = binder.ResolveEndpoint(ep, p_.direction, p_.tcp_flags);
              if (!r) return Unexpected{MakeError(r.error().code, r.error().message, loc_)};
              model::Endpoint a = r->address;
              return AddAddr(s, a);
            }
            return AddAddr(s, AddAddress(s.addr));
          } else if constexpr (std::is_same_v<T, parser::RemoveAddressSpec>) {
            codec::RemoveAddr o;
            for (std::uint8_t id : s.address_ids) {
              if (o.address_ids.size < o.address_ids.data.size()) {
                o.address_ids.data[o.address_ids.size++] = id;
              }
            }
            return codec::Option(o);
          } else if constexpr (std::is_same_v<T, parser::MpPrioSpec>) {
            // RFC 8684 §3.3.8: MP_PRIO has no address ID (with `address_id=` the caller sends
            // the 4-byte MPTCP v0 form instead, see V0MpPrio).
            codec::MpPrio o;
            o.backup = s.backup.value_or(0);
            return codec::Option(o);
          } else if constexpr (std::is_same_v<T, parser::MpFailSpec>) {
            // RFC 8684 §3.7: MP_FAIL names the start of the peer's mapping that failed, so
            // its DSN is in the kernel's data space: relative to the kernel's IDSN, like dack.
            ConnectionState* conn = Conn();
            if (!conn || !conn->kernel_key) {
              return Fail(BindErrorCode::kUnboundVariable, "mp_fail: the kernel's key is not known");
            }
            codec::MpFail o;
            o.dsn = crypto::Idsn(*conn->kernel_key) + s.dsn;
            return codec::Option(o);
          } else if constexpr (std::is_same_v<T, parser::MpFastcloseSpec>) {
            // RFC 8684 §3.5: MP_FASTCLOSE carries the receiver's (the kernel's) key.
            codec::MpFastclose o;
            if (!s.key) {
              ConnectionState* conn = Conn();
              if (!conn || !conn->kernel_key) {
                return Fail(BindErrorCode::kUnboundVariable, "mp_fastclose: kernel key not known");
              }
              o.receiver_key = *conn->kernel_key;
            } else if (s.key->value) {
              // `var=N` sends N as written, whatever var is bound to: scripts send a key
              // that must not match on purpose (upstream's receive_fastclose_with_rst).
              o.receiver_key = *s.key->value + s.addend;
            } else {
              auto k = KnownKey(*s.key);
              if (!k) return Unexpected{k.error()};
              o.receiver_key = *k + s.addend;
            }
            return codec::Option(o);
          } else if constexpr (std::is_same_v<T, parser::MpResetSpec>) {
            codec::MpTcpRst o;
            o.reason = s.reason;
            o.flags = s.flags.value_or(0);
            return codec::Option(o);
          } else {
            static_assert(std::is_same_v<T, parser::MptcpRawSpec>);
            return Fail(BindErrorCode::kEncode, "raw");  // handled by the caller
          }
        },
        option.spec);
  }

 private:
  BinderState& st_;
  const PacketView& p_;
  parser::SourceLoc loc_;
};

// `reserved=0x..` (mpdrill): the reserved bits as on the wire, for subtypes that have them.
void ApplyReserved(codec::Option& o, std::uint64_t reserved) {
  std::visit(
      [&](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, codec::Dss> || std::is_same_v<T, codec::AddAddr> ||
                      std::is_same_v<T, codec::RemoveAddr> || std::is_same_v<T, codec::MpPrio>) {
          x.reserved = static_cast<std::uint8_t>(reserved);
        } else if constexpr (std::is_same_v<T, codec::MpJoin> ||
                             std::is_same_v<T, codec::MpFail> ||
                             std::is_same_v<T, codec::MpFastclose>) {
          x.reserved = static_cast<std::uint16_t>(reserved);
        }
      },
      o);
}

// `mp_prio backup=B address_id=N`: RFC 6824's (MPTCP v0) MP_PRIO, kind 30 length 4 with
// the address ID, which RFC 8684 §3.3.8 dropped. Scripts send it on purpose (a v1 stack must
// not act on it, upstream's mp_prio_server.pkt), so it is built as written, not as v1.
std::optional<std::vector<std::uint8_t>> V0MpPrio(const parser::MptcpOption& option) {
  const auto* prio = std::get_if<parser::MpPrioSpec>(&option.spec);
  if (!prio || !prio->address_id || prio->address_id->is_auto) return std::nullopt;
  const std::uint8_t reserved = static_cast<std::uint8_t>(option.reserved.value_or(0) & 0x7);
  return std::vector<std::uint8_t>{
      codec::kMptcpOptionKind, 4,
      static_cast<std::uint8_t>((static_cast<std::uint8_t>(codec::Subtype::kMpPrio) << 4) |
                                (reserved << 1) | (prio->backup.value_or(0) & 1)),
      prio->address_id->value};
}

}  // namespace

Result<std::vector<std::uint8_t>, BindError> Binder::BuildInbound(
    const parser::MptcpOption& option, const PacketView& packet) {
  // The runner knows who opened the subflow: the roles of caddrN/saddrN follow.
  if (!state_->kernel_is_client) state_->kernel_is_client = packet.subflow.kernel_is_client;
  if (auto v0 = V0MpPrio(option)) return *v0;
  if (const auto* raw = std::get_if<parser::MptcpRawSpec>(&option.spec)) {
    auto bytes = HexBytes(raw->hex);
    if (!bytes) {
      return Unexpected{MakeError(BindErrorCode::kEncode, "mptcp_raw: bad hex", option.loc)};
    }
    return *bytes;
  }
  InboundBuilder builder(*state_, packet, option.loc);
  auto built = builder.Build(option, *this);
  if (!built) return Unexpected{built.error()};
  if (option.reserved) ApplyReserved(*built, *option.reserved);
  std::array<std::uint8_t, codec::kMaxTcpOptionSpace> buf{};
  auto n = codec::Encode(*built, buf);
  if (!n) {
    return Unexpected{MakeError(BindErrorCode::kEncode,
                                std::string(codec::SubtypeName(*built)) + ": " +
                                    std::string(n.error().reason),
                                option.loc)};
  }
  return std::vector<std::uint8_t>(buf.begin(), buf.begin() + *n);
}

}  // namespace mpdrill::bind
