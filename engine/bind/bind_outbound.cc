// Binder::MatchOutbound / Observe: the kernel's kind-30 options against the script's
// (RFC 8684 §3). Written fields are compared; omitted ones are don't-care, except the shape
// the script fixes: which DSS parts exist (dack4/dack8, a mapping, dsn4/dsn8, DATA_FIN),
// `nocs`, `nokey` / the number of keys, ADD_ADDR echo and port presence.
#include <array>
#include <variant>

#include "engine/bind/binder.h"
#include "engine/bind/binder_state.h"
#include "engine/codec/mptcp_codec.h"
#include "engine/codec/mptcp_print.h"
#include "engine/crypto/mptcp_crypto.h"
#include "parser/printer.h"

namespace mpdrill::bind {
namespace {

constexpr std::uint64_t kLow32 = 0xffffffffu;

std::uint64_t Expand32(std::uint64_t base, std::uint32_t low) {
  std::uint64_t v = (base & ~kLow32) | low;
  if (v + 0x80000000u < base) v += 0x100000000ULL;
  return v;
}

codec::SegmentInfo InfoOf(const PacketView& p) {
  codec::SegmentInfo info;
  info.syn = (p.tcp_flags & model::kTcpSyn) != 0;
  info.ack = (p.tcp_flags & model::kTcpAck) != 0;
  info.rst = (p.tcp_flags & model::kTcpRst) != 0;
  return info;
}

// What an outbound option teaches the binder, before it is compared.
void Learn(BinderState& st, const codec::Option& option, const PacketView& p) {
  if (const auto* m = std::get_if<codec::MpCapable>(&option)) {
    SubflowState* sf = st.FindSubflow(p.subflow);
    std::size_t ci = sf ? sf->connection : st.NewConnection();
    if (!sf) st.EnsureSubflow(p.subflow, ci);
    ConnectionState& c = st.connections[ci];
    if (m->flags & codec::kMpcFlagA) c.checksums = true;
    if (m->sender_key && !c.kernel_key && *m->sender_key != c.mpdrill_key) {
      c.kernel_key = *m->sender_key;
    }
    if (m->receiver_key && !c.mpdrill_key && *m->receiver_key != c.kernel_key) {
      c.mpdrill_key = *m->receiver_key;
    }
    if (m->data_level_length && c.kernel_key) {
      std::uint64_t end = crypto::Idsn(*c.kernel_key) + 1 + *m->data_level_length;
      if (!c.kernel_data_end || *c.kernel_data_end < end) c.kernel_data_end = end;
    }
  } else if (const auto* j = std::get_if<codec::MpJoin>(&option)) {
    switch (j->form) {
      case codec::JoinForm::kSyn: {
        // The token names the receiver's (mpdrill's) key (RFC 8684 §3.2).
        std::size_t ci = st.connections.empty() ? st.NewConnection() : st.connections.size() - 1;
        for (std::size_t i = 0; i < st.connections.size(); ++i) {
          if (st.connections[i].mpdrill_key &&
              crypto::Token(*st.connections[i].mpdrill_key) == j->token) {
            ci = i;
          }
        }
        st.EnsureSubflow(p.subflow, ci).kernel_nonce = j->nonce;
        break;
      }
      case codec::JoinForm::kSynAck:
        if (SubflowState* sf = st.FindSubflow(p.subflow)) sf->kernel_nonce = j->nonce;
        break;
      case codec::JoinForm::kAck:
        break;
    }
  } else if (const auto* d = std::get_if<codec::Dss>(&option)) {
    ConnectionState* c = st.ConnectionOf(p.subflow);
    if (!c || !d->has_mapping() || !c->kernel_key) return;
    std::uint64_t base = c->kernel_data_end.value_or(crypto::Idsn(*c->kernel_key) + 1);
    std::uint64_t dsn =
        d->dsn_64() ? d->dsn : Expand32(base, static_cast<std::uint32_t>(d->dsn));
    std::uint64_t end = dsn + d->data_level_length;
    if (!c->kernel_data_end || *c->kernel_data_end < end) c->kernel_data_end = end;
  }
}

class OutboundMatcher {
 public:
  OutboundMatcher(BinderState& st, const PacketView& p, std::vector<FieldMismatch>* out)
      : st_(st), p_(p), out_(out) {}

  void Add(std::string field, std::string expected, std::string actual) {
    out_->push_back(FieldMismatch{std::move(field), std::move(expected), std::move(actual)});
  }
  template <typename T>
  void Compare(const char* field, const T& expected, const T& actual) {
    if (!(expected == actual)) Add(field, std::to_string(expected), std::to_string(actual));
  }

  // Relative rendering of an absolute sequence value (4-byte values modulo 2^32).
  static std::string Relative(std::uint64_t actual, std::optional<std::uint64_t> base,
                              bool wide) {
    if (!base) return Hex(actual);
    std::uint64_t rel = actual - *base;
    if (!wide) rel &= kLow32;
    return std::to_string(rel);
  }

  Status<BindError> Key(const char* field, const parser::KeyRef& ref, std::uint64_t actual,
                        parser::SourceLoc loc) {
    std::string label = ref.name.empty() ? "" : ref.name + "=";
    if (ref.value) {
      if (*ref.value != actual) Add(field, label + Hex(*ref.value), Hex(actual));
      if (!ref.name.empty() && *ref.value == actual) return st_.BindKey(ref.name, actual, loc);
      return Ok{};
    }
    if (auto bound = st_.Key(ref.name)) {
      if (*bound != actual) Add(field, label + Hex(*bound), Hex(actual));
      return Ok{};
    }
    return st_.BindKey(ref.name, actual, loc);  // first sight outbound: the kernel's value
  }

  Status<BindError> MpCapable(const parser::MpCapableSpec& s, const codec::MpCapable& a,
                              parser::SourceLoc loc) {
    if (s.version) Compare("mp_capable.version", int{*s.version}, int{a.version});
    if (s.flags != a.flags) Add("mp_capable.flags", Hex(s.flags), Hex(a.flags));
    std::size_t n = s.nokey ? 0 : s.keys.size();
    const std::optional<std::uint64_t>* fields[2] = {&a.sender_key, &a.receiver_key};
    const char* names[2] = {"mp_capable.sender_key", "mp_capable.receiver_key"};
    for (std::size_t i = 0; i < 2; ++i) {
      bool want = i < n;
      bool have = fields[i]->has_value();
      if (want != have) {
        Add(names[i], want ? s.keys[i].name : "absent", have ? Hex(**fields[i]) : "absent");
      } else if (want) {
        if (auto st = Key(names[i], s.keys[i], **fields[i], loc); !st) return st;
      }
    }
    if (s.data_len) {
      if (!a.data_level_length) {
        Add("mp_capable.data_len", std::to_string(*s.data_len), "absent");
      } else {
        Compare("mp_capable.data_len", int{*s.data_len}, int{*a.data_level_length});
      }
    }
    if (s.checksum && a.checksum != s.checksum) {
      Add("mp_capable.checksum", Hex(*s.checksum), a.checksum ? Hex(*a.checksum) : "absent");
    }
    return Ok{};
  }

  Status<BindError> MpJoin(const parser::MpJoinSpec& s, const codec::MpJoin& a,
                           parser::SourceLoc loc) {
    using F = parser::MpJoinSpec::Form;
    static constexpr const char* kForms[] = {"mp_join_syn", "mp_join_syn_ack", "mp_join_ack"};
    codec::JoinForm want = s.form == F::kSyn      ? codec::JoinForm::kSyn
                           : s.form == F::kSynAck ? codec::JoinForm::kSynAck
                                                  : codec::JoinForm::kAck;
    if (want != a.form) {
      Add("mp_join.form", kForms[static_cast<int>(want)], kForms[static_cast<int>(a.form)]);
      return Ok{};
    }
    if (s.backup && a.form != codec::JoinForm::kAck) {
      Compare("mp_join.backup", int{*s.backup}, int{a.backup});
    }
    // The kernel's SYN/ACK: its address ID and nonce are taken as sent, not compared, as the
    // MPTCP packetdrill does (its scripts write address_id values Linux does not use there).
    const bool checked = a.form == codec::JoinForm::kSyn;
    if (s.address_id && !s.address_id->is_auto && checked) {
      Compare("mp_join.address_id", int{s.address_id->value}, int{a.address_id});
    }
    if (s.rand && checked) Compare("mp_join.rand", *s.rand, a.nonce);
    SubflowState* sf = st_.FindSubflow(p_.subflow);
    if (!sf) {
      return Unexpected{MakeError(BindErrorCode::kNoConnection, "mp_join: unknown subflow", loc)};
    }
    const ConnectionState& c = st_.connections[sf->connection];
    if (a.form == codec::JoinForm::kSyn) {
      using TK = parser::TokenSpec::Kind;
      std::optional<std::uint32_t> token;
      TK kind = s.token ? s.token->kind : TK::kAuto;
      switch (kind) {
        case TK::kValue:
          token = s.token->value;
          break;
        case TK::kSha256:
          if (auto k = st_.Key(s.token->var)) {
            token = crypto::Token(*k);
          } else {
            return Unexpected{MakeError(BindErrorCode::kUnboundVariable,
                                        "mp_join_syn: key '" + s.token->var + "' is not bound",
                                        loc)};
          }
          break;
        case TK::kSha1:
          return Unexpected{MakeError(BindErrorCode::kUnsupported, "sha1_32 (MPTCP v0)", loc)};
        case TK::kAuto:
          if (c.mpdrill_key) token = crypto::Token(*c.mpdrill_key);
          break;
      }
      if (token && *token != a.token) Add("mp_join.token", Hex(*token), Hex(a.token));
      return Ok{};
    }
    // The kernel's HMAC: HMAC(K_kernel‖K_mpdrill, R_kernel‖R_mpdrill) (RFC 8684 §3.2).
    using HK = parser::HmacSpec::Kind;
    HK kind = s.sender_hmac ? s.sender_hmac->kind : HK::kAuto;
    std::array<std::uint8_t, 20> expected{};
    std::uint64_t ka = 0, kb = 0;
    switch (kind) {
      case HK::kAuto:
        if (!c.kernel_key || !c.mpdrill_key) {
          return Unexpected{MakeError(BindErrorCode::kUnboundVariable,
                                      "mp_join: sender_hmac=auto but the keys are not known", loc)};
        }
        ka = *c.kernel_key;
        kb = *c.mpdrill_key;
        break;
      case HK::kTruncL64Vars:
      case HK::kFull160Vars: {
        auto x = st_.Key(s.sender_hmac->var1);
        auto y = st_.Key(s.sender_hmac->var2);
        if (!x || !y) {
          return Unexpected{MakeError(BindErrorCode::kUnboundVariable,
                                      "mp_join: HMAC key variable is not bound", loc)};
        }
        ka = *x;
        kb = *y;
        break;
      }
      case HK::kTruncL64Value:
        for (int i = 0; i < 8; ++i) {
          expected[i] = static_cast<std::uint8_t>(s.sender_hmac->value >> (56 - 8 * i));
        }
        break;
      case HK::kBytes:
        for (std::size_t i = 0; i + 1 < s.sender_hmac->hex.size() && i / 2 < 20; i += 2) {
          expected[i / 2] =
              static_cast<std::uint8_t>(std::stoi(s.sender_hmac->hex.substr(i, 2), nullptr, 16));
        }
        break;
    }
    if (kind == HK::kAuto || kind == HK::kTruncL64Vars || kind == HK::kFull160Vars) {
      if (!sf->kernel_nonce || !sf->mpdrill_nonce) {
        return Unexpected{MakeError(BindErrorCode::kMissingNonce,
                                    "mp_join: the nonces of this subflow are not known", loc)};
      }
      auto full = crypto::JoinHmac(ka, kb, *sf->kernel_nonce, *sf->mpdrill_nonce);
      std::copy_n(full.begin(), 20, expected.begin());
    }
    if (a.form == codec::JoinForm::kSynAck) {
      std::uint64_t e = 0;
      for (int i = 0; i < 8; ++i) e = e << 8 | expected[i];
      if (e != a.truncated_hmac) Add("mp_join.hmac", Hex(e), Hex(a.truncated_hmac));
    } else if (expected != a.hmac) {
      Add("mp_join.hmac", Hex(expected), Hex(a.hmac));
    }
    return Ok{};
  }

  Status<BindError> Dss(const parser::DssSpec& s, const codec::Dss& a, parser::SourceLoc loc) {
    ConnectionState* c = st_.ConnectionOf(p_.subflow);
    std::optional<std::uint64_t> kernel_idsn, mpdrill_idsn;
    if (c && c->kernel_key) kernel_idsn = crypto::Idsn(*c->kernel_key);
    if (c && c->mpdrill_key) mpdrill_idsn = crypto::Idsn(*c->mpdrill_key);
    // DATA_ACK: relative to mpdrill's IDSN (it acknowledges mpdrill's data).
    if (s.data_ack) {
      std::string want = s.data_ack->width == 8 ? "dack8" : "dack4";
      if (!a.has_data_ack()) {
        Add("dss.dack", want, "absent");
      } else if ((s.data_ack->width == 8) != a.data_ack_64()) {
        Add("dss.dack", want, a.data_ack_64() ? "dack8" : "dack4");
      } else {
        auto v = DssFieldValue(st_, s.data_ack->value, mpdrill_idsn, "dss.dack", loc);
        if (!v) return Unexpected{v.error()};
        bool wide = a.data_ack_64();
        if (*v && ((**v ^ a.data_ack) & (wide ? ~0ULL : kLow32))) {
          Add("dss.dack", Relative(**v, mpdrill_idsn, wide), Relative(a.data_ack, mpdrill_idsn, wide));
        }
      }
    } else if (a.has_data_ack()) {
      Add("dss.dack", "absent", a.data_ack_64() ? "dack8" : "dack4");
    }
    // Mapping: written iff `dsn` (or `fin`) is; DSN relative to the kernel's IDSN.
    bool want_map = s.dsn.has_value() || s.fin;
    if (want_map != a.has_mapping()) {
      Add("dss.mapping", want_map ? "present" : "absent", a.has_mapping() ? "present" : "absent");
    } else if (want_map) {
      if (s.dsn) {
        std::string want = s.dsn->width == 8 ? "dsn8" : "dsn4";
        if ((s.dsn->width == 8) != a.dsn_64()) {
          Add("dss.dsn", want, a.dsn_64() ? "dsn8" : "dsn4");
        } else {
          auto v = DssFieldValue(st_, s.dsn->value, kernel_idsn, "dss.dsn", loc);
          if (!v) return Unexpected{v.error()};
          bool wide = a.dsn_64();
          if (*v && ((**v ^ a.dsn) & (wide ? ~0ULL : kLow32))) {
            Add("dss.dsn", Relative(**v, kernel_idsn, wide), Relative(a.dsn, kernel_idsn, wide));
          }
        }
      }
      if (s.ssn) Compare("dss.ssn", *s.ssn, a.ssn);
      if (s.dll) Compare("dss.dll", int{*s.dll}, int{a.data_level_length});
      switch (s.checksum) {
        case parser::DssSpec::Checksum::kNone:
          if (a.checksum) Add("dss.checksum", "nocs", "cksum=" + Hex(*a.checksum));
          break;
        case parser::DssSpec::Checksum::kValue:
          if (a.checksum != s.checksum_value) {
            Add("dss.checksum", "cksum=" + Hex(s.checksum_value),
                a.checksum ? "cksum=" + Hex(*a.checksum) : "nocs");
          }
          break;
        case parser::DssSpec::Checksum::kUnspecified:
          break;
      }
    }
    if (s.fin != a.data_fin()) Add("dss.fin", s.fin ? "fin" : "absent", a.data_fin() ? "fin" : "absent");
    if (s.flags && *s.flags != a.flags) Add("dss.flags", Hex(*s.flags), Hex(a.flags));
    return Ok{};
  }

  Status<BindError> AddAddr(const parser::AddAddressSpec& s, const codec::AddAddr& a,
                            std::optional<model::Endpoint> expected_addr) {
    if (s.echo != a.echo) Add("add_addr.echo", s.echo ? "addr_echo" : "absent", a.echo ? "addr_echo" : "absent");
    model::Endpoint actual;
    actual.ip_version = a.ipv6 ? 6 : 4;
    actual.address = a.address;
    if (expected_addr) {
      model::Endpoint e = *expected_addr;
      e.port = 0;
      if (!(e == actual)) Add("add_addr.address", AddressString(e), AddressString(actual));
    } else if (!s.addr.var.empty()) {
      st_.addresses[s.addr.var] = {actual, Side::kKernel};  // first sight: the kernel's
    }
    if (s.address_id && !s.address_id->is_auto) {
      Compare("add_addr.address_id", int{s.address_id->value}, int{a.address_id});
    }
    if (s.port != a.port) {
      Add("add_addr.port", s.port ? std::to_string(*s.port) : "absent",
          a.port ? std::to_string(*a.port) : "absent");
    }
    if (s.hmac && a.hmac != s.hmac) {
      Add("add_addr.hmac", Hex(*s.hmac), a.hmac ? Hex(*a.hmac) : "absent");
    } else if (s.hmac_auto) {
      ConnectionState* c = st_.ConnectionOf(p_.subflow);
      if (!c || !c->kernel_key || !c->mpdrill_key) {
        return Unexpected{MakeError(BindErrorCode::kUnboundVariable,
                                    "add_address hmac=auto: keys not known", {})};
      }
      // K3: HMAC(K_kernel‖K_mpdrill, ID‖address‖port) of the option as sent.
      std::uint64_t e = crypto::AddAddrHmac(*c->kernel_key, *c->mpdrill_key, a.address_id,
                                            {a.address.data(), a.ipv6 ? 16u : 4u}, a.port);
      if (a.hmac != e) Add("add_addr.hmac", Hex(e), a.hmac ? Hex(*a.hmac) : "absent");
    } else if (s.echo && a.hmac) {
      Add("add_addr.hmac", "absent", Hex(*a.hmac));
    }
    return Ok{};
  }

  Status<BindError> Match(const parser::MptcpOption& e, const codec::Option& a) {
    return std::visit(
        [&](const auto& s) -> Status<BindError> {
          using T = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<T, parser::MpCapableSpec>) {
            return MpCapable(s, std::get<codec::MpCapable>(a), e.loc);
          } else if constexpr (std::is_same_v<T, parser::MpJoinSpec>) {
            return MpJoin(s, std::get<codec::MpJoin>(a), e.loc);
          } else if constexpr (std::is_same_v<T, parser::DssSpec>) {
            return Dss(s, std::get<codec::Dss>(a), e.loc);
          } else if constexpr (std::is_same_v<T, parser::AddAddressSpec>) {
            std::optional<model::Endpoint> want;
            if (!s.addr.literal.empty()) {
              want = ParseAddress(s.addr.literal);
              if (!want) {
                return Unexpected{MakeError(BindErrorCode::kBadAddress,
                                            "'" + s.addr.literal + "' is not an address", e.loc)};
              }
              if (!s.addr.var.empty()) st_.addresses[s.addr.var] = {*want, Side::kKernel};
            } else if (auto it = st_.addresses.find(s.addr.var); it != st_.addresses.end()) {
              want = it->second.address;
            }
            // Else: an unbound name is bound below to the address the kernel announced.
            return AddAddr(s, std::get<codec::AddAddr>(a), want);
          } else if constexpr (std::is_same_v<T, parser::RemoveAddressSpec>) {
            const auto& r = std::get<codec::RemoveAddr>(a);
            std::vector<std::uint8_t> ids(r.address_ids.view().begin(), r.address_ids.view().end());
            if (ids != s.address_ids) {
              auto list = [](const std::vector<std::uint8_t>& v) {
                std::string out = "[";
                for (std::size_t i = 0; i < v.size(); ++i) {
                  out += (i ? ", " : "") + std::to_string(v[i]);
                }
                return out + "]";
              };
              Add("remove_addr.address_ids", list(s.address_ids), list(ids));
            }
            return Ok{};
          } else if constexpr (std::is_same_v<T, parser::MpPrioSpec>) {
            if (s.backup) Compare("mp_prio.backup", int{*s.backup}, int{std::get<codec::MpPrio>(a).backup});
            return Ok{};
          } else if constexpr (std::is_same_v<T, parser::MpFailSpec>) {
            // RFC 8684 §3.7: the kernel's MP_FAIL names the start of mpdrill's mapping that
            // failed: relative to mpdrill's IDSN (as Linux 6.18 does on the wire).
            ConnectionState* c = st_.ConnectionOf(p_.subflow);
            std::optional<std::uint64_t> base;
            if (c && c->mpdrill_key) base = crypto::Idsn(*c->mpdrill_key);
            std::uint64_t actual = std::get<codec::MpFail>(a).dsn;
            std::uint64_t want = base.value_or(0) + s.dsn;
            if (want != actual) Add("mp_fail.dsn", std::to_string(s.dsn), Relative(actual, base, true));
            return Ok{};
          } else if constexpr (std::is_same_v<T, parser::MpFastcloseSpec>) {
            // RFC 8684 §3.5: the kernel's MP_FASTCLOSE carries mpdrill's key.
            std::uint64_t actual = std::get<codec::MpFastclose>(a).receiver_key;
            if (!s.key) return Ok{};
            std::optional<std::uint64_t> want = s.key->value;
            if (!want && !s.key->name.empty()) want = st_.Key(s.key->name);
            if (!want) return st_.BindKey(s.key->name, actual - s.addend, e.loc);
            if (*want + s.addend != actual) Add("mp_fastclose.key", Hex(*want + s.addend), Hex(actual));
            return Ok{};
          } else if constexpr (std::is_same_v<T, parser::MpResetSpec>) {
            const auto& r = std::get<codec::MpTcpRst>(a);
            Compare("mp_tcprst.reason", int{s.reason}, int{r.reason});
            if (s.flags) Compare("mp_tcprst.flags", int{*s.flags}, int{r.flags});
            return Ok{};
          } else {
            static_assert(std::is_same_v<T, parser::MptcpRawSpec>);
            std::array<std::uint8_t, codec::kMaxTcpOptionSpace> buf{};
            auto n = codec::Encode(a, buf);
            std::string actual = n ? Hex(std::span<const std::uint8_t>(buf.data(), *n)) : "?";
            if (actual != "0x" + s.hex) Add("mptcp_raw", "0x" + s.hex, actual);
            return Ok{};
          }
        },
        e.spec);
  }

 private:
  BinderState& st_;
  const PacketView& p_;
  std::vector<FieldMismatch>* out_;
};

// The codec subtype an expected option needs (raw options match any subtype).
std::optional<std::uint8_t> SubtypeOfSpec(const parser::MptcpOption& e) {
  static constexpr std::uint8_t kByIndex[] = {0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8};
  if (e.spec.index() < std::size(kByIndex)) return kByIndex[e.spec.index()];
  return std::nullopt;
}

}  // namespace

std::string Binder::Describe(const codec::Option& actual, const PacketView& packet) const {
  const codec::SegmentInfo info = InfoOf(packet);
  const ConnectionState* c = state_->ConnectionOf(packet.subflow);
  std::optional<std::uint64_t> kernel_idsn, mpdrill_idsn;
  if (c && c->kernel_key) kernel_idsn = crypto::Idsn(*c->kernel_key);
  if (c && c->mpdrill_key) mpdrill_idsn = crypto::Idsn(*c->mpdrill_key);
  const auto relative = [](std::uint64_t v, std::optional<std::uint64_t> base, bool wide) {
    if (!base) return v;
    return wide ? v - *base : (v - *base) & kLow32;
  };
  codec::Option shown = actual;
  if (auto* d = std::get_if<codec::Dss>(&shown)) {
    if (d->has_data_ack()) d->data_ack = relative(d->data_ack, mpdrill_idsn, d->data_ack_64());
    if (d->has_mapping()) d->dsn = relative(d->dsn, kernel_idsn, d->dsn_64());
  } else if (auto* f = std::get_if<codec::MpFail>(&shown)) {
    f->dsn = relative(f->dsn, mpdrill_idsn, true);
  }
  return codec::ToScript(shown, info);
}

void Binder::Observe(std::span<const codec::Option> actual, const PacketView& packet) {
  for (const codec::Option& o : actual) Learn(*state_, o, packet);
}

Result<std::vector<FieldMismatch>, BindError> Binder::MatchOutbound(
    std::span<const parser::MptcpOption> expected, std::span<const codec::Option> actual,
    const PacketView& packet, bool strict_order) {
  if (!state_->kernel_is_client) state_->kernel_is_client = packet.subflow.kernel_is_client;
  Observe(actual, packet);
  std::vector<FieldMismatch> out;
  OutboundMatcher m(*state_, packet, &out);
  std::vector<bool> used(actual.size(), false);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const parser::MptcpOption& e = expected[i];
    std::optional<std::uint8_t> want = SubtypeOfSpec(e);
    std::optional<std::size_t> pick;
    if (strict_order) {
      if (i < actual.size() && (!want || codec::SubtypeOf(actual[i]) == *want)) pick = i;
    } else {
      for (std::size_t j = 0; j < actual.size() && !pick; ++j) {
        if (!used[j] && (!want || codec::SubtypeOf(actual[j]) == *want)) pick = j;
      }
    }
    if (!pick) {
      static constexpr const char* kNames[] = {"mp_capable", "mp_join",     "dss",
                                               "add_addr",   "remove_addr", "mp_prio",
                                               "mp_fail",    "mp_fastclose", "mp_tcprst",
                                               "mptcp_raw"};
      std::string actual_text = "absent";
      if (strict_order && i < actual.size()) actual_text = Describe(actual[i], packet);
      m.Add(kNames[e.spec.index()], parser::PrintMptcpOption(e), actual_text);
      continue;
    }
    used[*pick] = true;
    if (auto s = m.Match(e, actual[*pick]); !s) return Unexpected{s.error()};
  }
  for (std::size_t j = 0; j < actual.size(); ++j) {
    if (!used[j] && !(strict_order && j < expected.size())) {
      m.Add(codec::SubtypeName(actual[j]), "absent", Describe(actual[j], packet));
    }
  }
  return out;
}

}  // namespace mpdrill::bind
