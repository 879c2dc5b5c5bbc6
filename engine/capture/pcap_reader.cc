#include "engine/capture/pcap_reader.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace mpdrill::capture {
namespace {

// 1 MiB: one read(2) per MiB instead of per 4 KiB; larger buys nothing measurable.
constexpr std::size_t kReadBufferBytes = std::size_t{1} << 20;

}  // namespace

void PcapReader::Closer::operator()(pcap* handle) const { pcap_close(handle); }

PcapReader::PcapReader(std::string path, std::unique_ptr<char[]> buffer, pcap* handle)
    : path_(std::move(path)), buffer_(std::move(buffer)), handle_(handle) {
  linktype_ = static_cast<std::uint32_t>(pcap_datalink(handle));
  snaplen_ = static_cast<std::uint32_t>(pcap_snapshot(handle));
}

Result<PcapReader, CaptureError> PcapReader::Open(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  if (path == "-") {  // standard input: libpcap's stream (we do not own stdin's buffer)
    pcap_t* handle =
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle == nullptr) return Unexpected{CaptureError{path + ": " + errbuf}};
    return PcapReader(path, nullptr, handle);
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Unexpected{CaptureError{path + ": " + std::strerror(errno)}};
  auto buffer = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);
  // Before any I/O on the stream, as setvbuf requires; it cannot fail with a buffer given.
  std::setvbuf(file, buffer.get(), _IOFBF, kReadBufferBytes);
  pcap_t* handle =
      pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) {
    std::fclose(file);  // libpcap closes the stream only once it owns it
    return Unexpected{CaptureError{path + ": " + errbuf}};
  }
  return PcapReader(path, std::move(buffer), handle);
}

Result<bool, CaptureError> PcapReader::Next(Frame* frame) {
  pcap_pkthdr* header = nullptr;
  const std::uint8_t* data = nullptr;
  const int rc = pcap_next_ex(handle_.get(), &header, &data);
  if (rc == PCAP_ERROR_BREAK) return false;  // -2: no more records
  if (rc != 1) {
    return Unexpected{CaptureError{path_ + ": after frame " + std::to_string(count_) + ": " +
                                   pcap_geterr(handle_.get())}};
  }
  frame->number = ++count_;
  frame->timestamp.seconds = header->ts.tv_sec;
  frame->timestamp.nanoseconds = static_cast<std::uint32_t>(header->ts.tv_usec);  // nano mode
  frame->linktype = linktype_;
  frame->data = Bytes(data, header->caplen);
  frame->original_length = header->len;
  return true;
}

Result<ScanStats, CaptureError> ForEachTcpSegment(
    const std::string& path, const std::function<void(const Frame&, const TcpSegment&)>& on_segment,
    const std::function<void(const Frame&, const DissectError&)>& on_malformed) {
  auto reader = PcapReader::Open(path);
  if (!reader) return Unexpected{reader.error()};
  if (!IsSupportedLinkType(reader->linktype())) {
    return Unexpected{CaptureError{path + ": unsupported link-layer type " +
                                   std::to_string(reader->linktype())}};
  }
  ScanStats stats;
  Frame frame;
  for (;;) {
    auto more = reader->Next(&frame);
    if (!more) return Unexpected{more.error()};
    if (!*more) break;
    ++stats.frames;
    auto dissected = Dissect(frame.linktype, frame.data);
    if (!dissected) {
      ++stats.malformed;
      if (on_malformed) on_malformed(frame, dissected.error());
      continue;
    }
    if (const auto* tcp = std::get_if<TcpSegment>(&*dissected)) {
      ++stats.tcp_segments;
      on_segment(frame, *tcp);
    } else {
      ++stats.not_tcp;
    }
  }
  return stats;
}

Result<std::vector<CapturedSegment>, CaptureError> ReadTcpSegments(const std::string& path) {
  std::vector<CapturedSegment> out;
  auto stats = ForEachTcpSegment(path, [&](const Frame& frame, const TcpSegment&) {
    CapturedSegment seg;
    seg.frame_number = frame.number;
    seg.timestamp = frame.timestamp;
    seg.linktype = frame.linktype;
    seg.original_length = frame.original_length;
    seg.bytes.assign(frame.data.begin(), frame.data.end());
    // Dissect again over the owned copy so the spans point into it (same bytes, same result).
    auto again = Dissect(frame.linktype, seg.bytes);
    seg.tcp = std::get<TcpSegment>(again.value());
    out.push_back(std::move(seg));
  });
  if (!stats) return Unexpected{stats.error()};
  return out;
}

}  // namespace mpdrill::capture
