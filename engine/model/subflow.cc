#include "engine/model/subflow.h"

#include <algorithm>

namespace mpdrill::model {

std::string_view SubflowStateName(SubflowState s) {
  switch (s) {
    case SubflowState::kSynSent:
      return "syn-sent";
    case SubflowState::kSynReceived:
      return "syn-received";
    case SubflowState::kPreEstablished:
      return "pre-established";
    case SubflowState::kEstablished:
      return "established";
    case SubflowState::kClosed:
      return "closed";
    case SubflowState::kReset:
      return "reset";
  }
  return "?";
}

Subflow::Subflow(std::uint32_t id, const Segment& syn, Side initiator, bool joined)
    : id_(id),
      joined_(joined),
      initiator_(initiator),
      initiator_ep_(syn.src),
      responder_ep_(syn.dst),
      first_packet_(syn.index),
      last_packet_(syn.index) {}

SegmentClass Subflow::Track(Side sender, const Segment& seg) {
  last_packet_ = seg.index;
  TcpDirection& d = tcp_[Index(sender)];
  SegmentClass c;
  if (seg.syn()) {
    if (!d.syn_seen) {
      d.syn_seen = true;
      d.isn = seg.seq;
      d.window_scale = seg.window_scale;
    }
  }
  const std::uint32_t start = seg.seq + (seg.syn() ? 1 : 0);
  c.rel_seq = start - d.isn;
  const std::uint32_t end = start + seg.payload_length + (seg.fin() ? 1 : 0);
  if (!d.any) {
    d.any = true;
    d.snd_max = end;
  } else if (seg.payload_length > 0 && SeqLeq(end, d.snd_max)) {
    c.retransmission = true;
  }
  if (seg.payload_length > 0) {
    if (SeqLt(start, d.snd_max)) {
      const std::uint32_t old = SeqLt(end, d.snd_max) ? end - start : d.snd_max - start;
      d.retransmitted_bytes += old;
      d.new_bytes += seg.payload_length - std::min<std::uint32_t>(old, seg.payload_length);
    } else {
      d.new_bytes += seg.payload_length;
    }
  }
  if (SeqLt(d.snd_max, end)) d.snd_max = end;
  if (seg.ack_flag()) {
    if (d.ack_seen && SeqLt(seg.ack, d.max_ack)) c.stale = true;
    if (!d.ack_seen || SeqLt(d.max_ack, seg.ack)) d.max_ack = seg.ack;
    d.ack_seen = true;
  }
  if (c.retransmission) c.stale = true;
  return c;
}

void Subflow::TrackClose(Side sender, const Segment& seg) {
  TcpDirection& d = tcp_[Index(sender)];
  if (seg.rst()) {
    state_ = SubflowState::kReset;
    return;
  }
  if (seg.fin() && !d.fin_seen) {
    d.fin_seen = true;
    d.fin_seq = seg.seq + (seg.syn() ? 1 : 0) + seg.payload_length;
  }
  const TcpDirection& a = tcp_[0];
  const TcpDirection& b = tcp_[1];
  // Both FINs sent and each acknowledged by the other side.
  if (a.fin_seen && b.fin_seen && b.ack_seen && a.ack_seen && SeqLt(a.fin_seq, b.max_ack) &&
      SeqLt(b.fin_seq, a.max_ack)) {
    state_ = SubflowState::kClosed;
  }
}

}  // namespace mpdrill::model
