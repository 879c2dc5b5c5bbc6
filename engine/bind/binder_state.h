// Internal state of the binder (engine/bind/binder.h): key and address variables, MPTCP
// connections and their subflows. Only the binder's own .cc files include this header.
#ifndef MPDRILL_ENGINE_BIND_BINDER_STATE_H_
#define MPDRILL_ENGINE_BIND_BINDER_STATE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/bind/binder.h"

namespace mpdrill::bind {

// One MPTCP connection: the two keys (RFC 8684 §3.1) and the data-level progress needed to
// fill omitted DSS fields of inbound packets.
struct ConnectionState {
  std::optional<std::uint64_t> kernel_key;
  std::optional<std::uint64_t> mpdrill_key;
  bool checksums = false;  // flag A seen on either side's MP_CAPABLE (RFC 8684 §3.1)
  // Absolute DSN after the last byte (or DATA_FIN) the kernel mapped; nullopt: none yet.
  std::optional<std::uint64_t> kernel_data_end;
  // Absolute DSN of mpdrill's next byte; nullopt: IDSN + 1.
  std::optional<std::uint64_t> mpdrill_next_dsn;
  std::uint8_t announced = 0;  // ADD_ADDRs mpdrill sent (next automatic address ID)
};

struct BoundAddress {
  model::Endpoint address;
  Side owner = Side::kKernel;
};

// One subflow (TCP connection) seen by the binder, keyed by its endpoints.
struct SubflowState {
  model::Endpoint local;   // kernel side
  model::Endpoint remote;  // mpdrill side
  std::size_t connection = 0;
  std::optional<std::uint32_t> kernel_nonce;   // MP_JOIN R of the kernel (RFC 8684 §3.2)
  std::optional<std::uint32_t> mpdrill_nonce;  // MP_JOIN R of mpdrill
};

class BinderState {
 public:
  explicit BinderState(const BinderOptions& options)
      : options(options), rng(options.seed), kernel_is_client(options.kernel_is_client) {}

  BinderOptions options;
  std::mt19937_64 rng;  // deterministic per seed on every platform
  std::optional<bool> kernel_is_client;
  std::map<std::string, std::uint64_t, std::less<>> keys;
  // Address variables bound so far (port 0): by `addr[x=inet_addr(..)]`, by an ADD_ADDR, on
  // first sight in an outbound packet, or to their caddrN/saddrN default on first inbound use.
  std::map<std::string, BoundAddress, std::less<>> addresses;
  std::vector<ConnectionState> connections;
  std::vector<SubflowState> subflows;

  // The subflow of the packet, or nullptr.
  SubflowState* FindSubflow(const SubflowView& view);
  // The subflow of the packet; created (bound to `connection`) if new.
  SubflowState& EnsureSubflow(const SubflowView& view, std::size_t connection);
  // The connection of the packet's subflow; else the latest connection; else nullptr.
  ConnectionState* ConnectionOf(const SubflowView& view);
  const ConnectionState* ConnectionOf(const SubflowView& view) const {
    return const_cast<BinderState*>(this)->ConnectionOf(view);
  }
  std::size_t NewConnection();

  std::optional<std::uint64_t> Key(std::string_view name) const;
  // Binds `name` to `value`; kConflict if already bound to another value.
  Status<BindError> BindKey(const std::string& name, std::uint64_t value, parser::SourceLoc loc);
  std::uint64_t RandomKey() { return rng(); }
  std::uint32_t RandomNonce() { return static_cast<std::uint32_t>(rng() >> 32); }
};

// Helpers shared by the inbound and outbound halves.
BindError MakeError(BindErrorCode code, std::string message, parser::SourceLoc loc);
std::string Hex(std::uint64_t value);
std::string Hex(std::span<const std::uint8_t> bytes);
std::string AddressString(const model::Endpoint& address);
// Parses "198.51.100.2" / "2001:db8::1" (no port).
std::optional<model::Endpoint> ParseAddress(std::string_view text);

// Value of a script DSS/MP_FAIL sequence field: `=N` is relative to `base_idsn`,
// trunc_r64_hmac(var)+N is IDSN(var)+N. nullopt value for a bare field.
Result<std::optional<std::uint64_t>, BindError> DssFieldValue(const BinderState& state,
                                                              const parser::DssValue& value,
                                                              std::optional<std::uint64_t> base,
                                                              std::string_view what,
                                                              parser::SourceLoc loc);

}  // namespace mpdrill::bind

#endif  // MPDRILL_ENGINE_BIND_BINDER_STATE_H_
