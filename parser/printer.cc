#include "parser/printer.h"

#include <cinttypes>
#include <cstdio>
#include <string_view>

#include "base/overloaded.h"

namespace mpdrill::parser {
namespace {

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string Dec(std::uint64_t v) { return std::to_string(v); }

// Small numbers read best in decimal, keys and hashes in hex.
std::string Num(std::uint64_t v) { return v <= 0xffffffffULL ? Dec(v) : Hex(v); }

std::string PrintIpInfo(const IpInfo& info) {
  std::string out = "[";
  const auto add = [&](const std::string& item) {
    if (out.size() > 1) out += ", ";
    out += item;
  };
  if (info.ecn) {
    switch (*info.ecn) {
      case EcnMark::kNoEcn: add("noecn"); break;
      case EcnMark::kEct0: add("ect0"); break;
      case EcnMark::kEct1: add("ect1"); break;
      case EcnMark::kCe: add("ce"); break;
      case EcnMark::kEct01: add("ect01"); break;
    }
  }
  if (info.tos) add("tos " + Hex(*info.tos));
  if (info.flowlabel) add("flowlabel " + Hex(*info.flowlabel));
  if (info.ttl) add("ttl " + Dec(*info.ttl));
  return out + "]";
}

std::string PrintEndpoint(const Endpoint& e) {
  switch (e.kind) {
    case Endpoint::Kind::kNone: return "";
    case Endpoint::Kind::kPort: return Dec(e.port);
    case Endpoint::Kind::kAddressPort: return e.address + ":" + Dec(e.port);
    case Endpoint::Kind::kVar: return "addr[" + e.var + "]";
  }
  return "";
}

std::string PrintTuple(const Tuple& t) {
  const std::string src = PrintEndpoint(t.src);
  return (src.empty() ? "" : src + " ") + "> " + PrintEndpoint(t.dst);
}

std::string PrintEncap(const Encap& e) {
  switch (e.kind) {
    case EncapKind::kIpv4:
    case EncapKind::kIpv6: {
      std::string out = e.kind == EncapKind::kIpv4 ? "ipv4 " : "ipv6 ";
      if (e.ip_info) out += PrintIpInfo(*e.ip_info) + " ";
      return out + e.src + " > " + e.dst + ":";
    }
    case EncapKind::kGre:
      return e.spec.empty() ? "gre:" : "gre " + e.spec + ":";
    case EncapKind::kMpls:
      return e.spec.empty() ? "mpls:" : "mpls " + e.spec + ":";
    case EncapKind::kPsp:
      return "psp " + e.spec + ":";
    case EncapKind::kPspTransport:
      return "encap psp " + e.spec;
  }
  return "";
}

// Keys are 64-bit: print big ones with all 16 hex digits.
std::string KeyNum(std::uint64_t v) {
  if (v <= 0xffffffffULL) return Dec(v);
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

std::string PrintKeyRef(const KeyRef& k) {
  return k.name + (k.value ? "=" + KeyNum(*k.value) : "");
}

std::string PrintAddressId(const AddressIdSpec& id) {
  return " address_id=" + (id.is_auto ? std::string("auto") : Dec(id.value));
}

std::string PrintToken(const TokenSpec& t) {
  switch (t.kind) {
    case TokenSpec::Kind::kValue: return Hex(t.value);
    case TokenSpec::Kind::kSha256: return "sha256_32(" + t.var + ")";
    case TokenSpec::Kind::kSha1: return "sha1_32(" + t.var + ")";
    case TokenSpec::Kind::kAuto: return "auto";
  }
  return "";
}

std::string PrintHmac(const HmacSpec& h) {
  switch (h.kind) {
    case HmacSpec::Kind::kAuto: return "auto";
    case HmacSpec::Kind::kTruncL64Value: return "trunc_l64_hmac(" + Num(h.value) + ")";
    case HmacSpec::Kind::kTruncL64Vars: return "trunc_l64_hmac(" + h.var1 + " " + h.var2 + ")";
    case HmacSpec::Kind::kFull160Vars: return "full_160_hmac(" + h.var1 + " " + h.var2 + ")";
    case HmacSpec::Kind::kBytes: return "0x" + h.hex;
  }
  return "";
}

std::string PrintDssField(std::string_view name, const DssField& f) {
  std::string out = " " + std::string(name) + (f.width == 4 ? "4" : "8");
  switch (f.value.kind) {
    case DssValue::Kind::kUnset: break;
    case DssValue::Kind::kValue: out += "=" + Dec(f.value.value); break;
    case DssValue::Kind::kTruncR64Hmac:
      out += "=trunc_r64_hmac(" + f.value.var + ")";
      if (f.value.addend != 0) out += "+" + Dec(f.value.addend);
      break;
    case DssValue::Kind::kTruncR64HmacSha1:
      out += "=trunc_r64_hmac_sha1(" + Dec(f.value.value) + ")";
      break;
    case DssValue::Kind::kTruncR64HmacSha256:
      out += "=trunc_r64_hmac_sha256(" + Dec(f.value.value) + ")";
      break;
  }
  return out;
}

std::string PrintAddr(const AddrRef& a) {
  std::string inner = a.var;
  switch (a.family) {
    case AddrRef::Family::kUnspecified: break;
    case AddrRef::Family::kIpv4:
      inner += (a.var.empty() ? "" : "=") + std::string("inet_addr(\"") + a.literal + "\")";
      break;
    case AddrRef::Family::kIpv6:
      inner += (a.var.empty() ? "" : "=") + std::string("inet6_addr(\"") + a.literal + "\")";
      break;
  }
  return "addr[" + inner + "]";
}

std::string PrintFlagNames(std::uint8_t mask, const std::string_view* names,
                           const std::uint8_t* bits, std::size_t count) {
  std::string out = "flags[";
  bool any = false;
  for (std::size_t i = 0; i < count; ++i) {
    if (bits[i] != 0 && (mask & bits[i])) {
      out += (any ? ", " : "") + std::string(names[i]);
      any = true;
    }
  }
  return out + (any ? "]" : "no_flags]");
}

constexpr std::string_view kMpcFlagNames[] = {"flag_a", "flag_b", "flag_c", "flag_d",
                                              "flag_e", "flag_f", "flag_g", "flag_h"};
constexpr std::uint8_t kMpcFlagBits[] = {0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01};
constexpr std::string_view kRstFlagNames[] = {"flag_u", "flag_v", "flag_w", "flag_t"};
constexpr std::uint8_t kRstFlagBits[] = {0x8, 0x4, 0x2, 0x1};

std::string PrintSpec(const MpCapableSpec& s) {
  switch (s.legacy) {
    case MpCapableSpec::Legacy::kNone:
      break;
    case MpCapableSpec::Legacy::kMpCapable:
    case MpCapableSpec::Legacy::kMpCapableNoCs: {
      std::string out = s.legacy == MpCapableSpec::Legacy::kMpCapable ? "mp_capable"
                                                                       : "mp_capable_no_cs";
      for (const KeyRef& k : s.keys) out += " " + PrintKeyRef(k);
      return out;
    }
  }
  std::string out = "mpcapable ";
  out += s.version ? "v" + Dec(*s.version) : "none";
  out += " ";
  out += s.raw_flags ? "flags " + Hex(s.flags) : PrintFlagNames(s.flags, kMpcFlagNames,
                                                               kMpcFlagBits, 8);
  if (s.nokey) {
    out += " nokey";
  } else {
    out += " key[";
    for (std::size_t i = 0; i < s.keys.size(); ++i) {
      out += (i ? ", " : "") + PrintKeyRef(s.keys[i]);
    }
    out += "]";
  }
  if (s.data_len) out += " mpcdatalen " + Dec(*s.data_len);
  if (s.checksum) out += " cksum=" + Hex(*s.checksum);
  return out;
}

std::string PrintSpec(const MpJoinSpec& s) {
  std::string out;
  switch (s.form) {
    case MpJoinSpec::Form::kSyn: out = "mp_join_syn"; break;
    case MpJoinSpec::Form::kSynAck: out = "mp_join_syn_ack"; break;
    case MpJoinSpec::Form::kAck: out = "mp_join_ack"; break;
  }
  if (s.backup) out += " backup=" + Dec(*s.backup);
  if (s.address_id) out += PrintAddressId(*s.address_id);
  if (s.token) out += " token=" + PrintToken(*s.token);
  if (s.sender_hmac) out += " sender_hmac=" + PrintHmac(*s.sender_hmac);
  if (s.rand) {  // nonces read as hex, as `mpdrill decode` prints them
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08" PRIx32, *s.rand);
    out += std::string(" rand=") + buf;
  }
  return out;
}

std::string PrintSpec(const DssSpec& s) {
  std::string out = "dss";
  if (s.data_ack) out += PrintDssField("dack", *s.data_ack);
  if (s.dsn) out += PrintDssField("dsn", *s.dsn);
  if (s.ssn) out += " ssn=" + Dec(*s.ssn);
  if (s.dll) out += " dll=" + Dec(*s.dll);
  switch (s.checksum) {
    case DssSpec::Checksum::kUnspecified: break;
    case DssSpec::Checksum::kNone: out += " nocs"; break;
    case DssSpec::Checksum::kValue: out += " cksum=" + Hex(s.checksum_value); break;
  }
  if (s.fin) out += " fin";
  if (s.flags) out += " flags=" + Hex(*s.flags);
  return out;
}

std::string PrintSpec(const AddAddressSpec& s) {
  std::string out = "add_address";
  if (s.address_id) out += PrintAddressId(*s.address_id);
  out += " " + PrintAddr(s.addr);
  if (s.port) out += " port=" + Dec(*s.port);
  if (s.hmac_auto) out += " hmac=auto";
  if (s.hmac) out += " hmac=" + Hex(*s.hmac);
  if (s.echo) out += " addr_echo";
  return out;
}

std::string PrintSpec(const RemoveAddressSpec& s) {
  std::string out = "remove_address address_id=[";
  for (std::size_t i = 0; i < s.address_ids.size(); ++i) {
    out += (i ? ", " : "") + Dec(s.address_ids[i]);
  }
  return out + "]";
}

std::string PrintSpec(const MpPrioSpec& s) {
  std::string out = "mp_prio";
  if (s.backup) out += " backup=" + Dec(*s.backup);
  if (s.address_id) out += PrintAddressId(*s.address_id);
  return out;
}

std::string PrintSpec(const MpFailSpec& s) { return "mp_fail dsn8=" + Dec(s.dsn); }

std::string PrintSpec(const MpFastcloseSpec& s) {
  std::string out = "mp_fastclose";
  if (!s.key) return out;
  if (s.key->name.empty()) return out + " key=" + KeyNum(s.key->value.value_or(0));
  out += " " + PrintKeyRef(*s.key);
  if (!s.key->value && s.addend != 0) out += "+" + Dec(s.addend);
  return out;
}

std::string PrintSpec(const MpResetSpec& s) {
  std::string out = "mp_reset " + Dec(s.reason);
  if (s.flags) out += " " + PrintFlagNames(*s.flags, kRstFlagNames, kRstFlagBits, 4);
  return out;
}

std::string PrintSpec(const MptcpRawSpec& s) { return "mptcp_raw=0x" + s.hex; }

void AppendExpr(const Expr& e, std::string* out) {
  switch (e.kind) {
    case ExprKind::kEllipsis: *out += "..."; return;
    case ExprKind::kInteger:
      *out += e.hex ? Hex(static_cast<std::uint64_t>(e.integer)) : std::to_string(e.integer);
      return;
    case ExprKind::kWord: *out += e.text; return;
    case ExprKind::kString:
      *out += "\"" + e.text + "\"";
      if (e.string_ellipsis) *out += "...";
      return;
    case ExprKind::kConcat:
      for (std::size_t i = 0; i < e.children.size(); ++i) {
        if (i) *out += " ";
        AppendExpr(e.children[i], out);
      }
      return;
    case ExprKind::kBitOr:
    case ExprKind::kAssign:
      if (e.children.size() == 2) {
        AppendExpr(e.children[0], out);
        *out += e.kind == ExprKind::kBitOr ? "|" : "=";
        AppendExpr(e.children[1], out);
      }
      return;
    case ExprKind::kList:
    case ExprKind::kBraces:
    case ExprKind::kCall: {
      const bool list = e.kind == ExprKind::kList, braces = e.kind == ExprKind::kBraces;
      if (e.kind == ExprKind::kCall) *out += e.text;
      *out += list ? "[" : braces ? "{" : "(";
      for (std::size_t i = 0; i < e.children.size(); ++i) {
        if (i) *out += ", ";
        AppendExpr(e.children[i], out);
      }
      *out += list ? "]" : braces ? "}" : ")";
      return;
    }
  }
}

std::string PrintTcp(const TcpSegment& s) {
  std::string out = s.flags.empty() ? "-" : s.flags;
  out += " " + Dec(s.start_seq) + ":" + Dec(s.end_seq) + "(" + Dec(s.payload) + ")";
  if (s.ack) out += " ack " + Dec(*s.ack);
  if (s.win) out += " win " + Dec(*s.win);
  if (s.urg) out += " urg " + Dec(*s.urg);
  switch (s.options_form) {
    case OptionsForm::kAbsent: break;
    case OptionsForm::kAny: out += " <...>"; break;
    case OptionsForm::kList:
      out += " <";
      for (std::size_t i = 0; i < s.options.size(); ++i) {
        out += (i ? ", " : "") + PrintTcpOption(s.options[i]);
      }
      out += ">";
      break;
  }
  if (s.mutation) out += " {" + *s.mutation + "}";
  return out;
}

std::string PrintIcmp(const IcmpMessage& m) {
  std::string out = "icmp " + m.type;
  if (!m.code.empty()) out += " " + m.code;
  if (m.mtu) out += " mtu " + Dec(*m.mtu);
  if (m.id) out += " id " + Dec(*m.id);
  switch (m.echoed) {
    case IcmpMessage::Echoed::kNone: break;
    case IcmpMessage::Echoed::kTcp:
      out += " [" + Dec(m.echoed_start) + ":" + Dec(m.echoed_end) + "(" + Dec(m.echoed_payload) +
             ")]";
      break;
    case IcmpMessage::Echoed::kUdp: out += " [udp (" + Dec(m.echoed_payload) + ")]"; break;
    case IcmpMessage::Echoed::kRaw: out += " [raw (" + Dec(m.echoed_payload) + ")]"; break;
  }
  return out;
}

}  // namespace

std::string FormatSeconds(std::int64_t usecs) {
  const std::int64_t secs = usecs / 1'000'000, frac = usecs % 1'000'000;
  std::string out = std::to_string(secs);
  if (frac == 0) return out;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06" PRId64, frac);
  std::string digits = buf;
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

std::string PrintTime(const EventTime& t) {
  switch (t.kind) {
    case TimeKind::kAbsolute: return FormatSeconds(t.usecs);
    case TimeKind::kRelative: return "+" + FormatSeconds(t.usecs);
    case TimeKind::kAny: return "*";
    case TimeKind::kAbsoluteRange: return FormatSeconds(t.usecs) + "~" + FormatSeconds(t.end_usecs);
    case TimeKind::kRelativeRange:
      return "+" + FormatSeconds(t.usecs) + "~+" + FormatSeconds(t.end_usecs);
  }
  return "";
}

std::string PrintExpr(const Expr& expr) {
  std::string out;
  AppendExpr(expr, &out);
  return out;
}

std::string PrintSyscall(const Syscall& s) {
  std::string out = s.name + "(";
  for (std::size_t i = 0; i < s.args.size(); ++i) {
    if (i) out += ", ";
    AppendExpr(s.args[i], &out);
  }
  out += ") = ";
  AppendExpr(s.result, &out);
  if (s.errno_name) out += " " + *s.errno_name;
  if (s.note) out += " (" + *s.note + ")";
  return out;
}

std::string PrintMptcpOption(const MptcpOption& option) {
  std::string out = std::visit([](const auto& spec) { return PrintSpec(spec); }, option.spec);
  if (option.reserved) out += " reserved=" + Hex(*option.reserved);
  return out;
}

std::string PrintTcpOption(const TcpOption& option) {
  return std::visit(
      Overloaded{
          [](const OptNop&) -> std::string { return "nop"; },
          [](const OptEol&) -> std::string { return "eol"; },
          [](const OptMss& o) { return "mss " + (o.symbol.empty() ? Dec(o.mss) : o.symbol); },
          [](const OptWscale& o) { return "wscale " + Dec(o.shift); },
          [](const OptSackOk&) -> std::string { return "sackOK"; },
          [](const OptSack& o) {
            std::string out = "sack";
            for (const SackBlock& b : o.blocks) out += " " + Dec(b.left) + ":" + Dec(b.right);
            return out;
          },
          [](const OptTimestamp& o) { return "TS val " + Dec(o.val) + " ecr " + Dec(o.ecr); },
          [](const OptMd5& o) { return "md5 " + o.hex; },
          [](const OptFastOpen& o) {
            return std::string(o.experimental ? "FOEXP" : "FO") +
                   (o.cookie.empty() ? "" : " " + o.cookie);
          },
          [](const OptEcn& o) {
            std::string out = "ECN";
            for (const EcnField& f : o.fields) out += " " + f.name + " " + Dec(f.value);
            return out;
          },
          [](const MptcpOption& o) { return PrintMptcpOption(o); },
      },
      option);
}

std::string PrintPacket(const Packet& p) {
  std::string out = p.direction == Direction::kInbound ? "<" : ">";
  for (const Encap& e : p.encaps) out += " " + PrintEncap(e);
  if (p.ip_info) out += " " + PrintIpInfo(*p.ip_info);
  if (p.tuple) out += " " + PrintTuple(*p.tuple);
  out += " ";
  out += std::visit(Overloaded{
                        [](const TcpSegment& s) { return PrintTcp(s); },
                        [](const UdpDatagram& u) { return "udp (" + Dec(u.payload) + ")"; },
                        [](const IcmpMessage& m) { return PrintIcmp(m); },
                    },
                    p.body);
  return out;
}

std::string PrintEvent(const Event& e) {
  std::string out = PrintTime(e.time);
  out += std::visit(
      Overloaded{
          [](const Packet& p) { return " " + PrintPacket(p); },
          [](const Syscall& s) {
            return (s.end_usecs ? "..." + FormatSeconds(*s.end_usecs) : std::string()) + " " +
                   PrintSyscall(s);
          },
          [](const Command& c) { return " `" + c.text + "`"; },
          [](const Code& c) { return " %{" + c.text + "}%"; },
      },
      e.action);
  return out;
}

std::string PrintScript(const Script& script) {
  std::string out;
  for (const HeaderOption& o : script.options) {
    if (o.name == "-D") {
      out += "-D " + o.value.value_or("") + "\n";
    } else {
      out += "--" + o.name + (o.value ? "=" + *o.value : "") + "\n";
    }
  }
  if (script.init_command) out += "`" + script.init_command->text + "`\n";
  if (!out.empty()) out += "\n";
  for (const Event& e : script.events) out += PrintEvent(e) + "\n";
  if (script.cleanup_command) out += "`" + script.cleanup_command->text + "`\n";
  return out;
}

}  // namespace mpdrill::parser
