// Syntax tree of a packetdrill script with the multipath-tcp/packetdrill MPTCP extensions and
// mpdrill's own canonical option forms (docs/syntax.md).
//
// Plain data. Symbolic values stay symbolic: a key name, `sha256_32(skey)`, `hmac=auto` or
// `addr[caddr1]` are nodes here, and a binder in the engine resolves them later. Nothing is
// computed or looked up while parsing.
//
// operator== compares structure only: SourceLoc always compares equal, so a printed-and-reparsed
// tree equals the original (parse(print(t)) == t).
#ifndef MPDRILL_PARSER_AST_H_
#define MPDRILL_PARSER_AST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "parser/ast_mptcp.h"

namespace mpdrill::parser {

// ---------------------------------------------------------------------------------------------
// Expressions: syscall arguments and results.

enum class ExprKind : std::uint8_t {
  kEllipsis,  // ...
  kInteger,   // 42, -1, 0x2 (value + hex flag)
  kWord,      // SOCK_STREAM, NULL, O_RDWR (text)
  kString,    // "abc" (text = raw contents, escapes kept); string_ellipsis for "abc"...
  kConcat,    // "ab" "cd": children are kString
  kBitOr,     // A|B: children[0] | children[1]
  kAssign,    // lhs=rhs: children[0] = children[1] (lhs is a kWord or kCall)
  kList,      // [a, b]
  kBraces,    // {a, b} and every struct form: {sa_family=AF_INET, ...}, {fd=3, events=POLLIN}
  kCall,      // name(args): inet_addr("..."), inet6_addr("..."), htons(80), msg_iov(1)
};

struct Expr {
  ExprKind kind = ExprKind::kEllipsis;
  std::int64_t integer = 0;  // kInteger
  bool hex = false;          // kInteger written as 0x...
  std::string text;          // kWord, kString, kCall (function name)
  bool string_ellipsis = false;
  std::vector<Expr> children;
  SourceLoc loc;
  friend bool operator==(const Expr&, const Expr&) = default;
};

// What a {...} expression stands for, judged by its field names (for binders and docs).
enum class BraceForm : std::uint8_t {
  kList,         // {a, b}: no recognised field names
  kSockaddr,     // {sa_family=..., sin_port=htons(..), sin_addr=inet_addr(..)}
  kMsghdr,       // {msg_name(...)=..., msg_iov(1)=[...], msg_flags=..., msg_control=[...]}
  kIovec,        // {..., 100}
  kCmsg,         // {cmsg_level=..., cmsg_type=..., cmsg_data=...}
  kPollfd,       // {fd=3, events=POLLIN[, revents=...]}
  kEpollEvent,   // {events=EPOLLIN, fd|ptr|u32|u64=...}
  kLinger,       // {onoff=1, linger=0}
  kTimeval,      // {tv_sec=1, tv_usec=0}
  kScmTimestamping,  // {scm_sec=.., scm_nsec=..}
  kExtendedErr,  // {ee_errno=.., ee_origin=.., ...}
};
BraceForm ClassifyBraces(const Expr& braces);

// ---------------------------------------------------------------------------------------------
// Events.

enum class TimeKind : std::uint8_t {
  kAbsolute,       // 0.1
  kRelative,       // +0.1
  kAny,            // *
  kAbsoluteRange,  // 0.1~0.2
  kRelativeRange,  // +0.1~+0.2
};

struct EventTime {
  TimeKind kind = TimeKind::kRelative;
  std::int64_t usecs = 0;      // start (or only) time
  std::int64_t end_usecs = 0;  // ranges only
  friend bool operator==(const EventTime&, const EventTime&) = default;
};

struct Syscall {
  std::optional<std::int64_t> end_usecs;  // blocking call: `...0.3 read(...)`
  std::string name;
  std::vector<Expr> args;
  Expr result;
  std::optional<std::string> errno_name;  // = -1 EINPROGRESS (...)
  std::optional<std::string> note;        // (Operation now in progress), whitespace collapsed
  friend bool operator==(const Syscall&, const Syscall&) = default;
};

struct Command {  // `shell command`, possibly several lines
  std::string text;  // raw contents between the back quotes
  SourceLoc loc;
  friend bool operator==(const Command&, const Command&) = default;
};

struct Code {  // %{ python }%, kept verbatim
  std::string text;  // raw contents between %{ and }%
  friend bool operator==(const Code&, const Code&) = default;
};

// ---- packets

enum class Direction : std::uint8_t { kInbound, kOutbound };  // < and >

enum class EcnMark : std::uint8_t { kNoEcn, kEct0, kEct1, kCe, kEct01 };

// [tos 0x4], [ttl 2], [ce], [ect0, flowlabel 0x1234] (also written with parentheses).
struct IpInfo {
  std::optional<EcnMark> ecn;
  std::optional<std::uint8_t> tos;
  std::optional<std::uint32_t> flowlabel;  // 20 bits
  std::optional<std::uint8_t> ttl;
  friend bool operator==(const IpInfo&, const IpInfo&) = default;
};

// An outer header written before the packet: `ipv4 192.0.2.1 > 192.0.2.2:`, `ipv6 ... :`,
// `gre ...:`, `mpls (label 1, tc 0, [S], ttl 255):`, tunnel-mode PSP `psp spi 12[, vc N]:` and
// transport-mode PSP `encap psp spi 12[, vc N]` (no ':', no outer IP header). GRE, MPLS and PSP
// keep their tokens as text.
enum class EncapKind : std::uint8_t { kIpv4, kIpv6, kGre, kMpls, kPsp, kPspTransport };
struct Encap {
  EncapKind kind = EncapKind::kIpv4;
  std::optional<IpInfo> ip_info;
  std::string src, dst;  // ipv4 / ipv6
  std::string spec;      // gre / mpls: the tokens between the keyword and ':', single-spaced
  friend bool operator==(const Encap&, const Encap&) = default;
};

// One side of `src > dst`: a port (google/packetdrill), `198.51.100.1:80`, or `addr[var]`.
struct Endpoint {
  enum class Kind : std::uint8_t { kNone, kPort, kAddressPort, kVar };
  Kind kind = Kind::kNone;
  std::string address;  // kAddressPort
  std::uint16_t port = 0;
  std::string var;  // kVar
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
struct Tuple {
  Endpoint src, dst;
  friend bool operator==(const Tuple&, const Tuple&) = default;
};

// ---- TCP options

struct OptNop { friend bool operator==(const OptNop&, const OptNop&) = default; };
struct OptEol { friend bool operator==(const OptEol&, const OptEol&) = default; };
struct OptMss {
  std::uint16_t mss = 0;
  std::string symbol;  // `mss MSS`: a -D / --define name, resolved later (mss is then 0)
  friend bool operator==(const OptMss&, const OptMss&) = default;
};
struct OptWscale {
  std::uint8_t shift = 0;
  friend bool operator==(const OptWscale&, const OptWscale&) = default;
};
struct OptSackOk { friend bool operator==(const OptSackOk&, const OptSackOk&) = default; };
struct SackBlock {
  std::uint32_t left = 0, right = 0;
  friend bool operator==(const SackBlock&, const SackBlock&) = default;
};
struct OptSack {
  std::vector<SackBlock> blocks;
  friend bool operator==(const OptSack&, const OptSack&) = default;
};
struct OptTimestamp {
  std::uint32_t val = 0, ecr = 0;
  friend bool operator==(const OptTimestamp&, const OptTimestamp&) = default;
};
struct OptMd5 {
  std::string hex;  // the blob as written
  friend bool operator==(const OptMd5&, const OptMd5&) = default;
};
struct OptFastOpen {
  bool experimental = false;  // FOEXP
  std::string cookie;         // hex blob, may be empty
  friend bool operator==(const OptFastOpen&, const OptFastOpen&) = default;
};
// AccECN option: `ECN e1b 1 ceb 0 e0b 1` (field order is meaningful: it picks the option kind).
struct EcnField {
  std::string name;  // e0b, ceb, e1b
  std::uint32_t value = 0;  // 24 bits
  friend bool operator==(const EcnField&, const EcnField&) = default;
};
struct OptEcn {
  std::vector<EcnField> fields;
  friend bool operator==(const OptEcn&, const OptEcn&) = default;
};

using TcpOption = std::variant<OptNop, OptEol, OptMss, OptWscale, OptSackOk, OptSack, OptTimestamp,
                               OptMd5, OptFastOpen, OptEcn, MptcpOption>;

enum class OptionsForm : std::uint8_t {
  kAbsent,  // no <...> written: no options
  kList,    // <mss 1460, ...>
  kAny,     // <...>: options not checked (outbound only)
};

struct TcpSegment {
  std::string flags;  // "S.", "P.", ".", "SEWA", ".5"; "" for `-` (no flags)
  std::uint32_t start_seq = 0, end_seq = 0;
  std::uint16_t payload = 0;
  std::optional<std::uint32_t> ack;
  std::optional<std::uint16_t> win;
  std::optional<std::uint16_t> urg;
  OptionsForm options_form = OptionsForm::kAbsent;
  std::vector<TcpOption> options;
  // packetdrill's packet-mutation block `{rep tcp win_size 0x10}`, kept as single-spaced text.
  std::optional<std::string> mutation;
  friend bool operator==(const TcpSegment&, const TcpSegment&) = default;
};

struct UdpDatagram {
  std::uint16_t payload = 0;
  friend bool operator==(const UdpDatagram&, const UdpDatagram&) = default;
};

struct IcmpMessage {
  std::string type;                  // unreachable, echo_request, ...
  std::string code;                  // may be empty
  std::optional<std::uint32_t> mtu;  // mtu N
  std::optional<std::uint32_t> id;   // id N
  enum class Echoed : std::uint8_t { kNone, kTcp, kUdp, kRaw };
  Echoed echoed = Echoed::kNone;     // [1:1(0)], [udp (10)], [raw (10)]
  std::uint32_t echoed_start = 0, echoed_end = 0;
  std::uint16_t echoed_payload = 0;
  friend bool operator==(const IcmpMessage&, const IcmpMessage&) = default;
};

struct Packet {
  Direction direction = Direction::kInbound;
  std::vector<Encap> encaps;
  std::optional<IpInfo> ip_info;
  std::optional<Tuple> tuple;
  std::variant<TcpSegment, UdpDatagram, IcmpMessage> body;
  friend bool operator==(const Packet&, const Packet&) = default;
};

using Action = std::variant<Packet, Syscall, Command, Code>;

struct Event {
  EventTime time;
  Action action;
  SourceLoc loc;  // of the event's first token
  friend bool operator==(const Event&, const Event&) = default;
};

// `--name=value` / `--name` header lines, and `-D NAME=VALUE` definitions (name "-D").
struct HeaderOption {
  std::string name;
  std::optional<std::string> value;  // raw text after '='
  SourceLoc loc;
  friend bool operator==(const HeaderOption&, const HeaderOption&) = default;
};

struct Script {
  std::vector<HeaderOption> options;
  std::optional<Command> init_command;
  std::vector<Event> events;
  std::optional<Command> cleanup_command;
  friend bool operator==(const Script&, const Script&) = default;
};

}  // namespace mpdrill::parser

#endif  // MPDRILL_PARSER_AST_H_
