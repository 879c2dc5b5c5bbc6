#include "engine/bind/binder.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <utility>
#include <variant>

#include "engine/bind/binder_state.h"
#include "engine/crypto/mptcp_crypto.h"

namespace mpdrill::bind {

// ---- shared helpers

BindError MakeError(BindErrorCode code, std::string message, parser::SourceLoc loc) {
  return BindError{code, std::move(message), loc};
}

std::string Hex(std::uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string Hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::string AddressString(const model::Endpoint& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address.ip_version == 6) {
    inet_ntop(AF_INET6, address.address.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, address.address.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<model::Endpoint> ParseAddress(std::string_view text) {
  std::string s(text);
  model::Endpoint e;
  if (inet_pton(AF_INET, s.c_str(), e.address.data()) == 1) {
    e.ip_version = 4;
    return e;
  }
  if (inet_pton(AF_INET6, s.c_str(), e.address.data()) == 1) {
    e.ip_version = 6;
    return e;
  }
  return std::nullopt;
}

Result<std::optional<std::uint64_t>, BindError> DssFieldValue(const BinderState& state,
                                                              const parser::DssValue& value,
                                                              std::optional<std::uint64_t> base,
                                                              std::string_view what,
                                                              parser::SourceLoc loc) {
  using K = parser::DssValue::Kind;
  switch (value.kind) {
    case K::kUnset:
      return std::optional<std::uint64_t>();
    case K::kValue:
      // Script values are relative to the IDSN of the key of the data's sender.
      if (!base) {
        return Unexpected{MakeError(BindErrorCode::kUnboundVariable,
                                    std::string(what) +
                                        ": relative value but the connection's key is not known",
                                    loc)};
      }
      return std::optional<std::uint64_t>(*base + value.value);
    case K::kTruncR64Hmac: {
      auto key = state.Key(value.var);
      if (!key) {
        return Unexpected{MakeError(BindErrorCode::kUnboundVariable,
                                    std::string(what) + ": key '" + value.var + "' is not bound",
                                    loc)};
      }
      return std::optional<std::uint64_t>(crypto::Idsn(*key) + value.addend);
    }
    case K::kTruncR64HmacSha256:
      return std::optional<std::uint64_t>(crypto::Idsn(value.value));
    case K::kTruncR64HmacSha1:
      return Unexpected{MakeError(BindErrorCode::kUnsupported,
                                  std::string(what) + ": SHA-1 (MPTCP v0) is not supported", loc)};
  }
  return std::optional<std::uint64_t>();
}

// ---- BinderState

SubflowState* BinderState::FindSubflow(const SubflowView& view) {
  for (SubflowState& s : subflows) {
    if (s.local == view.local && s.remote == view.remote) return &s;
  }
  return nullptr;
}

SubflowState& BinderState::EnsureSubflow(const SubflowView& view, std::size_t connection) {
  if (SubflowState* s = FindSubflow(view)) {
    s->connection = connection;
    return *s;
  }
  subflows.push_back(SubflowState{view.local, view.remote, connection, {}, {}});
  return subflows.back();
}

ConnectionState* BinderState::ConnectionOf(const SubflowView& view) {
  if (SubflowState* s = FindSubflow(view)) return &connections[s->connection];
  if (connections.empty()) return nullptr;
  return &connections.back();
}

std::size_t BinderState::NewConnection() {
  connections.emplace_back();
  return connections.size() - 1;
}

std::optional<std::uint64_t> BinderState::Key(std::string_view name) const {
  auto it = keys.find(name);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

Status<BindError> BinderState::BindKey(const std::string& name, std::uint64_t value,
                                       parser::SourceLoc loc) {
  auto [it, inserted] = keys.emplace(name, value);
  if (!inserted && it->second != value) {
    return Unexpected{MakeError(BindErrorCode::kConflict,
                                "key '" + name + "': expected: " + Hex(it->second) +
                                    " actual: " + Hex(value),
                                loc)};
  }
  return Ok{};
}

// ---- Binder

std::string FieldMismatch::ToString() const {
  return field + ": expected: " + expected + " actual: " + actual;
}

Binder::Binder(std::uint64_t seed) : Binder(BinderOptions{.seed = seed}) {}
Binder::Binder(const BinderOptions& options) : state_(std::make_unique<BinderState>(options)) {
  if (state_->options.addresses.kernel == model::Endpoint{}) {
    state_->options.addresses.kernel = *ParseAddress("192.0.2.1");
  }
  if (state_->options.addresses.mpdrill == model::Endpoint{}) {
    state_->options.addresses.mpdrill = *ParseAddress("192.0.2.2");
  }
}
Binder::~Binder() = default;
Binder::Binder(Binder&&) noexcept = default;
Binder& Binder::operator=(Binder&&) noexcept = default;

namespace {

// "caddr3" -> {client, 3}; "saddr0" -> {server, 0}; "saddr" -> {server, 0}.
struct AddrVar {
  bool client;
  int index;
};
std::optional<AddrVar> ParseAddrVar(std::string_view name) {
  if (name.size() < 5) return std::nullopt;
  bool client;
  if (name.substr(0, 5) == "caddr") {
    client = true;
  } else if (name.substr(0, 5) == "saddr") {
    client = false;
  } else {
    return std::nullopt;
  }
  std::string_view digits = name.substr(5);
  int index = 0;
  if (!digits.empty()) {
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec != std::errc() || p != digits.data() + digits.size() || index > 200) {
      return std::nullopt;
    }
  }
  return AddrVar{client, index};
}

model::Endpoint NthAddress(model::Endpoint base, int n) {
  std::size_t last = base.ip_version == 6 ? 15 : 3;
  base.address[last] = static_cast<std::uint8_t>(base.address[last] + n);
  base.port = 0;
  return base;
}

}  // namespace

Result<ResolvedAddress, BindError> Binder::ResolveEndpoint(
    const parser::Endpoint& endpoint, parser::Direction direction, std::uint8_t tcp_flags,
    std::optional<ResolvedAddress> observed) {
  BinderState& st = *state_;
  if (!st.kernel_is_client && (tcp_flags & model::kTcpSyn)) {
    // The SYN's sender is the client; a SYN/ACK's receiver is.
    bool kernel_sends = direction == parser::Direction::kOutbound;
    bool syn_ack = tcp_flags & model::kTcpAck;
    st.kernel_is_client = syn_ack ? !kernel_sends : kernel_sends;
  }
  using K = parser::Endpoint::Kind;
  switch (endpoint.kind) {
    case K::kVar: {
      if (auto bound = st.addresses.find(endpoint.var); bound != st.addresses.end()) {
        return ResolvedAddress{bound->second.address, bound->second.owner, std::nullopt};
      }
      if (observed) {
        observed->address.port = 0;
        observed->index.reset();
        st.addresses[endpoint.var] = {observed->address, observed->owner};
        return *observed;
      }
      auto var = ParseAddrVar(endpoint.var);
      if (!var) {
        return Unexpected{MakeError(BindErrorCode::kUnknownAddress,
                                    "addr[" + endpoint.var +
                                        "]: not caddrN / saddrN, and nothing bound it before",
                                    {})};
      }
      bool kernel_is_client = st.kernel_is_client.value_or(false);
      Side owner = var->client == kernel_is_client ? Side::kKernel : Side::kMpdrill;
      const model::Endpoint& base =
          owner == Side::kKernel ? st.options.addresses.kernel : st.options.addresses.mpdrill;
      const model::Endpoint address = NthAddress(base, var->index);
      st.addresses[endpoint.var] = {address, owner};
      return ResolvedAddress{address, owner, var->index};
    }
    case K::kAddressPort: {
      auto a = ParseAddress(endpoint.address);
      if (!a) {
        return Unexpected{MakeError(BindErrorCode::kBadAddress,
                                    "'" + endpoint.address + "' is not an IPv4/IPv6 address", {})};
      }
      a->port = endpoint.port;
      Side owner = a->address == st.options.addresses.kernel.address ? Side::kKernel
                                                                      : Side::kMpdrill;
      return ResolvedAddress{*a, owner, std::nullopt};
    }
    case K::kNone:
    case K::kPort:
      break;
  }
  return Unexpected{MakeError(BindErrorCode::kUnknownAddress, "endpoint names no address", {})};
}

std::optional<std::uint64_t> Binder::KeyValue(std::string_view name) const {
  return state_->Key(name);
}

namespace {
const codec::Dss* FindDss(std::span<const codec::Option> options) {
  for (const codec::Option& o : options) {
    if (const auto* d = std::get_if<codec::Dss>(&o)) return d;
  }
  return nullptr;
}
}  // namespace

bool Binder::SameMapping(std::span<const codec::Option> a,
                         std::span<const codec::Option> b) const {
  const codec::Dss* da = FindDss(a);
  const codec::Dss* db = FindDss(b);
  bool ma = da && da->has_mapping();
  bool mb = db && db->has_mapping();
  if (ma != mb) return false;
  if (ma && (da->dsn != db->dsn || da->ssn != db->ssn ||
             da->data_level_length != db->data_level_length || da->data_fin() != db->data_fin())) {
    return false;
  }
  // Non-DSS options (ADD_ADDR, MP_PRIO, ...) must be the same on both.
  std::vector<const codec::Option*> oa, ob;
  for (const codec::Option& o : a) {
    if (!std::holds_alternative<codec::Dss>(o)) oa.push_back(&o);
  }
  for (const codec::Option& o : b) {
    if (!std::holds_alternative<codec::Dss>(o)) ob.push_back(&o);
  }
  if (oa.size() != ob.size()) return false;
  for (std::size_t i = 0; i < oa.size(); ++i) {
    if (!(*oa[i] == *ob[i])) return false;
  }
  return true;
}

}  // namespace mpdrill::bind
