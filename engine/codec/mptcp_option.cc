#include "engine/codec/mptcp_option.h"

#include <variant>

#include "base/overloaded.h"

namespace mpdrill::codec {
namespace {
constexpr std::uint8_t Nibble(Subtype s) { return static_cast<std::uint8_t>(s); }
}  // namespace

std::uint8_t SubtypeOf(const Option& option) {
  return std::visit(
      Overloaded{
          [](const MpCapable&) { return Nibble(Subtype::kMpCapable); },
          [](const MpJoin&) { return Nibble(Subtype::kMpJoin); },
          [](const Dss&) { return Nibble(Subtype::kDss); },
          [](const AddAddr&) { return Nibble(Subtype::kAddAddr); },
          [](const RemoveAddr&) { return Nibble(Subtype::kRemoveAddr); },
          [](const MpPrio&) { return Nibble(Subtype::kMpPrio); },
          [](const MpFail&) { return Nibble(Subtype::kMpFail); },
          [](const MpFastclose&) { return Nibble(Subtype::kMpFastclose); },
          [](const MpTcpRst&) { return Nibble(Subtype::kMpTcpRst); },
          [](const Experimental&) { return Nibble(Subtype::kExperimental); },
          [](const UnknownSubtype& o) { return static_cast<std::uint8_t>(o.subtype & 0x0f); },
      },
      option);
}

const char* SubtypeName(const Option& option) {
  return std::visit(Overloaded{
                        [](const MpCapable&) { return "mp_capable"; },
                        [](const MpJoin&) { return "mp_join"; },
                        [](const Dss&) { return "dss"; },
                        [](const AddAddr&) { return "add_addr"; },
                        [](const RemoveAddr&) { return "remove_addr"; },
                        [](const MpPrio&) { return "mp_prio"; },
                        [](const MpFail&) { return "mp_fail"; },
                        [](const MpFastclose&) { return "mp_fastclose"; },
                        [](const MpTcpRst&) { return "mp_tcprst"; },
                        [](const Experimental&) { return "experimental"; },
                        [](const UnknownSubtype&) { return "unknown"; },
                    },
                    option);
}

}  // namespace mpdrill::codec
