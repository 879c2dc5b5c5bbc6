#include "engine/run/live_model.h"

#include <utility>
#include <variant>

#include "engine/capture/dissect.h"

namespace mpdrill::run {

std::string_view OriginName(PacketOrigin origin) {
  switch (origin) {
    case PacketOrigin::kInjected:
      return "mpdrill";
    case PacketOrigin::kKernel:
      return "kernel";
  }
  return "?";
}

std::string LiveFinding::ToString() const {
  // Shaped like `mpdrill check`'s lines, rule first: "model: D3 (RFC 8684 §3.3.1) packet 12
  // conn 1 subflow 0 server (kernel): <explanation>"; a packet of no known connection has no
  // conn part. The culprit is named after the side so a reader sees whose packet broke it.
  const model::Violation& v = violation;
  std::string text = deliberate() ? "model: deliberate: " : "model: ";
  text += std::string(codec::RuleName(v.rule)) + " (" + std::string(model::Section(v.rule)) +
          ") packet " + std::to_string(v.packet);
  if (v.connection != 0) {
    text += " conn " + std::to_string(v.connection) + " subflow " + std::to_string(v.subflow) +
            " " + std::string(model::SideName(v.sender));
  }
  text += " (" + std::string(OriginName(culprit)) + "): " + v.explanation;
  return text;
}

LiveModel::LiveModel(const LiveModelOptions& options)
    : options_(options),
      pipeline_({.observer = options.observer, .locate_every_segment = true}) {}

void LiveModel::NoteSender(const std::optional<model::FlowLocation>& where, PacketOrigin origin) {
  if (!where) return;
  // Bounded by the connections of one run; a run with more than this is not a script.
  constexpr std::size_t kMaxTracked = 4096;
  auto& sides = origin == PacketOrigin::kInjected ? mpdrill_side_ : kernel_side_;
  if (sides.size() >= kMaxTracked && !sides.contains(where->connection)) return;
  sides[where->connection] = where->sender;
}

void LiveModel::OnPacket(std::span<const std::uint8_t> ip_packet, PacketOrigin origin,
                         std::int64_t time_us) {
  ++packets_;
  auto dissected = capture::Dissect(capture::kLinkRaw, Bytes(ip_packet.data(), ip_packet.size()));
  if (!dissected) {
    ++skipped_;
    return;
  }
  const auto* tcp = std::get_if<capture::TcpSegment>(&*dissected);
  if (tcp == nullptr) {
    ++skipped_;
    return;
  }
  // The model only reads time for idle retirement; keep it monotonic whatever the caller does.
  const std::uint64_t now = time_us > 0 ? static_cast<std::uint64_t>(time_us) : 0;
  if (now > last_time_us_) last_time_us_ = now;

  const capture::SegmentResult result = pipeline_.Process(*tcp, packets_, last_time_us_, &found_);
  NoteSender(result.where, origin);
  for (capture::SegmentFinding& f : found_) {
    switch (f.source) {
      case capture::SegmentFinding::Source::kCodec:
        // The codec's per-packet findings are the sender's: this packet's origin is the culprit.
        Add(LiveFinding{std::move(f.violation), origin});
        break;
      case capture::SegmentFinding::Source::kModel:
        Attribute(f.violation, origin);
        break;
      case capture::SegmentFinding::Source::kPathEvent:
        break;  // off here: on tun0 there is no path to corrupt a payload
    }
  }
  found_.clear();
}

void LiveModel::Finish() {
  pipeline_.Finish(&found_);
  for (const capture::SegmentFinding& f : found_) {
    if (f.source == capture::SegmentFinding::Source::kModel) {
      Attribute(f.violation, PacketOrigin::kKernel);
    }
  }
  found_.clear();
}

// The model names the endpoint that broke the rule (Violation::sender); which endpoint is
// mpdrill is known from the packets each side sent on that connection. Without that (a
// connection that has seen one packet) the packet being processed decides.
void LiveModel::Attribute(const model::Violation& v, PacketOrigin packet_origin) {
  LiveFinding f;
  f.violation = v;
  f.culprit = packet_origin;
  if (auto it = mpdrill_side_.find(v.connection); it != mpdrill_side_.end()) {
    f.culprit = it->second == v.sender ? PacketOrigin::kInjected : PacketOrigin::kKernel;
  } else if (auto k = kernel_side_.find(v.connection); k != kernel_side_.end()) {
    f.culprit = k->second == v.sender ? PacketOrigin::kKernel : PacketOrigin::kInjected;
  }
  Add(std::move(f));
}

void LiveModel::Add(LiveFinding finding) {
  if (finding.deliberate()) {
    ++deliberate_violations_;
  } else {
    ++kernel_violations_;
  }
  if (findings_.size() >= options_.max_findings) {
    ++dropped_;
    return;
  }
  findings_.push_back(std::move(finding));
}

std::vector<LiveFinding> LiveModel::TakeFindings() {
  std::vector<LiveFinding> out;
  out.swap(findings_);
  return out;
}

}  // namespace mpdrill::run
