// ADD_ADDR, RFC 8684 §3.4.1: 8 v4, 10 v4+port, 16 v4+HMAC, 18 v4+port+HMAC, 20 v6, 22 v6+port,
// 28 v6+HMAC, 30 v6+port+HMAC. The length alone tells family, port and HMAC apart.
#include "engine/codec/codec_internal.h"

namespace mpdrill::codec::internal {
namespace {

constexpr std::size_t kAddAddrBase = 4;  // kind, length, subtype|flags, address ID

struct AddAddrShape {
  bool ipv6;
  bool port;
  bool hmac;
};

bool ShapeOf(std::size_t length, AddAddrShape* shape) {
  switch (length) {
    case 8: *shape = {false, false, false}; return true;
    case 10: *shape = {false, true, false}; return true;
    case 16: *shape = {false, false, true}; return true;
    case 18: *shape = {false, true, true}; return true;
    case 20: *shape = {true, false, false}; return true;
    case 22: *shape = {true, true, false}; return true;
    case 28: *shape = {true, false, true}; return true;
    case 30: *shape = {true, true, true}; return true;
    default: return false;
  }
}

}  // namespace

DecodeResult DecodeAddAddr(Bytes option, std::uint8_t nibble, const SegmentInfo&) {
  AddAddrShape shape{};
  if (!ShapeOf(option.size(), &shape)) {
    return Fail(DecodeErrorCode::kAddAddrLength, RuleId::kA1, kOffLength,
                "add_addr: length is not 8, 10, 16, 18, 20, 22, 28 or 30");
  }
  return Build<AddAddr>([&](AddAddr& o, ViolationList& violations) {
    ByteReader r = Body(option);
    o.echo = nibble & 0x1;
    o.reserved = (nibble >> 1) & 0x7;
    o.ipv6 = shape.ipv6;
    r.ReadU8(&o.address_id);
    Bytes address;
    r.ReadBytes(shape.ipv6 ? 16 : 4, &address);
    std::copy(address.begin(), address.end(), o.address.begin());
    if (shape.port) o.port.emplace(), r.ReadU16(&*o.port);
    const std::size_t hmac_offset = r.offset();
    if (shape.hmac) o.hmac.emplace(), r.ReadU64(&*o.hmac);

    // A1/A5: an echo carries no HMAC; an announcement carries one.
    if (o.echo && o.hmac) {
      violations.Add({RuleId::kA5, static_cast<std::uint8_t>(hmac_offset),
                      "add_addr: echo carries an HMAC"});
    } else if (!o.echo && !o.hmac) {
      violations.Add({RuleId::kA1, kOffLength, "add_addr: announcement without an HMAC"});
    }
    // Reserved bits: no own rule in the catalogue; reported under the format rule A1.
    if (o.reserved != 0) {
      violations.Add({RuleId::kA1, kOffSubtype, "add_addr: reserved bits are set"});
    }
  });
}

std::size_t LengthOf(const AddAddr& o) {
  return kAddAddrBase + (o.ipv6 ? 16 : 4) + (o.port ? 2 : 0) + (o.hmac ? 8 : 0);
}

EncodeStatus EncodeBody(const AddAddr& o, ByteWriter& w) {
  if (o.reserved > 0x7) return Inconsistent("add_addr: reserved does not fit 3 bits");
  const auto nibble = static_cast<std::uint8_t>((o.reserved << 1) | (o.echo ? 1 : 0));
  w.WriteU8(SubtypeByte(Subtype::kAddAddr, nibble));
  w.WriteU8(o.address_id);
  w.WriteBytes(Bytes(o.address.data(), o.ipv6 ? 16 : 4));
  if (o.port) w.WriteU16(*o.port);
  if (o.hmac) w.WriteU64(*o.hmac);
  return Ok{};
}

}  // namespace mpdrill::codec::internal
