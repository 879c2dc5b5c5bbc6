#include "engine/model/subflow.h"

#include <algorithm>

namespace mpdrill::model {

std::uint32_t TcpDirection::Fill(std::uint32_t start, std::uint32_t end) {
  std::uint32_t fresh = 0;
  // Bytes at or beyond snd_max are new; a gap before them becomes a hole.
  if (SeqLt(snd_max, end)) {
    const std::uint32_t from = SeqLt(snd_max, start) ? start : snd_max;
    fresh += end - from;
    if (SeqLt(snd_max, start)) {
      if (holes.size() >= kMaxHoles) holes.erase(holes.begin());
      holes.emplace_back(snd_max, start);
    }
    end = from;
  }
  // Bytes below snd_max are new only where they fill a hole.
  if (SeqLt(start, end)) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> kept;
    for (const auto& [hs, he] : holes) {
      const std::uint32_t os = SeqLt(hs, start) ? start : hs;
      const std::uint32_t oe = SeqLt(end, he) ? end : he;
      if (!SeqLt(os, oe)) {
        kept.emplace_back(hs, he);
        continue;
      }
      fresh += oe - os;
      if (SeqLt(hs, os)) kept.emplace_back(hs, os);
      if (SeqLt(oe, he)) kept.emplace_back(oe, he);
    }
    holes = std::move(kept);
    if (holes.size() > kMaxHoles) holes.erase(holes.begin(), holes.end() - kMaxHoles);
  }
  return fresh;
}

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
  // RFC 9293 §3.10.7.4, RFC 5961 §3.2: a RST resets only at the receiver's next expected
  // sequence number (in the window: a challenge ACK; outside: dropped). That number lies
  // between the receiver's highest ACK and what the sender sent: a RST outside that range is
  // not accepted (a SYN's answer, before either is known, always is).
  const TcpDirection& peer = tcp_[Index(Peer(sender))];
  if (seg.rst() && d.any && peer.ack_seen &&
      !(SeqLeq(peer.max_ack, seg.seq) && SeqLeq(seg.seq, d.snd_max))) {
    c.discarded = true;
    c.stale = true;
    return c;
  }
  const std::uint32_t data_end = start + seg.payload_length;
  const std::uint32_t end = data_end + (seg.fin() ? 1 : 0);
  if (!d.any) {
    d.any = true;
    d.snd_max = start;
  }
  if (seg.payload_length > 0) {
    const std::uint32_t fresh = d.Fill(start, data_end);
    d.new_bytes += fresh;
    d.retransmitted_bytes += seg.payload_length - fresh;
    c.retransmission = fresh == 0;
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
