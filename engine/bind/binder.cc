#include "engine/bind/binder.h"

#include <utility>

namespace mpdrill::bind {

class BinderState {
 public:
  explicit BinderState(const BinderOptions& options) : options_(options) {}
  BinderOptions options_;
};

std::string FieldMismatch::ToString() const {
  return field + ": expected: " + expected + " actual: " + actual;
}

Binder::Binder(std::uint64_t seed) : Binder(BinderOptions{.seed = seed}) {}
Binder::Binder(const BinderOptions& options) : state_(std::make_unique<BinderState>(options)) {}
Binder::~Binder() = default;
Binder::Binder(Binder&&) noexcept = default;
Binder& Binder::operator=(Binder&&) noexcept = default;

Result<ResolvedAddress, BindError> Binder::ResolveEndpoint(const parser::Endpoint&,
                                                           parser::Direction, std::uint8_t) {
  return Unexpected{BindError{BindErrorCode::kUnsupported, "not implemented yet", {}}};
}

Result<std::vector<std::uint8_t>, BindError> Binder::BuildInbound(const parser::MptcpOption& o,
                                                                  const PacketView&) {
  return Unexpected{BindError{BindErrorCode::kUnsupported, "not implemented yet", o.loc}};
}

Result<std::vector<FieldMismatch>, BindError> Binder::MatchOutbound(
    std::span<const parser::MptcpOption>, std::span<const codec::Option>, const PacketView& p,
    bool) {
  return Unexpected{BindError{BindErrorCode::kUnsupported, "not implemented yet", p.loc}};
}

void Binder::Observe(std::span<const codec::Option>, const PacketView&) {}

bool Binder::SameMapping(std::span<const codec::Option>, std::span<const codec::Option>) const {
  return true;
}

std::optional<std::uint64_t> Binder::KeyValue(std::string_view) const { return std::nullopt; }

}  // namespace mpdrill::bind
