// The MPTCP binder of `mpdrill run`: turns the script's symbolic MPTCP options (key
// variables, `auto` tokens and HMACs, relative DSNs, address variables) into wire bytes for
// inbound packets, and compares the kernel's options with the script's for outbound packets.
//
// PURE: no sockets, no TUN, no clock. Randomness (mpdrill-side keys and join nonces) comes
// from the seed. The runner passes every script packet with MPTCP options (and, through
// Observe(), every sniffed packet it does not match) so the binder can learn keys and nonces.
// docs/run-mptcp.md describes the semantics: which side owns which key and address variable,
// what DSN/DATA_ACK values are relative to, which outbound fields are compared.
#ifndef MPDRILL_ENGINE_BIND_BINDER_H_
#define MPDRILL_ENGINE_BIND_BINDER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/codec/mptcp_option.h"
#include "engine/model/segment.h"
#include "parser/ast.h"
#include "parser/ast_mptcp.h"
#include "parser/source_loc.h"

namespace mpdrill::bind {

enum class BindErrorCode : std::uint8_t {
  kUnboundVariable,    // a key needed by value before anything bound it
  kConflict,           // `name=N` forced on a name already bound to another value
  kUnknownAddress,     // addr[x] that is neither caddrN / saddrN nor bound by ADD_ADDR
  kBadAddress,         // an address literal that does not parse
  kNoConnection,       // an option that needs an MPTCP connection on an unknown subflow
  kMissingNonce,       // a join HMAC before both nonces of the subflow are known
  kUnsupported,        // MPTCP v0 / SHA-1 forms
  kEncode,             // the codec refused the option built (e.g. too long)
};

struct BindError {
  BindErrorCode code;
  std::string message;  // e.g. "mp_join_ack: the kernel's nonce of this subflow is not known"
  parser::SourceLoc loc;
};

// The runner's knowledge of the packet's subflow. Endpoints carry ports; `local` is the
// kernel's side, `remote` mpdrill's side, whatever the direction of the packet.
struct SubflowView {
  model::Endpoint local;   // kernel side
  model::Endpoint remote;  // mpdrill (TUN) side
  std::uint32_t kernel_isn = 0;
  std::uint32_t injected_isn = 0;
  bool kernel_is_client = false;  // the kernel sent this subflow's SYN
};

// One script packet being injected (inbound) or matched (outbound).
struct PacketView {
  parser::Direction direction = parser::Direction::kInbound;
  std::uint8_t tcp_flags = 0;  // model::kTcp* bits of the packet
  SubflowView subflow;
  // Relative sequence number of the packet's first byte (the script's start_seq): used for
  // an inbound DSS whose `ssn` is omitted.
  std::uint32_t relative_seq = 0;
  // TCP payload: DSS checksums (RFC 8684 §3.3.1) and omitted `dll` of inbound packets.
  std::span<const std::uint8_t> payload;
  parser::SourceLoc loc;
};

// One field that differs: "dss.dsn", expected "1", actual "9001" (both script-relative where
// the script writes relative values). ToString() gives `dss.dsn: expected: 1 actual: 9001`.
struct FieldMismatch {
  std::string field;
  std::string expected;
  std::string actual;
  std::string ToString() const;
};

// Addresses the run uses: the kernel's (--local_ip) and mpdrill's (--remote_ip). Ports 0.
struct AddressPlan {
  model::Endpoint kernel;
  model::Endpoint mpdrill;
};

enum class Side : std::uint8_t { kKernel, kMpdrill };

struct ResolvedAddress {
  model::Endpoint address;  // port 0: the runner picks ports
  Side owner = Side::kKernel;
  // caddrN / saddrN index (0 = the primary address) when the default gave the address.
  std::optional<int> index;
};

struct BinderOptions {
  std::uint64_t seed = 0;
  AddressPlan addresses;
  // Whether the kernel is the client (connect()) of the script's MPTCP connections. nullopt:
  // decided by the first SYN resolved or built (inbound SYN => kernel is the server).
  std::optional<bool> kernel_is_client;
};

class BinderState;  // binder_state.h: connections, subflows, variables

class Binder {
 public:
  explicit Binder(std::uint64_t seed);  // addresses 192.0.2.1 (kernel) / 192.0.2.2 (mpdrill)
  explicit Binder(const BinderOptions& options);
  ~Binder();
  Binder(Binder&&) noexcept;
  Binder& operator=(Binder&&) noexcept;

  // addr[name] or a literal "198.51.100.1:80" (port kept). A bound name gives its address.
  // An unbound name is bound: to `observed` when given (the address the kernel's packet
  // really carries at that position: first sight outbound), else to its default: caddrN are
  // the client's addresses, saddrN the server's, N-th = primary + N on the last byte (other
  // names: kUnknownAddress). `direction` and `tcp_flags` decide the roles on the first SYN.
  Result<ResolvedAddress, BindError> ResolveEndpoint(
      const parser::Endpoint& endpoint, parser::Direction direction, std::uint8_t tcp_flags,
      std::optional<ResolvedAddress> observed = std::nullopt);

  // Inbound: the bytes of the kind-30 option for the script's option.
  Result<std::vector<std::uint8_t>, BindError> BuildInbound(const parser::MptcpOption& option,
                                                            const PacketView& packet);

  // Outbound: compares the script's options with the kernel's (decoded) ones; order-
  // insensitive unless strict_order. Binds variables seen first here. Empty = match.
  Result<std::vector<FieldMismatch>, BindError> MatchOutbound(
      std::span<const parser::MptcpOption> expected, std::span<const codec::Option> actual,
      const PacketView& packet, bool strict_order);

  // Records a sniffed outbound packet that no script packet matched alone (coalesced tail,
  // ignored retransmission): learns keys, nonces and data-level progress from it.
  void Observe(std::span<const codec::Option> actual, const PacketView& packet);

  // A kernel option in script syntax as a script would write it: DSS DATA_ACK relative to
  // mpdrill's IDSN, DSN and the kernel's MP_FAIL DSN relative to the IDSN they count from,
  // once the keys are known (else as on the wire). For diagnostics.
  std::string Describe(const codec::Option& actual, const PacketView& packet) const;

  // Whether two sniffed segments may be coalesced into one script packet: same DSS mapping
  // (or neither has one) and the same non-DSS options.
  bool SameMapping(std::span<const codec::Option> a, std::span<const codec::Option> b) const;

  // The value bound to a key variable, if any (tests, diagnostics).
  std::optional<std::uint64_t> KeyValue(std::string_view name) const;

 private:
  std::unique_ptr<BinderState> state_;
};

}  // namespace mpdrill::bind

#endif  // MPDRILL_ENGINE_BIND_BINDER_H_
