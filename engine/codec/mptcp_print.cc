// Printers: canonical MPTCP packetdrill script syntax and the stable JSON members.
// The canonical forms are shared with the script parser; keep them byte-exact.
#include "engine/codec/mptcp_print.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <string_view>
#include <variant>

#include "base/overloaded.h"
#include "engine/codec/json_util.h"

namespace mpdrill::codec {
namespace {

void AppendDec(std::uint64_t v, std::string* out) {
  std::array<char, 24> buf;
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out->append(buf.data(), res.ptr);
}

// 0x + exactly `digits` lowercase hex digits.
void AppendHexFixed(std::uint64_t v, int digits, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out->append("0x");
  for (int i = digits - 1; i >= 0; --i) out->push_back(kDigits[(v >> (4 * i)) & 0xf]);
}

// 0x + the shortest hex form.
void AppendHexMin(std::uint64_t v, std::string* out) {
  std::array<char, 20> buf;
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v, 16);
  out->append("0x");
  out->append(buf.data(), res.ptr);
}

void AppendReserved(std::uint64_t reserved, std::string* out) {
  if (reserved == 0) return;
  out->append(" reserved=");
  AppendHexMin(reserved, out);
}

void AppendAddress(const AddAddr& o, std::string* out) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  inet_ntop(o.ipv6 ? AF_INET6 : AF_INET, o.address.data(), buf.data(), buf.size());
  out->append(buf.data());
}

void AppendWholeOptionHex(const Option& o, std::string* out) {
  std::array<std::uint8_t, 256> bytes{};
  auto n = Encode(o, bytes);
  if (n.ok()) AppendHex(std::span<const std::uint8_t>(bytes.data(), *n), out);
}

// ---- Script syntax.

void Script(const MpCapable& o, const SegmentInfo& seg, std::string* out) {
  static constexpr std::string_view kFlagNames[] = {"flag_a", "flag_b", "flag_c", "flag_d",
                                                    "flag_e", "flag_f", "flag_g", "flag_h"};
  out->append("mpcapable v");
  AppendDec(o.version, out);
  out->append(" flags[");
  bool first = true;
  for (int i = 0; i < 8; ++i) {
    if (!(o.flags & (0x80 >> i))) continue;
    if (!first) out->append(", ");
    out->append(kFlagNames[i]);
    first = false;
  }
  out->append("]");
  if (!o.sender_key) {
    out->append(" nokey");
  } else if (!o.receiver_key) {
    // The SYN/ACK's sender is the server; on every other segment the sender is the client.
    const bool syn_ack = seg.syn.value_or(false) && seg.ack.value_or(false);
    out->append(syn_ack ? " key[skey=" : " key[ckey=");
    AppendHexFixed(*o.sender_key, 16, out);
    out->append("]");
  } else {
    out->append(" key[ckey=");
    AppendHexFixed(*o.sender_key, 16, out);
    out->append(", skey=");
    AppendHexFixed(*o.receiver_key, 16, out);
    out->append("]");
  }
  if (o.data_level_length) {
    out->append(" mpcdatalen ");
    AppendDec(*o.data_level_length, out);
  }
  if (o.checksum) {
    out->append(" cksum=");
    AppendHexFixed(*o.checksum, 4, out);
  }
}

void Script(const MpJoin& o, std::string* out) {
  switch (o.form) {
    case JoinForm::kSyn:
    case JoinForm::kSynAck:
      out->append(o.form == JoinForm::kSyn ? "mp_join_syn backup=" : "mp_join_syn_ack backup=");
      out->append(o.backup ? "1" : "0");
      out->append(" address_id=");
      AppendDec(o.address_id, out);
      if (o.form == JoinForm::kSyn) {
        out->append(" token=");
        AppendHexFixed(o.token, 8, out);
      } else {
        out->append(" sender_hmac=");
        AppendHexFixed(o.truncated_hmac, 16, out);
      }
      out->append(" rand=");
      AppendHexFixed(o.nonce, 8, out);
      break;
    case JoinForm::kAck:
      out->append("mp_join_ack sender_hmac=0x");
      AppendHex(o.hmac, out);
      break;
  }
  AppendReserved(o.reserved, out);
}

void Script(const Dss& o, std::string* out) {
  out->append("dss");
  if (o.has_data_ack()) {
    out->append(o.data_ack_64() ? " dack8=" : " dack4=");
    AppendDec(o.data_ack, out);
  }
  if (o.has_mapping()) {
    out->append(o.dsn_64() ? " dsn8=" : " dsn4=");
    AppendDec(o.dsn, out);
    out->append(" ssn=");
    AppendDec(o.ssn, out);
    out->append(" dll=");
    AppendDec(o.data_level_length, out);
  }
  if (o.checksum) {
    out->append(" cksum=");
    AppendHexFixed(*o.checksum, 4, out);
  } else {
    out->append(" nocs");
  }
  if (o.data_fin()) out->append(" fin");
  // m or a without M or A (D11): the syntax has no room, so print the raw flag bits.
  if ((o.dsn_64() && !o.has_mapping()) || (o.data_ack_64() && !o.has_data_ack())) {
    out->append(" flags=");
    AppendHexFixed(o.flags, 2, out);
  }
  AppendReserved(o.reserved, out);
}

void Script(const AddAddr& o, std::string* out) {
  out->append("add_address address_id=");
  AppendDec(o.address_id, out);
  out->append(o.ipv6 ? " addr[inet6_addr(\"" : " addr[inet_addr(\"");
  AppendAddress(o, out);
  out->append("\")]");
  if (o.port) {
    out->append(" port=");
    AppendDec(*o.port, out);
  }
  if (o.echo) out->append(" addr_echo");
  if (o.hmac) {
    out->append(" hmac=");
    AppendHexFixed(*o.hmac, 16, out);
  }
  AppendReserved(o.reserved, out);
}

void Script(const RemoveAddr& o, std::string* out) {
  out->append("remove_address address_id=[");
  for (std::size_t i = 0; i < o.address_ids.size; ++i) {
    if (i) out->append(", ");
    AppendDec(o.address_ids.data[i], out);
  }
  out->append("]");
  AppendReserved(o.reserved, out);
}

void Script(const MpTcpRst& o, std::string* out) {
  static constexpr std::string_view kFlagNames[] = {"flag_u", "flag_v", "flag_w", "flag_t"};
  out->append("mp_reset ");
  AppendDec(o.reason, out);
  if ((o.flags & 0xf) == 0) return;
  out->append(" flags[");
  bool first = true;
  for (int i = 0; i < 4; ++i) {
    if (!(o.flags & (0x8 >> i))) continue;
    if (!first) out->append(", ");
    out->append(kFlagNames[i]);
    first = false;
  }
  out->append("]");
}

// ---- JSON members.

void Key(std::string_view key, std::string* out) {
  if (!out->empty() && out->back() != '{' && out->back() != '[' && out->back() != ',') {
    out->push_back(',');
  }
  out->push_back('"');
  out->append(key);
  out->append("\":");
}
void Num(std::string_view key, std::uint64_t v, std::string* out) {
  Key(key, out);
  AppendDec(v, out);
}
void Bool(std::string_view key, bool v, std::string* out) {
  Key(key, out);
  out->append(v ? "true" : "false");
}
void HexStr(std::string_view key, std::span<const std::uint8_t> bytes, std::string* out) {
  Key(key, out);
  out->push_back('"');
  AppendHex(bytes, out);
  out->push_back('"');
}
void HexStr64(std::string_view key, std::uint64_t v, std::string* out) {
  std::array<std::uint8_t, 8> b{};
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
  HexStr(key, b, out);
}

void Json(const MpCapable& o, std::string* out) {
  Num("version", o.version, out);
  Num("flags", o.flags, out);
  if (o.sender_key) Num("sender_key", *o.sender_key, out);
  if (o.receiver_key) Num("receiver_key", *o.receiver_key, out);
  if (o.data_level_length) Num("data_level_length", *o.data_level_length, out);
  if (o.checksum) Num("checksum", *o.checksum, out);
}

void Json(const MpJoin& o, std::string* out) {
  switch (o.form) {
    case JoinForm::kSyn:
      Bool("backup", o.backup, out);
      Num("address_id", o.address_id, out);
      Num("token", o.token, out);
      Num("nonce", o.nonce, out);
      break;
    case JoinForm::kSynAck:
      Bool("backup", o.backup, out);
      Num("address_id", o.address_id, out);
      Num("nonce", o.nonce, out);
      HexStr64("hmac", o.truncated_hmac, out);
      break;
    case JoinForm::kAck:
      HexStr("hmac", o.hmac, out);
      break;
  }
}

void Json(const Dss& o, std::string* out) {
  Bool("data_fin", o.data_fin(), out);
  if (o.has_data_ack()) {
    Num("data_ack", o.data_ack, out);
    Bool("data_ack_64", o.data_ack_64(), out);
  }
  if (o.has_mapping()) {
    Num("dsn", o.dsn, out);
    Bool("dsn_64", o.dsn_64(), out);
    Num("ssn", o.ssn, out);
    Num("data_level_length", o.data_level_length, out);
  }
  if (o.checksum) Num("checksum", *o.checksum, out);
}

void Json(const AddAddr& o, std::string* out) {
  Bool("echo", o.echo, out);
  Num("address_id", o.address_id, out);
  Key("address", out);
  std::string text;
  AppendAddress(o, &text);
  AppendJsonString(text, out);
  if (o.port) Num("port", *o.port, out);
  if (o.hmac) HexStr64("hmac", *o.hmac, out);
}

void Json(const RemoveAddr& o, std::string* out) {
  Key("address_ids", out);
  out->push_back('[');
  for (std::size_t i = 0; i < o.address_ids.size; ++i) {
    if (i) out->push_back(',');
    AppendDec(o.address_ids.data[i], out);
  }
  out->push_back(']');
}

}  // namespace

std::string ToScript(const Option& option, const SegmentInfo& segment) {
  std::string out;
  std::visit(Overloaded{
                 [&](const MpCapable& o) { Script(o, segment, &out); },
                 [&](const MpJoin& o) { Script(o, &out); },
                 [&](const Dss& o) { Script(o, &out); },
                 [&](const AddAddr& o) { Script(o, &out); },
                 [&](const RemoveAddr& o) { Script(o, &out); },
                 [&](const MpPrio& o) {
                   out.append(o.backup ? "mp_prio backup=1" : "mp_prio backup=0");
                   AppendReserved(o.reserved, &out);
                 },
                 [&](const MpFail& o) {
                   out.append("mp_fail dsn8=");
                   AppendDec(o.dsn, &out);
                   AppendReserved(o.reserved, &out);
                 },
                 [&](const MpFastclose& o) {
                   out.append("mp_fastclose key=");
                   AppendHexFixed(o.receiver_key, 16, &out);
                   AppendReserved(o.reserved, &out);
                 },
                 [&](const MpTcpRst& o) { Script(o, &out); },
                 [&](const Experimental&) {
                   out.append("mptcp_raw=0x");
                   AppendWholeOptionHex(option, &out);
                 },
                 [&](const UnknownSubtype&) {
                   out.append("mptcp_raw=0x");
                   AppendWholeOptionHex(option, &out);
                 },
             },
             option);
  return out;
}

void AppendJsonFields(const Option& option, std::string* out) {
  // Built apart so that the first member gets no leading comma whatever `out` ends with.
  std::string fields;
  std::visit(Overloaded{
                 [&](const MpCapable& o) { Json(o, &fields); },
                 [&](const MpJoin& o) { Json(o, &fields); },
                 [&](const Dss& o) { Json(o, &fields); },
                 [&](const AddAddr& o) { Json(o, &fields); },
                 [&](const RemoveAddr& o) { Json(o, &fields); },
                 [&](const MpPrio& o) { Bool("backup", o.backup, &fields); },
                 [&](const MpFail& o) { Num("dsn", o.dsn, &fields); },
                 [&](const MpFastclose& o) { Num("receiver_key", o.receiver_key, &fields); },
                 [&](const MpTcpRst& o) {
                   Num("flags", o.flags, &fields);
                   Bool("transient", o.transient(), &fields);
                   Num("reason", o.reason, &fields);
                 },
                 [&](const Experimental&) {
                   Key("raw", &fields);
                   fields.push_back('"');
                   AppendWholeOptionHex(option, &fields);
                   fields.push_back('"');
                 },
                 [&](const UnknownSubtype&) {
                   Key("raw", &fields);
                   fields.push_back('"');
                   AppendWholeOptionHex(option, &fields);
                   fields.push_back('"');
                 },
             },
             option);
  out->append(fields);
}

}  // namespace mpdrill::codec
