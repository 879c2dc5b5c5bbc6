#include "engine/model/path_event.h"

#include <algorithm>
#include <utility>

namespace mpdrill::model {

std::string_view PathEventKindName(PathEventKind k) {
  switch (k) {
    case PathEventKind::kMpFailInfiniteMapping:
      return "mp-fail-infinite-mapping";
    case PathEventKind::kSubflowReset:
      return "subflow-reset";
    case PathEventKind::kFallbackWithoutMpFail:
      return "fallback-without-mp-fail";
  }
  return "?";
}

namespace {
std::string PacketText(std::uint64_t packet) { return "packet " + std::to_string(packet); }
}  // namespace

void ChecksumFailures::Defer(ViolationSink* sink, std::size_t from) {
  if (!enabled_ || sink == nullptr) return;
  auto it = sink->begin() + static_cast<std::ptrdiff_t>(from);
  while (it != sink->end()) {
    if (it->rule != codec::RuleId::kD3 || pending_.size() >= kMaxPending) {
      ++it;
      continue;
    }
    const Side receiver = Peer(it->sender);
    pending_.push_back(Pending{std::move(*it), std::nullopt, receiver});
    it = sink->erase(it);
  }
}

void ChecksumFailures::OnMpFail(Side data_sender, std::uint64_t packet, Side receiver) {
  for (Pending& p : pending_) {
    if (p.d3.sender == data_sender && !p.mp_fail_packet) {
      p.mp_fail_packet = packet;
      p.receiver = receiver;
    }
  }
}

void ChecksumFailures::Resolve(Pending& p, PathEventKind kind, std::uint64_t packet,
                               std::string answer) {
  ++event_count_;
  events_.push_back(PathEvent{kind, std::move(p.d3), packet, std::move(answer)});
}

void ChecksumFailures::OnInfiniteMapping(Side data_sender, std::uint64_t packet) {
  std::erase_if(pending_, [&](Pending& p) {
    if (p.d3.sender != data_sender || !p.mp_fail_packet) return false;
    Resolve(p, PathEventKind::kMpFailInfiniteMapping, packet,
            std::string(SideName(p.receiver)) + " MP_FAIL at " + PacketText(*p.mp_fail_packet) +
                ", then " + std::string(SideName(data_sender)) + " infinite mapping at " +
                PacketText(packet) + ": fallback to TCP");
    return true;
  });
}

void ChecksumFailures::OnSubflowReset(Side data_sender, std::uint32_t subflow,
                                      std::uint64_t packet, std::string_view how) {
  std::erase_if(pending_, [&](Pending& p) {
    if (p.d3.sender != data_sender || p.d3.subflow != subflow) return false;
    Resolve(p, PathEventKind::kSubflowReset, packet,
            std::string(SideName(Peer(data_sender))) + " reset subflow " +
                std::to_string(subflow) + " at " + PacketText(packet) + " (" + std::string(how) +
                ")");
    return true;
  });
}

void ChecksumFailures::OnFallback(Side data_sender, std::uint64_t packet) {
  std::erase_if(pending_, [&](Pending& p) {
    if (p.d3.sender != data_sender) return false;
    Resolve(p, PathEventKind::kFallbackWithoutMpFail, packet,
            std::string(SideName(Peer(data_sender))) + " fell back to TCP without MP_FAIL at " +
                PacketText(packet) + " (first data without a DSS mapping)");
    return true;
  });
}

void ChecksumFailures::Refuse(Side data_sender, ViolationSink* sink) {
  std::erase_if(pending_, [&](Pending& p) {
    if (p.d3.sender != data_sender) return false;
    if (sink != nullptr) sink->push_back(std::move(p.d3));
    return true;
  });
}

void ChecksumFailures::Flush(ViolationSink* sink) {
  for (Pending& p : pending_) {
    if (sink != nullptr) sink->push_back(std::move(p.d3));
  }
  pending_.clear();
}

std::vector<PathEvent> ChecksumFailures::TakeEvents() {
  std::vector<PathEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace mpdrill::model
