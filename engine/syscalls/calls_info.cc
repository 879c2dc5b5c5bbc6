// Struct-valued getsockopt results compared field by field: MPTCP_INFO (struct mptcp_info) and
// TCP_INFO (struct tcp_info). An mpdrill extension: the script names only the fields it cares
// about, e.g. getsockopt(4, SOL_MPTCP, MPTCP_INFO, {mptcpi_subflows=0, mptcpi_csum_enabled=0}, ...).
#include <linux/mptcp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <string>

#include "engine/syscalls/executor_internal.h"

namespace mpdrill::syscalls::internal {
namespace {

using parser::Expr;
using parser::ExprKind;

struct Field {
  const char* name;
  std::size_t offset;
  std::size_t size;  // 1, 2, 4 or 8 bytes, host order
};

#define F(type, field) Field{#field, offsetof(type, field), sizeof(type::field)}

// struct mptcp_info (include/uapi/linux/mptcp.h). The fields after mptcpi_csum_enabled are newer
// than the build machine's header; their offsets are the uapi layout of Linux 6.10+, and the
// kernel returns only as many bytes as it knows (a shorter answer is reported, not guessed).
constexpr Field kMptcpInfo[] = {
    F(mptcp_info, mptcpi_subflows),
    F(mptcp_info, mptcpi_add_addr_signal),
    F(mptcp_info, mptcpi_add_addr_accepted),
    F(mptcp_info, mptcpi_subflows_max),
    F(mptcp_info, mptcpi_add_addr_signal_max),
    F(mptcp_info, mptcpi_add_addr_accepted_max),
    F(mptcp_info, mptcpi_flags),
    F(mptcp_info, mptcpi_token),
    F(mptcp_info, mptcpi_write_seq),
    F(mptcp_info, mptcpi_snd_una),
    F(mptcp_info, mptcpi_rcv_nxt),
    F(mptcp_info, mptcpi_local_addr_used),
    F(mptcp_info, mptcpi_local_addr_max),
    F(mptcp_info, mptcpi_csum_enabled),
    Field{"mptcpi_retransmits", 44, 4},
    Field{"mptcpi_bytes_retrans", 48, 8},
    Field{"mptcpi_bytes_sent", 56, 8},
    Field{"mptcpi_bytes_received", 64, 8},
    Field{"mptcpi_bytes_acked", 72, 8},
    Field{"mptcpi_subflows_total", 80, 1},
    Field{"mptcpi_last_data_sent", 84, 4},
    Field{"mptcpi_last_data_recv", 88, 4},
    Field{"mptcpi_last_ack_recv", 92, 4},
};
static_assert(offsetof(mptcp_info, mptcpi_csum_enabled) == 42, "uapi layout of struct mptcp_info");

// struct tcp_info (<netinet/tcp.h>), the fields that are not bitfields.
constexpr Field kTcpInfo[] = {
    F(tcp_info, tcpi_state),          F(tcp_info, tcpi_ca_state),
    F(tcp_info, tcpi_retransmits),    F(tcp_info, tcpi_probes),
    F(tcp_info, tcpi_backoff),        F(tcp_info, tcpi_options),
    F(tcp_info, tcpi_rto),            F(tcp_info, tcpi_ato),
    F(tcp_info, tcpi_snd_mss),        F(tcp_info, tcpi_rcv_mss),
    F(tcp_info, tcpi_unacked),        F(tcp_info, tcpi_sacked),
    F(tcp_info, tcpi_lost),           F(tcp_info, tcpi_retrans),
    F(tcp_info, tcpi_fackets),        F(tcp_info, tcpi_last_data_sent),
    F(tcp_info, tcpi_last_ack_sent),  F(tcp_info, tcpi_last_data_recv),
    F(tcp_info, tcpi_last_ack_recv),  F(tcp_info, tcpi_pmtu),
    F(tcp_info, tcpi_rcv_ssthresh),   F(tcp_info, tcpi_rtt),
    F(tcp_info, tcpi_rttvar),         F(tcp_info, tcpi_snd_ssthresh),
    F(tcp_info, tcpi_snd_cwnd),       F(tcp_info, tcpi_advmss),
    F(tcp_info, tcpi_reordering),     F(tcp_info, tcpi_rcv_rtt),
    F(tcp_info, tcpi_rcv_space),      F(tcp_info, tcpi_total_retrans),
};

#undef F

const Field* FindField(std::span<const Field> table, const std::string& name) {
  for (const Field& f : table) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::uint64_t ReadField(const std::string& bytes, const Field& f) {
  switch (f.size) {
    case 1: return static_cast<unsigned char>(bytes[f.offset]);
    case 2: { std::uint16_t v; std::memcpy(&v, bytes.data() + f.offset, 2); return v; }
    case 4: { std::uint32_t v; std::memcpy(&v, bytes.data() + f.offset, 4); return v; }
    default: { std::uint64_t v; std::memcpy(&v, bytes.data() + f.offset, 8); return v; }
  }
}

}  // namespace

bool IsInfoStruct(std::int64_t level, std::int64_t optname, const Expr& value) {
  if (value.kind != ExprKind::kBraces) return false;
  return (level == SOL_MPTCP && optname == MPTCP_INFO) ||
         ((level == SOL_TCP || level == IPPROTO_TCP) && optname == TCP_INFO);
}

SyscallStatus CheckInfoStruct(Call& c, std::int64_t level, const Expr& value,
                              const std::string& actual) {
  const std::span<const Field> table =
      level == SOL_MPTCP ? std::span<const Field>(kMptcpInfo) : std::span<const Field>(kTcpInfo);
  for (const Expr& f : value.children) {
    if (f.kind != ExprKind::kAssign || f.children.size() != 2 ||
        f.children[0].kind != ExprKind::kWord) {
      return MakeUnexpected(c.ErrorAt(f, "expected field=value"));
    }
    const std::string& name = f.children[0].text;
    const Field* field = FindField(table, name);
    if (field == nullptr) return MakeUnexpected(c.ErrorAt(f, "unknown field: " + name));
    if (f.children[1].kind == ExprKind::kEllipsis) continue;
    MPD_ASSIGN(std::int64_t want, c.Int(f.children[1]));
    if (field->offset + field->size > actual.size()) {
      c.AddMismatch(name, std::to_string(want),
                    "not returned (" + std::to_string(actual.size()) + " bytes)");
      continue;
    }
    const std::uint64_t got = ReadField(actual, *field);
    if (got != static_cast<std::uint64_t>(want)) {
      c.AddMismatch(name, std::to_string(want), std::to_string(got));
    }
  }
  return Ok{};
}

}  // namespace mpdrill::syscalls::internal
