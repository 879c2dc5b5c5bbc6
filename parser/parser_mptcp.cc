// MPTCP options (TCP option kind 30, RFC 8684 §3) inside a packet's <...> list: the syntax of
// multipath-tcp/packetdrill plus mpdrill's canonical concrete forms. Fields after the keyword
// may come in any order (each at most once), so both the upstream scripts and `mpdrill decode`
// output parse. Values stay symbolic; ranges are checked against the wire field widths.
#include <arpa/inet.h>

#include <cctype>
#include <string>
#include <utility>

#include "parser/parser_impl.h"

namespace mpdrill::parser::internal {
namespace {

constexpr std::string_view kMpcFlagNames[] = {"flag_a", "flag_b", "flag_c", "flag_d",
                                              "flag_e", "flag_f", "flag_g", "flag_h", "no_flags"};
constexpr std::uint8_t kMpcFlagBits[] = {0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00};
// MP_TCPRST flags (RFC 8684 §3.6): U V W T in the low nibble.
constexpr std::string_view kRstFlagNames[] = {"flag_u", "flag_v", "flag_w", "flag_t", "no_flags"};
constexpr std::uint8_t kRstFlagBits[] = {0x8, 0x4, 0x2, 0x1, 0x0};

bool ValidAddress(const std::string& s, bool v6) {
  in6_addr a{};
  return inet_pton(v6 ? AF_INET6 : AF_INET, s.c_str(), &a) == 1;
}

}  // namespace

bool ScriptParser::AtOptionEnd() {
  const Token& t = Peek();
  return t.Is(',') || t.Is('>') || t.kind == TokenKind::kEof;
}

bool ScriptParser::ParseFlagList(std::string_view what, const std::string_view* names,
                                 const std::uint8_t* bits, std::size_t count,
                                 std::uint8_t* mask) {
  if (!Expect('[')) return false;
  *mask = 0;
  do {
    const Token& t = Peek();
    std::size_t i = 0;
    while (i < count && !(t.kind == TokenKind::kWord && t.text == names[i])) ++i;
    if (i == count) {
      std::string list;
      for (std::size_t j = 0; j < count; ++j) list += (j ? ", " : "") + std::string(names[j]);
      if (t.kind == TokenKind::kWord) {
        return Error(t.loc, "unknown " + std::string(what) + " flag '" + std::string(t.text) +
                                "' (expected one of " + list + ")");
      }
      return Expected(std::string(what) + " flag");
    }
    Take();
    *mask |= bits[i];
  } while (TakeIf(','));
  return Expect(']');
}

bool ScriptParser::ParseKeyRef(KeyRef* out) {
  if (Peek().kind != TokenKind::kWord) return Expected("key name");
  out->name = std::string(Take().text);
  if (TakeIf('=')) {
    std::uint64_t v = 0;
    if (!ParseUnsigned(~std::uint64_t{0}, "key", &v)) return false;
    out->value = v;
  }
  return true;
}

bool ScriptParser::ParseAddressId(AddressIdSpec* out) {
  if (!Expect('=')) return false;
  if (TakeWordIf("auto")) {
    out->is_auto = true;
    return true;
  }
  return ParseUnsignedAs("address_id", &out->value);
}

bool ScriptParser::ParseTokenSpec(TokenSpec* out) {
  if (!Expect('=')) return false;
  if (TakeWordIf("auto")) {
    out->kind = TokenSpec::Kind::kAuto;
    return true;
  }
  if (Peek().IsWord("sha256_32") || Peek().IsWord("sha1_32")) {
    out->kind = Peek().IsWord("sha1_32") ? TokenSpec::Kind::kSha1 : TokenSpec::Kind::kSha256;
    Take();
    if (!Expect('(')) return false;
    if (Peek().kind != TokenKind::kWord) return Expected("key name");
    out->var = std::string(Take().text);
    return Expect(')');
  }
  if (Peek().kind != TokenKind::kInteger && Peek().kind != TokenKind::kHex) {
    return Expected("token value (N, sha256_32(key), sha1_32(key) or auto)");
  }
  out->kind = TokenSpec::Kind::kValue;
  return ParseUnsignedAs("token", &out->value);
}

bool ScriptParser::ParseHexBytes(std::string_view what, std::size_t max_bytes, std::string* out) {
  const Token& t = Peek();
  if (t.kind != TokenKind::kHex) return Expected(std::string(what) + " (0x followed by hex bytes)");
  std::string hex(t.text.substr(2));
  for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (hex.size() % 2 != 0) hex.insert(hex.begin(), '0');
  if (hex.size() / 2 > max_bytes) {
    return Error(t.loc, std::string(what) + " out of range: " + std::to_string(hex.size() / 2) +
                            " bytes (maximum " + std::to_string(max_bytes) + ")");
  }
  Take();
  *out = std::move(hex);
  return true;
}

bool ScriptParser::ParseHmacSpec(HmacSpec* out) {
  if (!Expect('=')) return false;
  if (TakeWordIf("auto")) {
    out->kind = HmacSpec::Kind::kAuto;
    return true;
  }
  if (Peek().IsWord("trunc_l64_hmac") || Peek().IsWord("full_160_hmac")) {
    const bool full = Peek().IsWord("full_160_hmac");
    Take();
    if (!Expect('(')) return false;
    if (!full && (Peek().kind == TokenKind::kInteger || Peek().kind == TokenKind::kHex)) {
      out->kind = HmacSpec::Kind::kTruncL64Value;
      if (!ParseUnsigned(~std::uint64_t{0}, "HMAC", &out->value)) return false;
      return Expect(')');
    }
    out->kind = full ? HmacSpec::Kind::kFull160Vars : HmacSpec::Kind::kTruncL64Vars;
    if (Peek().kind != TokenKind::kWord) return Expected("key name");
    out->var1 = std::string(Take().text);
    TakeIf(',');
    if (Peek().kind != TokenKind::kWord) return Expected("second key name");
    out->var2 = std::string(Take().text);
    return Expect(')');
  }
  out->kind = HmacSpec::Kind::kBytes;
  return ParseHexBytes("sender_hmac", 20, &out->hex);
}

bool ScriptParser::ParseDssValue(DssValue* out) {
  const Token& t = Peek();
  if (t.IsWord("trunc_r64_hmac")) {
    Take();
    out->kind = DssValue::Kind::kTruncR64Hmac;
    if (!Expect('(')) return false;
    if (Peek().kind != TokenKind::kWord) return Expected("key name");
    out->var = std::string(Take().text);
    if (!Expect(')')) return false;
    if (TakeIf('+')) return ParseUnsigned(~std::uint64_t{0}, "addend", &out->addend);
    return true;
  }
  if (t.IsWord("trunc_r64_hmac_sha1") || t.IsWord("trunc_r64_hmac_sha256")) {
    out->kind = t.IsWord("trunc_r64_hmac_sha1") ? DssValue::Kind::kTruncR64HmacSha1
                                                : DssValue::Kind::kTruncR64HmacSha256;
    Take();
    if (!Expect('(')) return false;
    if (!ParseUnsigned(~std::uint64_t{0}, "HMAC argument", &out->value)) return false;
    return Expect(')');
  }
  out->kind = DssValue::Kind::kValue;
  return ParseUnsigned(~std::uint64_t{0}, "sequence value", &out->value);
}

bool ScriptParser::ParseAddrRef(AddrRef* out) {
  if (!Expect('[')) return false;
  const Token& t = Peek();
  const auto literal = [&](bool v6) -> bool {
    Take();  // inet_addr / inet6_addr
    if (!Expect('(')) return false;
    if (Peek().kind != TokenKind::kString) return Expected("quoted address");
    const Token s = Take();
    out->family = v6 ? AddrRef::Family::kIpv6 : AddrRef::Family::kIpv4;
    out->literal = std::string(s.text);
    if (!ValidAddress(out->literal, v6)) {
      return Error(s.loc, std::string("invalid ") + (v6 ? "IPv6" : "IPv4") + " address \"" +
                              out->literal + "\"");
    }
    return Expect(')');
  };
  const auto is_call = [&](const Token& tok) {
    return (tok.IsWord("inet_addr") || tok.IsWord("inet6_addr")) && Peek(1).Is('(');
  };
  if (is_call(t)) {
    if (!literal(t.IsWord("inet6_addr"))) return false;
  } else if (t.kind == TokenKind::kIpv4) {
    out->family = AddrRef::Family::kIpv4;
    out->literal = std::string(t.text);
    if (!ValidAddress(out->literal, false)) return Error(t.loc, "invalid IPv4 address");
    Take();
  } else if (t.kind == TokenKind::kWord && (Peek(1).Is(']') || Peek(1).Is('='))) {
    out->var = std::string(Take().text);
    if (TakeIf('=')) {
      if (!is_call(Peek())) return Expected("inet_addr(\"...\") or inet6_addr(\"...\")");
      if (!literal(Peek().IsWord("inet6_addr"))) return false;
    }
  } else {
    out->family = AddrRef::Family::kIpv6;
    if (!ParseIpv6Raw(&out->literal, false)) return false;
  }
  return Expect(']');
}

bool ScriptParser::ParseMpCapable(MpCapableSpec* out, std::optional<std::uint64_t>* reserved) {
  const Token& v = Peek();
  if (v.IsWord("none")) {
    Take();
    out->version.reset();
  } else if (v.kind == TokenKind::kWord && v.text.size() >= 2 && v.text[0] == 'v' &&
             std::isdigit(static_cast<unsigned char>(v.text[1]))) {
    int version = 0;
    for (char c : v.text.substr(1)) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || (version = version * 10 + (c - '0')) > 15) {
        return Error(v.loc, "MP_CAPABLE version out of range: " + std::string(v.text) +
                                " (v0 to v15)");
      }
    }
    out->version = static_cast<std::uint8_t>(version);
    Take();
  } else {
    return Expected("MP_CAPABLE version (v0, v1 or none)");
  }
  bool have_flags = false, have_keys = false;
  while (!AtOptionEnd()) {
    const Token& t = Peek();
    const SourceLoc loc = t.loc;
    const std::string word = t.kind == TokenKind::kWord ? std::string(t.text) : "";
    const auto dup = [&](bool seen) {
      return seen ? Error(loc, "'" + word + "' given twice in mpcapable") : true;
    };
    if (word == "flags") {
      if (!dup(have_flags)) return false;
      have_flags = true;
      Take();
      if (Peek().Is('[')) {
        if (!ParseFlagList("mpcapable", kMpcFlagNames, kMpcFlagBits, 9, &out->flags)) return false;
      } else {
        out->raw_flags = true;
        if (!ParseUnsignedAs("mpcapable flags", &out->flags)) return false;
      }
    } else if (word == "nokey" || word == "key") {
      if (!dup(have_keys)) return false;
      have_keys = true;
      Take();
      out->nokey = word == "nokey";
      if (out->nokey) continue;
      if (!Expect('[')) return false;
      do {
        if (out->keys.size() == 2) return Error(Peek().loc, "key[...] takes at most two keys");
        KeyRef k;
        if (!ParseKeyRef(&k)) return false;
        out->keys.push_back(std::move(k));
      } while (TakeIf(','));
      if (!Expect(']')) return false;
    } else if (word == "mpcdatalen") {
      if (!dup(out->data_len.has_value())) return false;
      Take();
      TakeIf('=');
      std::uint16_t len = 0;
      if (!ParseUnsignedAs("mpcdatalen", &len)) return false;
      out->data_len = len;
    } else if (word == "cksum") {
      if (!dup(out->checksum.has_value())) return false;
      Take();
      if (!Expect('=')) return false;
      std::uint16_t ck = 0;
      if (!ParseUnsignedAs("cksum", &ck)) return false;
      out->checksum = ck;
    } else if (word == "reserved") {
      if (!dup(reserved->has_value())) return false;
      Take();
      if (!Expect('=')) return false;
      std::uint64_t r = 0;
      if (!ParseUnsigned(~std::uint64_t{0}, "reserved", &r)) return false;
      *reserved = r;
    } else {
      return Expected("mpcapable field (flags, nokey, key[...], mpcdatalen, cksum=)");
    }
  }
  if (!have_flags) return Expected("'flags[...]' or 'flags N' in mpcapable");
  if (!have_keys) return Expected("'nokey' or 'key[...]' in mpcapable");
  return true;
}

bool ScriptParser::ParseMpJoin(MpJoinSpec* out, std::optional<std::uint64_t>* reserved) {
  const Token kw = Take();
  out->form = kw.IsWord("mp_join_syn")       ? MpJoinSpec::Form::kSyn
              : kw.IsWord("mp_join_syn_ack") ? MpJoinSpec::Form::kSynAck
                                             : MpJoinSpec::Form::kAck;
  const bool syn = out->form == MpJoinSpec::Form::kSyn;
  const bool ack = out->form == MpJoinSpec::Form::kAck;
  while (!AtOptionEnd()) {
    const Token& t = Peek();
    const SourceLoc loc = t.loc;
    const std::string word = t.kind == TokenKind::kWord ? std::string(t.text) : "";
    const auto allowed = [&](bool seen, bool ok) {
      if (!ok) return Error(loc, "'" + word + "' is not a field of " + std::string(kw.text));
      if (seen) return Error(loc, "'" + word + "' given twice in " + std::string(kw.text));
      Take();
      return true;
    };
    if (word == "backup") {
      if (!allowed(out->backup.has_value(), !ack) || !Expect('=')) return false;
      std::uint64_t b = 0;
      if (!ParseUnsigned(1, "backup", &b)) return false;
      out->backup = static_cast<std::uint8_t>(b);
    } else if (word == "address_id") {
      if (!allowed(out->address_id.has_value(), !ack)) return false;
      AddressIdSpec id;
      if (!ParseAddressId(&id)) return false;
      out->address_id = id;
    } else if (word == "token") {
      if (!allowed(out->token.has_value(), syn)) return false;
      TokenSpec tok;
      if (!ParseTokenSpec(&tok)) return false;
      out->token = std::move(tok);
    } else if (word == "rand") {
      if (!allowed(out->rand.has_value(), !ack) || !Expect('=')) return false;
      std::uint32_t r = 0;
      if (!ParseUnsignedAs("rand", &r)) return false;
      out->rand = r;
    } else if (word == "sender_hmac") {
      if (!allowed(out->sender_hmac.has_value(), !syn)) return false;
      HmacSpec h;
      if (!ParseHmacSpec(&h)) return false;
      out->sender_hmac = std::move(h);
    } else if (word == "reserved") {
      if (!allowed(reserved->has_value(), true) || !Expect('=')) return false;
      std::uint64_t r = 0;
      if (!ParseUnsigned(0xfff, "reserved", &r)) return false;
      *reserved = r;
    } else {
      return Expected(std::string(kw.text) + " field");
    }
  }
  if (syn && !out->token) return Expected("'token=' in mp_join_syn");
  if (!syn && !out->sender_hmac) return Expected("'sender_hmac=' in " + std::string(kw.text));
  return true;
}

bool ScriptParser::ParseDss(DssSpec* out, std::optional<std::uint64_t>* reserved) {
  while (!AtOptionEnd()) {
    const Token& t = Peek();
    const SourceLoc loc = t.loc;
    const std::string word = t.kind == TokenKind::kWord ? std::string(t.text) : "";
    const auto once = [&](bool seen) {
      if (seen) return Error(loc, "'" + word + "' given twice in dss");
      Take();
      return true;
    };
    if (word == "dack4" || word == "dack8" || word == "dsn4" || word == "dsn8") {
      std::optional<DssField>& field = word[1] == 'a' ? out->data_ack : out->dsn;
      if (!once(field.has_value())) return false;
      DssField f;
      f.width = word.back() == '4' ? 4 : 8;
      if (TakeIf('=')) {
        const SourceLoc vloc = Peek().loc;
        if (!ParseDssValue(&f.value)) return false;
        if (f.width == 4 && f.value.kind == DssValue::Kind::kValue && f.value.value > 0xffffffff) {
          return Error(vloc, word + " out of range: " + std::to_string(f.value.value) +
                                  " (maximum 4294967295)");
        }
      }
      field = std::move(f);
    } else if (word == "ssn") {
      if (!once(out->ssn.has_value()) || !Expect('=')) return false;
      std::uint32_t v = 0;
      if (!ParseUnsignedAs("ssn", &v)) return false;
      out->ssn = v;
    } else if (word == "dll") {
      if (!once(out->dll.has_value()) || !Expect('=')) return false;
      std::uint16_t v = 0;
      if (!ParseUnsignedAs("dll", &v)) return false;
      out->dll = v;
    } else if (word == "nocs" || word == "cksum") {
      if (out->checksum != DssSpec::Checksum::kUnspecified) {
        return Error(loc, "dss checksum given twice (nocs / cksum=)");
      }
      Take();
      out->checksum = word == "nocs" ? DssSpec::Checksum::kNone : DssSpec::Checksum::kValue;
      if (word == "cksum" && (!Expect('=') || !ParseUnsignedAs("cksum", &out->checksum_value))) {
        return false;
      }
    } else if (word == "fin") {
      if (!once(out->fin)) return false;
      out->fin = true;
    } else if (word == "flags") {
      if (!once(out->flags.has_value()) || !Expect('=')) return false;
      std::uint64_t f = 0;
      if (!ParseUnsigned(0x1f, "dss flags", &f)) return false;
      out->flags = static_cast<std::uint8_t>(f);
    } else if (word == "reserved") {
      if (!once(reserved->has_value()) || !Expect('=')) return false;
      std::uint64_t r = 0;
      if (!ParseUnsigned(0x7f, "reserved", &r)) return false;
      *reserved = r;
    } else {
      return Expected("dss field (dack4, dack8, dsn4, dsn8, ssn=, dll=, nocs, cksum=, fin)");
    }
  }
  return true;
}

bool ScriptParser::ParseAddAddress(AddAddressSpec* out, std::optional<std::uint64_t>* reserved) {
  bool have_addr = false;
  while (!AtOptionEnd()) {
    const Token& t = Peek();
    const SourceLoc loc = t.loc;
    const std::string word = t.kind == TokenKind::kWord ? std::string(t.text) : "";
    const auto once = [&](bool seen) {
      if (seen) return Error(loc, "'" + word + "' given twice in add_address");
      Take();
      return true;
    };
    if (word == "address_id") {
      if (!once(out->address_id.has_value())) return false;
      AddressIdSpec id;
      if (!ParseAddressId(&id)) return false;
      out->address_id = id;
    } else if (word == "addr") {
      if (!once(have_addr)) return false;
      have_addr = true;
      if (!ParseAddrRef(&out->addr)) return false;
    } else if (word == "port") {
      if (!once(out->port.has_value()) || !Expect('=')) return false;
      std::uint16_t p = 0;
      if (!ParseUnsignedAs("port", &p)) return false;
      out->port = p;
    } else if (word == "addr_echo") {
      if (!once(out->echo)) return false;
      out->echo = true;
    } else if (word == "hmac") {
      if (!once(out->hmac_auto || out->hmac.has_value()) || !Expect('=')) return false;
      if (TakeWordIf("auto")) {
        out->hmac_auto = true;
      } else {
        std::uint64_t h = 0;
        if (!ParseUnsigned(~std::uint64_t{0}, "hmac", &h)) return false;
        out->hmac = h;
      }
    } else if (word == "reserved") {
      if (!once(reserved->has_value()) || !Expect('=')) return false;
      std::uint64_t r = 0;
      if (!ParseUnsigned(0x7, "reserved", &r)) return false;
      *reserved = r;
    } else {
      return Expected("add_address field (address_id=, addr[...], port=, hmac=, addr_echo)");
    }
  }
  if (!have_addr) return Expected("'addr[...]' in add_address");
  return true;
}

bool ScriptParser::ParseMptcpOption(MptcpOption* out) {
  const Token& kw = Peek();
  out->loc = kw.loc;
  const std::string word(kw.text);
  const auto reserved_field = [&](std::uint64_t max) -> bool {
    const SourceLoc loc = Peek().loc;
    Take();
    if (out->reserved) return Error(loc, "'reserved' given twice in " + word);
    if (!Expect('=')) return false;
    std::uint64_t r = 0;
    if (!ParseUnsigned(max, "reserved", &r)) return false;
    out->reserved = r;
    return true;
  };
  const auto unknown_field = [&]() { return Expected(word + " field"); };
  if (word == "mpcapable") {
    Take();
    MpCapableSpec spec;
    if (!ParseMpCapable(&spec, &out->reserved)) return false;
    out->spec = std::move(spec);
  } else if (word == "mp_capable" || word == "mp_capable_no_cs") {
    // MPTCP v0 scripts of the older packetdrill MPTCP fork: up to two key variables.
    Take();
    MpCapableSpec spec;
    const bool no_cs = word == "mp_capable_no_cs";
    spec.legacy = no_cs ? MpCapableSpec::Legacy::kMpCapableNoCs : MpCapableSpec::Legacy::kMpCapable;
    spec.version = 0;
    spec.flags = no_cs ? 0x01 : 0x81;
    while (Peek().kind == TokenKind::kWord && spec.keys.size() < 2) {
      KeyRef k;
      if (!ParseKeyRef(&k)) return false;
      spec.keys.push_back(std::move(k));
    }
    spec.nokey = spec.keys.empty();
    out->spec = std::move(spec);
  } else if (word == "mp_join_syn" || word == "mp_join_syn_ack" || word == "mp_join_ack") {
    MpJoinSpec spec;
    if (!ParseMpJoin(&spec, &out->reserved)) return false;
    out->spec = std::move(spec);
  } else if (word == "dss") {
    Take();
    DssSpec spec;
    if (!ParseDss(&spec, &out->reserved)) return false;
    out->spec = std::move(spec);
  } else if (word == "add_address") {
    Take();
    AddAddressSpec spec;
    if (!ParseAddAddress(&spec, &out->reserved)) return false;
    out->spec = std::move(spec);
  } else if (word == "remove_address") {
    Take();
    RemoveAddressSpec spec;
    if (!ExpectWord("address_id") || !Expect('=') || !Expect('[')) return false;
    do {
      if (spec.address_ids.size() >= 36) return Error(Peek().loc, "too many address IDs");
      std::uint8_t id = 0;
      if (!ParseUnsignedAs("address_id", &id)) return false;
      spec.address_ids.push_back(id);
    } while (TakeIf(','));
    if (!Expect(']')) return false;
    while (!AtOptionEnd()) {
      if (!Peek().IsWord("reserved")) return unknown_field();
      if (!reserved_field(0xf)) return false;
    }
    out->spec = std::move(spec);
  } else if (word == "mp_prio") {
    Take();
    MpPrioSpec spec;
    while (!AtOptionEnd()) {
      const Token& t = Peek();
      const SourceLoc loc = t.loc;
      if (t.IsWord("backup")) {
        Take();
        if (spec.backup) return Error(loc, "'backup' given twice in mp_prio");
        std::uint64_t b = 0;
        if (!Expect('=') || !ParseUnsigned(1, "backup", &b)) return false;
        spec.backup = static_cast<std::uint8_t>(b);
      } else if (t.IsWord("address_id")) {
        Take();
        if (spec.address_id) return Error(loc, "'address_id' given twice in mp_prio");
        AddressIdSpec id;
        if (!ParseAddressId(&id)) return false;
        spec.address_id = id;
      } else if (t.IsWord("reserved")) {
        if (!reserved_field(0x7)) return false;
      } else {
        return unknown_field();
      }
    }
    out->spec = spec;
  } else if (word == "mp_fail") {
    Take();
    MpFailSpec spec;
    if (Peek().IsWord("dsn4")) return Error(Peek().loc, "mp_fail carries a 64-bit dsn8, not dsn4");
    if (!ExpectWord("dsn8") || !Expect('=')) return false;
    if (!ParseUnsigned(~std::uint64_t{0}, "dsn8", &spec.dsn)) return false;
    while (!AtOptionEnd()) {
      if (!Peek().IsWord("reserved")) return unknown_field();
      if (!reserved_field(0xfff)) return false;
    }
    out->spec = spec;
  } else if (word == "mp_fastclose") {
    Take();
    MpFastcloseSpec spec;
    while (!AtOptionEnd()) {
      const Token& t = Peek();
      if (t.IsWord("reserved")) {
        if (!reserved_field(0xfff)) return false;
        continue;
      }
      if (spec.key || t.kind != TokenKind::kWord) return unknown_field();
      KeyRef key;
      if (t.IsWord("key") && Peek(1).Is('=')) {  // mpdrill literal: key=0x...
        Take();
        Take();
        std::uint64_t v = 0;
        if (!ParseUnsigned(~std::uint64_t{0}, "key", &v)) return false;
        key.value = v;
      } else {
        if (!ParseKeyRef(&key)) return false;
        if (!key.value && TakeIf('+')) {
          if (!ParseUnsigned(~std::uint64_t{0}, "key addend", &spec.addend)) return false;
        }
      }
      spec.key = std::move(key);
    }
    out->spec = std::move(spec);
  } else if (word == "mp_reset") {
    Take();
    MpResetSpec spec;
    if (!ParseUnsignedAs("mp_reset reason", &spec.reason)) return false;
    while (!AtOptionEnd()) {
      const Token& t = Peek();
      if (t.IsWord("flags")) {
        if (spec.flags) return Error(t.loc, "'flags' given twice in mp_reset");
        Take();
        std::uint8_t mask = 0;
        if (!ParseFlagList("mp_reset", kRstFlagNames, kRstFlagBits, 5, &mask)) return false;
        spec.flags = mask;
      } else if (t.IsWord("reserved")) {
        if (!reserved_field(0xff)) return false;
      } else {
        return unknown_field();
      }
    }
    out->spec = spec;
  } else if (word == "mptcp_raw") {
    Take();
    MptcpRawSpec spec;
    if (!Expect('=') || !ParseHexBytes("mptcp_raw", 40, &spec.hex)) return false;
    if (!AtOptionEnd()) return Expected("',' or '>' after mptcp_raw");
    out->spec = std::move(spec);
  } else {
    return Error(kw.loc, "unknown TCP option '" + word + "'");
  }
  return true;
}

}  // namespace mpdrill::parser::internal
