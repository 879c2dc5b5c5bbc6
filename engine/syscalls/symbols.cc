#include "engine/syscalls/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>  // before linux/errqueue.h, which uses struct timespec

#include <linux/errqueue.h>
#include <linux/mptcp.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/syscalls/symbols_internal.h"

// Names newer than the build machine's headers: values from the kernel's uapi headers
// (include/uapi/linux/tcp.h, in.h, in6.h, socket.h), which never change once released.
#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP 43
#endif
#ifndef TCP_AO_ADD_KEY
#define TCP_AO_ADD_KEY 38
#endif
#ifndef TCP_AO_DEL_KEY
#define TCP_AO_DEL_KEY 39
#endif
#ifndef TCP_AO_INFO
#define TCP_AO_INFO 40
#endif
#ifndef TCP_AO_GET_KEYS
#define TCP_AO_GET_KEYS 41
#endif
#ifndef TCP_AO_REPAIR
#define TCP_AO_REPAIR 42
#endif
#ifndef TCP_RTO_MAX_MS
#define TCP_RTO_MAX_MS 44
#endif
#ifndef TCP_RTO_MIN_US
#define TCP_RTO_MIN_US 45
#endif
#ifndef TCP_DELACK_MAX_US
#define TCP_DELACK_MAX_US 46
#endif
#ifndef MPTCP_FULL_INFO
#define MPTCP_FULL_INFO 4
#endif
#ifndef SO_RCVMARK
#define SO_RCVMARK 75
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif
#ifndef TCP_INFINITE_SSTHRESH
#define TCP_INFINITE_SSTHRESH 0x7fffffff  // kernel-internal (include/net/tcp.h); packetdrill has it
#endif
#ifndef ENOTSUPP
#define ENOTSUPP 524  // kernel-internal "operation not supported", seen by userspace at times
#endif

namespace mpdrill::syscalls {
namespace {

using Symbol = internal::NamedValue;

#define S(x) Symbol{#x, static_cast<std::int64_t>(x)}
#define E(x) Symbol{#x, static_cast<std::int64_t>(x)}

// Canonical names first: ErrnoName() returns the first name with a given number.
constexpr Symbol kErrnos[] = {
    E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF),
    E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST),
    E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
    E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE),
    E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM),
    E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI), E(EL2HLT),
    E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC), E(EBADSLT), E(EBFONT), E(ENOSTR),
    E(ENODATA), E(ETIME), E(ENOSR), E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV),
    E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG), E(EOVERFLOW),
    E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD), E(ELIBSCN), E(ELIBMAX),
    E(ELIBEXEC), E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
    E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT),
    E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN),
    E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN),
    E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
    E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL),
    E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED), E(ENOKEY),
    E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL),
    E(ENOTSUPP),
    // Aliases (same numbers as names above).
    E(EWOULDBLOCK), E(EDEADLOCK), E(ENOTSUP),
};

constexpr Symbol kSymbols[] = {
    // Address and protocol families, socket types and flags (socket(2)).
    S(AF_UNSPEC), S(AF_UNIX), S(AF_LOCAL), S(AF_INET), S(AF_INET6), S(AF_PACKET),
    S(AF_NETLINK), S(PF_UNSPEC), S(PF_UNIX), S(PF_LOCAL), S(PF_INET), S(PF_INET6), S(PF_PACKET),
    S(PF_NETLINK), S(SOCK_STREAM), S(SOCK_DGRAM), S(SOCK_RAW), S(SOCK_SEQPACKET), S(SOCK_RDM),
    S(SOCK_NONBLOCK), S(SOCK_CLOEXEC),
    S(IPPROTO_IP), S(IPPROTO_ICMP), S(IPPROTO_IGMP), S(IPPROTO_IPIP), S(IPPROTO_TCP),
    S(IPPROTO_UDP), S(IPPROTO_IPV6), S(IPPROTO_ROUTING), S(IPPROTO_FRAGMENT), S(IPPROTO_GRE),
    S(IPPROTO_ESP), S(IPPROTO_AH), S(IPPROTO_ICMPV6), S(IPPROTO_NONE), S(IPPROTO_DSTOPTS),
    S(IPPROTO_SCTP), S(IPPROTO_UDPLITE), S(IPPROTO_MPLS), S(IPPROTO_RAW),
    S(IPPROTO_MPTCP),  // 262: the MPTCP socket protocol (RFC 8684 as implemented by Linux)
    // Socket option levels.
    S(SOL_SOCKET), S(SOL_IP), S(SOL_TCP), Symbol{"SOL_UDP", IPPROTO_UDP}, S(SOL_IPV6), S(SOL_ICMPV6), S(SOL_RAW),
    S(SOL_PACKET), S(SOL_TLS),
    S(SOL_MPTCP),  // 284
    // SOL_SOCKET options.
    S(SO_DEBUG), S(SO_REUSEADDR), S(SO_TYPE), S(SO_ERROR), S(SO_DONTROUTE), S(SO_BROADCAST),
    S(SO_SNDBUF), S(SO_RCVBUF), S(SO_SNDBUFFORCE), S(SO_RCVBUFFORCE), S(SO_KEEPALIVE),
    S(SO_OOBINLINE), S(SO_NO_CHECK), S(SO_PRIORITY), S(SO_LINGER), S(SO_BSDCOMPAT),
    S(SO_REUSEPORT), S(SO_PASSCRED), S(SO_PEERCRED), S(SO_RCVLOWAT), S(SO_SNDLOWAT),
    S(SO_RCVTIMEO), S(SO_SNDTIMEO), S(SO_BINDTODEVICE), S(SO_ATTACH_FILTER),
    S(SO_DETACH_FILTER), S(SO_PEERNAME), S(SO_TIMESTAMP), S(SO_TIMESTAMPNS), S(SO_TIMESTAMPING),
    S(SO_ACCEPTCONN), S(SO_PEERSEC), S(SO_PASSSEC), S(SO_MARK), S(SO_PROTOCOL), S(SO_DOMAIN),
    S(SO_RXQ_OVFL), S(SO_WIFI_STATUS), S(SO_PEEK_OFF), S(SO_NOFCS), S(SO_LOCK_FILTER),
    S(SO_SELECT_ERR_QUEUE), S(SO_BUSY_POLL), S(SO_MAX_PACING_RATE), S(SO_BPF_EXTENSIONS),
    S(SO_INCOMING_CPU), S(SO_ATTACH_BPF), S(SO_ATTACH_REUSEPORT_CBPF),
    S(SO_ATTACH_REUSEPORT_EBPF), S(SO_CNX_ADVICE), S(SO_MEMINFO), S(SO_INCOMING_NAPI_ID),
    S(SO_COOKIE), S(SO_PEERGROUPS), S(SO_ZEROCOPY), S(SO_TXTIME), S(SO_BINDTOIFINDEX),
    S(SO_DETACH_REUSEPORT_BPF), S(SO_PREFER_BUSY_POLL), S(SO_BUSY_POLL_BUDGET),
    S(SO_NETNS_COOKIE), S(SO_BUF_LOCK), S(SO_RESERVE_MEM), S(SO_TXREHASH), S(SO_RCVMARK),
    S(SO_PASSPIDFD), S(SO_PEERPIDFD),
    S(SCM_RIGHTS), S(SCM_CREDENTIALS), S(SCM_TIMESTAMP), S(SCM_TIMESTAMPNS),
    S(SCM_TIMESTAMPING), S(SCM_TIMESTAMPING_OPT_STATS), S(SCM_TSTAMP_SND), S(SCM_TSTAMP_SCHED),
    S(SCM_TSTAMP_ACK), S(SO_SECURITY_AUTHENTICATION), S(SO_SECURITY_ENCRYPTION_TRANSPORT),
    S(SO_SECURITY_ENCRYPTION_NETWORK),
    // Timestamping flags and extended errors (linux/net_tstamp.h, linux/errqueue.h).
    S(SOF_TIMESTAMPING_TX_HARDWARE), S(SOF_TIMESTAMPING_TX_SOFTWARE),
    S(SOF_TIMESTAMPING_RX_HARDWARE), S(SOF_TIMESTAMPING_RX_SOFTWARE),
    S(SOF_TIMESTAMPING_SOFTWARE), S(SOF_TIMESTAMPING_SYS_HARDWARE),
    S(SOF_TIMESTAMPING_RAW_HARDWARE), S(SOF_TIMESTAMPING_OPT_ID), S(SOF_TIMESTAMPING_TX_SCHED),
    S(SOF_TIMESTAMPING_TX_ACK), S(SOF_TIMESTAMPING_OPT_CMSG), S(SOF_TIMESTAMPING_OPT_TSONLY),
    S(SOF_TIMESTAMPING_OPT_STATS), S(SOF_TIMESTAMPING_OPT_PKTINFO),
    S(SOF_TIMESTAMPING_OPT_TX_SWHW),
    S(SO_EE_ORIGIN_NONE), S(SO_EE_ORIGIN_LOCAL), S(SO_EE_ORIGIN_ICMP), S(SO_EE_ORIGIN_ICMP6),
    S(SO_EE_ORIGIN_TXSTATUS), S(SO_EE_ORIGIN_ZEROCOPY), S(SO_EE_ORIGIN_TXTIME),
    S(SO_EE_ORIGIN_TIMESTAMPING), S(SO_EE_CODE_ZEROCOPY_COPIED),
    // SOL_TCP options.
    S(TCP_NODELAY), S(TCP_MAXSEG), S(TCP_CORK), S(TCP_KEEPIDLE), S(TCP_KEEPINTVL),
    S(TCP_KEEPCNT), S(TCP_SYNCNT), S(TCP_LINGER2), S(TCP_DEFER_ACCEPT), S(TCP_WINDOW_CLAMP),
    S(TCP_INFO), S(TCP_QUICKACK), S(TCP_CONGESTION), S(TCP_MD5SIG), S(TCP_THIN_LINEAR_TIMEOUTS),
    S(TCP_THIN_DUPACK), S(TCP_USER_TIMEOUT), S(TCP_REPAIR), S(TCP_REPAIR_QUEUE),
    S(TCP_QUEUE_SEQ), S(TCP_REPAIR_OPTIONS), S(TCP_FASTOPEN), S(TCP_TIMESTAMP),
    S(TCP_NOTSENT_LOWAT), S(TCP_CC_INFO), S(TCP_SAVE_SYN), S(TCP_SAVED_SYN),
    S(TCP_REPAIR_WINDOW), S(TCP_FASTOPEN_CONNECT), S(TCP_ULP), S(TCP_MD5SIG_EXT),
    S(TCP_FASTOPEN_KEY), S(TCP_FASTOPEN_NO_COOKIE), S(TCP_ZEROCOPY_RECEIVE), S(TCP_INQ),
    S(TCP_CM_INQ), S(TCP_TX_DELAY), S(TCP_AO_ADD_KEY), S(TCP_AO_DEL_KEY), S(TCP_AO_INFO),
    S(TCP_AO_GET_KEYS), S(TCP_AO_REPAIR),
    S(TCP_IS_MPTCP),  // 43: 1 iff the socket is an MPTCP socket that has not fallen back
    S(TCP_RTO_MAX_MS), S(TCP_RTO_MIN_US), S(TCP_DELACK_MAX_US), S(TCP_COOKIE_TRANSACTIONS),
    S(TCP_INFINITE_SSTHRESH),
    // Congestion-avoidance states (TCP_NLA_CA_STATE), as packetdrill spells them.
    Symbol{"TCP_CA_OPEN", TCP_CA_Open}, Symbol{"TCP_CA_DISORDER", TCP_CA_Disorder},
    Symbol{"TCP_CA_CWR", TCP_CA_CWR}, Symbol{"TCP_CA_RECOVERY", TCP_CA_Recovery},
    Symbol{"TCP_CA_LOSS", TCP_CA_Loss},
    // SOL_MPTCP options (linux/mptcp.h).
    S(MPTCP_INFO), S(MPTCP_TCPINFO), S(MPTCP_SUBFLOW_ADDRS), S(MPTCP_FULL_INFO),
    // SOL_IP options.
    S(IP_TOS), S(IP_TTL), S(IP_HDRINCL), S(IP_OPTIONS), S(IP_RECVOPTS), S(IP_RETOPTS),
    S(IP_PKTINFO), S(IP_MTU_DISCOVER), S(IP_RECVERR), S(IP_RECVTTL), S(IP_RECVTOS), S(IP_MTU),
    S(IP_FREEBIND), S(IP_PASSSEC), S(IP_TRANSPARENT), S(IP_MINTTL), S(IP_NODEFRAG),
    S(IP_BIND_ADDRESS_NO_PORT), S(IP_RECVFRAGSIZE), S(IP_LOCAL_PORT_RANGE),
    S(IP_MULTICAST_IF), S(IP_MULTICAST_TTL), S(IP_MULTICAST_LOOP), S(IP_ADD_MEMBERSHIP),
    S(IP_DROP_MEMBERSHIP), S(IP_PMTUDISC_DONT), S(IP_PMTUDISC_WANT), S(IP_PMTUDISC_DO),
    S(IP_PMTUDISC_PROBE), S(IP_PMTUDISC_INTERFACE), S(IP_PMTUDISC_OMIT),
    S(IPTOS_LOWDELAY), S(IPTOS_THROUGHPUT), S(IPTOS_RELIABILITY), S(IPTOS_MINCOST),
    S(IPTOS_ECN_NOT_ECT), S(IPTOS_ECN_ECT1), S(IPTOS_ECN_ECT0), S(IPTOS_ECN_CE),
    // SOL_IPV6 options.
    S(IPV6_ADDRFORM), S(IPV6_2292PKTINFO), S(IPV6_CHECKSUM), S(IPV6_NEXTHOP),
    S(IPV6_UNICAST_HOPS), S(IPV6_MULTICAST_IF), S(IPV6_MULTICAST_HOPS), S(IPV6_MULTICAST_LOOP),
    S(IPV6_ROUTER_ALERT), S(IPV6_MTU_DISCOVER), S(IPV6_MTU), S(IPV6_RECVERR), S(IPV6_V6ONLY),
    S(IPV6_RECVPKTINFO), S(IPV6_PKTINFO), S(IPV6_RECVHOPLIMIT), S(IPV6_HOPLIMIT),
    S(IPV6_RECVTCLASS), S(IPV6_TCLASS), S(IPV6_AUTOFLOWLABEL), S(IPV6_DONTFRAG),
    S(IPV6_RECVFRAGSIZE), S(IPV6_FREEBIND), S(IPV6_TRANSPARENT), S(IPV6_MINHOPCOUNT),
    S(IPV6_FLOWINFO_SEND),
    // Message flags (send/recv).
    S(MSG_OOB), S(MSG_PEEK), S(MSG_DONTROUTE), S(MSG_CTRUNC), S(MSG_PROXY), S(MSG_TRUNC),
    S(MSG_DONTWAIT), S(MSG_EOR), S(MSG_WAITALL), S(MSG_FIN), S(MSG_SYN), S(MSG_CONFIRM),
    S(MSG_RST), S(MSG_ERRQUEUE), S(MSG_NOSIGNAL), S(MSG_MORE), S(MSG_WAITFORONE),
    S(MSG_BATCH), S(MSG_ZEROCOPY), S(MSG_FASTOPEN), S(MSG_CMSG_CLOEXEC),
    // shutdown(2).
    S(SHUT_RD), S(SHUT_WR), S(SHUT_RDWR),
    // open(2) / fcntl(2).
    S(O_RDONLY), S(O_WRONLY), S(O_RDWR), S(O_CREAT), S(O_EXCL), S(O_NOCTTY), S(O_TRUNC),
    S(O_APPEND), S(O_NONBLOCK), S(O_NDELAY), S(O_DSYNC), S(O_SYNC), S(O_ASYNC), S(O_DIRECT),
    S(O_LARGEFILE), S(O_DIRECTORY), S(O_NOFOLLOW), S(O_NOATIME), S(O_CLOEXEC), S(O_PATH),
    S(O_TMPFILE), S(O_ACCMODE),
    S(F_DUPFD), S(F_GETFD), S(F_SETFD), S(F_GETFL), S(F_SETFL), S(F_GETLK), S(F_SETLK),
    S(F_SETLKW), S(F_SETOWN), S(F_GETOWN), S(F_SETSIG), S(F_GETSIG), S(F_SETOWN_EX),
    S(F_GETOWN_EX), S(F_DUPFD_CLOEXEC), S(F_SETPIPE_SZ), S(F_GETPIPE_SZ), S(FD_CLOEXEC),
    S(F_SETLK64), S(F_SETLKW64), S(F_GETLK64), S(F_SETLEASE), S(F_GETLEASE), S(F_NOTIFY),
    S(F_RDLCK), S(F_WRLCK), S(F_UNLCK), S(F_EXLCK), S(F_SHLCK), S(LOCK_SH), S(LOCK_EX),
    S(LOCK_NB), S(LOCK_UN), S(SEEK_SET), S(SEEK_CUR), S(SEEK_END),
    // poll(2).
    S(POLLIN), S(POLLPRI), S(POLLOUT), S(POLLRDNORM), S(POLLRDBAND), S(POLLWRNORM),
    S(POLLWRBAND), S(POLLMSG), S(POLLREMOVE), S(POLLRDHUP), S(POLLERR), S(POLLHUP), S(POLLNVAL),
    // epoll(7).
    S(EPOLLIN), S(EPOLLPRI), S(EPOLLOUT), S(EPOLLRDNORM), S(EPOLLRDBAND), S(EPOLLWRNORM),
    S(EPOLLWRBAND), S(EPOLLMSG), S(EPOLLERR), S(EPOLLHUP), S(EPOLLRDHUP), S(EPOLLEXCLUSIVE),
    S(EPOLLWAKEUP), S(EPOLLONESHOT), S(EPOLLET), S(EPOLL_CTL_ADD), S(EPOLL_CTL_DEL),
    S(EPOLL_CTL_MOD), S(EPOLL_CLOEXEC),
    // ioctl(2) on sockets.
    S(SIOCINQ), S(SIOCOUTQ), S(SIOCOUTQNSD), S(FIONREAD), S(FIONBIO), S(FIOASYNC),
    S(SIOCATMARK), S(SIOCGSTAMP),
    // splice(2).
    S(SPLICE_F_MOVE), S(SPLICE_F_NONBLOCK), S(SPLICE_F_MORE), S(SPLICE_F_GIFT),
    // Pointers.
    Symbol{"NULL", 0},
};

#undef S
#undef E

std::optional<std::int64_t> Find(const Symbol* begin, const Symbol* end, std::string_view name) {
  for (const Symbol* s = begin; s != end; ++s) {
    if (name == s->name) return s->value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> LookupSymbol(std::string_view name) {
  if (auto v = Find(std::begin(kSymbols), std::end(kSymbols), name)) return v;
  const auto tcp = internal::LinuxTcpSymbols();
  if (auto v = Find(tcp.data(), tcp.data() + tcp.size(), name)) return v;
  return Find(std::begin(kErrnos), std::end(kErrnos), name);
}

std::optional<int> ErrnoFromName(std::string_view name) {
  auto v = Find(std::begin(kErrnos), std::end(kErrnos), name);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::string ErrnoName(int err) {
  for (const Symbol& s : kErrnos) {
    if (s.value == err) return s.name;
  }
  return "errno " + std::to_string(err);
}

std::size_t SymbolCount() {
  return std::size(kSymbols) + std::size(kErrnos) + internal::LinuxTcpSymbols().size();
}

}  // namespace mpdrill::syscalls
