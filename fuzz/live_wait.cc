#include "fuzz/live_wait.h"

#include <charconv>
#include <string_view>

#include "engine/capture/dissect.h"
#include "engine/codec/mptcp_option.h"
#include "engine/codec/tcp_options.h"

namespace mpdrill::fuzz {

bool MayBeAnsweredLater(std::uint16_t tcp_flags, std::span<const std::uint8_t> options) {
  if (tcp_flags & (capture::kTcpFin | capture::kTcpRst)) return true;
  codec::TcpOptionWalker walker(options);
  while (const auto o = walker.Next()) {
    if (o->kind != codec::kMptcpOptionKind) continue;
    if (o->bytes.size() < 3) return true;
    switch (static_cast<codec::Subtype>(o->bytes[2] >> 4)) {
      case codec::Subtype::kMpCapable:
      case codec::Subtype::kMpJoin:
        continue;
      case codec::Subtype::kDss:
        // Flags are the fourth byte; a DSS too short to have them is malformed.
        if (o->bytes.size() < 4 || (o->bytes[3] & codec::kDssFlagDataFin)) return true;
        continue;
      case codec::Subtype::kAddAddr:
      case codec::Subtype::kRemoveAddr:
      case codec::Subtype::kMpPrio:
      case codec::Subtype::kMpFail:
      case codec::Subtype::kMpFastclose:
      case codec::Subtype::kMpTcpRst:
      case codec::Subtype::kExperimental:
        return true;
    }
    return true;  // a subtype RFC 8684 does not define
  }
  return walker.stop().has_value();  // a malformed area: whatever the kernel made of it
}

std::chrono::microseconds LiveWait::AfterPacket(std::uint16_t tcp_flags,
                                                std::span<const std::uint8_t> options) const {
  if (classic()) return classic_quiet;
  return MayBeAnsweredLater(tcp_flags, options) ? settle : std::chrono::microseconds(0);
}

std::chrono::microseconds LiveWait::AfterSyscall() const {
  return classic() ? classic_quiet : settle;
}

Result<LiveWait, std::string> LiveWaitFromEnvironment(const char* quiet_us) {
  LiveWait w;
  if (quiet_us == nullptr) return w;
  const std::string_view text(quiet_us);
  std::uint32_t us = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), us);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || us > 1000000) {
    return MakeUnexpected("MPDRILL_LIVE_FUZZ_QUIET_US: expected microseconds 0..1000000, got '" +
                          std::string(text) + "'");
  }
  w.classic_quiet = std::chrono::microseconds(us);
  return w;
}

}  // namespace mpdrill::fuzz
