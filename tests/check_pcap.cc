#include "tests/check_pcap.h"

#include <array>
#include <chrono>
#include <sstream>

#include "engine/capture/test_frames.h"
#include "engine/codec/mptcp_codec.h"
#include "tests/tool_runner.h"

namespace mpdrill::tests {

namespace ct = capture::testing;

void PcapRecorder::Add(const model::Segment& seg) {
  ct::TcpSpec tcp;
  tcp.sport = seg.src.port;
  tcp.dport = seg.dst.port;
  tcp.seq = seg.seq;
  tcp.ack = seg.ack;
  tcp.flags = seg.flags;
  tcp.window = seg.window;
  if (seg.window_scale) tcp.options = {1, 3, 3, *seg.window_scale};
  for (const codec::Option& o : seg.options) {
    std::array<std::uint8_t, 64> buf{};
    auto n = codec::Encode(o, buf);
    if (!n) {
      error_ = "frame " + std::to_string(seg.index) + ": " + std::string(n.error().reason);
      return;
    }
    tcp.options.insert(tcp.options.end(), buf.begin(), buf.begin() + *n);
  }
  if (tcp.options.size() > 40) {
    error_ = "frame " + std::to_string(seg.index) + ": options do not fit in 40 bytes";
    return;
  }
  tcp.payload.assign(seg.payload.begin(), seg.payload.end());
  tcp.payload.resize(seg.payload_length, 0);  // bytes the "capture" did not keep
  const ct::Buf segment = ct::Tcp(tcp);
  ct::Buf frame;
  if (seg.src.ip_version == 6) {
    ct::Ipv6Spec ip;
    std::copy(seg.src.address.begin(), seg.src.address.end(), ip.src.begin());
    std::copy(seg.dst.address.begin(), seg.dst.address.end(), ip.dst.begin());
    frame = ct::Ipv6(ip, segment);
  } else {
    ct::Ipv4Spec ip;
    std::copy_n(seg.src.address.begin(), 4, ip.src.begin());
    std::copy_n(seg.dst.address.begin(), 4, ip.dst.begin());
    frame = ct::Ipv4(ip, segment);
  }
  const auto cut = static_cast<std::uint32_t>(seg.payload_length - seg.payload.size());
  frames_.push_back({frame, static_cast<std::uint32_t>(frame.size() - cut), seg.timestamp_us});
}

bool PcapRecorder::Write(const std::string& path) {
  if (!error_.empty()) return false;
  std::vector<ct::PcapRecord> records;
  records.reserve(frames_.size());
  for (const Record& r : frames_) {
    records.push_back({r.bytes, r.caplen == r.bytes.size() ? 0u : r.caplen});
  }
  if (!ct::WritePcap(path, /*DLT_RAW=*/12, records)) {
    error_ = "cannot write " + path;
    return false;
  }
  return true;
}

CheckRun RunCheckJson(const std::string& path, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(path);
  return RunCheckArgs(args);
}

CheckRun RunCheckArgs(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MPDRILL_BINARY_DIR "/cli/mpdrill", "check"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ToolRun run = RunTool(argv, std::chrono::seconds(60));
  CheckRun out;
  out.exit_code = run.exit_code;
  out.out = run.out;
  out.err = run.err;
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("{\"type\":\"violation\"")) {
      std::string rule = JsonField(line, "rule");
      if (rule.size() >= 2) rule = rule.substr(1, rule.size() - 2);
      out.rules.push_back(rule);
    } else if (line.starts_with("{\"type\":\"path_event\"")) {
      std::string kind = JsonField(line, "kind");
      if (kind.size() >= 2) kind = kind.substr(1, kind.size() - 2);
      out.path_events.push_back(kind);
    } else if (line.starts_with("{\"type\":\"summary\"")) {
      out.summary = line;
    }
  }
  return out;
}

std::string JsonField(const std::string& line, const std::string& key, std::size_t from) {
  const std::string needle = "\"" + key + "\":";
  const std::size_t at = line.find(needle, from);
  if (at == std::string::npos) return "";
  std::size_t i = at + needle.size();
  const std::size_t start = i;
  int depth = 0;
  bool in_string = false;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return line.substr(start, i + 1 - start);
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) break;
      if (--depth == 0) return line.substr(start, i + 1 - start);
    } else if (c == ',' && depth == 0) {
      break;
    }
  }
  return line.substr(start, i - start);
}

std::size_t JsonCount(const std::string& line, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = line.find(needle); at != std::string::npos;
       at = line.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace mpdrill::tests
