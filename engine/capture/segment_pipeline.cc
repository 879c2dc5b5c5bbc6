#include "engine/capture/segment_pipeline.h"

#include <string>
#include <utility>

#include "engine/capture/model_segment.h"

namespace mpdrill::capture {

SegmentPipeline::SegmentPipeline(const SegmentPipelineOptions& options)
    : options_(options), observer_(options.observer) {}

SegmentResult SegmentPipeline::Process(const TcpSegment& tcp, std::uint64_t index,
                                       std::uint64_t timestamp_us,
                                       std::vector<SegmentFinding>* out) {
  ScanMptcpOptions(tcp, &scan_);
  options_buf_.clear();
  codec_violations_.clear();
  for (const MptcpOptionEntry& e : scan_.view()) {
    if (e.decoded) {
      options_buf_.push_back(e.decoded->option);
      for (const codec::Violation& v : e.decoded->violations.view()) codec_violations_.push_back(v);
    } else if (e.error) {
      codec_violations_.push_back({e.error->rule, e.error->offset, e.error->reason});
    }
  }
  for (const codec::Violation& v : scan_.segment_violations.view()) codec_violations_.push_back(v);
  if (scan_.stop && scan_.stop_on_mptcp) {
    // RFC 8684 §3 / rule G5: an MPTCP option that cannot be delimited.
    codec_violations_.push_back({codec::RuleId::kG5, scan_.stop->offset, scan_.stop->reason});
  }

  const model::Segment seg =
      ModelSegment(tcp, index, timestamp_us, options_buf_, codec_violations_);

  bool codec_findings = false;
  for (const codec::Violation& v : codec_violations_) {
    if (v.severity == codec::Severity::kViolation) codec_findings = true;
  }
  // Locating costs a flow lookup: a capture of millions of clean segments skips it.
  const bool locate = codec_findings || options_.locate_every_segment;
  std::optional<model::FlowLocation> before;
  if (locate) before = observer_.Locate(seg);
  observer_.Observe(seg, &sink_);
  SegmentResult result;
  if (locate) {
    result.where = observer_.Locate(seg);
    if (!result.where) result.where = before;
  }

  // The codec's per-packet findings are the segment's sender's.
  for (const codec::Violation& v : codec_violations_) {
    if (v.severity != codec::Severity::kViolation) continue;
    SegmentFinding f;
    f.source = SegmentFinding::Source::kCodec;
    f.violation.rule = v.rule;
    f.violation.packet = index;
    f.violation.timestamp_us = timestamp_us;
    if (result.where) {
      f.violation.connection = result.where->connection;
      f.violation.subflow = result.where->subflow;
      f.violation.sender = result.where->sender;
    }
    f.violation.explanation = std::string(v.reason);
    out->push_back(std::move(f));
  }
  DrainModel(out);
  return result;
}

void SegmentPipeline::Finish(std::vector<SegmentFinding>* out) {
  observer_.Finish(&sink_);
  DrainModel(out);
}

void SegmentPipeline::DrainModel(std::vector<SegmentFinding>* out) {
  for (model::Violation& v : sink_) {
    out->push_back(SegmentFinding{SegmentFinding::Source::kModel, std::move(v), std::nullopt});
  }
  sink_.clear();
  for (model::PathEvent& e : observer_.TakePathEvents()) {
    out->push_back(SegmentFinding{SegmentFinding::Source::kPathEvent, {}, std::move(e)});
  }
}

}  // namespace mpdrill::capture
