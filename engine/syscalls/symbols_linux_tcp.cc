// Constants only <linux/tcp.h> defines (it cannot share a translation unit with
// <netinet/tcp.h>): the SCM_TIMESTAMPING_OPT_STATS attribute types TCP_NLA_*.
#include <linux/tcp.h>

#include "engine/syscalls/symbols_internal.h"

namespace mpdrill::syscalls::internal {
namespace {

#define S(x) NamedValue{#x, static_cast<std::int64_t>(x)}
constexpr NamedValue kLinuxTcp[] = {
    S(TCP_NLA_PAD), S(TCP_NLA_BUSY), S(TCP_NLA_RWND_LIMITED), S(TCP_NLA_SNDBUF_LIMITED),
    S(TCP_NLA_DATA_SEGS_OUT), S(TCP_NLA_TOTAL_RETRANS), S(TCP_NLA_PACING_RATE),
    S(TCP_NLA_DELIVERY_RATE), S(TCP_NLA_SND_CWND), S(TCP_NLA_REORDERING), S(TCP_NLA_MIN_RTT),
    S(TCP_NLA_RECUR_RETRANS), S(TCP_NLA_DELIVERY_RATE_APP_LMT), S(TCP_NLA_SNDQ_SIZE),
    S(TCP_NLA_CA_STATE), S(TCP_NLA_SND_SSTHRESH), S(TCP_NLA_DELIVERED), S(TCP_NLA_DELIVERED_CE),
    S(TCP_NLA_BYTES_SENT), S(TCP_NLA_BYTES_RETRANS), S(TCP_NLA_DSACK_DUPS),
    S(TCP_NLA_REORD_SEEN), S(TCP_NLA_SRTT),
};
#undef S

}  // namespace

std::span<const NamedValue> LinuxTcpSymbols() { return kLinuxTcp; }

}  // namespace mpdrill::syscalls::internal
