// Packet events: direction, encapsulation prefixes, IP annotations, endpoint tuples, TCP flags,
// sequence ranges, ack/win/urg, TCP options, UDP and ICMP.
#include <arpa/inet.h>

#include <cctype>
#include <string>
#include <utility>

#include "parser/parser_impl.h"

namespace mpdrill::parser::internal {
namespace {

bool IsFlagLetter(char c) {
  switch (c) {
    case 'F': case 'S': case 'R': case 'P': case 'U': case 'E': case 'W': case 'A': case 'N':
      return true;
    default:
      return false;
  }
}

bool IsIpv6Char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
         c == ':' || c == '.';
}

bool ValidIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool ValidIpv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

}  // namespace

bool ScriptParser::ParsePacket(Packet* out) {
  const Token dir = Take();
  out->direction = dir.Is('<') ? Direction::kInbound : Direction::kOutbound;
  while (Peek().IsWord("ipv4") || Peek().IsWord("ipv6") || Peek().IsWord("gre") ||
         Peek().IsWord("GREv0") || Peek().IsWord("mpls") || Peek().IsWord("psp") ||
         (Peek().IsWord("encap") && Peek(1).IsWord("psp"))) {
    if (out->encaps.size() >= 8) return Error(Peek().loc, "too many encapsulation headers");
    Encap e;
    if (!ParseEncap(&e)) return false;
    out->encaps.push_back(std::move(e));
  }
  if (Peek().Is('[') || Peek().Is('(')) {
    IpInfo info;
    if (!ParseIpInfo(&info)) return false;
    out->ip_info = info;
  }
  if (!ParseTuple(&out->tuple)) return false;
  if (TakeWordIf("udp")) {
    if (!out->tuple && !ParseTuple(&out->tuple)) return false;
    if (out->ip_info && out->ip_info->ecn) {
      return Error(dir.loc, "ECN marks can only be used with TCP packets");
    }
    UdpDatagram udp;
    if (!Expect('(')) return false;
    if (!ParseUnsignedAs("UDP payload size", &udp.payload)) return false;
    if (!Expect(')')) return false;
    out->body = udp;
    return true;
  }
  if (TakeWordIf("icmp")) {
    IcmpMessage icmp;
    if (!ParseIcmp(&icmp)) return false;
    out->body = std::move(icmp);
    return true;
  }
  if (out->ip_info && out->ip_info->ecn == EcnMark::kEct01 &&
      out->direction != Direction::kOutbound) {
    return Error(dir.loc, "[ect01] can only be used with outbound packets");
  }
  TcpSegment seg;
  if (!ParseTcpSegment(out->direction, &seg)) return false;
  out->body = std::move(seg);
  return true;
}

bool ScriptParser::ParseEncap(Encap* out) {
  const Token kw = Take();
  if (kw.IsWord("ipv4") || kw.IsWord("ipv6")) {
    const bool v6 = kw.IsWord("ipv6");
    out->kind = v6 ? EncapKind::kIpv6 : EncapKind::kIpv4;
    if (Peek().Is('[') || Peek().Is('(')) {
      IpInfo info;
      if (!ParseIpInfo(&info)) return false;
      out->ip_info = info;
    }
    if (v6) {
      if (!ParseIpv6Raw(&out->src, false)) return false;
      if (!Expect('>')) return false;
      if (!ParseIpv6Raw(&out->dst, true)) return false;
    } else {
      if (Peek().kind != TokenKind::kIpv4) return Expected("IPv4 source address");
      out->src = std::string(Take().text);
      if (!Expect('>')) return false;
      if (Peek().kind != TokenKind::kIpv4) return Expected("IPv4 destination address");
      out->dst = std::string(Take().text);
    }
    return Expect(':');
  }
  if (kw.IsWord("psp") || kw.IsWord("encap")) {
    // PSP (google/packetdrill): tunnel mode `psp spi N[, vc N]:` after an outer IP header,
    // transport mode `encap psp spi N[, vc N]` right before the TCP flags.
    const bool transport = kw.IsWord("encap");
    if (transport) Take();  // psp
    out->kind = transport ? EncapKind::kPspTransport : EncapKind::kPsp;
    if (!ExpectWord("spi")) return false;
    const Token spi = Peek();
    std::uint64_t v = 0;
    if (!ParseUnsigned(0xffffffffULL, "PSP spi", &v)) return false;
    out->spec = "spi " + std::string(spi.text);
    if (Peek().Is(',') && Peek(1).IsWord("vc")) {
      Take();
      Take();
      const Token vc = Peek();
      if (!ParseUnsigned(~0ULL, "PSP vc", &v)) return false;
      out->spec += ", vc " + std::string(vc.text);
    }
    return transport ? true : Expect(':');
  }
  out->kind = kw.IsWord("mpls") ? EncapKind::kMpls : EncapKind::kGre;
  if (!ParseTokenText(':', &out->spec)) return false;
  return Expect(':');
}

bool ScriptParser::ParseTokenText(char stop, std::string* out) {
  // Keeps the tokens up to `stop` (at nesting level 0) as text: single-spaced where the source
  // had whitespace between them, so printing and re-parsing gives the same text.
  int nesting = 0;
  std::size_t count = 0;
  while (true) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kEof || t.kind == TokenKind::kError) {
      return Expected(std::string("'") + stop + "'");
    }
    if (nesting == 0 && t.Is(stop)) return true;
    if (t.Is('(') || t.Is('[') || t.Is('{')) ++nesting;
    if ((t.Is(')') || t.Is(']') || t.Is('}')) && --nesting < 0) {
      return Expected(std::string("'") + stop + "'");
    }
    if (++count > 64) return Error(t.loc, "header specification too long");
    if (!out->empty() && t.offset > prev_end_) out->push_back(' ');
    const Token tok = Take();
    if (tok.kind == TokenKind::kString) {
      *out += "\"" + std::string(tok.text) + "\"";
    } else if (tok.kind == TokenKind::kBackquote || tok.kind == TokenKind::kCode) {
      return Error(tok.loc, "unexpected " + Describe(tok));
    } else if (tok.kind == TokenKind::kOption) {
      *out += "--" + std::string(tok.text);
    } else {
      *out += std::string(tok.text);
    }
  }
}

bool ScriptParser::ParseIpv6Raw(std::string* out, bool strip_colon) {
  const Token& t = Peek();
  if (t.kind == TokenKind::kEof || t.kind == TokenKind::kError) return Expected("IPv6 address");
  const std::string_view src = source();
  std::size_t pos = t.offset;
  while (pos < src.size() && IsIpv6Char(src[pos])) ++pos;
  std::string text(src.substr(t.offset, pos - t.offset));
  if (strip_colon && !text.empty() && text.back() == ':') {
    text.pop_back();
    --pos;
  }
  if (text.empty() || !ValidIpv6(text)) {
    return Error(t.loc, "invalid IPv6 address '" + text + "'");
  }
  *out = std::move(text);
  ResetTo(pos);
  return true;
}

bool ScriptParser::ParseIpInfo(IpInfo* out) {
  const char close = Peek().Is('[') ? ']' : ')';
  Take();
  do {
    const Token& t = Peek();
    const SourceLoc loc = t.loc;
    if (t.kind != TokenKind::kWord) return Expected("tos, ttl, flowlabel or an ECN mark");
    const std::string word(t.text);
    std::optional<EcnMark> mark;
    if (word == "noecn") mark = EcnMark::kNoEcn;
    if (word == "ect0") mark = EcnMark::kEct0;
    if (word == "ect1") mark = EcnMark::kEct1;
    if (word == "ce") mark = EcnMark::kCe;
    if (word == "ect01") mark = EcnMark::kEct01;
    Take();
    if (mark) {
      if (out->ecn || out->tos) return Error(loc, "IP info sets the ECN field twice");
      out->ecn = mark;
    } else if (word == "tos") {
      if (out->ecn || out->tos) return Error(loc, "IP info sets the TOS field twice");
      std::uint8_t tos = 0;
      if (!ParseUnsignedAs("tos", &tos)) return false;
      out->tos = tos;
    } else if (word == "ttl") {
      if (out->ttl) return Error(loc, "IP info sets ttl twice");
      std::uint8_t ttl = 0;
      if (!ParseUnsignedAs("ttl", &ttl)) return false;
      out->ttl = ttl;
    } else if (word == "flowlabel") {
      if (out->flowlabel) return Error(loc, "IP info sets flowlabel twice");
      std::uint64_t v = 0;
      if (!ParseUnsigned(0xfffff, "flowlabel", &v)) return false;
      out->flowlabel = static_cast<std::uint32_t>(v);
    } else {
      return Error(loc, "unknown IP info '" + word + "' (expected tos, ttl, flowlabel, noecn, "
                        "ect0, ect1, ect01 or ce)");
    }
  } while (TakeIf(','));
  return Expect(close);
}

bool ScriptParser::ParseEndpoint(Endpoint* out) {
  const Token t = Peek();
  if (t.IsWord("addr") && Peek(1).Is('[')) {
    Take();
    Take();
    if (Peek().kind != TokenKind::kWord) return Expected("address variable name");
    out->kind = Endpoint::Kind::kVar;
    out->var = std::string(Take().text);
    return Expect(']');
  }
  if (t.kind == TokenKind::kIpv4 && Peek(1).Is(':')) {
    out->kind = Endpoint::Kind::kAddressPort;
    out->address = std::string(Take().text);
    if (!ValidIpv4(out->address)) return Error(t.loc, "invalid IPv4 address");
    Take();
    return ParseUnsignedAs("port", &out->port);
  }
  if (t.kind == TokenKind::kInteger) {
    out->kind = Endpoint::Kind::kPort;
    return ParseUnsignedAs("port", &out->port);
  }
  out->kind = Endpoint::Kind::kNone;
  return true;
}

bool ScriptParser::ParseTuple(std::optional<Tuple>* out) {
  const Token& t = Peek();
  const bool starts = t.Is('>') || (t.IsWord("addr") && Peek(1).Is('[')) ||
                      (t.kind == TokenKind::kInteger && Peek(1).Is('>')) ||
                      (t.kind == TokenKind::kIpv4 && Peek(1).Is(':'));
  if (!starts) return true;
  Tuple tuple;
  if (!ParseEndpoint(&tuple.src)) return false;
  if (!Expect('>')) return false;
  if (!ParseEndpoint(&tuple.dst)) return false;
  if (tuple.dst.kind == Endpoint::Kind::kNone) return Expected("destination endpoint after '>'");
  *out = std::move(tuple);
  return true;
}

bool ScriptParser::ParseFlags(std::string* out) {
  const Token& t = Peek();
  if (t.Is('-')) {
    Take();
    out->clear();
    return true;
  }
  if (t.kind != TokenKind::kWord && t.kind != TokenKind::kFloat && !t.Is('.')) {
    return Expected("TCP flags (e.g. S, S., P., ., -)");
  }
  const std::string_view src = source();
  std::size_t pos = t.offset;
  while (pos < src.size() && (std::isalnum(static_cast<unsigned char>(src[pos])) ||
                              src[pos] == '.')) {
    ++pos;
  }
  const std::string_view flags = src.substr(t.offset, pos - t.offset);
  // letters, then an optional '.', with an optional AccECN ACE digit (0-7) before or after the
  // '.': `S.`, `.5`, `P.5`, `P5.`, `F5.`.
  std::size_t i = 0;
  int ace_digits = 0;
  const auto ace = [&] {
    if (i < flags.size() && flags[i] >= '0' && flags[i] <= '7') ++i, ++ace_digits;
  };
  while (i < flags.size() && IsFlagLetter(flags[i])) ++i;
  ace();
  if (i < flags.size() && flags[i] == '.') ++i;
  ace();
  if (i != flags.size() || flags.empty() || ace_digits > 1) {
    return Error(t.loc, "invalid TCP flags '" + std::string(flags) +
                            "' (expected letters from FSRPUEWAN, an optional '.' and at most "
                            "one ACE digit 0-7)");
  }
  *out = std::string(flags);
  ResetTo(pos);
  return true;
}

bool ScriptParser::ParseTcpSegment(Direction dir, TcpSegment* out) {
  if (!ParseFlags(&out->flags)) return false;
  const SourceLoc seq_loc = Peek().loc;
  std::uint64_t payload = 0;
  if (!ParseUnsignedAs("start sequence number", &out->start_seq)) return false;
  if (!Expect(':')) return false;
  if (!ParseUnsignedAs("end sequence number", &out->end_seq)) return false;
  if (!Expect('(')) return false;
  if (!ParseUnsigned(0xffff, "payload size", &payload)) return false;
  if (!Expect(')')) return false;
  out->payload = static_cast<std::uint16_t>(payload);
  if (static_cast<std::uint32_t>(out->start_seq + out->payload) != out->end_seq) {
    return Error(seq_loc, "inconsistent TCP sequence numbers and payload size: expected: " +
                              std::to_string(static_cast<std::uint32_t>(out->start_seq +
                                                                        out->payload)) +
                              " actual: " + std::to_string(out->end_seq));
  }
  while (true) {
    const Token& t = Peek();
    const SourceLoc loc = t.loc;
    if (t.IsWord("ack")) {
      Take();
      if (out->ack) return Error(loc, "'ack' given twice");
      std::uint32_t v = 0;
      if (!ParseUnsignedAs("ack number", &v)) return false;
      out->ack = v;
    } else if (t.IsWord("win")) {
      Take();
      if (out->win) return Error(loc, "'win' given twice");
      std::uint16_t v = 0;
      if (!ParseUnsignedAs("window", &v)) return false;
      out->win = v;
    } else if (t.IsWord("urg")) {
      Take();
      if (out->urg) return Error(loc, "'urg' given twice");
      std::uint16_t v = 0;
      if (!ParseUnsignedAs("urgent pointer", &v)) return false;
      out->urg = v;
    } else {
      break;
    }
  }
  if (Peek().Is('<')) {
    if (!ParseTcpOptions(dir, out)) return false;
  }
  // Packet mutation block of packetdrill's fuzzing syntax, kept as text: {rep tcp win_size 0x10}
  if (TakeIf('{')) {
    std::string text;
    if (!ParseTokenText('}', &text)) return false;
    out->mutation = std::move(text);
    return Expect('}');
  }
  return true;
}

bool ScriptParser::ParseTcpOptions(Direction dir, TcpSegment* out) {
  const Token open = Take();
  if (Peek().kind == TokenKind::kEllipsis) {
    Take();
    if (!Expect('>')) return false;
    if (dir != Direction::kOutbound) {
      return Error(open.loc, "<...> for TCP options can only be used with outbound packets");
    }
    out->options_form = OptionsForm::kAny;
    return true;
  }
  out->options_form = OptionsForm::kList;
  do {
    if (out->options.size() >= 40) return Error(Peek().loc, "TCP option list too long");
    TcpOption opt;
    if (!ParseTcpOption(&opt)) return false;
    out->options.push_back(std::move(opt));
  } while (TakeIf(','));
  if (Peek().kind == TokenKind::kWord) {
    return Error(Peek().loc, "unexpected '" + std::string(Peek().text) +
                                 "' in TCP option (missing ','?)");
  }
  return Expect('>');
}

bool ScriptParser::ParseTcpOption(TcpOption* out) {
  const Token& t = Peek();
  if (t.kind != TokenKind::kWord) return Expected("TCP option");
  const SourceLoc loc = t.loc;
  const std::string word(t.text);
  if (word == "nop") {
    Take();
    *out = OptNop{};
  } else if (word == "eol") {
    Take();
    *out = OptEol{};
  } else if (word == "mss") {
    Take();
    OptMss o;
    if (Peek().kind == TokenKind::kWord) {
      o.symbol = std::string(Take().text);  // a definition's name, e.g. `mss MSS`
    } else if (!ParseUnsignedAs("mss", &o.mss)) {
      return false;
    }
    *out = o;
  } else if (word == "wscale") {
    Take();
    OptWscale o;
    if (!ParseUnsignedAs("window scale shift count", &o.shift)) return false;
    *out = o;
  } else if (word == "sackOK") {
    Take();
    *out = OptSackOk{};
  } else if (word == "sack") {
    Take();
    OptSack o;
    do {
      SackBlock b;
      if (!ParseUnsignedAs("SACK left edge", &b.left)) return false;
      if (!Expect(':')) return false;
      if (!ParseUnsignedAs("SACK right edge", &b.right)) return false;
      o.blocks.push_back(b);
    } while (Peek().kind == TokenKind::kInteger || Peek().kind == TokenKind::kHex);
    *out = std::move(o);
  } else if (word == "TS") {
    Take();
    OptTimestamp o;
    if (!ExpectWord("val")) return false;
    if (!ParseUnsignedAs("TS val", &o.val)) return false;
    if (!ExpectWord("ecr")) return false;
    if (!ParseUnsignedAs("TS ecr", &o.ecr)) return false;
    *out = o;
  } else if (word == "md5" || word == "FO" || word == "FOEXP") {
    Take();
    std::string blob;
    const Token& b = Peek();
    if (b.kind == TokenKind::kWord || b.kind == TokenKind::kInteger || b.kind == TokenKind::kHex) {
      blob = std::string(Take().text);
    } else if (word == "md5") {
      return Expected("MD5 signature (hex)");
    }
    if (word == "md5") {
      *out = OptMd5{std::move(blob)};
    } else {
      *out = OptFastOpen{word == "FOEXP", std::move(blob)};
    }
  } else if (word == "ECN") {
    Take();
    OptEcn o;
    while (Peek().IsWord("e0b") || Peek().IsWord("ceb") || Peek().IsWord("e1b")) {
      EcnField f;
      f.name = std::string(Take().text);
      std::uint64_t v = 0;
      if (!ParseUnsigned(0xffffff, f.name, &v)) return false;
      f.value = static_cast<std::uint32_t>(v);
      if (o.fields.size() == 3) return Error(loc, "ECN option has more than three counters");
      o.fields.push_back(std::move(f));
    }
    *out = std::move(o);
  } else {
    MptcpOption m;
    if (!ParseMptcpOption(&m)) return false;
    *out = std::move(m);
  }
  return true;
}

bool ScriptParser::ParseIcmp(IcmpMessage* out) {
  if (Peek().kind != TokenKind::kWord) return Expected("ICMP type");
  out->type = std::string(Take().text);
  if (Peek().kind == TokenKind::kWord && !Peek().IsWord("mtu") && !Peek().IsWord("id")) {
    out->code = std::string(Take().text);
  }
  if (TakeWordIf("mtu")) {
    std::uint32_t v = 0;
    if (!ParseUnsignedAs("mtu", &v)) return false;
    out->mtu = v;
  }
  if (TakeWordIf("id")) {
    std::uint32_t v = 0;
    if (!ParseUnsignedAs("id", &v)) return false;
    out->id = v;
  }
  if (!TakeIf('[')) return true;
  if (Peek().IsWord("udp") || Peek().IsWord("raw")) {
    out->echoed = Peek().IsWord("udp") ? IcmpMessage::Echoed::kUdp : IcmpMessage::Echoed::kRaw;
    Take();
    if (!Expect('(')) return false;
    if (!ParseUnsignedAs("echoed payload size", &out->echoed_payload)) return false;
    if (!Expect(')')) return false;
  } else {
    out->echoed = IcmpMessage::Echoed::kTcp;
    const SourceLoc loc = Peek().loc;
    if (!ParseUnsignedAs("echoed start sequence", &out->echoed_start)) return false;
    if (!Expect(':')) return false;
    if (!ParseUnsignedAs("echoed end sequence", &out->echoed_end)) return false;
    if (!Expect('(')) return false;
    if (!ParseUnsignedAs("echoed payload size", &out->echoed_payload)) return false;
    if (!Expect(')')) return false;
    if (static_cast<std::uint32_t>(out->echoed_start + out->echoed_payload) != out->echoed_end) {
      return Error(loc, "inconsistent echoed TCP sequence numbers and payload size");
    }
  }
  return Expect(']');
}

}  // namespace mpdrill::parser::internal
