#include "fuzz/codec_mutator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "base/overloaded.h"
#include "engine/codec/mptcp_print.h"
#include "engine/codec/tcp_options.h"

namespace mpdrill::fuzz {
namespace {

using codec::Option;
using codec::Subtype;

constexpr std::size_t kMaxArea = codec::kMaxTcpOptionSpace;

// ---------------------------------------------------------------------------------------------
// Contract checks.

std::string Hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : bytes) s += kDigits[b >> 4], s += kDigits[b & 0xf];
  return s;
}

[[noreturn]] void Broken(const char* what, const std::string& expected, const std::string& actual,
                         std::span<const std::uint8_t> input) {
  std::fprintf(stderr, "codec contract broken: %s\n  input: %s\n  expected: %s actual: %s\n", what,
               Hex(input).c_str(), expected.c_str(), actual.c_str());
  std::abort();
}

bool SameViolations(const codec::ViolationList& a, const codec::ViolationList& b) {
  return std::ranges::equal(a.view(), b.view());
}

// ---------------------------------------------------------------------------------------------
// Randomness: one engine per call, seeded by libFuzzer (injected, never global).

class Pick {
 public:
  explicit Pick(unsigned seed) : rng_(seed) {}
  std::uint32_t Below(std::uint32_t n) { return n == 0 ? 0 : static_cast<std::uint32_t>(rng_() % n); }
  bool OneIn(std::uint32_t n) { return Below(n) == 0; }
  std::uint8_t Byte() { return static_cast<std::uint8_t>(rng_()); }
  std::uint64_t U64() { return (std::uint64_t{rng_()} << 32) ^ rng_(); }
  // Boundary values first: they find width and wrap-around bugs.
  std::uint64_t Interesting64() {
    static constexpr std::uint64_t kValues[] = {0,           1,          0x7f,        0xff,
                                                0xffff,      0x7fffffff, 0xffffffff,  0x100000000,
                                                ~0ull >> 1,  ~0ull,      0x0123456789abcdef};
    return OneIn(2) ? kValues[Below(std::size(kValues))] : U64();
  }
  std::uint32_t Interesting32() { return static_cast<std::uint32_t>(Interesting64()); }
  std::uint16_t Interesting16() {
    static constexpr std::uint16_t kValues[] = {0, 1, 2, 0x7fff, 0xffff, 1000, 1460};
    return OneIn(2) ? kValues[Below(std::size(kValues))] : static_cast<std::uint16_t>(rng_());
  }
  template <std::size_t N>
  void Fill(std::array<std::uint8_t, N>* a, std::size_t n = N) {
    for (std::size_t i = 0; i < n && i < N; ++i) (*a)[i] = Byte();
  }

 private:
  std::mt19937 rng_;
};

// Segment roles the options are sent on, as harness byte 0 (see codec_mutator.h).
std::uint8_t RandomSegmentFlags(Pick& p) {
  static constexpr std::uint8_t kKnown = kSegSynKnown | kSegAckKnown | kSegRstKnown;
  static constexpr std::uint8_t kRoles[] = {
      kKnown | kSegSyn | kSegPayloadKnown,                              // SYN
      kKnown | kSegSyn | kSegAck | kSegPayloadKnown,                    // SYN/ACK
      kKnown | kSegAck | kSegPayloadKnown,                              // pure ACK
      kKnown | kSegAck | kSegPayloadKnown | kSegPayloadNonZero,         // ACK with data
      kKnown | kSegAck | kSegRst | kSegPayloadKnown,                    // RST
      0,                                                                // nothing known
  };
  return p.OneIn(4) ? p.Byte() : kRoles[p.Below(std::size(kRoles))];
}

// ---------------------------------------------------------------------------------------------
// Fresh options: every subtype in a random legal form with random fields.

template <std::size_t N>
void RandomInline(Pick& p, codec::InlineBytes<N>* b, std::size_t max) {
  b->size = static_cast<std::uint8_t>(p.Below(static_cast<std::uint32_t>(max + 1)));
  for (std::size_t i = 0; i < b->size; ++i) b->data[i] = p.Byte();
}

void SetMpCapableForm(Pick& p, codec::MpCapable* o, std::uint32_t form) {  // 0..4
  auto keep64 = [&p](std::optional<std::uint64_t>& v, bool on) {
    if (!on) v.reset();
    else if (!v) v = p.Interesting64();
  };
  auto keep16 = [&p](std::optional<std::uint16_t>& v, bool on) {
    if (!on) v.reset();
    else if (!v) v = p.Interesting16();
  };
  keep64(o->sender_key, form >= 1);
  keep64(o->receiver_key, form >= 2);
  keep16(o->data_level_length, form >= 3);
  keep16(o->checksum, form >= 4);
}

Option FreshOption(Subtype subtype, Pick& p) {
  switch (subtype) {
    case Subtype::kMpCapable: {
      codec::MpCapable o;
      o.version = p.OneIn(8) ? static_cast<std::uint8_t>(p.Below(16)) : 1;
      o.flags = p.OneIn(4) ? p.Byte() : (p.OneIn(2) ? codec::kMpcFlagH : codec::kMpcFlagA | codec::kMpcFlagH);
      SetMpCapableForm(p, &o, p.Below(5));
      return o;
    }
    case Subtype::kMpJoin: {
      codec::MpJoin o;
      o.form = static_cast<codec::JoinForm>(p.Below(3));
      if (o.form != codec::JoinForm::kAck) {
        o.backup = p.OneIn(2);
        o.address_id = p.Byte();
        o.reserved = p.OneIn(8) ? static_cast<std::uint16_t>(p.Below(8)) : 0;
      } else {
        o.reserved = p.OneIn(8) ? static_cast<std::uint16_t>(p.Below(0x1000)) : 0;
      }
      if (o.form == codec::JoinForm::kSyn) o.token = p.Interesting32();
      if (o.form != codec::JoinForm::kAck) o.nonce = p.Interesting32();
      if (o.form == codec::JoinForm::kSynAck) o.truncated_hmac = p.U64();
      if (o.form == codec::JoinForm::kAck) p.Fill(&o.hmac);
      return o;
    }
    case Subtype::kDss: {
      codec::Dss o;
      o.flags = static_cast<std::uint8_t>(p.Below(32));
      o.reserved = p.OneIn(8) ? static_cast<std::uint8_t>(p.Below(128)) : 0;
      const std::uint64_t ack = p.Interesting64();
      const std::uint64_t dsn = p.Interesting64();
      o.data_ack = o.has_data_ack() ? (o.data_ack_64() ? ack : ack & 0xffffffff) : 0;
      if (o.has_mapping()) {
        o.dsn = o.dsn_64() ? dsn : dsn & 0xffffffff;
        o.ssn = p.Interesting32();
        o.data_level_length = p.Interesting16();
        if (p.OneIn(2)) o.checksum = p.Interesting16();
      }
      return o;
    }
    case Subtype::kAddAddr: {
      codec::AddAddr o;
      o.echo = p.OneIn(2);
      o.reserved = p.OneIn(8) ? static_cast<std::uint8_t>(p.Below(8)) : 0;
      o.address_id = p.Byte();
      o.ipv6 = p.OneIn(2);
      p.Fill(&o.address, o.ipv6 ? 16 : 4);
      if (p.OneIn(2)) o.port = p.Interesting16();
      if (p.OneIn(2)) o.hmac = p.U64();
      return o;
    }
    case Subtype::kRemoveAddr: {
      codec::RemoveAddr o;
      o.reserved = p.OneIn(8) ? static_cast<std::uint8_t>(p.Below(16)) : 0;
      RandomInline(p, &o.address_ids, 8);
      return o;
    }
    case Subtype::kMpPrio:
      return codec::MpPrio{p.OneIn(2), static_cast<std::uint8_t>(p.OneIn(8) ? p.Below(8) : 0)};
    case Subtype::kMpFail:
      return codec::MpFail{static_cast<std::uint16_t>(p.OneIn(8) ? p.Below(0x1000) : 0),
                           p.Interesting64()};
    case Subtype::kMpFastclose:
      return codec::MpFastclose{static_cast<std::uint16_t>(p.OneIn(8) ? p.Below(0x1000) : 0),
                                p.U64()};
    case Subtype::kMpTcpRst:
      return codec::MpTcpRst{static_cast<std::uint8_t>(p.Below(16)), p.Byte()};
    case Subtype::kExperimental: {
      codec::Experimental o;
      o.nibble = static_cast<std::uint8_t>(p.Below(16));
      RandomInline(p, &o.body, 12);
      return o;
    }
  }
  std::abort();  // not reached: the switch is exhaustive
}

Subtype RandomSubtype(Pick& p) {
  static constexpr Subtype kAll[] = {
      Subtype::kMpCapable, Subtype::kMpJoin,  Subtype::kDss,         Subtype::kAddAddr,
      Subtype::kRemoveAddr, Subtype::kMpPrio, Subtype::kMpFail,      Subtype::kMpFastclose,
      Subtype::kMpTcpRst,  Subtype::kExperimental};
  return kAll[p.Below(std::size(kAll))];
}

// ---------------------------------------------------------------------------------------------
// Field mutations of a decoded option. Each call changes one thing.

void MutateFields(Option* option, Pick& p) {
  std::visit(
      Overloaded{
          [&p](codec::MpCapable& o) {
            switch (p.Below(8)) {
              case 0: o.version = static_cast<std::uint8_t>(p.Below(16)); break;
              case 1: o.flags ^= static_cast<std::uint8_t>(1u << p.Below(8)); break;
              case 2: o.flags = p.Byte(); break;
              case 3: SetMpCapableForm(p, &o, p.Below(5)); break;  // length 4/12/20/22/24
              case 4: if (o.sender_key) o.sender_key = p.Interesting64(); break;
              case 5: if (o.receiver_key) o.receiver_key = p.Interesting64(); break;
              case 6: if (o.data_level_length) o.data_level_length = p.Interesting16(); break;
              default: SetMpCapableForm(p, &o, o.checksum ? 3 : 4); break;  // checksum on/off
            }
          },
          [&p](codec::MpJoin& o) {
            switch (p.Below(6)) {
              case 0: o.form = static_cast<codec::JoinForm>(p.Below(3)); break;
              case 1: o.backup = !o.backup; break;
              case 2: o.address_id = p.Byte(); break;
              case 3:
                o.reserved = static_cast<std::uint16_t>(
                    p.Below(o.form == codec::JoinForm::kAck ? 0x1000 : 8));
                break;
              case 4: o.token = p.Interesting32(), o.nonce = p.Interesting32(); break;
              default: o.truncated_hmac = p.U64(), p.Fill(&o.hmac); break;
            }
            if (o.form == codec::JoinForm::kAck) o.backup = false, o.address_id = 0;
            if (o.form != codec::JoinForm::kAck) o.reserved &= 0x7;
          },
          [&p](codec::Dss& o) {
            switch (p.Below(8)) {
              case 0: o.flags ^= static_cast<std::uint8_t>(1u << p.Below(5)); break;  // A a M m F
              case 1: o.flags = static_cast<std::uint8_t>(p.Below(32)); break;
              case 2: o.reserved ^= static_cast<std::uint8_t>(1u << p.Below(7)); break;
              case 3: o.data_ack = p.Interesting64(); break;
              case 4: o.dsn = p.Interesting64(); break;
              case 5: o.ssn = p.Interesting32(); break;
              case 6: o.data_level_length = p.OneIn(2) ? static_cast<std::uint16_t>(p.Below(2)) : p.Interesting16(); break;
              default:
                if (o.checksum) o.checksum.reset();
                else o.checksum = p.Interesting16();
                break;
            }
            // Keep the fields the new flags carry within their width, drop what they don't.
            if (!o.has_data_ack()) o.data_ack = 0;
            else if (!o.data_ack_64()) o.data_ack &= 0xffffffff;
            if (!o.has_mapping()) o.dsn = 0, o.ssn = 0, o.data_level_length = 0, o.checksum.reset();
            else if (!o.dsn_64()) o.dsn &= 0xffffffff;
          },
          [&p](codec::AddAddr& o) {
            switch (p.Below(7)) {
              case 0: o.echo = !o.echo; break;
              case 1: o.reserved = static_cast<std::uint8_t>(p.Below(8)); break;
              case 2: o.address_id = p.Byte(); break;
              case 3: o.ipv6 = !o.ipv6; break;  // length 8/10/16/18 <-> 20/22/28/30
              case 4: p.Fill(&o.address, o.ipv6 ? 16 : 4); break;
              case 5:
                if (o.port && p.OneIn(2)) o.port.reset();
                else o.port = p.Interesting16();
                break;
              default:
                if (o.hmac && p.OneIn(2)) o.hmac.reset();
                else o.hmac = p.U64();
                break;
            }
            if (!o.ipv6) std::fill(o.address.begin() + 4, o.address.end(), 0);
          },
          [&p](codec::RemoveAddr& o) {
            if (p.OneIn(3)) o.reserved = static_cast<std::uint8_t>(p.Below(16));
            else if (p.OneIn(2) && o.address_ids.size > 0) --o.address_ids.size;
            else if (o.address_ids.size < 20) o.address_ids.data[o.address_ids.size++] = p.Byte();
          },
          [&p](codec::MpPrio& o) {
            if (p.OneIn(2)) o.backup = !o.backup;
            else o.reserved = static_cast<std::uint8_t>(p.Below(8));
          },
          [&p](codec::MpFail& o) {
            if (p.OneIn(2)) o.dsn = p.Interesting64();
            else o.reserved = static_cast<std::uint16_t>(p.Below(0x1000));
          },
          [&p](codec::MpFastclose& o) {
            if (p.OneIn(2)) o.receiver_key = p.Interesting64();
            else o.reserved = static_cast<std::uint16_t>(p.Below(0x1000));
          },
          [&p](codec::MpTcpRst& o) {
            if (p.OneIn(2)) o.flags = static_cast<std::uint8_t>(p.Below(16));
            else o.reason = p.Byte();
          },
          [&p](codec::Experimental& o) {
            if (p.OneIn(2)) o.nibble = static_cast<std::uint8_t>(p.Below(16));
            else RandomInline(p, &o.body, 16);
          },
          [&p](codec::UnknownSubtype& o) {
            if (p.OneIn(2)) o.nibble = static_cast<std::uint8_t>(p.Below(16));
            else RandomInline(p, &o.body, 16);
          },
      },
      *option);
}

// Encodes `option`, sometimes with a crafted length byte or one byte too few / too many.
// Returns the bytes (empty when the fields are inconsistent).
std::vector<std::uint8_t> EncodeMaybeMalformed(const Option& option, Pick& p) {
  std::array<std::uint8_t, 64> buf{};
  codec::EncodeParams params;
  const std::size_t length = codec::EncodedLength(option);
  if (p.OneIn(10)) {
    static constexpr int kDeltas[] = {-2, -1, 1, 2};
    const int delta = kDeltas[p.Below(4)];
    params.length_override = p.OneIn(3) ? static_cast<std::uint8_t>(p.Below(48))
                                        : static_cast<std::uint8_t>(static_cast<int>(length) + delta);
  }
  auto n = codec::Encode(option, buf, params);
  if (!n) return {};
  std::vector<std::uint8_t> out(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  if (p.OneIn(16)) {
    if (p.OneIn(2) && out.size() > 1) out.pop_back();
    else out.push_back(p.Byte());
  }
  return out;
}

// A new option from `bytes` (one MPTCP option), of subtype `target` most of the time.
std::vector<std::uint8_t> MutateOneOption(std::span<const std::uint8_t> bytes,
                                          std::optional<Subtype> target, Pick& p) {
  auto decoded = codec::Decode(bytes);
  Option option;
  if (decoded) {
    option = decoded->option;
    const bool off_target = target && codec::SubtypeOf(option) != static_cast<std::uint8_t>(*target);
    if (off_target && !p.OneIn(4)) {
      option = FreshOption(*target, p);
    } else if (p.OneIn(8)) {
      option = FreshOption(RandomSubtype(p), p);  // another subtype, now and then
    } else {
      for (std::uint32_t i = 0, n = 1 + p.Below(3); i < n; ++i) MutateFields(&option, p);
    }
  } else {
    option = FreshOption(target ? *target : RandomSubtype(p), p);
  }
  return EncodeMaybeMalformed(option, p);
}

std::size_t Store(std::uint8_t* data, std::size_t max_size, std::uint8_t segment,
                  std::span<const std::uint8_t> body, std::size_t old_size) {
  if (body.empty() || 1 + body.size() > max_size) return old_size;
  data[0] = segment;
  std::memcpy(data + 1, body.data(), body.size());
  return 1 + body.size();
}

// Other TCP options that share the area with MPTCP (RFC 9293, 7323, 2018).
std::vector<std::uint8_t> RandomTcpOption(Pick& p) {
  switch (p.Below(7)) {
    case 0: return {1};                                    // NOP
    case 1: return {0};                                    // EOL
    case 2: return {2, 4, 0x05, 0xb4};                     // MSS 1460
    case 3: return {4, 2};                                 // SACK permitted
    case 4: return {3, 3, static_cast<std::uint8_t>(p.Below(15))};  // window scale
    case 5: {                                              // timestamps
      std::vector<std::uint8_t> o = {8, 10};
      for (int i = 0; i < 8; ++i) o.push_back(p.Byte());
      return o;
    }
    default: {
      auto o = EncodeMaybeMalformed(FreshOption(RandomSubtype(p), p), p);
      return o.empty() ? std::vector<std::uint8_t>{1} : o;
    }
  }
}

}  // namespace

codec::SegmentInfo SegmentFromFlags(std::uint8_t flags) {
  codec::SegmentInfo s;
  if (flags & kSegSynKnown) s.syn = (flags & kSegSyn) != 0;
  if (flags & kSegAckKnown) s.ack = (flags & kSegAck) != 0;
  if (flags & kSegRstKnown) s.rst = (flags & kSegRst) != 0;
  if (flags & kSegPayloadKnown) s.payload_length = (flags & kSegPayloadNonZero) ? kSegPayloadLength : 0;
  return s;
}

std::uint8_t FlagsFromSegment(const codec::SegmentInfo& s) {
  std::uint8_t f = 0;
  if (s.syn) f |= kSegSynKnown | (*s.syn ? kSegSyn : 0);
  if (s.ack) f |= kSegAckKnown | (*s.ack ? kSegAck : 0);
  if (s.rst) f |= kSegRstKnown | (*s.rst ? kSegRst : 0);
  if (s.payload_length) f |= kSegPayloadKnown | (*s.payload_length > 0 ? kSegPayloadNonZero : 0);
  return f;
}

std::optional<codec::Option> CheckOption(std::span<const std::uint8_t> bytes,
                                         const codec::SegmentInfo& segment) {
  auto decoded = codec::Decode(bytes, segment);
  if (!decoded) {
    const codec::DecodeError& e = decoded.error();
    if (e.offset > bytes.size()) {
      Broken("decode error offset past the option", "<= " + std::to_string(bytes.size()),
             std::to_string(e.offset), bytes);
    }
    if (e.reason.empty()) Broken("decode error without a reason", "a sentence", "\"\"", bytes);
    return std::nullopt;
  }
  const Option& option = decoded->option;
  if (codec::SubtypeOf(option) != (bytes[2] >> 4)) {
    Broken("SubtypeOf", std::to_string(bytes[2] >> 4), std::to_string(codec::SubtypeOf(option)),
           bytes);
  }
  for (const codec::Violation& v : decoded->violations.view()) {
    if (v.offset >= bytes.size()) {
      Broken("violation offset outside the option", "< " + std::to_string(bytes.size()),
             std::to_string(v.offset) + " (" + std::string(v.reason) + ")", bytes);
    }
    if (v.reason.empty()) Broken("violation without a reason", "a sentence", "\"\"", bytes);
  }
  if (codec::EncodedLength(option) != bytes.size()) {
    Broken("EncodedLength of a decoded option", std::to_string(bytes.size()),
           std::to_string(codec::EncodedLength(option)), bytes);
  }
  std::array<std::uint8_t, 64> out{};
  auto n = codec::Encode(option, out);
  if (!n) Broken("Encode of a decoded option", "ok", std::string(n.error().reason), bytes);
  const std::span<const std::uint8_t> encoded(out.data(), *n);
  if (!std::ranges::equal(encoded, bytes)) {
    Broken("Encode(Decode(b)) == b", Hex(bytes), Hex(encoded), bytes);
  }
  auto again = codec::Decode(encoded, segment);
  if (!again) Broken("Decode(Encode(o))", "ok", std::string(again.error().reason), bytes);
  if (!(again->option == option)) Broken("Decode(Encode(o)) == o", "equal", "different", bytes);
  if (!SameViolations(again->violations, decoded->violations)) {
    Broken("violations of Decode(Encode(o))", "same", "different", bytes);
  }
  const std::string script = codec::ToScript(option, segment);
  if (script.empty()) Broken("ToScript", "text", "\"\"", bytes);
  std::string json;
  codec::AppendJsonFields(option, &json);
  if (json.empty()) Broken("AppendJsonFields", "members", "\"\"", bytes);
  return option;
}

std::size_t MutateOptionInput(std::uint8_t* data, std::size_t size, std::size_t max_size,
                              unsigned seed, codec::Subtype target, ByteMutator fallback) {
  if (max_size < 2) return size;
  Pick p(seed);
  if (fallback != nullptr && size > 0 && p.OneIn(8)) return fallback(data, size, max_size);
  std::uint8_t segment = size > 0 ? data[0] : RandomSegmentFlags(p);
  if (p.OneIn(8)) {
    segment = p.OneIn(2) ? RandomSegmentFlags(p) : segment ^ static_cast<std::uint8_t>(1u << p.Below(8));
    if (size > 1) {
      data[0] = segment;
      return size;
    }
  }
  const std::span<const std::uint8_t> option(data + (size > 0 ? 1 : 0), size > 0 ? size - 1 : 0);
  const bool decodes = codec::Decode(option).ok();
  if (!decodes && fallback != nullptr && size > 1 && p.OneIn(2)) {
    return fallback(data, size, max_size);
  }
  const std::vector<std::uint8_t> body = MutateOneOption(option, target, p);
  return Store(data, max_size, segment, body, size);
}

std::size_t MutateOptionArea(std::uint8_t* data, std::size_t size, std::size_t max_size,
                             unsigned seed, ByteMutator fallback) {
  if (max_size < 2) return size;
  Pick p(seed);
  if (fallback != nullptr && size > 0 && p.OneIn(8)) return fallback(data, size, max_size);
  std::uint8_t segment = size > 0 ? data[0] : RandomSegmentFlags(p);
  if (size > 1 && p.OneIn(8)) {
    data[0] = RandomSegmentFlags(p);
    return size;
  }
  // Split the area into options; what the walker could not delimit stays as a raw tail.
  const std::span<const std::uint8_t> area(data + (size > 0 ? 1 : 0),
                                           std::min(size > 0 ? size - 1 : 0, kMaxArea));
  std::vector<std::vector<std::uint8_t>> options;
  codec::TcpOptionWalker walker(area);
  std::size_t next = 0;
  for (int i = 0; i <= static_cast<int>(kMaxArea); ++i) {
    auto view = walker.Next();
    if (!view) break;
    options.emplace_back(view->bytes.begin(), view->bytes.end());
    next = view->offset + view->bytes.size();
  }
  std::vector<std::uint8_t> tail(area.begin() + static_cast<std::ptrdiff_t>(next), area.end());

  std::vector<std::size_t> mptcp;
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (options[i].size() >= 2 && options[i][0] == codec::kMptcpOptionKind) mptcp.push_back(i);
  }
  const std::uint32_t action = p.Below(8);
  if (action == 0 || (mptcp.empty() && action >= 3)) {
    options.insert(options.begin() + p.Below(static_cast<std::uint32_t>(options.size() + 1)),
                   RandomTcpOption(p));
  } else if (action <= 2 && !options.empty()) {
    options.erase(options.begin() + p.Below(static_cast<std::uint32_t>(options.size())));
  } else if (!mptcp.empty()) {
    auto& chosen = options[mptcp[p.Below(static_cast<std::uint32_t>(mptcp.size()))]];
    auto mutated = MutateOneOption(chosen, std::nullopt, p);
    if (!mutated.empty()) chosen = std::move(mutated);
  }
  if (p.OneIn(4)) tail.clear();
  std::vector<std::uint8_t> out;
  for (const auto& o : options) out.insert(out.end(), o.begin(), o.end());
  out.insert(out.end(), tail.begin(), tail.end());
  if (out.size() > kMaxArea) out.resize(kMaxArea);  // a cut option is a malformed area: fine
  if (out.empty()) out.push_back(1);
  return Store(data, max_size, segment, out, size);
}

}  // namespace mpdrill::fuzz
