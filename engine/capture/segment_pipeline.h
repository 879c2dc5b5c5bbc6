// The one path from a dissected TCP segment to the reference model's findings, shared by
// `mpdrill check` (captures) and `mpdrill run`'s live model (tun0): scan the MPTCP options,
// collect the codec's per-packet violations, build the model::Segment, observe it. Findings
// come back as data; printing, attribution and counting are the callers'.
//
//   capture::SegmentPipeline pipeline(observer_options);
//   std::vector<capture::SegmentFinding> found;
//   pipeline.Process(tcp, index, time_us, &found);   // per segment, in wire order
//   pipeline.Finish(&found);                          // end of input
//   for (const auto& f : found) ...  // codec findings first, then the model's, then path events
#ifndef MPDRILL_ENGINE_CAPTURE_SEGMENT_PIPELINE_H_
#define MPDRILL_ENGINE_CAPTURE_SEGMENT_PIPELINE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/capture/dissect.h"
#include "engine/capture/mptcp_scan.h"
#include "engine/codec/mptcp_option.h"
#include "engine/model/observer.h"
#include "engine/model/path_event.h"
#include "engine/model/violation.h"

namespace mpdrill::capture {

struct SegmentFinding {
  enum class Source : std::uint8_t {
    kCodec,  // a per-packet option rule: always the sender of the segment being processed
    kModel,  // a connection rule: violation.sender names the endpoint that broke it
    // A checksum failure its receiver answered as RFC 8684 §3.7 asks: not a violation
    // (model/path_event.h; only with ObserverOptions::checksum_failures_as_path_events).
    kPathEvent,
  };
  Source source = Source::kModel;
  // kCodec, kModel: the rule broken. For a codec finding: packet/timestamp of the segment,
  // connection 0 when the segment belongs to no known connection (then subflow and sender
  // mean nothing).
  model::Violation violation;
  std::optional<model::PathEvent> path_event;  // kPathEvent
};

// What Process() learnt about the segment itself.
struct SegmentResult {
  // The segment's connection, subflow and sender (after observing it, or before when it
  // retired the connection). Always filled when SegmentPipelineOptions::locate_every_segment,
  // otherwise only when the segment has codec findings.
  std::optional<model::FlowLocation> where;
};

struct SegmentPipelineOptions {
  model::ObserverOptions observer;
  bool locate_every_segment = false;
};

class SegmentPipeline {
 public:
  explicit SegmentPipeline(const SegmentPipelineOptions& options);

  // One TCP segment in wire order. `index` is its packet/frame number (what findings name),
  // `timestamp_us` its time (the model only uses it for idle retirement).
  SegmentResult Process(const TcpSegment& tcp, std::uint64_t index, std::uint64_t timestamp_us,
                        std::vector<SegmentFinding>* out);
  // End of input: connections still open are retired (end-of-input rules run).
  void Finish(std::vector<SegmentFinding>* out);

  model::Observer& observer() { return observer_; }
  const model::Observer& observer() const { return observer_; }

 private:
  void DrainModel(std::vector<SegmentFinding>* out);

  SegmentPipelineOptions options_;
  model::Observer observer_;
  model::ViolationSink sink_;
  MptcpScan scan_;
  std::vector<codec::Option> options_buf_;
  std::vector<codec::Violation> codec_violations_;
};

}  // namespace mpdrill::capture

#endif  // MPDRILL_ENGINE_CAPTURE_SEGMENT_PIPELINE_H_
