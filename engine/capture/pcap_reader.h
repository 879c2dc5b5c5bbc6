// Reads pcap and pcapng files through libpcap (pcap_fopen_offline handles both formats), from
// a stdio stream with a large buffer of the reader's own (glibc's default is one 4 KiB read(2)
// per block: a third of `mpdrill check`'s time went to those system calls).
#ifndef MPDRILL_ENGINE_CAPTURE_PCAP_READER_H_
#define MPDRILL_ENGINE_CAPTURE_PCAP_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "engine/capture/dissect.h"

struct pcap;  // pcap_t of <pcap/pcap.h>

namespace mpdrill::capture {

struct Timestamp {
  std::int64_t seconds = 0;
  std::uint32_t nanoseconds = 0;
};

// One record. `data` stays valid until the next call to Next() or the reader's destruction.
struct Frame {
  std::uint64_t number = 0;  // 1-based, as Wireshark numbers frames
  Timestamp timestamp;
  std::uint32_t linktype = 0;       // DLT_ value (see dissect.h)
  Bytes data;                       // captured bytes
  std::uint32_t original_length = 0;  // length on the wire (>= data.size())
};

// Always names the file, e.g. "trace.pcap: unknown file format".
struct CaptureError {
  std::string message;
};

class PcapReader {
 public:
  static Result<PcapReader, CaptureError> Open(const std::string& path);

  PcapReader(PcapReader&&) noexcept = default;
  PcapReader& operator=(PcapReader&&) noexcept = default;
  ~PcapReader() = default;

  // true: *frame holds the next record; false: end of file. An error is a damaged file (e.g.
  // a record cut short at the end); the frames before it were valid.
  Result<bool, CaptureError> Next(Frame* frame);

  std::uint32_t linktype() const { return linktype_; }
  std::uint32_t snaplen() const { return snaplen_; }
  const std::string& path() const { return path_; }

 private:
  struct Closer {
    void operator()(pcap* handle) const;
  };
  PcapReader(std::string path, std::unique_ptr<char[]> buffer, pcap* handle);

  std::string path_;
  // The FILE's buffer (setvbuf): declared before handle_ so that it outlives the fclose in
  // pcap_close. Null when reading standard input through libpcap's own stream.
  std::unique_ptr<char[]> buffer_;
  std::unique_ptr<pcap, Closer> handle_;
  std::uint32_t linktype_ = 0;
  std::uint32_t snaplen_ = 0;
  std::uint64_t count_ = 0;
};

// A dissected TCP segment that owns its frame bytes (for tests and tools that keep segments).
// Move-only: `tcp`'s spans point into `bytes`.
struct CapturedSegment {
  std::uint64_t frame_number = 0;
  Timestamp timestamp;
  std::uint32_t linktype = 0;
  std::uint32_t original_length = 0;
  std::vector<std::uint8_t> bytes;
  TcpSegment tcp;

  CapturedSegment() = default;
  CapturedSegment(CapturedSegment&&) noexcept = default;
  CapturedSegment& operator=(CapturedSegment&&) noexcept = default;
  CapturedSegment(const CapturedSegment&) = delete;
  CapturedSegment& operator=(const CapturedSegment&) = delete;
};

// Counts of what ForEachTcpSegment / ReadTcpSegments saw besides TCP segments.
struct ScanStats {
  std::uint64_t frames = 0;
  std::uint64_t tcp_segments = 0;
  std::uint64_t not_tcp = 0;
  std::uint64_t malformed = 0;  // frames whose headers could not be dissected
};

// Calls `on_segment` for every TCP segment of the file in order; other frames are counted.
// `on_malformed`, if set, sees each frame that failed to dissect.
Result<ScanStats, CaptureError> ForEachTcpSegment(
    const std::string& path, const std::function<void(const Frame&, const TcpSegment&)>& on_segment,
    const std::function<void(const Frame&, const DissectError&)>& on_malformed = {});

// Every TCP segment of the file, owning copies.
Result<std::vector<CapturedSegment>, CaptureError> ReadTcpSegments(const std::string& path);

}  // namespace mpdrill::capture

#endif  // MPDRILL_ENGINE_CAPTURE_PCAP_READER_H_
