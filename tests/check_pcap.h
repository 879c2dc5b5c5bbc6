// Test helper for the checker: turns model::Segment sequences (as engine/model/test_builder.h
// writes them, or hand-made) into a pcap file of raw IP frames, so `mpdrill check` reads the
// same packets the in-process model saw.
#ifndef MPDRILL_TESTS_CHECK_PCAP_H_
#define MPDRILL_TESTS_CHECK_PCAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/segment.h"

namespace mpdrill::tests {

class PcapRecorder {
 public:
  // Encodes the segment (IPv4 or IPv6 header, TCP header with the MPTCP options, payload).
  // A payload shorter than payload_length is written cut, as a short snap length would.
  void Add(const model::Segment& seg);
  // Raw IP (DLT_RAW) pcap; false (and `error()`) when an option could not be encoded or the file
  // not written.
  bool Write(const std::string& path);
  const std::string& error() const { return error_; }
  std::size_t size() const { return frames_.size(); }

 private:
  struct Record {
    std::vector<std::uint8_t> bytes;
    std::uint32_t caplen = 0;
    std::uint64_t timestamp_us = 0;
  };
  std::vector<Record> frames_;
  std::string error_;
};

// One result of running `mpdrill check` over a file.
struct CheckRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::vector<std::string> rules;  // "rule" of every JSON violation object, in order
  std::vector<std::string> path_events;  // "kind" of every JSON path_event object, in order
  std::string summary;             // the last {"type":"summary"} line
};
// Runs the built mpdrill binary: `mpdrill check ARGS...` (text output unless ARGS say).
CheckRun RunCheckArgs(const std::vector<std::string>& args);
// Runs the built mpdrill binary: `mpdrill check --format json [extra...] path`.
CheckRun RunCheckJson(const std::string& path, const std::vector<std::string>& extra = {});

// The value of a top-level or nested JSON key in a flat line, as text ("" when absent):
// JsonField(line, "close") == "\"data-fin\"". Finds the first occurrence after `from`.
std::string JsonField(const std::string& line, const std::string& key, std::size_t from = 0);
// How many times `"key":` occurs in the line.
std::size_t JsonCount(const std::string& line, const std::string& needle);

}  // namespace mpdrill::tests

#endif  // MPDRILL_TESTS_CHECK_PCAP_H_
